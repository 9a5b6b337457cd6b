"""`--format text`: the worked derivation as plain text — no colour, no box drawing, stable for diffs."""

from __future__ import annotations

import unicodedata

from ..numbers import format_value
from ..records import DerivationRecord
from .formula import to_text
from .layout import (
    StepRow,
    SumRow,
    backward_rows,
    feeds_phrase,
    forward_rows,
    kinks,
    local_label,
    no_steps_reason,
    path_lines,
    signed_sum,
)
from .tangents import dotted_name, input_text, tangent_lines, terms_text, trace_notes, trace_title


def _width(text: str) -> int:
    """Columns a cell takes: a combining mark (the dot of `v̇1`) takes none."""
    if text.isascii():
        return len(text)
    return sum(1 for char in text if not unicodedata.combining(char))


def _table(header: list[str], rows: list[list[str]], indent: str = "  ") -> list[str]:
    """Columns padded to their widest cell. A row with fewer cells than the header spans: its
    last cell runs on without widening the columns (a 400-term sum stays on its own line)."""
    full = [row for row in [header, *rows] if len(row) == len(header)]
    widths = [max(_width(row[i]) for row in full) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        pads = zip(row[:-1], widths, strict=False)
        cells = [cell + " " * (width - _width(cell)) for cell, width in pads] + [row[-1]]
        lines.append((indent + "  ".join(cells)).rstrip())
    return lines


def forward_section(derivation: DerivationRecord, digits: int) -> list[str]:
    rows = []
    for row in forward_rows(derivation):
        node = row.node
        definition = to_text(row.definition) if row.definition is not None else node.role
        notes = ["output"] if row.is_output else []
        if node.kink:
            notes.append("kink*")
        rows.append([node.name, definition, format_value(node.value, row.digits(digits)), ", ".join(notes)])
    return ["Forward pass", *_table(["node", "definition", "value", ""], rows)]


def backward_section(derivation: DerivationRecord, digits: int) -> list[str]:
    out = derivation.output_node.name
    if derivation.tangents is not None:
        return tangent_section(derivation, digits)
    if not derivation.steps:
        return ["Backward pass", f"  {no_steps_reason(derivation)}"]
    rows: list[list[str]] = []
    for row in backward_rows(derivation):
        if isinstance(row, StepRow):
            label = local_label(
                row,
                lambda top, bottom: f"∂{top}/∂{bottom}",
                to_text(row.formula),
                f"{derivation.upstream_name} · ",
            )
            rows.append(
                [
                    str(row.number),
                    row.edge(),
                    label + ("  *" if row.of.kink else ""),
                    format_value(row.local, digits),
                    "× " + format_value(row.step.upstream, digits),
                    "= " + format_value(row.step.contribution, digits),
                ]
            )
        else:
            assert isinstance(row, SumRow)
            terms = signed_sum([format_value(s.contribution, digits) for s in row.steps])
            total = format_value(row.node.grad, digits)
            rows.append(
                [
                    "",
                    f"sum at {row.node.name} ({row.node.name} feeds {feeds_phrase(row)}): "
                    f"∂{out}/∂{row.node.name} = {terms} = {total}",
                ]
            )
    header = ["step", "edge", "local derivative", "local", "× upstream", "= contribution"]
    return [f"Backward pass   (start: ∂{out}/∂{out} = 1)", *_table(header, rows)]


def tangent_section(derivation: DerivationRecord, digits: int) -> list[str]:
    """Forward mode's table in place of the backward pass: each node's tangent, its formula
    Σ local · input's tangent, the numbers of that sum (local × tangent), and its value."""
    rows = []
    for line in tangent_lines(derivation):
        name = line.node.name
        if line.formula is None:
            formula, numbers = input_text(line), ""
        else:
            formula, numbers = to_text(line.formula), terms_text(line, digits)
        value = format_value(line.tangent, digits)
        rows.append(
            [name, f"{dotted_name(name)} = {formula}", numbers, value, "output" if line.is_output else ""]
        )
    header = ["node", "tangent", "local × tangent", "value", ""]
    notes = [f"  {note}" for note in trace_notes(derivation)]
    return [f"Tangent trace   ({trace_title(derivation)})", *_table(header, rows), *notes]


def result_section(derivation: DerivationRecord, digits: int) -> list[str]:
    out = derivation.output_node.name
    lines = ["Result", f"  {out} = {format_value(derivation.value, digits)}"]
    for name, grad in derivation.gradient.items():
        lines.append(f"  ∂{out}/∂{name} = {format_value(grad, digits)}")
    return lines


def notes_section(derivation: DerivationRecord) -> list[str]:
    lines = []
    for node in kinks(derivation):
        lines.append(f"* kink at {node.name}: {node.kink}")
    lines += [f"warning: {w}" for w in derivation.warnings]
    return lines


def paths_section(derivation: DerivationRecord, digits: int) -> list[str]:
    """Seed 000's way: each gradient as a sum over paths of products of local derivatives."""
    out = derivation.output_node.name
    lines = ["Chain rule along every path"]
    for line in path_lines(
        derivation, lambda top, bottom: f"∂{top}/∂{bottom}", lambda v: format_value(v, digits)
    ):
        head = f"∂{out}/∂{line.variable}"
        lines += [f"  {head} = {line.symbolic}", f"  {' ' * len(head)} = {line.numeric} = {line.gradient}"]
    return lines


def render(derivation: DerivationRecord, digits: int = 4, brief: bool = False, paths: bool = False) -> str:
    sections = [result_section(derivation, digits)]
    if not brief:
        middle = [paths_section(derivation, digits)] if paths else []
        sections = [
            forward_section(derivation, digits),
            backward_section(derivation, digits),
            *middle,
            *sections,
        ]
    notes = notes_section(derivation)
    if notes:
        sections.append(notes)
    return "\n\n".join("\n".join(s) for s in sections) + "\n"
