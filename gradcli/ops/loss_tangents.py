"""Jacobian-vector products of the losses, for forward mode (`LOSS_JVPS`, in forward.py's
`_JVPS` beside ops/tangents.py's `AXIS_JVPS`).

The loss rows give reverse mode vector-Jacobian products; without a product of its own forward
mode builds a loss's whole Jacobian from the vjp over every one-hot seed of the output, which for
`reduction="none"` over N samples is N × N × C numbers. These push the tangents instead, written
from the derivatives themselves: each element's (or sample's) loss changes by its local
derivative times the tangent, summed over the class axis for cross_entropy and nll, then reduced
as the loss is. Class indices and onehot's input carry no tangent.

Each takes forward mode's arguments (index, [inputs], out, tangent) and the node's options, and
returns (batch, *out.shape). As everywhere in forward mode, a tangent that is exactly 0
contributes 0 whatever the local derivative.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .class_losses import class_axis, is_indices, onehot_classes
from .losses import LOCALS
from .row import Array, Op
from .softmax import log_softmax

Jvp = Callable[..., Array]

ROWS: list[Op] = []  # no rows of its own: products for the rows of losses.py and class_losses.py


def _times(tangent: Array, local: Array) -> Array:
    with np.errstate(invalid="ignore", over="ignore"):
        return np.where(tangent == 0, 0.0, tangent * local)


def _reduced(each: Array, reduction: object) -> Array:
    """(batch, *losses) reduced as the loss reduces its elements: over all but the batch axis."""
    if reduction == "none":
        return each
    axes = tuple(range(1, np.ndim(each)))
    total = np.sum(each, axis=axes)
    return total / np.float64(int(np.prod(np.shape(each)[1:], dtype=int))) if reduction == "mean" else total


def _elementwise(local: Callable[..., Array]) -> Jvp:
    """The jvp of an elementwise loss whose input `index` has the local derivative `local`."""

    def jvp(
        index: int, args: list, out: Array, tangent: Array, reduction: object = "mean", **options
    ) -> Array:
        shape = np.broadcast_shapes(*(np.shape(a) for a in args))
        lined_up = np.reshape(
            tangent, (len(tangent),) + (1,) * (len(shape) - np.ndim(args[index])) + np.shape(args[index])
        )
        return _reduced(_times(lined_up, local(*args, **options)), reduction)

    return jvp


def _per_input(locals_: tuple[Callable[..., Array], ...]) -> Jvp:
    """One jvp for all inputs of an elementwise loss, from the locals its vjps multiply by."""
    jvps = [_elementwise(local) for local in locals_]

    def jvp(index: int, args: list, out: Array, tangent: Array, **options) -> Array:
        return jvps[index](index, args, out, tangent, **options)

    return jvp


def _over_classes(local: Callable[[Array, Array, int], Array]) -> Jvp:
    """The jvp of a class loss through an input of the scores' shape: Σ over the class axis of
    tangent × local, then the reduction."""

    def jvp(index: int, args: list, out: Array, tangent: Array, axis=-1, reduction="mean") -> Array:
        x, target = args
        if index == 1 and is_indices(x, target):
            return np.zeros((len(tangent), *np.shape(out)))  # class indices carry no tangent
        a = class_axis(x, axis)
        each = np.sum(_times(tangent, local(x, target, a)), axis=1 + a)
        return _reduced(each, reduction)

    return jvp


def _ce_local(z: Array, target: Array, a: int) -> Array:
    p = np.exp(log_softmax(z, a))
    if is_indices(z, target):
        return p - onehot_classes(target, np.shape(z)[a], a)
    return p * np.sum(target, axis=a, keepdims=True) - target


def _ce_target(z: Array, target: Array, a: int) -> Array:
    return -log_softmax(z, a)


def _nll_logp(logp: Array, target: Array, a: int) -> Array:
    if is_indices(logp, target):
        return -onehot_classes(target, np.shape(logp)[a], a)
    return -np.asarray(target, dtype=np.float64)


def _nll_target(logp: Array, target: Array, a: int) -> Array:
    return -np.asarray(logp, dtype=np.float64)


def _class_jvp(logits: Callable[..., Array], target: Callable[..., Array]) -> Jvp:
    first, second = _over_classes(logits), _over_classes(target)

    def jvp(index: int, args: list, out: Array, tangent: Array, **options) -> Array:
        return (first if index == 0 else second)(index, args, out, tangent, **options)

    return jvp


def _flat(index: int, args: list, out: Array, tangent: Array, **options) -> Array:
    return np.zeros((len(tangent), *np.shape(out)))


LOSS_JVPS: dict[str, Jvp] = {
    **{name: _per_input(locals_) for name, locals_ in LOCALS.items()},
    "cross_entropy": _class_jvp(_ce_local, _ce_target),
    "nll": _class_jvp(_nll_logp, _nll_target),
    "one_hot": _flat,
}
