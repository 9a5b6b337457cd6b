"""numpy's `axis=` and `keepdims=` for the reductions, and two shape ops their formulas use.

A reduction along some axes leaves an output that no longer lines up with its input: the upstream
gradient of `sum(x, axis=1)` on a (2, 3) input has shape (2,), and it reaches x with the reduced
axis put back, `expand_dims(grad, axis=1)`, broadcast over that axis. The helpers below do that
once for every axis-aware rule (reductions.py, softmax.py, statistics.py, cumulative.py):
`reduced` says which axes a call reduces, `expand` puts them back into an upstream gradient (any
leading batch axes of a Jacobian's seeds stay in front), `count` is how many elements each output
number reduces. `axis_problem` gives the message for an axis a call cannot take.

Option values come from the language as plain Python (the interface of the keyword options):
`axis` is None, a whole number or a tuple of them (`axis=[0, 2]`), `keepdims` a bool (0 or 1).

`expand_dims` and `reshape` (numpy's, with `shape=` as a keyword or by position) are rows here
because the printed partials of the axis reductions are written with them. numpy demands their
option; here `axis` defaults to 0 and `shape` to [-1] (flatten), as every row's rules must be
callable without options (the table's generic tests call them so).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .row import Array, Op, Partial, lead_axes

AXIS = (("axis", None),)
AXIS_KEEPDIMS = (("axis", None), ("keepdims", False))


def _whole(value: object) -> int | None:
    """An axis or a dimension as an int, or None when it is not a whole number."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return None
    if not np.isfinite(value) or float(value) != int(value):
        return None
    return int(value)


def _items(axis: object) -> tuple[object, ...]:
    return tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)


def axis_text(axis: object) -> str:
    """An axis option as the source writes it: `1`, `-1`, `[0, 2]`."""
    if isinstance(axis, (tuple, list)):
        return "[" + ", ".join(axis_text(a) for a in axis) + "]"
    whole = _whole(axis)
    return str(whole) if whole is not None else str(axis)


def axis_problem(ndim: int, axis: object) -> str | None:
    """Why `axis` does not fit an array of `ndim` dimensions, or None: each axis a whole number
    from -ndim to ndim - 1, none named twice (numpy's rules)."""
    if axis is None:
        return None
    seen: set[int] = set()
    for item in _items(axis):
        whole = _whole(item)
        if whole is None:
            return f"axis is a whole number or a list of them, like axis=1 or axis=[0, 1], not {item!r}"
        if not -ndim <= whole < ndim:
            if ndim == 0:
                return f"axis {whole} does not exist: a number has no axes (leave axis out)"
            return (
                f"axis {whole} is out of range for an array of {ndim} dimension{'s' * (ndim != 1)}: "
                f"axes count from 0 to {ndim - 1}, or back from -1"
            )
        if whole % ndim in seen:
            return f"axis {axis_text(axis)} names dimension {whole % ndim} twice"
        seen.add(whole % ndim)
    return None


def keepdims_problem(keepdims: object) -> str | None:
    if isinstance(keepdims, (bool, np.bool_)) or _whole(keepdims) in (0, 1):
        return None
    return f"keepdims is 0 or 1, not {keepdims!r}"


def reduced(ndim: int, axis: object) -> tuple[int, ...]:
    """The axes a call reduces, counted from 0 and sorted: all of them for axis=None."""
    if axis is None:
        return tuple(range(ndim))
    return tuple(sorted({int(item) % ndim for item in _items(axis)})) if ndim else ()


def numpy_axis(axis: object) -> int | tuple[int, ...] | None:
    """The option as numpy takes it (a tuple for a list; whole floats as ints)."""
    if axis is None:
        return None
    if isinstance(axis, (tuple, list)):
        return tuple(int(a) for a in axis)
    return int(axis)


def count(x: Array, axis: object) -> int:
    """How many elements of x each output number of the reduction is made of."""
    shape = np.shape(x)
    return int(np.prod([shape[a] for a in reduced(len(shape), axis)], dtype=int))


def kept_shape(x: Array, axis: object) -> tuple[int, ...]:
    """x's shape with the reduced axes kept, each as 1 (the shape keepdims=1 gives)."""
    axes = set(reduced(np.ndim(x), axis))
    return tuple(1 if i in axes else n for i, n in enumerate(np.shape(x)))


def expand(t: Array, out: Array, x: Array, axis: object) -> Array:
    """`t` (the output's shape, after any leading batch axes) with the reduced axes of x put back
    as axes of length 1, so that it broadcasts against x: `expand_dims(t, axis)` in the source.
    With keepdims the axes are there already, and the reshape changes nothing."""
    return np.reshape(t, lead_axes(t, out) + kept_shape(x, axis))


# The classes of a softmax, say. numpy reduces an inner axis this short slowly, row by row, and
# takes its elements one after the other (a sum from 0.0); from 8 on, its unrolled loops take them
# in another order, which a fold would not match to the last bit (a max of 0.0 and -0.0 ties).
SHORT_AXIS = 7


