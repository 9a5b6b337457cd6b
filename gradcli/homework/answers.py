"""What a student writes in a cell, read as a number by a tiny grammar of its own (never eval).

    answer   := vector | scalar
    vector   := '[' answer (',' answer)* ']'          ([0.2, -0.8], [[1, 0], [0, 1]])
    scalar   := sign* product ('/' product)?           (-1/4, 3/e, −0.25)
    product  := factor ( ('*' | '·' | '×')? factor )*     (side by side: before e, 10^ or '(')
    factor   := decimal | 'e' ('^' exponent)? | '10' '^' exponent
    exponent := sign* (digits | '(' sign* digits ')' | '{' sign* digits '}')

A decimal keeps how many significant digits were written: `0.25` is right for 0.2463 to the
student's rounding (the tolerance is half a unit in the last digit written, but never looser
than `digits` significant digits: `0.2` is read as 0.20 ± 0.005, `14` as 14 ± 0.5, `3` as
3.0 ± 0.05). Fractions of whole numbers and powers of e are exact.
Minus is `-`, `−` (U+2212) or `–`; `×10^-3` and `e-3` both scale.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

MINUS = "-−–‐"
MAX_DEPTH = 8  # a matrix of matrices is as deep as a sheet goes
_TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+\-−]?\d+)?)|(?P<e>e)|(?P<op>[\^/*·×\[\](){},+\-−–‐]))"
)


@dataclass(frozen=True)
class Answer:
    """A cell as read: its value and how far from it the student's rounding reaches."""

    value: np.ndarray
    tolerance: np.ndarray
    text: str


