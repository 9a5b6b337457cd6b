"""The eight textbook exercises of issue 18 (tests/exercises.py) in every format a student or a
script reads: text, Markdown, LaTeX and the terminal carry every number of the derivation (as
numbers.format_number writes it, whole), and the JSON fits its schema with the value and every
gradient gradcli.evaluate gives, unrounded. (PDF: tests/test_pdf.py; 60/80/120 columns:
tests/test_narrow_terminals.py.)"""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest
from conftest import run_cli
from exercises import EXERCISES
from test_narrow_terminals import _numbers
from test_schemas import assert_valid

from gradcli.api import evaluate
from gradcli.render import terminal


def _printed_whole(number: str, text: str) -> bool:
    return re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", text) is not None


@pytest.mark.parametrize("fmt", ["text", "markdown", "latex", "rich"])
@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.name)
def test_every_number_of_the_derivation_is_printed(exercise, fmt):
    derivation = evaluate(exercise.source, exercise.values())
    if fmt == "rich":
        console = terminal.Console(file=io.StringIO(), width=100, color_system=None, highlight=False)
        terminal.print_derivation(derivation, console=console)
        text = console.file.getvalue()
    else:
        run = run_cli("eval", exercise.source, "--at", exercise.at, "--format", fmt)
        assert run.code == 0, run.err
        text = run.out
    for number in _numbers(derivation):
        if fmt == "latex" and "e" in number:
            continue  # typeset as a power of ten
        assert _printed_whole(number, text), f"{exercise.name}: {number} missing in {fmt}"


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.name)
def test_json_fits_its_schema_and_holds_the_numbers_unrounded(exercise):
    run = run_cli("eval", exercise.source, "--at", exercise.at, "--json")
    assert run.code == 0, run.err
    assert_valid("eval", run.out, exercise.name)
    data = json.loads(run.out)
    derivation = evaluate(exercise.source, exercise.values())
    assert np.array_equal(np.asarray(data["value"]), np.asarray(derivation.value))
    for name, gradient in derivation.gradient.items():
        assert np.array_equal(np.asarray(data["gradient"][name]), np.asarray(gradient)), name
