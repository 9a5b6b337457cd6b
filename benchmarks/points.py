"""Many points: 10^6 points of seed 004's sigmoid neuron from a file, gradcli beside PyTorch.

    h = 1/(1+exp(-(w0*x0+w1*x1+w2)))    value and all five gradients at each of 10^6 points

gradcli reads the points from a CSV file (every variable a column), evaluates them in one
vectorised pass per chunk (build_graph + backprop on arrays with the points along a batch axis)
and writes one JSON line a point. PyTorch does the same compute on the same parsed arrays:
float64 tensors (zero-copy from numpy), the forward expression, `backward()` from a seed of ones.

Timed apart, in one run:
- reading and parsing the file (gradcli's chunked reader; numpy.loadtxt as a torch user's reader);
- compute: forward and backward over all 10^6 points, from parsed arrays to gradients. gradcli in
  its default chunks and in one chunk; PyTorch with torch.set_num_threads(1) (numpy is single-
  threaded: the fair pairing), all at once and in gradcli's chunks (smaller tensors stay in cache
  and reuse freed memory), and with its default thread count. The target is checked against the
  faster of PyTorch's one-thread ways. The rivals take turns in every round, so a busy moment of
  the machine hits them alike; medians after a warm-up round;
- writing the JSON Lines;
- end to end: `gradcli eval SOURCE --points FILE -o OUT.jsonl` as a process, the whole file.

PyTorch is an optional extra (`pip install -e ".[bench]"`); without it its rows say so. gradcli
never imports torch.

    python benchmarks/points.py [--quick]
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from _common import arguments, median, print_machine, seconds, spread, table, verdict

import gradcli
from gradcli.gcpause import no_gc
from gradcli.points.evaluate import DEFAULT_CHUNK, evaluate_points
from gradcli.points.read import open_points
from gradcli.points.write import JsonlWriter

SOURCE = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
VARIABLES = ("w0", "x0", "w1", "x1", "w2")
POINTS = 1_000_000
TARGET = 1.5  # gradcli's compute within 1.5x PyTorch's (float64, one thread each)

try:
    import torch
except ImportError:  # an optional rival: skipped with a note, never faked
    torch = None


def write_points(path: Path, n: int) -> None:
    rng = np.random.default_rng(4)
    values = rng.normal(size=(n, len(VARIABLES)))
    with open(path, "w") as out:
        out.write(",".join(VARIABLES) + "\n")
        for start in range(0, n, 100_000):
            rows = values[start : start + 100_000].tolist()
            out.write("".join(",".join(map(repr, row)) + "\n" for row in rows))


def read_all(path: Path):
    """gradcli's reader over the whole file, as the command runs it (the garbage collector paused):
    the chunks, each with its parsed columns (the rows themselves dropped, as the command does)."""
    points = open_points(str(path))
    chunks = []
    try:
        with no_gc():
            for chunk in points.chunks(list(VARIABLES), DEFAULT_CHUNK, skip_bad=False):
                chunk.records = []  # written already, in the command; only the columns are kept here
                chunks.append(chunk)
    finally:
        points.close()
    return points, chunks


def gradcli_compute(compiled, columns: dict[str, np.ndarray], size: int) -> Callable[[], object]:
    def run():
        results = []
        for start in range(0, POINTS, size):
            part = {name: column[start : start + size] for name, column in columns.items()}
            results.append(evaluate_points(compiled, part, {}, VARIABLES, len(part["w0"])))
        return results

    return run


def torch_compute(columns: dict[str, np.ndarray], threads: int, size: int = POINTS) -> Callable[[], object]:
    """The same expression on float64 tensors (zero-copy from numpy), backward from a seed of ones;
    in chunks of `size` points, as gradcli runs (one chunk: PyTorch's natural way)."""

    def one(part: dict[str, np.ndarray]):
        t = {name: torch.from_numpy(column).requires_grad_() for name, column in part.items()}
        h = 1 / (1 + torch.exp(-(t["w0"] * t["x0"] + t["w1"] * t["x1"] + t["w2"])))
        h.backward(torch.ones_like(h))
        return h.detach(), {name: x.grad for name, x in t.items()}

    def run():
        torch.set_num_threads(threads)
        return [
            one({name: column[start : start + size] for name, column in columns.items()})
            for start in range(0, POINTS, size)
        ]

    return run


def rounds(functions: dict[str, Callable[[], object]], repeat: int) -> dict[str, list[float]]:
    """Each function once per round, in turn, after one untimed round; gc between calls, untimed."""
    times: dict[str, list[float]] = {name: [] for name in functions}
    for round_ in range(repeat + 1):
        for name, function in functions.items():
            gc.collect()
            start = time.perf_counter()
            function()
            if round_:
                times[name].append(time.perf_counter() - start)
    return times


def cpu_time(function: Callable[[], object]) -> float:
    start = time.process_time()
    function()
    return time.process_time() - start


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    repeat = 3 if args.quick else 9
    few = 2 if args.quick else 4  # the phases that take seconds
    print_machine("Many points: eval --points, 10^6 points of seed 004's sigmoid", args.quick)
    threads = torch.get_num_threads() if torch is not None else 0
    print(f"torch     {torch.__version__ + f' ({threads} threads by default)' if torch else 'not installed'}")
    print(f"program   {SOURCE}")
    print(f"points    {POINTS:,}, chunk {DEFAULT_CHUNK:,} points (gradcli's default)")
    print()

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "points.csv"
        write_points(path, POINTS)
        size_mb = path.stat().st_size / 1e6
        compiled = gradcli.compile(SOURCE)

        # Reading and parsing, apart from compute.
        read_times = rounds({"gradcli": lambda: read_all(path)}, few)["gradcli"]
        points, chunks = read_all(path)
        columns = {name: np.concatenate([c.columns[name] for c in chunks]) for name in VARIABLES}
        loadtxt = rounds({"np": lambda: np.loadtxt(path, delimiter=",", skiprows=1)}, 2)["np"]

        # Compute, rivals in turn.
        compute = {
            f"gradcli, chunks of {DEFAULT_CHUNK:,}": gradcli_compute(compiled, columns, DEFAULT_CHUNK),
            "gradcli, one chunk of 10^6": gradcli_compute(compiled, columns, POINTS),
        }
        if torch is not None:
            compute["PyTorch, 1 thread"] = torch_compute(columns, 1)
            compute[f"PyTorch, 1 thread, chunks of {DEFAULT_CHUNK:,}"] = torch_compute(
                columns, 1, DEFAULT_CHUNK
            )
            compute[f"PyTorch, {threads} threads"] = torch_compute(columns, threads)
        times = rounds(compute, repeat)
        if torch is not None:
            torch.set_num_threads(threads)
        cpu = {name: cpu_time(function) for name, function in compute.items()}

        # The same numbers on both sides.
        ours = compute[f"gradcli, chunks of {DEFAULT_CHUNK:,}"]()
        if torch is not None:
            ((value, grads),) = torch_compute(columns, 1)()
            torch.set_num_threads(threads)
            ours_value = np.concatenate([r.value for r in ours])
            worst = float(np.max(np.abs(ours_value - value.numpy())))
            for name in VARIABLES:
                ours_grad = np.concatenate([r.gradient[name] for r in ours])
                worst = max(worst, float(np.max(np.abs(ours_grad - grads[name].numpy()))))

        # Writing JSON Lines, apart.
        def write():
            with open(os.devnull, "w") as out, no_gc():
                writer = JsonlWriter(out, points, list(VARIABLES), {}, VARIABLES)
                for chunk, results in zip(chunks, ours, strict=True):
                    writer.write(chunk, results)

        write_times = rounds({"write": write}, few)["write"]

        # End to end: the command a user runs, the whole file.
        out_path = Path(folder) / "out.jsonl"
        command = [
            sys.executable,
            "-m",
            "gradcli",
            "eval",
            SOURCE,
            "--points",
            str(path),
            "-o",
            str(out_path),
        ]
        env = {**os.environ, "NO_COLOR": "1"}
        e2e = rounds({"e2e": lambda: subprocess.run(command, check=True, env=env)}, few)["e2e"]
        with open(out_path) as written:
            assert sum(1 for _ in written) == POINTS

    t = {name: median(v) for name, v in times.items()}
    rate = lambda s: f"{POINTS / s / 1e6:.2f} M/s"  # noqa: E731
    print(f"## Phases ({size_mb:.0f} MB CSV file, medians)")
    rows = [
        [
            "read + parse the CSV (gradcli's reader)",
            seconds(median(read_times)),
            spread(read_times),
            rate(median(read_times)),
            "",
        ],
        [
            "read + parse the CSV (numpy.loadtxt, for scale)",
            seconds(median(loadtxt)),
            spread(loadtxt),
            rate(median(loadtxt)),
            "",
        ],
    ]
    for name in compute:
        rows.append(
            [f"compute: {name}", seconds(t[name]), spread(times[name]), rate(t[name]), seconds(cpu[name])]
        )
    rows.append(
        [
            "write JSON Lines (gradcli)",
            seconds(median(write_times)),
            spread(write_times),
            rate(median(write_times)),
            "",
        ]
    )
    rows.append(
        [
            "end to end: gradcli eval --points FILE -o OUT",
            seconds(median(e2e)),
            spread(e2e),
            rate(median(e2e)),
            "",
        ]
    )
    table(["phase", "wall time", "spread", "points/s", "CPU time (one call)"], rows)

    print("## Compute: gradcli against PyTorch (float64 on both sides)")
    if torch is None:
        print("PyTorch is not installed: no comparison (pip install -e '.[bench]').")
        return
    ours_t = t[f"gradcli, chunks of {DEFAULT_CHUNK:,}"]
    one, default = t["PyTorch, 1 thread"], t[f"PyTorch, {threads} threads"]
    chunked = t[f"PyTorch, 1 thread, chunks of {DEFAULT_CHUNK:,}"]
    best = min(one, chunked)  # the target is checked against PyTorch's faster one-thread way
    table(
        ["gradcli (default chunks) over", "ratio", f"target <= {TARGET}"],
        [
            ["PyTorch, 1 thread (same thread count)", f"{ours_t / one:.2f}x", ""],
            [f"PyTorch, 1 thread, chunks of {DEFAULT_CHUNK:,}", f"{ours_t / chunked:.2f}x", ""],
            ["the faster of those two", f"{ours_t / best:.2f}x", verdict(ours_t / best <= TARGET)],
            [f"PyTorch, {threads} threads (its default)", f"{ours_t / default:.2f}x", ""],
        ],
    )
    print(f"largest difference between gradcli's and PyTorch's values and gradients: {worst:.2e}")
    print(f"end to end, the whole file: {POINTS / median(e2e):,.0f} points per second")


if __name__ == "__main__":
    main()
