"""`gradcli hessian`'s outputs: the value, the gradient and the matrix, in every format.

The rows and columns are the variables' elements (`x`, `W[0,1]`). Text, Markdown, LaTeX and JSON
print the whole matrix; the Rich table shows at most `RICH_COLUMNS` columns (fewer if the
terminal is narrower) and `RICH_ROWS` rows of a big one and says which formats print it all.
"""

from __future__ import annotations

import json
import re

import numpy as np

from ..numbers import format_number, format_value
from ..records.hessian import HessianRecord
from .diff import markdown_source
from .formula import latex_name

RICH_COLUMNS = 12
RICH_ROWS = 200


def to_data(result: HessianRecord) -> dict:
    from .json_out import plain

    size = len(result.rows)
    data: dict = {
        "schema": 1,
        "source": result.source,
        "at": {name: plain(v) for name, v in result.at.items()},
        "variables": list(result.variables),
    }
    if result.arrays:  # the rows are elements: say which (keys are only ever added)
        data["shapes"] = {name: list(shape) for name, shape in result.shapes.items()}
        data["elements"] = list(result.rows)
    data["value"] = plain(result.value)
    data["gradient"] = {name: plain(g) for name, g in result.gradient.items()}
    data["hessian"] = plain(result.matrix.reshape(size, size))
    data["warnings"] = _json_warnings(result)
    return data


def _json_warnings(result: HessianRecord) -> list[str]:
    warnings = list(result.warnings)
    numbers = [result.value, result.matrix, *result.gradient.values(), *result.at.values()]
    if not all(np.all(np.isfinite(v)) for v in numbers):
        warnings.append('some numbers are not finite: they are written as the strings "nan", "inf", "-inf"')
    return warnings


def to_json(result: HessianRecord) -> str:
    return json.dumps(to_data(result), indent=2, allow_nan=False) + "\n"


def _table(
    result: HessianRecord, digits: int, rows: int | None = None, columns: int | None = None
) -> tuple[list[str], list[list[str]]]:
    """The matrix as a header (the elements) and one row of formatted numbers an element."""
    labels = result.rows
    shown_rows, shown_columns = labels[:rows], labels[:columns]
    header = ["", *shown_columns]
    table = [
        [name, *(format_number(result.matrix[i, j], digits) for j in range(len(shown_columns)))]
        for i, name in enumerate(shown_rows)
    ]
    return header, table


def _title(result: HessianRecord) -> str:
    return f"Hessian  (row i, column j: ∂²{result.output}/∂i∂j)"


def _gradient_lines(result: HessianRecord, digits: int) -> list[str]:
    return [f"∂{result.output}/∂{name} = {format_value(g, digits)}" for name, g in result.gradient.items()]


def to_text(result: HessianRecord, digits: int = 4) -> str:
    out = result.output
    lines = [f"{out} = {format_value(result.value, digits)}", "", "Gradient"]
    lines += [f"  {line}" for line in _gradient_lines(result, digits)]
    lines += ["", _title(result)]
    header, rows = _table(result, digits)
    if rows:
        widths = [max(len(row[k]) for row in [header, *rows]) for k in range(len(header))]
        for row in [header, *rows]:
            cells = (cell.rjust(width) for cell, width in zip(row, widths, strict=True))
            lines.append(("  " + "  ".join(cells)).rstrip())
    else:
        lines.append("  (no elements)" if result.variables else "  (no variables)")
    lines += [f"warning: {w}" for w in result.warnings]
    return "\n".join(lines) + "\n"


def latex_label(label: str) -> str:
    """`W[0,1]` → `W_{0,1}`; a name with a subscript of its own is braced: `{w_{0}}_{1}`."""
    match = re.fullmatch(r"(.+)\[([\d,]+)\]", label)
    if match is None:
        return latex_name(label)
    base = latex_name(match.group(1))
    if "_" in base or "^" in base:
        base = f"{{{base}}}"
    return f"{base}_{{{match.group(2)}}}"


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
        header = ["", *(f"${latex_label(n)}$" for n in result.rows)]
        rows = [[f"${latex_label(row[0])}$", *row[1:]] for row in rows]
        lines += ["", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines += [f"- warning: {w}" for w in result.warnings]
    return "\n".join(lines) + "\n"


def to_latex(result: HessianRecord, digits: int = 4, standalone: bool = False) -> str:
    from .latex import number, standalone_document

    names = [latex_label(n) for n in result.rows]
    out = latex_name(result.output)
    size = len(names)
    matrix = " \\\\\n".join(
        " & ".join(number(result.matrix[i, j], digits) for j in range(size)) for i in range(size)
    )
    # amsmath's pmatrix takes 10 columns unless told more.
    body = f"\\setcounter{{MaxMatrixCols}}{{{size}}}\n" if size > 10 else ""
    body += "\\begin{align*}\n" + f"{out} &= {number(result.value, digits)}"
    if names:
        order = ", ".join(names)
        body += f" \\\\\nH &= \\begin{{pmatrix}}\n{matrix}\n\\end{{pmatrix}} \\quad ({order})"
    body += "\n\\end{align*}\n"
    body += "".join(f"% warning: {w}\n" for w in result.warnings)
    return standalone_document(body) if standalone else body


def _fitting(header: list[str], rows: list[list[str]], width: int) -> int:
    """How many of the table's columns (the labels' included) fit in `width` characters."""
    used = 1  # the table's left border
    for k in range(len(header)):
        used += max(len(row[k]) for row in [header, *rows]) + 3  # padding and a border
        if used > width and k > 1:
            return k
    return len(header)


def print_rich(result: HessianRecord, digits: int = 4, console=None) -> None:
    """The default in a terminal: the value and the gradient as lines, the matrix as a table
    (of a big one, the first RICH_ROWS rows and the columns that fit, RICH_COLUMNS at most)."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()

    def line(text: str, style: str | None = None) -> None:
        console.print(text, style=style, markup=False, highlight=False)  # names are not markup

    line(f"{result.output} = {format_value(result.value, digits)}")
    for text in _gradient_lines(result, digits):
        line(text)
    header, rows = _table(result, digits, RICH_ROWS, RICH_COLUMNS)
    shown = _fitting(header, rows, console.width)
    header, rows = header[:shown], [row[:shown] for row in rows]
    line(_title(result))
    table = Table()
    for k, cell in enumerate(header):
        table.add_column(cell, justify="left" if k == 0 else "right", style="bold" if k == 0 else None)
    for row in rows:
        table.add_row(*row)
    if rows:
        console.print(table)
    size = len(result.rows)
    if len(header) - 1 < size or len(rows) < size:
        line(
            f"showing {len(rows)} of {size} rows and {len(header) - 1} of {size} columns; "
            "--format text, markdown, latex or json print the whole matrix"
        )
    for warning in result.warnings:
        line(f"warning: {warning}", style="red")
