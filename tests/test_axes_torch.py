"""Axes, var/std, prod, log_softmax and cumsum/cumprod against PyTorch 2.13's numbers.

Every "torch" value and gradient below was measured with PyTorch 2.13.0 (CPU, float64:
`torch.tensor(v, dtype=torch.float64, requires_grad=True)`, the op with `dim=`/`keepdim=`/
`correction=` for gradcli's `axis=`/`keepdims=`/`ddof=`, then `backward()` with the upstream
gradient the expression gives: ones for `sum(...)`, `w` for `sum(... * w)`). gradcli and its tests
never import torch: the numbers are copied here. Where gradcli differs on purpose, both numbers
are written down, with the reason.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradcli.api import evaluate

inf, nan = math.inf, math.nan
THIRD = 1 / 3


def assert_same(actual, expected) -> None:
    """Equal as float64 arrays, nan to nan, inf to inf; finite numbers up to a few roundings
    (PyTorch sums in another order)."""
    np.testing.assert_allclose(
        np.asarray(actual, np.float64), np.asarray(expected, np.float64), rtol=1e-13, atol=1e-15
    )


def check(source: str, at: dict, value, gradient: dict) -> None:
    result = evaluate(source, at)
    assert_same(result.value, value)
    for name, expected in gradient.items():
        assert_same(result.gradient[name], expected)


# (source, at, value, gradient): torch's numbers, and gradcli's, which are the same.
SAME = [
    # max/min along an axis: tied elements share the slice's gradient evenly (torch.amax/amin).
    (
        "sum(max(x, axis=1))",
        {"x": [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]},
        5.0,
        {"x": [[0, 0.5, 0.5], [THIRD] * 3]},
    ),
    ("sum(min(x, axis=0))", {"x": [[1.0, 3.0], [1.0, 2.0]]}, 3.0, {"x": [[0.5, 0.0], [0.5, 1.0]]}),
    (
        "sum(max(x, axis=[0, 2]))",
        {"x": [[[1.0, 2.0], [3.0, 3.0]], [[2.0, 0.0], [3.0, 1.0]]]},
        5.0,
        {"x": [[[0, 0.5], [THIRD, THIRD]], [[0.5, 0], [THIRD, 0]]]},
    ),
    (
        "sum(max(x, axis=1, keepdims=1))",
        {"x": [[1.0, 3.0, 3.0], [3.0, 2.0, 2.0]]},
        6.0,
        {"x": [[0, 0.5, 0.5], [1, 0, 0]]},
    ),
    (
        "sum(max(x, axis=[0, 1]))",
        {"x": [[1.0, 3.0, 3.0], [3.0, 2.0, 2.0]]},
        3.0,
        {"x": [[0, THIRD, THIRD], [THIRD, 0, 0]]},
    ),
    ("sum(max(x, axis=1))", {"x": [[inf, inf, 3.0]]}, inf, {"x": [[0.5, 0.5, 0.0]]}),  # a tie at inf is a tie
    # mean and sum along axes, with an upstream gradient of their shape.
    ("sum(mean(x, axis=[0, 2]))", {"x": [[[1.0, 2.0], [3.0, 4.0]]]}, 5.0, {"x": [[[0.5, 0.5], [0.5, 0.5]]]}),
    (
        "sum(mean(x, axis=1, keepdims=1) * w)",
        {"x": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "w": [[1.0], [2.0]]},
        12.0,
        {"x": [[THIRD] * 3, [2 * THIRD] * 3]},
    ),
    (
        "sum(sum(x, axis=0) * w)",
        {"x": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "w": [1.0, 2.0, 3.0]},
        46.0,
        {"x": [[1, 2, 3]] * 2},
    ),
    # var and std: values numpy's, gradients PyTorch's.
    ("var(x)", {"x": [2.0, 2.0, 2.0]}, 0.0, {"x": [0.0, 0.0, 0.0]}),
    ("var(x, ddof=1)", {"x": [2.0, 2.0, 2.0]}, 0.0, {"x": [0.0, 0.0, 0.0]}),
    ("std(x)", {"x": [2.0, 2.0, 2.0]}, 0.0, {"x": [0.0, 0.0, 0.0]}),  # zero variance: 0, not nan
    ("std(x, ddof=1)", {"x": [[2.0, 2.0], [2.0, 2.0]]}, 0.0, {"x": [[0.0, 0.0], [0.0, 0.0]]}),
    (
        "sum(std(x, axis=1))",
        {"x": [[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]]},
        1.247219128924647,
        {"x": [[0, 0, 0], [-0.35634832254989923, -0.08908708063747484, 0.44543540318737396]]},
    ),
    (
        "sum(std(x, axis=1, ddof=1))",
        {"x": [[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]]},
        1.5275252316519465,
        {"x": [[0, 0, 0], [-0.43643578047198484, -0.10910894511799625, 0.5455447255899809]]},
    ),
    (
        "sum(var(x, axis=1, ddof=1))",
        {"x": [[1.0, 2.0, 4.0], [0.0, 0.0, 1.0]]},
        2.333333333333333 + 0.33333333333333337,
        {
            "x": [
                [-1.3333333333333335, -0.3333333333333335, 1.6666666666666665],
                [-THIRD, -THIRD, 0.6666666666666667],
            ]
        },
    ),
    (
        "sum(std(x, axis=0, keepdims=1))",
        {"x": [[1.0, 2.0, 4.0], [0.0, 2.0, 1.0]]},
        2.0,
        {"x": [[0.5, 0, 0.5], [-0.5, 0, -0.5]]},
    ),
    ("var(x)", {"x": [[1.0, 2.0], [3.0, 5.0]]}, 2.1875, {"x": [[-0.875, -0.375], [0.125, 1.125]]}),
    (
        "std(x, axis=[0, 1], ddof=1)",
        {"x": [[1.0, 2.0], [3.0, 5.0]]},
        1.707825127659933,
        {"x": [[-0.3415650255319866, -0.14638501094227996], [0.04879500364742666, 0.43915503282683993]]},
    ),
    ("std(x)", {"x": [2.0]}, 0.0, {"x": [0.0]}),
    ("std(x, ddof=1)", {"x": [2.0]}, nan, {"x": [nan]}),  # n - ddof = 0
    ("var(x, ddof=1)", {"x": [2.0]}, nan, {"x": [nan]}),
    ("var(x, ddof=2)", {"x": [1.0, 2.0]}, inf, {"x": [inf, inf]}),  # whole array: inf, nan at the mean
    ("var(x, ddof=3)", {"x": [1.0, 2.0]}, inf, {"x": [inf, inf]}),
    ("std(x, ddof=2)", {"x": [1.0, 2.0]}, inf, {"x": [nan, nan]}),
    ("var(x, ddof=2)", {"x": [1.0, 1.0]}, nan, {"x": [nan, nan]}),
    ("std(x, ddof=2)", {"x": [1.0, 1.0]}, nan, {"x": [nan, nan]}),
    ("var(x, ddof=4)", {"x": [[1.0, 2.0], [1.0, 1.0]]}, inf, {"x": [[inf, inf], [inf, inf]]}),
    ("var(x, axis=[0, 1], ddof=4)", {"x": [[1.0, 2.0], [1.0, 1.0]]}, inf, {"x": [[-inf, inf], [-inf, -inf]]}),
    ("sum(var(x, axis=1, ddof=2))", {"x": [[1.0, 2.0], [1.0, 1.0]]}, nan, {"x": [[-inf, inf], [nan, nan]]}),
    ("sum(var(x, axis=1, ddof=3))", {"x": [[1.0, 2.0], [1.0, 1.0]]}, nan, {"x": [[1.0, -1.0], [-0.0, -0.0]]}),
    ("sum(std(x, axis=1, ddof=2))", {"x": [[1.0, 2.0], [1.0, 1.0]]}, nan, {"x": [[nan, nan], [nan, nan]]}),
    ("sum(std(x, axis=1, ddof=3))", {"x": [[1.0, 2.0], [1.0, 1.0]]}, nan, {"x": [[0.0, -0.0], [nan, nan]]}),
    ("std(x) * y", {"x": [2.0, 2.0], "y": inf}, nan, {"x": [0.0, 0.0]}),  # an inf upstream: still 0
    ("var(x)", {"x": [1.0, nan]}, nan, {"x": [nan, nan]}),
    ("std(x)", {"x": [1.0, inf]}, nan, {"x": [nan, nan]}),
    # prod: the product of the other elements; out/x without a zero, as PyTorch divides.
    ("prod(x)", {"x": [2.0, 0.0, 3.0]}, 0.0, {"x": [0.0, 6.0, 0.0]}),
    ("prod(x)", {"x": [2.0, 0.0, 0.0]}, 0.0, {"x": [0.0, 0.0, 0.0]}),
    ("prod(x)", {"x": [2.0, nan, 3.0]}, nan, {"x": [nan, nan, nan]}),
    ("prod(x)", {"x": [2.0, inf, 0.0]}, nan, {"x": [nan, 0.0, inf]}),
    ("prod(x)", {"x": [2.0, inf, 3.0]}, inf, {"x": [inf, nan, inf]}),
    ("prod(x) * y", {"x": [2.0, 0.0, 3.0], "y": inf}, nan, {"x": [nan, inf, nan]}),  # a product: 0 * inf
    (
        "sum(prod(x, axis=1))",
        {"x": [[2.0, 0.0, 3.0], [0.0, 0.0, 5.0], [1.0, 2.0, 3.0]]},
        6.0,
        {"x": [[0, 6, 0], [0, 0, 0], [6, 3, 2]]},
    ),
    (
        "sum(prod(x, axis=0))",
        {"x": [[[1.0, 0.0], [2.0, 3.0]], [[0.0, 0.0], [4.0, 5.0]]]},
        23.0,
        {"x": [[[0, 0], [4, 5]], [[1, 0], [2, 3]]]},
    ),
    (
        "sum(prod(x, axis=1))",
        {"x": [[2.0, inf, 3.0], [0.0, 1.0, 1.0]]},
        inf,
        {"x": [[inf, 6, inf], [1, 0, 0]]},
    ),
    (
        "sum(prod(x, axis=1))",
        {"x": [[2.0, inf, 3.0], [1.0, 1.0, 1.0]]},
        inf,
        {"x": [[inf, nan, inf], [1, 1, 1]]},
    ),
    # cumsum and cumprod (PyTorch's exact rule at zeros: no division).
    ("sum(cumsum(x))", {"x": [2.0, 0.0, 3.0]}, 9.0, {"x": [3.0, 2.0, 1.0]}),
    (
        "sum(cumsum(x, axis=1) * w)",
        {"x": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "w": [[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]]},
        34.0,
        {"x": [[6, 5, 3], [1, 1, 0]]},
    ),
    ("sum(cumprod(x))", {"x": [2.0, 0.0, 3.0, 4.0]}, 2.0, {"x": [1.0, 32.0, 0.0, 0.0]}),
    ("sum(cumprod(x))", {"x": [2.0, 0.0, 3.0, 0.0, 5.0]}, 2.0, {"x": [1.0, 8.0, 0.0, 0.0, 0.0]}),
    ("sum(cumprod(x))", {"x": [0.0, 2.0, 3.0]}, 0.0, {"x": [9.0, 0.0, 0.0]}),
    ("sum(cumprod(x))", {"x": [0.0, 0.0, 0.0]}, 0.0, {"x": [1.0, 0.0, 0.0]}),
    ("sum(cumprod(x))", {"x": [2.0, inf, 3.0]}, inf, {"x": [inf, nan, inf]}),
    ("sum(cumprod(x))", {"x": [2.0, nan, 3.0]}, nan, {"x": [nan, nan, nan]}),
    ("sum(cumprod(x))", {"x": [2.0, nan, 0.0, 3.0]}, nan, {"x": [nan, nan, nan, 0.0]}),
    (
        "sum(cumprod(x) * w)",
        {"x": [2.0, 0.0, 3.0, 4.0], "w": [1.0, 2.0, 3.0, 4.0]},
        2.0,
        {"x": [1.0, 118.0, 0.0, 0.0]},
    ),
    (
        "sum(cumprod(x, axis=1))",
        {"x": [[2.0, 0.0, 3.0], [0.0, 1.0, 5.0]]},
        2.0,
        {"x": [[1, 8, 0], [7, 0, 0]]},
    ),
    (
        "sum(cumprod(x, axis=0))",
        {"x": [[2.0, 0.0], [0.0, 3.0], [5.0, 7.0]]},
        2.0,
        {"x": [[1, 25], [12, 0], [0, 0]]},
    ),
    (
        "sum(cumprod(x, axis=1))",
        {"x": [[2.0, inf, 3.0], [0.0, 1.0, 1.0]]},
        inf,
        {"x": [[inf, nan, inf], [3, 0, 0]]},
    ),
    # logsumexp, softmax and log_softmax along an axis.
    (
        "sum(logsumexp(x, axis=1))",
        {"x": [[1.0, 2.0, 3.0], [0.0, 0.0, 1.0]]},
        3.4076059644443806 + 1.551444713932051,
        {
            "x": [
                [0.09003057317038043, 0.24472847105479759, 0.6652409557748217],
                [0.21194155761708544, 0.21194155761708544, 0.5761168847658291],
            ]
        },
    ),
    (
        "logsumexp(x, axis=1, keepdims=1)",
        {"x": [[1.0, 2.0], [3.0, 3.0]]},
        [[2.313261687518223], [3.6931471805599454]],
        {},
    ),
    ("sum(logsumexp(x, axis=1))", {"x": [[-inf, -inf], [0.0, 0.0]]}, -inf, {"x": [[nan, nan], [0.5, 0.5]]}),
    (
        "sum(logsumexp(x, axis=1))",
        {"x": [[inf, 1.0], [1.0, 2.0]]},
        inf,
        {"x": [[nan, 0.0], [0.26894142136999505, 0.7310585786300048]]},
    ),
    ("logsumexp(x)", {"x": [-inf, -inf]}, -inf, {"x": [nan, nan]}),
    (
        "sum(softmax(x, axis=-1) * w)",
        {"x": [[1.0, 2.0, 3.0], [0.0, 0.0, 1.0]], "w": [[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]]},
        0.09003057317038045 + 2 * 0.21194155761708547,
        {
            "x": [
                [0.08192506906499322, -0.02203304452017429, -0.059892024544818914],
                [-0.08983844769031273, 0.33404466754385825, -0.24420621985354551],
            ]
        },
    ),
    (
        "sum(log_softmax(x, axis=0) * w)",
        {"x": [[1.0, 2.0, 3.0], [0.0, 0.0, 1.0]], "w": [[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]]},
        -0.31326168751822286 + 2 * -2.1269280110429727,
        {
            "x": [
                [0.2689414213699951, -1.7615941559557646, 0.0],
                [-0.2689414213699951, 1.7615941559557649, 0.0],
            ]
        },
    ),
    (
        "sum(log_softmax(x, axis=1))",
        {"x": [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]},
        -2.4076059644443806 - 1.4076059644443804 - 0.4076059644443804 - 3 * 1.0986122886681098,
        {"x": [[0.7299082804888587, 0.2658145868356071, -0.9957228673244654], [0.0, 0.0, 0.0]]},
    ),
    (
        "sum(log_softmax(x))",
        {"x": [-inf, 0.0, 1.0]},
        -inf,
        {"x": [1.0, 0.1931757358900147, -1.1931757358900148]},
    ),
    ("sum(log_softmax(x))", {"x": [-inf, -inf]}, nan, {"x": [nan, nan]}),
    ("sum(log_softmax(x))", {"x": [inf, 1.0]}, nan, {"x": [nan, nan]}),
    ("sum(softmax(x))", {"x": [-inf, 0.0, 1.0]}, 1.0, {"x": [0.0, 0.0, 0.0]}),
    ("sum(softmax(x))", {"x": [inf, 1.0]}, nan, {"x": [nan, nan]}),
    ("sum(softmax(x, axis=0))", {"x": [-inf, -inf]}, nan, {"x": [nan, nan]}),
    # norm along an axis: an all-zero slice gets 0, then multiplied (an inf upstream gives nan).
    ("sum(norm(x, axis=1))", {"x": [[0.0, 0.0], [3.0, 4.0]]}, 5.0, {"x": [[0.0, 0.0], [0.6, 0.8]]}),
    (
        "sum(norm(x, axis=1) * w)",
        {"x": [[0.0, 0.0], [3.0, 4.0]], "w": [inf, 1.0]},
        nan,
        {"x": [[nan, nan], [0.6, 0.8]]},
    ),
]


@pytest.mark.parametrize(("source", "at", "value", "gradient"), SAME, ids=[f"{s} {a}" for s, a, _, _ in SAME])
def test_gradcli_gives_torchs_numbers(source, at, value, gradient):
    check(source, at, value, gradient)


# --- where gradcli differs from PyTorch on purpose ----------------------------------------------
#
# max/min along an axis follow PyTorch's max() over a whole array, slice by slice, so that
# `max(x, axis=[0, 1])` of a matrix and `max(x)` agree: tied elements share the gradient (as
# torch.amax does; torch.max(x, dim) gives it all to one index), the others get 0 even from an
# inf or nan upstream (as torch.max does; torch.amax multiplies, 0 * inf = nan), and a nan
# maximum is shared among the slice's nan elements (torch.amax along a dim gives nan to the whole
# slice, torch.max() over the whole array shares it).

# (source, at, torch's gradient, gradcli's gradient)
DIFFERENT = [
    # torch.amax(x, dim=1): [[nan, nan, nan], [0, 0.5, 0.5]]; torch.max(x) shares a nan maximum.
    (
        "sum(max(x, axis=1))",
        {"x": [[1.0, nan, 3.0], [1.0, 2.0, 2.0]]},
        [[nan] * 3, [0, 0.5, 0.5]],
        [[0, 1, 0], [0, 0.5, 0.5]],
    ),
    # torch.amax(x, dim=(0, 1)) with nan: all nan; torch.max(x) (gradcli's max(x) too): shared.
    (
        "max(x, axis=[0, 1])",
        {"x": [[1.0, nan, 3.0], [nan, 2.0, 2.0]]},
        [[nan] * 3, [nan] * 3],
        [[0, 0.5, 0], [0.5, 0, 0]],
    ),
    # torch.amax(x, dim=1) with an inf upstream at a tie: [[nan, inf, inf]] (0 * inf); masked here,
    # as torch.max(x) over the whole array gives [0, inf, inf].
    ("sum(max(x, axis=1) * y)", {"x": [[1.0, 3.0, 3.0]], "y": inf}, [[nan, inf, inf]], [[0.0, inf, inf]]),
]


@pytest.mark.parametrize(("source", "at", "torch", "ours"), DIFFERENT, ids=[d[0] for d in DIFFERENT])
def test_where_gradcli_differs_on_purpose(source, at, torch, ours):
    result = evaluate(source, at)
    assert_same(result.gradient["x"], ours)
    assert not np.array_equal(np.asarray(torch), np.asarray(ours), equal_nan=True)


def test_the_whole_array_rules_are_torch_max_s():
    """What torch.max(x) gives over a whole array, and gradcli's max(x) with and without axes."""
    x = [[1.0, nan, 3.0], [nan, nan, 2.0]]
    torch_max = [[0.0, THIRD, 0.0], [THIRD, THIRD, 0.0]]  # torch.max(x).backward(): nan shared by 3
    assert_same(evaluate("max(x)", x=x).gradient["x"], torch_max)
    assert_same(evaluate("max(x, axis=[0, 1])", x=x).gradient["x"], torch_max)
    # torch.max(x) of [1, 3, 3] with an inf upstream: [0, inf, inf]
    assert_same(evaluate("max(x) * y", x=[1.0, 3.0, 3.0], y=inf).gradient["x"], [0.0, inf, inf])


def test_kinks_are_marked_with_the_convention():
    from gradcli.ops import OPS

    for source, at, op in [
        ("prod(x)", {"x": [2.0, 0.0, 3.0]}, "prod"),
        ("std(x, axis=1)", {"x": [[2.0, 2.0], [1.0, 3.0]]}, "std"),
        ("var(x, ddof=2)", {"x": [1.0, 2.0]}, "variance"),
        ("cumprod(x)", {"x": [2.0, 0.0]}, "cumprod"),
        ("max(x, axis=0)", {"x": [[1.0, 2.0], [1.0, 3.0]]}, "amax"),
        ("norm(x, axis=1)", {"x": [[0.0, 0.0], [3.0, 4.0]]}, "norm"),
    ]:
        nodes = [node for node in evaluate(source, at).nodes if node.op == op]
        assert nodes and nodes[0].kink == OPS[op].convention, source
    for source, at in [("std(x, axis=1)", {"x": [[2.0, 1.0], [1.0, 3.0]]}), ("std(x)", {"x": [5.0]})]:
        assert all(node.kink is None for node in evaluate(source, at).nodes), source
