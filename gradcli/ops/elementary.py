"""The elementary functions: exp, log, sqrt, the trigonometric and hyperbolic functions (and
their inverses)."""

from __future__ import annotations

import numpy as np

from .row import Op, Partial, at_zero

ROWS = [
    Op("exp", ("x",), np.exp, (Partial("exp(x)", lambda x, out: out, reads=("out",)),), "exp"),
    Op(
        "log",
        ("x",),
        np.log,
        (Partial("1/x", lambda x, out: 1.0 / x, reads=("x",)),),
        "log",
        domain=(0.2, 4.0),
        aliases=("ln",),
    ),
    Op(
        "sqrt",
        ("x",),
        np.sqrt,
        (Partial("1/(2*sqrt(x))", lambda x, out: 0.5 / out, reads=("out",)),),
        "sqrt",
        kink=at_zero,
        convention="sqrt'(0) = +inf (PyTorch)",
        domain=(0.2, 4.0),
    ),
    Op("sin", ("x",), np.sin, (Partial("cos(x)", lambda x, out: np.cos(x), reads=("x",)),), "sin"),
    Op("cos", ("x",), np.cos, (Partial("-sin(x)", lambda x, out: -np.sin(x), reads=("x",)),), "cos"),
    Op(
        "tan",
        ("x",),
        np.tan,
        (Partial("1 + tan(x)^2", lambda x, out: 1.0 + out * out),),
        "tan",
        domain=(-1.2, 1.2),
    ),
    Op(
        "asin",
        ("x",),
        np.arcsin,
        (Partial("1/sqrt(1 - x^2)", lambda x, out: 1.0 / np.sqrt(1.0 - x * x)),),
        "asin",
        domain=(-0.9, 0.9),
    ),
    Op(
        "acos",
        ("x",),
        np.arccos,
        (Partial("-1/sqrt(1 - x^2)", lambda x, out: -1.0 / np.sqrt(1.0 - x * x)),),
        "acos",
        domain=(-0.9, 0.9),
    ),
    Op("atan", ("x",), np.arctan, (Partial("1/(1 + x^2)", lambda x, out: 1.0 / (1.0 + x * x)),), "atan"),
    Op("sinh", ("x",), np.sinh, (Partial("cosh(x)", lambda x, out: np.cosh(x)),), "sinh"),
    Op("cosh", ("x",), np.cosh, (Partial("sinh(x)", lambda x, out: np.sinh(x)),), "cosh"),
]
