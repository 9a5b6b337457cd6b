"""Shared helpers: run the real CLI in-process (fast) or as a subprocess (the installed script)."""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

import pytest
from hypothesis import settings

from gradcli.cli import main

# In CI the property tests replay a fixed set of examples (derandomize), so a submission's CI run
# does not depend on which random expressions it happened to draw; on a developer's machine they
# keep exploring new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


class _Stdin(io.StringIO):
    def isatty(self) -> bool:
        return False


def run_cli(*args: str, stdin: str | None = None) -> Run:
    """`gradcli ARGS...` in this process, with stdin/stdout/stderr captured."""
    saved = sys.stdin, sys.stdout, sys.stderr
    out, err = io.StringIO(), io.StringIO()
    sys.stdin = _Stdin(stdin or "")
    sys.stdout, sys.stderr = out, err
    try:
        code = main(list(args))
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
    return Run(code, out.getvalue(), err.getvalue())


def run_process(*args: str, stdin: str | None = None, timeout: float = 120) -> Run:
    """`gradcli ARGS...` as a separate process (`python -m gradcli`), as a user runs it."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
    done = subprocess.run(
        [sys.executable, "-m", "gradcli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    return Run(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def cli():
    return run_cli


def compile_latex(tex) -> None:
    """Run pdflatex on the file `tex` (a Path) in its folder and assert it compiled; skip without
    pdflatex, fail in CI (where .ci/run installs it)."""
    pdflatex = require_program("pdflatex")
    done = subprocess.run(
        [pdflatex, "-interaction=nonstopmode", "-halt-on-error", tex.name],
        cwd=tex.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:]


def require_program(name: str) -> str:
    """The path of an external program; skip without it, but fail in CI (where .ci/run installs it)."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is not installed, but CI must have it (.ci/run installs it)")
        pytest.skip(f"{name} is not installed")
    return path


# Where each op with a kink is not differentiable, as a distance from its inputs to the kink.
KINK_DISTANCE = {
    "relu": lambda x: abs(x),
    "abs": lambda x: abs(x),
    "sign": lambda x: abs(x),
    "step": lambda x: abs(x),
    "sqrt": lambda x: abs(x),
    "max": lambda a, b: abs(a - b),
    "min": lambda a, b: abs(a - b),
    "pow": lambda a, b: abs(a),
    "norm": lambda x: abs(x),
    "amax": lambda x: math.inf,  # one number is never tied with another
    "amin": lambda x: math.inf,
}


def _more_kink_distances() -> None:
    """The distances of later parts of the language (tests/closed_forms_*.py, KINK_DISTANCE)."""
    import importlib
    from pathlib import Path

    for path in sorted(Path(__file__).parent.glob("closed_forms_*.py")):
        KINK_DISTANCE.update(getattr(importlib.import_module(path.stem), "KINK_DISTANCE", {}))


_more_kink_distances()
