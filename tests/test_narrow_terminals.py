"""The derivation in a terminal 60, 80 and 120 columns wide (issue 18): the eight exercises of
tests/exercises.py in golden files (tests/golden/narrow/, looked at by a person; regenerate with
GRADCLI_UPDATE_GOLDEN=1), no line wider than the terminal, and no number or word split across
lines: where the backward table does not fit, its rows are stacked (render/terminal.Fitting)."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import numpy as np
import pytest
from exercises import EXERCISES

from gradcli.api import evaluate
from gradcli.numbers import format_number
from gradcli.render import terminal

GOLDEN = Path(__file__).parent / "golden" / "narrow"
WIDTHS = (60, 80, 120)


def _render(exercise, width: int) -> str:
    derivation = evaluate(exercise.source, exercise.values())
    console = terminal.Console(file=io.StringIO(), width=width, color_system=None, highlight=False)
    terminal.print_derivation(derivation, console=console)
    return console.file.getvalue()


def _numbers(derivation) -> set[str]:
    """Every number the derivation prints: node values, gradients, the steps' three columns."""
    arrays = [node.value for node in derivation.nodes] + list(derivation.gradient.values())
    for step in derivation.steps:
        arrays += [step.upstream, step.contribution] + ([step.local] if step.local is not None else [])
    found = set()
    for array in arrays:
        flat = np.ravel(array)
        if flat.size <= 12:  # bigger arrays are summarised
            found.update(format_number(v) for v in flat)
    return found


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.name)
def test_golden_at_each_width(exercise, width):
    text = _render(exercise, width)
    path = GOLDEN / f"{exercise.name}-{width}.txt"
    if os.environ.get("GRADCLI_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{path.name}: regenerate with GRADCLI_UPDATE_GOLDEN=1"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.name)
def test_nothing_is_cut_or_split(exercise, width):
    text = _render(exercise, width)
    assert max(len(line) for line in text.splitlines()) <= width
    for word in ("contribution", "upstream"):
        assert word in text or "No backward steps" in text
    for number in _numbers(evaluate(exercise.source, exercise.values())):
        pattern = rf"(?<![\d.]){re.escape(number)}(?![\d])"
        assert re.search(pattern, text), f"{number} is not printed whole at {width} columns"


def test_a_narrow_table_is_stacked_and_a_wide_one_is_not():
    mlp = next(e for e in EXERCISES if e.name == "mlp")
    narrow, wide = _render(mlp, 60), _render(mlp, 250)
    assert "= contribution [" in narrow  # one line a value, the label beside it
    assert "= contribution" in wide and "= contribution [" not in wide  # the table's header
