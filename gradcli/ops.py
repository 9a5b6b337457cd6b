"""OPS: every operation gradcli knows, one row each.

A row holds the forward rule, one partial derivative per input (a numeric rule and the same
rule as a formula in gradcli's own language), where the op has a kink and which convention is
used there, and the domain where tests sample it. Adding an op is adding a row: evaluation,
backpropagation, the printed derivations and the parametrized tests all read this table.

Numeric rules are stateless: `(*inputs, out) -> local derivative`, elementwise. Backprop alone
multiplies by the upstream gradient and sums at fan-out.

Conventions at kinks follow PyTorch 2.13: relu'(0) = 0, abs'(0) = 0, max/min ties give 0.5 to
each side, sqrt'(0) = +inf, x^0 gives 0 to x, pow(0, b) with b >= 0 gives 0 to b.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import numpy as np

Array = np.ndarray
Rule = Callable[..., Array]


@dataclass(frozen=True)
class Partial:
    formula: str  # over the op's parameter names and `out`, e.g. "-a/b^2"
    local: Rule  # (*inputs, out) -> the same number


@dataclass(frozen=True)
class Op:
    name: str  # as in JSON ("add", "tanh")
    params: tuple[str, ...]  # the names the formulas use for the inputs
    forward: Callable[..., Array]
    partials: tuple[Partial, ...]
    symbol: str  # infix operator, or the function name it is called by
    infix: bool = False
    kink: Callable[..., Array] | None = None  # (*inputs) -> where the op is not differentiable
    convention: str = ""  # what the partials use at a kink, said in the derivation
    domain: tuple[float, float] = (-2.0, 2.0)  # a smooth region, for tests
    aliases: tuple[str, ...] = field(default=())

    @property
    def arity(self) -> int:
        return len(self.params)


def _step(x: Array) -> Array:
    """1 where x > 0, else 0 (so step(0) = 0): relu's derivative, as PyTorch takes it."""
    return (np.asarray(x) > 0).astype(np.float64)


