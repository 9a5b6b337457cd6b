"""The fast paths for big inputs give what the careful paths give.

A plain number in `--at` skips the parser (gradcli/values.py): the same value, bit for bit and of
the same type, the same span, and the same errors for everything the fast path leaves to the
parser. The finite checks of many gradients run in one numpy call (gradcli/derivation.py): the
same warnings. No test here times anything.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import run_cli

import gradcli
from gradcli import values
from gradcli.derivation import all_finite
from gradcli.errors import GradcliError

NEVER = re.compile(r"(?!)")  # a pattern that matches nothing: every value through the parser

VALUES = [
    "2", "-2", "+2", "2.5", ".5", "5.", "-.5", "+.5", "1e-3", "1E+05", "-1.5e-7", "007", "00.5e+0",
    "-0", "-0.0", "+0", "0e0", "1e-400", "1e308", "1.7976931348623157e308", "4.9406564584124654e-324",
    "0.1", "123456789012345678901234567890", "9007199254740993", " 3", "3 ", "\t-3.5e-2\f", "\r4",
]  # fmt: skip
ERRORS = [
    "1e400", "-1e400", "1_0", "١", "１", "--2", "- 2", "1e", "1e+", ".", "+", "-", "2x", "0x10", "1.2.3",
    "inf", "nan", "Infinity", "pi/4", "[1,2]", "(2)", "e", "1 2", "",
]  # fmt: skip


def _parse(text: str, fast: bool, monkeypatch) -> tuple:
    """parse_at's result (or its error), with the fast paths on or off."""
    monkeypatch.setattr(values, "_PLAIN_PAIR", values._PLAIN_PAIR if fast else NEVER)
    monkeypatch.setattr(values, "_PLAIN_NUMBER", values._PLAIN_NUMBER if fast else NEVER)
    try:
        result = values.parse_at([text])
    except GradcliError as error:
        return ("error", error.message, error.span, error.source, error.hint, error.label)
    return tuple(
        (name, type(v.value), np.asarray(v.value).tobytes(), v.value.shape, v.text, v.span, v.label)
        for name, v in result.items()
    )


@pytest.mark.parametrize("value", VALUES + ERRORS)
@pytest.mark.parametrize("form", ["x={}", " x = {} ", "a=1,x={},b=-2"])
def test_plain_numbers_skip_the_parser_to_the_same_result(value, form, monkeypatch):
    text = form.format(value)
    saved = values._PLAIN_PAIR, values._PLAIN_NUMBER
    fast = _parse(text, True, monkeypatch)
    monkeypatch.setattr(values, "_PLAIN_PAIR", saved[0])
    monkeypatch.setattr(values, "_PLAIN_NUMBER", saved[1])
    assert fast == _parse(text, False, monkeypatch)


def test_the_fast_path_is_taken(monkeypatch):
    def no_parser(*args, **kwargs):
        raise AssertionError("the parser ran")

    monkeypatch.setattr(values, "parse_program", no_parser)
    parsed = values.parse_at(["w0=2,x0=-1.5e-3", " y = +.5 ", "z=\t7"])
    assert {name: float(v.value) for name, v in parsed.items()} == {"w0": 2, "x0": -0.0015, "y": 0.5, "z": 7}


def _split_by_walking(text: str) -> list[tuple[int, str]]:
    """The character walk of values._split_top_level (without brackets, the depth stays 0)."""
    pieces, start = [], 0
    for i, char in enumerate(text):
        if char == ",":
            pieces.append((start, text[start:i]))
            start = i + 1
    pieces.append((start, text[start:]))
    return pieces


@pytest.mark.parametrize("text", ["", ",", "a=1", "a=1,b=2", ",a=1,,b=2,", "x=1)", "a=]1,b=2", " , "])
def test_splitting_without_brackets(text):
    assert values._split_top_level(text) == _split_by_walking(text)


def test_errors_at_the_command_line_are_unchanged(monkeypatch):
    for at in ("x=1e400", "x=1_0", "x=2,y=--", "x=١"):
        fast = run_cli("eval", "x*y", "--at", at, "--at", "y=2")
        monkeypatch.setattr(values, "_PLAIN_PAIR", NEVER)
        monkeypatch.setattr(values, "_PLAIN_NUMBER", NEVER)
        careful = run_cli("eval", "x*y", "--at", at, "--at", "y=2")
        monkeypatch.undo()
        assert (fast.code, fast.out, fast.err) == (careful.code, careful.out, careful.err)
        assert fast.code == 2


def test_many_variables_through_the_cli():
    n = 2000
    source = " + ".join(f"w{i}*x{i}" for i in range(n))
    at = ",".join(f"w{i}={i / 7},x{i}={-i / 3}" for i in range(n))
    result = run_cli("eval", source, "--at", at, "--brief", "--json").json()
    assert result["value"] == float(sum(np.float64(i / 7) * np.float64(-i / 3) for i in range(n)))
    assert result["gradient"]["w5"] == -5 / 3 and result["gradient"]["x5"] == 5 / 7


@pytest.mark.parametrize(
    ("given", "finite"),
    [
        ([], True),
        ([np.float64(1), np.float64(-0.0)], True),
        ([np.float64(1), np.float64(np.nan)], False),
        ([np.float64(1), np.float64(-np.inf)], False),
        ([np.float64(1), np.array(2.0)], True),
        ([np.array([1.0, np.inf]), np.float64(1)], False),
        ([np.array([1e308, 1e308])], True),  # the sum overflows, the elements do not
        ([np.array([np.inf, -np.inf])], False),
        ([1.0, np.zeros((2, 3))], True),
    ],
)
def test_all_finite(given, finite):
    assert all_finite(given) is finite
    assert all_finite(iter(given)) is finite


def test_warnings_for_non_finite_gradients_are_unchanged():
    result = gradcli.evaluate("sqrt(x) + y*log(z) + w", x=0.0, y=1.0, z=0.0, w=2.0)
    assert result.warnings[:3] == [
        "the gradient with respect to 'x' is not finite: inf",
        "the gradient with respect to 'y' is not finite: -inf",
        "the gradient with respect to 'z' is not finite: inf",
    ]
    assert not any("'w'" in warning for warning in result.warnings)
