"""The expression AST: what the parser builds and what formulas are made of.

Nodes are frozen and compare by identity (`eq=False, repr=False`): the generated
`__eq__`/`__repr__` would recurse, and a parsed program can be 100,000 levels deep.
Functions here that recurse (`substitute`, `simplify`) are only ever given formulas built from
the op table's templates, which are a handful of nodes deep.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Union

from .errors import Span

BINARY_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "matmul": "@", "pow": "^"}


@dataclass(frozen=True, eq=False, repr=False)
class Num:
    value: float
    text: str
    span: Span | None = None


@dataclass(frozen=True, eq=False, repr=False)
class Name:
    name: str
    span: Span | None = None


@dataclass(frozen=True, eq=False, repr=False)
class Unary:
    op: str  # "neg" or "pos"
    operand: Expr
    span: Span | None = None


@dataclass(frozen=True, eq=False, repr=False)
class Binary:
    op: str  # a key of BINARY_SYMBOLS
    left: Expr
    right: Expr
    span: Span | None = None  # the operator's position: where a shape error points


@dataclass(frozen=True, eq=False, repr=False)
class Call:
    func: str
    args: tuple[Expr, ...]
    span: Span | None = None


@dataclass(frozen=True, eq=False, repr=False)
class Array:
    items: tuple[Expr, ...]
    span: Span | None = None


@dataclass(frozen=True, eq=False, repr=False)
class Index:
    target: Expr
    indices: tuple[Expr, ...]
    span: Span | None = None


Expr = Union[Num, Name, Unary, Binary, Call, Array, Index]


@dataclass(frozen=True, eq=False, repr=False)
class Assign:
    name: str
    value: Expr
    span: Span | None = None


Statement = Union[Assign, Num, Name, Unary, Binary, Call, Array, Index]


@dataclass(frozen=True, eq=False, repr=False)
class Program:
    statements: tuple[Statement, ...]
    source: str


def number(value: float) -> Num:
    """A literal for a computed number, written the shortest way that reads back exactly."""
    return Num(float(value), format_literal(float(value)))


def format_literal(value: float) -> str:
    if not math.isfinite(value):  # int(inf) raises; `inf` and `nan` are constants of the language
        return "nan" if math.isnan(value) else "inf" if value > 0 else "-inf"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def substitute(expr: Expr, mapping: dict[str, Expr]) -> Expr:
    """Replace names by expressions, all at once (so `a`→`b`, `b`→`a` swaps)."""
    if isinstance(expr, Name):
        return mapping.get(expr.name, expr)
    if isinstance(expr, Unary):
        return Unary(expr.op, substitute(expr.operand, mapping))
    if isinstance(expr, Binary):
        return Binary(expr.op, substitute(expr.left, mapping), substitute(expr.right, mapping))
    if isinstance(expr, Call):
        return Call(expr.func, tuple(substitute(a, mapping) for a in expr.args))
    if isinstance(expr, Array):
        return Array(tuple(substitute(a, mapping) for a in expr.items))
    if isinstance(expr, Index):
        return Index(substitute(expr.target, mapping), tuple(substitute(a, mapping) for a in expr.indices))
    return expr


def _num_value(expr: Expr) -> float | None:
    if isinstance(expr, Num):
        return expr.value
    if isinstance(expr, Unary) and expr.op == "neg" and isinstance(expr.operand, Num):
        return -expr.operand.value
    return None


def _literal(value: float) -> Expr:
    return Unary("neg", number(-value)) if value < 0 else number(value)


_FOLD = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
}


def simplify(expr: Expr) -> Expr:
    """Just enough algebra for a printed derivative to read as a textbook writes it.

    Folds sums, differences and products of literals, and removes `1*x`, `x*1`, `x^1`, `x+0`,
    `0*x`, `--x`. Division and powers of literals are kept (`1/3` stays exact and readable).
    """
    if isinstance(expr, Unary):
        inner = simplify(expr.operand)
        if expr.op == "pos":
            return inner
        value = _num_value(inner)
        if value is not None:
            return _literal(-value)
        if isinstance(inner, Unary) and inner.op == "neg":
            return inner.operand
        return Unary("neg", inner)
    if isinstance(expr, Call):
        return Call(expr.func, tuple(simplify(a) for a in expr.args))
    if not isinstance(expr, Binary):
        return expr
    left, right = simplify(expr.left), simplify(expr.right)
    lv, rv = _num_value(left), _num_value(right)
    op = expr.op
    if lv is not None and rv is not None and op in _FOLD:
        return _literal(_FOLD[op](lv, rv))
    if op == "mul":
        if lv == 0 or rv == 0:
            return number(0)
        if lv == 1:
            return right
        if rv == 1:
            return left
        if lv == -1:
            return simplify(Unary("neg", right))
        if rv == -1:
            return simplify(Unary("neg", left))
    if op == "add":
        if lv == 0:
            return right
        if rv == 0:
            return left
    if op == "sub":
        if rv == 0:
            return left
        if lv == 0:
            return simplify(Unary("neg", right))
    if op == "div" and rv == 1:
        return left
    if op == "pow":
        if rv == 1:
            return left
        if rv == 0:
            return number(1)
    return Binary(op, left, right)
