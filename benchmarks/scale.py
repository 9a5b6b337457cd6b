"""Scale: time per stage for generated expressions of 1e3, 1e4 and 1e5 graph nodes.

Stages, each timed on its own in one run: Lark alone parsing the same text into a plain tree
(gradcli's grammar, LALR, contextual lexer, no transformer: the floor for any Lark-based parser),
gradcli's parse (`parse.parse_program`, which builds the AST while Lark parses), building the
graph (`graph.build_graph`: evaluation, every node recorded), the backward pass
(`backprop.needs_grad` + `backprop.backprop`, steps recorded) and end to end
(`api.evaluate(text, x=...)`: all of them plus the checks and the Derivation record).

gradcli's own entry points are timed as they are: `api.evaluate` pauses the garbage collector,
the stage functions called alone do not. The stages are also timed with the collector paused,
as they run inside `evaluate`, so the two effects can be told apart. Medians after a warm-up;
the collector runs between repetitions, outside the timing.

Then growth, whole process: `gradcli eval -f PROGRAM --brief --json` as a user runs it, at
10^4, 10^5 and 10^6 graph nodes, for a program of many lines (`v1 = x*y + 1`, `v2 = v1*x - y`,
...) and for one long sum; wall time, peak memory of the process, and the ratio per 10x nodes
(10 is linear). `--growth` runs this part alone.

    python benchmarks/scale.py [--quick] [--growth]
"""

from __future__ import annotations

import gc
import itertools
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import lark
import numpy as np
from _common import arguments, load, median, print_machine, seconds, table, timed, verdict

from gradcli.api import evaluate
from gradcli.backprop import backprop, needs_grad
from gradcli.graph import build_graph
from gradcli.parse import grammar_text, parse_program

SIZES = (1_000, 10_000, 100_000)
E2E_TARGET = 3.0  # seconds, end to end at 1e5 nodes

# The mixed expression: one term per op kind, cycled; joined by + and - in turn. Every op of the
# table appears (add sub mul div pow neg and all the functions), over four variables, at values
# where each term is finite.
MIXED_TERMS = (
    "tanh(a*{i})",
    "exp(-b/{i})",
    "sin(c+{i})",
    "log(d+{i})",
    "sqrt(b*{i})",
    "cos(a-{i})",
    "tan(a/{i})",
    "asin(a/{i})",
    "acos(c/{i})",
    "atan(b*{i})",
    "sinh(c/{i})",
    "cosh(a/{i})",
    "sigmoid(b-{i})",
    "relu(c*{i})",
    "softplus(d-{i})",
    "abs(c*{i})",
    "max(a, b*{i})",
    "min(c, d/{i})",
    "sign(a-{i})",
    "step(b-{i})",
    "d^(1/{i})",
    "-a*c^2",
)
MIXED_VALUES = {"a": 0.5, "b": 1.5, "c": -0.3, "d": 2.0}


def sum_of_products(terms: int) -> str:
    return "+".join(f"x*{i}" for i in range(1, terms + 1))