def slice_max(x: Array, axes: int | tuple[int, ...]) -> Array:
    """np.max(x, axis=axes, keepdims=True, initial=-inf): each slice's maximum, the same numbers.
    Over one short axis of a big array (N points of a few classes) it is taken element by element
    along that axis with np.maximum (the reduction's own comparison, nan kept, in the same order),
    which numpy runs ~30 times faster than a reduction over a short inner axis
    (tests/test_slice_reductions.py: bit for bit over layouts, signed zeros, inf and nan)."""
    a = _short_axis(x, axes)
    if a is None:
        return np.max(x, axis=axes, keepdims=True, initial=-np.inf)
    top = _along(x, a, 0)
    for k in range(1, np.shape(x)[a]):
        top = np.maximum(top, _along(x, a, k))
    return np.expand_dims(top, a)


def slice_sum(x: Array, axes: int | tuple[int, ...]) -> Array:
    """np.sum(x, axis=axes, keepdims=True), the same numbers. Over one short axis of a big array
    it is added element by element along that axis, as numpy does, ~10 times faster."""
    a = _short_axis(x, axes)
    if a is None:
        return np.sum(x, axis=axes, keepdims=True)
    total = 0.0 + _along(x, a, 0)  # from 0.0, as numpy: a slice of -0.0 sums to 0.0
    for k in range(1, np.shape(x)[a]):
        total += _along(x, a, k)
    return np.expand_dims(total, a)


def _short_axis(x: Array, axes: int | tuple[int, ...]) -> int | None:
    """The one axis to fold element by element (counted from 0), or None where numpy's own
    reduction serves: several axes, a small array, or an axis longer than SHORT_AXIS."""
    axes = (axes,) if isinstance(axes, int) else tuple(axes)
    if len(axes) != 1 or np.size(x) < 1024 or not 1 <= np.shape(x)[axes[0]] <= SHORT_AXIS:
        return None
    return axes[0] % np.ndim(x)


def _along(x: Array, axis: int, k: int) -> Array:
    """The k-th slice of x along an axis, a view (np.take would copy it)."""
    return np.asarray(x)[(slice(None),) * axis + (k,)]


def own_axes(grad: Array, out: Array, axes: Iterable[int]) -> tuple[int, ...]:
    """`axes` of the output counted in an upstream gradient that may have leading batch axes."""
    lead = len(lead_axes(grad, out))
    return tuple(lead + a for a in axes)


def is_default(axis: object, keepdims: object = False) -> bool:
    """The call reduces every element to one number, as before options: axis and keepdims left out."""
    return axis is None and not keepdims


def expanded_text(name: str, x: Array, axis: object, keepdims: object) -> str:
    """`name` (grad, out) with the reduced axes put back, as a formula: `expand_dims(grad, axis=1)`.
    Without them (keepdims, or every axis reduced to a number) the name alone broadcasts."""
    if keepdims or not reduced(np.ndim(x), axis) or axis is None:
        return name
    return f"expand_dims({name}, axis={axis_text(axis)})"


def shape_text(shape: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(n) for n in shape) + "]"


# --- expand_dims and reshape ------------------------------------------------------------------


def _back_to_input(x: Array, out: Array, grad: Array, **_: object) -> Array:
    """The vjp of an op that only changes the shape: grad with x's shape (batch axes kept)."""
    return np.reshape(grad, lead_axes(grad, out) + np.shape(x))


def _back_formula(x: Array, **_: object) -> str:
    if np.ndim(x) == 0:
        return "sum(grad)"  # one element: no list to write the empty shape with
    return f"reshape(grad, shape={shape_text(np.shape(x))})"


def _expand_dims_check(x: Array, axis: object = 0) -> str | None:
    if axis is None:
        return "expand_dims needs the position of the new axis: expand_dims(x, axis=0)"
    return axis_problem(np.ndim(x) + len(_items(axis)), axis)


def _expand_dims(x: Array, axis: object = 0) -> Array:
    return np.expand_dims(x, numpy_axis(axis))


def _shape_of(shape: object) -> tuple[int, ...] | None:
    items = tuple(_whole(n) for n in _items(shape))
    return None if any(n is None for n in items) else items  # type: ignore[return-value]


def _reshape_check(x: Array, shape: object = (-1,)) -> str | None:
    dims = _shape_of(shape)
    if dims is None or any(n < -1 for n in dims) or dims.count(-1) > 1:
        return "shape is a list of whole numbers, at most one of them -1 (the rest of the elements)"
    known = int(np.prod([n for n in dims if n != -1], dtype=int))
    size = int(np.size(x))
    fits = size % known == 0 if -1 in dims and known else known == size
    if not fits:
        return f"an array of {size} elements (shape {np.shape(x)}) cannot take shape {shape_text(dims)}"
    return None


def _reshape(x: Array, shape: object = (-1,)) -> Array:
    return np.reshape(x, _shape_of(shape))


ROWS = [
    # expand_dims(x, axis=1): a new axis of length 1 at that position (several for a list).
    Op(
        "expand_dims",
        ("x",),
        _expand_dims,
        (Partial(_back_formula, vjp=_back_to_input),),
        "expand_dims",
        check=_expand_dims_check,
        shapes=((2, 3),),
        pointwise=False,
        options=(("axis", 0),),
    ),
    # reshape(x, shape=[2, 3]): the same elements in C order; -1 stands for the rest.
    Op(
        "reshape",
        ("x",),
        _reshape,
        (Partial(_back_formula, vjp=_back_to_input),),
        "reshape",
        check=_reshape_check,
        shapes=((2, 3),),
        pointwise=False,
        options=(("shape", (-1,)),),
    ),
]
