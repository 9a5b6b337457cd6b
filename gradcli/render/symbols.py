"""How an operation is labelled in a picture: its operator symbol or function name."""

from __future__ import annotations

from ..ops import OPS


def op_label(op_name: str) -> str:
    op = OPS[op_name]
    if op.name == "pow":
        return "^"
    return op.symbol
