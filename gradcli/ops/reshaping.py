"""Ops that move elements without arithmetic, with numpy's names and options: `ravel`,
`squeeze(x, axis=...)`, `transpose(x, [1, 0, 2])` (the row is in shapes.py; its rules are
here), `flip(x, axis=...)`, `repeat(x, 2, axis=0)`, `tile(x, [2, 1])`. (`reshape` and `expand_dims`
are rows of axes.py; `concat` and `stack`, of a list of arrays, of joining.py.)

Each gradient puts the upstream gradient back where the elements came from, so every partial is
a vector-Jacobian product written with `grad`: reshape it (ravel, squeeze), undo the permutation
(transpose, flip), sum the copies (repeat, tile). numpy leaves the options of several of these
without a default; here every one has one that changes nothing (`repeats=1`, `reps=1`, all
axes), as every row's rules must be callable without options.

`JVPS` holds their Jacobian-vector products for forward mode, written from the ops themselves
(a tangent moves as the values do). forward.py's `_JVPS` does not list them (nor those of
joining.py, matrices.py, einsum.py) yet: until it does, forward mode builds the same products,
exactly, from the vjps, except for transpose, whose product there reverses every axis whatever
`axes` says.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .axes import axis_problem, axis_text, numpy_axis, reduced, shape_text
from .row import Array, Op, Partial, lead_axes

Jvp = Callable[..., Array]


def lead_count(grad: Array, out: Array) -> int:
    """How many leading axes of `grad` are a batch of seeds (0 for one gradient)."""
    return len(lead_axes(grad, out))


def _whole(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return None
    return int(value) if np.isfinite(value) and float(value) == int(value) else None


def _wholes(value: object) -> tuple[int, ...] | None:
    """A number or a list of them as whole numbers, or None when one is not whole."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    found = tuple(_whole(item) for item in items)
    return None if any(n is None for n in found) else found  # type: ignore[return-value]


def to_input(x: Array, out: Array, grad: Array, **_: object) -> Array:
    """The vjp of an op that only changes the shape: grad in x's shape (batch axes kept)."""
    return np.reshape(grad, lead_axes(grad, out) + np.shape(x))


def reshaped(text: str, x: Array) -> str:
    """`text` (a formula of x's size) written back in x's shape: `reshape(text, shape=[2, 3])`."""
    if np.ndim(x) == 0:
        return f"sum({text})"  # one element: no list writes the empty shape
    return f"reshape({text}, shape={shape_text(np.shape(x))})"


def _back_formula(x: Array, **_: object) -> str:
    return reshaped("grad", x)


def _reshape_jvp(index: int, args: list, out: Array, tangent: Array, **_: object) -> Array:
    return np.reshape(tangent, (len(tangent), *np.shape(out)))


# --- ravel, squeeze ---------------------------------------------------------------------------


def _ravel(x: Array) -> Array:
    return np.array(np.ravel(x), dtype=np.float64)


def _squeeze_check(x: Array, axis: object = None) -> str | None:
    problem = axis_problem(np.ndim(x), axis)
    if problem is not None:
        return problem
    for a in reduced(np.ndim(x), axis) if axis is not None else ():
        if np.shape(x)[a] != 1:
            return f"squeeze removes axes of length 1, and axis {a} has length {np.shape(x)[a]}"
    return None


def _squeeze(x: Array, axis: object = None) -> Array:
    return np.array(np.squeeze(x, axis=numpy_axis(axis)), dtype=np.float64)


# --- transpose (the row is in shapes.py) ----------------------------------------------------


def _permutation(x: Array, axes: object) -> tuple[int, ...]:
    """The axes of a transpose counted from 0; all of them reversed for axes=None."""
    ndim = np.ndim(x)
    if axes is None:
        return tuple(reversed(range(ndim)))
    return tuple(int(a) % ndim for a in _wholes(axes) or ())


def transpose_check(x: Array, axes: object = None) -> str | None:
    if axes is None:
        return None
    ndim, found = np.ndim(x), _wholes(axes)
    if found is None:
        return f"axes is a list of whole numbers, like axes=[1, 0], not {axes!r}"
    if len(found) != ndim:
        return (
            f"axes lists every axis once: {ndim} of them for an array of shape {np.shape(x)}, "
            f"not {len(found)}"
        )
    if any(not -ndim <= a < ndim for a in found) or len({a % ndim for a in found}) != ndim:
        return f"axes must be an order of the axes 0 to {ndim - 1} (each once), not {axis_text(found)}"
    return None


def transpose_forward(x: Array, axes: object = None) -> Array:
    return np.transpose(x, _permutation(x, axes))


def _inverse(x: Array, axes: object) -> tuple[int, ...]:
    return tuple(int(k) for k in np.argsort(_permutation(x, axes)))


