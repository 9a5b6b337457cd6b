"""Formulas (ASTs) to terms and back, with the array forms the op table's formulas use.

`gradcli.expr` converts the scalar forms; a derivative over arrays also meets indexing
(`grad[0]`, `grad[1:3]`: a term ("at", key, a)), array literals (`[a, b]`: ("stack", ...)),
functions whose inputs are one list (`concat([a, b], axis=0)`) and string options written
before the inputs (`einsum("ij,jk->ik", a, b)`). Conversions recurse once per level of a
formula, which `diff` keeps a few dozen levels deep at most.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..expr import (
    Array,
    Binary,
    Call,
    Expr,
    Index,
    Keyword,
    Name,
    Num,
    Str,
    Unary,
    literal,
    option_expr,
    option_value,
)
from ..ops import FUNCTIONS, VARIADIC_FUNCTIONS, Op
from ..parse.calls import index_key
from ..simplify import Terms
from ..templates import index_items


def function_op(name: str, count: int) -> Op | None:
    """The op a call of `name` with `count` inputs runs (`max` of one input is amax)."""
    return FUNCTIONS.get((name, count)) or VARIADIC_FUNCTIONS.get(name)


def _call_inputs(expr: Call) -> tuple[tuple[Expr, ...], tuple[tuple[str, object], ...]]:
    """A call's inputs and its options: leading strings (einsum's subscripts) taken as the
    options they are, a list of inputs unpacked (concat's form)."""
    args = list(expr.args)
    strings = []
    while args and isinstance(args[0], Str):
        strings.append(args.pop(0).value)  # type: ignore[union-attr]
    options = [(k.name, option_value(k.value)) for k in expr.keywords]
    op = function_op(expr.func, len(args))
    if op is not None:
        options = [*zip(op.leading, strings, strict=False), *options]
        if op.sequence and len(args) == 1 and isinstance(args[0], Array):
            args = list(args[0].items)
    return tuple(args), tuple(options)


def to_term(terms: Terms, expr: Expr, slots: Mapping[str, int] | None = None) -> int:
    """`expr` as a term of `terms`, simplified on the way in; `slots` maps names to terms."""
    if isinstance(expr, Num):
        return terms.literal(expr.value, expr.text)
    if isinstance(expr, Name):
        return slots[expr.name] if slots and expr.name in slots else terms.name(expr.name)
    if isinstance(expr, Unary):
        inner = to_term(terms, expr.operand, slots)
        return terms.neg(inner) if expr.op == "neg" else inner
    if isinstance(expr, Binary):
        return terms.binary(expr.op, to_term(terms, expr.left, slots), to_term(terms, expr.right, slots))
    if isinstance(expr, Call):
        args, options = _call_inputs(expr)
        return terms.call(expr.func, tuple(to_term(terms, a, slots) for a in args), options)
    if isinstance(expr, Index):
        return terms.at(index_key(expr, ""), to_term(terms, expr.target, slots))
    if isinstance(expr, Array):
        return terms.stack(tuple(to_term(terms, item, slots) for item in expr.items))
    return terms.opaque(expr)


def _negated(expr: Expr) -> Expr:
    """-(a*b/c) written -a*b/c: the sign on the first factor, as a textbook writes it (exact)."""
    if isinstance(expr, Binary) and expr.op in ("mul", "div"):
        return Binary(expr.op, _negated(expr.left), expr.right)
    return Unary("neg", expr)


def _call(function: str, args: tuple[Expr, ...], options: tuple) -> Call:
    """A call as the source writes it: leading string options first, a list of inputs for a
    function that takes one, the other options as keywords."""
    op = function_op(function, len(args))
    given = dict(options)
    first: list[Expr] = []
    if op is not None:
        first = [Str(str(given.pop(name))) for name in op.leading if name in given]
        if op.sequence:
            args = (Array(args),)
    keywords = tuple(Keyword(name, option_expr(value)) for name, value in given.items())  # type: ignore[arg-type]
    return Call(function, (*first, *args), None, keywords)


def from_term(terms: Terms, term: int, names: Mapping[int, str] | None = None, top: bool = False) -> Expr:
    """The expression of `term`, with the terms in `names` (except itself, when `top`) written
    as those names."""
    if names and not top and term in names:
        return Name(names[term])
    key = terms.keys[term]
    kind = key[0]
    if kind == "num":
        return Num(key[1], key[2]) if len(key) == 3 else literal(key[1])
    if kind == "name":
        return Name(key[1])
    if kind == "expr":
        return key[1]
    if kind == "neg":
        inner = from_term(terms, key[1], names)
        return _negated(inner) if terms.full else Unary("neg", inner)
    if kind == "call":
        return _call(key[1], tuple(from_term(terms, a, names) for a in key[2:]), ())
    if kind == "callkw":
        return _call(key[1], tuple(from_term(terms, a, names) for a in key[3:]), key[2])
    if kind == "at":
        return Index(from_term(terms, key[2], names), index_items(key[1]))
    if kind == "stack":
        return Array(tuple(from_term(terms, a, names) for a in key[1:]))
    return Binary(kind, from_term(terms, key[1], names), from_term(terms, key[2], names))
