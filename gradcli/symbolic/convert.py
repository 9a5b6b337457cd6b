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
    Call,
    Expr,
    Index,
    Keyword,
    Str,
    option_expr,
    option_value,
)
from ..expr import from_term as scalar_from_term
from ..expr import to_term as scalar_to_term
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

    def arrays(node: Expr, recurse) -> int | None:
        if isinstance(node, Call):
            args, options = _call_inputs(node)
            return terms.call(node.func, tuple(recurse(a) for a in args), options)
        if isinstance(node, Index):
            return terms.at(index_key(node, ""), recurse(node.target))
        if isinstance(node, Array):
            return terms.stack(tuple(recurse(item) for item in node.items))
        return None

    return scalar_to_term(terms, expr, slots, arrays)


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


def _array_expr(key: tuple, inner) -> Expr | None:
    kind = key[0]
    if kind == "call":
        return _call(key[1], tuple(inner(a) for a in key[2:]), ())
    if kind == "callkw":
        return _call(key[1], tuple(inner(a) for a in key[3:]), key[2])
    if kind == "at":
        return Index(inner(key[2]), index_items(key[1]))
    if kind == "stack":
        return Array(tuple(inner(a) for a in key[1:]))
    return None


def from_term(terms: Terms, term: int, names: Mapping[int, str] | None = None, top: bool = False) -> Expr:
    """The expression of `term`, with the terms in `names` (except itself, when `top`) written
    as those names."""
    return scalar_from_term(terms, term, names, top, arrays=_array_expr)