def transpose_vjp(x: Array, out: Array, grad: Array, axes: object = None) -> Array:
    lead = lead_count(grad, out)
    return np.transpose(grad, (*range(lead), *(lead + a for a in _inverse(x, axes))))


def transpose_formula(x: Array, axes: object = None) -> str:
    """`transpose(grad)` (the reversal is its own inverse); the inverse order for other axes."""
    if axes is None:
        return "transpose(grad)"
    return f"transpose(grad, axes={axis_text(_inverse(x, axes))})"


def _transpose_jvp(index: int, args: list, out: Array, tangent: Array, axes: object = None) -> Array:
    return np.transpose(tangent, (0, *(1 + a for a in _permutation(args[0], axes))))


# --- flip --------------------------------------------------------------------------------------


def _flip(x: Array, axis: object = None) -> Array:
    return np.flip(x, axis=numpy_axis(axis)).copy()


def _flip_vjp(x: Array, out: Array, grad: Array, axis: object = None) -> Array:
    lead = lead_count(grad, out)
    return np.flip(grad, axis=tuple(lead + a for a in reduced(np.ndim(x), axis))).copy()


def _flip_formula(x: Array, axis: object = None) -> str:
    return "flip(grad)" if axis is None else f"flip(grad, axis={axis_text(axis)})"


def _flip_jvp(index: int, args: list, out: Array, tangent: Array, axis: object = None) -> Array:
    return np.flip(tangent, axis=tuple(1 + a for a in reduced(np.ndim(args[0]), axis)))


# --- repeat --------------------------------------------------------------------------------------


def _repeat_check(x: Array, repeats: object = 1, axis: object = None) -> str | None:
    if axis is not None:
        if isinstance(axis, (tuple, list)):
            return "repeat takes one axis (a whole number), or none to repeat the flattened array"
        problem = axis_problem(np.ndim(x), axis)
        if problem is not None:
            return problem
    counts = _wholes(repeats)
    if counts is None or any(n < 0 for n in counts):
        return f"repeats is a whole number >= 0 or a list of them, not {repeats!r}"
    length = np.size(x) if axis is None else np.shape(x)[int(axis)]
    if isinstance(repeats, (tuple, list)) and len(counts) not in (1, length):
        return f"repeats lists one count per element along the axis ({length}), not {len(counts)}"
    return None


def _counts(repeats: object) -> int | list[int]:
    """repeats as numpy takes it: one count, or one per element (a list of one is one count)."""
    counts = _wholes(repeats) or (1,)
    return counts[0] if len(counts) == 1 else list(counts)


def _repeat(x: Array, repeats: object = 1, axis: object = None) -> Array:
    return np.repeat(x, _counts(repeats), axis=numpy_axis(axis))


def _source_positions(x: Array, repeats: object, axis: object) -> Array:
    """For each element of the output along the axis, the element of x it is a copy of."""
    length = np.size(x) if axis is None else np.shape(x)[int(axis)]
    return np.repeat(np.arange(length), _counts(repeats))


def _repeat_vjp(x: Array, out: Array, grad: Array, repeats: object = 1, axis: object = None) -> Array:
    """Each element of x gets the sum of the gradients of its copies."""
    lead = lead_axes(grad, out)
    if axis is None:
        grad, at, length = np.reshape(grad, (*lead, -1)), len(lead), np.size(x)
    else:
        at, length = len(lead) + int(axis) % np.ndim(x), np.shape(x)[int(axis)]
    moved = np.moveaxis(grad, at, 0)
    total = np.zeros((length, *moved.shape[1:]))
    np.add.at(total, _source_positions(x, repeats, axis), moved)
    return np.reshape(np.moveaxis(total, 0, at), lead + np.shape(x))


def _repeat_formula(x: Array, repeats: object = 1, axis: object = None) -> str:
    """The copies summed: a reshape that gives them an axis of their own, summed away; with a
    count per element, `scatter`, which adds up what lands on the same element."""
    counts = _counts(repeats)
    if isinstance(counts, list):
        positions = "[" + ", ".join(str(int(p)) for p in _source_positions(x, repeats, axis)) + "]"
        if axis is None:
            return reshaped(f'scatter(grad, ravel(x), key="{positions}")', x)
        return f'scatter(grad, x, key="{":, " * (int(axis) % np.ndim(x))}{positions}")'
    if axis is None:
        if np.ndim(x) == 0:
            return "sum(grad)"
        summed = f"sum(reshape(grad, shape=[{np.size(x)}, {counts}]), axis=1)"
        return summed if np.ndim(x) == 1 else reshaped(summed, x)
    a = int(axis) % np.ndim(x)
    shape = list(np.shape(x))
    split = shape_text((*shape[:a], shape[a], counts, *shape[a + 1 :]))
    return f"sum(reshape(grad, shape={split}), axis={a + 1})"


