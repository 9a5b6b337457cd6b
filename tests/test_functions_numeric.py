"""Numerically stable forms: the functions of issue 16 in their tails (±30, ±700), near 0
(log1p, expm1), with huge arguments (logaddexp), and numpy's conventions for mod, round, clip.

The expected numbers were computed with mpmath at 1200 digits and rounded to float64.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import run_cli

from gradcli.api import evaluate

# (source, at, value, gradient): the true numbers, rounded to float64.
TAILS = [
    ("logsigmoid(x)", {"x": -700.0}, -700.0, {"x": 1.0}),
    ("softplus(x)", {"x": -700.0}, 9.85967654375977e-305, {"x": 9.85967654375977e-305}),
    ("silu(x)", {"x": -700.0}, -6.90177358063184e-302, {"x": -6.891913904088079e-302}),
    ("mish(x)", {"x": -700.0}, -6.90177358063184e-302, {"x": -6.891913904088079e-302}),
    ("gelu(x)", {"x": -700.0}, -0.0, {"x": -0.0}),
    ("elu(x)", {"x": -700.0}, -1.0, {"x": 9.85967654375977e-305}),
    ("logsigmoid(x)", {"x": -30.0}, -30.000000000000092, {"x": 0.9999999999999064}),
    ("softplus(x)", {"x": -30.0}, 9.357622968839737e-14, {"x": 9.357622968839299e-14}),
    ("silu(x)", {"x": -30.0}, -2.8072868906517896e-12, {"x": -2.713710660963134e-12}),
    ("mish(x)", {"x": -30.0}, -2.807286890651921e-12, {"x": -2.713710660963392e-12}),
    ("gelu(x)", {"x": -30.0}, -1.472014178144456e-196, {"x": -4.416031690708495e-195}),
    ("elu(x)", {"x": -30.0}, -0.9999999999999064, {"x": 9.357622968840175e-14}),
    ("logsigmoid(x)", {"x": 30.0}, -9.357622968839737e-14, {"x": 9.357622968839299e-14}),
    ("softplus(x)", {"x": 30.0}, 30.000000000000092, {"x": 0.9999999999999064}),
    ("silu(x)", {"x": 30.0}, 29.999999999997193, {"x": 1.0000000000027136}),
    ("mish(x)", {"x": 30.0}, 30.0, {"x": 1.0}),
    ("gelu(x)", {"x": 30.0}, 30.0, {"x": 1.0}),
    ("elu(x)", {"x": 30.0}, 30.0, {"x": 1.0}),
    ("logsigmoid(x)", {"x": 700.0}, -9.85967654375977e-305, {"x": 9.85967654375977e-305}),
    ("softplus(x)", {"x": 700.0}, 700.0, {"x": 1.0}),
    ("silu(x)", {"x": 700.0}, 700.0, {"x": 1.0}),
    ("mish(x)", {"x": 700.0}, 700.0, {"x": 1.0}),
    ("gelu(x)", {"x": 700.0}, 700.0, {"x": 1.0}),
    ("elu(x)", {"x": 700.0}, 700.0, {"x": 1.0}),
    ("log1p(x)", {"x": 1e-20}, 1e-20, {"x": 1.0}),
    ("expm1(x)", {"x": 1e-20}, 1e-20, {"x": 1.0}),
    ("log1p(x)", {"x": -1e-20}, -1e-20, {"x": 1.0}),
    ("expm1(x)", {"x": -1e-20}, -1e-20, {"x": 1.0}),
    ("log1p(x)", {"x": 1e-300}, 1e-300, {"x": 1.0}),
    ("expm1(x)", {"x": 1e-300}, 1e-300, {"x": 1.0}),
    ("logaddexp(a, b)", {"a": 700.0, "b": 700.0}, 700.6931471805599, {"a": 0.5, "b": 0.5}),
    ("logaddexp(a, b)", {"a": -700.0, "b": -700.0}, -699.3068528194401, {"a": 0.5, "b": 0.5}),
    ("logaddexp(a, b)", {"a": 1000.0, "b": 1000.0}, 1000.6931471805599, {"a": 0.5, "b": 0.5}),
    ("logaddexp(a, b)", {"a": 700.0, "b": -700.0}, 700.0, {"a": 1.0, "b": 0.0}),
    (
        "logaddexp(a, b)",
        {"a": -1000.0, "b": -1000.5},
        -999.5259230158199,
        {"a": 0.6224593312018546, "b": 0.37754066879814546},
    ),
    ("logaddexp(a, b)", {"a": 30.0, "b": -30.0}, 30.0, {"a": 1.0, "b": 8.75651076269652e-27}),
    ("erfc(x)", {"x": 10.0}, 2.088487583762545e-45, {"x": -4.197656231354417e-44}),
    ("erfc(x)", {"x": 20.0}, 5.395865611607901e-176, {"x": -2.1610374743867984e-174}),
    ("erfc(x)", {"x": 26.0}, 5.663192408856143e-296, {"x": -2.9470349932662697e-294}),
]


@pytest.mark.parametrize(("source", "at", "value", "gradient"), TAILS, ids=[f"{c[0]}@{c[1]}" for c in TAILS])
def test_tails_keep_their_relative_accuracy(source, at, value, gradient):
    result = evaluate(source, at)
    # 1e-13: gelu(-30) is erfc at 30/sqrt(2), whose rounding alone moves it by ~900 units of the
    # last place; everything else is within a few units.
    np.testing.assert_allclose(float(result.value), value, rtol=1e-13, atol=0)
    for name, expected in gradient.items():
        np.testing.assert_allclose(float(result.gradient[name]), expected, rtol=1e-13, atol=0)


@pytest.mark.parametrize("x", [-800.0, -700.0, -30.0, 30.0, 700.0, 800.0])
def test_logsigmoid_is_minus_softplus_of_minus_x_without_overflow(x):
    """log(sigmoid(x)) computed naively is log(0) = -inf from x ≈ -745 on; logsigmoid stays exact."""
    result = evaluate("logsigmoid(x) + softplus(-x)", x=x)
    assert float(result.value) == 0.0
    assert float(result.gradient["x"]) == 0.0
    assert math.isfinite(float(evaluate("logsigmoid(x)", x=x).value))


def test_logaddexp_does_not_overflow_where_exp_does():
    naive = evaluate("log(exp(a) + exp(b))", a=1000.0, b=1000.0)
    assert math.isinf(float(naive.value))  # exp(1000) overflows
    stable = evaluate("logaddexp(a, b)", a=1000.0, b=1000.0)
    assert float(stable.value) == 1000.0 + math.log(2.0)
    assert {k: float(v) for k, v in stable.gradient.items()} == {"a": 0.5, "b": 0.5}


# mod follows Python's % and numpy.mod (the result has the sign of b), as torch.remainder; its
# partial to b is minus the floor quotient that was used (numpy's floor_divide, Python's //).
@pytest.mark.parametrize(
    ("a", "b"),
    [(7.0, 2.5), (-7.0, 2.5), (7.0, -2.5), (-7.0, -2.5), (1.0, 0.1), (5.5, -2.0), (-0.5, 3.0), (1e10, 3.0)],
)
def test_mod_has_pythons_sign_convention(a, b):
    result = evaluate("mod(a, b)", a=a, b=b)
    assert float(result.value) == a % b
    assert float(result.gradient["a"]) == 1.0
    assert float(result.gradient["b"]) == -(a // b)


def test_round_is_half_to_even():
    x = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 0.49999999999999994]
    result = evaluate("round(x)", x=np.array(x))
    assert np.asarray(result.value).tolist() == [float(round(v)) for v in x] == [-2, -2, -0, 0, 2, 2, 4, 0]
    assert not np.any(result.gradient["x"])


def test_clip_with_scalar_bounds_sums_their_gradients():
    """Bounds broadcast against x; each bound collects the gradient of every element it clipped."""
    x = np.array([-2.0, -1.0, 0.0, 1.0, 3.0, 5.0])
    result = evaluate("sum(clip(x, lo, hi))", x=x, lo=-1.0, hi=3.0)
    assert float(result.value) == sum([-1.0, -1.0, 0.0, 1.0, 3.0, 3.0])
    assert np.asarray(result.gradient["x"]).tolist() == [0.0, 1.0, 1.0, 1.0, 1.0, 0.0]  # bounds pass to x
    assert float(result.gradient["lo"]) == 1.0  # only x = -2 is below lo
    assert float(result.gradient["hi"]) == 1.0  # only x = 5 is above hi


def test_leaky_relu_with_a_constant_slope():
    result = evaluate("leaky_relu(x, 0.01)", x=np.array([-2.0, 0.0, 3.0]))
    np.testing.assert_array_equal(result.value, [-0.02, 0.0, 3.0])
    np.testing.assert_array_equal(np.diagonal(result.gradient["x"]), [0.01, 0.01, 1.0])
    assert set(result.gradient) == {"x"}


def test_many_points_ride_the_batch_axis_bit_for_bit(tmp_path):
    """The new functions are pointwise: `--points` runs them in one vectorised pass, with the
    numbers one `eval` per point gives, kinks and tails included."""
    source = "gelu(x) + clip(x, lo, 1) + mod(x, 0.75) + hardswish(3*x) + logaddexp(x, -x) + erfc(10*x)"
    xs = [-3.0, -1.0, -0.5, 0.0, 0.25, 1.0, 2.5, 30.0]
    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps({"x": x}) + "\n" for x in xs), encoding="utf-8")
    run = run_cli("eval", source, "--points", str(path), "--at", "lo=-0.5")
    assert run.code == 0, run.err
    lines = [json.loads(line) for line in run.out.splitlines()]
    assert len(lines) == len(xs)
    for x, line in zip(xs, lines, strict=True):
        alone = evaluate(source, x=x, lo=-0.5)
        assert line["value"] == float(alone.value)
        assert line["gradient"] == {name: float(g) for name, g in alone.gradient.items()}
