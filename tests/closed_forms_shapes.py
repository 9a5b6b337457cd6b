"""Closed forms of the shape ops (ravel, squeeze, flip, repeat, tile, concat, stack, diag, trace,
triu, tril, einsum), read by tests/test_ops.py (`more_closed_forms`): each Jacobian written out
by hand, element by element, from where each output element comes from; not from gradcli's
table. Jacobians have shape output.shape + input.shape.

Below them, the entries the shared tables of other test files need (the reference evaluator of
tests/test_properties.py, for the functions that take one number and give one number). These ops
have no kinks: they are linear in each input.
"""

from __future__ import annotations

import numpy as np


def _jacobian(out_shape, in_shape, source_of) -> np.ndarray:
    """1 where output element `o` is input element `source_of(o)` (None: no input element)."""
    jacobian = np.zeros(tuple(out_shape) + tuple(in_shape))
    for o in np.ndindex(*out_shape):
        i = source_of(o)
        if i is not None:
            jacobian[o + tuple(i)] = 1.0
    return jacobian


def _flip_jacobian(x):
    return {"x": _jacobian((2, 3), (2, 3), lambda o: (o[0], 2 - o[1]))}


def _repeat_jacobian(x):
    return {"x": _jacobian((4, 3), (2, 3), lambda o: (o[0] // 2, o[1]))}  # rows 0, 0, 1, 1


def _tile_jacobian(x):
    return {"x": _jacobian((4, 3), (2, 3), lambda o: (o[0] % 2, o[1]))}  # rows 0, 1, 0, 1


def _concat_jacobians(a, b):
    return {
        "a": _jacobian((5,), (2,), lambda o: (o[0],) if o[0] < 2 else None),
        "b": _jacobian((5,), (3,), lambda o: (o[0] - 2,) if o[0] >= 2 else None),
    }


def _stack_jacobians(a, b):
    return {
        "a": _jacobian((3, 2), (3,), lambda o: (o[0],) if o[1] == 0 else None),
        "b": _jacobian((3, 2), (3,), lambda o: (o[0],) if o[1] == 1 else None),
    }


def _triangle(keep):
    def jacobian(x):
        return {"x": _jacobian((3, 3), (3, 3), lambda o: o if keep(*o) else None)}

    return jacobian


def _einsum_jacobians(a, b):
    """out[i, k] = Σ_j a[i, j] b[j, k], so ∂out[i, k]/∂a[p, q] = [i = p] b[q, k] and
    ∂out[i, k]/∂b[p, q] = a[i, p] [k = q]."""
    ja, jb = np.zeros((2, 2, 2, 3)), np.zeros((2, 2, 3, 2))
    for i in range(2):
        for k in range(2):
            for j in range(3):
                ja[i, k, i, j] = b[j, k]
                jb[i, k, j, k] = a[i, j]
    return {"a": ja, "b": jb}


# name -> (source, shapes of the variables, value, gradient or Jacobian of each variable)
ARRAY = {
    "ravel": (
        "ravel(x)",
        {"x": (2, 3)},
        lambda x: np.array([x[0, 0], x[0, 1], x[0, 2], x[1, 0], x[1, 1], x[1, 2]]),
        lambda x: {"x": _jacobian((6,), (2, 3), lambda o: divmod(o[0], 3))},
    ),
    "squeeze": (
        "squeeze(x, axis=0)",
        {"x": (1, 3)},
        lambda x: x[0],
        lambda x: {"x": _jacobian((3,), (1, 3), lambda o: (0, o[0]))},
    ),
    "flip": ("flip(x, axis=1)", {"x": (2, 3)}, lambda x: x[:, [2, 1, 0]], _flip_jacobian),
    "repeat": ("repeat(x, 2, axis=0)", {"x": (2, 3)}, lambda x: x[[0, 0, 1, 1]], _repeat_jacobian),
    "tile": ("tile(x, [2, 1])", {"x": (2, 3)}, lambda x: x[[0, 1, 0, 1]], _tile_jacobian),
    "concat": (
        "concat([a, b], axis=0)",
        {"a": (2,), "b": (3,)},
        lambda a, b: np.array([a[0], a[1], b[0], b[1], b[2]]),
        _concat_jacobians,
    ),
    "stack_axis": (
        "stack([a, b], axis=1)",
        {"a": (3,), "b": (3,)},
        lambda a, b: np.array([[a[0], b[0]], [a[1], b[1]], [a[2], b[2]]]),
        _stack_jacobians,
    ),
    "diag": (
        "diag(x)",
        {"x": (3,)},
        lambda x: np.array([[x[0], 0, 0], [0, x[1], 0], [0, 0, x[2]]]),
        lambda x: {"x": _jacobian((3, 3), (3,), lambda o: (o[0],) if o[0] == o[1] else None)},
    ),
    "trace": ("trace(x)", {"x": (3, 3)}, lambda x: x[0, 0] + x[1, 1] + x[2, 2], lambda x: {"x": np.eye(3)}),
    "triu": (
        "triu(x)",
        {"x": (3, 3)},
        lambda x: np.array([[x[0, 0], x[0, 1], x[0, 2]], [0, x[1, 1], x[1, 2]], [0, 0, x[2, 2]]]),
        _triangle(lambda i, j: j >= i),
    ),
    "tril": (
        "tril(x, k=-1)",
        {"x": (3, 3)},
        lambda x: np.array([[0, 0, 0], [x[1, 0], 0, 0], [x[2, 0], x[2, 1], 0]]),
        _triangle(lambda i, j: j <= i - 1),
    ),
    "einsum": (
        'einsum("ij,jk->ik", a, b)',
        {"a": (2, 3), "b": (3, 2)},
        lambda a, b: np.array(
            [[sum(a[i, j] * b[j, k] for j in range(3)) for k in range(2)] for i in range(2)]
        ),
        _einsum_jacobians,
    ),
}

# For tests/test_properties.py's REFERENCE: these take one number and give it back unchanged.
REFERENCE = {
    ("squeeze", 1): lambda v: v,
    ("flip", 1): lambda v: v,
}
