"""Closed forms of the elementwise functions and activations of issue 16, written by hand from
textbooks with Python's `math` (no gradcli, no numpy), for tests/test_ops.py (`more_closed_forms`).

Also here, in the shapes of the shared tables they extend (see the report of the r16-func branch:
the lead hooks them in), so that the suites drawing random expressions over every function know
the new ones:

- KINKS: the kink conventions, as test_ops.KINKS (source, values, value, gradient, op);
  tests/test_functions_kinks.py runs them too.
- KINK_DISTANCE: how far inputs are from each new op's kink, as conftest.KINK_DISTANCE.
- REFERENCE: the functions computed independently (math, numpy), as test_properties.REFERENCE.
"""

from __future__ import annotations

import math

import numpy as np

LN2, LN10 = math.log(2.0), math.log(10.0)
SELU_SCALE = 1.0507009873554804934193349852946  # Klambauer et al., "Self-normalizing networks"
SELU_ALPHA = 1.6732632423543772848170429916717


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _phi(x: float) -> float:
    """The standard normal density."""
    return math.exp(-x * x / 2.0) / math.sqrt(2.0 * math.pi)


def _big_phi(x: float) -> float:
    """The standard normal distribution function."""
    return math.erfc(-x / math.sqrt(2.0)) / 2.0


def _mish_derivative(x: float) -> float:
    softplus = math.log1p(math.exp(x))
    return math.tanh(softplus) + x * _sigmoid(x) / math.cosh(softplus) ** 2


def _hardswish(x: float) -> float:
    return x * min(max(x + 3.0, 0.0), 6.0) / 6.0


