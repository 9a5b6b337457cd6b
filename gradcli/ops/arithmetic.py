"""The operators: + - * / ^ and unary minus (`@` is a product of arrays: linalg.py)."""

from __future__ import annotations

import numpy as np

from .row import Array, Op, Partial, minus_one, one


def _power(a: Array, b: Array) -> Array:
    # numpy takes some x^0.5 as sqrt(x) (a scalar or a scalar exponent), where (-inf)^0.5 is nan
    # and (-0)^0.5 is -0; C's pow and PyTorch give +inf and +0.
    out = np.power(a, b)
    half = np.asarray(b) == 0.5
    if not half.any():
        return out
    return np.where(half, np.where(np.asarray(a) == -np.inf, np.inf, np.abs(out)), out)


def _pow_base_local(a: Array, b: Array, out: Array) -> Array:
    # x^0 has derivative 0 everywhere, also at x = 0 where b*a^(b-1) is 0*inf.
    return np.where(b == 0, 0.0, b * _power(a, b - 1.0))


def _pow_base_selects(a: Array, b: Array, out: Array) -> Array:
    return np.asarray(b) == 0


def _pow_exponent_local(a: Array, b: Array, out: Array) -> Array:
    # PyTorch masks pow(0, b) with b >= 0 to 0, where a^b*log(a) is 0*(-inf); it then multiplies
    # (an inf upstream gives nan there), so this partial is not `masked`.
    return np.where((a == 0) & (b >= 0), 0.0, out * np.log(a))


ROWS = [
    Op("add", ("a", "b"), np.add, (Partial("1", one), Partial("1", one)), "+", infix=True),
    Op("sub", ("a", "b"), np.subtract, (Partial("1", one), Partial("-1", minus_one)), "-", infix=True),
    Op(
        "mul",
        ("a", "b"),
        np.multiply,
        (Partial("b", lambda a, b, out: b, reads=("b",)), Partial("a", lambda a, b, out: a, reads=("a",))),
        "*",
        infix=True,
    ),
    Op(
        "div",
        ("a", "b"),
        np.divide,
        (
            Partial("1/b", lambda a, b, out: 1.0 / b, reads=("b",)),
            # (-a)/b/b: -(a/b)/b to the bit, without a pass to negate where a is a number (1/x).
            Partial("-a/b^2", lambda a, b, out: np.negative(a) / b / b, reads=("a", "b")),
        ),
        "/",
        infix=True,
        domain=(0.3, 3.0),
    ),
    Op(
        "pow",
        ("a", "b"),
        _power,
        (
            Partial("b*a^(b-1)", _pow_base_local, masked=_pow_base_selects),
            Partial("a^b*log(a)", _pow_exponent_local, kink=lambda a, b: np.asarray(a == 0)),
        ),
        "^",
        infix=True,
        # x^c is smooth at x = 0 for c >= 1 (and c = 0): only a smaller nonzero power breaks there.
        kink=lambda a, b: np.asarray((a == 0) & (b < 1) & (b != 0)),
        convention="base 0: x^0 gives 0 to x; pow(0, b) with b >= 0 gives 0 to b (PyTorch)",
        domain=(0.3, 2.5),
    ),
    Op("neg", ("x",), np.negative, (Partial("-1", minus_one),), "-"),
]
