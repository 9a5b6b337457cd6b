"""How the pictures label things: an operation by its operator symbol or function name, a
value node by its name, data and grad."""

from __future__ import annotations

from ..numbers import format_value
from ..ops import OPS
from ..records import NodeRecord


def op_label(op_name: str) -> str:
    op = OPS[op_name]
    if op.name == "pow":
        return "^"
    return op.symbol


def node_fields(node: NodeRecord, digits: int, numbers: bool) -> list[str]:
    """A value node's label lines, unescaped: its name, then `data ...` and `grad ...` when the
    picture shows numbers (no grad where nothing is differentiated through the node)."""
    fields = [node.name]
    if numbers:
        fields.append(f"data {format_value(node.value, digits)}")
        if node.grad is not None:
            fields.append(f"grad {format_value(node.grad, digits)}")
    return fields
