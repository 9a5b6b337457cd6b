"""Second derivatives at kinks and bounds against PyTorch 2.13's numbers.

Every "torch" matrix below was measured with PyTorch 2.13.0 (CPU, float64):
`torch.autograd.functional.hessian(f, torch.tensor(x, dtype=torch.float64))`, which is
reverse-over-reverse as gradcli's is, with `f` the same program written with torch's functions
(torch.relu, torch.clamp, F.hardtanh, F.relu6, F.elu, F.selu, F.leaky_relu, F.softsign,
F.hardswish, torch.max, torch.amax(x, 1), torch.maximum/minimum, torch.sqrt,
torch.linalg.vector_norm, torch.prod, torch.cumprod, torch.std(x, correction=0), torch.where).
gradcli and its tests never import torch: the numbers are copied here.

At a kink, gradcli's second derivative is the derivative of its first derivative's formula, so it
follows the first's convention (relu'' = step' = 0, clip's gradient passes at its bounds, so
clip(x)^2 has 2 there): PyTorch's double backward gives the same numbers in every case but the
ones listed in DIFFERENT, each with its reason.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradcli.api import hessian

nan, inf = math.nan, math.inf
TWO_SLOPES = 0.020000000000000004  # 2 × 0.1², as torch rounds it

# (source, x, torch's Hessian): gradcli gives the same matrix (-0.0 and 0.0 compare equal).
SAME = [
    ("sum(relu(x)^2) + sum(x * relu(x))", [0.0, 1.0, -2.0], [[0, 0, 0], [0, 4, 0], [0, 0, 0]]),
    ("sum(x * abs(x))", [0.0, 1.5, -1.0], [[0, 0, 0], [0, 2, 0], [0, 0, -2]]),
    ("sum(abs(x)^2)", [0.0, 2.0], [[0, 0], [0, 2]]),
    ("max(x^2)", [1.0, -1.0, 0.5], [[1, 0, 0], [0, 1, 0], [0, 0, 0]]),  # a tie: 0.5 each
    (
        "sum(max(x, axis=1)^2)",
        [[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]],
        [
            [0, 0, 0, 0, 0, 0],
            [0, 0.5, 0.5, 0, 0, 0],
            [0, 0.5, 0.5, 0, 0, 0],
            [0, 0, 0, 0.5, 0, 0.5],
            [0, 0, 0, 0, 0, 0],
            [0, 0, 0, 0.5, 0, 0.5],
        ],
    ),
    ("sum(clip(x, -1, 1)^2)", [-1.0, 1.0, 0.5, 2.0], np.diag([2.0, 2.0, 2.0, 0.0])),
    ("sum(hardtanh(x)^2)", [-1.0, 1.0, 0.5], np.diag([0.0, 0.0, 2.0])),
    ("sum(relu6(x)^2)", [0.0, 6.0, 3.0], np.diag([0.0, 0.0, 2.0])),
    ("sum(elu(x))", [0.0, -1.0, 1.0], np.diag([0.0, 0.36787944117144233, 0.0])),
    ("sum(selu(x))", [0.0, -1.0, 1.0], np.diag([0.0, 0.646768603034814, 0.0])),
    ("sum(leaky_relu(x, 0.1)^2)", [0.0, -1.0, 1.0], np.diag([TWO_SLOPES, TWO_SLOPES, 2.0])),
    ("sum(softsign(x))", [0.0, -1.0, 1.0], np.diag([0.0, 0.25, -0.25])),
    ("sum(hardswish(x))", [-3.0, 3.0, 1.0], np.diag([0.0, 0.0, 0.3333333333333333])),
    # sqrt'(0) = inf: the row of x[1] meets it through a zero seed, 0 × inf = nan (both).
    ("sum(sqrt(x))", [0.0, 4.0], [[-inf, 0.0], [nan, -0.03125]]),
    ("norm(x)", [0.0, 0.0], [[nan, nan], [nan, nan]]),
]

# (source, at, torch's matrix, gradcli's matrix, why they differ).
DIFFERENT = [
    (
        "prod(x)",
        {"x": [0.0, 1.0, 2.0]},
        [[0, 2, 1], [2, 0, 0], [1, 0, 0]],
        np.full((3, 3), nan),
        "prod's formula grad * out/x divides 0 by 0 at a zero (its rule multiplies the other elements)",
    ),
    (
        "sum(cumprod(x))",
        {"x": [2.0, 0.0, 3.0]},
        [[0, 4, 0], [4, 0, 2], [0, 2, 0]],
        [[nan, nan, 0], [nan, nan, 0], [nan, nan, 0]],
        "cumprod's formula divides by x, 0 at a zero (its rule does not divide)",
    ),
    (
        "std(x)",
        {"x": [1.0, 1.0, 1.0]},
        np.zeros((3, 3)),
        np.full((3, 3), nan),
        "std's formula divides by std, 0 on a constant slice (its rule takes the gradient as 0 there)",
    ),
    (
        "where(x > 0, sqrt(x), 0)",
        {"x": -1.0},
        [[nan]],
        [[0.0]],
        "where masks the branch it did not choose (the contract): no nan from sqrt(-1)",
    ),
    (
        "sum(hardsigmoid(x)^2)",
        {"x": [-3.0, 3.0, 1.0]},
        None,  # RuntimeError: derivative for aten::hardsigmoid_backward is not implemented
        np.diag([0.0, 0.0, 2 / 36]),
        "PyTorch has no second derivative of hardsigmoid; gradcli's is its formula's, step'/6 = 0",
    ),
]


def assert_same(actual, expected) -> None:
    np.testing.assert_allclose(np.asarray(actual, np.float64), np.asarray(expected, np.float64), rtol=1e-14)


@pytest.mark.parametrize(("source", "x", "expected"), SAME, ids=[case[0] for case in SAME])
def test_second_derivatives_at_kinks_are_pytorchs(source, x, expected):
    result = hessian(source, x=np.array(x))
    assert_same(result.matrix, expected)


@pytest.mark.parametrize(
    ("source", "at", "torch", "gradcli", "why"), DIFFERENT, ids=[case[0] for case in DIFFERENT]
)
def test_where_gradcli_differs_from_pytorch_on_purpose_or_for_now(source, at, torch, gradcli, why):
    values = {name: np.asarray(value) for name, value in at.items()}
    result = hessian(source, values)
    assert_same(result.matrix, gradcli)
    if not np.all(np.isfinite(result.matrix)):  # said, naming the op whose formula it is
        assert any("not finite" in warning for warning in result.warnings), why


def test_ties_of_two_arguments_split_the_second_derivative_as_pytorch():
    assert_same(hessian("max(x, y)^2", x=1.0, y=1.0).matrix, [[0.5, 0.5], [0.5, 0.5]])
    assert_same(hessian("min(x, y) * x", x=1.0, y=1.0).matrix, [[1.0, 0.5], [0.5, 0.0]])
    assert_same(hessian("where(x > 0, x^3, 0)", x=0.0).matrix, [[0.0]])
