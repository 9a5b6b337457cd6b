"""cumsum and cumprod, numpy's: along one axis (`axis=0`, `axis=-1`), or without one over the
flattened array (then the output is 1-D). Both mix elements: vector-Jacobian products, over `grad`.

cumsum's gradient is the reversed cumulative sum of the upstream gradient, printed as
`sum(grad) - cumsum(grad) + grad`. cumprod's is PyTorch's (2.13, measured:
tests/test_axes_torch.py): without a zero in x, the reversed cumulative sum of grad * out,
divided by x; with zeros, no division: before a slice's first zero the same sum over the terms
before it, at the first zero the products of the other factors, after it 0.
"""

from __future__ import annotations

import numpy as np

from .axes import AXIS, axis_problem, axis_text, shape_text
from .row import Array, Op, Partial, lead_axes


def _check(x: Array, axis: object = None) -> str | None:
    if isinstance(axis, (tuple, list)):
        return "cumsum and cumprod run along one axis: axis=0, or leave it out for the flattened array"
    return axis_problem(np.ndim(x), axis)


def _to_last(x: Array, out: Array, grad: Array, axis: object) -> tuple[Array, Array, Array, int]:
    """x, out and grad with the cumulative axis last (flattened without one), and where it goes back."""
    lead = lead_axes(grad, out)
    if axis is None:
        return np.ravel(x), out, grad, -1
    a = int(axis) % np.ndim(x)
    return np.moveaxis(x, a, -1), np.moveaxis(out, a, -1), np.moveaxis(grad, len(lead) + a, -1), len(lead) + a


def _back(result: Array, x: Array, out: Array, grad: Array, axis: object, position: int) -> Array:
    lead = lead_axes(grad, out)
    if axis is None:
        return np.reshape(result, lead + np.shape(x))
    return np.moveaxis(result, -1, position)


def _reversed_cumsum(g: Array) -> Array:
    return np.cumsum(g[..., ::-1], axis=-1)[..., ::-1]


def _cumsum(x: Array, axis: object = None) -> Array:
    return np.cumsum(x, axis=None if axis is None else int(axis))


def _cumsum_vjp(x: Array, out: Array, grad: Array, axis: object = None) -> Array:
    _, _, g, position = _to_last(x, out, grad, axis)
    return _back(_reversed_cumsum(g), x, out, grad, axis, position)


def _cumprod(x: Array, axis: object = None) -> Array:
    return np.cumprod(x, axis=None if axis is None else int(axis))


def _cumprod_last(x: Array, out: Array, g: Array) -> Array:
    """PyTorch's cumprod_backward along the last axis (g may have leading batch axes)."""
    w = g * out
    zeros = x == 0
    if not zeros.any():
        return _reversed_cumsum(w) / x
    seen = np.cumsum(zeros, axis=-1)  # how many zeros up to here
    before = seen == 0  # ahead of the slice's first zero
    result = np.where(before, _reversed_cumsum(np.where(before, w, 0.0)) / np.where(before, x, 1.0), 0.0)
    first = zeros & (seen == 1)
    between = (seen == 1) & ~first  # after the first zero, up to the second
    # At the first zero z: Σ_{z <= k < second zero} g_k · Π_{z < i <= k} x_i, times out_{z-1}.
    ahead = np.cumprod(np.where(between, x, 1.0), axis=-1)
    inner = np.sum(np.where(seen == 1, g * ahead, 0.0), axis=-1, keepdims=True)
    previous = np.concatenate([np.ones((*out.shape[:-1], 1)), out[..., :-1]], axis=-1)
    return np.where(first, inner * previous, result)


def _cumprod_vjp(x: Array, out: Array, grad: Array, axis: object = None) -> Array:
    xs, outs, g, position = _to_last(x, out, grad, axis)
    return _back(_cumprod_last(xs, outs, g), x, out, grad, axis, position)


def _reverse_sum_text(g: str, x: Array, axis: object) -> str:
    """The reversed cumulative sum of g along the axis, in gradcli's language, in x's shape
    (for a number x, whose cumsum has one element: the sum of g)."""
    if axis is not None:
        a = axis_text(axis)
        return f"sum({g}, axis={a}, keepdims=1) - cumsum({g}, axis={a}) + {g}"
    if np.ndim(x) == 0:
        return f"sum({g})"
    text = f"sum({g}) - cumsum({g}) + {g}"
    return text if np.ndim(x) == 1 else f"reshape({text}, shape={shape_text(np.shape(x))})"


def _cumsum_formula(x: Array, axis: object = None) -> str:
    return _reverse_sum_text("grad", x, axis)


def _cumprod_formula(x: Array, axis: object = None) -> str:
    if axis is None and np.ndim(x) == 0:
        return "sum(grad)"  # cumprod of a number is [x]: its derivative is 1
    return f"({_reverse_sum_text('grad * out', x, axis)})/x"


def _has_zero(x: Array, axis: object = None) -> Array:
    return np.asarray(np.any(np.asarray(x) == 0))


ROWS = [
    Op(
        "cumsum",
        ("x",),
        _cumsum,
        (Partial(_cumsum_formula, vjp=_cumsum_vjp),),
        "cumsum",
        check=_check,
        shapes=((4,),),
        pointwise=False,
        options=AXIS,
    ),
    Op(
        "cumprod",
        ("x",),
        _cumprod,
        (Partial(_cumprod_formula, vjp=_cumprod_vjp),),
        "cumprod",
        check=_check,
        kink=_has_zero,
        convention="a zero in x: the formula divides by 0; PyTorch's rule multiplies the others instead",
        shapes=((4,),),
        domain=(0.5, 2.0),
        pointwise=False,
        options=AXIS,
    ),
]
