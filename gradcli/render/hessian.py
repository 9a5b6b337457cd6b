"""`gradcli hessian`'s outputs: the value, the gradient and the matrix, in every format."""

from __future__ import annotations

import json

import numpy as np

from ..numbers import format_number, format_value
from ..records.hessian import HessianRecord
from .diff import markdown_source
from .formula import latex_name


def to_data(result: HessianRecord) -> dict:
    from .json_out import plain

    size = len(result.variables)
    return {
        "schema": 1,
        "source": result.source,
        "at": {name: plain(v) for name, v in result.at.items()},
        "variables": list(result.variables),
        "value": plain(result.value),
        "gradient": {name: plain(g) for name, g in result.gradient.items()},
        "hessian": plain(result.matrix.reshape(size, size)),
        "warnings": _json_warnings(result),
    }


def _json_warnings(result: HessianRecord) -> list[str]:
    warnings = list(result.warnings)
    numbers = [result.value, result.matrix, *result.gradient.values(), *result.at.values()]
    if not all(np.all(np.isfinite(v)) for v in numbers):
        warnings.append('some numbers are not finite: they are written as the strings "nan", "inf", "-inf"')
    return warnings


def to_json(result: HessianRecord) -> str:
    return json.dumps(to_data(result), indent=2, allow_nan=False) + "\n"


def _table(result: HessianRecord, digits: int) -> tuple[list[str], list[list[str]]]:
    """The matrix as a header (the variables) and one row of formatted numbers a variable."""
    header = ["", *result.variables]
    rows = [
        [name, *(format_number(result.matrix[i, j], digits) for j in range(len(result.variables)))]
        for i, name in enumerate(result.variables)
    ]
    return header, rows


def _title(result: HessianRecord) -> str:
    return f"Hessian  (row i, column j: ∂²{result.output}/∂i∂j)"


def to_text(result: HessianRecord, digits: int = 4) -> str:
    out = result.output
    lines = [f"{out} = {format_value(result.value, digits)}", "", "Gradient"]
    lines += [f"  ∂{out}/∂{name} = {format_value(g, digits)}" for name, g in result.gradient.items()]
    lines += ["", _title(result)]
    header, rows = _table(result, digits)
    if rows:
        widths = [max(len(row[k]) for row in [header, *rows]) for k in range(len(header))]
        for row in [header, *rows]:
            cells = (cell.rjust(width) for cell, width in zip(row, widths, strict=True))
            lines.append(("  " + "  ".join(cells)).rstrip())
    else:
        lines.append("  (no variables)")
    lines += [f"warning: {w}" for w in result.warnings]
    return "\n".join(lines) + "\n"


def to_markdown(result: HessianRecord, digits: int = 4) -> str:
    out = latex_name(result.output)
    lines = ["### Hessian", "", *markdown_source(result.source), ""]
    lines += [f"${out} = {format_value(result.value, digits)}$", ""]
    lines += [
        f"- $\\frac{{\\partial {out}}}{{\\partial {latex_name(n)}}} = {format_value(g, digits)}$"
        for n, g in result.gradient.items()
    ]
    header, rows = _table(result, digits)
    if rows:
        header = ["", *(f"${latex_name(n)}$" for n in result.variables)]
        rows = [[f"${latex_name(row[0])}$", *row[1:]] for row in rows]
        lines += ["", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines += [f"- warning: {w}" for w in result.warnings]
    return "\n".join(lines) + "\n"


def to_latex(result: HessianRecord, digits: int = 4, standalone: bool = False) -> str:
    from .latex import number, standalone_document

    names = [latex_name(n) for n in result.variables]
    out = latex_name(result.output)
    size = len(names)
    matrix = " \\\\\n".join(
        " & ".join(number(result.matrix[i, j], digits) for j in range(size)) for i in range(size)
    )
    body = "\\begin{align*}\n" + f"{out} &= {number(result.value, digits)}"
    if names:
        order = ", ".join(names)
        body += f" \\\\\nH &= \\begin{{pmatrix}}\n{matrix}\n\\end{{pmatrix}} \\quad ({order})"
    body += "\n\\end{align*}\n"
    body += "".join(f"% warning: {w}\n" for w in result.warnings)
    return standalone_document(body) if standalone else body


def print_rich(result: HessianRecord, digits: int = 4, console=None) -> None:
    """The default in a terminal: the value and the gradient as lines, the matrix as a table."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    out = result.output

    def line(text: str, style: str | None = None) -> None:
        console.print(text, style=style, markup=False, highlight=False)  # names are not markup

    line(f"{out} = {format_value(result.value, digits)}")
    for name, g in result.gradient.items():
        line(f"∂{out}/∂{name} = {format_value(g, digits)}")
    header, rows = _table(result, digits)
    line(_title(result))
    table = Table()
    for k, cell in enumerate(header):
        table.add_column(cell, justify="left" if k == 0 else "right", style="bold" if k == 0 else None)
    for row in rows:
        table.add_row(*row)
    if rows:
        console.print(table)
    for warning in result.warnings:
        line(f"warning: {warning}", style="red")
