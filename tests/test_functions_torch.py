"""The functions and activations of issue 16 against PyTorch 2.13, at their kinks, bounds,
tails and non-finite points.

Every number written below as torch's was measured with PyTorch 2.13.0 (CPU, float64:
`torch.tensor(v, dtype=torch.float64, requires_grad=True)`, then `backward()`), calling
torch.log2 log10 log1p expm1 exp2 logaddexp erf erfc asinh acosh atanh atan2 hypot floor ceil
round trunc remainder (mod) clamp (clip, with tensor bounds); torch.nn.functional's elu selu
silu gelu mish softsign logsigmoid hardtanh relu6 hardsigmoid hardswish; and, for leaky_relu
with a slope that takes a gradient, torch.where(x > 0, x, a*x) (F.leaky_relu takes a float
slope; its gradient to x is the same). `f(x) * y` with y = inf sends an infinite upstream
gradient into f. gradcli and its tests never import torch: the numbers are copied here.

DEVIATIONS lists the few points where gradcli keeps the true value and PyTorch does not (an
intermediate that overflows, cancels or is rounded to float32), with both numbers and the true
one (computed with mpmath at 40 digits).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradcli.api import evaluate

inf, nan = math.inf, math.nan


def assert_same(actual, expected, rtol: float = 1e-14) -> None:
    """Equal as float64 numbers, nan equal to nan, inf to inf, finite ones to the last few bits
    (the sign of a zero is not compared)."""
    np.testing.assert_allclose(np.float64(actual), np.float64(expected), rtol=rtol, atol=0)


def check(source: str, at: dict, value: float, gradient: dict) -> None:
    result = evaluate(source, at)
    assert_same(result.value, value)
    for name, expected in gradient.items():
        assert_same(result.gradient[name], expected)


# (source, at, value, gradient), measured with torch 2.13 float64.
UNARY = [
    ("log2(x)", {"x": 0.0}, -inf, {"x": inf}),
    ("log2(x)", {"x": -1.0}, nan, {"x": -1.4426950408889634}),
    ("log2(x)", {"x": 8.0}, 3.0, {"x": 0.18033688011112042}),
    ("log2(x)", {"x": inf}, inf, {"x": 0.0}),
    ("log10(x)", {"x": 0.0}, -inf, {"x": inf}),
    ("log10(x)", {"x": -1.0}, nan, {"x": -0.43429448190325187}),
    ("log10(x)", {"x": 1000.0}, 3.0, {"x": 0.00043429448190325184}),
    ("log10(x)", {"x": inf}, inf, {"x": 0.0}),
    ("log1p(x)", {"x": -1.0}, -inf, {"x": inf}),
    ("log1p(x)", {"x": -2.0}, nan, {"x": -1.0}),
    ("log1p(x)", {"x": 1e-20}, 1e-20, {"x": 1.0}),
    ("log1p(x)", {"x": 700.0}, 6.55250788703459, {"x": 0.0014265335235378032}),
    ("log1p(x)", {"x": inf}, inf, {"x": 0.0}),
    ("expm1(x)", {"x": 1e-20}, 1e-20, {"x": 1.0}),
    ("expm1(x)", {"x": 710.0}, inf, {"x": inf}),
    ("expm1(x)", {"x": -800.0}, -1.0, {"x": 0.0}),
    ("expm1(x)", {"x": 1.0}, 1.7182818284590453, {"x": 2.7182818284590455}),
    ("expm1(x)", {"x": -inf}, -1.0, {"x": 0.0}),
    ("expm1(x)", {"x": inf}, inf, {"x": inf}),
    ("exp2(x)", {"x": 1.0}, 2.0, {"x": 1.3862943611198906}),
    ("exp2(x)", {"x": 1100.0}, inf, {"x": inf}),
    ("exp2(x)", {"x": -1100.0}, 0.0, {"x": 0.0}),
    ("exp2(x)", {"x": -inf}, 0.0, {"x": 0.0}),
    ("erf(x)", {"x": 0.0}, 0.0, {"x": 1.1283791670955126}),
    ("erf(x)", {"x": 0.5}, 0.5204998778130465, {"x": 0.8787825789354448}),
    ("erf(x)", {"x": -3.0}, -0.9999779095030014, {"x": 0.00013925305194674786}),
    ("erf(x)", {"x": 6.0}, 1.0, {"x": 2.617301239249265e-16}),
    ("erf(x)", {"x": 27.0}, 1.0, {"x": 2.8299433e-317}),
    ("erf(x)", {"x": -27.0}, -1.0, {"x": 2.8299433e-317}),
    ("erf(x)", {"x": inf}, 1.0, {"x": 0.0}),
    ("erf(x)", {"x": -inf}, -1.0, {"x": 0.0}),
    ("erf(x)", {"x": nan}, nan, {"x": nan}),
    ("erfc(x)", {"x": 0.0}, 1.0, {"x": -1.1283791670955126}),
    ("erfc(x)", {"x": 0.5}, 0.4795001221869535, {"x": -0.8787825789354448}),
    ("erfc(x)", {"x": -3.0}, 1.9999779095030015, {"x": -0.00013925305194674786}),
    ("erfc(x)", {"x": 6.0}, 2.1519736712498913e-17, {"x": -2.617301239249265e-16}),
    ("erfc(x)", {"x": 10.0}, 2.088487583762545e-45, {"x": -4.197656231354417e-44}),
    ("erfc(x)", {"x": 26.0}, 5.663192408856143e-296, {"x": -2.9470349932662693e-294}),
    ("erfc(x)", {"x": -27.0}, 2.0, {"x": -2.8299433e-317}),
    ("erfc(x)", {"x": inf}, 0.0, {"x": -0.0}),
    ("erfc(x)", {"x": -inf}, 2.0, {"x": -0.0}),
    ("erfc(x)", {"x": nan}, nan, {"x": nan}),
    ("asinh(x)", {"x": 0.0}, 0.0, {"x": 1.0}),
    ("asinh(x)", {"x": 3.0}, 1.8184464592320668, {"x": 0.31622776601683794}),
    ("asinh(x)", {"x": 1e-300}, 1e-300, {"x": 1.0}),
    ("asinh(x)", {"x": inf}, inf, {"x": 0.0}),
    ("asinh(x)", {"x": -inf}, -inf, {"x": 0.0}),
    ("acosh(x)", {"x": 1.0}, 0.0, {"x": inf}),
    ("acosh(x)", {"x": 0.5}, nan, {"x": nan}),
    ("acosh(x)", {"x": 2.0}, 1.3169578969248166, {"x": 0.5773502691896258}),
    ("acosh(x)", {"x": inf}, inf, {"x": 0.0}),
    ("atanh(x)", {"x": 1.0}, inf, {"x": inf}),
    ("atanh(x)", {"x": -1.0}, -inf, {"x": inf}),
    ("atanh(x)", {"x": 0.5}, 0.5493061443340548, {"x": 1.3333333333333333}),
    ("atanh(x)", {"x": 2.0}, nan, {"x": -0.3333333333333333}),
    ("floor(x)", {"x": 0.5}, 0.0, {"x": 0.0}),
    ("floor(x)", {"x": 2.0}, 2.0, {"x": 0.0}),
    ("floor(x)", {"x": -2.5}, -3.0, {"x": 0.0}),
    ("floor(x)", {"x": inf}, inf, {"x": 0.0}),
    ("floor(x)", {"x": nan}, nan, {"x": 0.0}),
    ("ceil(x)", {"x": 0.5}, 1.0, {"x": 0.0}),
    ("ceil(x)", {"x": 2.0}, 2.0, {"x": 0.0}),
    ("ceil(x)", {"x": -2.5}, -2.0, {"x": 0.0}),
    ("ceil(x)", {"x": inf}, inf, {"x": 0.0}),
    ("ceil(x)", {"x": nan}, nan, {"x": 0.0}),
    ("round(x)", {"x": 0.5}, 0.0, {"x": 0.0}),
    ("round(x)", {"x": 1.5}, 2.0, {"x": 0.0}),
    ("round(x)", {"x": 2.5}, 2.0, {"x": 0.0}),
    ("round(x)", {"x": -0.5}, -0.0, {"x": 0.0}),
    ("round(x)", {"x": -2.5}, -2.0, {"x": 0.0}),
    ("round(x)", {"x": 2.0}, 2.0, {"x": 0.0}),
    ("round(x)", {"x": 0.49999999999999994}, 0.0, {"x": 0.0}),
    ("round(x)", {"x": inf}, inf, {"x": 0.0}),
    ("round(x)", {"x": nan}, nan, {"x": 0.0}),
    ("trunc(x)", {"x": 0.5}, 0.0, {"x": 0.0}),
    ("trunc(x)", {"x": -2.5}, -2.0, {"x": 0.0}),
    ("trunc(x)", {"x": 2.0}, 2.0, {"x": 0.0}),
    ("trunc(x)", {"x": -0.3}, -0.0, {"x": 0.0}),
    ("trunc(x)", {"x": inf}, inf, {"x": 0.0}),
    ("trunc(x)", {"x": nan}, nan, {"x": 0.0}),
    ("elu(x)", {"x": 0.0}, 0.0, {"x": 1.0}),
    ("elu(x)", {"x": -1.0}, -0.6321205588285577, {"x": 0.36787944117144233}),
    ("elu(x)", {"x": 1.0}, 1.0, {"x": 1.0}),
    ("elu(x)", {"x": -800.0}, -1.0, {"x": 0.0}),
    ("elu(x)", {"x": 800.0}, 800.0, {"x": 1.0}),
    ("elu(x)", {"x": -inf}, -1.0, {"x": 0.0}),
    ("elu(x)", {"x": inf}, inf, {"x": 1.0}),
    ("elu(x)", {"x": nan}, nan, {"x": 1.0}),
    ("selu(x)", {"x": 0.0}, 0.0, {"x": 1.7580993408473766}),
    ("selu(x)", {"x": -1.0}, -1.1113307378125625, {"x": 0.646768603034814}),
    ("selu(x)", {"x": 1.0}, 1.0507009873554805, {"x": 1.0507009873554805}),
    ("selu(x)", {"x": -800.0}, -1.7580993408473766, {"x": 0.0}),
    ("selu(x)", {"x": 800.0}, 840.5607898843843, {"x": 1.0507009873554805}),
    ("selu(x)", {"x": -inf}, -1.7580993408473766, {"x": 0.0}),
    ("selu(x)", {"x": inf}, inf, {"x": 1.0507009873554805}),
    ("selu(x)", {"x": nan}, nan, {"x": 1.0507009873554805}),
    ("hardtanh(x)", {"x": -1.0}, -1.0, {"x": 0.0}),
    ("hardtanh(x)", {"x": 1.0}, 1.0, {"x": 0.0}),
    ("hardtanh(x)", {"x": 0.0}, 0.0, {"x": 1.0}),
    ("hardtanh(x)", {"x": -1.5}, -1.0, {"x": 0.0}),
    ("hardtanh(x)", {"x": 1.5}, 1.0, {"x": 0.0}),
    ("hardtanh(x)", {"x": inf}, 1.0, {"x": 0.0}),
    ("hardtanh(x)", {"x": nan}, nan, {"x": 1.0}),
    ("relu6(x)", {"x": 0.0}, 0.0, {"x": 0.0}),
    ("relu6(x)", {"x": 6.0}, 6.0, {"x": 0.0}),
    ("relu6(x)", {"x": -1.0}, 0.0, {"x": 0.0}),
    ("relu6(x)", {"x": 7.0}, 6.0, {"x": 0.0}),
    ("relu6(x)", {"x": 3.0}, 3.0, {"x": 1.0}),
    ("relu6(x)", {"x": inf}, 6.0, {"x": 0.0}),
    ("relu6(x)", {"x": nan}, nan, {"x": 1.0}),
    ("hardsigmoid(x)", {"x": -3.0}, 0.0, {"x": 0.0}),
    ("hardsigmoid(x)", {"x": 3.0}, 1.0, {"x": 0.0}),
    ("hardsigmoid(x)", {"x": -4.0}, 0.0, {"x": 0.0}),
    ("hardsigmoid(x)", {"x": 4.0}, 1.0, {"x": 0.0}),
    ("hardsigmoid(x)", {"x": inf}, 1.0, {"x": 0.0}),
    ("hardsigmoid(x)", {"x": nan}, nan, {"x": 0.0}),
    ("hardswish(x)", {"x": -3.0}, -0.0, {"x": 0.0}),
    ("hardswish(x)", {"x": 3.0}, 3.0, {"x": 1.0}),
    ("hardswish(x)", {"x": 0.0}, 0.0, {"x": 0.5}),
    ("hardswish(x)", {"x": -4.0}, -0.0, {"x": 0.0}),
    ("hardswish(x)", {"x": 4.0}, 4.0, {"x": 1.0}),
    ("hardswish(x)", {"x": 1.0}, 0.6666666666666666, {"x": 0.8333333333333333}),
    ("hardswish(x)", {"x": -inf}, nan, {"x": 0.0}),
    ("hardswish(x)", {"x": inf}, inf, {"x": 1.0}),
    ("hardswish(x)", {"x": nan}, nan, {"x": 1.0}),
    ("silu(x)", {"x": 0.0}, 0.0, {"x": 0.5}),
    ("silu(x)", {"x": 1.0}, 0.7310585786300049, {"x": 0.9276705118714869}),
    ("silu(x)", {"x": -1.0}, -0.2689414213699951, {"x": 0.07232948812851325}),
    ("silu(x)", {"x": -30.0}, -2.8072868906517896e-12, {"x": -2.713710660963134e-12}),
    ("silu(x)", {"x": 30.0}, 29.999999999997197, {"x": 1.000000000002711}),
    ("silu(x)", {"x": -700.0}, -6.90177358063184e-302, {"x": -6.891913904088079e-302}),
    ("silu(x)", {"x": 700.0}, 700.0, {"x": 1.0}),
    ("silu(x)", {"x": -800.0}, -0.0, {"x": -0.0}),
    ("silu(x)", {"x": 800.0}, 800.0, {"x": 1.0}),
    ("silu(x)", {"x": -inf}, nan, {"x": nan}),
    ("silu(x)", {"x": inf}, inf, {"x": nan}),
    ("silu(x)", {"x": nan}, nan, {"x": nan}),
    ("mish(x)", {"x": 0.0}, 0.0, {"x": 0.6}),
    ("mish(x)", {"x": 1.0}, 0.8650983882673103, {"x": 1.0490362200997922}),
    ("mish(x)", {"x": -1.0}, -0.30340146137410895, {"x": 0.059216755877395014}),
    ("mish(x)", {"x": -30.0}, -2.807286890651921e-12, {"x": -2.713710660963392e-12}),
    ("mish(x)", {"x": 30.0}, 30.0, {"x": 1.0}),
    ("mish(x)", {"x": -700.0}, -6.90177358063184e-302, {"x": -6.89191390408808e-302}),
    ("mish(x)", {"x": 700.0}, 700.0, {"x": 1.0}),
    ("mish(x)", {"x": -800.0}, -0.0, {"x": 0.0}),
    ("mish(x)", {"x": 800.0}, 800.0, {"x": 1.0}),
    ("mish(x)", {"x": -inf}, nan, {"x": nan}),
    ("mish(x)", {"x": inf}, inf, {"x": nan}),
    ("mish(x)", {"x": nan}, nan, {"x": nan}),
    ("gelu(x)", {"x": 0.0}, 0.0, {"x": 0.5}),
    ("gelu(x)", {"x": 1.0}, 0.841344746068543, {"x": 1.0833154705876864}),
    ("gelu(x)", {"x": -1.0}, -0.15865525393145702, {"x": -0.08331547058768635}),
    ("gelu(x)", {"x": 30.0}, 30.0, {"x": 1.0}),
    ("gelu(x)", {"x": -700.0}, -0.0, {"x": 0.0}),
    ("gelu(x)", {"x": 700.0}, 700.0, {"x": 1.0}),
    ("gelu(x)", {"x": -800.0}, -0.0, {"x": 0.0}),
    ("gelu(x)", {"x": 800.0}, 800.0, {"x": 1.0}),
    ("gelu(x)", {"x": -inf}, nan, {"x": nan}),
    ("gelu(x)", {"x": inf}, inf, {"x": nan}),
    ("gelu(x)", {"x": nan}, nan, {"x": nan}),
    ("softsign(x)", {"x": 0.0}, 0.0, {"x": 1.0}),
    ("softsign(x)", {"x": 1.0}, 0.5, {"x": 0.25}),
    ("softsign(x)", {"x": -1.0}, -0.5, {"x": 0.25}),
    ("softsign(x)", {"x": -30.0}, -0.967741935483871, {"x": 0.00104058272632674}),
    ("softsign(x)", {"x": 30.0}, 0.967741935483871, {"x": 0.00104058272632674}),
    ("softsign(x)", {"x": -inf}, nan, {"x": nan}),
    ("softsign(x)", {"x": inf}, nan, {"x": nan}),
    ("softsign(x)", {"x": nan}, nan, {"x": nan}),
    ("logsigmoid(x)", {"x": 0.0}, -0.6931471805599453, {"x": 0.5}),
    ("logsigmoid(x)", {"x": 1.0}, -0.31326168751822286, {"x": 0.2689414213699951}),
    ("logsigmoid(x)", {"x": -1.0}, -1.3132616875182228, {"x": 0.7310585786300049}),
    ("logsigmoid(x)", {"x": -30.0}, -30.000000000000092, {"x": 0.9999999999999064}),
    ("logsigmoid(x)", {"x": 30.0}, -9.357622968839737e-14, {"x": 9.3576229688393e-14}),
    ("logsigmoid(x)", {"x": -700.0}, -700.0, {"x": 1.0}),
    ("logsigmoid(x)", {"x": 700.0}, -9.85967654375977e-305, {"x": 9.85967654375977e-305}),
    ("logsigmoid(x)", {"x": -800.0}, -800.0, {"x": 1.0}),
    ("logsigmoid(x)", {"x": 800.0}, 0.0, {"x": 0.0}),
    ("logsigmoid(x)", {"x": -inf}, -inf, {"x": 1.0}),
    ("logsigmoid(x)", {"x": inf}, 0.0, {"x": 0.0}),
    ("logsigmoid(x)", {"x": nan}, nan, {"x": nan}),
]
BINARY = [
    ("leaky_relu(x, a)", {"x": 0.0, "a": 0.2}, 0.0, {"x": 0.2, "a": 0.0}),
    ("leaky_relu(x, a)", {"x": -1.0, "a": 0.2}, -0.2, {"x": 0.2, "a": -1.0}),
    ("leaky_relu(x, a)", {"x": 1.0, "a": 0.2}, 1.0, {"x": 1.0, "a": 0.0}),
    ("leaky_relu(x, a)", {"x": nan, "a": 0.2}, nan, {"x": 0.2, "a": nan}),
    ("leaky_relu(x, a)", {"x": -inf, "a": 0.2}, -inf, {"x": 0.2, "a": -inf}),
    ("logaddexp(a, b)", {"a": -inf, "b": -inf}, -inf, {"a": nan, "b": nan}),
    ("logaddexp(a, b)", {"a": inf, "b": inf}, inf, {"a": nan, "b": nan}),
    ("logaddexp(a, b)", {"a": 1000.0, "b": 1000.0}, 1000.6931471805599, {"a": 0.5, "b": 0.5}),
    ("logaddexp(a, b)", {"a": -1000.0, "b": 1.0}, 1.0, {"a": 0.0, "b": 1.0}),
    ("logaddexp(a, b)", {"a": 800.0, "b": -800.0}, 800.0, {"a": 1.0, "b": 0.0}),
    ("logaddexp(a, b)", {"a": inf, "b": 1.0}, inf, {"a": 1.0, "b": 0.0}),
    ("logaddexp(a, b)", {"a": nan, "b": 1.0}, nan, {"a": nan, "b": nan}),
    ("logaddexp(a, b)", {"a": -inf, "b": 1.0}, 1.0, {"a": 0.0, "b": 1.0}),
    ("logaddexp(a, b)", {"a": 0.0, "b": 0.0}, 0.6931471805599453, {"a": 0.5, "b": 0.5}),
    ("atan2(y, x)", {"y": 0.0, "x": 0.0}, 0.0, {"y": 0.0, "x": -0.0}),
    ("atan2(y, x)", {"y": 1.0, "x": 0.0}, 1.5707963267948966, {"y": 0.0, "x": -1.0}),
    ("atan2(y, x)", {"y": 0.0, "x": -1.0}, 3.141592653589793, {"y": -1.0, "x": -0.0}),
    ("atan2(y, x)", {"y": -0.0, "x": -1.0}, -3.141592653589793, {"y": -1.0, "x": 0.0}),
    ("atan2(y, x)", {"y": inf, "x": inf}, 0.7853981633974483, {"y": nan, "x": nan}),
    ("atan2(y, x)", {"y": 1.0, "x": 2.0}, 0.4636476090008061, {"y": 0.4, "x": -0.2}),
    ("atan2(y, x)", {"y": nan, "x": 1.0}, nan, {"y": nan, "x": nan}),
    ("hypot(a, b)", {"a": 0.0, "b": 0.0}, 0.0, {"a": nan, "b": nan}),
    ("hypot(a, b)", {"a": 3.0, "b": 4.0}, 5.0, {"a": 0.6, "b": 0.8}),
    (
        "hypot(a, b)",
        {"a": 1e200, "b": 1e200},
        1.414213562373095e200,
        {"a": 0.7071067811865475, "b": 0.7071067811865475},
    ),
    ("hypot(a, b)", {"a": 1e-200, "b": 0.0}, 1e-200, {"a": 1.0, "b": 0.0}),
    ("hypot(a, b)", {"a": inf, "b": 1.0}, inf, {"a": nan, "b": 0.0}),
    ("hypot(a, b)", {"a": 0.0, "b": -2.0}, 2.0, {"a": 0.0, "b": -1.0}),
    ("mod(a, b)", {"a": 2.0, "b": 1.0}, 0.0, {"a": 1.0, "b": -2.0}),
    ("mod(a, b)", {"a": -1.0, "b": 3.0}, 2.0, {"a": 1.0, "b": 1.0}),
    ("mod(a, b)", {"a": 5.5, "b": -2.0}, -0.5, {"a": 1.0, "b": 3.0}),
    ("mod(a, b)", {"a": 1.0, "b": 0.1}, 0.09999999999999995, {"a": 1.0, "b": -9.0}),
    ("mod(a, b)", {"a": 1.0, "b": 0.0}, nan, {"a": 1.0, "b": -inf}),
    ("mod(a, b)", {"a": 0.0, "b": 0.0}, nan, {"a": 1.0, "b": nan}),
    ("mod(a, b)", {"a": -0.0, "b": 1.0}, -0.0, {"a": 1.0, "b": 0.0}),
    ("mod(a, b)", {"a": 0.0, "b": -1.0}, 0.0, {"a": 1.0, "b": 0.0}),
    ("mod(a, b)", {"a": 7.0, "b": 2.5}, 2.0, {"a": 1.0, "b": -2.0}),
    ("mod(a, b)", {"a": -7.0, "b": 2.5}, 0.5, {"a": 1.0, "b": 3.0}),
    ("mod(a, b)", {"a": inf, "b": 2.0}, nan, {"a": 1.0, "b": nan}),
    ("mod(a, b)", {"a": 2.0, "b": inf}, 2.0, {"a": 1.0, "b": -0.0}),
    ("mod(a, b)", {"a": -2.0, "b": inf}, inf, {"a": 1.0, "b": 1.0}),
    ("mod(a, b)", {"a": 1e300, "b": 1e-300}, 4.891554850853602e-301, {"a": 1.0, "b": -inf}),
    ("clip(x, lo, hi)", {"x": 1.0, "lo": 1.0, "hi": 2.0}, 1.0, {"x": 1.0, "lo": 0.0, "hi": 0.0}),
    ("clip(x, lo, hi)", {"x": 2.0, "lo": 1.0, "hi": 2.0}, 2.0, {"x": 1.0, "lo": 0.0, "hi": 0.0}),
    ("clip(x, lo, hi)", {"x": 1.5, "lo": 1.0, "hi": 2.0}, 1.5, {"x": 1.0, "lo": 0.0, "hi": 0.0}),
    ("clip(x, lo, hi)", {"x": 0.5, "lo": 1.0, "hi": 2.0}, 1.0, {"x": 0.0, "lo": 1.0, "hi": 0.0}),
    ("clip(x, lo, hi)", {"x": 2.5, "lo": 1.0, "hi": 2.0}, 2.0, {"x": 0.0, "lo": 0.0, "hi": 1.0}),
    ("clip(x, lo, hi)", {"x": 1.0, "lo": 1.0, "hi": 1.0}, 1.0, {"x": 1.0, "lo": 0.0, "hi": 0.0}),
    ("clip(x, lo, hi)", {"x": 0.5, "lo": 1.0, "hi": 1.0}, 1.0, {"x": 0.0, "lo": 0.0, "hi": 0.0}),
    ("clip(x, lo, hi)", {"x": 1.5, "lo": 1.0, "hi": 1.0}, 1.0, {"x": 0.0, "lo": 0.0, "hi": 1.0}),
    ("clip(x, lo, hi)", {"x": 1.5, "lo": 2.0, "hi": 1.0}, 1.0, {"x": 0.0, "lo": 0.0, "hi": 1.0}),
    ("clip(x, lo, hi)", {"x": 0.5, "lo": 2.0, "hi": 1.0}, 1.0, {"x": 0.0, "lo": 0.0, "hi": 1.0}),
    ("clip(x, lo, hi)", {"x": 2.5, "lo": 2.0, "hi": 1.0}, 1.0, {"x": 0.0, "lo": 0.0, "hi": 1.0}),
    ("clip(x, lo, hi)", {"x": 2.0, "lo": 2.0, "hi": 1.0}, 1.0, {"x": 0.0, "lo": 0.0, "hi": 1.0}),
    ("clip(x, lo, hi)", {"x": nan, "lo": 1.0, "hi": 2.0}, nan, {"x": 0.0, "lo": 0.0, "hi": 0.0}),
    ("clip(x, lo, hi)", {"x": 1.5, "lo": nan, "hi": 2.0}, nan, {"x": 0.0, "lo": 0.0, "hi": 0.0}),
    ("clip(x, lo, hi)", {"x": 1.5, "lo": 1.0, "hi": nan}, nan, {"x": 0.0, "lo": 0.0, "hi": 0.0}),
]
# An infinite upstream gradient: where PyTorch selects (a mask), nothing passes; where it
# multiplies (leaky_relu's slope, atan2 at the origin, mod's b), inf * 0 is nan.
UPSTREAM = [
    ("hardtanh(x) * y", {"x": 2.0, "y": inf}, inf, {"x": 0.0, "y": 1.0}),
    ("hardtanh(x) * y", {"x": -1.0, "y": inf}, -inf, {"x": 0.0, "y": -1.0}),
    ("relu6(x) * y", {"x": 7.0, "y": inf}, inf, {"x": 0.0, "y": 6.0}),
    ("relu6(x) * y", {"x": 0.0, "y": inf}, nan, {"x": 0.0, "y": 0.0}),
    ("hardsigmoid(x) * y", {"x": 4.0, "y": inf}, inf, {"x": 0.0, "y": 1.0}),
    ("hardsigmoid(x) * y", {"x": 3.0, "y": inf}, inf, {"x": 0.0, "y": 1.0}),
    ("hardswish(x) * y", {"x": -4.0, "y": inf}, nan, {"x": 0.0, "y": -0.0}),
    ("hardswish(x) * y", {"x": -3.0, "y": inf}, nan, {"x": 0.0, "y": -0.0}),
    ("hardswish(x) * y", {"x": -1.5, "y": inf}, -inf, {"x": nan, "y": -0.375}),
    ("floor(x) * y", {"x": 1.3, "y": inf}, inf, {"x": 0.0, "y": 1.0}),
    ("ceil(x) * y", {"x": 1.3, "y": inf}, inf, {"x": 0.0, "y": 2.0}),
    ("round(x) * y", {"x": 1.3, "y": inf}, inf, {"x": 0.0, "y": 1.0}),
    ("trunc(x) * y", {"x": 1.3, "y": inf}, inf, {"x": 0.0, "y": 1.0}),
    (
        "clip(x, lo, hi) * y",
        {"x": 0.5, "lo": 1.0, "hi": 2.0, "y": inf},
        inf,
        {"x": 0.0, "lo": inf, "hi": 0.0, "y": 1.0},
    ),
    (
        "clip(x, lo, hi) * y",
        {"x": 1.5, "lo": 1.0, "hi": 2.0, "y": inf},
        inf,
        {"x": inf, "lo": 0.0, "hi": 0.0, "y": 1.5},
    ),
    ("leaky_relu(x, a) * y", {"x": 1.0, "a": 0.2, "y": inf}, inf, {"x": inf, "a": 0.0, "y": 1.0}),
    ("leaky_relu(x, a) * y", {"x": -1.0, "a": 0.0, "y": inf}, nan, {"x": nan, "a": -inf, "y": -0.0}),
    ("atan2(a, b) * y", {"a": 0.0, "b": 0.0, "y": inf}, nan, {"a": nan, "b": nan, "y": 0.0}),
    ("elu(x) * y", {"x": -800.0, "y": inf}, -inf, {"x": nan, "y": -1.0}),
    ("mod(a, b) * y", {"a": 1.0, "b": 0.0, "y": inf}, nan, {"a": inf, "b": -inf, "y": nan}),
]

CASES = UNARY + BINARY + UPSTREAM


@pytest.mark.parametrize(("source", "at", "value", "gradient"), CASES, ids=[f"{c[0]}@{c[1]}" for c in CASES])
def test_agrees_with_torch(source, at, value, gradient):
    check(source, at, value, gradient)


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
