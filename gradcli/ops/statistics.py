"""var and std, over all the elements of an array or along axes, with numpy's `ddof=` (the
divisor is n - ddof: `ddof=1` for the sample variance) and `keepdims=`.

Values are numpy's: the mean squared deviation, divided by max(n - ddof, 0) (so inf, or nan
for no deviation, when ddof >= n). Gradients are PyTorch 2.13's (measured:
tests/test_axes_torch.py): var's is 2(x - mean)/(n - ddof); std's is var's times
1/(2 std), taken as 0 where std is 0 (a constant slice), even for an inf or nan upstream. Where
ddof >= n, PyTorch's var gives inf over the whole array (nan where x equals the mean) and, along
axes, 2(x - mean)/(n - ddof) as it is; gradcli gives the same numbers and marks the node.
"""

from __future__ import annotations

import numpy as np

from .axes import axis_text, count, expand, expanded_text, kept_shape, numpy_axis, reduced
from .reductions import check_axis
from .row import Array, Op, Partial, lead_axes

OPTIONS = (("axis", None), ("ddof", 0), ("keepdims", False))


def _check(x: Array, axis: object = None, ddof: object = 0, keepdims: object = False) -> str | None:
    if isinstance(ddof, bool) or not isinstance(ddof, (int, float)) or not np.isfinite(ddof):
        return f"ddof is a number (the divisor is n - ddof), not {ddof!r}"
    return check_axis(x, axis, keepdims)


def _dof(x: Array, axis: object, ddof: object) -> float:
    return float(count(x, axis) - ddof)  # type: ignore[operator]


def _centred(x: Array, axis: object) -> Array:
    """x minus the mean of its slice."""
    axes = reduced(np.ndim(x), axis)
    return x - np.sum(x, axis=axes, keepdims=True) / np.float64(count(x, axis))


def _var(x: Array, axis: object = None, ddof: object = 0, keepdims: object = False) -> Array:
    d = _centred(x, axis)
    squares = np.sum(d * d, axis=numpy_axis(axis), keepdims=bool(keepdims))
    return squares / np.float64(max(_dof(x, axis, ddof), 0.0))


def _std(x: Array, axis: object = None, ddof: object = 0, keepdims: object = False) -> Array:
    return np.sqrt(_var(x, axis, ddof, keepdims))


def var_factor(x: Array, axis: object, ddof: object) -> Array:
    """∂var/∂x for each element, to be multiplied by the upstream gradient as PyTorch's
    var_backward does: 2(x - mean)/(n - ddof); with n - ddof <= 0 over the whole array, inf, or
    nan where x equals the mean (along axes, the division by n - ddof as it is)."""
    d = _centred(x, axis)
    dof = _dof(x, axis, ddof)
    if dof <= 0 and axis is None:
        return np.where(d == 0, np.nan, np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (2.0 / np.float64(dof)) * d


def _upstream(x: Array, out: Array, grad: Array, axis: object) -> Array:
    """The upstream gradient with the reduced axes back, broadcast to x (batch axes in front)."""
    return np.broadcast_to(expand(grad, out, x, axis), lead_axes(grad, out) + np.shape(x))


def _var_vjp(x: Array, out: Array, grad: Array, axis: object = None, ddof: object = 0, **_: object) -> Array:
    return _upstream(x, out, grad, axis) * var_factor(x, axis, ddof)


def std_scale(out: Array, x: Array, axis: object) -> Array:
    """1/(2 std), the factor from var's partial to std's: 0 where std is 0 (PyTorch's masked_fill)."""
    s = np.reshape(out, kept_shape(x, axis))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(s == 0, 0.0, 0.5 / np.where(s == 0, 1.0, s))


def _std_vjp(x: Array, out: Array, grad: Array, axis: object = None, ddof: object = 0, **_: object) -> Array:
    """var's vjp of grad/(2 std), as PyTorch's std_backward: 0 where std is 0 (a constant
    slice), even for an inf or nan upstream."""
    g = expand(grad, out, x, axis)
    selected = np.reshape(out, kept_shape(x, axis)) == 0
    scaled = g * std_scale(out, x, axis)
    if not np.isfinite(g).all():
        scaled = np.where(selected, 0.0, scaled)
    return np.broadcast_to(scaled, lead_axes(grad, out) + np.shape(x)) * var_factor(x, axis, ddof)


def _mean_text(x: Array, axis: object) -> str:
    if axis is None:
        return "mean(x)"
    return f"mean(x, axis={axis_text(axis)}, keepdims=1)"


def _dof_text(x: Array, axis: object, ddof: object) -> str:
    dof = _dof(x, axis, ddof)
    return str(int(dof)) if dof == int(dof) else repr(dof)


def _var_formula(x: Array, axis: object = None, ddof: object = 0, keepdims: object = False) -> str:
    local = f"2*(x - {_mean_text(x, axis)})/{_dof_text(x, axis, ddof)}"
    return f"{expanded_text('grad', x, axis, keepdims)} * {local}"


def _std_formula(x: Array, axis: object = None, ddof: object = 0, keepdims: object = False) -> str:
    if count(x, axis) == 1 and _dof(x, axis, ddof) > 0:
        return "0"  # the std of one number is the constant 0
    out = expanded_text("out", x, axis, keepdims)
    local = f"(x - {_mean_text(x, axis)})/({_dof_text(x, axis, ddof)}*{out})"
    return f"{expanded_text('grad', x, axis, keepdims)} * {local}"


def _few(x: Array, axis: object = None, ddof: object = 0, keepdims: object = False) -> Array:
    """ddof >= n: var is inf (nan without deviation), and so is its gradient."""
    return np.asarray(_dof(x, axis, ddof) <= 0)


def _constant(x: Array, axis: object = None, ddof: object = 0, keepdims: object = False) -> Array:
    """A slice of several elements without deviation: std is 0, where its derivative does not
    exist (a slice of one element has std 0 everywhere, and derivative 0)."""
    return np.asarray(count(x, axis) > 1 and bool(np.any(_var(x, axis, ddof) == 0)))


ROWS = [
    # Named "variance" in the table and in JSON, where "var" is a variable's node.
    Op(
        "variance",
        ("x",),
        _var,
        (Partial(_var_formula, vjp=_var_vjp),),
        "var",
        check=_check,
        kink=_few,
        convention="ddof >= n: var divides by 0 (inf, or nan); its gradient is PyTorch's (inf, or nan)",
        shapes=((2, 3),),
        pointwise=False,
        options=OPTIONS,
    ),
    Op(
        "std",
        ("x",),
        _std,
        (Partial(_std_formula, vjp=_std_vjp),),
        "std",
        check=_check,
        kink=_constant,
        convention="std is 0 (a constant slice): the gradient there is taken as 0 (PyTorch)",
        shapes=((2, 3),),
        pointwise=False,
        options=OPTIONS,
    ),
]
