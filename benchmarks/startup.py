"""Start-up: the whole-process wall time of gradcli's commands, beside `python -c "import numpy"`.

Importing numpy is the floor of any numpy-based tool, so every figure is also given as a ratio to
it. All commands run as subprocesses with stdout to a pipe, round-robin in one run (so a busy
moment of the machine hits all of them alike); each figure is the median of the repetitions that
follow two untimed warm-up rounds.

Conditions, printed again with the figures:
- Bytecode is cached (in a private PYTHONPYCACHEPREFIX), as after `pip install`, even where the
  environment sets PYTHONDONTWRITEBYTECODE; the inherited environment gets a line of its own.
- The LALR tables are read from the JSON file shipped beside the grammar (grammars/expr.tables.json):
  nothing is built or written at run time, so there is no cold first run to time apart. (Since
  issue 17 the seed's one-line program is read without Lark: parse/fast.py.)

With `--before DIR`, the same commands of the gradcli in that source tree (the figures before a
change) run in the same rounds, every process started outside the checkout so that PYTHONPATH
decides which gradcli runs.

    python benchmarks/startup.py [--quick] [--before DIR]
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from _common import arguments, before_env, load, median, print_machine, seconds, spread, table, verdict

EXPRESSION = "1/(1+exp(-(w0*x0+w1*x1+w2)))"  # seed 004: a sigmoid neuron
AT = "w0=2,x0=-1,w1=-3,x1=-2,w2=-3"
PYTHON = sys.executable
SCRIPT = shutil.which("gradcli", path=str(Path(PYTHON).parent))
EVAL = ["eval", EXPRESSION, "--at", AT]
BRIEF_JSON = ["eval", "--brief", "--json", EXPRESSION, "--at", AT]

# What typer costs a CLI by itself: one command with parameters (typer 0.29 imports pydantic here).
TYPER_APP = """
import typer
app = typer.Typer(add_completion=False)
@app.command()
def main(x: float = 1.0, name: str = "a") -> None:
    pass
