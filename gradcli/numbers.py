"""Numbers and arrays for people: N significant digits, scientific notation when very small or large."""

from __future__ import annotations

import math

import numpy as np

MAX_INLINE_ELEMENTS = 12


def format_number(value: float, digits: int = 4) -> str:
    """`digits` significant digits. A number that was rounded keeps its trailing zeros
    (-0.1966 at 2 digits is -0.20, as the seed errata write it); one shown exactly stays short
    (0.5, 2, not 0.5000, 2.000)."""
    value = float(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == 0:
        return "0"
    text = f"{value:.{digits}g}"
    if float(text) != value:
        text = f"{value:#.{digits}g}".rstrip(".")
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa.rstrip('.')}e{int(exponent)}"
    return text


def format_value(value, digits: int = 4) -> str:
    """A scalar as a number; a small array in full (`[1, 2, 3]`); a big one summarised."""
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


def _nested(array: np.ndarray, digits: int) -> str:
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
