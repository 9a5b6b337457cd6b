"""The inverse hyperbolic functions, and the two-argument atan2 and hypot.

Where PyTorch's float64 formula overflows or underflows in an intermediate (asinh' as
1/sqrt(x^2 + 1) is 0 at x = 1e200, and atan2's partials are 0 at 1e-200, where x^2 + y^2 underflows
to 0), the partial here is computed in a form that does not, so it keeps the true value; the
conventions at the kinks are PyTorch's (measured, tests/test_functions_torch.py).
"""

from __future__ import annotations

import numpy as np

from .row import Array, Op, Partial


def _acosh_local(x: Array, out: Array) -> Array:
    # 1/sqrt(x^2 - 1) as 1/(sqrt(x - 1) sqrt(x + 1)): x^2 neither overflows nor cancels near 1.
    return 1.0 / (np.sqrt(np.asarray(x) - 1.0) * np.sqrt(np.asarray(x) + 1.0))


def _atan2_local(y: Array, x: Array, out: Array, *, sign: float, numerator: int) -> Array:
    """∂atan2(y, x)/∂y = x/(x^2 + y^2), ∂/∂x = -y/(x^2 + y^2), as (x/r)/r with r = hypot(y, x)
    so that x^2 + y^2 neither overflows nor underflows. At the origin both are 0 (PyTorch)."""
    r = np.hypot(y, x)
    top = np.asarray((y, x)[numerator], dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        local = sign * (top / r) / r
    return np.where(r == 0, 0.0, local)


def _atan2_kink(y: Array, x: Array) -> Array:
    """The origin, and the negative x axis, where the angle jumps between -pi and pi."""
    return (np.asarray(y) == 0) & (np.asarray(x) <= 0)


def _at_origin(a: Array, b: Array) -> Array:
    return (np.asarray(a) == 0) & (np.asarray(b) == 0)


ROWS = [
    Op(
        "asinh",
        ("x",),
        np.arcsinh,
        (Partial("1/sqrt(x^2 + 1)", lambda x, out: 1.0 / np.hypot(x, 1.0)),),
        "asinh",
        domain=(-3.0, 3.0),
        aliases=("arcsinh",),
    ),
    Op(
        "acosh",
        ("x",),
        np.arccosh,
        (Partial("1/sqrt(x^2 - 1)", _acosh_local),),
        "acosh",
        kink=lambda x: np.asarray(x) == 1,
        convention="acosh'(1) = +inf, as sqrt'(0) (PyTorch)",
        domain=(1.2, 4.0),
        aliases=("arccosh",),
    ),
    Op(
        "atanh",
        ("x",),
        np.arctanh,
        (Partial("1/(1 - x^2)", lambda x, out: 1.0 / (1.0 - np.square(x))),),
        "atanh",
        domain=(-0.9, 0.9),
        aliases=("arctanh",),
    ),
    Op(
        "atan2",
        ("y", "x"),
        np.arctan2,
        (
            Partial("x/(x^2 + y^2)", lambda y, x, out: _atan2_local(y, x, out, sign=1.0, numerator=1)),
            Partial("-y/(x^2 + y^2)", lambda y, x, out: _atan2_local(y, x, out, sign=-1.0, numerator=0)),
        ),
        "atan2",
        kink=_atan2_kink,
        convention=(
            "atan2 at y = 0, x <= 0: at the origin both partials are taken as 0 (PyTorch); on the "
            "negative x axis the angle jumps between -pi and pi (by the sign of y's zero) and the "
            "partials are the smooth ones"
        ),
        domain=(0.3, 3.0),
        aliases=("arctan2",),
    ),
    Op(
        "hypot",
        ("a", "b"),
        np.hypot,  # sqrt(a^2 + b^2) without overflow
        (
            Partial("a/hypot(a, b)", lambda a, b, out: np.asarray(a) / out),
            Partial("b/hypot(a, b)", lambda a, b, out: np.asarray(b) / out),
        ),
        "hypot",
        kink=_at_origin,
        convention="hypot at (0, 0): both partials are 0/0 = nan (PyTorch)",
    ),
]