# name -> (forward, d/dx)
UNARY = {
    "log2": (math.log2, lambda x: 1.0 / (x * LN2)),
    "log10": (math.log10, lambda x: 1.0 / (x * LN10)),
    "log1p": (math.log1p, lambda x: 1.0 / (1.0 + x)),
    "expm1": (math.expm1, math.exp),
    "exp2": (lambda x: 2.0**x, lambda x: 2.0**x * LN2),
    "erf": (math.erf, lambda x: 2.0 / math.sqrt(math.pi) * math.exp(-x * x)),
    "erfc": (math.erfc, lambda x: -2.0 / math.sqrt(math.pi) * math.exp(-x * x)),
    "asinh": (math.asinh, lambda x: 1.0 / math.sqrt(x * x + 1.0)),
    "acosh": (math.acosh, lambda x: 1.0 / math.sqrt(x * x - 1.0)),
    "atanh": (math.atanh, lambda x: 1.0 / (1.0 - x * x)),
    "floor": (lambda x: float(math.floor(x)), lambda x: 0.0),
    "ceil": (lambda x: float(math.ceil(x)), lambda x: 0.0),
    "round": (lambda x: float(round(x)), lambda x: 0.0),  # Python's round: half to even
    "trunc": (lambda x: float(math.trunc(x)), lambda x: 0.0),
    "elu": (lambda x: x if x > 0 else math.expm1(x), lambda x: 1.0 if x > 0 else math.exp(x)),
    "selu": (
        lambda x: SELU_SCALE * (x if x > 0 else SELU_ALPHA * math.expm1(x)),
        lambda x: SELU_SCALE if x > 0 else SELU_SCALE * SELU_ALPHA * math.exp(x),
    ),
    "silu": (lambda x: x * _sigmoid(x), lambda x: _sigmoid(x) + x * _sigmoid(x) * (1.0 - _sigmoid(x))),
    "mish": (lambda x: x * math.tanh(math.log1p(math.exp(x))), _mish_derivative),
    "gelu": (lambda x: x * _big_phi(x), lambda x: _big_phi(x) + x * _phi(x)),
    "softsign": (lambda x: x / (1.0 + abs(x)), lambda x: 1.0 / (1.0 + abs(x)) ** 2),
    "logsigmoid": (lambda x: -math.log1p(math.exp(-x)), lambda x: 1.0 / (1.0 + math.exp(x))),
    "hardtanh": (lambda x: min(max(x, -1.0), 1.0), lambda x: 1.0 if -1.0 < x < 1.0 else 0.0),
    "relu6": (lambda x: min(max(x, 0.0), 6.0), lambda x: 1.0 if 0.0 < x < 6.0 else 0.0),
    "hardsigmoid": (
        lambda x: min(max(x + 3.0, 0.0), 6.0) / 6.0,
        lambda x: 1.0 / 6.0 if -3.0 < x < 3.0 else 0.0,
    ),
    "hardswish": (_hardswish, lambda x: 0.0 if x < -3.0 else (1.0 if x > 3.0 else x / 3.0 + 0.5)),
}
UNARY_POINTS = {
    "log2": (0.3, 1.0, 8.0),
    "log10": (0.3, 1.0, 1000.0),
    "log1p": (-0.5, 1e-12, 3.0),
    "expm1": (-2.0, 1e-12, 3.0),
    "exp2": (-1.5, 0.5, 10.0),
    "erf": (-2.5, 0.3, 1.2),
    "erfc": (-1.0, 0.3, 5.0),
    "asinh": (-3.0, 0.2, 40.0),
    "acosh": (1.1, 2.0, 40.0),
    "atanh": (-0.9, 0.1, 0.6),
    "floor": (-1.5, 0.3, 2.7),
    "ceil": (-1.5, 0.3, 2.7),
    "round": (-1.2, 0.3, 2.7),
    "trunc": (-1.5, 0.3, 2.7),
    "elu": (-2.0, -0.1, 1.5),
    "selu": (-2.0, -0.1, 1.5),
    "silu": (-3.0, 0.5, 2.0),
    "mish": (-3.0, 0.5, 2.0),
    "gelu": (-3.0, 0.5, 2.0),
    "softsign": (-3.0, 0.5, 2.0),
    "logsigmoid": (-3.0, 0.5, 2.0),
    "hardtanh": (-1.5, 0.3, 2.0),
    "relu6": (-1.0, 2.5, 7.0),
    "hardsigmoid": (-4.0, 1.0, 3.5),
    "hardswish": (-4.0, -1.0, 2.0, 4.0),
}


def _logaddexp_grads(a: float, b: float) -> tuple[float, float]:
    total = math.exp(a) + math.exp(b)
    return math.exp(a) / total, math.exp(b) / total


