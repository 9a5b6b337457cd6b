"""Second derivatives by reverse-over-reverse: differentiate the backward pass itself.

`gradcli.symbolic` writes ∂output/∂x_i as a program in gradcli's language (the backward pass as
formulas); running reverse mode on that program gives its gradient, which is row i of the
Hessian. No finite differences: the same op table, applied twice. Scalar variables only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field

import numpy as np

from .errors import GradcliError
from .expr import Program
from .graph import program_names
from .parse import parse_program
from .values import AtValue

SCALAR_ONLY = "hessian supports scalar variables"
ELEMENTWISE_ONLY = "hessian supports scalar variables and elementwise operations for now"


@dataclass(eq=False, repr=False)
class HessianResult:
    """The value, the gradient and the Hessian of a program's output at one point."""

    source: str
    at: dict[str, np.ndarray]
    output: str  # the output node's name
    variables: tuple[str, ...]  # the rows and columns, in this order
    value: np.ndarray
    gradient: dict[str, np.ndarray]
    matrix: np.ndarray  # matrix[i, j] = ∂²output/∂variables[i]∂variables[j]
    derivatives: dict[str, str]  # variable -> the program for ∂output/∂variable that was differentiated
    warnings: list[str] = field(default_factory=list)

    def to_data(self) -> dict:
        from .render.json_out import plain

        return {
            "schema": 1,
            "source": self.source,
            "at": {name: plain(v) for name, v in self.at.items()},
            "variables": list(self.variables),
            "value": plain(self.value),
            "gradient": {name: plain(g) for name, g in self.gradient.items()},
            "hessian": plain(self.matrix.reshape(len(self.variables), len(self.variables))),
            "warnings": self._warnings(),
        }

    def _warnings(self) -> list[str]:
        warnings = list(self.warnings)
        numbers = [self.value, self.matrix, *self.gradient.values(), *self.at.values()]
        if not all(np.all(np.isfinite(v)) for v in numbers):
            warnings.append(
                'some numbers are not finite: they are written as the strings "nan", "inf", "-inf"'
            )
        return warnings

    def to_json(self) -> str:
        return json.dumps(self.to_data(), indent=2, allow_nan=False) + "\n"

    def _table(self, digits: int) -> tuple[list[str], list[list[str]]]:
        from .numbers import format_number

        header = ["", *self.variables]
        rows = [
            [name, *(format_number(self.matrix[i, j], digits) for j in range(len(self.variables)))]
            for i, name in enumerate(self.variables)
        ]
        return header, rows

    def to_text(self, digits: int = 4) -> str:
        from .numbers import format_value

        out = self.output
        lines = [f"{out} = {format_value(self.value, digits)}", "", "Gradient"]
        lines += [f"  ∂{out}/∂{name} = {format_value(g, digits)}" for name, g in self.gradient.items()]
        lines += ["", f"Hessian  (row i, column j: ∂²{out}/∂i∂j)"]
        header, rows = self._table(digits)
        if rows:
            widths = [max(len(row[k]) for row in [header, *rows]) for k in range(len(header))]
            for row in [header, *rows]:
                cells = (cell.rjust(width) for cell, width in zip(row, widths, strict=True))
                lines.append(("  " + "  ".join(cells)).rstrip())
        else:
            lines.append("  (no variables)")
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines) + "\n"

    def to_markdown(self, digits: int = 4) -> str:
        from .numbers import format_value
        from .render.formula import latex_name
        from .symbolic import markdown_source

        out = latex_name(self.output)
        lines = ["### Hessian", "", *markdown_source(self.source), ""]
        lines += [f"${out} = {format_value(self.value, digits)}$", ""]
        lines += [
            f"- $\\frac{{\\partial {out}}}{{\\partial {latex_name(n)}}} = {format_value(g, digits)}$"
            for n, g in self.gradient.items()
        ]
        header, rows = self._table(digits)
        if rows:
            header = ["", *(f"${latex_name(n)}$" for n in self.variables)]
            rows = [[f"${latex_name(row[0])}$", *row[1:]] for row in rows]
            lines += ["", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            lines += ["| " + " | ".join(row) + " |" for row in rows]
        lines += [f"- warning: {w}" for w in self.warnings]
        return "\n".join(lines) + "\n"

    def to_latex(self, digits: int = 4, standalone: bool = False) -> str:
        from .render.formula import latex_name
        from .render.latex import number

        names = [latex_name(n) for n in self.variables]
        out = latex_name(self.output)
        size = len(names)
        matrix = " \\\\\n".join(
            " & ".join(number(self.matrix[i, j], digits) for j in range(size)) for i in range(size)
        )
        body = "\\begin{align*}\n" + f"{out} &= {number(self.value, digits)}"
        if names:
            order = ", ".join(names)
            body += f" \\\\\nH &= \\begin{{pmatrix}}\n{matrix}\n\\end{{pmatrix}} \\quad ({order})"
        body += "\n\\end{align*}\n"
        body += "".join(f"% warning: {w}\n" for w in self.warnings)
        if not standalone:
            return body
        from .render.latex import standalone_document

        return standalone_document(body)

    def print_rich(self, digits: int = 4, console=None) -> None:
        from rich.console import Console
        from rich.table import Table

        from .numbers import format_value

        console = console or Console()
        out = self.output
        console.print(f"{out} = {format_value(self.value, digits)}", markup=False, highlight=False)
        for name, g in self.gradient.items():
            console.print(f"∂{out}/∂{name} = {format_value(g, digits)}", markup=False, highlight=False)
        header, rows = self._table(digits)
        console.print(f"Hessian  (row i, column j: ∂²{out}/∂i∂j)", markup=False, highlight=False)
        table = Table()
        for k, cell in enumerate(header):
            table.add_column(cell, justify="left" if k == 0 else "right", style="bold" if k == 0 else None)
        for row in rows:
            table.add_row(*row)
        if rows:
            console.print(table)
        for warning in self.warnings:
            console.print(f"warning: {warning}", style="red", markup=False, highlight=False)


def _scalar(name: str, value: object) -> None:
    array = value.value if isinstance(value, AtValue) else np.asarray(value, dtype=np.float64)
    if np.ndim(array) != 0:
        error = GradcliError(
            SCALAR_ONLY,
            hint=f"{name} has shape {tuple(np.shape(array))}; give each variable one number "
            "(`gradcli eval` gives gradients and Jacobians of arrays)",
        )
        if isinstance(value, AtValue):
            error.span, error.source, error.label = value.span, value.text, "--at"
        raise error


def hessian(
    source: str | Program,
    at: Mapping[str, object] | None = None,
    *,
    wrt: Iterable[str] | None = None,
    **values: object,
) -> HessianResult:
    """The Hessian of `source`'s output at the given values (keyword arguments or `at`).

    Row i is the gradient of the symbolic derivative ∂output/∂wrt[i], computed by reverse mode:
    reverse-over-reverse, exact up to rounding. `wrt` (default: every variable) gives the rows
    and columns. Raises GradcliError for bad input and for array values.
    """
    from .evaluation import evaluate
    from .symbolic import differentiate

    program = parse_program(source) if isinstance(source, str) else source
    given = {**(at or {}), **values}
    for name, value in given.items():
        with suppress(TypeError, ValueError):  # not a number at all: evaluate says so
            _scalar(name, value)
    first = evaluate(program, given, wrt=wrt)
    for name, value in first.at.items():
        _scalar(name, value)
    variables = tuple(dict.fromkeys(first.wrt))
    derivatives = None
    if variables:
        derivatives = differentiate(program, variables, variables=first.at, refusal=ELEMENTWISE_ONLY)
    matrix = np.zeros((len(variables), len(variables)))
    warnings = list(first.warnings)
    texts: dict[str, str] = {}
    for i, name in enumerate(variables):
        assert derivatives is not None
        texts[name] = derivatives.programs[name]
        row = _row(parse_program(texts[name]), given, variables)
        matrix[i] = [row.get(other, 0.0) for other in variables]
    if not np.all(np.isfinite(matrix)):
        warnings.append("some second derivatives are not finite")
    return HessianResult(
        source=first.source,
        at=dict(first.at),
        output=first.output_node.name,
        variables=variables,
        value=first.value,
        gradient=dict(first.gradient),
        matrix=matrix,
        derivatives=texts,
        warnings=warnings,
    )


def _row(program: Program, given: Mapping[str, object], variables: tuple[str, ...]) -> dict[str, float]:
    """The gradient of a derivative program: the variables it reads get one, the rest 0."""
    from .evaluation import evaluate

    free = program_names(program).free
    reads = [name for name in variables if name in free]
    # A variable named like a constant (`e`) is read as a variable here too, as in the source.
    bound = {name: given[name] for name in given if name in free}
    result = evaluate(program, bound, wrt=reads, record_steps=False)
    return {name: float(result.gradient[name]) for name in reads}
