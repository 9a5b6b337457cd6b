"""Every command's --help at 80 columns (issue 18): no line wider than the terminal, no word
split at a hyphen or inside a quoted example, and the examples each on lines of their own, so
they can be copied (click's layout; `\\b` keeps an examples block line by line)."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys

import pytest

COMMANDS = ["", "eval", "graph", "check", "diff", "hessian", "descend", "demo", "exercise", "grade"]


def _help(command: str, columns: int = 80) -> str:
    argv = [sys.executable, "-m", "gradcli", *([command] if command else []), "--help"]
    env = {"COLUMNS": str(columns), "NO_COLOR": "1", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_help_reads_well_at_80_columns(command):
    text = _help(command)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80, [line for line in lines if len(line) > 80]
    for line, following in itertools.pairwise(lines):
        # A word broken at its hyphen: `--skip-` then `bad`, `comma-` then `separated`.
        assert not (re.search(r"\w-$", line) and re.match(r"\s*[a-z]", following)), (line, following)
    assert "╭" not in text  # click's plain layout, not boxes that squeeze the help column


@pytest.mark.parametrize("command", [c for c in COMMANDS if c])
def test_examples_are_whole_commands_on_lines_of_their_own(command):
    text = _help(command)
    if "Example" not in text:
        pytest.skip(f"{command} --help shows no example")
    block = text.split("Example", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    assert block, text
    for line in block:
        stripped = line.strip()
        continued = stripped.startswith("--")  # the rest of a command after a `\\` line
        assert stripped.startswith("gradcli") or continued, line
    for line, following in itertools.pairwise(block):
        if following.strip().startswith("--"):
            assert line.endswith("\\"), (line, following)  # a shell continuation, copyable