app(["--x", "2"], standalone_mode=False)
"""

# Where the --brief --json path spends its time inside the process, phase by phase.
PHASES = """
import io, json, sys, time
t = [time.perf_counter()]
import gradcli.cli as cli
t.append(time.perf_counter())
import numpy
t.append(time.perf_counter())
import gradcli.api, gradcli.values
t.append(time.perf_counter())
stdout, sys.stdout = sys.stdout, io.StringIO()
code = cli.main(sys.argv[1:])
sys.stdout = stdout
t.append(time.perf_counter())
packages = sorted({name.split(".")[0] for name in sys.modules} - set(sys.stdlib_module_names))
json.dump({"code": code, "t": t, "packages": packages}, sys.stderr)
"""
PHASE_NAMES = [
    "import gradcli.cli (the entry point: Typer only when the arguments need it)",
    "import numpy",
    "import gradcli's engine (api, graph, ops, parse, values)",
    "cli.main(): parse, evaluate, backprop, JSON",
]
# Packages the scripting call must not load: the plain `eval ... --json` form skips Typer (and
# its Click), a one-line program is read without Lark, and JSON needs no Rich.
NOT_LOADED = ("typer", "lark", "rich")


@dataclass
class Case:
    label: str
    argv: list[str]
    env: str = "warm"  # warm | inherited | before
    target: float | None = None  # ratio to the numpy floor
    times: list[float] = field(default_factory=list)
    failure: str | None = None


def python(*args: str) -> list[str]:
    return [PYTHON, *args]


def gradcli(*args: str) -> list[str]:
    return [PYTHON, "-m", "gradcli", *args]


WORKDIR: str | None = None  # every process starts here, outside the checkout (set by main)


def run(argv: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run(
        argv, env=env, cwd=WORKDIR, stdin=subprocess.DEVNULL, capture_output=True, text=True
    )
    return time.perf_counter() - start, done


def cases(inherited_differs: bool, before: bool) -> list[Case]:
    found = [
        Case('python -c "pass"', python("-c", "pass")),
        Case('python -c "import numpy"   (the floor)', python("-c", "import numpy")),
        Case('python -c "import typer"', python("-c", "import typer")),
        Case("typer app, one command with options", python("-c", TYPER_APP)),
        Case("gradcli --version", gradcli("--version")),
        Case("gradcli eval --brief --json", gradcli(*BRIEF_JSON), target=1.5),
    ]
    if SCRIPT:
        found.append(Case("  same, by the console script", [SCRIPT, *BRIEF_JSON], target=1.5))
    found += [
        Case("gradcli eval --format text", gradcli(*EVAL, "--format", "text")),
        Case("gradcli eval   (default: rich, piped)", gradcli(*EVAL), target=2.0),
    ]
    if before:
        found += [
            Case("before: gradcli eval --brief --json", gradcli(*BRIEF_JSON), env="before"),
            Case("before: gradcli eval   (default)", gradcli(*EVAL), env="before"),
        ]
    if inherited_differs:
        found.append(
            Case("gradcli eval --brief --json, inherited env", gradcli(*BRIEF_JSON), env="inherited")
        )
    return found


def measure(found: list[Case], envs: dict[str, dict[str, str]], repeat: int) -> None:
    for _ in range(2):  # warm-up: fills the bytecode cache, then runs warm
        for case in found:
            _, done = run(case.argv, envs[case.env])
            if done.returncode != 0:
                lines = (done.stderr or done.stdout).strip().splitlines()
                case.failure = f"exit {done.returncode}: {lines[0] if lines else ''}"
    active = [case for case in found if case.failure is None]
    for r in range(repeat):
        shift = r % len(active)
        for case in active[shift:] + active[:shift]:
            elapsed, _ = run(case.argv, envs[case.env])
            case.times.append(elapsed)


def report(found: list[Case], floor: float, bare: float) -> None:
    rows = []
    for case in found:
        if case.failure:
            rows.append([case.label, "FAILED", "", "", "", "", case.failure[:70]])
            continue
        t = median(case.times)
        rows.append(
            [
                case.label,
                seconds(t),
                seconds(min(case.times)),
                spread(case.times),
                f"{t / floor:.2f}x",
                f"{(t - bare) * 1e3:+.0f} ms",
                f"<= {case.target:.1f}x" if case.target else "",
            ]
        )
    table(
        ["command (stdout to a pipe)", "median", "min", "IQR", "/ numpy floor", "over bare python", "target"],
        rows,
    )
    for case in found:
        if case.target is None:
            continue
        if case.failure:
            print(f"target  {case.label.strip()}: not measurable, the command fails ({case.failure})")
            continue
        ratio = median(case.times) / floor
        print(
            f"target  {case.label.strip()}: {ratio:.2f}x the floor, target <= {case.target}x: "
            f"{verdict(ratio <= case.target)}"
        )
    print()


def phases(env: dict[str, str], bare: float, repeat: int) -> None:
    runs, walls = [], []
    for _ in range(repeat + 1):
        wall, done = run(python("-c", PHASES, *BRIEF_JSON), env)
        if done.returncode != 0:
            print(f"phase run failed: {done.stderr.strip()[:300]}\n")
            return
        runs.append(json.loads(done.stderr.strip().splitlines()[-1]))
        walls.append(wall)
    runs, walls = runs[1:], walls[1:]
    inside = median([r["t"][-1] - r["t"][0] for r in runs])
    print(f"## Inside one eval --brief --json process (warm caches, median of {repeat})")
    rows = [
        [name, f"{median([r['t'][i + 1] - r['t'][i] for r in runs]) * 1e3:.1f} ms"]
        for i, name in enumerate(PHASE_NAMES)
    ]
    rows.append(["sum of the phases", f"{inside * 1e3:.1f} ms"])
    rows.append(["whole process, same run", f"{median(walls) * 1e3:.1f} ms"])
    outside = median(walls) - inside
    rows.append(["  outside the phases: start-up, exit, teardown", f"{outside * 1e3:.1f} ms"])
    rows.append(['  python -c "pass" (start-up and exit alone)', f"{bare * 1e3:.1f} ms"])
    table(["phase", "median"], rows)
    packages = [name for name in runs[0]["packages"] if not name.startswith("_")]
    print("third-party packages loaded: " + ", ".join(packages))
    for name in NOT_LOADED:
        print(f"{name} imported on this path: {'yes' if name in runs[0]['packages'] else 'no'}")
    print()


_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


def import_times(env: dict[str, str], repeat: int) -> None:
    """`python -X importtime`, median over several runs: the top 10 by cumulative time, and the
    self time summed by top-level package (what start-up pays for)."""
    cumulative: dict[str, list[int]] = {}
    depth: dict[str, int] = {}
    order: list[str] = []
    packages: list[dict[str, int]] = []
    for _ in range(repeat):
        _, done = run([PYTHON, "-X", "importtime", "-m", "gradcli", *BRIEF_JSON], env)
        totals: dict[str, int] = {}
        for match in _IMPORT_LINE.finditer(done.stderr):
            own, cum, indent, name = int(match[1]), int(match[2]), match[3], match[4]
            if name not in depth:
                order.append(name)
            depth[name] = (len(indent) - 1) // 2
            cumulative.setdefault(name, []).append(cum)
            top = name.split(".")[0]
            group = "(stdlib)" if top in sys.stdlib_module_names or top.startswith("_") else top
            totals[group] = totals.get(group, 0) + own
        packages.append(totals)
    print(f"## python -X importtime -m gradcli eval --brief --json (median of {repeat} runs)")
    print("Top 10 by cumulative time (indented by import depth):")
    ranked = sorted(order, key=lambda n: -statistics.median(cumulative[n]))[:10]
    rows = [["  " * depth[n] + n, f"{statistics.median(cumulative[n]) / 1e3:.1f} ms"] for n in ranked]
    table(["module", "cumulative"], rows)
    print("Self time by top-level package (all imports of the run):")
    groups = {g for totals in packages for g in totals}
    summed = {g: statistics.median([totals.get(g, 0) for totals in packages]) for g in groups}
    everything = sum(summed.values())
    rows = [
        [g, f"{us / 1e3:.1f} ms", f"{100 * us / everything:.0f}%"]
        for g, us in sorted(summed.items(), key=lambda item: -item[1])
        if us >= 500
    ]
    rows.append(["all imports", f"{everything / 1e3:.1f} ms", "100%"])
    table(["package", "self time", "share"], rows)
    print("(importtime inflates what it measures; read the shares, and the phases above for ms.)")
    print()


def main() -> int:
    global WORKDIR
    args = arguments(__doc__.splitlines()[0], before=True)
    repeat = 5 if args.quick else 15
    print_machine("gradcli start-up, whole process, beside the numpy floor", args.quick)
    with tempfile.TemporaryDirectory(prefix="gradcli-startup-") as tmp:
        workdir = Path(tmp)
        WORKDIR = tmp
        warm = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        warm["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
        inherited = dict(os.environ)
        inherited_differs = "PYTHONDONTWRITEBYTECODE" in os.environ
        found = cases(inherited_differs, args.before is not None)
        envs = {"warm": warm, "inherited": inherited}
        if args.before is not None:
            envs["before"] = before_env(args.before, warm) or {}
        measure(found, envs, repeat)
        floor = median(found[1].times)
        bare = median(found[0].times)
        print(f"## Whole process, median of {repeat} runs each, round-robin after 2 warm-up rounds")
        print(f'expression: "{EXPRESSION}" --at {AT}')
        print("bytecode cached (PYTHONPYCACHEPREFIX, private), LALR tables from the shipped JSON")
        if inherited_differs:
            print(
                "inherited env: PYTHONDONTWRITEBYTECODE=1 as set here, so gradcli's own modules (an "
                "editable install without __pycache__) are compiled at every start"
            )
        print()
        report(found, floor, bare)
        brief = next(case for case in found if case.label == "gradcli eval --brief --json")
        if brief.failure is None:
            phases(warm, bare, 3 if args.quick else 9)
            import_times(warm, 3 if args.quick else 7)
    print(f"load at the end (this benchmark included): {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
