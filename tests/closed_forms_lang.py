"""Closed forms (read by tests/test_ops.py) for the language's own ops: ranges and integer lists
in indexing (`slice`), the `scatter` their gradients are written with, comparisons and `where`.

Comparisons are not differentiable (PyTorch: not part of the graph): gradient 0 to both sides."""

from __future__ import annotations

import numpy as np


def _scattered(g: np.ndarray, positions: list[int], size: int) -> np.ndarray:
    out = np.zeros(size)
    np.add.at(out, positions, g)
    return out


def _scatter_jacobian(positions: list[int], size: int) -> np.ndarray:
    """d out[i] / d g[k] = 1 where position k is i: a repeated position sums its elements."""
    jacobian = np.zeros((size, len(positions)))
    for k, i in enumerate(positions):
        jacobian[i, k] += 1.0
    return jacobian


# name -> (source, shapes of the variables, value, gradient or Jacobian of each variable)
ARRAY = {
    # x[[0, 2, 0]] takes x[0] twice: its gradient is the sum of both (PyTorch's index accumulates).
    "slice": (
        "x[[0, 2, 0]] @ [1, 2, 3] + sum(x[1:3]) + x[::-1] @ [1, 0, 0, 0]",
        {"x": (4,)},
        lambda x: x[0] * 4 + x[2] * 2 + x[1] + x[2] + x[3],
        lambda x: {"x": np.array([4.0, 1.0, 3.0, 1.0])},
    ),
    "scatter": (
        'scatter(g, x, key="[0, 2, 0]")',
        {"g": (3,), "x": (3,)},
        lambda g, x: _scattered(g, [0, 2, 0], 3),
        lambda g, x: {"g": _scatter_jacobian([0, 2, 0], 3), "x": np.zeros((3, 3))},
    ),
    "where": (
        "where(c > 0, a, b)",
        {"c": (4,), "a": (4,), "b": (4,)},
        lambda c, a, b: np.where(c > 0, a, b),
        lambda c, a, b: {
            "c": np.zeros((4, 4)),
            "a": np.diag((c > 0).astype(float)),
            "b": np.diag((c <= 0).astype(float)),
        },
    ),
}


def _flat(a: float, b: float) -> tuple[float, float]:
    return (0.0, 0.0)


# name -> (source, forward, gradient) for two arguments a and b.
BINARY = {
    "lt": ("a < b", lambda a, b: float(a < b), _flat),
    "le": ("a <= b", lambda a, b: float(a <= b), _flat),
    "gt": ("a > b", lambda a, b: float(a > b), _flat),
    "ge": ("a >= b", lambda a, b: float(a >= b), _flat),
    "eq": ("a == b", lambda a, b: float(a == b), _flat),
    "ne": ("a != b", lambda a, b: float(a != b), _flat),
}
BINARY_POINTS = {name: ((1.5, -2.0), (0.1, 0.2), (1.5, 1.5)) for name in BINARY}