def mixed(terms: int) -> str:
    parts = [MIXED_TERMS[k % len(MIXED_TERMS)].format(i=k // len(MIXED_TERMS) + 1) for k in range(terms)]
    return parts[0] + "".join(("+" if k % 2 else "-") + part for k, part in enumerate(parts[1:]))


@dataclass
class Workload:
    name: str
    make: Callable[[int], str]
    values: dict[str, float]
    texts: dict[int, str] = field(default_factory=dict)
    nodes: dict[int, int] = field(default_factory=dict)
    times: dict[tuple[str, int], list[float]] = field(default_factory=dict)
    cpu: dict[tuple[str, int], list[float]] = field(default_factory=dict)


def node_count(text: str, values: dict[str, float]) -> int:
    return len(evaluate(text, **values).nodes)


def sized(workload: Workload, target: int) -> None:
    """Terms enough for `target` graph nodes, from the node count of a small sample."""
    per_term = node_count(workload.make(300), workload.values) / 300
    text = workload.make(max(1, round(target / per_term)))
    workload.texts[target] = text
    workload.nodes[target] = node_count(text, workload.values)


def paused(function: Callable[[], object]) -> Callable[[], object]:
    """`function` with the cyclic garbage collector paused, as inside `api.evaluate`."""

    def run() -> object:
        gc.disable()
        try:
            return function()
        finally:
            gc.enable()

    return run


STAGES = (
    ("lark", "Lark alone: text -> plain tree"),
    ("parse", "gradcli parse: text -> AST"),
    ("graph", "graph: build_graph"),
    ("backward", "backward: needs_grad + backprop"),
    ("e2e", "end to end: api.evaluate"),
    ("lark_off", "  Lark alone, gc paused"),
    ("parse_off", "  parse, gc paused"),
    ("graph_off", "  graph, gc paused"),
    ("backward_off", "  backward, gc paused"),
)


def measure(workload: Workload, size: int, plain: lark.Lark, repeat: int) -> None:
    text, values = workload.texts[size], workload.values
    arrays = {name: np.asarray(value, dtype=np.float64) for name, value in values.items()}
    program = parse_program(text)
    graph = build_graph(program, arrays)
    wrt = {graph.variables[name] for name in arrays}

    def backward() -> object:
        return backprop(graph, needs_grad(graph, wrt))

    calls = {
        "lark": lambda: plain.parse(text),
        "parse": lambda: parse_program(text),
        "graph": lambda: build_graph(program, arrays),
        "backward": backward,
        "e2e": lambda: evaluate(text, **values),
    }
    calls |= {f"{key}_off": paused(calls[key]) for key in ("lark", "parse", "graph", "backward")}
    for key, _ in STAGES:
        workload.cpu[key, size] = []
        workload.times[key, size] = timed(calls[key], repeat, cpu=workload.cpu[key, size])


def growth(times: list[float]) -> str:
    """Time ratio from one size to the next (10x the nodes): 10 is linear."""
    return " ".join(f"{b / a:.1f}" for a, b in itertools.pairwise(times))


def report(workload: Workload) -> None:
    t = {key: median(value) for key, value in workload.times.items()}
    sizes = [size for size in SIZES if ("e2e", size) in t]
    nodes = workload.nodes
    print(f"## {workload.name}")
    print("nodes   " + " / ".join(f"{nodes[s]:,}" for s in sizes))
    print("text    " + " / ".join(f"{len(workload.texts[s]):,} chars" for s in sizes))
    print("example " + workload.make(6)[:100] + " ...")
    print()
    label_big = f"{sizes[-1]:.0e}".replace("+0", "")
    headers = [
        "stage (wall time, median)",
        *[f"{s:.0e}".replace("+0", "") for s in sizes],
        f"nodes/s at {label_big}",
        "x per 10x nodes",
        f"CPU time at {label_big}",
    ]
    rows = []
    for key, label in STAGES:
        times = [t[key, s] for s in sizes]
        rate = nodes[sizes[-1]] / times[-1]
        cpu = median(workload.cpu[key, sizes[-1]])
        rows.append(
            [label, *[seconds(x) for x in times], f"{rate / 1e3:,.0f} k", growth(times), seconds(cpu)]
        )
    table(headers, rows)
    busy = any(median(workload.cpu[k, s]) < 0.9 * t[k, s] for k, _ in STAGES for s in sizes)
    print(
        "(x per 10x nodes: 10 is linear." + (" CPU time < wall time: the machine was busy.)" if busy else ")")
    )
    print()

    ratio_rows = []
    for s in sizes:
        after = t["graph", s] + t["backward", s]
        after_off = t["graph_off", s] + t["backward_off", s]
        stages_off = t["parse_off", s] + after_off
        ratio_rows.append(
            [
                f"{nodes[s]:,} nodes",
                f"{t['parse', s] / t['lark', s]:.2f}",
                f"{t['parse_off', s] / t['lark_off', s]:.2f}",
                f"{after / t['parse', s]:.2f}",
                f"{after_off / t['parse_off', s]:.2f}",
                seconds(t["e2e", s]),
                seconds(t["e2e", s] - stages_off),
            ]
        )
    table(
        [
            "size",
            "parse / Lark alone",
            "same, gc paused",
            "(graph+backward) / parse",
            "same, gc paused",
            "end to end",
            "e2e minus stages (gc paused)",
        ],
        ratio_rows,
    )
    big = sizes[-1]
    if big == SIZES[-1]:
        e2e = t["e2e", big]
        after = (t["graph", big] + t["backward", big]) / t["parse", big]
        after_off = (t["graph_off", big] + t["backward_off", big]) / t["parse_off", big]
        print(
            f"target  end to end at {nodes[big]:,} nodes under {E2E_TARGET:.0f} s: {seconds(e2e)}, "
            f"{verdict(e2e < E2E_TARGET)} (CPU time {seconds(median(workload.cpu['e2e', big]))})"
        )
        print(
            f"target  everything after parsing less than the parse: (graph+backward)/parse = {after:.2f} "
            f"as called alone, {verdict(after < 1)}; {after_off:.2f} with gc paused as in evaluate, "
            f"{verdict(after_off < 1)}"
        )
    print()


GROWTH_SIZES = (10_000, 100_000, 1_000_000)


def many_lines(statements: int) -> str:
    """`v1 = x*y + 1`, then each line uses the one before: 2-3 nodes a line, ~22 characters."""
    lines = ["v1 = x*y + 1"]
    for k in range(2, statements + 1):
        lines.append(f"v{k} = v{k - 1}*x - y" if k % 2 == 0 else f"v{k} = v{k - 1}*0.5 + y")
    return "\n".join([*lines, f"v{statements} + 1"])


GROWTH_WORKLOADS = (
    ("many lines: v1 = x*y + 1; v2 = v1*x - y; ...", many_lines, "x=0.5,y=0.25", 2.5),
    ("one long sum: x*1+x*2+...+x*k", sum_of_products, "x=2", 3.0),
)


def whole_process(path: str, at: str) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MB) of one `gradcli eval -f PATH --brief --json`."""
    command = [sys.executable, "-m", "gradcli", "eval", "-f", path, "--at", at, "--brief", "--json"]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"gradcli failed on {path}: {process.stderr.read().decode()[:500]}")
    return wall, usage.ru_maxrss / 1024  # KB on Linux


def growth_report(quick: bool) -> None:
    print("## growth, whole process: gradcli eval -f PROGRAM --brief --json")
    repeats = 1 if quick else 3
    with tempfile.TemporaryDirectory() as folder:
        for label, make, at, nodes_per_unit in GROWTH_WORKLOADS:
            rows, walls = [], []
            for nodes in GROWTH_SIZES:
                path = os.path.join(folder, "program.txt")
                with open(path, "w") as file:
                    file.write(make(round(nodes / nodes_per_unit)))
                size = os.path.getsize(path)
                runs = [whole_process(path, at) for _ in range(repeats if nodes < 1_000_000 else 1)]
                wall = median([w for w, _ in runs])
                walls.append(wall)
                peak = max(m for _, m in runs)
                rows.append([f"~{nodes:,}", f"{size / 1e6:.2f} MB", seconds(wall), f"{peak:,.0f} MB"])
            for row, ratio in zip(rows, ["", *growth(walls).split()], strict=True):
                row.append(ratio)
            print(f"### {label}")
            table(["nodes", "program", "wall time (median)", "peak memory", "x per 10x nodes"], rows)
            print()
    print("(x per 10x nodes: 10 is linear; the 10^6 runs are timed once.)")
    print()


def main() -> int:
    growth_only = "--growth" in sys.argv
    if growth_only:
        sys.argv.remove("--growth")
    args = arguments(__doc__.splitlines()[0])
    if growth_only:
        print_machine("gradcli scale: growth of a whole process with the program's size", args.quick)
        growth_report(args.quick)
        return 0
    repeats = {1_000: 5, 10_000: 3, 100_000: 3} if args.quick else {1_000: 15, 10_000: 9, 100_000: 5}
    print_machine("gradcli scale: parse, graph, backward, end to end, beside Lark alone", args.quick)
    print(
        "repetitions (median, after 1 warm-up): " + ", ".join(f"{s:,} nodes: {r}" for s, r in repeats.items())
    )
    print(f"garbage collector thresholds: {gc.get_threshold()}")
    print()
    plain = lark.Lark(grammar_text(), parser="lalr", lexer="contextual")
    workloads = [
        Workload("sum of products: x*1+x*2+...+x*k", sum_of_products, {"x": 2.0}),
        Workload("mixed: every op kind, four variables", mixed, dict(MIXED_VALUES)),
    ]
    for workload in workloads:
        for size in SIZES:
            sized(workload, size)
            measure(workload, size, plain, repeats[size])
        report(workload)
    growth_report(args.quick)
    print(f"load at the end (this benchmark included): {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
