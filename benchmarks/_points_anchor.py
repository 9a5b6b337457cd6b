"""The anchor `eval --points` is measured against: the same work as a pipeline of the fastest
readers and writers a Python user has, run as its own process (benchmarks/points.py runs it).

    python benchmarks/_points_anchor.py jsonl|csv POINTS.csv OUT

- read: pyarrow.csv.read_csv (its default: multithreaded), columns to numpy;
- compute: seed 004's sigmoid neuron and its five gradients, written by hand in numpy;
- write, jsonl: one orjson.dumps a point of {"at": ..., "value": ..., "gradient": ...}, the
  object gradcli writes (orjson's compact separators); csv: the input columns, then value and
  d_<name>, by pyarrow.csv.write_csv.

Needs the bench extra (pip install -e ".[bench]"); gradcli never imports any of it.
"""

from __future__ import annotations

import sys

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.csv as pacsv

VARIABLES = ("w0", "x0", "w1", "x1", "w2")
CHUNK = 65_536  # points per write, as gradcli's chunks


def compute(columns: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    w0, x0, w1, x1, w2 = (columns[name] for name in VARIABLES)
    h = 1 / (1 + np.exp(-(w0 * x0 + w1 * x1 + w2)))
    slope = h * (1 - h)
    return h, {"w0": slope * x0, "x0": slope * w0, "w1": slope * x1, "x1": slope * w1, "w2": slope}


def write_jsonl(path: str, columns: dict, value: np.ndarray, gradient: dict) -> None:
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    with open(path, "wb") as out:
        for start in range(0, len(value), CHUNK):
            part = slice(start, start + CHUNK)
            at = zip(*(columns[name][part].tolist() for name in VARIABLES), strict=True)
            grads = zip(*(gradient[name][part].tolist() for name in VARIABLES), strict=True)
            lines = [
                dumps(
                    {
                        "at": dict(zip(VARIABLES, a, strict=True)),
                        "value": v,
                        "gradient": dict(zip(VARIABLES, g, strict=True)),
                    },
                    option=newline,
                )
                for a, v, g in zip(at, value[part].tolist(), grads, strict=True)
            ]
            out.write(b"".join(lines))


def main() -> None:
    fmt, source, target = sys.argv[1:4]
    table = pacsv.read_csv(source)
    columns = {name: table.column(name).to_numpy() for name in VARIABLES}
    value, gradient = compute(columns)
    if fmt == "jsonl":
        write_jsonl(target, columns, value, gradient)
        return
    for name, column in [("value", value), *((f"d_{name}", gradient[name]) for name in VARIABLES)]:
        table = table.append_column(name, pa.array(column))
    pacsv.write_csv(table, target)


if __name__ == "__main__":
    main()
