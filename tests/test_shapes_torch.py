"""The shape ops, batched `@` and einsum against PyTorch 2.13's numbers.

Every "torch" value and gradient below was measured with PyTorch 2.13.0 (CPU, float64:
`torch.tensor(v, dtype=torch.float64, requires_grad=True)`, then `backward()` on the same
expression), with torch's names for numpy's: `ravel`, `squeeze(0)`, `permute(1, 0, 2)` for
`transpose(x, [1, 0, 2])`, `flip(0)`, `repeat_interleave` for `repeat`, `tile`, `cat` for `concat`,
`stack`, `diag`, `trace`, `triu`, `tril`, `einsum`, and `@` (torch.matmul). gradcli and its tests
never import torch: the numbers are copied here. The inputs are the numpy expressions torch was
given (A, B, ... below).

These ops have no kinks: they are linear in each input. What PyTorch decides for them is where a
gradient goes (summed over broadcast stack dimensions for `@`, over copies for repeat and tile)
and that an element an op drops gets 0 even from an inf or nan upstream gradient (its backward
fills zeros and copies the gradient in: a selection, not 0 × inf = nan). gradcli agrees on every
case below.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradcli import forward
from gradcli.api import evaluate
from gradcli.ops import einsum, joining, matrices, reshaping

SHAPE_JVPS = {**reshaping.JVPS, **joining.JVPS, **matrices.JVPS, **einsum.JVPS}

inf, nan = math.inf, math.nan

A = np.arange(12.0).reshape(2, 2, 3) / 4 - 1
B = np.arange(12.0).reshape(2, 3, 2) / 5 - 0.5
W = np.array([[[1.0, -2.0], [0.5, 3.0]], [[-1.0, 2.0], [4.0, 0.25]]])
V = np.array([0.5, -1.0, 2.0])
W2 = np.array([[1.0, -2.0], [0.5, 3.0]])
P = np.array([[1.0, 2.0, -1.0], [0.5, -3.0, 2.0]])
Q = np.array([[2.0, -1.0], [0.0, 1.5], [1.0, 1.0]])
R = np.array([[1.0, -1.0], [2.0, 0.5]])
M = np.array([[1.0, 2.0, 3.0], [4.0, -5.0, 6.0], [7.0, 8.0, -9.0]])
X = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]])
X3 = np.arange(24.0).reshape(2, 3, 4) / 8 - 1
W3 = (np.arange(24.0).reshape(3, 2, 4) % 5) - 2
N9 = np.arange(1.0, 10.0).reshape(3, 3)
W9 = np.arange(9.0).reshape(3, 3) - 4
W4 = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0], [2.0, 0.0, 1.0], [1.0, 1.0, -3.0]])

BMM_A = [[[0.1, -0.3, -0.7], [-1.15, 0.25, 1.65]], [[1.1, 1.5, 1.9], [3.025, 4.725, 6.425]]]
BMM_B = [[[-1.125, 1.25], [-0.75, 1.5], [-0.375, 1.75]], [[4.5, 1.3125], [5.25, 1.875], [6.0, 2.4375]]]
LEFT_A = [[1.2, 1.2, 1.2], [1.875, 4.975, 8.075]]
LEFT_B = [[[-1.125, 1.25], [-0.75, 1.5], [-0.375, 1.75]], [[0.0, -2.0625], [0.75, -1.5], [1.5, -0.9375]]]

# (source, at, torch's value, torch's gradients)
CASES = [
    # batched @: (B, n, m) @ (B, m, p), (n, m) @ (B, m, p), (1, n, m) @ (B, m, p), vectors
    ("sum((a @ b) * w)", {"a": A, "b": B, "w": W}, 26.8625, {"a": BMM_A, "b": BMM_B}),
    ("sum((a @ b) * w)", {"a": A[0], "b": B, "w": W}, -1.15, {"a": LEFT_A, "b": LEFT_B}),
    ("sum((a @ b) * w)", {"a": A[:1], "b": B, "w": W}, -1.15, {"a": [LEFT_A], "b": LEFT_B}),
    (
        "sum((v @ b) * w)",
        {"v": V, "b": B, "w": W2},
        7.725,
        {
            "v": [3.15, 4.15, 5.15],
            "b": [[[0.5, -1.0], [-1.0, 2.0], [2.0, -4.0]], [[0.25, 1.5], [-0.5, -3.0], [1.0, 6.0]]],
        },
    ),
    (
        "sum((a @ v) * w)",
        {"a": A, "v": V, "w": W2},
        7.125,
        {
            "a": [[[0.5, -1.0, 2.0], [-1.0, 2.0, -4.0]], [[0.25, -0.5, 1.0], [1.5, -3.0, 6.0]]],
            "v": [3.5, 4.125, 4.75],
        },
    ),
    # einsum
    (
        'sum(einsum("ij,jk->ik", p, q) * r)',
        {"p": P, "q": Q, "r": R},
        4.5,
        {"p": [[3.0, -1.5, 0.0], [3.5, 0.75, 2.5]], "q": [[2.0, -0.75], [-4.0, -3.5], [3.0, 2.0]]},
    ),
    ('sum(einsum("ii->i", m) * [1, -2, 3])', {"m": M}, -16.0, {"m": np.diag([1.0, -2.0, 3.0])}),
    ('einsum("ii", m)', {"m": M}, -13.0, {"m": np.eye(3)}),
    ('sum(einsum("bij,bjk->bik", a, b) * w)', {"a": A, "b": B, "w": W}, 26.8625, {"a": BMM_A, "b": BMM_B}),
    (
        'sum(einsum("ij,jk,kl->il", p, q, r))',
        {"p": P, "q": Q, "r": R},
        -5.0,
        {
            "p": [[-2.5, 3.75, 2.5], [-2.5, 3.75, 2.5]],
            "q": [[0.0, 3.75], [0.0, -2.5], [0.0, 2.5]],
            "r": [[4.0, 4.0], [-2.0, -2.0]],
        },
    ),
    ('sum(einsum("ij->i", p) * [2, -1])', {"p": P}, 4.5, {"p": [[2.0, 2.0, 2.0], [-1.0, -1.0, -1.0]]}),
    # the shape ops
    ("sum(ravel(x) * [1, 2, -1, 0.5, 3, -2])", {"x": X}, 8.25, {"x": [[1.0, 2.0, -1.0], [0.5, 3.0, -2.0]]}),
    (
        "sum(squeeze(x, axis=0) * [[1, 2, 3], [-1, 0.5, 2]])",
        {"x": X[None]},
        5.5,
        {"x": [[[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]]]},
    ),
    (
        "sum(transpose(x, [1, 0, 2]) * w)",
        {"x": X3, "w": W3},
        -0.25,
        {
            "x": [
                [[-2.0, -1.0, 0.0, 1.0], [1.0, 2.0, -2.0, -1.0], [-1.0, 0.0, 1.0, 2.0]],
                [[2.0, -2.0, -1.0, 0.0], [0.0, 1.0, 2.0, -2.0], [-2.0, -1.0, 0.0, 1.0]],
            ]
        },
    ),
    (
        "sum(flip(x, axis=0) * [[1, 2, 3], [-1, 0.5, 2]])",
        {"x": X},
        9.5,
        {"x": [[-1.0, 0.5, 2.0], [1.0, 2.0, 3.0]]},
    ),
    ("sum(repeat(x, 2, axis=0) * w)", {"x": X, "w": W4}, 17.5, {"x": [[0.0, 2.5, 5.0], [3.0, 1.0, -2.0]]}),
    ("sum(repeat(x, [2, 0, 1]) * [1, -1, 5])", {"x": [1.0, 2.0, 3.0]}, 15.0, {"x": [0.0, 0.0, 5.0]}),
    ("sum(tile(x, [2, 1]) * w)", {"x": X, "w": W4}, 18.0, {"x": [[3.0, 2.0, 4.0], [0.0, 1.5, -1.0]]}),
    (
        "sum(concat([a, b], axis=1) * [[1, -1, 2], [0.5, 3, -2]])",
        {"a": [[1.0, 2.0], [3.0, 4.0]], "b": [[5.0], [6.0]]},
        10.5,
        {"a": [[1.0, -1.0], [0.5, 3.0]], "b": [[2.0], [-2.0]]},
    ),
    (
        "sum(stack([a, b], axis=1) * [[1, -1], [2, 0.5], [3, -2]])",
        {"a": [1.0, 2.0, 3.0], "b": [4.0, 5.0, 6.0]},
        0.5,
        {"a": [1.0, 2.0, 3.0], "b": [-1.0, 0.5, -2.0]},
    ),
    (
        "sum(diag(x, k=1) * w)",
        {"x": [1.0, 2.0, 3.0], "w": np.arange(16.0).reshape(4, 4)},
        46.0,
        {"x": [1.0, 6.0, 11.0]},
    ),
    ("sum(diag(x) * [2, -3])", {"x": X}, -10.0, {"x": [[2.0, 0.0, 0.0], [0.0, -3.0, 0.0]]}),
    ("trace(x)", {"x": N9}, 15.0, {"x": np.eye(3)}),
    (
        "sum(triu(x, k=1) * w)",
        {"x": N9, "w": W9},
        -6.0,
        {"x": [[0.0, -3.0, -2.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]]},
    ),
    (
        "sum(tril(x, k=-1) * w)",
        {"x": N9, "w": W9},
        34.0,
        {"x": [[0.0, 0.0, 0.0], [-1.0, 0.0, 0.0], [2.0, 3.0, 0.0]]},
    ),
    # An element the op drops gets 0 even from an inf or nan upstream (selection, not 0 × inf).
    (
        "sum(triu(x) * [[1, 2], [inf, 3]])",
        {"x": [[1.0, 2.0], [3.0, 4.0]]},
        nan,
        {"x": [[1.0, 2.0], [0.0, 3.0]]},
    ),
    (
        "sum(tril(x) * [[1, nan], [2, 3]])",
        {"x": [[1.0, 2.0], [3.0, 4.0]]},
        nan,
        {"x": [[1.0, 0.0], [2.0, 3.0]]},
    ),
    ("trace(x) * inf", {"x": [[1.0, 2.0], [3.0, 4.0]]}, inf, {"x": [[inf, 0.0], [0.0, inf]]}),
    ("sum(diag(x) * [inf, 1])", {"x": [[1.0, 2.0], [3.0, 4.0]]}, inf, {"x": [[inf, 0.0], [0.0, 1.0]]}),
    ("sum(diag(x) * [[1, inf], [2, 3]])", {"x": [1.0, 2.0]}, nan, {"x": [1.0, 3.0]}),
    ('einsum("ii", x) * inf', {"x": [[1.0, 2.0], [3.0, 4.0]]}, inf, {"x": [[inf, 0.0], [0.0, inf]]}),
    (
        'sum(einsum("ii->i", x) * [inf, 1])',
        {"x": [[1.0, 2.0], [3.0, 4.0]]},
        inf,
        {"x": [[inf, 0.0], [0.0, 1.0]]},
    ),
    (
        "sum(flip(x, axis=0) * [[inf, 1], [2, 3]])",
        {"x": [[1.0, 2.0], [3.0, 4.0]]},
        inf,
        {"x": [[2.0, 3.0], [inf, 1.0]]},
    ),
]


def assert_same(actual, expected) -> None:
    """Equal as float64 arrays, nan to nan, inf to inf; finite numbers up to a few roundings
    (PyTorch sums in another order)."""
    np.testing.assert_allclose(
        np.asarray(actual, np.float64), np.asarray(expected, np.float64), rtol=1e-13, atol=1e-15
    )


def _cases():
    for case in CASES:
        for mode in ("reverse", "forward", "forward-jvps"):
            yield pytest.param(*case, mode, id=f"{mode}:{case[0]}")


@pytest.mark.parametrize(("source", "at", "value", "gradient", "mode"), list(_cases()))
def test_the_same_numbers_as_torch(source, at, value, gradient, mode, monkeypatch):
    if mode == "forward-jvps":  # forward mode with the shape modules' own products wired in
        for name, jvp in SHAPE_JVPS.items():
            monkeypatch.setitem(forward._JVPS, name, jvp)
    result = evaluate(source, at, mode="reverse" if mode == "reverse" else "forward")
    assert_same(result.value, value)
    for name, expected in gradient.items():
        assert_same(result.gradient[name], expected)
