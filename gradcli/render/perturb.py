"""`gradcli check --perturb` output: the nudge narration as text, Rich or JSON.

Every node of the program before and after the nudge, change/h beside the reverse-mode derivative;
the tables are the gradient check's (render/check.py), so both read alike.
"""

from __future__ import annotations

import json

import numpy as np

from ..numbers import format_number, format_value
from ..records.check import Nudge, NudgeRow
from .check import MAX_ROWS, cut_rows, pad_columns, rich_table
from .formula import to_text
from .json_out import SCHEMA, plain
from .layout import ForwardRow, forward_rows


def _nudge_header(nudge: Nudge) -> list[str]:
    by = f"∂node/∂{nudge.target_label}"  # by reverse mode, as the introduction says
    return ["node", "definition", "before", "after", "change", "change/h", by]


def _nudge_rows(nudge: Nudge) -> list[tuple[NudgeRow, ForwardRow]]:
    """The nodes a derivation's forward table shows (not plain literals), each with its row."""
    shown = {row.node.id: row for row in forward_rows(nudge.derivation)}
    return [(row, shown[row.node.id]) for row in nudge.rows if row.node.id in shown]


def _nudge_cells(row: NudgeRow, forward: ForwardRow, digits: int) -> list[str]:
    definition = to_text(forward.definition) if forward.definition is not None else row.node.role
    return [
        row.node.name,
        definition,
        format_value(row.before, digits),
        format_value(row.after, digits),
        format_value(row.change, digits),
        format_value(row.ratio, digits),
        "" if row.reverse is None else format_value(row.reverse, digits),
    ]


def _nudge_intro(nudge: Nudge, digits: int) -> list[str]:
    target = nudge.rows[nudge.target.id]
    label = nudge.target_label
    what = "every element of " + label if nudge.index is None and target.before.ndim else label
    return [
        f"Nudging {what} by h = {format_number(nudge.h, digits)}: {nudge.target.name} goes from "
        f"{format_value(target.before, digits)} to {format_value(target.after, digits)}.",
        f"The nodes that do not depend on {nudge.target.name} keep their values; the ones downstream move. "
        f"change/h estimates ∂node/∂{label}; the last column is that derivative by reverse mode.",
    ]


def _nudge_outro(nudge: Nudge, digits: int) -> str:
    out = nudge.rows[nudge.derivation.output]
    name, target = out.node.name, nudge.target_label
    line = (
        f"{name}: {format_value(out.before, digits)} → {format_value(out.after, digits)}, so "
        f"∂{name}/∂{target} ≈ {format_value(out.change, digits)} / {format_number(nudge.h, digits)} = "
        f"{format_value(out.ratio, digits)}"
    )
    if out.reverse is not None:
        line += f" (reverse mode: {format_value(out.reverse, digits)})"
    return line


def nudge_text(nudge: Nudge, digits: int = 6) -> str:
    """The narration as plain text: the introduction, one row per node, the output's change."""
    lines = [*_nudge_intro(nudge, digits), ""]
    lines += pad_columns(_nudge_header(nudge), [_nudge_cells(r, f, digits) for r, f in _nudge_rows(nudge)])
    lines += [f"warning: {w}" for w in nudge.warnings]
    lines += ["", _nudge_outro(nudge, digits)]
    return "\n".join(lines) + "\n"


def print_nudge(nudge: Nudge, digits: int = 6, console=None) -> None:
    """The narration on a terminal: the nodes that move in bold, the output in green."""
    from rich.console import Console, Group
    from rich.text import Text

    console = console or Console(highlight=False)
    table = rich_table(_nudge_header(nudge), right={2, 3, 4, 5, 6}, fold=1, min_width=8)
    rows = _nudge_rows(nudge)
    for row, forward in rows[:MAX_ROWS]:
        cells = _nudge_cells(row, forward, digits)
        moved = bool(np.any(row.change != 0))
        style = "bold green" if forward.is_output else ("bold" if moved else "dim")
        table.add_row(Text(cells[0], "cyan"), Text(cells[1]), *(Text(c, style) for c in cells[2:]))
    cut_rows(table, len(rows) - MAX_ROWS)
    parts = [Text("\n".join(_nudge_intro(nudge, digits))), table]
    parts += [Text(f"warning: {w}", "red") for w in nudge.warnings]
    parts.append(Text(_nudge_outro(nudge, digits), "bold"))
    console.print(Group(*parts))


def nudge_data(nudge: Nudge) -> dict:
    """The nudge as the JSON object `--perturb --json` writes (non-finite numbers as strings)."""
    nodes = []
    for row in nudge.rows:
        node = row.node
        item: dict = {"id": node.id, "name": node.name, "op": node.op, "inputs": list(node.inputs)}
        definition = nudge.derivation.definition(node)
        if definition is not None:
            item["formula"] = to_text(definition)
        item["before"] = plain(row.before)
        item["after"] = plain(row.after)
        item["change"] = plain(row.change)
        item["ratio"] = plain(row.ratio)
        if row.reverse is not None:
            item["reverse"] = plain(row.reverse)
        nodes.append(item)
    return {
        "schema": SCHEMA,
        "source": nudge.derivation.source,
        "at": {name: plain(v) for name, v in nudge.derivation.at.items()},
        "perturb": {
            "name": nudge.target.name,
            "id": nudge.target.id,
            "index": None if nudge.index is None else list(nudge.index),
            "h": nudge.h,
        },
        "output": nudge.derivation.output,
        "nodes": nodes,
        "warnings": list(nudge.warnings),
    }


def nudge_json(nudge: Nudge) -> str:
    """`nudge_data` as strict RFC 8259 JSON."""
    return json.dumps(nudge_data(nudge), allow_nan=False, indent=2) + "\n"
