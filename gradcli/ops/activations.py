"""The activations of neural networks, elementwise. They write their derivative through their
output where lectures (and PyTorch) do.

Smooth ones: tanh, sigmoid, softplus, silu, mish, gelu, softsign, logsigmoid; with a kink:
relu, leaky_relu, elu, selu (the piecewise-linear hard* ones are in hard.py). Where PyTorch
computes a tail badly (gelu(-10) is -0.0 there, from 1 + erf(-7.07)), the rule here keeps the
relative accuracy; the kinks follow PyTorch 2.13 (measured: tests/test_functions_torch.py).
"""

from __future__ import annotations

import numpy as np

from .erf import erfc
from .row import Array, Op, Partial, at_zero


def sigmoid(x: Array) -> Array:
    # exp of a large positive number overflows; this form only ever exponentiates -|x|.
    z = np.exp(-np.abs(x))
    return np.where(np.asarray(x) >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def _relu_local(x: Array, out: Array) -> Array:
    """1 unless x <= 0: PyTorch's threshold_backward, so relu'(nan) = 1 (step(nan) is 0)."""
    return (~(np.asarray(x) <= 0)).astype(np.float64)


def _softplus(x: Array) -> Array:
    return np.logaddexp(0.0, x)  # log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow


# --- leaky_relu(x, a), elu, selu: a kink at 0 ---------------------------------------------------


def _leaky_relu(x: Array, a: Array) -> Array:
    return np.where(np.asarray(x) > 0, x, np.multiply(a, x))


def _leaky_relu_x(x: Array, a: Array, out: Array) -> Array:
    # PyTorch: x > 0 ? grad : grad * a, so the slope at 0 (and at nan) is a; a product, not masked.
    return np.where(np.asarray(x) > 0, 1.0, np.asarray(a, dtype=np.float64))


def _leaky_relu_a(x: Array, a: Array, out: Array) -> Array:
    return np.where(np.asarray(x) > 0, 0.0, np.asarray(x, dtype=np.float64))


def _elu(x: Array) -> Array:
    return np.where(np.asarray(x) > 0, x, np.expm1(np.minimum(x, 0.0)))


def _elu_local(x: Array, out: Array) -> Array:
    # exp(x) for x <= 0, else 1 (also at nan, as PyTorch: its test is x <= 0).
    return np.where(np.asarray(x) <= 0, np.exp(np.minimum(x, 0.0)), 1.0)


# SELU's constants (Klambauer et al. 2017), as PyTorch writes them.
SELU_SCALE = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717


def _selu(x: Array) -> Array:
    return SELU_SCALE * np.where(np.asarray(x) > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0.0)))


def _selu_local(x: Array, out: Array) -> Array:
    return np.where(np.asarray(x) <= 0, SELU_SCALE * SELU_ALPHA * np.exp(np.minimum(x, 0.0)), SELU_SCALE)


# --- silu, mish, gelu, softsign, logsigmoid: smooth ------------------------------------------


# At ±inf silu, mish and gelu meet inf * 0: nan, value and derivative, as in PyTorch.
def _silu_local(x: Array, out: Array) -> Array:
    s = sigmoid(x)
    return s * (1.0 + np.asarray(x) * (1.0 - s))


def _mish(x: Array) -> Array:
    return np.asarray(x) * np.tanh(_softplus(x))


def _mish_local(x: Array, out: Array) -> Array:
    t = np.tanh(_softplus(x))
    return t + np.asarray(x) * sigmoid(x) * (1.0 - t * t)


SQRT_HALF = float(np.sqrt(0.5))
INV_SQRT_2PI = float(1.0 / np.sqrt(2.0 * np.pi))


def _gelu(x: Array) -> Array:
    # x Φ(x) with Φ(x) = erfc(-x/√2)/2: the relative accuracy of Φ in the left tail survives
    # (PyTorch's x (1 + erf(x/√2))/2 cancels to 0 below x ≈ -8).
    return np.asarray(x) * erfc(-np.asarray(x) * SQRT_HALF) / 2.0


def _gelu_local(x: Array, out: Array) -> Array:
    x = np.asarray(x)
    return erfc(-x * SQRT_HALF) / 2.0 + x * np.exp(-x * x / 2.0) * INV_SQRT_2PI  # Φ(x) + x φ(x)


# gelu(x, approximate="tanh"): x/2 (1 + tanh(√(2/π) (x + 0.044715 x^3))), PyTorch's formula.
SQRT_2_OVER_PI = float(np.sqrt(2.0 / np.pi))
GELU_TANH_CUBIC = 0.044715
GELU_TANH_FORMULA = (
    "(1 + tanh(0.7978845608028654*(x + 0.044715*x^3)))/2"
    " + x/2*(1 - tanh(0.7978845608028654*(x + 0.044715*x^3))^2)*0.7978845608028654*(1 + 0.134145*x^2)"
)


def gelu_tanh(x: Array) -> Array:
    x = np.asarray(x)
    return 0.5 * x * (1.0 + np.tanh(SQRT_2_OVER_PI * (x + GELU_TANH_CUBIC * x * x * x)))