class AnswerError(ValueError):
    """Text that is not a number: where in it (0-based) and what was expected there."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.column = column


def read_answer(text: str, digits: int = 2) -> Answer | None:
    """The number (or vector) in `text`, or None for an empty cell (`""`, `?`, `…`).
    Raises AnswerError for anything else."""
    stripped = text.strip().strip("$").strip()
    if stripped in ("", "?", "…", "...", "_", "__"):
        return None
    reader = _Reader(stripped, digits)
    try:
        value, tolerance = reader.answer()
    except OverflowError:
        raise AnswerError("the number is too large", 0) from None
    if reader.peek() is not None:
        raise AnswerError(f"unexpected {reader.peek()[1]!r} after the number", reader.column())
    return Answer(np.asarray(value, dtype=float), np.asarray(tolerance, dtype=float), text.strip())


class _Reader:
    def __init__(self, text: str, digits: int) -> None:
        self.text, self.digits, self.tokens, self.i = text, digits, [], 0
        at = 0
        while at < len(text):
            match = _TOKEN.match(text, at)
            if match is None or match.end() == at:
                if text[at:].strip() == "":
                    break
                column = at + len(text[at:]) - len(text[at:].lstrip())
                raise AnswerError(f"{text[column]!r} is not part of a number", column)
            kind = match.lastgroup or "op"
            start = match.start(kind)
            self.tokens.append((kind, match.group(kind), start))
            at = match.end()

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def column(self) -> int:
        token = self.peek()
        return token[2] if token else len(self.text)

    def take(self, *texts: str) -> bool:
        token = self.peek()
        if token is not None and token[0] == "op" and token[1] in texts:
            self.i += 1
            return True
        return False

    def answer(self, depth: int = 0) -> tuple[object, object]:
        if depth > MAX_DEPTH:
            raise AnswerError("too many [ inside each other", self.column())
        if self.take("["):
            items = [self.answer(depth + 1)]
            while self.take(","):
                items.append(self.answer(depth + 1))
            shapes = {np.shape(value) for value, _ in items}
            if len(shapes) > 1:
                raise AnswerError("the rows of the matrix have different lengths", self.column())
            if not self.take("]"):
                raise AnswerError("expected ',' or ']' in the vector", self.column())
            return [value for value, _ in items], [tol for _, tol in items]
        return self.scalar()

    def scalar(self) -> tuple[float, float]:
        sign = 1.0
        while True:
            if self.take(*MINUS):
                sign = -sign
            elif not self.take("+"):
                break
        start = self.i
        value, tolerance = self.product()
        if self.take("/"):
            bottom, bottom_tol = self.product()
            if bottom == 0:
                raise AnswerError("division by zero", self.column())
            if self._exact(start):  # -1/4, 3/e: a fraction is exact
                tolerance = 0.0
            else:
                tolerance = abs(value / bottom) * (
                    tolerance / max(abs(value), 1e-300) + bottom_tol / abs(bottom)
                )
            value = value / bottom
        return sign * value, tolerance

    def _exact(self, start: int) -> bool:
        """Whether tokens start..here are whole numbers, e and operators (no decimal point)."""
        return all(kind != "num" or text.isdigit() for kind, text, _ in self.tokens[start : self.i])

    def product(self) -> tuple[float, float]:
        value, tolerance = self.factor()
        while True:
            token = self.peek()
            explicit = self.take("*", "·", "×")
            token = self.peek()
            # side by side only before e, 10^ or a parenthesis (2 e^-1); `1 0.5` is a typo
            implicit = token is not None and (token[0] == "e" or token[1] == "(" or self._caret_next())
            if token is None or not (explicit or implicit):
                if explicit:
                    raise AnswerError("expected a number after the multiplication sign", self.column())
                return value, tolerance
            other, other_tol = self.factor()
            tolerance = abs(value) * other_tol + abs(other) * tolerance
            value *= other

    def factor(self) -> tuple[float, float]:
        token = self.peek()
        if token is None:
            raise AnswerError("expected a number", len(self.text))
        kind, text, _ = token
        if kind == "e" or (kind == "num" and text == "10" and self._caret_next()):
            self.i += 1
            base = math.e if kind == "e" else 10.0
            if not self.take("^"):
                return base, 0.0
            return base ** self.exponent(), 0.0
        if kind == "num":
            self.i += 1
            return _decimal(text.replace("−", "-"), self.digits)
        if self.take("("):
            value = self.scalar()
            if not self.take(")"):
                raise AnswerError("expected ')'", self.column())
            return value
        raise AnswerError(f"expected a number, not {text!r}", token[2])

    def _caret_next(self) -> bool:
        after = self.tokens[self.i + 1] if self.i + 1 < len(self.tokens) else None
        return after is not None and after[1] == "^"

    def exponent(self) -> float:
        close = ")" if self.take("(") else "}" if self.take("{") else None
        sign = 1.0
        while self.take(*MINUS, "+"):
            sign = -sign if self.tokens[self.i - 1][1] in MINUS else sign
        token = self.peek()
        if token is None or token[0] != "num":
            raise AnswerError("expected the exponent", self.column())
        self.i += 1
        if close is not None and not self.take(close):
            raise AnswerError(f"expected {close!r}", self.column())
        return sign * float(token[1])


def _decimal(text: str, digits: int) -> tuple[float, float]:
    """The value of a decimal and half a unit in its last significant digit (no looser than
    `digits` significant digits); a whole number or short decimal written in full is exact
    only as far as it is written."""
    value = float(text)
    if not math.isfinite(value):
        raise OverflowError(text)
    mantissa, _, exponent = text.lower().partition("e")
    scale = int(exponent) if exponent else 0
    whole, _, fraction = mantissa.partition(".")
    last = -len(fraction) if fraction else len(whole) - len(whole.rstrip("0") or "0")
    if value == 0:  # `0` is exact; `0.0` is zero to one decimal
        return 0.0, 0.5 * 10.0 ** (last + scale) if fraction or exponent else 0.0
    unit = 10.0 ** (last + scale)
    leading = math.floor(math.log10(abs(value)))
    loosest = 10.0 ** (leading - digits + 1)
    return value, 0.5 * min(unit, loosest)