# name -> (source over a and b, forward, gradient (d/da, d/db))
BINARY = {
    "logaddexp": ("logaddexp(a, b)", lambda a, b: math.log(math.exp(a) + math.exp(b)), _logaddexp_grads),
    "atan2": ("atan2(a, b)", math.atan2, lambda a, b: (b / (a * a + b * b), -a / (a * a + b * b))),
    "hypot": ("hypot(a, b)", math.hypot, lambda a, b: (a / math.hypot(a, b), b / math.hypot(a, b))),
    "mod": ("mod(a, b)", lambda a, b: a % b, lambda a, b: (1.0, -float(a // b))),
    "leaky_relu": (
        "leaky_relu(a, b)",
        lambda a, b: a if a > 0 else b * a,
        lambda a, b: (1.0, 0.0) if a > 0 else (b, a),
    ),
}
BINARY_POINTS = {
    "logaddexp": ((1.5, -2.0), (0.1, 0.2), (-3.0, 4.0)),
    "atan2": ((1.5, -2.0), (-0.1, 0.2), (-3.0, -4.0)),
    "hypot": ((1.5, -2.0), (0.1, 0.2), (-3.0, 4.0)),
    "mod": ((7.0, 2.5), (-7.0, 2.5), (5.5, -2.0), (0.3, 0.7)),
    "leaky_relu": ((1.5, 0.01), (-2.0, 0.2), (-0.5, 3.0)),
}


def _clip_jacobians(x, lo, hi) -> dict:
    to_x = float(lo <= x <= hi)
    to_lo = float(x < lo < hi)
    to_hi = float(x > hi or hi < lo)
    return {"x": to_x, "lo": to_lo, "hi": to_hi}


# name -> (source, shapes of the variables, value, gradient of each variable)
ARRAY = {
    "clip": (
        "clip(x, lo, hi)",
        {"x": (), "lo": (), "hi": ()},
        lambda x, lo, hi: min(max(float(x), float(lo)), float(hi)),
        _clip_jacobians,
    ),
}


# --- for the shared tables (see the docstring) -------------------------------------------------

inf, nan = math.inf, math.nan

# (source, values, value, gradient, the op whose node is marked); every number measured with
# PyTorch 2.13 float64 (tests/test_functions_torch.py has the rest of what was measured).
KINKS = [
    ("leaky_relu(x, a)", {"x": 0.0, "a": 0.2}, 0.0, {"x": 0.2, "a": 0.0}, "leaky_relu"),
    ("elu(x)", {"x": 0.0}, 0.0, {"x": 1.0}, "elu"),
    ("selu(x)", {"x": 0.0}, 0.0, {"x": 1.7580993408473766}, "selu"),
    ("hardtanh(x)", {"x": -1.0}, -1.0, {"x": 0.0}, "hardtanh"),
    ("hardtanh(x)", {"x": 1.0}, 1.0, {"x": 0.0}, "hardtanh"),
    ("relu6(x)", {"x": 0.0}, 0.0, {"x": 0.0}, "relu6"),
    ("relu6(x)", {"x": 6.0}, 6.0, {"x": 0.0}, "relu6"),
    ("hardsigmoid(x)", {"x": -3.0}, 0.0, {"x": 0.0}, "hardsigmoid"),
    ("hardsigmoid(x)", {"x": 3.0}, 1.0, {"x": 0.0}, "hardsigmoid"),
    ("hardswish(x)", {"x": -3.0}, 0.0, {"x": 0.0}, "hardswish"),
    ("hardswish(x)", {"x": 3.0}, 3.0, {"x": 1.0}, "hardswish"),
    ("floor(x)", {"x": 2.0}, 2.0, {"x": 0.0}, "floor"),
    ("ceil(x)", {"x": -1.0}, -1.0, {"x": 0.0}, "ceil"),
    ("round(x)", {"x": 2.5}, 2.0, {"x": 0.0}, "round"),
    ("trunc(x)", {"x": -2.0}, -2.0, {"x": 0.0}, "trunc"),
    ("mod(a, b)", {"a": 2.0, "b": 1.0}, 0.0, {"a": 1.0, "b": -2.0}, "mod"),
    ("clip(x, lo, hi)", {"x": 1.0, "lo": 1.0, "hi": 2.0}, 1.0, {"x": 1.0, "lo": 0.0, "hi": 0.0}, "clip"),
    ("clip(x, lo, hi)", {"x": 2.0, "lo": 1.0, "hi": 2.0}, 2.0, {"x": 1.0, "lo": 0.0, "hi": 0.0}, "clip"),
    ("clip(x, lo, hi)", {"x": 1.0, "lo": 1.0, "hi": 1.0}, 1.0, {"x": 1.0, "lo": 0.0, "hi": 0.0}, "clip"),
    ("acosh(x)", {"x": 1.0}, 0.0, {"x": inf}, "acosh"),
    ("atan2(y, x)", {"y": 0.0, "x": 0.0}, 0.0, {"y": 0.0, "x": 0.0}, "atan2"),
    ("atan2(y, x)", {"y": 0.0, "x": -1.0}, math.pi, {"y": -1.0, "x": -0.0}, "atan2"),
    ("hypot(a, b)", {"a": 0.0, "b": 0.0}, 0.0, {"a": nan, "b": nan}, "hypot"),
]


def _nearest_whole(x: float) -> float:
    return abs(x - round(x))


def _to_nonzero_whole(x: float) -> float:
    return 1.0 - abs(x) if abs(x) < 1.0 else _nearest_whole(x)


KINK_DISTANCE = {
    "leaky_relu": lambda x, a: abs(x),
    "elu": abs,
    "selu": abs,
    "hardtanh": lambda x: min(abs(x - 1.0), abs(x + 1.0)),
    "relu6": lambda x: min(abs(x), abs(x - 6.0)),
    "hardsigmoid": lambda x: min(abs(x - 3.0), abs(x + 3.0)),
    "hardswish": lambda x: min(abs(x - 3.0), abs(x + 3.0)),
    "floor": _nearest_whole,
    "ceil": _nearest_whole,
    "round": lambda x: abs(x - math.floor(x) - 0.5),
    "trunc": _to_nonzero_whole,
    "mod": lambda a, b: abs(a - b * round(a / b)) if b != 0 else 0.0,
    "clip": lambda x, lo, hi: min(abs(x - lo), abs(x - hi), abs(lo - hi)),
    "acosh": lambda x: abs(x - 1.0),
    "atan2": lambda y, x: abs(y) if x <= 0 else math.hypot(y, x),
    "hypot": math.hypot,
}


def _elementwise(function):
    return np.vectorize(function, otypes=[np.float64])


REFERENCE = {
    ("log2", 1): np.log2,
    ("log10", 1): np.log10,
    ("log1p", 1): np.log1p,
    ("expm1", 1): np.expm1,
    ("exp2", 1): np.exp2,
    ("logaddexp", 2): np.logaddexp,
    ("erf", 1): _elementwise(math.erf),
    ("erfc", 1): _elementwise(math.erfc),
    ("asinh", 1): np.arcsinh,
    ("arcsinh", 1): np.arcsinh,
    ("acosh", 1): np.arccosh,
    ("arccosh", 1): np.arccosh,
    ("atanh", 1): np.arctanh,
    ("arctanh", 1): np.arctanh,
    ("atan2", 2): np.arctan2,
    ("arctan2", 2): np.arctan2,
    ("hypot", 2): np.hypot,
    ("floor", 1): np.floor,
    ("ceil", 1): np.ceil,
    ("round", 1): np.round,
    ("trunc", 1): np.trunc,
    ("fix", 1): np.fix,
    ("mod", 2): np.mod,
    ("remainder", 2): np.remainder,
    ("clip", 3): np.clip,
    ("clamp", 3): np.clip,
    ("leaky_relu", 2): lambda x, a: np.where(x > 0, x, a * x),
    ("elu", 1): lambda v: np.where(v > 0, v, np.expm1(np.minimum(v, 0.0))),
    ("selu", 1): lambda v: SELU_SCALE * np.where(v > 0, v, SELU_ALPHA * np.expm1(np.minimum(v, 0.0))),
    ("silu", 1): lambda v: v / (1.0 + np.exp(-v)),
    ("mish", 1): lambda v: v * np.tanh(np.logaddexp(0.0, v)),
    ("gelu", 1): lambda v: v * (1.0 + _elementwise(math.erf)(v / math.sqrt(2.0))) / 2.0,
    ("softsign", 1): lambda v: v / (1.0 + np.abs(v)),
    ("logsigmoid", 1): lambda v: -np.logaddexp(0.0, -v),
    ("hardtanh", 1): lambda v: np.clip(v, -1.0, 1.0),
    ("relu6", 1): lambda v: np.clip(v, 0.0, 6.0),
    ("hardsigmoid", 1): lambda v: np.clip(v + 3.0, 0.0, 6.0) / 6.0,
    ("hardswish", 1): lambda v: v * np.clip(v + 3.0, 0.0, 6.0) / 6.0,
}
