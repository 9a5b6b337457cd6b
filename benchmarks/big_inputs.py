"""Big inputs: the sum of 50,000 products of 10^5 variables, through the CLI, beside Lark alone.

    w0*x0 + w1*x1 + ... + w49999*x49999      --at w0=...,x0=...,... (10^5 values)

The program is read with -f; its 10^5 values come in `--at` options of under 100 kB each (one
argument may hold at most 128 kB on Linux), and the command prints `--brief --json`. The anchor is
Lark alone parsing the program's text into a plain tree (gradcli's grammar, LALR, contextual
lexer, no transformer: the floor of any Lark-based tool), timed in this process in the same run;
the CLI is a whole process, start-up included. Lark alone is timed as a plain call and again
with the garbage collector paused (as gradcli's parse runs; the stricter anchor, shown beside).
Target: the CLI within 2x the anchor (the plain call, as issue 17 measured it), and linear
growth (10 per 10x variables, at 10^3, 10^4 and 10^5). With `--before DIR`, the gradcli of an
earlier source tree runs in the same rounds (its output must be byte-identical).

Then where the time goes inside one process, phase by phase (the values of --at, the program's
parse, evaluate, the JSON), so what is left can be read off. Since issue 17 a one-line program of
names, numbers, calls and `+ - * / ^` is read without Lark (gradcli/parse/fast.py, the same AST):
the phases also show the same parse by the grammar's Lark parser, the path of every other program.

    python benchmarks/big_inputs.py [--quick] [--before DIR]
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import time
from pathlib import Path

import lark
from _common import (
    arguments,
    before_env,
    median,
    print_machine,
    run_timed,
    seconds,
    spread,
    table,
    timed,
    verdict,
)

from gradcli.parse import grammar_text, parse_program, parser

SIZES = (1_000, 10_000, 100_000)  # variables: half of them w, half x
TARGET = 2.0  # the CLI within 2x Lark alone parsing the program
ARGUMENT_BYTES = 100_000


def program(variables: int) -> str:
    return " + ".join(f"w{i}*x{i}" for i in range(variables // 2))


def at_options(variables: int) -> list[str]:
    """`--at` options of under 100 kB each, every variable a plain number."""
    pairs = [f"w{i}={(i % 7) / 4 - 0.5}" for i in range(variables // 2)]
    pairs += [f"x{i}={(i % 5) / 2 + 0.25}" for i in range(variables // 2)]
    options, current, size = [], [], 0
    for pair in pairs:
        if current and size + len(pair) + 1 > ARGUMENT_BYTES:
            options.append(",".join(current))
            current, size = [], 0
        current.append(pair)
        size += len(pair) + 1
    options.append(",".join(current))
    return [part for option in options for part in ("--at", option)]


def command(path: Path, variables: int, out: Path) -> list[str]:
    return [sys.executable, "-m", "gradcli", "eval", "-f", str(path), "--brief", "--json", "-o", str(out)]


def lark_alone(plain: lark.Lark, text: str, repeat: int, paused: bool = False) -> list[float]:
    """Lark's parse as a plain call (the collector running), or with the collector paused (as
    gradcli's own parse runs: with it running, Lark's parse grows faster than the text)."""
    if not paused:
        return timed(lambda: plain.parse(text), repeat)
    gc.disable()
    try:
        return timed(lambda: plain.parse(text), repeat)
    finally:
        gc.enable()


def phases(text: str, options: list[str]) -> list[list[str]]:
    """One process's phases, as the CLI runs them (the collector paused, as in evaluate)."""
    from gradcli.api import evaluate
    from gradcli.gcpause import no_gc
    from gradcli.render import json_out
    from gradcli.values import parse_at

    rows, took = [], {}
    with no_gc():
        start = time.perf_counter()
        values = parse_at(options[1::2])
        took["--at: 10^5 values"] = time.perf_counter() - start
        start = time.perf_counter()
        parsed = parse_program(text)
        took["parse the program (parse/fast.py: a one-line program)"] = time.perf_counter() - start
        start = time.perf_counter()
        parser().parse(text)
        lark_parse = time.perf_counter() - start
        start = time.perf_counter()
        derivation = evaluate(parsed, values, record_steps=False)
        took["evaluate (graph, backprop, record)"] = time.perf_counter() - start
        start = time.perf_counter()
        json_out.render(derivation, brief=True)
        took["JSON, --brief (render/json_out.py)"] = time.perf_counter() - start
    for name, seconds_taken in took.items():
        rows.append([name, seconds(seconds_taken)])
    rows.append(["sum", seconds(sum(took.values()))])
    rows.append(["(not in the sum) the same parse by the grammar's Lark parser", seconds(lark_parse)])
    return rows


