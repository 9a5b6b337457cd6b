"""Ops that move or pick elements without arithmetic: transpose, array literals `[a, b, c]`,
indexing `x[i, j]` and onehot, the mask an index's derivative is written with; ranges and integer
lists `x[1:3]`, `x[::-1]`, `W[:, 0]`, `x[[0, 2, 0]]` (`slice`), and `scatter`, which puts a
gradient back where a slice took its elements (repeats summed, as PyTorch's index_put with
accumulate=True)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np

from .reshaping import transpose_check, transpose_formula, transpose_forward, transpose_vjp
from .row import Array, Op, Partial, lead_axes, zero


def _stack_vjp(index: int) -> Callable[..., Array]:
    """Item `index` of an array literal receives row `index` of the upstream gradient."""

    def vjp(*args: Array) -> Array:
        out, grad = args[-2], args[-1]
        return grad[(slice(None),) * len(lead_axes(grad, out)) + (index,)]

    return vjp


def _stack_partial(index: int) -> Partial:
    return Partial(f"grad[{index}]", vjp=_stack_vjp(index))


def _stack(*items: Array) -> Array:
    return np.stack(items) if items else np.zeros(0)


def _stack_check(*items: Array) -> str | None:
    shapes = {np.shape(item) for item in items}
    if len(shapes) > 1:
        listed = ", ".join(str(s) for s in sorted(shapes))
        return f"the items of an array literal must have one shape, not {listed}"
    return None


def _onehot(x: Array, *index: Array) -> Array:
    mask = np.zeros_like(x)
    mask[tuple(int(i) for i in index)] = 1.0
    return mask


def _index_local(x: Array, *rest: Array) -> Array:
    return _onehot(x, *rest[:-1])  # rest: the indices, then out


def _index_formula(x: Array, *index: Array) -> str:
    return f"onehot(x, {', '.join(f'i{k}' for k in range(len(index)))})"


def _at(x: Array, *index: Array) -> Array:
    return x[tuple(int(i) for i in index)]


def _index_check(x: Array, *index: Array) -> str | None:
    if np.ndim(x) == 0:
        return "a number cannot be indexed: x[...] takes an array"
    if not 1 <= len(index) <= np.ndim(x):
        ndim, shape = np.ndim(x), np.shape(x)
        return f"x[...] takes at most one index per dimension: {ndim} for an array of shape {shape}"
    # Fewer indices than dimensions select a row, as in numpy (so `grad[0]` of a matrix evaluates).
    for i, n in zip(index, np.shape(x), strict=False):
        if np.ndim(i) != 0:
            return "an index is one whole number, not an array"
        if not np.isfinite(i) or float(i) != int(i) or not -n <= int(i) < n:  # int(nan) raises
            return f"index {float(i):g} is not a whole number from {-n} to {n - 1}"
    return None


# --- slices: a key as gradcli writes it (`1:3`, `:, 0`, `[0, 2, 0]`), read without the parser ---


def _split(text: str) -> list[str]:
    """The parts of a key between top-level commas (a list's commas are inside brackets)."""
    parts, depth, start = [], 0, 0
    for k, char in enumerate(text):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(text[start:k])
            start = k + 1
    return [*parts, text[start:]]


@cache
def index_key(text: str) -> tuple:
    """The numpy index a key's text stands for (parse/calls.py writes the text): whole numbers,
    ranges `start:stop:step` (parts may be left out), and lists of whole numbers."""
    if not text.strip():
        return ()
    key: list = []
    for part in (p.strip() for p in _split(text)):
        if part.startswith("["):
            inner = part[1:-1].strip()
            key.append(np.array([int(v) for v in inner.split(",")] if inner else [], dtype=np.intp))
        elif ":" in part:
            key.append(slice(*(int(b) if b.strip() else None for b in part.split(":"))))
        else:
            key.append(int(part))
    return tuple(key)


def take(array: Array, key: tuple, lead: int = 0) -> Array:
    """array[key], with `lead` leading (batch) axes kept in front."""
    if lead == 0:
        return np.array(array[key], dtype=np.float64)
    found = array[(slice(None),) * lead + key]
    expected = np.shape(array)[:lead] + np.shape(np.empty(np.shape(array)[lead:])[key])
    if found.shape != expected:  # integer lists apart from each other: numpy moves their axis first
        flat = array.reshape((-1, *np.shape(array)[lead:]))
        return np.stack([row[key] for row in flat]).reshape(expected)
    return np.array(found, dtype=np.float64)


def put(shape: tuple[int, ...], key: tuple, values: Array, lead: int = 0) -> Array:
    """Zeros of `shape` (after `lead` batch axes, taken from `values`) with `values` added at
    `key`: where x[key] took an element twice, both gradients are summed."""
    lead_shape = np.shape(values)[:lead]
    result = np.zeros(lead_shape + tuple(shape))
    if lead == 0:
        np.add.at(result, key, values)
        return result
    picked = np.shape(np.empty(lead_shape + tuple(shape))[(slice(None),) * lead + key])
    if picked == np.shape(values):
        np.add.at(result, (slice(None),) * lead + key, values)
        return result
    flat, rows = result.reshape((-1, *shape)), np.reshape(values, (-1, *np.shape(values)[lead:]))
    for target, row in zip(flat, rows, strict=True):
        np.add.at(target, key, row)
    return result


def _key_problem(shape: tuple[int, ...], key: tuple) -> str | None:
    """Why `key` cannot index an array of `shape` (too many indices, one out of range)."""
    positions = [k for k in key if k is not None]
    if len(positions) > len(shape):
        return f"x[...] takes at most one index per dimension: {len(shape)} for an array of shape {shape}"
    for k, n in zip(positions, shape, strict=False):
        numbers = k if isinstance(k, np.ndarray) else [k] if isinstance(k, int) else []
        for i in numbers:
            if not -n <= int(i) < n:
                return f"index {int(i)} is out of range for an axis of length {n} (from {-n} to {n - 1})"
    try:
        np.empty(shape)[key]
    except IndexError as error:  # integer lists that do not broadcast together
        return f"these indices do not fit together: {error}"
    return None


def _slice_check(x: Array, key: str = "") -> str | None:
    if np.ndim(x) == 0:
        return "a number cannot be indexed: x[...] takes an array"
    return _key_problem(np.shape(x), index_key(key))


def _slice(x: Array, key: str = "") -> Array:
    return take(np.asarray(x), index_key(key))


def _slice_vjp(x: Array, out: Array, grad: Array, key: str = "") -> Array:
    return put(np.shape(x), index_key(key), grad, len(lead_axes(grad, out)))


def _slice_formula(x: Array, key: str = "") -> str:
    return f'scatter(grad, x, key="{key}")' if key else "scatter(grad, x)"


def _scatter_check(g: Array, x: Array, key: str = "") -> str | None:
    if np.ndim(x) == 0:
        return "scatter puts values into an array: x is a number"
    problem = _key_problem(np.shape(x), index_key(key))
    if problem is None and np.shape(g) != np.shape(np.empty(np.shape(x))[index_key(key)]):
        picked = np.shape(np.empty(np.shape(x))[index_key(key)])
        return f"g has shape {np.shape(g)}, but x[{key}] has shape {picked}"
    return problem


def _scatter(g: Array, x: Array, key: str = "") -> Array:
    return put(np.shape(x), index_key(key), np.asarray(g, dtype=np.float64))


def _scatter_vjp(g: Array, x: Array, out: Array, grad: Array, key: str = "") -> Array:
    return take(grad, index_key(key), len(lead_axes(grad, out)))


ROWS = [
    # transpose(x): the axes reversed; transpose(x, [1, 0, 2]): in that order (rules: reshaping.py).
    Op(
        "transpose",
        ("x",),
        transpose_forward,
        (Partial(transpose_formula, vjp=transpose_vjp),),
        "transpose",
        check=transpose_check,
        shapes=((2, 3),),
        pointwise=False,
        options=(("axes", None),),
    ),
    # x[i, j]: one index per dimension, whole numbers written in the source. Selection: the
    # other elements get 0 even from an inf or nan upstream (PyTorch). Indices past i1 share
    # i1's partial.
    Op(
        "index",
        ("x", "i0", "i1"),
        _at,
        (
            Partial(_index_formula, _index_local, masked=True),
            Partial("0", zero, masked=True),
            Partial("0", zero, masked=True),
        ),
        "[]",
        check=_index_check,
        variadic=True,
        generic_test=False,
        pointwise=False,
    ),
    # [a, b, c]: item k receives row k of the upstream gradient.
    Op(
        "stack",
        (),
        _stack,
        (),
        "[]",
        check=_stack_check,
        variadic=True,
        item_partial=_stack_partial,
        generic_test=False,
        pointwise=False,
    ),
    Op(
        "onehot",
        ("x", "i0"),
        _onehot,
        (Partial("0", zero, masked=True),) * 2,
        "onehot",
        check=_index_check,
        generic_test=False,
        pointwise=False,
    ),
    Op(
        "onehot2",
        ("x", "i0", "i1"),
        _onehot,
        (Partial("0", zero, masked=True),) * 3,
        "onehot",
        check=_index_check,
        generic_test=False,
        pointwise=False,
    ),
    # x[1:3], x[::-1], W[:, 0], x[[0, 2, 0]]: the key is an option, written as in the source. The
    # gradient is put back where the elements came from; an element taken twice gets both.
    Op(
        "slice",
        ("x",),
        _slice,
        (Partial(_slice_formula, vjp=_slice_vjp),),
        "[]",
        check=_slice_check,
        options=(("key", ""),),
        shapes=((4,),),
        generic_test=False,
        pointwise=False,
        shape_hint="the index does not fit the array",
    ),
    # scatter(g, x, key="1:3"): zeros of x's shape with g added at x[1:3]; the derivative of a slice.
    Op(
        "scatter",
        ("g", "x"),
        _scatter,
        (
            Partial(lambda g, x, key="": f"grad[{key}]" if key else "grad", vjp=_scatter_vjp),
            # x gives only its shape: 0, in x's shape (not g's, as `zero` would give).
            Partial("0", lambda g, x, out, key="": np.zeros_like(x), masked=True),
        ),
        "scatter",
        check=_scatter_check,
        options=(("key", ""),),
        shapes=((3,), (3,)),
        pointwise=False,
    ),
]
