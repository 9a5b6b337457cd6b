"""`gradcli diff`'s outputs: the derivatives as gradcli source (text, JSON), Markdown and LaTeX."""

from __future__ import annotations

import json

from ..expr import Assign, Expr, Name, substitute
from ..records.symbolic import DerivativeProgram, DerivativesRecord
from . import formula
from .formula import latex_name


def program_text(program: DerivativeProgram) -> str:
    """The program in gradcli's language, one statement a line: it parses back."""
    return "\n".join(
        f"{s.name} = {formula.to_text(s.value)}" if isinstance(s, Assign) else formula.to_text(s)
        for s in program.statements()
    )


def to_text(derivatives: DerivativesRecord) -> str:
    return program_text(derivatives.combined) + "\n"


def to_json(derivatives: DerivativesRecord) -> str:
    data: dict = {
        "schema": 1,
        "source": derivatives.source,
        "output": derivatives.output,
        "wrt": {name: program_text(program) for name, program in derivatives.programs.items()},
        "program": program_text(derivatives.combined),
    }
    if derivatives.arrays:  # the formulas hold for these shapes (keys are only ever added)
        data["shapes"] = {name: list(shape) for name, shape in derivatives.shapes.items()}
    data["warnings"] = list(derivatives.warnings)
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


def _latex_lines(derivatives: DerivativesRecord) -> list[tuple[str, str]]:
    """(left side, right side) pairs in LaTeX: named terms, then ∂output/∂x."""
    out = latex_name(derivatives.output)
    combined = derivatives.combined

    def partial(of: str) -> str:
        return rf"\frac{{\partial {out}}}{{\partial {latex_name(of)}}}"

    # Adjoint names (`d_c`) read as what they are, ∂h/∂c: printed through placeholder names
    # no program uses, then swapped for the LaTeX.
    special = {b.name: partial(b.adjoint_of) for b in combined.bindings if b.adjoint_of}
    used = {b.name for b in combined.bindings} | set(derivatives.wrt)
    mapping: dict[str, Expr] = {}
    replace: dict[str, str] = {}
    for k, (name, latex) in enumerate(special.items()):
        slot = "gradcliadjoint" + "".join(chr(ord("a") + int(d)) for d in str(k))
        while slot in used:
            slot += "z"
        mapping[name] = Name(slot)
        replace[rf"\mathit{{{slot}}}"] = latex

    def show(expr: Expr) -> str:
        text = formula.to_latex(substitute(expr, mapping) if mapping else expr)
        for placeholder, latex in replace.items():
            text = text.replace(placeholder, latex)
        return text

    lines = [(special.get(b.name) or latex_name(b.name), show(b.expr)) for b in combined.bindings]
    lines += [(partial(variable), show(expr)) for variable, _, expr in combined.results]
    return lines


def to_latex(derivatives: DerivativesRecord, standalone: bool = False) -> str:
    rows = " \\\\\n".join(f"{left} &= {right}" for left, right in _latex_lines(derivatives))
    body = "\\begin{align*}\n" + rows + "\n\\end{align*}\n"
    body += "".join(f"% warning: {w}\n" for w in derivatives.warnings)
    if not standalone:
        return body
    from .latex import standalone_document

    return standalone_document(body)


def to_markdown(derivatives: DerivativesRecord) -> str:
    lines = ["### Derivatives", "", *markdown_source(derivatives.source), ""]
    if derivatives.arrays:
        shapes = ", ".join(f"`{name}` {_shape(shape)}" for name, shape in derivatives.shapes.items())
        lines += [f"Written for the shapes {shapes}.", ""]
    lines += [f"- ${left} = {right}$" for left, right in _latex_lines(derivatives)]
    lines += ["", "In gradcli's language (`gradcli eval` reads it back):", "", "```"]
    lines += [program_text(derivatives.combined), "```"]
    lines += [f"- warning: {w}" for w in derivatives.warnings]
    return "\n".join(lines) + "\n"


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape)) if shape else "(a number)"


def markdown_source(source: str) -> list[str]:
    """The source as inline code, or as a code block when it has several lines or a backtick."""
    if "\n" in source.strip() or "`" in source:
        return ["Source:", "", "```", source.strip(), "```"]
    return [f"Source: `{source}`"]
