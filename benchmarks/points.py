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
- writing the JSON Lines and the CSV (gradcli's writers, from the computed results);
- end to end, the whole file, each a process of its own, in turn: `gradcli eval SOURCE --points
  FILE -o OUT.jsonl` and `-o OUT.csv`, beside the anchor (benchmarks/_points_anchor.py: pyarrow's
  CSV reader, the same sums in numpy, orjson writing each point's JSON object, or pyarrow's CSV
  writer) and, with `--before DIR`, the gradcli of an earlier source tree (whose output must be
  byte-identical). Target: within 1.2x the anchor.

PyTorch and pyarrow are optional extras (`pip install -e ".[bench]"`); without them their rows
say so. gradcli never imports either.

    python benchmarks/points.py [--quick] [--before DIR]
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from _common import arguments, before_env, median, print_machine, run_timed, seconds, spread, table, verdict

import gradcli
from gradcli.gcpause import no_gc
from gradcli.points.evaluate import DEFAULT_CHUNK, evaluate_points
from gradcli.points.read import open_points
from gradcli.points.write import CsvWriter, JsonlWriter

SOURCE = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
VARIABLES = ("w0", "x0", "w1", "x1", "w2")
POINTS = 1_000_000
TARGET = 1.5  # gradcli's compute within 1.5x PyTorch's (float64, one thread each)
IO_TARGET = 1.2  # the whole command within 1.2x the anchor pipeline (pyarrow + orjson)
ANCHOR = str(Path(__file__).with_name("_points_anchor.py"))

try:
    import torch
except ImportError:  # an optional rival: skipped with a note, never faked
    torch = None
try:
    import orjson
    import pyarrow
except ImportError:  # the anchor's libraries: skipped with a note, never faked
    pyarrow = orjson = None


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
    the chunks, each with its rows' texts and parsed columns."""
    points = open_points(str(path))
    chunks = []
    try:
        with no_gc():
            chunks.extend(points.chunks(list(VARIABLES), DEFAULT_CHUNK, skip_bad=False))
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
    args = arguments(__doc__.splitlines()[0], before=True)
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

        # Writing JSON Lines and CSV, apart.
        def write(fmt: str) -> Callable[[], None]:
            def run() -> None:
                with open(os.devnull, "w") as out, no_gc():
                    writer = (
                        CsvWriter(out, points, VARIABLES)
                        if fmt == "csv"
                        else JsonlWriter(out, points, list(VARIABLES), {}, VARIABLES)
                    )
                    for chunk, results in zip(chunks, ours, strict=True):
                        writer.write(chunk, results)

            return run

        write_times = rounds({"jsonl": write("jsonl"), "csv": write("csv")}, few)

        # End to end: the command a user runs, the whole file, beside the anchor and the before.
        e2e = end_to_end(path, Path(folder), args.before, few)

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
    for fmt, label in (("jsonl", "JSON Lines"), ("csv", "CSV")):
        took = write_times[fmt]
        rows.append([f"write {label} (gradcli)", seconds(median(took)), spread(took), rate(median(took)), ""])
    table(["phase", "wall time", "spread", "points/s", "CPU time (one call)"], rows)
    report_end_to_end(e2e)

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


def end_to_end(
    path: Path, folder: Path, before: str | None, repeat: int
) -> dict[str, list[tuple[float, float]]]:
    """Each command a process of its own, in turn in every round (after an untimed one): gradcli
    to JSON Lines and to CSV, the anchor doing the same, and the gradcli of `before`."""
    env = {**os.environ, "NO_COLOR": "1"}
    commands: dict[str, tuple[list[str], dict[str, str] | None]] = {}
    for fmt in ("jsonl", "csv"):
        ours = [sys.executable, "-m", "gradcli", "eval", SOURCE, "--points", str(path), "-o"]
        commands[f"gradcli -> {fmt}"] = ([*ours, str(folder / f"after.{fmt}")], env)
        if before is not None:
            commands[f"gradcli before -> {fmt}"] = (
                [*ours, str(folder / f"before.{fmt}")],
                before_env(before, env),
            )
        if pyarrow is not None and orjson is not None:
            commands[f"anchor -> {fmt}"] = (
                [sys.executable, ANCHOR, fmt, str(path), str(folder / f"anchor.{fmt}")],
                env,
            )
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for round_ in range(repeat + 1):
        for name, (argv, run_env) in commands.items():
            took = run_timed(argv, run_env, cwd=str(folder))  # not the checkout: PYTHONPATH decides
            if round_:
                times[name].append(took)
    for fmt in ("jsonl", "csv"):
        after = (folder / f"after.{fmt}").read_bytes()
        assert after.count(b"\n") == POINTS + (fmt == "csv")
        if before is not None:
            assert after == (folder / f"before.{fmt}").read_bytes(), f"the {fmt} output changed"
    return times


def report_end_to_end(e2e: dict[str, list[tuple[float, float]]]) -> None:
    print(f"## End to end: the whole file, {POINTS:,} points, each command a process (medians)")
    rows = []
    for name, runs in e2e.items():
        walls, cpus = [wall for wall, _ in runs], [cpu for _, cpu in runs]
        fmt = name.rsplit(" ", 1)[1]
        anchor = e2e.get(f"anchor -> {fmt}")
        ratio = f"{median(walls) / median([w for w, _ in anchor]):.2f}x" if anchor else "n/a"
        cpu_ratio = f"{median(cpus) / median([c for _, c in anchor]):.2f}x" if anchor else "n/a"
        rows.append(
            [
                name,
                seconds(median(walls)),
                seconds(min(walls)),
                spread(walls),
                seconds(median(cpus)),
                ratio,
                cpu_ratio,
            ]
        )
    table(["command", "wall", "min", "spread", "CPU (user+sys)", "/ anchor (wall)", "/ anchor (CPU)"], rows)
    if not any(name.startswith("anchor") for name in e2e):
        print("the anchor needs pyarrow and orjson: pip install -e '.[bench]' (no ratio without it)")
        return
    for fmt in ("jsonl", "csv"):
        ratio = median([w for w, _ in e2e[f"gradcli -> {fmt}"]]) / median(
            [w for w, _ in e2e[f"anchor -> {fmt}"]]
        )
        met = verdict(ratio <= IO_TARGET)
        print(f"target  gradcli -> {fmt}: {ratio:.2f}x the anchor, target <= {IO_TARGET}x: {met}")
    if any("before" in name for name in e2e):
        print("the output of gradcli before and after: byte-identical (checked)")
    print()


if __name__ == "__main__":
    main()
