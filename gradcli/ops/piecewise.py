"""Elementwise functions with a kink or a jump: abs, max and min of two, and sign and step, the
flat pieces that derivative formulas are written with; the comparisons `< <= > >= == !=` (float
0/1) and `where(c, a, b)`.

Comparisons are not differentiable, as in PyTorch, where they are not part of the graph: the
gradient to both sides is 0, and it is *cut* there (`Partial.cut`): nothing flows into their
operands' subgraphs, so `(sqrt(x) > 0) * 1` at x = -1 has gradient 0, not 0 * nan (PyTorch 2.13
gives x.grad = None for it, i.e. 0). `where(c, a, b)` sends the gradient into the branch it chose
only: the other branch is cut at those elements, so `where(x > 0, sqrt(x), 0)` at x = -1 has
gradient 0 where torch.where gives nan (the contract: masked, never multiplied). Nothing flows
into the condition.
"""

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


def _comparison(ufunc: np.ufunc):
    def compare(a: Array, b: Array) -> Array:
        result = ufunc(a, b)
        return np.float64(result) if np.ndim(result) == 0 else result.astype(np.float64)

    return compare


def _everywhere(*_: Array, **_options: object) -> Array:
    return np.True_


# Not differentiable: 0 to both sides, and the operands' subgraphs get no gradient at all (cut).
_COMPARED = Partial("0", zero, masked=True, cut=_everywhere)

_COMPARISON_ROWS = [
    Op(name, ("a", "b"), _comparison(ufunc), (_COMPARED, _COMPARED), symbol, infix=True)
    for name, ufunc, symbol in (
        ("lt", np.less, "<"),
        ("le", np.less_equal, "<="),
        ("gt", np.greater, ">"),
        ("ge", np.greater_equal, ">="),
        ("eq", np.equal, "=="),
        ("ne", np.not_equal, "!="),
    )
]


def _where(c: Array, a: Array, b: Array) -> Array:
    # A condition is true where it is not 0 (nan included, as bool(nan) in PyTorch and numpy).
    result = np.where(np.asarray(c) != 0, a, b)
    return np.float64(result) if result.ndim == 0 else result.astype(np.float64, copy=False)


def _chosen(c: Array, *_: Array) -> Array:
    return np.asarray(np.asarray(c) != 0, dtype=np.float64)


def _other(c: Array, *_: Array) -> Array:
    return np.asarray(np.asarray(c) == 0, dtype=np.float64)


_WHERE = Op(
    "where",
    ("c", "a", "b"),
    _where,
    (
        Partial("0", zero, masked=True, cut=_everywhere),
        Partial(
            "c != 0",
            _chosen,
            masked=True,
            cut=lambda c, *_: np.asarray(c) == 0,
            adjoint="where(c, grad, 0)",
        ),
        Partial(
            "c == 0",
            _other,
            masked=True,
            cut=lambda c, *_: np.asarray(c) != 0,
            adjoint="where(c, 0, grad)",
        ),
    ),
    "where",
    # Its arity (3) is outside the generic tests' shape candidates: tests/test_lang_conditions.py.
    generic_test=False,
)


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
ROWS += [*_COMPARISON_ROWS, _WHERE]
