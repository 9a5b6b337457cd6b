"""The expression AST: what the parser builds and what formulas are made of.

Nodes are frozen and compare by identity (`eq=False, repr=False`): the generated
`__eq__`/`__repr__` would recurse, and a parsed program can be 100,000 levels deep.
Functions here that recurse (`substitute`, `simplify`, the term conversions) are only ever given
formulas built from the op table's templates, which are a handful of nodes deep, or expressions
`diff` keeps shallow.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Union

from .errors import Span
from .simplify import Terms

BINARY_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "matmul": "@", "pow": "^"}
# Comparisons: looser than + and -, never chained; they give float 0/1.
COMPARISONS = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}
BINARY_SYMBOLS.update(COMPARISONS)


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
class Str:
    """A string literal: only ever an option's value (`approximate="tanh"`)."""

    value: str
    span: Span | None = None


@dataclass(frozen=True, eq=False, repr=False)
class Keyword:
    """`name=value` in a call: an option of the op, its value a constant."""

    name: str
    value: Expr
    span: Span | None = None  # the name's position


@dataclass(frozen=True, eq=False, repr=False)
class Call:
    func: str
    args: tuple[Expr, ...]
    span: Span | None = None
    keywords: tuple[Keyword, ...] = ()


@dataclass(frozen=True, eq=False, repr=False)
class Slice:
    """`start:stop:step` inside `x[...]`; a part left out is None."""

    start: Expr | None
    stop: Expr | None
    step: Expr | None
    span: Span | None = None  # the first colon's position


@dataclass(frozen=True, eq=False, repr=False)
class Array:
    items: tuple[Expr, ...]
    span: Span | None = None


@dataclass(frozen=True, eq=False, repr=False)
class Index:
    target: Expr
    indices: tuple[Expr, ...]
    span: Span | None = None


Expr = Union[Num, Name, Unary, Binary, Call, Array, Index, Str, Slice]


@dataclass(frozen=True, eq=False, repr=False)
class Assign:
    name: str
    value: Expr
    span: Span | None = None


Statement = Union[Assign, Num, Name, Unary, Binary, Call, Array, Index, Str, Slice]


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
        return Call(expr.func, tuple(substitute(a, mapping) for a in expr.args), None, expr.keywords)
    if isinstance(expr, Array):
        return Array(tuple(substitute(a, mapping) for a in expr.items))
    if isinstance(expr, Index):
        return Index(substitute(expr.target, mapping), tuple(substitute(a, mapping) for a in expr.indices))
    return expr


def literal(value: float) -> Expr:
    """A computed number as an expression: a negative one is `-` before its magnitude, as the
    parser reads `-2`."""
    return Unary("neg", number(-value)) if value < 0 else number(value)


# The forms `gradcli.symbolic` adds for derivatives over arrays (indexing, array literals, list
# inputs, leading string options): given the node (or the term's key) and the conversion to
# recurse with, the term (or expression), or None to convert it the scalar way.
ArrayForms = Callable[..., object]


def to_term(
    terms: Terms, expr: Expr, slots: Mapping[str, int] | None = None, arrays: ArrayForms | None = None
) -> int:
    """`expr` as a term of `terms`, simplified on the way in; `slots` maps names to terms."""
    if isinstance(expr, Num):
        return terms.literal(expr.value, expr.text)
    if isinstance(expr, Name):
        return slots[expr.name] if slots and expr.name in slots else terms.name(expr.name)
    if isinstance(expr, Unary):
        inner = to_term(terms, expr.operand, slots, arrays)
        return terms.neg(inner) if expr.op == "neg" else inner
    if isinstance(expr, Binary):
        left, right = to_term(terms, expr.left, slots, arrays), to_term(terms, expr.right, slots, arrays)
        return terms.binary(expr.op, left, right)
    if arrays is not None:
        found = arrays(expr, lambda inner: to_term(terms, inner, slots, arrays))
        if found is not None:
            return found  # type: ignore[return-value]
    if isinstance(expr, Call):
        options = tuple((k.name, option_value(k.value)) for k in expr.keywords)
        return terms.call(expr.func, tuple(to_term(terms, a, slots, arrays) for a in expr.args), options)
    return terms.opaque(expr)  # an array literal or an index: kept whole


