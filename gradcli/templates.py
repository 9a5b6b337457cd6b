"""The partials' printed formulas as ASTs: each op's template, parsed by gradcli's own parser.

It sits above both the op table and the parser, so that the parser can read the table's
function names (for its hints) without the table needing the parser.
"""

from __future__ import annotations

from functools import cache

from .expr import Expr, Index
from .ops import OPS, Array, partial_of
from .parse import parse_expression


@cache
def parse_template(formula: str) -> Expr:
    """A partial's formula, parsed once into an AST over the op's parameter names."""
    return parse_expression(formula)


def partial_template(op_name: str, index: int, *inputs: Array, **options: object) -> Expr:
    """The AST of the partial of `op_name` for input `index` (at these inputs and options, if it
    depends on them)."""
    return parse_template(partial_of(OPS[op_name], index).formula_text(*inputs, **options))


@cache
def index_items(key: str) -> tuple[Expr, ...]:
    """The subscripts of a `slice` node's key (`1:3`, `:, 0`), as `x[...]` is written."""
    parsed = parse_expression(f"x[{key}]")
    assert isinstance(parsed, Index)
    return parsed.indices
