"""`--format rich` (the default): the worked derivation as Rich tables in the terminal.

Colour only on a terminal (Rich honours NO_COLOR); cells are Text objects, never markup, so a
`[` in a formula is printed as it is; long formulas fold onto the next line instead of being cut.
Tables stop after MAX_ROWS rows and say how many were left out and which format prints them all.
"""

from __future__ import annotations

from collections.abc import Callable

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

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
from .tangents import (
    count_lines,
    dotted_name,
    input_text,
    tangent_lines,
    terms_text,
    trace_notes,
    trace_title,
)

MAX_ROWS = 300
MAX_STACKED = 60  # steps in the stacked layout (five lines each): about as tall as MAX_ROWS rows


def _table(title: str, columns: list[str], right: set[int] = frozenset()) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD, padding=(0, 1))
    for i, column in enumerate(columns):
        table.add_column(column, overflow="fold", justify="right" if i in right else "left")
    return table


def _cut(table: Table, left_out: int) -> None:
    if left_out > 0:
        note = Text(f"… {left_out} more rows: --format text, markdown, latex or json prints them all", "dim")
        table.add_row(*([note] + [Text("")] * (len(table.columns) - 1)))


def forward_table(derivation: DerivationRecord, digits: int) -> Table:
    table = _table("Forward pass", ["node", "definition", "value", ""])
    rows = forward_rows(derivation)
    for row in rows[:MAX_ROWS]:
        node = row.node
        style = "bold green" if row.is_output else ("yellow" if node.kink else "")
        definition = to_text(row.definition) if row.definition is not None else node.role
        notes = (["output"] if row.is_output else []) + (["kink"] if node.kink else [])
        table.add_row(
            Text(node.name, style or "cyan"),
            Text(definition, "dim" if row.definition is None else ""),
            Text(format_value(node.value, row.digits(digits)), style),
            Text(", ".join(notes), style),
        )
    _cut(table, len(rows) - MAX_ROWS)
    return table


BACKWARD_HEADERS = ["step", "edge", "local derivative", "local", "× upstream", "= contribution"]


def _backward_cells(derivation: DerivationRecord, row: StepRow | SumRow, digits: int) -> list[Text]:
    """One row of the backward pass as six cells, for the table and for the stacked layout."""
    out = derivation.output_node.name
    if isinstance(row, StepRow):
        kink = " (kink)" if row.of.kink else ""
        return [
            Text(str(row.number), "dim"),
            Text(row.edge()),
            Text(
                local_label(
                    row,
                    lambda top, bottom: f"∂{top}/∂{bottom}",
                    to_text(row.formula),
                    f"{derivation.upstream_name} · ",
                )
                + kink,
                "yellow" if kink else "",
            ),
            Text(format_value(row.local, digits)),
            Text(format_value(row.step.upstream, digits)),
            Text(format_value(row.step.contribution, digits), "bold"),
        ]
    terms = signed_sum([format_value(s.contribution, digits) for s in row.steps])
    return [
        Text(""),
        Text(f"sum at {row.node.name}", "magenta"),
        Text(f"{row.node.name} feeds {feeds_phrase(row)}: ∂{out}/∂{row.node.name} = {terms}", "magenta"),
        Text(""),
        Text(""),
        Text(f"= {format_value(row.node.grad, digits)}", "bold magenta"),
    ]


def backward_table(derivation: DerivationRecord, digits: int) -> RenderableType:
    out = derivation.output_node.name
    title = f"Backward pass (start: ∂{out}/∂{out} = 1)"
    rows = backward_rows(derivation)
    cells = [_backward_cells(derivation, row, digits) for row in rows[:MAX_ROWS]]
    table, steps = _table(title, BACKWARD_HEADERS, right={0}), _table(title, BACKWARD_HEADERS, right={0})
    for row, row_cells in zip(rows, cells, strict=False):
        table.add_row(*row_cells)
        if isinstance(row, StepRow):  # a sum row's long line wraps in any layout
            steps.add_row(*row_cells)
    _cut(table, len(rows) - MAX_ROWS)
    shown = cells[:MAX_STACKED]
    return Fitting(table, lambda: _stacked_backward(title, shown, len(rows) - len(shown)), measured=steps)


