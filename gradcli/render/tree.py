"""`graph --format tree`: the computation graph as a Rich tree, from the output down.

A node used more than once is drawn once; later uses refer back to it (`↑ b`). The tree is built
with an explicit stack (a 10,000-deep chain must not hit the recursion limit) and stops after
MAX_NODES nodes, saying how many it left out.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text
from rich.tree import Tree

from ..numbers import format_value
from ..records import DerivationRecord
from .formula import to_text

MAX_NODES = 300
MAX_DEPTH = 60


def _label(derivation: DerivationRecord, node_id: int, digits: int, numbers: bool) -> Text:
    node = derivation.nodes[node_id]
    definition = derivation.definition(node)
    text = Text(node.name, "bold green" if node_id == derivation.output else "cyan")
    text.append(f" = {to_text(definition)}" if definition is not None else f"  ({node.role})", "")
    if numbers:
        text.append(f"   value {format_value(node.value, digits)}", "")
        if node.grad is not None:
            text.append(f"   grad {format_value(node.grad, digits)}", "magenta")
    if node.kink:
        text.append(f"   kink: {node.kink}", "yellow")
    return text


def build(derivation: DerivationRecord, digits: int = 4, numbers: bool = True) -> Tree:
    root = Tree(_label(derivation, derivation.output, digits, numbers), guide_style="dim")
    drawn = {derivation.output}
    shown = 1
    left_out = 0
    stack = [(root, derivation.output, 0)]
    while stack:
        tree, node_id, depth = stack.pop()
        children = derivation.nodes[node_id].inputs
        pending = []
        for child in children:
            if child in drawn:
                name = derivation.nodes[child].name
                tree.add(Text(f"↑ {name} (shown above)" if derivation.nodes[child].inputs else name, "dim"))
                continue
            if shown >= MAX_NODES or depth >= MAX_DEPTH:
                left_out += 1
                continue
            drawn.add(child)
            shown += 1
            pending.append((tree.add(_label(derivation, child, digits, numbers)), child, depth + 1))
        stack.extend(reversed(pending))
    if left_out:
        hidden = len(derivation.nodes) - len(drawn)
        root.add(Text(f"… {hidden} more nodes not drawn: --format dot or mermaid draws them all", "dim"))
    return root


def print_tree(
    derivation: DerivationRecord, digits: int = 4, numbers: bool = True, console: Console | None = None
) -> None:
    (console or Console(highlight=False)).print(build(derivation, digits, numbers))
