"""`graph --format mermaid`: a `flowchart LR` that GitHub renders inside a ```mermaid block."""

from __future__ import annotations

from ..records import DerivationRecord
from .symbols import node_fields, op_label


def escape(text: str) -> str:
    """Mermaid labels are quoted; quotes and angle brackets become entity codes."""
    return text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def render(derivation: DerivationRecord, digits: int = 4, numbers: bool = True) -> str:
    lines = ["flowchart LR"]
    for node in derivation.nodes:
        parts = [escape(field) for field in node_fields(node, digits, numbers)]
        lines.append(f'  n{node.id}["{"<br/>".join(parts)}"]')
        if node.inputs:
            lines.append(f'  op{node.id}(("{escape(op_label(node.op))}"))')
            lines += [f"  n{i} --> op{node.id}" for i in node.inputs]
            lines.append(f"  op{node.id} --> n{node.id}")
    lines.append("  classDef input fill:#dbe9ff,stroke:#3b6fb6")
    lines.append("  classDef output fill:#d5f5d5,stroke:#2e7d32,stroke-width:2px")
    lines.append("  classDef kink fill:#fff2b3,stroke:#b58900")
    classes = {"input": [], "output": [], "kink": []}
    for node in derivation.nodes:
        if node.id == derivation.output:
            classes["output"].append(f"n{node.id}")
        elif node.kink:
            classes["kink"].append(f"n{node.id}")
        elif node.op == "var":
            classes["input"].append(f"n{node.id}")
    lines += [f"  class {','.join(ids)} {name}" for name, ids in classes.items() if ids]
    return "\n".join(lines) + "\n"
