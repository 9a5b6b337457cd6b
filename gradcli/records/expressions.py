"""A node's operation written as an expression of gradcli's language over given arguments: its
definition over its inputs' names (records.DerivationRecord.definition), its tangent over theirs
(records/tangents.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..expr import Array, Binary, Call, Expr, Index, Keyword, Str, Unary, option_expr
from ..ops import OPS, Op, Options
from ..templates import index_items

if TYPE_CHECKING:
    from . import NodeRecord


def applied(node: NodeRecord, args: tuple[Expr, ...]) -> Expr:
    """The node's operation written over `args` (its inputs' names for its definition, their
    tangents for forward mode's trace): `a + b`, `[a, b]`, `x[1]`, `-x`, `sum(x, axis=1)`."""
    op = OPS[node.op]
    if op.name == "stack":
        return Array(args)
    if op.name == "index":
        return Index(args[0], args[1:])
    if op.name == "slice":
        return Index(args[0], index_items(str(dict(node.options)["key"])))
    if op.name == "neg":
        return Unary("neg", args[0])
    if op.infix:
        return Binary(op.name, *args)
    return call_of(op, args, node.options)


def call_of(op: Op, args: tuple[Expr, ...], options: Options) -> Call:
    """How a call of `op` is written: the inputs (in one list for `concat([a, b])`), string
    options written before them (einsum's subscripts), then the options that differ from their
    defaults as `name=value`: `sum(v1, axis=1)`."""
    defaults = dict(op.options)
    leading = tuple(Str(str(value)) for name, value in options if name in op.leading)
    inputs = (Array(args),) if op.sequence else args
    keywords = tuple(
        Keyword(name, option_expr(value))
        for name, value in options
        if name not in op.leading and not _same(value, defaults.get(name))
    )
    return Call(op.symbol, (*leading, *inputs), None, keywords)


def _same(value: object, default: object) -> bool:
    """An option's value equals its default (1 and True differ in kind, so compare both)."""
    return type(value) is type(default) and value == default