def _negated(expr: Expr) -> Expr:
    """-(a*b/c) written -a*b/c: the sign on the first factor, as a textbook writes it (exact)."""
    if isinstance(expr, Binary) and expr.op in ("mul", "div"):
        return Binary(expr.op, _negated(expr.left), expr.right)
    return Unary("neg", expr)


def from_term(
    terms: Terms,
    term: int,
    names: Mapping[int, str] | None = None,
    top: bool = False,
    arrays: ArrayForms | None = None,
) -> Expr:
    """The expression of `term`, with the terms in `names` (except itself, when `top`) written as
    those names. Recursion is bounded by the caller: a formula, or an inlined expression at most a
    few dozen levels deep (`diff` names deeper ones)."""
    if names and not top and term in names:
        return Name(names[term])
    key = terms.keys[term]
    kind = key[0]

    def inner(child: int) -> Expr:
        return from_term(terms, child, names, arrays=arrays)

    if kind == "num":
        return Num(key[1], key[2]) if len(key) == 3 else literal(key[1])
    if kind == "name":
        return Name(key[1])
    if kind == "expr":
        return key[1]
    if kind == "neg":
        return _negated(inner(key[1])) if terms.full else Unary("neg", inner(key[1]))
    if arrays is not None:
        found = arrays(key, inner)
        if found is not None:
            return found  # type: ignore[return-value]
    if kind == "call":
        return Call(key[1], tuple(inner(a) for a in key[2:]))
    if kind == "callkw":
        keywords = tuple(Keyword(name, option_expr(value)) for name, value in key[2])
        return Call(key[1], tuple(inner(a) for a in key[3:]), None, keywords)
    return Binary(kind, inner(key[1]), inner(key[2]))


def simplify(expr: Expr) -> Expr:
    """Just enough algebra for a printed derivative to read as a textbook writes it.

    Folds sums, differences and products of literals, and removes `1*x`, `x*1`, `x^1`, `x+0`,
    `0*x`, `--x`. Division and powers of literals are kept (`1/3` stays exact and readable).
    The rules are those of `gradcli.simplify.Terms`, without the algebra only `diff` uses.
    """
    terms = Terms(full=False)
    return from_term(terms, to_term(terms, expr))


# --- option values: constants in the source, plain Python in the op table -----------------------

OptionValue = Union[None, bool, int, float, str, tuple]


class NotConstant(ValueError):
    """An option's value that is not a constant; `expr` is the part at fault (for the caret)."""

    def __init__(self, expr: Expr) -> None:
        super().__init__("not a constant")
        self.expr = expr


def _number(value: float) -> int | float:
    return int(value) if math.isfinite(value) and value == int(value) else value


def option_value(expr: Expr) -> OptionValue:
    """The plain value of a constant written in the source: a number (whole numbers are ints),
    a list of numbers `[0, 1]` (a tuple), or a string literal. Raises NotConstant otherwise."""
    if isinstance(expr, Str):
        return expr.value
    if isinstance(expr, Num):
        return _number(expr.value)
    if isinstance(expr, Unary) and isinstance(expr.operand, Num):
        value = expr.operand.value
        return _number(-value if expr.op == "neg" else value)
    if isinstance(expr, Array):
        items = tuple(option_value(item) for item in expr.items)
        if all(isinstance(item, (int, float, tuple)) for item in items):
            return items
    raise NotConstant(expr)


def option_expr(value: OptionValue) -> Expr:
    """How an option's value is written: the inverse of `option_value` (booleans as 1 and 0)."""
    if isinstance(value, str):
        return Str(value)
    if isinstance(value, bool):
        return number(float(value))
    if isinstance(value, (int, float)):
        return literal(float(value))
    if isinstance(value, (tuple, list)):
        return Array(tuple(option_expr(item) for item in value))
    raise TypeError(f"an option's value is a number, a list of numbers or a string, not {value!r}")