def _stacked_backward(title: str, cells: list[list[Text]], left_out: int) -> RenderableType:
    """The backward pass one block a step: the edge, the local derivative, then local, upstream
    and contribution each on a line of its own (for terminals too narrow for the table)."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="right")
    grid.add_column()
    for number, edge, label, local, upstream, contribution in cells:
        if not number.plain:  # a sum row
            grid.add_row(Text(""), Group(edge, Text.assemble(label, " ", contribution)))
            continue
        values = Table.grid(padding=(0, 1))
        values.add_column(style="dim")
        values.add_column()
        for name, value in (("local", local), ("× upstream", upstream), ("= contribution", contribution)):
            values.add_row(name, value)
        grid.add_row(number, Group(Text.assemble(edge, style="bold"), label, values))
        grid.add_row(Text(""), Text(""))
    parts: list[RenderableType] = [Text(title, style="bold"), grid]
    if left_out > 0:
        parts.append(
            Text(f"… {left_out} more rows: --format text, markdown, latex or json prints them all", "dim")
        )
    return Group(*parts)


class Fitting:
    """A table where every cell fits on one line at the console's width; otherwise the same rows
    in a stacked layout, where text wraps only between words (never inside a number or a word:
    a column narrower than its header would split `contribution`)."""

    def __init__(
        self, table: Table, stacked: Callable[[], RenderableType], measured: Table | None = None
    ) -> None:
        self.table = table
        self.stacked = stacked
        self.measured = measured or table  # the rows that must fit (not those that may wrap)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        natural = Measurement.get(console, options.update(width=10**6), self.measured).maximum
        yield self.table if natural <= options.max_width else self.stacked()


def tangent_table(derivation: DerivationRecord, digits: int) -> Table:
    """Forward mode's tangent trace (render/tangents.py), in place of the backward pass."""
    table = _table("Tangent trace", ["node", "tangent", "local × tangent", "value"])
    for line in tangent_lines(derivation, limit=MAX_ROWS):
        name = line.node.name
        style = "bold green" if line.is_output else ""
        if line.formula is None:
            formula, numbers = input_text(line), ""
        else:
            formula, numbers = to_text(line.formula), terms_text(line, digits)
        table.add_row(
            Text(name, style or "cyan"),
            Text(f"{dotted_name(name)} = {formula}", "dim" if line.formula is None else ""),
            Text(numbers),
            Text(format_value(line.tangent, digits), style or "bold"),
        )
    _cut(table, count_lines(derivation) - MAX_ROWS)
    return table


def paths_table(derivation: DerivationRecord, digits: int) -> Table:
    out = derivation.output_node.name
    table = _table("Chain rule along every path", ["gradient", "sum over paths", "value"])
    for line in path_lines(
        derivation, lambda top, bottom: f"∂{top}/∂{bottom}", lambda v: format_value(v, digits)
    ):
        table.add_row(
            Text(f"∂{out}/∂{line.variable}", "cyan"),
            Text(f"{line.symbolic}\n= {line.numeric}"),
            Text(line.gradient, "bold"),
        )
    return table


def result_table(derivation: DerivationRecord, digits: int) -> Table:
    out = derivation.output_node.name
    table = _table("Result", ["", "value"])
    table.add_row(Text(out, "bold green"), Text(format_value(derivation.value, digits), "bold green"))
    for name, grad in derivation.gradient.items():
        table.add_row(Text(f"∂{out}/∂{name}", "cyan"), Text(format_value(grad, digits), "bold"))
    return table


def print_derivation(
    derivation: DerivationRecord,
    digits: int = 4,
    brief: bool = False,
    paths: bool = False,
    console: Console | None = None,
) -> None:
    console = console or Console(highlight=False)
    parts = []
    if not brief:
        parts.append(forward_table(derivation, digits))
        if derivation.tangents is not None:
            parts.append(tangent_table(derivation, digits))
            seed = trace_title(derivation)
            notes = [f"{seed[:1].upper()}{seed[1:]}.", *trace_notes(derivation)]
            parts.append(Text("\n".join(notes) + "\n"))
        elif derivation.steps:
            parts.append(backward_table(derivation, digits))
        else:
            parts.append(Text(no_steps_reason(derivation) + "\n"))
        if paths:
            parts.append(paths_table(derivation, digits))
    parts.append(result_table(derivation, digits))
    for node in kinks(derivation):
        parts.append(Text(f"kink at {node.name}: {node.kink}", "yellow"))
    for warning in derivation.warnings:
        parts.append(Text(f"warning: {warning}", "red"))
    console.print(Group(*parts))
