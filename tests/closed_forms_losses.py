"""Closed forms of the losses (cross_entropy, nll, bce, bce_with_logits, mse, huber, huber_loss)
and of onehot(t, num_classes=C), read by tests/test_ops.py (`more_closed_forms`): each value and
derivative written out by hand from a textbook, not from gradcli's table. Jacobians have shape
output.shape + input.shape; a loss's output is one number (the mean), so its gradient has the
input's shape.

Below them, the entries the shared tables of other test files read: the reference evaluator of
tests/test_properties.py (the losses that take numbers), the kink distance of tests/conftest.py
and the kink case of tests/test_ops.py (bce at p = 0, PyTorch 2.13's numbers:
tests/test_losses_torch_binary.py records where they were measured).
"""

from __future__ import annotations

import math

import numpy as np

TARGET = [2, 0, 1, 1]  # class indices of a batch of 4 samples over 3 classes
TARGET_TEXT = "[2, 0, 1, 1]"


def _softmax_rows(x):
    z = np.exp(x - x.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def _onehot_rows(classes: int = 3):
    return np.eye(classes)[TARGET]


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _cross_entropy(x):
    # −log softmax(x_i)[t_i] = logsumexp(x_i) − x_i[t_i], averaged over the 4 samples.
    rows = np.arange(4)
    return np.mean(np.log(np.exp(x).sum(axis=1)) - x[rows, TARGET])


def _huber(r, delta):
    return np.where(np.abs(r) <= delta, 0.5 * r * r, delta * (np.abs(r) - 0.5 * delta))


# name -> (source, shapes of the variables, value, gradient of each variable)
ARRAY = {
    "cross_entropy": (
        f"cross_entropy(x, {TARGET_TEXT})",
        {"x": (4, 3)},
        _cross_entropy,
        lambda x: {"x": (_softmax_rows(x) - _onehot_rows()) / 4},  # (softmax − onehot)/N
    ),
    "nll": (
        f"nll(x, {TARGET_TEXT})",
        {"x": (4, 3)},
        lambda x: -np.mean(x[np.arange(4), TARGET]),
        lambda x: {"x": -_onehot_rows() / 4},
    ),
    "bce": (
        "bce(sigmoid(x), y)",  # p = sigmoid(x) stays inside (0, 1): the composite is bce_with_logits
        {"x": (3,), "y": (3,)},
        lambda x, y: np.mean(-(y * np.log(_sigmoid(x)) + (1 - y) * np.log(1 - _sigmoid(x)))),
        # d/dp = (p − y)/(p(1 − p)) times dp/dx = p(1 − p); d/dy = log(1 − p) − log p = −x.
        lambda x, y: {"x": (_sigmoid(x) - y) / 3, "y": -x / 3},
    ),
    "bce_with_logits": (
        "bce_with_logits(z, y)",
        {"z": (3,), "y": (3,)},
        lambda z, y: np.mean(np.log1p(np.exp(z)) - z * y),
        lambda z, y: {"z": (_sigmoid(z) - y) / 3, "y": -z / 3},
    ),
    "mse": (
        "mse(a, b)",
        {"a": (3,), "b": (3,)},
        lambda a, b: np.mean((a - b) ** 2),
        lambda a, b: {"a": 2 * (a - b) / 3, "b": -2 * (a - b) / 3},
    ),
    "huber": (
        "huber(r)",
        {"r": (5,)},
        lambda r: np.mean(_huber(r, 1.0)),
        lambda r: {"r": np.clip(r, -1.0, 1.0) / 5},
    ),
    "huber_loss": (
        "huber_loss(a, b, delta=0.5)",
        {"a": (4,), "b": (4,)},
        lambda a, b: np.mean(_huber(a - b, 0.5)),
        lambda a, b: {"a": np.clip(a - b, -0.5, 0.5) / 4, "b": -np.clip(a - b, -0.5, 0.5) / 4},
    ),
    "one_hot": (
        "onehot([2, 0, 1] + 0*x, num_classes=3)",
        {"x": (3,)},
        lambda x: np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]),
        lambda x: {"x": np.zeros((3, 3, 3))},  # flat: a one-hot array does not move with t
    ),
}

# For tests/test_properties.py's REFERENCE: the losses that take numbers, as numpy computes them
# (the mean of one element is the element's loss).
REFERENCE = {
    ("mse", 2): lambda a, b: (a - b) ** 2,
    ("mse_loss", 2): lambda a, b: (a - b) ** 2,
    ("huber", 1): lambda r: _huber(r, 1.0)[()],
    ("huber_loss", 2): lambda a, b: _huber(a - b, 1.0)[()],
    ("bce_with_logits", 2): lambda z, y: np.logaddexp(0.0, z) - z * y,
    ("binary_cross_entropy_with_logits", 2): lambda z, y: np.logaddexp(0.0, z) - z * y,
}

# For tests/conftest.py's KINK_DISTANCE: bce's bounds, p = 0 and p = 1.
KINK_DISTANCE = {"bce": lambda p, y: min(abs(p), abs(1.0 - p))}

# For tests/test_ops.py's KINKS: (source, values, value, gradient, op), PyTorch 2.13's numbers.
KINKS = [
    ("bce(p, y)", {"p": 0.0, "y": 1.0}, 100.0, {"p": -1000000003995.8029, "y": math.inf}, "bce"),
]
