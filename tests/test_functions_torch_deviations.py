"""Where gradcli keeps the true value and PyTorch 2.13 float64 does not (an intermediate that
overflows, cancels or is rounded to float32): both numbers, and the true one (mpmath, 40
digits). Measured as in tests/test_functions_torch.py. Also the tanh approximation of gelu,
ready for its `approximate="tanh"` option.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_functions_torch import assert_same

from gradcli.api import evaluate

inf, nan = math.inf, math.nan

# (source, at, torch's value and gradient, gradcli's (the true ones), why they differ)
DEVIATIONS = [
    (
        "asinh(x)",
        {"x": 1e200},
        (461.2101657793691, {"x": 0.0}),
        (461.2101657793691, {"x": 1e-200}),
        "torch computes 1/sqrt(x^2 + 1): x^2 overflows; gradcli 1/hypot(x, 1)",
    ),
    (
        "asinh(x)",
        {"x": -1e200},
        (-461.2101657793691, {"x": 0.0}),
        (-461.2101657793691, {"x": 1e-200}),
        "as above",
    ),
    (
        "acosh(x)",
        {"x": 1e200},
        (461.2101657793691, {"x": 0.0}),
        (461.2101657793691, {"x": 1e-200}),
        "torch computes 1/sqrt(x^2 - 1): x^2 overflows; gradcli 1/(sqrt(x - 1) sqrt(x + 1))",
    ),
    (
        "atan2(y, x)",
        {"y": 1e200, "x": 1e200},
        (0.7853981633974483, {"y": 0.0, "x": -0.0}),
        (0.7853981633974483, {"y": 5e-201, "x": -5e-201}),
        "torch divides by x^2 + y^2, which overflows; gradcli by hypot(x, y) twice",
    ),
    (
        "atan2(y, x)",
        {"y": 1e-200, "x": 1e-200},
        (0.7853981633974483, {"y": 0.0, "x": -0.0}),
        (0.7853981633974483, {"y": 5e199, "x": -5e199}),
        "x^2 + y^2 underflows to 0, which torch treats as the origin (its convention there is 0)",
    ),
    (
        "gelu(x)",
        {"x": -10.0},
        (-0.0, {"x": -7.694598626706419e-22}),
        (-7.619853024160526e-23, {"x": -7.618400096464814e-22}),
        "torch's x (1 + erf(x/sqrt(2)))/2 cancels to 0; gradcli uses erfc(-x/sqrt(2))/2",
    ),
    (
        "gelu(x)",
        {"x": -30.0},
        (-0.0, {"x": -4.420938404635643e-195}),
        (-1.472014178144456e-196, {"x": -4.416031690708495e-195}),
        "as above",
    ),
    (
        "softsign(x)",
        {"x": 700.0},
        (0.9985734664764622, {"x": 2.0349978937773093e-06}),
        (0.9985734664764622, {"x": 2.03499789377718e-06}),
        "torch differentiates the quotient x/(1 + |x|) term by term (rounding in the 13th digit)",
    ),
    (
        "softsign(x)",
        {"x": -800.0},
        (-0.9987515605493134, {"x": 1.5586010620306876e-06}),
        (-0.9987515605493134, {"x": 1.5586010620307636e-06}),
        "as above",
    ),
    (
        "hardsigmoid(x)",
        {"x": 0.0},
        (0.5, {"x": 0.1666666716337204}),
        (0.5, {"x": 1 / 6}),
        "torch's float64 kernel multiplies by a float32 1/6",
    ),
    (
        "hardsigmoid(x)",
        {"x": 1.0},
        (0.6666666666666666, {"x": 0.1666666716337204}),
        (0.6666666666666666, {"x": 1 / 6}),
        "as above",
    ),
    (
        "leaky_relu(x, a)",
        {"x": inf, "a": 0.2},
        (inf, {"x": 1.0, "a": nan}),
        (inf, {"x": 1.0, "a": 0.0}),
        "torch.where sends 0 into the unchosen a*x, then multiplies it by x = inf; gradcli's "
        "partial to a is masked where x > 0, as the contract's where is",
    ),
]


@pytest.mark.parametrize(
    ("source", "at", "torch", "true", "why"), DEVIATIONS, ids=[f"{d[0]}@{d[1]}" for d in DEVIATIONS]
)
def test_keeps_the_true_value_where_torch_loses_it(source, at, torch, true, why):
    result = evaluate(source, at)
    value, gradient = true
    # Within 1e-13 of the truth: gelu(-30) is erfc at 30/sqrt(2), and the rounding of that
    # argument alone moves erfc by 2 (30/sqrt(2))^2 = 900 units of the last place.
    assert_same(result.value, value, rtol=1e-13)
    for name, expected in gradient.items():
        assert_same(result.gradient[name], expected, rtol=1e-13)
    # The recorded torch numbers do differ (else the case belongs in CASES).
    torch_value, torch_gradient = torch
    differs = [
        not np.isclose(torch_gradient[n], gradient[n], rtol=1e-14, atol=0, equal_nan=True) for n in gradient
    ]
    assert any(differs) or not np.isclose(torch_value, value, rtol=1e-14, atol=0), why


# gelu(x, approximate="tanh"), measured: torch.nn.functional.gelu(x, approximate="tanh").
GELU_TANH = [
    (0.0, 0.0, 0.5),
    (1.0, 0.8411919906082768, 1.0829640838457826),
    (-1.0, -0.15880800939172324, -0.08296408384578252),
    (-3.0, -0.0036373920817729943, -0.011584166630969648),
    (2.5, 2.484915733910001, 1.037951576212666),
    (-10.0, -0.0, 0.0),
    (30.0, 30.0, 1.0),
]


def test_gelu_tanh_approximation_is_ready_for_its_option():
    """The rules `gelu(x, approximate="tanh")` will use once keyword options reach the table:
    PyTorch's numbers, and a printed formula that parses and gives the same partial."""
    from gradcli.ops.activations import GELU_TANH_FORMULA, gelu_tanh, gelu_tanh_local

    x = np.array([case[0] for case in GELU_TANH])
    np.testing.assert_allclose(gelu_tanh(x), [case[1] for case in GELU_TANH], rtol=1e-13, atol=0)
    np.testing.assert_allclose(gelu_tanh_local(x, None), [case[2] for case in GELU_TANH], rtol=1e-13, atol=0)
    printed = evaluate(GELU_TANH_FORMULA, x=x[:5]).value
    np.testing.assert_allclose(printed, gelu_tanh_local(x[:5], None), rtol=1e-12, atol=0)
    h = 1e-6
    numeric = (gelu_tanh(x[:5] + h) - gelu_tanh(x[:5] - h)) / (2 * h)
    np.testing.assert_allclose(gelu_tanh_local(x[:5], None), numeric, rtol=1e-8, atol=1e-10)
