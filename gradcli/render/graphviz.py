"""SVG and PNG through Graphviz's `dot` program, when it is installed.

dot's layout time grows much faster than the graph: measured here (Graphviz 2.43, one core of a
shared 2-core machine) on the record-and-circle graphs gradcli draws, 500 nodes took 0.1 s,
1,000 0.3 s, 2,000 1.1 s, 4,000 6 s and 8,000 38 s (a 9,000-node SVG ran 300 s). The shape
matters as much as the size: a 377-node chain (`c = c*w + 1` repeated, every stage reading w)
did not finish in 400 s. So above MAX_NODES a picture is refused up front, with the way to draw
it anyway, and below it dot runs with a timeout scaled by the size (14 s for that chain), so
it stops in seconds and says why.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess

from ..errors import GradcliError

MAX_NODES = 4_000  # ~6 s of layout here; the next doubling takes ~40 s
_SECONDS_BASE = 10.0
_SECONDS_PER_NODE = 0.01  # ~5x the measured time at MAX_NODES, for slower machines
_STDERR_LINES = 5  # of dot's message, quoted in ours


def timeout_for(nodes: int) -> float:
    """Seconds dot may take for a graph of `nodes` nodes."""
    return _SECONDS_BASE + _SECONDS_PER_NODE * nodes


def _draw_it_yourself(fmt: str) -> str:
    return (
        f"write the graph with --format dot and run Graphviz yourself: dot -T{fmt} graph.dot -o graph.{fmt}"
    )


def check_size(nodes: int, fmt: str) -> None:
    """Refuse, before any work, a picture dot would take minutes to lay out."""
    if nodes > MAX_NODES:
        raise GradcliError(
            f"the graph has {nodes:,} nodes: too big for an {fmt.upper()} picture "
            f"(Graphviz's layout time grows steeply: past {MAX_NODES:,} nodes, tens of seconds to minutes)",
            hint=_draw_it_yourself(fmt),
        )


def to_image(dot_text: str, fmt: str, nodes: int) -> bytes:
    check_size(nodes, fmt)
    program = shutil.which("dot")
    if program is None:
        raise GradcliError(
            f"--format {fmt} needs Graphviz's `dot` program, which is not installed",
            hint="install Graphviz (Debian/Ubuntu: sudo apt-get install graphviz; "
            "macOS: brew install graphviz), or use --format dot, which needs nothing",
        )
    seconds = timeout_for(nodes)
    # A session of its own, so that a timeout ends dot and anything it started, not just the shell
    # a wrapper script runs in (whose children would keep the pipes open).
    with subprocess.Popen(
        [program, f"-T{fmt}"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    ) as process:
        try:
            image, errors = process.communicate(dot_text.encode(), timeout=seconds)
        except subprocess.TimeoutExpired:
            _kill(process)
            raise GradcliError(
                f"Graphviz's dot did not finish drawing the graph ({nodes:,} nodes) in {seconds:.0f} s",
                hint=_draw_it_yourself(fmt),
            ) from None
        except BaseException:  # Ctrl-C: do not leave dot running
            _kill(process)
            raise
    if process.returncode != 0:  # our DOT is valid: a broken or mismatched Graphviz install
        lines = errors.decode(errors="replace").strip().splitlines()[:_STDERR_LINES]
        said = "\n".join(f"  {line}" for line in lines) or "  (it printed nothing)"
        raise GradcliError(
            f"Graphviz's dot failed (exit {process.returncode}) drawing {fmt.upper()}:\n{said}",
            hint=f"check the Graphviz install (dot -V), or {_draw_it_yourself(fmt)}",
        )
    return image


def _kill(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()
