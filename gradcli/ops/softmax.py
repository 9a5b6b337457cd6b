"""logsumexp, softmax and log_softmax: over all the elements of an array (their behaviour before
options existed, still the default) or along axes, `softmax(x, axis=-1)` being the usual case.

logsumexp is a reduction, like sum (axes.py: `axis=`, `keepdims=`): over all elements its partial
is the local derivative exp(x - out), along axes a vector-Jacobian product over `grad`. softmax
and log_softmax keep their input's shape and normalise each slice along the axes, so they mix
elements and give vector-Jacobian products in every case (scipy.special's `axis=`; no keepdims).

All three subtract the slice's maximum before exponentiating (no overflow). A slice that is all
-inf gives nan, as in PyTorch (measured: tests/test_axes_torch.py).
"""

from __future__ import annotations

import numpy as np

from .axes import (
    AXIS,
    AXIS_KEEPDIMS,
    axis_problem,
    axis_text,
    expand,
    expanded_text,
    is_default,
    own_axes,
    reduced,
    slice_max,
    slice_sum,
)
from .reductions import check_axis
from .row import Array, Op, Partial


def _shift(x: Array, axes: tuple[int, ...]) -> Array:
    """Each slice's maximum, kept as axes of length 1 (0 where it is not finite, or empty)."""
    top = slice_max(x, axes)
    return np.where(np.isfinite(top), top, 0.0)


def _logsumexp_kept(x: Array, axes: tuple[int, ...]) -> Array:
    top = _shift(x, axes)
    return np.log(slice_sum(np.exp(x - top), axes)) + top


def _logsumexp(x: Array, axis: object = None, keepdims: object = False) -> Array:
    if is_default(axis, keepdims):
        top = np.max(x) if np.size(x) else 0.0
        top = top if np.isfinite(top) else 0.0
        return np.log(np.sum(np.exp(x - top))) + top
    axes = reduced(np.ndim(x), axis)
    kept = _logsumexp_kept(x, axes)
    return kept if keepdims else np.squeeze(kept, axis=axes)


def _logsumexp_vjp(x: Array, out: Array, grad: Array, axis: object = None, keepdims: object = False) -> Array:
    return expand(grad, out, x, axis) * np.exp(x - expand(out, out, x, axis))


def _logsumexp_formula(x: Array, axis: object = None, keepdims: object = False) -> str:
    grad, out = expanded_text("grad", x, axis, keepdims), expanded_text("out", x, axis, keepdims)
    return f"{grad} * exp(x - {out})"


def _softmax(x: Array, axis: object = None) -> Array:
    axes = reduced(np.ndim(x), axis)
    z = np.exp(x - (slice_max(x, axes) if np.size(x) else 0.0))
    return z / slice_sum(z, axes)


def _softmax_vjp(x: Array, out: Array, grad: Array, axis: object = None) -> Array:
    axes = own_axes(grad, out, reduced(np.ndim(x), axis))
    return out * (grad - slice_sum(grad * out, axes))


def log_softmax(x: Array, axes: int | tuple[int, ...]) -> Array:
    """log_softmax over the given axes (counted from 0); the class losses' too.

    x - max, then minus the log of the shifted sum (scipy's log_softmax): an inf in a slice makes
    the whole slice nan, as in PyTorch, where x - logsumexp(x) would keep a -inf."""
    shifted = x - slice_max(x, axes)
    return shifted - np.log(slice_sum(np.exp(shifted), axes))


def _log_softmax(x: Array, axis: object = None) -> Array:
    return log_softmax(x, reduced(np.ndim(x), axis))


def _log_softmax_vjp(x: Array, out: Array, grad: Array, axis: object = None) -> Array:
    axes = own_axes(grad, out, reduced(np.ndim(x), axis))
    return grad - np.exp(out) * slice_sum(grad, axes)


def _along(axis: object) -> str:
    """The options of a sum over the softmax's slices, as the formula writes them."""
    return "" if axis is None else f", axis={axis_text(axis)}, keepdims=1"


def _softmax_formula(x: Array, axis: object = None) -> str:
    return f"out * (grad - sum(grad * out{_along(axis)}))"


def _log_softmax_formula(x: Array, axis: object = None) -> str:
    return f"grad - exp(out) * sum(grad{_along(axis)})"


def _check(x: Array, axis: object = None) -> str | None:
    return axis_problem(np.ndim(x), axis)


ROWS = [
    Op(
        "logsumexp",
        ("x",),
        _logsumexp,
        (Partial(_logsumexp_formula, vjp=_logsumexp_vjp),),
        "logsumexp",
        check=check_axis,
        shapes=((3,),),
        pointwise=False,
        options=AXIS_KEEPDIMS,
    ),
    Op(
        "softmax",
        ("x",),
        _softmax,
        (Partial(_softmax_formula, vjp=_softmax_vjp, jacobian="diag(out) - outer(out, out)"),),
        "softmax",
        check=_check,
        shapes=((3,),),
        pointwise=False,
        options=AXIS,
    ),
    Op(
        "log_softmax",
        ("x",),
        _log_softmax,
        (Partial(_log_softmax_formula, vjp=_log_softmax_vjp),),
        "log_softmax",
        check=_check,
        shapes=((3,),),
        pointwise=False,
        options=AXIS,
    ),
]
