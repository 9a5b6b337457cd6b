"""Functions of a list of arrays, numpy's: `concat([a, b], axis=0)` joins them along an axis they
have (`concatenate` is the same), `stack([a, b], axis=0)` along a new one (the array literal
`[a, b]` is `stack` along axis 0). The arrays are the op's inputs, written as one list literal
(the row is `sequence`); any number of them.

Item k's gradient is its own part of the upstream gradient: `grad[2:5]`, `grad[:, 0:2]` for
concat, `grad[1]`, `grad[:, 1]` for stack (its row along the new axis).

`JVPS` holds their Jacobian-vector products for forward mode (see reshaping.py).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .axes import axis_problem
from .reshaping import lead_count
from .row import Array, Op, Partial

Jvp = Callable[..., Array]


def _concat_check(*items: Array, axis: object = 0) -> str | None:
    if not items:
        return "concat needs at least one array: concat([a, b], axis=0)"
    ndim = np.ndim(items[0])
    if ndim == 0:
        return "concat joins arrays along an axis, not numbers: make them vectors, or use stack"
    if any(np.ndim(item) != ndim for item in items):
        dims = ", ".join(str(np.ndim(item)) for item in items)
        return f"the arrays concat joins need one number of dimensions, not {dims}"
    if isinstance(axis, (tuple, list)) or axis is None:
        return "concat joins along one axis: axis is a whole number"
    problem = axis_problem(ndim, axis)
    if problem is not None:
        return problem
    a = int(axis) % ndim
    others = {np.shape(item)[:a] + np.shape(item)[a + 1 :] for item in items}
    if len(others) > 1:
        shapes = ", ".join(str(np.shape(item)) for item in items)
        return f"shapes {shapes} differ in an axis other than the one joined ({a})"
    return None


def _concat(*items: Array, axis: object = 0) -> Array:
    return np.concatenate(items, axis=int(axis))


def _part(items: tuple[Array, ...], k: int, axis: object) -> tuple[int, int, int]:
    """Item k's axis (from 0) and where its part of the output starts and stops along it."""
    a = int(axis) % np.ndim(items[0])
    start = sum(np.shape(item)[a] for item in items[:k])
    return a, start, start + np.shape(items[k])[a]


def _concat_partial(k: int) -> Partial:
    """Item k of concat receives its own part of the upstream gradient."""

    def vjp(*args: Array, axis: object = 0) -> Array:
        items, out, grad = args[:-2], args[-2], args[-1]
        a, start, stop = _part(items, k, axis)
        return grad[(slice(None),) * (lead_count(grad, out) + a) + (slice(start, stop),)]

    def formula(*items: Array, axis: object = 0) -> str:
        a, start, stop = _part(items, k, axis)
        return f"grad[{':, ' * a}{start}:{stop}]"

    return Partial(formula, vjp=vjp)


def _concat_jvp(index: int, args: list, out: Array, tangent: Array, axis: object = 0) -> Array:
    a, start, stop = _part(tuple(args), index, axis)
    term = np.zeros((len(tangent), *np.shape(out)))
    term[(slice(None),) * (1 + a) + (slice(start, stop),)] = tangent
    return term


def _stack_check(*items: Array, axis: object = 0) -> str | None:
    if not items:
        return "stack needs at least one array: stack([a, b], axis=0)"
    shapes = {np.shape(item) for item in items}
    if len(shapes) > 1:
        return f"the arrays stack joins need one shape, not {', '.join(str(s) for s in sorted(shapes))}"
    if isinstance(axis, (tuple, list)) or axis is None:
        return "stack makes one new axis: axis is a whole number"
    return axis_problem(np.ndim(items[0]) + 1, axis)


def _stack(*items: Array, axis: object = 0) -> Array:
    return np.stack(items, axis=int(axis))


def _stack_partial(k: int) -> Partial:
    """Item k of stack receives entry k of the upstream gradient along the new axis."""

    def vjp(*args: Array, axis: object = 0) -> Array:
        out, grad = args[-2], args[-1]
        a = int(axis) % np.ndim(out)
        return grad[(slice(None),) * (lead_count(grad, out) + a) + (k,)]

    def formula(*items: Array, axis: object = 0) -> str:
        a = int(axis) % (np.ndim(items[0]) + 1)
        return f"grad[{':, ' * a}{k}]"

    return Partial(formula, vjp=vjp)


def _stack_jvp(index: int, args: list, out: Array, tangent: Array, axis: object = 0) -> Array:
    a = int(axis) % np.ndim(out)
    term = np.zeros((len(tangent), *np.shape(out)))
    term[(slice(None),) * (1 + a) + (index,)] = tangent
    return term


ROWS = [
    # concat([a, b], axis=0): arrays joined along an existing axis; any number of them.
    Op(
        "concat",
        ("a", "b"),
        _concat,
        (_concat_partial(0), _concat_partial(1)),
        "concat",
        aliases=("concatenate",),
        check=_concat_check,
        variadic=True,
        sequence=True,
        item_partial=_concat_partial,
        shapes=((2, 3), (2, 3)),
        pointwise=False,
        options=(("axis", 0),),
        shape_hint="concat joins arrays of one number of dimensions that differ only along the axis",
    ),
    # stack([a, b], axis=0): arrays of one shape along a new axis. (Its JSON name is stack_axis:
    # `stack` is the array literal's.)
    Op(
        "stack_axis",
        ("a", "b"),
        _stack,
        (_stack_partial(0), _stack_partial(1)),
        "stack",
        check=_stack_check,
        variadic=True,
        sequence=True,
        item_partial=_stack_partial,
        shapes=((2, 3), (2, 3)),
        pointwise=False,
        options=(("axis", 0),),
        shape_hint="stack joins arrays of one shape along a new axis",
    ),
]

JVPS: dict[str, Jvp] = {"concat": _concat_jvp, "stack_axis": _stack_jvp}
