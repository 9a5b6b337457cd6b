"""Elementwise functions with a kink or a jump: abs, max and min of two, and sign and step, the
flat pieces that derivative formulas are written with."""

from __future__ import annotations

import numpy as np

from .row import Array, Op, Partial, at_zero, zero


def _sign(x: Array) -> Array:
    # PyTorch's sign(nan) is 0, numpy's nan; abs' = sign follows (abs'(nan) = 0 in PyTorch).
    return np.nan_to_num(np.sign(x), nan=0.0)


def _step(x: Array) -> Array:
    """1 where x > 0, else 0 (so step(0) = 0): relu's derivative, as PyTorch takes it."""
    return (np.asarray(x) > 0).astype(np.float64)


def _max_local(a: Array, b: Array, out: Array) -> Array:
    """∂max(a, b)/∂a as PyTorch takes it: 0 where a < b, 0.5 at a tie (inf included), else 1 (nan)."""
    a, b = np.asarray(a), np.asarray(b)
    return 1.0 - (a < b) - 0.5 * (a == b)


def _min_local(a: Array, b: Array, out: Array) -> Array:
    return _max_local(b, a, out)


def _tie(a: Array, b: Array) -> Array:
    return np.asarray(a == b)


# A tie at inf is a tie (0.5 each). Off a tie the losing side gets 0 even from an inf or nan
# upstream (masked); with a nan, both sides get the whole gradient (PyTorch's comparisons are false).
_TIE = "a tie: the gradient is split evenly, 0.5 to each argument (PyTorch)"

ROWS = [
    Op(
        "abs",
        ("x",),
        np.abs,
        (Partial("sign(x)", lambda x, out: _sign(x)),),
        "abs",
        kink=at_zero,
        convention="abs'(0) = 0, a product: inf upstream gives nan (PyTorch; JAX uses 1)",
        domain=(0.2, 3.0),
    ),
    Op(
        "max",
        ("a", "b"),
        np.maximum,
        (
            Partial("(1 + sign(a - b))/2", _max_local, masked=True),
            Partial("(1 - sign(a - b))/2", lambda a, b, out: _max_local(b, a, out), masked=True),
        ),
        "max",
        kink=_tie,
        convention=_TIE,
    ),
    Op(
        "min",
        ("a", "b"),
        np.minimum,
        (
            Partial("(1 - sign(a - b))/2", _min_local, masked=True),
            Partial("(1 + sign(a - b))/2", lambda a, b, out: _min_local(b, a, out), masked=True),
        ),
        "min",
        kink=_tie,
        convention=_TIE,
    ),
    # The pieces derivative formulas are written with; flat, so their derivative is 0.
    Op(
        "sign",
        ("x",),
        _sign,
        (Partial("0", zero, masked=True),),
        "sign",
        kink=at_zero,
        convention="sign jumps at 0; its derivative is 0, passing no inf or nan (PyTorch)",
        domain=(0.2, 3.0),
    ),
    Op(
        "step",
        ("x",),
        _step,
        (Partial("0", zero, masked=True),),
        "step",
        kink=at_zero,
        convention="step jumps at 0 (step(0) = 0); its derivative is 0, passing no inf or nan",
        domain=(0.2, 3.0),
    ),
]
