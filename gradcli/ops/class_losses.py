"""Losses over a class axis: cross_entropy(logits, target) and nll(logp, target), and
onehot(t, num_classes=C), the one-hot rows that their derivatives are written with.

The class axis is `axis=` (default -1, the last: scores of shape (N, C), one row a sample, as
PyTorch's dim 1; for (N, C, d) write axis=1). The target is either
- class indices: whole numbers from 0 to C - 1, one per sample (the logits' shape without the
  class axis: (N,) for (N, C), a number for one sample's C scores). They get no gradient; or
- probabilities, in the logits' own shape (PyTorch's "class probabilities"): cross_entropy is
  then -sum(target * log_softmax(logits)) per sample, and the target gets a gradient.
PyTorch's nll_loss takes indices only; here nll(logp, target) also takes a target of logp's
shape, -sum(target * logp) per sample, so that cross_entropy(z, t) = nll(log_softmax(z), t)
for both kinds of target.

The reduction (losses.py) is PyTorch's: "mean" over the N samples (the default), "sum", "none".
The printed partial of the logits is the textbook one, `grad * (softmax(logits, axis=-1) -
onehot(target, num_classes=3))/4`; with probabilities, `softmax(logits, axis=-1) - target` where
each sample's target sums to 1, and `softmax(...) * sum(target, ...) - target` (what PyTorch
computes, exact for any target) where one does not. Values and gradients are PyTorch 2.13's
(measured: tests/test_losses_torch.py): a +inf score gives nan, a -inf score at the target class
an infinite loss with a finite gradient.
"""

from __future__ import annotations

import numpy as np

from .axes import axis_problem, axis_text, slice_sum
from .losses import reduce_losses, reduction_problem, scale_text, upstream_each
from .row import Array, Op, Partial, lead_axes
from .softmax import log_softmax

CLASS_OPTIONS = (("axis", -1), ("reduction", "mean"))
MAX_ONEHOT = 2**26  # elements of a one-hot array (512 MB of float64)


def class_axis(x: Array, axis: object) -> int:
    return int(axis) % np.ndim(x)  # type: ignore[call-overload]


def is_indices(x: Array, target: Array) -> bool:
    """A target of another shape than the scores holds class indices."""
    return np.shape(target) != np.shape(x)


def _samples(x: Array, a: int) -> tuple[int, ...]:
    """The shape of the losses, one per sample: x's shape without the class axis."""
    return tuple(n for i, n in enumerate(np.shape(x)) if i != a)


def _axis_problem(x: Array, axis: object) -> str | None:
    if isinstance(axis, (tuple, list)) or axis is None:
        return f"axis is the one class axis, a whole number like axis=1, not {axis_text(axis)}"
    return axis_problem(np.ndim(x), axis)


def _index_problem(target: Array, classes: int) -> str | None:
    t = np.asarray(target)
    bad = ~((t == np.floor(t)) & (t >= 0) & (t < classes))  # nan and inf too
    if not np.any(bad):
        return None
    where = np.argwhere(bad)[0]
    at = f"target[{', '.join(map(str, where))}]" if t.ndim else "target"
    return (
        f"target holds class indices, whole numbers from 0 to {classes - 1} ({classes} classes), "
        f"but {at} is {t[tuple(where)]:g}"
    )


def _target_problem(x: Array, target: Array, axis: object, scores: str) -> str | None:
    """Why (scores, target, axis) do not make a loss over classes, or None."""
    if np.ndim(x) == 0:
        return f"{scores} has no class axis: give C scores for one sample, or one row of C scores a sample"
    problem = _axis_problem(x, axis)
    if problem is not None or not is_indices(x, target):
        return problem
    a = class_axis(x, axis)
    samples = _samples(x, a)
    if np.shape(target) != samples:
        return (
            f"target is class indices of shape {samples} (one per sample) or probabilities of "
            f"shape {np.shape(x)} (the shape of {scores}), not {np.shape(target)}"
        )
    return _index_problem(target, np.shape(x)[a])


def _check(scores: str):
    def check(x: Array, target: Array, axis: object = -1, reduction: object = "mean") -> str | None:
        return reduction_problem(reduction) or _target_problem(x, target, axis, scores)

    return check


def onehot_classes(t: Array, classes: int, a: int = -1) -> Array:
    """1.0 where t equals the class k along a new axis at position a (of C = classes), else 0."""
    ndim = np.ndim(t) + 1
    a %= ndim
    k = np.arange(classes, dtype=np.float64).reshape([classes if i == a else 1 for i in range(ndim)])
    return (np.expand_dims(t, a) == k).astype(np.float64)


def _nll_each(logp: Array, target: Array, a: int) -> Array:
    """Each sample's -logp at its class, or -sum(target * logp) for probabilities."""
    if is_indices(logp, target):
        picked = np.take_along_axis(logp, np.expand_dims(np.asarray(target).astype(np.intp), a), axis=a)
        return -np.squeeze(picked, axis=a)
    return -np.squeeze(slice_sum(target * logp, a), axis=a)


