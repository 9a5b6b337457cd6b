"""What students write in a cell, and what they do to tables: read by homework/answers.py's own
grammar (never eval) and homework/sheet.py's tolerant parser."""

from __future__ import annotations

import math

import numpy as np
import pytest
from homework.fill import answers_from_key
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gradcli.api as api
from gradcli.errors import GradcliError
from gradcli.homework.answers import AnswerError, read_answer
from gradcli.render import json_out, sheet


@pytest.mark.parametrize(
    "text, value",
    [
        ("0.25", 0.25),
        ("-1/4", -0.25),
        ("−0.25", -0.25),  # U+2212
        ("– 0.25", -0.25),
        ("e^-1", math.exp(-1)),
        ("e^(-1)", math.exp(-1)),
        ("e^{-2}", math.exp(-2)),
        ("2e^-1", 2 * math.exp(-1)),
        ("2·e^-1", 2 * math.exp(-1)),
        ("1/e", math.exp(-1)),
        ("1.5e-3", 0.0015),
        ("2.5×10^-3", 0.0025),
        ("  3  ", 3.0),
        ("$0.5$", 0.5),
        ("+2", 2.0),
        ("--2", 2.0),
        ("[0.2, −0.8]", [0.2, -0.8]),
        ("[[1, 0], [0, 2]]", [[1, 0], [0, 2]]),
    ],
)
def test_numbers_people_write(text, value):
    answer = read_answer(text)
    np.testing.assert_allclose(answer.value, value, rtol=1e-12)


@pytest.mark.parametrize("text", ["", "  ", "?", "…"])
def test_an_empty_cell(text):
    assert read_answer(text) is None


@pytest.mark.parametrize(
    "text, column, says",
    [
        ("0.5x", 3, "'x' is not part of a number"),
        ("1 0.5", 2, "unexpected"),
        ("1/0", 3, "division by zero"),
        ("[1, 2", 5, "expected ',' or ']'"),
        ("[[1, 2], [3]]", 12, "different lengths"),
        ("__import__('os')", 0, "'_' is not part of a number"),
        ("e^", 2, "expected the exponent"),
    ],
)
def test_what_is_not_a_number_says_where(text, column, says):
    with pytest.raises(AnswerError) as caught:
        read_answer(text)
    assert says in str(caught.value)
    assert caught.value.column == column


def test_the_tolerance_is_the_students_rounding():
    assert read_answer("0.25").tolerance == pytest.approx(0.005)
    assert read_answer("14").tolerance == pytest.approx(0.5)  # two digits written
    assert read_answer("3").tolerance == pytest.approx(0.05)  # one digit: read as 3.0
    assert read_answer("0.2").tolerance == pytest.approx(0.005)
    assert read_answer("0.2", digits=1).tolerance == pytest.approx(0.05)
    assert read_answer("-1/4").tolerance == 0  # fractions and powers of e are exact
    assert read_answer("e^-1").tolerance == 0
    assert read_answer("0").tolerance == 0


def _filled(level=2, seed=11):
    made = api.exercise(level, seed)
    return made, sheet.to_markdown(made, answers_from_key(made, json_out.render(made.key)))


def test_a_table_people_have_edited_still_reads():
    _, text = _filled()
    messy = []
    for line in text.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            line = "   " + line.strip("|").replace("|", "  |   ").replace("-", "−") + "   "
        messy.append(line)
    record = api.grade("\n".join(messy) + "\n")
    assert record.passed, [m for m in record.marks if m.status != "correct"]


def test_fractions_and_powers_of_e_are_graded_exactly():
    made = api.exercise(1, 0)
    answers = answers_from_key(made, json_out.render(made.key))
    value = float(made.key.nodes[made.key.steps[0].of].value)
    assert value == int(value)
    key = next(k for k in answers if k[0] == "backward" and k[2] == "upstream")
    answers[key] = "4/4"
    assert api.grade(sheet.to_markdown(made, answers)).passed


def test_a_missing_row_is_blank_not_an_error():
    _, text = _filled()
    lines = [line for line in text.splitlines() if not line.startswith("| 3 |")]
    record = api.grade("\n".join(lines) + "\n")
    blank = [mark for mark in record.marks if mark.status == "blank"]
    assert {mark.row for mark in blank} == {"3"} and all(mark.line == 0 for mark in blank)


def test_a_bad_cell_in_a_csv_points_at_its_line():
    made = api.exercise(1, 4)
    text = sheet.to_csv(made, answers_from_key(made, json_out.render(made.key)))
    lines = text.splitlines()
    row = next(k for k, line in enumerate(lines) if line.startswith("forward,v1,"))
    parts = lines[row].split(",")
    parts[3] = "abc"
    lines[row] = ",".join(parts)
    with pytest.raises(GradcliError) as caught:
        api.grade("\n".join(lines) + "\n", name="s.csv")
    message = caught.value.render()
    assert f"line {row + 1}" in message and "'a' is not part of a number" in message


def test_a_sheet_whose_point_is_broken_says_so():
    _, text = _filled()
    broken = text.replace("at: `", "at: `a=[1,", 1)
    with pytest.raises(GradcliError):
        api.grade(broken)


@pytest.mark.parametrize("text", ["1e400", "e^1000", "10^400", "[" * 20 + "1" + "]" * 20])
def test_what_would_overflow_is_refused(text):
    with pytest.raises(AnswerError):
        read_answer(text)


CELL_TEXT = st.text(alphabet="0123456789.-−+/*^e()[]{}, xE·×$?", max_size=14)


@settings(max_examples=400, deadline=None)
@given(CELL_TEXT)
def test_any_cell_text_is_a_number_or_a_clear_refusal(text):
    try:
        answer = read_answer(text)
    except AnswerError as error:
        assert 0 <= error.column <= len(text)
        return
    assert answer is None or answer.value.dtype == float


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(level=st.sampled_from([1, 2, 3, 4]), seed=st.integers(0, 50), texts=st.lists(CELL_TEXT, max_size=4))
def test_a_sheet_with_anything_in_its_cells_grades_or_is_refused(level, seed, texts):
    """Never a traceback: a mark for every cell, or a GradcliError (exit 2)."""
    made = api.exercise(level, seed)
    answers = answers_from_key(made, json_out.render(made.key))
    for where, text in zip(list(answers), texts, strict=False):
        answers[where] = text.replace("|", "")
    try:
        record = api.grade(sheet.to_markdown(made, answers))
    except GradcliError:
        return
    assert len(record.marks) == len(answers)
