"""The HTML page against Markdown (issue 19, must show 4): seed 004's page written in under 2x the
time of `--format markdown`, and under 200 KB.

Two figures, each a ratio to Markdown measured in the same run:
- end to end: `gradcli eval SEED_004 -o page.html` against `-o page.md`, whole processes started
  round-robin (a busy moment of the machine hits both alike), medians after a warm-up round;
- the renderer alone, in this process: `render.html.render` against `render.markdown.render` on
  the same result, for seed 004, the MLP exercise (arrays) and a 150-node chain: with gradcli's
  own graph layout (dot hidden from PATH), and, for information, with Graphviz's layout, which
  costs one `dot` process a page.

    python benchmarks/html_page.py [--quick]

(Not benchmarks/html.py: a script of that name would shadow the standard library's `html`.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import arguments, load, median, print_machine, seconds, spread, table, timed, verdict

import gradcli
from gradcli.render import html, markdown

SEED_004 = ("1/(1+exp(-(w0*x0+w1*x1+w2)))", "w0=2,x0=-1,w1=-3,x1=-2,w2=-3")
MLP = (
    "sum((W2 @ relu(W1 @ x + b1) + b2 - y)^2)",
    dict(
        W1=[[0.2, -0.4], [0.7, 0.1], [-0.3, 0.8]],
        b1=[0.1, 0.0, -0.2],
        W2=[[0.5, -0.6, 0.3], [-0.2, 0.9, 0.4]],
        b2=[0.05, -0.1],
        x=[1.5, -2.0],
        y=[1.0, -1.0],
    ),
)
CHAIN = ("x" + "".join(f" + sin({k}*x)" for k in range(1, 50)), {"x": 0.3})


def end_to_end(rounds: int) -> tuple[list[float], list[float], int]:
    """Wall times of the two commands, alternated, and the page's size."""
    folder = Path(tempfile.mkdtemp())
    times: dict[str, list[float]] = {".html": [], ".md": []}
    for k in range(rounds + 1):
        for suffix in times:
            args = [sys.executable, "-m", "gradcli", "eval", SEED_004[0], "--at", SEED_004[1]]
            start = time.perf_counter()
            subprocess.run([*args, "-o", str(folder / f"page{suffix}")], check=True)
            if k:  # the first round warms the caches
                times[suffix].append(time.perf_counter() - start)
    return times[".html"], times[".md"], (folder / "page.html").stat().st_size


def renderers(repeat: int, graphviz: bool) -> list[list[str]]:
    """Each program's page beside its Markdown. Without Graphviz the page lays the graph out itself
    (the renderer's own work: target < 2x); with it, each page also runs one `dot -Tplain`."""
    source, at = SEED_004
    values = {name: float(value) for name, value in (pair.split("=") for pair in at.split(","))}
    rows = []
    programs = {"seed 004": (source, values), "mlp": MLP, "150-node chain": CHAIN}
    saved = os.environ.get("PATH", "")
    if not graphviz:  # html_graph looks for dot on PATH at each page
        os.environ["PATH"] = os.pathsep.join(
            p for p in saved.split(os.pathsep) if not shutil.which("dot", path=p)
        )
    try:
        for label, (program, point) in programs.items():
            derivation = gradcli.evaluate(program, **point)
            page = timed(lambda d=derivation: html.render(d), repeat)
            md = timed(lambda d=derivation: markdown.render(d), repeat)
            ratio = median(page) / median(md)
            rows.append(
                [
                    f"{label} ({len(derivation.nodes)} nodes)",
                    f"{seconds(median(page))} {spread(page)}",
                    f"{seconds(median(md))} {spread(md)}",
                    f"{ratio:.2f}x",
                    "" if graphviz else verdict(ratio < 2),
                ]
            )
    finally:
        os.environ["PATH"] = saved
    return rows


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    print_machine("HTML page against Markdown", args.quick)
    print(f"load      {load()}\n")
    rounds = 5 if args.quick else 15
    page, md, size = end_to_end(rounds)
    ratio = median(page) / median(md)
    print(f"end to end, seed 004, {rounds} rounds (medians):")
    table(
        ["command", "html", "markdown", "ratio", "< 2x"],
        [["eval -o", seconds(median(page)), seconds(median(md)), f"{ratio:.2f}x", verdict(ratio < 2)]],
    )
    print(f"seed 004's page: {size:,} bytes ({verdict(size < 200_000)}: under 200 KB)\n")
    repeat = 20 if args.quick else 100
    print(f"the renderer alone, gradcli's own layout, {repeat} calls each (medians, interquartile spread):")
    table(["program", "html", "markdown", "ratio", "< 2x"], renderers(repeat, graphviz=False))
    if shutil.which("dot"):
        print("\nthe same with Graphviz's dot on PATH (each page runs dot -Tplain for its layout):")
        table(["program", "html", "markdown", "ratio", ""], renderers(repeat, graphviz=True))
    print(f"load      {load()}")


if __name__ == "__main__":
    main()
