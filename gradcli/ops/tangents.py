"""Jacobian-vector products of the axis-aware rows, for forward mode (`AXIS_JVPS`).

The rows give reverse mode vector-Jacobian products; forward mode pushes a batch of tangents
(batch, *x.shape) through each node instead, and without a product of its own it would build
the whole Jacobian from the vjp over every one-hot seed of the output (exact, but as large as
output × input, and not independent of reverse mode). These are written from the derivatives
themselves: a reduction sums tangent × local derivative over the reduced axes, cumsum is the
cumulative sum of the tangent, cumprod the product rule d out_k = d out_(k-1) x_k + out_(k-1) t_k
(no division, so zeros need nothing special).

Each takes forward mode's arguments (index, [x], out, tangent) and the node's options, and
returns (batch, *out.shape). As in forward mode everywhere, a tangent that is exactly 0
contributes 0 whatever the local derivative (an inf or nan partial stays in its own column).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .axes import count, kept_shape, reduced
from .reductions import norm_partial, prod_partial, tie_mask
from .row import Array, Op
from .statistics import std_scale, var_factor

Jvp = Callable[..., Array]

ROWS: list[Op] = []  # no rows of its own: products for the rows of the modules it imports


def _times(tangent: Array, local: Array) -> Array:
    with np.errstate(invalid="ignore", over="ignore"):
        return np.where(tangent == 0, 0.0, tangent * local)


def _reduce(local: Callable[..., Array]) -> Jvp:
    """The jvp of a reduction: Σ over the reduced axes of tangent × ∂out/∂x."""

    def jvp(
        index: int, args: list, out: Array, tangent: Array, axis=None, keepdims=False, **options
    ) -> Array:
        x = args[0]
        axes = tuple(1 + a for a in reduced(np.ndim(x), axis))
        product = _times(tangent, local(x, out, axis, **options))
        return np.sum(product, axis=axes, keepdims=bool(keepdims))

    return jvp


def _ones(x: Array, out: Array, axis: object) -> Array:
    return np.ones_like(x)


def _mean_local(x: Array, out: Array, axis: object) -> Array:
    return np.full_like(x, 1.0 / count(x, axis))


def _logsumexp_local(x: Array, out: Array, axis: object) -> Array:
    return np.exp(x - np.reshape(out, kept_shape(x, axis)))


def _var_local(x: Array, out: Array, axis: object, ddof: object = 0) -> Array:
    return var_factor(x, axis, ddof)


def _std_local(x: Array, out: Array, axis: object, ddof: object = 0) -> Array:
    return std_scale(out, x, axis) * var_factor(x, axis, ddof)


def _log_softmax_jvp(index: int, args: list, out: Array, tangent: Array, axis=None) -> Array:
    axes = tuple(1 + a for a in reduced(np.ndim(args[0]), axis))
    return tangent - np.sum(_times(tangent, np.exp(out)), axis=axes, keepdims=True)


def _along_last(args: list, out: Array, tangent: Array, axis: object) -> tuple[Array, Array, Array]:
    """x, out and the tangents with the cumulative axis last (flattened when there is none)."""
    x = args[0]
    if axis is None:
        return np.ravel(x), out, np.reshape(tangent, (len(tangent), -1))
    a = int(axis) % np.ndim(x)
    return np.moveaxis(x, a, -1), np.moveaxis(out, a, -1), np.moveaxis(tangent, 1 + a, -1)


def _put_back(result: Array, out: Array, axis: object) -> Array:
    if axis is None:
        return result
    return np.moveaxis(result, -1, 1 + int(axis) % np.ndim(out))


def _cumsum_jvp(index: int, args: list, out: Array, tangent: Array, axis=None) -> Array:
    _, _, t = _along_last(args, out, tangent, axis)
    return _put_back(np.cumsum(t, axis=-1), out, axis)


def _cumprod_jvp(index: int, args: list, out: Array, tangent: Array, axis=None) -> Array:
    x, o, t = _along_last(args, out, tangent, axis)
    result = np.zeros(np.broadcast_shapes(t.shape, o.shape))
    if result.shape[-1]:
        result[..., 0] = t[..., 0]
    for k in range(1, result.shape[-1]):
        result[..., k] = _times(result[..., k - 1], x[..., k]) + _times(t[..., k], o[..., k - 1])
    return _put_back(result, out, axis)


def _reshape_jvp(index: int, args: list, out: Array, tangent: Array, **options) -> Array:
    return np.reshape(tangent, (len(tangent), *np.shape(out)))


AXIS_JVPS: dict[str, Jvp] = {
    "sum": _reduce(_ones),
    "mean": _reduce(_mean_local),
    "prod": _reduce(lambda x, out, axis: prod_partial(x, out, axis)),
    "amax": _reduce(lambda x, out, axis: tie_mask(x, out, axis)),
    "amin": _reduce(lambda x, out, axis: tie_mask(x, out, axis)),
    "norm": _reduce(lambda x, out, axis: norm_partial(x, out, axis)),
    "logsumexp": _reduce(_logsumexp_local),
    "variance": _reduce(_var_local),
    "std": _reduce(_std_local),
    "log_softmax": _log_softmax_jvp,
    "cumsum": _cumsum_jvp,
    "cumprod": _cumprod_jvp,
    "expand_dims": _reshape_jvp,
    "reshape": _reshape_jvp,
}