def _nll(logp: Array, target: Array, axis: object = -1, reduction: object = "mean") -> Array:
    return reduce_losses(_nll_each(logp, target, class_axis(logp, axis)), reduction)


def _cross_entropy(logits: Array, target: Array, axis: object = -1, reduction: object = "mean") -> Array:
    a = class_axis(logits, axis)
    return reduce_losses(_nll_each(log_softmax(logits, a), target, a), reduction)


def _upstream(x: Array, out: Array, grad: Array, axis: object, reduction: object) -> Array:
    """Each sample's upstream gradient, with the class axis back (length 1) to broadcast over x."""
    a = class_axis(x, axis)
    each = upstream_each(grad, out, _samples(x, a), reduction)
    return np.expand_dims(each, len(lead_axes(grad, out)) + a)


def _index_cut(x: Array, target: Array, out: Array, **_: object) -> Array:
    """Class indices are cut off the graph (PyTorch's are integers, outside it): nothing flows
    into them or below, so `cross_entropy(z, sqrt(y))` at y = 0 gives y 0, not 0 × inf."""
    return np.asarray(is_indices(x, target))


def _no_gradient(x: Array, target: Array, out: Array, grad: Array, **_: object) -> Array:
    """Class indices get no gradient: zeros in their shape (after any batch axes of seeds)."""
    return np.zeros(lead_axes(grad, out) + np.shape(target))


def _ce_logits_vjp(
    logits: Array, target: Array, out: Array, grad: Array, axis: object = -1, reduction: object = "mean"
) -> Array:
    a = class_axis(logits, axis)
    g = _upstream(logits, out, grad, axis, reduction)
    p = np.exp(log_softmax(logits, a))
    if is_indices(logits, target):
        return g * (p - onehot_classes(target, np.shape(logits)[a], a))
    # -t/N through log_softmax's backward: softmax * sum(t) - t, for any t (PyTorch's numbers).
    return g * (p * slice_sum(target, a) - target)


def _ce_target_vjp(
    logits: Array, target: Array, out: Array, grad: Array, axis: object = -1, reduction: object = "mean"
) -> Array:
    if is_indices(logits, target):
        return _no_gradient(logits, target, out, grad)
    return -_upstream(logits, out, grad, axis, reduction) * log_softmax(logits, class_axis(logits, axis))


def _nll_logp_vjp(
    logp: Array, target: Array, out: Array, grad: Array, axis: object = -1, reduction: object = "mean"
) -> Array:
    g = _upstream(logp, out, grad, axis, reduction)
    if is_indices(logp, target):
        a = class_axis(logp, axis)
        return -g * onehot_classes(target, np.shape(logp)[a], a)
    return -g * target


def _nll_target_vjp(
    logp: Array, target: Array, out: Array, grad: Array, axis: object = -1, reduction: object = "mean"
) -> Array:
    if is_indices(logp, target):
        return _no_gradient(logp, target, out, grad)
    return -_upstream(logp, out, grad, axis, reduction) * np.asarray(logp, dtype=np.float64)


# --- the printed partials -------------------------------------------------------------------------


def _texts(x: Array, axis: object, reduction: object) -> tuple[str, str, str]:
    """(the upstream gradient of a sample, `axis=A` as written, the division by N)."""
    a = class_axis(x, axis)
    written = axis_text(axis)
    grad = f"expand_dims(grad, axis={written})" if reduction == "none" else "grad"
    count = int(np.prod(_samples(x, a), dtype=int))
    return grad, written, scale_text(reduction, count)


def _ce_textbook(logits: Array, target: Array, axis: object = -1, reduction: object = "mean") -> str:
    """`p - y`, the textbook's derivative of softmax with cross-entropy (p the softmax of the
    scores, y the one-hot target), divided by N for the mean over N samples; "" for
    probabilities that do not sum to 1, where it is not that."""
    a = class_axis(logits, axis)
    if not is_indices(logits, target) and not _sums_to_one(target, a):
        return ""
    scale = _texts(logits, axis, reduction)[2]
    return f"(p - y){scale}" if scale else "p - y"


def _onehot_text(x: Array, axis: object) -> str:
    a = class_axis(x, axis)
    where = "" if a == np.ndim(x) - 1 else f", axis={axis_text(axis)}"
    return f"onehot(target, num_classes={np.shape(x)[a]}{where})"


def _sums_to_one(target: Array, a: int) -> bool:
    return bool(np.all(np.abs(np.sum(target, axis=a) - 1.0) <= 1e-12))