def gelu_tanh_local(x: Array, out: Array) -> Array:
    x = np.asarray(x)
    t = np.tanh(SQRT_2_OVER_PI * (x + GELU_TANH_CUBIC * x * x * x))
    slope = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_TANH_CUBIC * x * x)
    return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * slope


GELU_FORMULA = "erfc(-x/sqrt(2))/2 + x*exp(-x^2/2)/sqrt(2*pi)"
GELU_APPROXIMATIONS = ("none", "tanh")  # PyTorch's names


def _gelu_check(x: Array, approximate: object = "none") -> str | None:
    if approximate not in GELU_APPROXIMATIONS:
        return f'approximate must be "none" or "tanh", not {approximate!r}'
    return None


def _gelu_any(x: Array, approximate: object = "none") -> Array:
    return gelu_tanh(x) if approximate == "tanh" else _gelu(x)


def _gelu_any_local(x: Array, out: Array, approximate: object = "none") -> Array:
    return gelu_tanh_local(x, out) if approximate == "tanh" else _gelu_local(x, out)


def _gelu_formula(x: Array, approximate: object = "none") -> str:
    return GELU_TANH_FORMULA if approximate == "tanh" else GELU_FORMULA


def _softsign(x: Array) -> Array:
    return np.asarray(x) / (1.0 + np.abs(x))  # nan at ±inf (inf/inf), as PyTorch's


def _softsign_local(x: Array, out: Array) -> Array:
    # PyTorch differentiates x/(1 + |x|) as a quotient: nan at ±inf, where its value is nan.
    return np.where(np.isinf(x), np.nan, 1.0 / np.square(1.0 + np.abs(x)))


def _logsigmoid(x: Array) -> Array:
    return -np.logaddexp(0.0, -np.asarray(x))  # -softplus(-x): -700 at -700, -1e-304 at 700


ROWS = [
    Op(
        "tanh",
        ("x",),
        np.tanh,
        (Partial("1 - out^2", lambda x, out: 1.0 - out * out, reads=("out",)),),
        "tanh",
    ),
    Op(
        "sigmoid",
        ("x",),
        sigmoid,
        (Partial("out*(1 - out)", lambda x, out: out * (1.0 - out), reads=("out",)),),
        "sigmoid",
    ),
    Op(
        "relu",
        ("x",),
        lambda x: np.maximum(x, 0.0),
        (Partial("step(x)", _relu_local, masked=True, reads=("x",)),),
        "relu",
        kink=at_zero,
        convention="relu'(0) = 0; nothing passes where x <= 0, not even inf or nan (PyTorch)",
        domain=(0.2, 3.0),
    ),
    Op("softplus", ("x",), _softplus, (Partial("sigmoid(x)", lambda x, out: sigmoid(x)),), "softplus"),
    Op(
        "leaky_relu",
        ("x", "a"),
        _leaky_relu,
        (
            Partial("step(x) + a*(1 - step(x))", _leaky_relu_x),
            # Selected where x > 0 (a is not used there): nothing passes to a, not even inf.
            Partial("min(x, 0)", _leaky_relu_a, masked=lambda x, a, out: np.asarray(x) > 0),
        ),
        "leaky_relu",
        kink=lambda x, a: at_zero(x),
        convention="leaky_relu'(0) = a, the slope of the negative side (PyTorch)",
    ),
    Op(
        "elu",
        ("x",),
        _elu,
        (Partial("exp(-relu(-x))", _elu_local),),  # exp(min(x, 0)), with PyTorch's elu''(0) = 0
        "elu",
        kink=at_zero,
        convention="elu'(0) = 1 from both sides; only the second derivative jumps, and is taken as 0 "
        "there (PyTorch)",
    ),
    Op(
        "selu",
        ("x",),
        _selu,
        (
            Partial(
                f"{SELU_SCALE!r}*(step(x) + {SELU_ALPHA!r}*(1 - step(x))*exp(-relu(-x)))",
                _selu_local,
            ),
        ),
        "selu",
        kink=at_zero,
        convention="selu'(0) = scale*alpha = 1.7581, the slope of the negative side (PyTorch)",
    ),
    Op(
        "silu",
        ("x",),
        lambda x: np.asarray(x) * sigmoid(x),
        (Partial("sigmoid(x)*(1 + x*(1 - sigmoid(x)))", _silu_local),),
        "silu",
    ),
    Op(
        "mish",
        ("x",),
        _mish,
        (Partial("tanh(softplus(x)) + x*sigmoid(x)*(1 - tanh(softplus(x))^2)", _mish_local),),
        "mish",
    ),
    Op(
        "gelu",
        ("x",),
        _gelu_any,
        (Partial(_gelu_formula, _gelu_any_local),),
        "gelu",
        options=(("approximate", "none"),),
        check=_gelu_check,
        shape_hint='gelu takes approximate="none" (the exact erf form) or approximate="tanh"',
    ),
    Op(
        "softsign",
        ("x",),
        _softsign,
        (Partial("1/(1 + abs(x))^2", _softsign_local),),
        "softsign",
    ),
    Op(
        "logsigmoid",
        ("x",),
        _logsigmoid,
        (Partial("sigmoid(-x)", lambda x, out: sigmoid(-np.asarray(x))),),
        "logsigmoid",
    ),
]
