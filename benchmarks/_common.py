"""Shared by the benchmarks: the machine and versions they ran on, median-of-N timing, tables.

Figures, not tests: nothing here asserts on a time.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from importlib import metadata

PACKAGES = ("gradcli", "numpy", "lark", "rich", "typer", "interegular", "pydantic")
THREAD_VARIABLES = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONPYCACHEPREFIX",
)


def arguments(description: str, before: bool = False) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a rough look, not figures)")
    if before:
        parser.add_argument(
            "--before",
            metavar="DIR",
            help="also measure the gradcli in this source tree, in the same run (the figures before a "
            "change): git archive COMMIT | tar -x -C DIR && ln -s ../grammars DIR/gradcli/grammars",
        )
    return parser.parse_args()


def before_env(folder: str | None, base: dict[str, str]) -> dict[str, str] | None:
    """`base` with the gradcli of an earlier source tree (`--before DIR`) first on PYTHONPATH,
    ahead of the installed one. None without --before."""
    if folder is None:
        return None
    root = os.path.abspath(folder)
    if not os.path.isfile(os.path.join(root, "gradcli", "grammars", "expr.lark")):
        raise SystemExit(
            f"--before {folder}: no gradcli/grammars/expr.lark there (ln -s ../grammars gradcli/grammars)"
        )
    return {**base, "PYTHONPATH": root}


def run_timed(
    argv: Sequence[str], env: dict[str, str] | None = None, cwd: str | None = None
) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one process, which must succeed. Give `cwd` outside
    the checkout when PYTHONPATH should decide which gradcli `python -m gradcli` runs."""
    import subprocess

    start = time.perf_counter()
    process = subprocess.Popen(
        argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(argv)[:200]}\n{process.stderr.read().decode()[:800]}")
    process.stderr.close()
    return wall, usage.ru_utime + usage.ru_stime


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def print_machine(title: str, quick: bool) -> None:
    """The conditions, first: a figure without its machine and versions says little."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    print(f"# {title}")
    print(f"date      {datetime.date.today().isoformat()}{'   (--quick: rough figures)' if quick else ''}")
    print(f"machine   {cpu_model()}, {os.cpu_count()} cores ({usable} usable), {platform.platform()}")
    print(f"python    {platform.python_implementation()} {platform.python_version()}  ({sys.executable})")
    print("packages  " + ", ".join(f"{name} {_version(name)}" for name in PACKAGES))
    settings = [f"{name}={os.environ[name]}" for name in THREAD_VARIABLES if name in os.environ]
    print("env       " + (" ".join(settings) if settings else "(no thread or bytecode variables set)"))
    print(f"load      {load()}")
    print()


def load() -> str:
    """The load average: other processes on a 2-core machine inflate every figure (and their spread)."""
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return "unknown"
    busy = one > 0.5 * (os.cpu_count() or 1)
    warning = "  -- busy: other processes compete for the CPU" if busy else ""
    return f"{one:.2f} (1 min), {five:.2f} (5 min){warning}"


def timed(
    function: Callable[[], object], repeat: int, warmup: int = 1, cpu: list[float] | None = None
) -> list[float]:
    """Wall times of `repeat` calls after `warmup` untimed ones. The result is freed, and the
    garbage collected, outside the timing, so that no call pays for its own result's or the
    previous call's garbage. The process's CPU times go to `cpu` if given: steadier than wall
    time when other processes share the machine."""
    for _ in range(warmup):
        function()
    times = []
    for _ in range(repeat):
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        result = function()
        times.append(time.perf_counter() - start)
        if cpu is not None:
            cpu.append(time.process_time() - start_cpu)
        del result
    return times


def timed_in_turn(functions: Sequence[Callable[[], object]], repeat: int) -> list[list[float]]:
    """`timed` for several functions called in turn (a, b, a, b, ...): each list of wall times
    sees the same moments of the machine, so a ratio between them holds under changing load."""
    times: list[list[float]] = [[] for _ in functions]
    for _ in range(repeat + 1):  # the first round warms up
        for function, found in zip(functions, times, strict=True):
            found.extend(timed(function, 1, warmup=0))
    return [found[1:] for found in times]


def median(times: Sequence[float]) -> float:
    return statistics.median(times)


def spread(times: Sequence[float]) -> str:
    """The interquartile range relative to the median: how much to trust a figure."""
    if len(times) < 4:
        return "n/a"
    q1, _, q3 = statistics.quantiles(times, n=4)
    return f"±{50 * (q3 - q1) / statistics.median(times):.0f}%"


def seconds(value: float) -> str:
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 0.01:
        return f"{value * 1e3:.0f} ms"
    return f"{value * 1e3:.1f} ms"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    cells = [[str(cell) for cell in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        first = row[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    print(line(cells[0]))
    print("  ".join("-" * width for width in widths))
    for row in cells[1:]:
        print(line(row))
    print()


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"
