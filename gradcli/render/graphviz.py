"""SVG and PNG through Graphviz's `dot` program, when it is installed."""

from __future__ import annotations

import shutil
import subprocess

from ..errors import GradcliError


def to_image(dot_text: str, fmt: str) -> bytes:
    program = shutil.which("dot")
    if program is None:
        raise GradcliError(
            f"--format {fmt} needs Graphviz's `dot` program, which is not installed",
            hint="install Graphviz (Debian/Ubuntu: sudo apt-get install graphviz; "
            "macOS: brew install graphviz), or use --format dot, which needs nothing",
        )
    done = subprocess.run([program, f"-T{fmt}"], input=dot_text.encode(), capture_output=True, timeout=300)
    if done.returncode != 0:  # our DOT is always valid; a failure here is Graphviz's or ours
        raise RuntimeError(f"dot -T{fmt} failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout
