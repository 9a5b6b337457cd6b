"""`graph --format dot`: Graphviz text, written by gradcli itself (no binary needed).

Seed 003's picture: left to right, a record per value (`name | data | grad`), a circle per
operation, edges in the direction data flows. Inputs, the output and nodes at a kink are styled
apart. Every label is escaped, so any name or number is safe.
"""

from __future__ import annotations

from ..records import DerivationRecord
from .symbols import node_fields, op_label

_RECORD_SPECIAL = set('{}|<>"\\ ')


def escape_record(text: str) -> str:
    """Escape a field of a record label (braces, bars, angle brackets, quotes, spaces...)."""
    return "".join("\\" + ch if ch in _RECORD_SPECIAL else ch for ch in text)


def escape_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def render(derivation: DerivationRecord, digits: int = 4, numbers: bool = True) -> str:
    lines = [
        "digraph gradcli {",
        "  rankdir=LR;",
        '  node [fontname="Helvetica", fontsize=11];',
        '  edge [color="#555555"];',
    ]
    for node in derivation.nodes:
        fields = [escape_record(field) for field in node_fields(node, digits, numbers)]
        style = ""
        if node.id == derivation.output:
            style = ', style="filled,bold", fillcolor="#d5f5d5"'
        elif node.kink:
            style = ', style=filled, fillcolor="#fff2b3"'
        elif node.op == "var":
            style = ', style=filled, fillcolor="#dbe9ff"'
        elif node.op == "const":
            style = ', style=filled, fillcolor="#eeeeee"'
        lines.append(f'  n{node.id} [shape=record, label="{{ {" | ".join(fields)} }}"{style}];')
        if node.inputs:
            tooltip = f', tooltip="{escape_string(node.kink)}"' if node.kink else ""
            lines.append(
                f'  op{node.id} [shape=circle, label="{escape_string(op_label(node.op))}"{tooltip}];'
            )
            lines.append(f"  op{node.id} -> n{node.id};")
            lines += [f"  n{i} -> op{node.id};" for i in node.inputs]
    lines.append("}")
    return "\n".join(lines) + "\n"