def main() -> int:
    args = arguments(__doc__.splitlines()[0], before=True)
    repeat = 2 if args.quick else 5
    print_machine("Big inputs: 10^5 variables through the CLI, beside Lark alone", args.quick)
    plain = lark.Lark(grammar_text(), parser="lalr", lexer="contextual")
    env = {**os.environ, "NO_COLOR": "1"}
    before = before_env(args.before, env)
    rows, walls = [], {"after": [], "before": [], "lark": []}
    with tempfile.TemporaryDirectory() as folder:
        for variables in SIZES:
            text, options = program(variables), at_options(variables)
            path = Path(folder) / "program.txt"
            path.write_text(text)
            runs: dict[str, list[tuple[float, float]]] = {"after": [], "before": []}
            outs = {"after": Path(folder) / "after.json", "before": Path(folder) / "before.json"}
            for round_ in range(repeat + 1):
                for who, run_env in (("after", env), ("before", before)):
                    if run_env is None:
                        continue
                    took = run_timed([*command(path, variables, outs[who]), *options], run_env, cwd=folder)
                    if round_:
                        runs[who].append(took)
            if before is not None:
                assert outs["after"].read_bytes() == outs["before"].read_bytes(), "the output changed"
            gc.collect()
            anchor = median(lark_alone(plain, text, repeat))
            anchor_paused = median(lark_alone(plain, text, repeat, paused=True))
            after = median([wall for wall, _ in runs["after"]])
            walls["after"].append(after)
            walls["lark"].append(anchor)
            row = [f"{variables:,}", f"{len(text) / 1e3:,.0f} kB", seconds(anchor), seconds(after)]
            row += [spread([w for w, _ in runs["after"]]), seconds(median([c for _, c in runs["after"]]))]
            row += [f"{after / anchor:.2f}x", seconds(anchor_paused), f"{after / anchor_paused:.2f}x"]
            if before is not None:
                earlier = median([wall for wall, _ in runs["before"]])
                walls["before"].append(earlier)
                row += [seconds(earlier), f"{earlier / anchor:.2f}x"]
            rows.append(row)
        headers = ["variables", "program", "Lark alone", "gradcli CLI", "spread", "CLI CPU", "CLI / Lark"]
        headers += ["Lark, gc paused", "CLI / that"]
        if before is not None:
            headers += ["before", "before / Lark"]
        print(f"## The CLI (a process: -f PROGRAM --at ... --brief --json), medians of {repeat}")
        table(headers, rows)
        growth = [b / a for a, b in zip(walls["after"], walls["after"][1:], strict=False)]
        print("growth per 10x variables (10 is linear): " + ", ".join(f"{g:.1f}" for g in growth))
        if before is not None:
            earlier = [b / a for a, b in zip(walls["before"], walls["before"][1:], strict=False)]
            print("  before: " + ", ".join(f"{g:.1f}" for g in earlier))
            print("the output before and after: byte-identical (checked)")
        ratio = walls["after"][-1] / walls["lark"][-1]
        met = verdict(ratio <= TARGET)
        print(f"target  10^5 variables: the CLI {ratio:.2f}x Lark alone, target <= {TARGET}x: {met}")
        print()
        print("## Inside one process, 10^5 variables (the collector paused, as evaluate does)")
        table(["phase", "wall time"], phases(program(SIZES[-1]), at_options(SIZES[-1])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