def _sigmoid(x: Array) -> Array:
    # exp of a large positive number overflows; this form only ever exponentiates -|x|.
    z = np.exp(-np.abs(x))
    return np.where(np.asarray(x) >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def _pow_base_local(a: Array, b: Array, out: Array) -> Array:
    # x^0 has derivative 0 everywhere, also at x = 0 where b*a^(b-1) is 0*inf.
    return np.where(b == 0, 0.0, b * np.power(a, b - 1.0))


def _pow_exponent_local(a: Array, b: Array, out: Array) -> Array:
    # PyTorch masks pow(0, b) with b >= 0 to 0, where a^b*log(a) is 0*(-inf).
    return np.where((a == 0) & (b >= 0), 0.0, out * np.log(a))


def _one(*_: Array) -> Array:
    return np.float64(1.0)


def _minus_one(*_: Array) -> Array:
    return np.float64(-1.0)


def _zero(*args: Array) -> Array:
    return np.zeros_like(args[0])


def _tie(a: Array, b: Array) -> Array:
    return np.asarray(a == b)


def _at_zero(x: Array) -> Array:
    return np.asarray(x == 0)


_TIE = "a tie: the gradient is split evenly, 0.5 to each argument (PyTorch)"

_ROWS = [
    # Arithmetic: the operators.
    Op("add", ("a", "b"), np.add, (Partial("1", _one), Partial("1", _one)), "+", infix=True),
    Op("sub", ("a", "b"), np.subtract, (Partial("1", _one), Partial("-1", _minus_one)), "-", infix=True),
    Op(
        "mul",
        ("a", "b"),
        np.multiply,
        (Partial("b", lambda a, b, out: b), Partial("a", lambda a, b, out: a)),
        "*",
        infix=True,
    ),
    Op(
        "div",
        ("a", "b"),
        np.divide,
        (Partial("1/b", lambda a, b, out: 1.0 / b), Partial("-a/b^2", lambda a, b, out: -a / (b * b))),
        "/",
        infix=True,
        domain=(0.3, 3.0),
    ),
    Op(
        "pow",
        ("a", "b"),
        np.power,
        (Partial("b*a^(b-1)", _pow_base_local), Partial("a^b*log(a)", _pow_exponent_local)),
        "^",
        infix=True,
        kink=lambda a, b: np.asarray(a == 0),
        convention="base 0: x^0 gives 0 to x; pow(0, b) with b >= 0 gives 0 to b (PyTorch)",
        domain=(0.3, 2.5),
    ),
    Op("neg", ("x",), np.negative, (Partial("-1", _minus_one),), "-"),
    # Elementary functions.
    Op("exp", ("x",), np.exp, (Partial("exp(x)", lambda x, out: out),), "exp"),
    Op(
        "log",
        ("x",),
        np.log,
        (Partial("1/x", lambda x, out: 1.0 / x),),
        "log",
        domain=(0.2, 4.0),
        aliases=("ln",),
    ),
    Op(
        "sqrt",
        ("x",),
        np.sqrt,
        (Partial("1/(2*sqrt(x))", lambda x, out: 0.5 / out),),
        "sqrt",
        kink=_at_zero,
        convention="sqrt'(0) = +inf (PyTorch)",
        domain=(0.2, 4.0),
    ),
    Op("sin", ("x",), np.sin, (Partial("cos(x)", lambda x, out: np.cos(x)),), "sin"),
    Op("cos", ("x",), np.cos, (Partial("-sin(x)", lambda x, out: -np.sin(x)),), "cos"),
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
    # The activations write their derivative through their output, as lectures (and PyTorch) do.
    Op("tanh", ("x",), np.tanh, (Partial("1 - out^2", lambda x, out: 1.0 - out * out),), "tanh"),
    Op("sigmoid", ("x",), _sigmoid, (Partial("out*(1 - out)", lambda x, out: out * (1.0 - out)),), "sigmoid"),
    Op(
        "relu",
        ("x",),
        lambda x: np.maximum(x, 0.0),
        (Partial("step(x)", lambda x, out: _step(x)),),
        "relu",
        kink=_at_zero,
        convention="relu'(0) = 0 (PyTorch)",
        domain=(0.2, 3.0),
    ),
    Op(
        "softplus",
        ("x",),
        lambda x: np.logaddexp(0.0, x),
        (Partial("sigmoid(x)", lambda x, out: _sigmoid(x)),),
        "softplus",
    ),
    Op(
        "abs",
        ("x",),
        np.abs,
        (Partial("sign(x)", lambda x, out: np.sign(x)),),
        "abs",
        kink=_at_zero,
        convention="abs'(0) = 0 (PyTorch; JAX uses 1)",
        domain=(0.2, 3.0),
    ),
    Op(
        "max",
        ("a", "b"),
        np.maximum,
        (
            Partial("(1 + sign(a - b))/2", lambda a, b, out: (1.0 + np.sign(a - b)) / 2.0),
            Partial("(1 - sign(a - b))/2", lambda a, b, out: (1.0 - np.sign(a - b)) / 2.0),
        ),
        "max",
        kink=_tie,
        convention=_TIE,
    ),
    Op(
        "min",
        ("a", "b"),
        np.minimum,
        (
            Partial("(1 - sign(a - b))/2", lambda a, b, out: (1.0 - np.sign(a - b)) / 2.0),
            Partial("(1 + sign(a - b))/2", lambda a, b, out: (1.0 + np.sign(a - b)) / 2.0),
        ),
        "min",
        kink=_tie,
        convention=_TIE,
    ),
    # The pieces derivative formulas are written with; flat, so their derivative is 0.
    Op(
        "sign",
        ("x",),
        np.sign,
        (Partial("0", _zero),),
        "sign",
        kink=_at_zero,
        convention="sign jumps at 0; its derivative is taken as 0 (PyTorch)",
        domain=(0.2, 3.0),
    ),
    Op(
        "step",
        ("x",),
        _step,
        (Partial("0", _zero),),
        "step",
        kink=_at_zero,
        convention="step jumps at 0 (step(0) = 0); its derivative is taken as 0",
        domain=(0.2, 3.0),
    ),
]

OPS: dict[str, Op] = {op.name: op for op in _ROWS}

# Names a call may use: (function name, number of arguments) -> op.
FUNCTIONS: dict[tuple[str, int], Op] = {}
for _op in _ROWS:
    if not _op.infix and _op.name != "neg":
        for _name in (_op.symbol, *_op.aliases):
            FUNCTIONS[(_name, _op.arity)] = _op
FUNCTIONS[("pow", 2)] = OPS["pow"]

FUNCTION_NAMES: frozenset[str] = frozenset(name for name, _ in FUNCTIONS)

BINARY_OPS: dict[str, Op] = {op: OPS[op] for op in ("add", "sub", "mul", "div", "pow")}

CONSTANTS: dict[str, float] = {"pi": float(np.pi), "e": float(np.e)}


@cache
def partial_template(op_name: str, index: int):
    """The partial's formula, parsed once into an AST over the op's parameter names."""
    from .parse import parse_expression

    return parse_expression(OPS[op_name].partials[index].formula)
