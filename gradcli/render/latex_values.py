"""Numbers and arrays in LaTeX maths, and how wide they will be on the page.

A 1-D array is a column vector `\\begin{bmatrix} a \\\\ b \\end{bmatrix}`: `W @ x + b` in numpy is
the textbook's matrix times a column vector plus a column, and a gradient has its variable's
shape, so ∂L/∂x is a column beside x. A 2-D array is a matrix, row by row; a 3-D one a row of
matrices. An array too big to print whole (numbers.MAX_INLINE_ELEMENTS) is summarised as
`⟨5 × 5 array: 0, 1, 2, …; min 0, max 24⟩` with the numbers the other formats print.

Widths are estimates in em (a digit is half an em in Computer Modern), good enough to choose a
layout that fits the page; the tests compile the documents and read pdflatex's overfull boxes.
"""

from __future__ import annotations

import numpy as np

from ..numbers import MAX_INLINE_ELEMENTS, format_number

# The text width of the standalone document (A4, 2 cm margins: 17 cm) in em of 11 pt, less a margin.
PAGE_EM = 42.0
_COLUMN_GAP_EM = 1.0  # bmatrix's \arraycolsep on both sides of a column
_BRACKETS_EM = 1.2
_MAX_BMATRIX_COLUMNS = 10  # amsmath's MaxMatrixCols; wider rows use an array environment


def scalar(text: str) -> str:
    """One number as gradcli prints it (`1.2e-5`), in maths: `1.2 \\times 10^{-5}`, `\\infty`."""
    if text in ("inf", "-inf"):
        return text.replace("inf", r"\infty")
    if text == "nan":
        return r"\mathrm{NaN}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{exponent}}}"
    return text


def number(value, digits: int) -> str:
    """A value in LaTeX maths: a scalar, a column vector, a matrix, or a summary."""
    if value is None:  # a vector-Jacobian product has no local factor of its own
        return r"\text{--}"
    array = np.asarray(value)
    if array.ndim == 0:
        return scalar(format_number(array, digits))
    if array.size > MAX_INLINE_ELEMENTS:
        return _summary(array, digits)
    return _matrix(array, digits)


def _matrix(array: np.ndarray, digits: int) -> str:
    if array.ndim >= 3:
        return r"\left[" + ",\\ ".join(_matrix(part, digits) for part in array) + r"\right]"
    rows = array.reshape(-1, 1) if array.ndim == 1 else array
    if rows.size == 0:
        return r"\left[\,\right]"
    body = r" \\ ".join(" & ".join(scalar(format_number(v, digits)) for v in row) for row in rows)
    if rows.shape[1] > _MAX_BMATRIX_COLUMNS:
        return r"\left[\begin{array}{" + "c" * rows.shape[1] + "}" + body + r"\end{array}\right]"
    return r"\begin{bmatrix} " + body + r" \end{bmatrix}"


def _summary(array: np.ndarray, digits: int) -> str:
    shape = r" \times ".join(str(n) for n in array.shape)
    head = ", ".join(scalar(format_number(v, digits)) for v in array.ravel()[:3])
    low = scalar(format_number(np.nanmin(array), digits))
    high = scalar(format_number(np.nanmax(array), digits))
    return (
        rf"\left\langle {shape}\ \text{{array: }} {head}, \ldots;\ "
        rf"\min {low},\ \max {high} \right\rangle"
    )


def text_em(text: str) -> float:
    """The width of plain maths text in em: digits and letters half an em, a sign a little more."""
    return 0.5 * len(text) + 0.3 * sum(text.count(sign) for sign in "-+=<>")


def _number_em(text: str) -> float:
    if "e" in text and text not in ("inf", "-inf"):
        mantissa, exponent = text.split("e")
        return text_em(mantissa) + 2.5 + 0.35 * len(exponent)
    return text_em(text)


def width(value, digits: int) -> float:
    """How wide `number(value, digits)` is typeset, in em."""
    if value is None:
        return 1.0
    array = np.asarray(value)
    if array.ndim == 0:
        return _number_em(format_number(array, digits))
    if array.size > MAX_INLINE_ELEMENTS:
        items = [format_number(v, digits) for v in array.ravel()[:3]]
        items += [format_number(np.nanmin(array), digits), format_number(np.nanmax(array), digits)]
        return 14.0 + sum(_number_em(t) + 0.5 for t in items)
    if array.ndim >= 3:
        return sum(width(part, digits) + 0.5 for part in array) + 1.0
    rows = array.reshape(-1, 1) if array.ndim == 1 else array
    if rows.size == 0:
        return 1.0
    columns = [max(_number_em(format_number(v, digits)) for v in column) for column in rows.T]
    return sum(columns) + _COLUMN_GAP_EM * (len(columns) - 1) + _BRACKETS_EM


def is_scalar(value) -> bool:
    return value is None or np.ndim(value) == 0


def parts(value, digits: int, room: float = PAGE_EM - 12) -> list[str]:
    """`number(value)` in pieces no wider than `room` em, for lines of their own: a matrix too
    wide for the page by groups of columns (`\\text{columns 1--2: }` …), like numpy's printing;
    a summary with its minimum and maximum on a second line."""
    if value is None or width(value, digits) <= room:
        return [number(value, digits)]
    array = np.asarray(value)
    if array.size > MAX_INLINE_ELEMENTS:
        text = _summary(array, digits)
        head, _, tail = text.partition(r"\ldots;\ ")
        return [head + r"\ldots;", r"\quad " + tail]
    if array.ndim >= 3:
        return [piece for part in array for piece in parts(part, digits, room)]
    if array.ndim < 2:
        return [number(value, digits)]
    return _column_groups(array, digits, room)


def _column_groups(matrix: np.ndarray, digits: int, room: float) -> list[str]:
    columns = [max(_number_em(format_number(v, digits)) for v in column) for column in matrix.T]
    groups: list[list[int]] = [[]]
    used = _BRACKETS_EM + 7.0  # the label
    for k, em in enumerate(columns):
        if groups[-1] and used + em + _COLUMN_GAP_EM > room:
            groups.append([])
            used = _BRACKETS_EM + 7.0
        groups[-1].append(k)
        used += em + _COLUMN_GAP_EM
    pieces = []
    for group in groups:
        label = (
            rf"\text{{column {group[0] + 1}: }}"
            if len(group) == 1
            else (rf"\text{{columns {group[0] + 1}--{group[-1] + 1}: }}")
        )
        pieces.append(label + _matrix(matrix[:, group[0] : group[-1] + 1], digits))
    return pieces