def _repeat_jvp(index: int, args: list, out: Array, tangent: Array, repeats=1, axis=None) -> Array:
    if axis is None:
        return np.repeat(np.reshape(tangent, (len(tangent), -1)), _counts(repeats), axis=1)
    return np.repeat(tangent, _counts(repeats), axis=1 + int(axis) % np.ndim(args[0]))


# --- tile ----------------------------------------------------------------------------------------


def _tile_check(x: Array, reps: object = 1) -> str | None:
    counts = _wholes(reps)
    if counts is None or any(n < 0 for n in counts) or not counts:
        return f"reps is a whole number >= 0 or a list of them, like [2, 1], not {reps!r}"
    return None


def _tiling(x: Array, reps: object) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """x's shape and reps, both padded with leading 1s to one length (numpy's rule)."""
    counts = _wholes(reps) or (1,)
    ndim = max(len(counts), np.ndim(x))
    return (1,) * (ndim - np.ndim(x)) + np.shape(x), (1,) * (ndim - len(counts)) + counts


def _tile(x: Array, reps: object = 1) -> Array:
    return np.tile(x, _wholes(reps) or (1,))


def _tile_split(x: Array, reps: object) -> tuple[list[int], list[int]]:
    """The output's shape with each tiled axis split into (copies, length): the shape and the
    positions of the copy axes, which the gradient sums away."""
    shape, counts = _tiling(x, reps)
    split, copies = [], []
    for n, r in zip(shape, counts, strict=True):
        if r != 1:
            copies.append(len(split))
            split.append(r)
        split.append(n)
    return split, copies


def _tile_vjp(x: Array, out: Array, grad: Array, reps: object = 1) -> Array:
    lead = lead_axes(grad, out)
    split, copies = _tile_split(x, reps)
    parts = np.reshape(grad, lead + tuple(split))
    return np.reshape(np.sum(parts, axis=tuple(len(lead) + c for c in copies)), lead + np.shape(x))


def _tile_formula(x: Array, reps: object = 1) -> str:
    split, copies = _tile_split(x, reps)
    if np.ndim(x) == 0:
        return "sum(grad)"
    if not copies:
        summed = "grad"
    else:
        summed = f"sum(reshape(grad, shape={shape_text(tuple(split))}), axis={axis_text(copies)})"
    return summed if _tiling(x, reps)[0] == np.shape(x) else reshaped(summed, x)


def _tile_jvp(index: int, args: list, out: Array, tangent: Array, reps: object = 1) -> Array:
    shape, counts = _tiling(args[0], reps)
    moving = np.reshape(tangent, (len(tangent), *shape))
    return np.tile(moving, (1, *counts))


ROWS = [
    # ravel(x): the elements in one row, C order.
    Op(
        "ravel",
        ("x",),
        _ravel,
        (Partial(_back_formula, vjp=to_input),),
        "ravel",
        shapes=((2, 3),),
        pointwise=False,
    ),
    # squeeze(x, axis=1): axes of length 1 removed (all of them without axis).
    Op(
        "squeeze",
        ("x",),
        _squeeze,
        (Partial(_back_formula, vjp=to_input),),
        "squeeze",
        check=_squeeze_check,
        shapes=((2, 1, 3),),
        pointwise=False,
        options=(("axis", None),),
    ),
    # flip(x, axis=0): the order of the elements reversed along the axes (all without axis).
    Op(
        "flip",
        ("x",),
        _flip,
        (Partial(_flip_formula, vjp=_flip_vjp),),
        "flip",
        check=lambda x, axis=None: axis_problem(np.ndim(x), axis),
        shapes=((2, 3),),
        pointwise=False,
        options=(("axis", None),),
    ),
    # repeat(x, 2, axis=0): each element twice in a row along the axis (of the flattened array
    # without axis); repeats may list a count per element.
    Op(
        "repeat",
        ("x",),
        _repeat,
        (Partial(_repeat_formula, vjp=_repeat_vjp),),
        "repeat",
        check=_repeat_check,
        shapes=((2, 3),),
        pointwise=False,
        options=(("repeats", 1), ("axis", None)),
    ),
    # tile(x, [2, 1]): the whole array repeated along each axis.
    Op(
        "tile",
        ("x",),
        _tile,
        (Partial(_tile_formula, vjp=_tile_vjp),),
        "tile",
        check=_tile_check,
        shapes=((2, 3),),
        pointwise=False,
        options=(("reps", 1),),
    ),
]

JVPS: dict[str, Jvp] = {
    "ravel": _reshape_jvp,
    "squeeze": _reshape_jvp,
    "transpose": _transpose_jvp,
    "flip": _flip_jvp,
    "repeat": _repeat_jvp,
    "tile": _tile_jvp,
}
