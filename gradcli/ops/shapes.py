"""Ops that move or pick elements without arithmetic: transpose, array literals `[a, b, c]`,
indexing `x[i, j]` and onehot, the mask an index's derivative is written with."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .row import Array, Op, Partial, lead_axes, zero


def _transpose_vjp(x: Array, out: Array, grad: Array) -> Array:
    lead = len(lead_axes(grad, out))
    return np.transpose(grad, (*range(lead), *reversed(range(lead, np.ndim(grad)))))


def _stack_vjp(index: int) -> Callable[..., Array]:
    """Item `index` of an array literal receives row `index` of the upstream gradient."""

    def vjp(*args: Array) -> Array:
        out, grad = args[-2], args[-1]
        return grad[(slice(None),) * len(lead_axes(grad, out)) + (index,)]

    return vjp


def _stack_partial(index: int) -> Partial:
    return Partial(f"grad[{index}]", vjp=_stack_vjp(index))


def _stack(*items: Array) -> Array:
    return np.stack(items) if items else np.zeros(0)


def _stack_check(*items: Array) -> str | None:
    shapes = {np.shape(item) for item in items}
    if len(shapes) > 1:
        listed = ", ".join(str(s) for s in sorted(shapes))
        return f"the items of an array literal must have one shape, not {listed}"
    return None


def _onehot(x: Array, *index: Array) -> Array:
    mask = np.zeros_like(x)
    mask[tuple(int(i) for i in index)] = 1.0
    return mask


def _index_local(x: Array, *rest: Array) -> Array:
    return _onehot(x, *rest[:-1])  # rest: the indices, then out


def _index_formula(x: Array, *index: Array) -> str:
    return f"onehot(x, {', '.join(f'i{k}' for k in range(len(index)))})"


def _at(x: Array, *index: Array) -> Array:
    return x[tuple(int(i) for i in index)]


def _index_check(x: Array, *index: Array) -> str | None:
    if np.ndim(x) == 0:
        return "a number cannot be indexed: x[...] takes an array"
    if not 1 <= len(index) <= np.ndim(x):
        ndim, shape = np.ndim(x), np.shape(x)
        return f"x[...] takes at most one index per dimension: {ndim} for an array of shape {shape}"
    # Fewer indices than dimensions select a row, as in numpy (so `grad[0]` of a matrix evaluates).
    for i, n in zip(index, np.shape(x), strict=False):
        if np.ndim(i) != 0:
            return "an index is one whole number, not an array"
        if not np.isfinite(i) or float(i) != int(i) or not -n <= int(i) < n:  # int(nan) raises
            return f"index {float(i):g} is not a whole number from {-n} to {n - 1}"
    return None


ROWS = [
    Op(
        "transpose",
        ("x",),
        np.transpose,
        (Partial("transpose(grad)", vjp=_transpose_vjp),),
        "transpose",
        shapes=((2, 3),),
        pointwise=False,
    ),
    # x[i, j]: one index per dimension, whole numbers written in the source. Selection: the
    # other elements get 0 even from an inf or nan upstream (PyTorch). Indices past i1 share
    # i1's partial.
    Op(
        "index",
        ("x", "i0", "i1"),
        _at,
        (
            Partial(_index_formula, _index_local, masked=True),
            Partial("0", zero, masked=True),
            Partial("0", zero, masked=True),
        ),
        "[]",
        check=_index_check,
        variadic=True,
        generic_test=False,
        pointwise=False,
    ),
    # [a, b, c]: item k receives row k of the upstream gradient.
    Op(
        "stack",
        (),
        _stack,
        (),
        "[]",
        check=_stack_check,
        variadic=True,
        item_partial=_stack_partial,
        generic_test=False,
        pointwise=False,
    ),
    Op(
        "onehot",
        ("x", "i0"),
        _onehot,
        (Partial("0", zero, masked=True),) * 2,
        "onehot",
        check=_index_check,
        generic_test=False,
        pointwise=False,
    ),
    Op(
        "onehot2",
        ("x", "i0", "i1"),
        _onehot,
        (Partial("0", zero, masked=True),) * 3,
        "onehot",
        check=_index_check,
        generic_test=False,
        pointwise=False,
    ),
]
