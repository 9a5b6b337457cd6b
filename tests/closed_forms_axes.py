"""Closed forms of the axis ops (prod, var, std, log_softmax, cumsum, cumprod, expand_dims,
reshape), read by tests/test_ops.py (`more_closed_forms`): each derivative written out by hand
from a textbook, not from gradcli's table. Jacobians have shape output.shape + input.shape.

Below them, the entries the shared tables of other test files need for these ops (the
reference evaluator of tests/test_properties.py, the kink distances of tests/conftest.py, the
kink cases of tests/test_ops.py); this branch does not own those files, so they are kept here,
ready to be merged in with an `update`.
"""

from __future__ import annotations

import math

import numpy as np


def _softmax(x):
    z = np.exp(x - x.max())
    return z / z.sum()


def _cumprod_jacobian(x):
    """d out_i / d x_j = Π_{k <= i, k != j} x_k for j <= i, else 0."""
    n = len(x)
    jacobian = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1):
            jacobian[i, j] = np.prod([x[k] for k in range(i + 1) if k != j])
    return {"x": jacobian}


def _std_gradient(x):
    n = x.size
    return {"x": (x - x.mean()) / (n * x.std())}


# name -> (source, shapes of the variables, value, gradient or Jacobian of each variable)
ARRAY = {
    "prod": ("prod(x)", {"x": (4,)}, lambda x: np.prod(x), lambda x: {"x": np.prod(x) / x}),
    "variance": (
        "var(x)",
        {"x": (2, 3)},
        lambda x: x.var(),
        lambda x: {"x": 2.0 * (x - x.mean()) / x.size},
    ),
    "std": ("std(x)", {"x": (5,)}, lambda x: x.std(), _std_gradient),
    "log_softmax": (
        "log_softmax(x)",
        {"x": (3,)},
        lambda x: x - math.log(np.exp(x).sum()),
        lambda x: {"x": np.eye(3) - _softmax(x)[None, :]},  # δ_ij - softmax_j
    ),
    "cumsum": ("cumsum(x)", {"x": (4,)}, lambda x: np.cumsum(x), lambda x: {"x": np.tril(np.ones((4, 4)))}),
    "cumprod": ("cumprod(x)", {"x": (4,)}, lambda x: np.cumprod(x), _cumprod_jacobian),
    "expand_dims": (
        "expand_dims(x)",
        {"x": (3,)},
        lambda x: x[None, :],
        lambda x: {"x": np.eye(3).reshape(1, 3, 3)},
    ),
    "reshape": (
        "reshape(x)",
        {"x": (2, 3)},
        lambda x: x.ravel(),
        lambda x: {"x": np.eye(6).reshape(6, 2, 3)},
    ),
}

# For tests/test_properties.py's REFERENCE: what numpy computes for these functions on one number.
REFERENCE = {
    ("prod", 1): lambda v: v,
    ("var", 1): lambda v: np.float64(0.0),
    ("std", 1): lambda v: np.float64(0.0),
    ("log_softmax", 1): lambda v: np.float64(0.0),
}

# For tests/conftest.py's KINK_DISTANCE (scalar inputs): prod's and cumprod's kink is a zero in
# x; var's is ddof >= n, and std's a constant slice of several elements: a number (n = 1,
# ddof = 0) is never at either.
KINK_DISTANCE = {
    "prod": lambda x: abs(x),
    "cumprod": lambda x: abs(x),
    "variance": lambda x: math.inf,
    "std": lambda x: math.inf,
}

# For tests/test_ops.py's KINKS: (source, values, value, gradient, op), PyTorch 2.13's numbers
# (tests/test_axes_torch.py records where each was measured).
KINKS = [
    ("prod(x)", {"x": [2.0, 0.0, 3.0]}, 0.0, {"x": [0.0, 6.0, 0.0]}, "prod"),
    ("std(x)", {"x": [2.0, 2.0, 2.0]}, 0.0, {"x": [0.0, 0.0, 0.0]}, "std"),
    ("var(x, ddof=2)", {"x": [1.0, 2.0]}, math.inf, {"x": [math.inf, math.inf]}, "variance"),
    ("cumprod(x)[3]", {"x": [2.0, 0.0, 3.0, 4.0]}, 0.0, {"x": [0.0, 24.0, 0.0, 0.0]}, "cumprod"),
]
