"""Gradients over a Parquet data set with Dask, for more rows than one process holds.

    pip install -e ".[dist]"
    python docs/dask_example.py [FOLDER] [--rows N] [--out OUT]

Reads the Parquet files of FOLDER (columns x0 and x1); without FOLDER it first writes N rows
(default 100000) in 4 files to a temporary folder. Dask spreads the partitions over the workers;
each partition is one `Compiled.batch` call, which adds the `value` and a `d_<name>` column per
gradient. Prints the means (the mean gradient is the gradient of the mean: one descent step);
`--out` also writes every row, with its new columns, as Parquet. For a real cluster, replace the
LocalCluster with `Client("tcp://scheduler:8786")`; nothing else changes.
"""

import argparse
import tempfile
from pathlib import Path

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
from dask.distributed import Client, LocalCluster

import gradcli

SOURCE = "1/(1 + exp(-(w0*x0 + w1*x1 + w2)))"
FIXED = {"w0": 2.0, "w1": -3.0, "w2": -3.0}  # the same at every row; x0 and x1 come from the data
COLUMNS = ["x0", "x1"]


def write_points(folder: Path, rows: int, files: int = 4) -> None:
    """`rows` random points in `files` Parquet files, x0 and x1 standard normal."""
    x = np.random.default_rng(0).normal(size=(rows, len(COLUMNS)))
    folder.mkdir(parents=True, exist_ok=True)
    for k, part in enumerate(np.array_split(x, files)):
        pd.DataFrame(part, columns=COLUMNS).to_parquet(folder / f"part.{k}.parquet", index=False)


def add_gradients(part: pd.DataFrame, program) -> pd.DataFrame:
    """One partition, in one vectorised pass: its rows plus `value` and the `d_<name>` columns."""
    batch = program.batch({name: part[name].to_numpy() for name in COLUMNS}, FIXED)
    return part.assign(value=batch.value, **{f"d_{name}": g for name, g in batch.gradient.items()})


def with_gradients(frame: dd.DataFrame, program) -> dd.DataFrame:
    """Lazy: nothing runs until a result is asked for (a mean, `to_parquet`, `compute`). Dask
    pickles the compiled `program` (about 1 KB) to the workers: no worker parses the source."""
    new = ["value", *(f"d_{name}" for name in program.variables)]
    meta = {**frame.dtypes.to_dict(), **dict.fromkeys(new, "float64")}  # the columns it returns
    return frame.map_partitions(add_gradients, program, meta=meta)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, help="Parquet files with x0, x1 columns")
    parser.add_argument("--rows", type=int, default=100_000, help="rows to write without FOLDER")
    parser.add_argument("--out", type=Path, help="also write every row and its gradient here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.folder or Path(scratch) / "points"
        if args.folder is None:
            write_points(folder, args.rows)
        # Two worker processes, one thread each: the partitions run in parallel, past the GIL.
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None)
        with cluster, Client(cluster):
            frame = with_gradients(dd.read_parquet(folder), gradcli.compile(SOURCE))
            means, rows = frame.drop(columns=COLUMNS).mean(), frame.shape[0]
            if args.out:  # one pass over the data for both the files and the means
                _, means, rows = dask.compute(frame.to_parquet(args.out, compute=False), means, rows)
            else:
                means, rows = dask.compute(means, rows)
    print(f"{rows} rows in {frame.npartitions} partitions on 2 workers: {SOURCE}")
    for name, mean in means.items():
        print(f"  mean {name:<6} {mean: .6f}")


if __name__ == "__main__":
    main()
