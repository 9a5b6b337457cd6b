"""The activations of neural networks, elementwise. They write their derivative through their
output, as lectures (and PyTorch) do."""

from __future__ import annotations

import numpy as np

from .row import Array, Op, Partial, at_zero


def _sigmoid(x: Array) -> Array:
    # exp of a large positive number overflows; this form only ever exponentiates -|x|.
    z = np.exp(-np.abs(x))
    return np.where(np.asarray(x) >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def _relu_local(x: Array, out: Array) -> Array:
    """1 unless x <= 0: PyTorch's threshold_backward, so relu'(nan) = 1 (step(nan) is 0)."""
    return (~(np.asarray(x) <= 0)).astype(np.float64)


ROWS = [
    Op("tanh", ("x",), np.tanh, (Partial("1 - out^2", lambda x, out: 1.0 - out * out),), "tanh"),
    Op("sigmoid", ("x",), _sigmoid, (Partial("out*(1 - out)", lambda x, out: out * (1.0 - out)),), "sigmoid"),
    Op(
        "relu",
        ("x",),
        lambda x: np.maximum(x, 0.0),
        (Partial("step(x)", _relu_local, masked=True),),
        "relu",
        kink=at_zero,
        convention="relu'(0) = 0; nothing passes where x <= 0, not even inf or nan (PyTorch)",
        domain=(0.2, 3.0),
    ),
    Op(
        "softplus",
        ("x",),
        lambda x: np.logaddexp(0.0, x),
        (Partial("sigmoid(x)", lambda x, out: _sigmoid(x)),),
        "softplus",
    ),
]
