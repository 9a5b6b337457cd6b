"""Numbers and arrays for people, in one style for every human format (text, rich, Markdown,
LaTeX, HTML): N significant digits (`--digits`), trailing zeros dropped, scientific notation
when very small or large, never `-0`; the inputs a user gave shown exactly as given. JSON is not
rounded (`plain`)."""

from __future__ import annotations

import math

import numpy as np

MAX_INLINE_ELEMENTS = 12


def format_number(value: float, digits: int | None = 4) -> str:
    """`digits` significant digits, trailing zeros dropped (0.6, not 0.6000; 2, not 2.000),
    scientific notation when very small or large (`3e16`, `1.5e-7`), never `-0`. With digits
    None, the number exactly as given: the shortest text that reads back as the same float
    (6.8814, an input, is not shown as 6.881)."""
    value = float(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == 0:
        return "0"
    text = repr(value) if digits is None else f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa.rstrip('0').rstrip('.') if '.' in mantissa else mantissa}e{int(exponent)}"
    elif digits is None and text.endswith(".0"):
        text = text[:-2]
    return text


def count_of(n: int, noun: str) -> str:
    """`1 point`, `2 points`, `10,000 points`: a count with its noun in the right number."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def format_value(value, digits: int | None = 4) -> str:
    """A scalar as a number; a small array in full (`[1, 2, 3]`); a big one summarised. Every
    number as format_number writes it (digits None: exactly as given)."""
    if value is None:  # a step whose op gives a vector-Jacobian product has no local factor
        return "—"
    array = np.asarray(value)
    if array.ndim == 0:
        return format_number(array, digits)
    if array.size > MAX_INLINE_ELEMENTS:
        flat = array.ravel()
        head = ", ".join(format_number(v, digits) for v in flat[:3])
        shape = "×".join(str(n) for n in array.shape)
        low, high = format_number(np.nanmin(array), digits), format_number(np.nanmax(array), digits)
        return f"<{shape} array: {head}, … min {low}, max {high}>"
    return _nested(array, digits)


def _nested(array: np.ndarray, digits: int | None) -> str:
    if array.ndim == 0:
        return format_number(array, digits)
    return "[" + ", ".join(_nested(row, digits) for row in array) + "]"


def plain(value):
    """A number or array as JSON-safe data: a float, or nested lists of floats; NaN and ±inf
    become the contract's strings "nan", "inf", "-inf" (strict JSON has no literal for them)."""
    array = np.asarray(value)
    if array.dtype.kind == "f" and np.all(np.isfinite(array)):
        return array.tolist()  # nothing to replace: skip the walk over every element
    return _strict(array.tolist())


def _strict(data):
    if isinstance(data, list):
        return [_strict(item) for item in data]
    if isinstance(data, float) and not math.isfinite(data):
        return "nan" if math.isnan(data) else ("inf" if data > 0 else "-inf")
    return data
