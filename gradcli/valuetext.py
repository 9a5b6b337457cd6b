"""Numbers from text: JSON values (a number, or nested lists of numbers) and CSV matrices, read
without recursion over the user's nesting, every bad element named by its index or its line and
column. Used for `--at W=@w.json|@w.csv` (gradcli.valuefiles) and JSON Lines points with arrays.
"""

from __future__ import annotations

import math
import re

import numpy as np

from .errors import GradcliError, Span

_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}  # as gradcli's JSON writes them


class NotNumbers(ValueError):
    """Nested JSON lists that are not an array of numbers: where (an index) and what is wrong;
    `reference` tells what the first row at that depth is, for rows of different lengths."""

    def __init__(self, index: tuple[int, ...], problem: str, reference: str | None = None) -> None:
        super().__init__(problem)
        self.index, self.problem, self.reference = index, problem, reference

    def describe(self, subject: str) -> str:
        """The problem told of `subject` (a variable's name, a file): `x[2, 1] is not a number: "a"`."""
        where = subject + index_text(self.index)
        if self.reference is None:
            return f"{where} {self.problem}"
        first = subject + index_text((0,) * len(self.index))
        return (
            f"{where} {self.problem}, where {first} {self.reference} (the rows of an array have one length)"
        )


def index_text(index: tuple[int, ...]) -> str:
    """`[2, 1]` for an element, nothing for the whole value."""
    return f"[{', '.join(map(str, index))}]" if index else ""


# --- JSON values: numbers and nested lists of numbers ---


def _shown(value: object) -> str:
    import json

    text = json.dumps(value)
    return text if len(text) < 40 else text[:37] + "..."


def _leaf(value: object, index: tuple[int, ...]) -> float:
    kind = type(value)
    if kind is float or kind is int:  # not bool: JSON's true is not a number
        try:
            return float(value)
        except OverflowError:
            raise NotNumbers(index, f"is too large for float64: {_shown(value)}") from None
    if kind is str and value in _NON_FINITE:
        return _NON_FINITE[value]
    raise NotNumbers(index, f"is not a number: {_shown(value)}")


def _elements(count: int) -> str:
    return "1 element" if count == 1 else f"{count} elements"


def json_array(value: object) -> np.ndarray:
    """A JSON number (or "nan", "inf", "-inf") or nested lists of them as a float64 array.

    Walks the lists level by level (no recursion over the user's nesting), so every row's length
    is checked and a bad element is named by its index. Raises NotNumbers.
    """
    if type(value) is not list:
        return np.asarray(_leaf(value, ()), dtype=np.float64)
    shape: list[int] = []
    probe = value
    while type(probe) is list:
        shape.append(len(probe))
        probe = probe[0] if probe else None
    level: list = [value]
    for depth, length in enumerate(shape):
        following: list = []
        for i, item in enumerate(level):
            if type(item) is not list or len(item) != length:  # never at depth 0: shape came from there
                index = tuple(int(k) for k in np.unravel_index(i, shape[:depth]))
                if type(item) is list:
                    raise NotNumbers(index, f"has {_elements(len(item))}", f"has {length}")
                raise NotNumbers(index, f"is {_shown(item)}", f"is a list of {length}")
            following.extend(item)
        level = following
    if set(map(type, level)) <= {float, int}:
        try:
            return np.array(level, dtype=np.float64).reshape(shape)
        except OverflowError:
            pass  # an integer beyond float64: named below
    flat = [_leaf(item, tuple(int(k) for k in np.unravel_index(i, shape))) for i, item in enumerate(level)]
    return np.array(flat, dtype=np.float64).reshape(shape)


# --- .csv: rows of numbers ---

_CSV_HINT = (
    "a .csv value is rows of numbers separated by commas, no header (lines starting with # are skipped)"
)


def _cells(line: str, comma: bool) -> list[tuple[int, str]]:
    """The cells of a line with their offsets: split at commas, or at spaces (numpy.savetxt's default)."""
    if not comma:
        return [(match.start(), match.group()) for match in re.finditer(r"\S+", line)]
    cells, start = [], 0
    for piece in line.split(","):
        cells.append((start, piece))
        start += len(piece) + 1
    return cells


def _csv_number(cell: str) -> float:
    text = cell.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':  # a spreadsheet's quoted number
        text = text[1:-1].strip()
    if not text or not text.isascii() or "_" in text:  # float() reads '1_0' and any script's digits
        raise ValueError(text)
    return float(text)


def _bad_cell(cell: str) -> str:
    text = cell.strip()
    if not text:
        return "an empty cell"
    if text.startswith("["):
        return f"not a number: {text!r} (a .csv cell holds one number; for arrays, the rows are the array)"
    ascii_hint = "" if text.isascii() else " (numbers are written with the ASCII digits 0-9)"
    return f"not a number: {text!r}{ascii_hint}"


def _csv_row(
    cells: list[tuple[int, str]], line: str, number: int, start: int, text: str, label: str
) -> list[float]:
    if line.isascii() and "_" not in line and '"' not in line:
        try:
            return [float(cell) for _, cell in cells]
        except ValueError:
            pass  # cell by cell, to name the bad one
    row = []
    for column, (at, cell) in enumerate(cells, 1):
        try:
            row.append(_csv_number(cell))
        except ValueError:
            raise GradcliError(
                f"{label}, line {number}, cell {column}: {_bad_cell(cell)}",
                span=Span(number, at + 1, start + at, start + at + max(len(cell), 1)),
                source=text,
                label=label,
                hint=_CSV_HINT,
            ) from None
    return row


def csv_array(text: str, label: str) -> np.ndarray:
    """The numbers of a CSV text as a matrix; one row or one column gives a vector, as
    `numpy.loadtxt(path, delimiter=",", ndmin=1)` does."""
    rows: list[list[float]] = []
    width = first = offset = 0
    comma = None
    for number, raw in enumerate(text.split("\n"), 1):
        start, offset = offset, offset + len(raw) + 1
        line = raw.rstrip("\r")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        comma = ("," in line) if comma is None else comma
        cells = _cells(line, comma)
        if not rows:
            width, first = len(cells), number
        elif len(cells) != width:
            raise GradcliError(
                f"{label}, line {number}: {len(cells)} cells, but line {first} has {width} "
                "(the rows of a matrix have one length)",
                span=Span(number, 1, start, start + max(len(line), 1)),
                source=text,
                label=label,
                hint=_CSV_HINT,
            )
        rows.append(_csv_row(cells, line, number, start, text, label))
    if not rows:
        raise GradcliError(f"{label} holds no numbers", hint=_CSV_HINT)
    array = np.array(rows, dtype=np.float64)
    return array.ravel() if 1 in array.shape else array
