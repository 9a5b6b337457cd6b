"""Reductions: sum, mean, prod, max, min and norm, over all the elements of an array or along
axes (numpy's `axis=` and `keepdims=`), and maxmask/minmask, the tie masks that the derivatives of
max and min are written with.

Along axes, the upstream gradient has the output's shape and reaches the input with the reduced
axes put back (`expand_dims(grad, axis=1)`), so the partials are vector-Jacobian products printed
over `grad`, for every call: over all the elements too (`sum(x)`'s is `grad`, `mean(x)`'s
`grad/6`), so that one rule and one formula cover every option. (A local derivative times a
broadcast upstream, as these rows gave before options existed, cannot line up an upstream
gradient of shape (2,) with an input of shape (2, 3) along axis 1.)

Conventions (PyTorch 2.13, measured: tests/test_axes_torch.py): tied maxima (minima) share the
gradient evenly, in each slice along the axes as over the whole array (torch.amax); a nan
maximum is shared among the slice's nan elements, as PyTorch's max() does over a whole array
(torch.amax along a dim gives nan to every element of such a slice: gradcli keeps one rule for
a slice and the whole array). prod's partial is the product of the other elements, so a single
zero gets the product of the rest and two zeros give 0 everywhere; without zeros PyTorch divides
(out/x), and so does gradcli. norm's partial at an all-zero slice is taken as 0.
"""

from __future__ import annotations

import numpy as np

from .axes import (
    AXIS,
    AXIS_KEEPDIMS,
    axis_problem,
    axis_text,
    count,
    expand,
    expanded_text,
    keepdims_problem,
    kept_shape,
    numpy_axis,
    reduced,
)
from .row import Array, Op, Partial, lead_axes

# --- options: the check every reduction shares ---------------------------------------------------


def check_axis(x: Array, axis: object = None, keepdims: object = False) -> str | None:
    """Why `axis`/`keepdims` do not fit x, or None."""
    return axis_problem(np.ndim(x), axis) or keepdims_problem(keepdims)


def _grad_over(x: Array, out: Array, grad: Array, axis: object) -> Array:
    """The upstream gradient with the reduced axes back, broadcast to x (batch axes in front)."""
    g = expand(grad, out, x, axis)
    return np.broadcast_to(g, lead_axes(grad, out) + np.shape(x))


def _times(g: Array, local: Array, selected: Array | None = None) -> Array:
    """g × local, but 0 where `selected` says the op selects, whatever g is (PyTorch's masks)."""
    product = g * local
    if selected is None or np.isfinite(g).all():
        return product
    return np.where(selected, 0.0, product)


# --- sum and mean ---------------------------------------------------------------------------------


def _sum(x: Array, axis: object = None, keepdims: object = False) -> Array:
    return np.sum(x, axis=numpy_axis(axis), keepdims=bool(keepdims))


def _sum_formula(x: Array, axis: object = None, keepdims: object = False) -> str:
    return expanded_text("grad", x, axis, keepdims)


def _sum_vjp(x: Array, out: Array, grad: Array, axis: object = None, keepdims: object = False) -> Array:
    return _grad_over(x, out, grad, axis)


def _mean(x: Array, axis: object = None, keepdims: object = False) -> Array:
    # np.mean of an empty array says "Mean of empty slice" through warnings.warn, which no
    # np.errstate silences; 0/0 gives the same nan through numpy's error state, as graph.py
    # listens to it (so the derivation still names mean as the first non-finite value).
    return _sum(x, axis, keepdims) / np.float64(count(x, axis))


def _mean_formula(x: Array, axis: object = None, keepdims: object = False) -> str:
    return f"{expanded_text('grad', x, axis, keepdims)}/{count(x, axis)}"


def _mean_vjp(x: Array, out: Array, grad: Array, axis: object = None, keepdims: object = False) -> Array:
    return _grad_over(x, out, grad, axis) / np.float64(count(x, axis))


# --- max and min ----------------------------------------------------------------------------------


def tie_mask(x: Array, out: Array, axis: object = None, keepdims: object = False) -> Array:
    """1/k at each of the k elements of a slice equal to its maximum `out`, 0 elsewhere:
    PyTorch's max() and amax() share a tie. A nan maximum is shared among the slice's nan
    elements, as PyTorch's evenly_distribute_backward does over a whole array."""
    top = np.reshape(out, kept_shape(x, axis))
    hits = np.asarray((x == top) | (np.isnan(x) & np.isnan(top)), dtype=np.float64)
    return hits / np.maximum(np.sum(hits, axis=reduced(np.ndim(x), axis), keepdims=True), 1.0)


def _max(x: Array, axis: object = None, keepdims: object = False) -> Array:
    return np.max(x, axis=numpy_axis(axis), keepdims=bool(keepdims))


def _min(x: Array, axis: object = None, keepdims: object = False) -> Array:
    return np.min(x, axis=numpy_axis(axis), keepdims=bool(keepdims))


def _extreme_vjp(x: Array, out: Array, grad: Array, axis: object = None, keepdims: object = False) -> Array:
    mask = tie_mask(x, out, axis)
    return _times(_grad_over(x, out, grad, axis), mask, mask == 0)


def _mask_formula(name: str):
    def formula(x: Array, axis: object = None, keepdims: object = False) -> str:
        along = f"{name}(x)" if axis is None else f"{name}(x, axis={axis_text(axis)})"
        return f"{expanded_text('grad', x, axis, keepdims)} * {along}"

    return formula


def _ties(extreme):
    def kink(x: Array, axis: object = None, keepdims: object = False) -> Array:
        top = np.reshape(extreme(x, axis), kept_shape(x, axis))
        return np.asarray(np.any(np.sum(x == top, axis=reduced(np.ndim(x), axis)) > 1))

    return kink


