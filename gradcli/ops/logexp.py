"""Logarithms and exponentials beside exp and log: other bases, the forms accurate near 0
(log1p, expm1), and logaddexp, log(exp(a) + exp(b)) without overflow."""

from __future__ import annotations

import numpy as np

from .activations import sigmoid
from .row import Array, Op, Partial

LN2 = float(np.log(2.0))
LN10 = float(np.log(10.0))


def _log_base(ln_base: float):
    def local(x: Array, out: Array) -> Array:
        # 1/(x ln b), as PyTorch computes it: at 0 it is inf, below 0 the value is nan but the
        # partial is the negative number the formula gives.
        return 1.0 / (np.asarray(x) * ln_base)

    return local


def _logaddexp_a(a: Array, b: Array, out: Array) -> Array:
    # e^a / (e^a + e^b) = sigmoid(a - b), as PyTorch's 1/(1 + exp(b - a)): 0.5 each at a tie,
    # nan where a - b is (both inf, or both -inf).
    return sigmoid(np.asarray(a) - b)


ROWS = [
    Op("log2", ("x",), np.log2, (Partial("1/(x*ln(2))", _log_base(LN2)),), "log2", domain=(0.2, 4.0)),
    Op("log10", ("x",), np.log10, (Partial("1/(x*ln(10))", _log_base(LN10)),), "log10", domain=(0.2, 4.0)),
    Op(
        "log1p",
        ("x",),
        np.log1p,  # log(1 + x) without losing x when it is tiny
        (Partial("1/(1 + x)", lambda x, out: 1.0 / (1.0 + np.asarray(x))),),
        "log1p",
        domain=(-0.8, 3.0),
    ),
    Op(
        "expm1",
        ("x",),
        np.expm1,  # exp(x) - 1 without cancellation when x is tiny
        (Partial("exp(x)", lambda x, out: np.exp(x)),),
        "expm1",
    ),
    Op(
        "exp2",
        ("x",),
        np.exp2,
        (Partial("exp2(x)*ln(2)", lambda x, out: np.asarray(out) * LN2),),
        "exp2",
    ),
    Op(
        "logaddexp",
        ("a", "b"),
        np.logaddexp,  # max(a, b) + log1p(exp(-|a - b|)): no overflow at a = b = 1000
        (
            Partial("sigmoid(a - b)", _logaddexp_a),
            Partial("sigmoid(b - a)", lambda a, b, out: _logaddexp_a(b, a, out)),
        ),
        "logaddexp",
    ),
]
