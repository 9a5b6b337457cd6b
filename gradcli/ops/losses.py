"""Losses of regression and binary classification, elementwise before they reduce: mse,
huber(r, delta) and huber_loss(yhat, y, delta), bce(p, y), bce_with_logits(z, y). Cross-entropy
and nll, which work along a class axis, are in class_losses.py; both modules share the reductions
below.

Each loss is computed element by element (or sample by sample) and then reduced as PyTorch's
`reduction=` says: "mean" (the default: the sum over the N elements, divided by N), "sum", or
"none" (one loss per element, the shape of the inputs). The partials are vector-Jacobian
products over `grad`, the upstream gradient, and print the textbook derivative times it:
`grad * 2 * (yhat - y)/N` for mse, `grad * (sigmoid(z) - y)/N` for bce_with_logits.

Conventions (PyTorch 2.13 float64, measured: tests/test_losses_torch_binary.py):
- bce clamps each log at -100 (so bce is at most 100 per element), and divides its derivative by
  max((1 - p) p, ε) with ε = 1e-12 as a float32 (9.999999960041972e-13): at p = 0 or 1 the
  gradient is finite, ±1.0000000039958e12. The target's partial, log1p(-p) - log(p), is not
  clamped (±inf at p = 0 or 1). p outside [0, 1] (or nan) is an error, as in PyTorch.
- huber's derivative is r clipped to ±delta, continuous at |r| = delta (where it is ±delta),
  and its second derivative there is 0, as PyTorch's (the formula, `where(abs(r) < delta, r,
  delta*sign(r))`, gives that when differentiated again). delta must be positive.
- bce_with_logits is (1 - y) z - logsigmoid(z), PyTorch's stable form: no overflow at z = ±1000.
- The two inputs of bce and bce_with_logits have one shape (PyTorch refuses others); mse and
  huber_loss also take a number for either side (`mse(yhat, 0)`), but no other broadcasting,
  since (N, 1) against (N,) silently makes an N × N loss.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .activations import sigmoid
from .row import Array, Op, Partial, lead_axes

REDUCTIONS = ("mean", "sum", "none")
# The derivative of one element's loss, per input, of each elementwise loss (loss_tangents.py
# pushes forward mode's tangents through them): name -> (rule on the inputs and options, ...).
LOCALS: dict[str, tuple[Callable[..., Array], ...]] = {}
REDUCTION = (("reduction", "mean"),)
# PyTorch's EPSILON in binary_cross_entropy's backward: 1e-12 as a float32 constant.
BCE_EPSILON = float(np.float32(1e-12))


# --- the reductions every loss shares ------------------------------------------------------------


def reduction_problem(reduction: object) -> str | None:
    if reduction in REDUCTIONS:
        return None
    return f'reduction is "mean", "sum" or "none", not {reduction!r}'


def reduce_losses(losses: Array, reduction: object = "mean") -> Array:
    """The loss of each element (or sample), reduced as `reduction` says. The mean of no
    elements is 0/0 = nan, as in PyTorch (numpy's error state reports it, not a warning)."""
    if reduction == "none":
        return np.asarray(losses, dtype=np.float64)
    total = np.sum(losses)
    return total if reduction == "sum" else total / np.float64(np.size(losses))


def upstream_each(grad: Array, out: Array, shape: tuple[int, ...], reduction: object) -> Array:
    """The upstream gradient of each element's loss, shaped (batch axes of a Jacobian's seeds,
    then `shape`, the losses' shape): grad itself for "none", else the one number broadcast
    (over N for "mean")."""
    if reduction == "none":
        return grad
    lead = lead_axes(grad, out)
    each = np.reshape(grad, lead + (1,) * len(shape))
    return each / np.float64(int(np.prod(shape, dtype=int))) if reduction == "mean" else each


def scale_text(reduction: object, count: int) -> str:
    """What the printed partial divides by: `/N` for the mean of N > 1, else nothing."""
    return f"/{count}" if reduction == "mean" and count != 1 else ""


def number_text(value: object) -> str:
    """A constant in a formula: `1`, `0.5`, `1e-06`."""
    number = float(value)  # type: ignore[arg-type]
    return str(int(number)) if number == int(number) and abs(number) < 1e15 else repr(number)


# --- elementwise losses of two inputs ------------------------------------------------------------


def _pair_problem(a: Array, b: Array, same: bool) -> str | None:
    sa, sb = np.shape(a), np.shape(b)
    if sa == sb or (not same and (sa == () or sb == ())):
        return None
    either = "" if same else ", or one of them a number"
    return f"the two inputs have one shape{either}: {sa} and {sb} differ (reshape one of them)"


def _elementwise_losses(
    name: str,
    params: tuple[str, ...],
    each: Callable[..., Array],
    locals_: tuple[tuple[Callable[..., Array], str], ...],
    **row: object,
) -> Op:
    """A loss computed element by element (`each`, on the inputs and options), then reduced.
    `locals_` holds, per input, the derivative of one element's loss (a rule on the inputs and
    the options) and its text in gradcli's language (a callable on the same)."""

    def forward(*args: Array, reduction: object = "mean", **options: object) -> Array:
        return reduce_losses(each(*args, **options), reduction)

    LOCALS[name] = tuple(local for local, _ in locals_)

    def partial(local: Callable[..., Array], text: Callable[..., str]) -> Partial:
        def vjp(*args: Array, reduction: object = "mean", **options: object) -> Array:
            *inputs, out, grad = args
            shape = np.broadcast_shapes(*(np.shape(x) for x in inputs))
            with np.errstate(divide="ignore", invalid="ignore"):
                return upstream_each(grad, out, shape, reduction) * local(*inputs, **options)

        def formula(*inputs: Array, reduction: object = "mean", **options: object) -> str:
            count = int(np.prod(np.broadcast_shapes(*(np.shape(x) for x in inputs)), dtype=int))
            body = text(*inputs, **options)
            sign, body = ("-", body[1:]) if body.startswith("-") else ("", body)
            return f"{sign}grad * {body}{scale_text(reduction, count)}"

        return Partial(formula, vjp=vjp)

    return Op(
        name,
        params,
        forward,
        tuple(partial(local, text) for local, text in locals_),
        name,
        pointwise=False,
        **row,  # type: ignore[arg-type]
    )


# mse(yhat, y) = mean((yhat - y)^2)


def _mse_each(yhat: Array, y: Array) -> Array:
    return (np.asarray(yhat) - y) ** 2


def _mse_check(yhat: Array, y: Array, reduction: object = "mean") -> str | None:
    return reduction_problem(reduction) or _pair_problem(yhat, y, same=False)


# huber(r, delta) on a residual, huber_loss(yhat, y, delta) on a prediction and its target


def _huber_each(r: Array, delta: object = 1.0) -> Array:
    z = np.abs(r)
    d = np.float64(delta)  # type: ignore[arg-type]
    return np.where(z < d, 0.5 * z * z, d * (z - 0.5 * d))


def _huber_slope(r: Array, delta: object = 1.0) -> Array:
    # PyTorch: r < -delta ? -delta : (r > delta ? delta : r); continuous at |r| = delta.
    d = np.float64(delta)  # type: ignore[arg-type]
    return np.where(r < -d, -d, np.where(r > d, d, r))


def _huber_text(r: str, delta: object) -> str:
    d = number_text(delta)
    outside = "sign" if d == "1" else f"{d} * sign"
    return f"where(abs({r}) < {d}, {r}, {outside}({r}))"


def _delta_problem(delta: object) -> str | None:
    if isinstance(delta, (int, float)) and not isinstance(delta, bool) and delta > 0 and np.isfinite(delta):
        return None
    return f"delta is a positive number (where the loss turns from square to linear), not {delta!r}"


def _huber_check(r: Array, delta: object = 1.0, reduction: object = "mean") -> str | None:
    return _delta_problem(delta) or reduction_problem(reduction)


def _huber_loss_check(yhat: Array, y: Array, delta: object = 1.0, reduction: object = "mean") -> str | None:
    return _delta_problem(delta) or reduction_problem(reduction) or _pair_problem(yhat, y, same=False)


# bce(p, y) = -(y log p + (1 - y) log(1 - p)), each log clamped at -100


def _bce_each(p: Array, y: Array) -> Array:
    with np.errstate(divide="ignore"):
        return (y - 1.0) * np.maximum(np.log1p(-p), -100.0) - y * np.maximum(np.log(p), -100.0)


def _bce_p(p: Array, y: Array) -> Array:
    return (np.asarray(p) - y) / np.maximum((1.0 - p) * p, BCE_EPSILON)


def _bce_y(p: Array, y: Array) -> Array:
    with np.errstate(divide="ignore"):
        return np.log1p(-p) - np.log(p)


def _bce_p_text(p: Array, y: Array) -> str:
    """The textbook (p - y)/((1 - p) p); PyTorch's ε only where it is in force."""
    if np.any((1.0 - p) * p <= BCE_EPSILON):
        return f"(p - y)/max((1 - p) * p, {BCE_EPSILON!r})"
    return "(p - y)/((1 - p) * p)"


def _bce_check(p: Array, y: Array, reduction: object = "mean") -> str | None:
    problem = reduction_problem(reduction) or _pair_problem(p, y, same=True)
    if problem is None:
        outside = ~((np.asarray(p) >= 0) & (np.asarray(p) <= 1))  # nan too
        if np.any(outside):
            where = np.argwhere(outside)[0]
            at = f"p[{', '.join(map(str, where))}]" if np.ndim(p) else "p"
            value = np.asarray(p)[tuple(where)]
            problem = (
                f"p holds probabilities, from 0 to 1, but {at} is {value:g}: for scores (logits), "
                "use bce_with_logits(z, y), or bce(sigmoid(z), y)"
            )
    return problem


def _at_bound(p: Array, y: Array, reduction: object = "mean") -> Array:
    return np.asarray(np.any((np.asarray(p) == 0) | (np.asarray(p) == 1)))


# bce_with_logits(z, y) = (1 - y) z - logsigmoid(z)


def _bce_logits_each(z: Array, y: Array) -> Array:
    logsigmoid = np.minimum(z, 0.0) - np.log1p(np.exp(-np.abs(z)))
    return (1.0 - np.asarray(y)) * z - logsigmoid


def _pair_check(a: Array, b: Array, reduction: object = "mean") -> str | None:
    return reduction_problem(reduction) or _pair_problem(a, b, same=True)


ROWS = [
    _elementwise_losses(
        "mse",
        ("yhat", "y"),
        _mse_each,
        (
            (lambda yhat, y: 2.0 * (yhat - y), lambda yhat, y: "2 * (yhat - y)"),
            (lambda yhat, y: -2.0 * (yhat - y), lambda yhat, y: "-2 * (yhat - y)"),
        ),
        check=_mse_check,
        shapes=((3,), (3,)),
        options=REDUCTION,
        aliases=("mse_loss",),
    ),
    _elementwise_losses(
        "huber",
        ("r",),
        _huber_each,
        ((_huber_slope, lambda r, delta=1.0: _huber_text("r", delta)),),
        check=_huber_check,
        shapes=((4,),),
        options=(("delta", 1.0), *REDUCTION),
    ),
    _elementwise_losses(
        "huber_loss",
        ("yhat", "y"),
        lambda yhat, y, delta=1.0: _huber_each(np.asarray(yhat) - y, delta),
        (
            (
                lambda yhat, y, delta=1.0: _huber_slope(np.asarray(yhat) - y, delta),
                lambda yhat, y, delta=1.0: _huber_text("yhat - y", delta),
            ),
            (
                lambda yhat, y, delta=1.0: -_huber_slope(np.asarray(yhat) - y, delta),
                lambda yhat, y, delta=1.0: "-" + _huber_text("yhat - y", delta),
            ),
        ),
        check=_huber_loss_check,
        shapes=((3,), (3,)),
        options=(("delta", 1.0), *REDUCTION),
    ),
    _elementwise_losses(
        "bce",
        ("p", "y"),
        _bce_each,
        ((_bce_p, _bce_p_text), (_bce_y, lambda p, y: "(log1p(-p) - log(p))")),
        check=_bce_check,
        kink=_at_bound,
        convention="p = 0 or 1: each log is clamped at -100, and ∂/∂p divides by "
        "max((1 - p) p, 1e-12) (PyTorch)",
        domain=(0.05, 0.95),
        shapes=((3,), (3,)),
        options=REDUCTION,
        aliases=("binary_cross_entropy",),
        # p must lie in [0, 1]: random expressions of numbers would leave it (tested apart).
        generic_test=False,
    ),
    _elementwise_losses(
        "bce_with_logits",
        ("z", "y"),
        _bce_logits_each,
        (
            (lambda z, y: sigmoid(z) - y, lambda z, y: "(sigmoid(z) - y)"),
            (lambda z, y: -np.asarray(z, dtype=np.float64), lambda z, y: "-z"),
        ),
        check=_pair_check,
        shapes=((3,), (3,)),
        options=REDUCTION,
        aliases=("binary_cross_entropy_with_logits",),
    ),
]