def _ce_logits_formula(logits: Array, target: Array, axis: object = -1, reduction: object = "mean") -> str:
    grad, written, scale = _texts(logits, axis, reduction)
    softmax = f"softmax(logits, axis={written})"
    if is_indices(logits, target):
        rest = f"{softmax} - {_onehot_text(logits, axis)}"
    elif _sums_to_one(target, class_axis(logits, axis)):
        rest = f"{softmax} - target"  # the textbook form, for targets that are distributions
    else:
        rest = f"{softmax} * sum(target, axis={written}, keepdims=1) - target"
    return f"{grad} * ({rest}){scale}"


def _ce_target_formula(logits: Array, target: Array, axis: object = -1, reduction: object = "mean") -> str:
    if is_indices(logits, target):
        return "0"
    grad, written, scale = _texts(logits, axis, reduction)
    return f"-{grad} * log_softmax(logits, axis={written}){scale}"


def _nll_logp_formula(logp: Array, target: Array, axis: object = -1, reduction: object = "mean") -> str:
    grad, _, scale = _texts(logp, axis, reduction)
    picked = _onehot_text(logp, axis) if is_indices(logp, target) else "target"
    return f"-{grad} * {picked}{scale}"


def _nll_target_formula(logp: Array, target: Array, axis: object = -1, reduction: object = "mean") -> str:
    if is_indices(logp, target):
        return "0"
    grad, _, scale = _texts(logp, axis, reduction)
    return f"-{grad} * logp{scale}"


# --- onehot(t, num_classes=C, axis=-1) --------------------------------------------------------------


def _classes(t: Array, num_classes: object) -> int:
    """num_classes, or (for -1, PyTorch's default) one more than the largest class in t, at
    least 1 (so the one-hot array is never empty)."""
    if int(num_classes) >= 0:  # type: ignore[call-overload]
        return int(num_classes)  # type: ignore[call-overload]
    finite = np.asarray(t)[np.isfinite(t)]
    return max(int(np.floor(finite.max())) + 1, 1) if finite.size else 1


def _onehot(t: Array, num_classes: object = -1, axis: object = -1) -> Array:
    return onehot_classes(t, _classes(t, num_classes), int(axis))  # type: ignore[call-overload]


def _num_classes_problem(num_classes: object) -> str | None:
    number = isinstance(num_classes, (int, float)) and not isinstance(num_classes, bool)
    whole = number and np.isfinite(num_classes) and num_classes == int(num_classes)  # type: ignore[arg-type]
    if whole and (num_classes == -1 or num_classes >= 1):  # type: ignore[operator]
        return None
    return (
        f"num_classes is a whole number from 1 (or -1, one more than the largest class), not {num_classes!r}"
    )


def _onehot_check(t: Array, num_classes: object = -1, axis: object = -1) -> str | None:
    problem = _num_classes_problem(num_classes) or _axis_problem(np.expand_dims(t, 0), axis)
    finite = np.asarray(t)[np.isfinite(t)]
    if problem is None and int(num_classes) == -1 and finite.size and finite.max() >= MAX_ONEHOT:  # type: ignore[call-overload]
        problem = f"onehot of a class as large as {finite.max():g}: give num_classes="
    if problem is None and np.size(t) * _classes(t, num_classes) > MAX_ONEHOT:
        problem = f"a one-hot array of more than {MAX_ONEHOT} elements: fewer classes or samples"
    return problem


def _onehot_vjp(t: Array, out: Array, grad: Array, **_: object) -> Array:
    return np.zeros(lead_axes(grad, out) + np.shape(t))


ROWS = [
    Op(
        "cross_entropy",
        ("logits", "target"),
        _cross_entropy,
        (
            Partial(_ce_logits_formula, vjp=_ce_logits_vjp, textbook=_ce_textbook),
            Partial(_ce_target_formula, vjp=_ce_target_vjp, cut=_index_cut),
        ),
        "cross_entropy",
        check=_check("logits"),
        shapes=((4, 3), (4, 3)),  # probabilities: random numbers are no class indices
        pointwise=False,
        options=CLASS_OPTIONS,
    ),
    Op(
        "nll",
        ("logp", "target"),
        _nll,
        (
            Partial(_nll_logp_formula, vjp=_nll_logp_vjp),
            Partial(_nll_target_formula, vjp=_nll_target_vjp, cut=_index_cut),
        ),
        "nll",
        check=_check("logp"),
        shapes=((4, 3), (4, 3)),
        pointwise=False,
        options=CLASS_OPTIONS,
        aliases=("nll_loss",),
    ),
    # onehot(t, num_classes=3): a new axis (last, or at `axis`) with 1 at class t, else 0 (a t
    # that is no whole number from 0 to C - 1 gives 0 everywhere: t == k for no k). Flat.
    Op(
        "one_hot",
        ("t",),
        _onehot,
        # Like a comparison (t == k), onehot cuts its input off the graph.
        (Partial("0", vjp=_onehot_vjp, cut=lambda t, out, **_: np.asarray(True)),),
        "onehot",
        check=_onehot_check,
        shapes=((3,),),
        pointwise=False,
        options=(("num_classes", -1), ("axis", -1)),
        aliases=("one_hot",),
    ),
]
