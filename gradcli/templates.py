"""The partials' printed formulas as ASTs: each op's template, parsed by gradcli's own parser.

It sits above both the op table and the parser, so that the parser can read the table's
function names (for its hints) without the table needing the parser.
"""

from __future__ import annotations

from functools import cache

from .expr import Expr
from .ops import OPS, Array, partial_of
from .parse import parse_expression


@cache
def parse_template(formula: str) -> Expr:
    """A partial's formula, parsed once into an AST over the op's parameter names."""
    return parse_expression(formula)


def partial_template(op_name: str, index: int, *inputs: Array) -> Expr:
    """The AST of the partial of `op_name` for input `index` (at these inputs, if it depends on shapes)."""
    return parse_template(partial_of(OPS[op_name], index).formula_text(*inputs))
