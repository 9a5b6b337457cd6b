"""bce, bce_with_logits, mse, huber and huber_loss against PyTorch 2.13's numbers: values and
gradients at the edges (bce at p = 0 and 1, logits at ±1000 and ±inf, huber at |r| = delta), and
huber's second derivative.

Measured as tests/test_losses_torch.py says (float64, torch.nn.functional's
binary_cross_entropy, binary_cross_entropy_with_logits, mse_loss and huber_loss; huber(r) as
huber_loss(r, zeros)). gradcli and its tests never import torch: the numbers are copied here.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_losses_torch import assert_same

from gradcli.api import evaluate
from gradcli.ops import OPS

inf, nan = math.inf, math.nan
W = [1.0, -2.0, 0.5, 3.0]

# (source, at, value, gradient), measured with torch 2.13 float64.
TORCH = [
    ("bce(p, y)", {"p": 0.0, "y": 0.0}, 0.0, {"p": 0.0, "y": inf}),
    ("bce(p, y)", {"p": 0.0, "y": 1.0}, 100.0, {"p": -1000000003995.8029, "y": inf}),
    ("bce(p, y)", {"p": 1.0, "y": 0.0}, 100.0, {"p": 1000000003995.8029, "y": -inf}),
    ("bce(p, y)", {"p": 1.0, "y": 1.0}, 0.0, {"p": 0.0, "y": -inf}),
    ("bce(p, y)", {"p": 0.0, "y": 0.5}, 50.0, {"p": -500000001997.9014, "y": inf}),
    ("bce(p, y)", {"p": 1.0, "y": 0.5}, 50.0, {"p": 500000001997.9014, "y": -inf}),
    ("bce(p, y)", {"p": 1e-300, "y": 1.0}, 100.0, {"p": -1000000003995.8029, "y": 690.7755278982137}),
    (
        "bce(p, y)",
        {"p": 1e-17, "y": 0.25},
        9.785986645224694,
        {"p": -250000000998.9507, "y": 39.14394658089878},
    ),
    (
        "bce(p, y)",
        {"p": 0.9999999999999999, "y": 0.25},
        27.552600427257826,
        {"p": 750000002996.852, "y": -36.7368005696771},
    ),
    (
        "bce(p, y)",
        {"p": 0.3, "y": 0.7},
        0.949783446209775,
        {"p": -1.9047619047619047, "y": 0.8472978603872036},
    ),
    (
        "bce(p, y)",
        {"p": [0.2, 0.9, 0.5], "y": [0.0, 1.0, 1.0]},
        0.3405504158439938,
        {
            "p": [0.4166666666666666, -0.3703703703703704, -0.6666666666666666],
            "y": [0.46209812037329684, -0.7324081924454066, -0.0],
        },
    ),
    (
        'bce(p, y, reduction="sum")',
        {"p": [0.2, 0.9, 0.0], "y": [0.0, 1.0, 1.0]},
        100.32850406697203,
        {
            "p": [1.2499999999999998, -1.1111111111111112, -1000000003995.8029],
            "y": [1.3862943611198906, -2.1972245773362196, inf],
        },
    ),
    ("bce_with_logits(z, y)", {"z": 0.0, "y": 0.0}, 0.6931471805599453, {"z": 0.5, "y": -0.0}),
    ("bce_with_logits(z, y)", {"z": 1000.0, "y": 0.0}, 1000.0, {"z": 1.0, "y": -1000.0}),
    ("bce_with_logits(z, y)", {"z": -1000.0, "y": 1.0}, 1000.0, {"z": -1.0, "y": 1000.0}),
    ("bce_with_logits(z, y)", {"z": 1000.0, "y": 1.0}, 0.0, {"z": 0.0, "y": -1000.0}),
    ("bce_with_logits(z, y)", {"z": 40.0, "y": 0.3}, 28.0, {"z": 0.7, "y": -40.0}),
    ("bce_with_logits(z, y)", {"z": -40.0, "y": 0.3}, 12.0, {"z": -0.3, "y": 40.0}),
    ("bce_with_logits(z, y)", {"z": inf, "y": 1.0}, nan, {"z": 0.0, "y": -inf}),
    ("bce_with_logits(z, y)", {"z": -inf, "y": 0.0}, nan, {"z": 0.0, "y": inf}),
    (
        "bce_with_logits(z, y)",
        {"z": [-1.0, 2.0, 0.5], "y": [0.0, 1.0, 1.0]},
        0.3047555609137673,
        {
            "z": [0.08964714045666504, -0.0397343073407059, -0.1258468895993818],
            "y": [0.3333333333333333, -0.6666666666666666, -0.16666666666666666],
        },
    ),
    (
        "bce_with_logits(z, y)",
        {"z": [0.7, -3.0, 12.0, -0.25], "y": [0.2, 0.9, 0.5, 0.0]},
        2.5719297411328803,
        {
            "z": [0.11704694304204154, -0.21314353170560832, 0.12499846395634945, 0.10945587477855048],
            "y": [-0.175, 0.75, -3.0, 0.0625],
        },
    ),
    (
        "mse(a, b)",
        {"a": [1.0, 2.0, 3.5], "b": [0.5, 2.5, 1.0]},
        2.25,
        {
            "a": [0.3333333333333333, -0.3333333333333333, 1.6666666666666665],
            "b": [-0.3333333333333333, 0.3333333333333333, -1.6666666666666665],
        },
    ),
    (
        'mse(a, b, reduction="sum")',
        {"a": [1.0, 2.0, 3.5], "b": [0.5, 2.5, 1.0]},
        6.75,
        {"a": [1.0, -1.0, 5.0], "b": [-1.0, 1.0, -5.0]},
    ),
    (
        "mse(a, b)",
        {"a": [[1.0, -2.0], [0.25, 4.0]], "b": 0.5},
        4.703125,
        {"a": [[0.25, -1.25], [-0.125, 1.75]], "b": -0.625},
    ),
    ("mse(a, b)", {"a": [1.0, inf], "b": [0.0, 0.0]}, inf, {"a": [1.0, inf], "b": [-1.0, -inf]}),
    ("huber(r)", {"r": 1.0}, 0.5, {"r": 1.0}),
    ("huber(r)", {"r": -1.0}, 0.5, {"r": -1.0}),
    ("huber(r, 0.5)", {"r": 0.5}, 0.125, {"r": 0.5}),
    ("huber(r, delta=2)", {"r": -3.0}, 4.0, {"r": -2.0}),
    ("huber(r)", {"r": 0.0}, 0.0, {"r": 0.0}),
    ("huber(r, 0.5)", {"r": [-1.0, 0.2, 0.5, 0.5]}, 0.16125, {"r": [-0.125, 0.05, 0.125, 0.125]}),
    (
        "huber_loss(a, b, delta=0.5)",
        {"a": [-1.0, 0.2, 0.5, 3.0], "b": [0.0, 0.0, 0.0, 2.5]},
        0.16125,
        {"a": [-0.125, 0.05, 0.125, 0.125], "b": [0.125, -0.05, -0.125, -0.125]},
    ),
    (
        'sum(huber_loss(a, b, 0.5, reduction="none") * w)',
        {"a": [-1.0, 0.2, 0.5, 3.0], "b": [0.0, 0.0, 0.0, 2.5], "w": W},
        0.7725,
        {
            "a": [-0.5, -0.4, 0.25, 1.5],
            "b": [0.5, 0.4, -0.25, -1.5],
            "w": [0.375, 0.020000000000000004, 0.125, 0.125],
        },
    ),
    (
        "huber_loss(a, b)",
        {"a": [1.5, -0.25, 2.0], "b": [0.5, 0.5, 0.5]},
        0.59375,
        {
            "a": [0.3333333333333333, -0.25, 0.3333333333333333],
            "b": [-0.3333333333333333, 0.25, -0.3333333333333333],
        },
    ),
]


@pytest.mark.parametrize(
    ("source", "at", "value", "gradient"), TORCH, ids=[f"{c[0]}#{i}" for i, c in enumerate(TORCH)]
)
def test_value_and_gradient_are_pytorchs(source, at, value, gradient):
    result = evaluate(source, at)
    assert_same(result.value, value)
    assert set(result.gradient) == set(gradient)
    for name, expected in gradient.items():
        assert_same(result.gradient[name], expected)


def test_every_loss_is_measured():
    measured = {source.split("(")[0] for source, *_ in TORCH} | {
        source.split("(")[1] for source, *_ in TORCH if source.startswith("sum(")
    }
    assert {"bce", "bce_with_logits", "mse", "huber", "huber_loss"} <= measured


@pytest.mark.parametrize(
    ("source", "at"),
    [("bce(p, y)", {"p": 0.0, "y": 1.0}), ("bce(p, y)", {"p": [0.5, 1.0], "y": [0.0, 1.0]})],
)
def test_bce_at_a_bound_is_marked_with_pytorchs_convention(source, at):
    nodes = [node for node in evaluate(source, at).nodes if node.op == "bce"]
    assert nodes and nodes[0].kink == OPS["bce"].convention
    assert "-100" in OPS["bce"].convention and "1e-12" in OPS["bce"].convention


def test_bce_away_from_the_bounds_is_not_marked():
    nodes = [node for node in evaluate("bce(p, y)", {"p": 0.3, "y": 0.7}).nodes if node.op == "bce"]
    assert nodes and nodes[0].kink is None


# huber's second derivative, torch.autograd.grad twice (create_graph=True) on huber_loss(r, 0):
# (r, delta, d²/dr²). At |r| = delta PyTorch says 0, the linear side's.
HUBER_SECOND = [(1.0, 1.0, 0.0), (-1.0, 1.0, 0.0), (0.5, 1.0, 1.0), (-2.5, 1.0, 0.0), (0.5, 0.5, 0.0)]


@pytest.mark.parametrize(("r", "delta", "second"), HUBER_SECOND)
def test_hubers_printed_derivative_differentiates_to_pytorchs_second_derivative(r, delta, second):
    """The formula huber's step prints, differentiated by gradcli itself (grad = 1), gives
    PyTorch's second derivative, at |r| = delta too: its `where` picks the linear side there."""
    formula = OPS["huber"].partials[0].formula_text(np.float64(r), delta=delta)
    assert formula.startswith("grad * where(abs(r) < ")
    result = evaluate(formula, {"r": r, "grad": 1.0})
    assert float(result.gradient["r"]) == second
