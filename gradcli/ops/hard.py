"""The piecewise-linear ("hard") activations: hardtanh, relu6, hardsigmoid, hardswish.

Their kinks follow PyTorch 2.13 float64 (measured, tests/test_functions_torch.py): at a break
point the derivative is the outer piece's (hardtanh'(±1) = 0, relu6'(0) = relu6'(6) = 0,
hardsigmoid'(±3) = 0, hardswish'(-3) = 0 and hardswish'(3) = 1), and where the derivative is 0
by selection nothing passes, not even an inf or nan upstream (PyTorch's masks). At nan PyTorch's
comparisons decide: hardtanh, relu6 and hardswish pass the gradient (slope 1), hardsigmoid does not.
"""

from __future__ import annotations

import numpy as np

from .row import Array, Op, Partial


def _inside(low: float, high: float):
    """1 strictly inside (low, high) and at nan, else 0: PyTorch's x <= low || x >= high ? 0 : 1."""

    def local(x: Array, out: Array) -> Array:
        x = np.asarray(x)
        return (~((x <= low) | (x >= high))).astype(np.float64)

    return local


def _breaks(low: float, high: float):
    def kink(x: Array) -> Array:
        return (np.asarray(x) == low) | (np.asarray(x) == high)

    return kink


def _hardsigmoid_local(x: Array, out: Array) -> Array:
    # PyTorch: (x > -3 && x < 3) ? grad/6 : 0, so 0 at nan. (It multiplies by a float32 1/6,
    # 0.1666666716337204; the exact 1/6 is used here.)
    x = np.asarray(x)
    return ((x > -3.0) & (x < 3.0)) / 6.0


def _hardswish(x: Array) -> Array:
    return np.asarray(x) * np.minimum(np.maximum(np.asarray(x) + 3.0, 0.0), 6.0) / 6.0


def _hardswish_local(x: Array, out: Array) -> Array:
    # PyTorch: x <= -3 ? 0 : x < 3 ? x/3 + 1/2 : 1 (so 1 at nan).
    x = np.asarray(x)
    return np.where(x <= -3.0, 0.0, np.where(x < 3.0, x / 3.0 + 0.5, 1.0))


ROWS = [
    Op(
        "hardtanh",
        ("x",),
        lambda x: np.minimum(np.maximum(x, -1.0), 1.0),
        (Partial("step(x + 1)*step(1 - x)", _inside(-1.0, 1.0), masked=True),),
        "hardtanh",
        kink=_breaks(-1.0, 1.0),
        convention="hardtanh'(±1) = 0; nothing passes where |x| >= 1, not even inf or nan (PyTorch)",
        domain=(-0.9, 0.9),
    ),
    Op(
        "relu6",
        ("x",),
        lambda x: np.minimum(np.maximum(x, 0.0), 6.0),
        (Partial("step(x)*step(6 - x)", _inside(0.0, 6.0), masked=True),),
        "relu6",
        kink=_breaks(0.0, 6.0),
        convention="relu6'(0) = relu6'(6) = 0; nothing passes outside (0, 6), not even inf or nan (PyTorch)",
        domain=(0.2, 5.8),
    ),
    Op(
        "hardsigmoid",
        ("x",),
        lambda x: np.minimum(np.maximum(np.asarray(x) + 3.0, 0.0), 6.0) / 6.0,
        (Partial("step(x + 3)*step(3 - x)/6", _hardsigmoid_local, masked=True),),
        "hardsigmoid",
        kink=_breaks(-3.0, 3.0),
        convention="hardsigmoid'(±3) = 0; nothing passes where |x| >= 3, not even inf or nan (PyTorch)",
        domain=(-2.8, 2.8),
    ),
    Op(
        "hardswish",
        ("x",),
        _hardswish,
        (
            Partial(
                "step(x + 3)*step(3 - x)*(x/3 + 1/2) + 1 - step(3 - x)",
                _hardswish_local,
                masked=lambda x, out: np.asarray(x) <= -3.0,
            ),
        ),
        "hardswish",
        kink=_breaks(-3.0, 3.0),
        convention="hardswish'(-3) = 0 and hardswish'(3) = 1, the outer pieces' slopes; nothing "
        "passes where x <= -3, not even inf or nan (PyTorch)",
        domain=(-2.8, 2.8),
    ),
]