def _flat(x: Array, out: Array, axis: object = None) -> Array:
    """A mask's derivative: 0 (it is flat), passing no inf or nan."""
    return np.zeros_like(x)


def _maxmask(x: Array, axis: object = None) -> Array:
    return tie_mask(x, _max(x, axis), axis)


def _minmask(x: Array, axis: object = None) -> Array:
    return tie_mask(x, _min(x, axis), axis)


# --- prod -----------------------------------------------------------------------------------------


def _exclusive_products(x: Array, axes: tuple[int, ...]) -> Array:
    """Each element's product of the other elements of its slice, without dividing: the products
    before it times the products after it (PyTorch's prod_safe_zeros_backward)."""
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return np.zeros_like(x)
    rest = [a for a in range(x.ndim) if a not in axes]
    moved = np.transpose(x, rest + list(axes))
    flat = moved.reshape((*moved.shape[: len(rest)], -1))
    ones = np.ones((*flat.shape[:-1], 1))
    before = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    others = (before * after).reshape(moved.shape)
    return np.transpose(others, np.argsort(rest + list(axes)))


def _prod(x: Array, axis: object = None, keepdims: object = False) -> Array:
    return np.prod(x, axis=numpy_axis(axis), keepdims=bool(keepdims))


def prod_partial(x: Array, out: Array, axis: object = None, keepdims: object = False) -> Array:
    """∂prod/∂x: out/x as PyTorch divides when x has no zero; with a zero anywhere, the product
    of the other elements of each slice (exact at the zeros)."""
    if not np.any(np.asarray(x) == 0):
        return np.reshape(out, kept_shape(x, axis)) / x
    return _exclusive_products(x, reduced(np.ndim(x), axis))


def _prod_vjp(x: Array, out: Array, grad: Array, axis: object = None, keepdims: object = False) -> Array:
    return _grad_over(x, out, grad, axis) * prod_partial(x, out, axis)


def _prod_formula(x: Array, axis: object = None, keepdims: object = False) -> str:
    return f"{expanded_text('grad', x, axis, keepdims)} * {expanded_text('out', x, axis, keepdims)}/x"


def _has_zero(x: Array, axis: object = None, keepdims: object = False) -> Array:
    return np.asarray(np.any(np.asarray(x) == 0))


# --- norm -----------------------------------------------------------------------------------------


def _norm(x: Array, axis: object = None, keepdims: object = False) -> Array:
    return np.sqrt(np.sum(x * x, axis=numpy_axis(axis), keepdims=bool(keepdims)))


def norm_partial(x: Array, out: Array, axis: object = None, keepdims: object = False) -> Array:
    # PyTorch's norm backward masks the 0/0 at an all-zero slice to 0 (then multiplies).
    top = np.reshape(out, kept_shape(x, axis))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(top == 0, 0.0, x / np.where(top == 0, 1.0, top))


def _norm_vjp(x: Array, out: Array, grad: Array, axis: object = None, keepdims: object = False) -> Array:
    return _grad_over(x, out, grad, axis) * norm_partial(x, out, axis)


def _norm_formula(x: Array, axis: object = None, keepdims: object = False) -> str:
    return f"{expanded_text('grad', x, axis, keepdims)} * x/{expanded_text('out', x, axis, keepdims)}"


def _zero_slice(x: Array, axis: object = None, keepdims: object = False) -> Array:
    return np.asarray(np.any(np.all(np.asarray(x) == 0, axis=reduced(np.ndim(x), axis))))


def _reduction(name: str, forward, partial: Partial, symbol: str, **more) -> Op:
    more.setdefault("shapes", ((2, 3),))
    return Op(
        name,
        ("x",),
        forward,
        (partial,),
        symbol,
        check=check_axis,
        pointwise=False,
        options=AXIS_KEEPDIMS,
        **more,
    )


ROWS = [
    _reduction("sum", _sum, Partial(_sum_formula, vjp=_sum_vjp), "sum"),
    _reduction("mean", _mean, Partial(_mean_formula, vjp=_mean_vjp), "mean"),
    _reduction(
        "prod",
        _prod,
        Partial(_prod_formula, vjp=_prod_vjp),
        "prod",
        kink=_has_zero,
        convention="a zero in x: the partial is the product of the other elements, not out/x (PyTorch)",
        domain=(0.5, 2.0),
    ),
    _reduction(
        "amax",
        _max,
        Partial(_mask_formula("maxmask"), vjp=_extreme_vjp),
        "max",
        kink=_ties(_max),
        convention="tied maxima share the gradient equally (PyTorch's max() and amax())",
        shapes=((4,),),
    ),
    _reduction(
        "amin",
        _min,
        Partial(_mask_formula("minmask"), vjp=_extreme_vjp),
        "min",
        kink=_ties(_min),
        convention="tied minima share the gradient equally (PyTorch's min() and amin())",
        shapes=((4,),),
    ),
    Op(
        "maxmask",
        ("x",),
        _maxmask,
        (Partial("0", _flat, masked=True),),
        "maxmask",
        check=lambda x, axis=None: axis_problem(np.ndim(x), axis),
        shapes=((4,),),
        pointwise=False,
        options=AXIS,
    ),
    Op(
        "minmask",
        ("x",),
        _minmask,
        (Partial("0", _flat, masked=True),),
        "minmask",
        check=lambda x, axis=None: axis_problem(np.ndim(x), axis),
        shapes=((4,),),
        pointwise=False,
        options=AXIS,
    ),
    _reduction(
        "norm",
        _norm,
        Partial(_norm_formula, vjp=_norm_vjp),
        "norm",
        kink=_zero_slice,
        convention="norm at the origin: the gradient is taken as 0 (PyTorch)",
        shapes=((3,),),
    ),
]
