"""`--format markdown`: GitHub-flavoured tables with `$...$` maths (renders on GitHub and in Jupyter)."""

from __future__ import annotations

from ..numbers import format_value
from ..records import DerivationRecord
from .formula import latex_name, to_latex
from .layout import (
    StepRow,
    backward_rows,
    feeds_phrase,
    forward_rows,
    kinks,
    local_label,
    no_steps_reason,
    path_lines,
    signed_sum,
)
from .tangents import input_text, latex_dotted, latex_lines, latex_seed_sentence, terms_text, trace_notes


def _math(text: str) -> str:
    return f"${text}$"


def _d(top: str, bottom: str) -> str:
    return rf"\partial {latex_name(top)}/\partial {latex_name(bottom)}"


def _cell(text: str) -> str:
    # A '|' would end the cell; the LaTeX written here never needs one.
    return text.replace("|", r"\|")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def render(derivation: DerivationRecord, digits: int = 4, brief: bool = False, paths: bool = False) -> str:
    out = derivation.output_node.name
    value = lambda v: format_value(v, digits)  # noqa: E731
    lines: list[str] = []
    if not brief:
        rows = []
        for row in forward_rows(derivation):
            node = row.node
            name = _math(latex_name(node.name))
            definition = _math(to_latex(row.definition)) if row.definition is not None else node.role
            note = "output" if row.is_output else ""
            if node.kink:
                note = (note + ", " if note else "") + "kink"
            shown = format_value(node.value, row.digits(digits))
            rows.append([f"**{name}**" if row.is_output else name, definition, shown, note])
        lines += ["### Forward pass", "", *_table(["node", "definition", "value", ""], rows), ""]

        if derivation.tangents is not None:
            lines += _tangents(derivation, digits)
        else:
            lines += _backward(derivation, digits)
        if paths:
            lines += _paths(derivation, digits)

    lines += ["### Result", "", f"{_math(latex_name(out))} = {value(derivation.value)}", ""]
    if derivation.gradient:
        rows = [[_math(_d(out, name)), value(grad)] for name, grad in derivation.gradient.items()]
        lines += [*_table(["gradient", "value"], rows), ""]
    for node in kinks(derivation):
        lines.append(f"- kink at {_math(latex_name(node.name))}: {node.kink}")
    lines += [f"- warning: {w}" for w in derivation.warnings]
    return "\n".join(lines).rstrip() + "\n"


def _tangents(derivation: DerivationRecord, digits: int) -> list[str]:
    """Forward mode's tangent trace in place of the backward pass (render/tangents.py)."""
    rows = []
    for line, formula in latex_lines(derivation):
        tangent = _math(latex_dotted(line.node.name))
        if formula is None:
            cell, numbers = input_text(line), ""
        else:
            cell, numbers = _math(formula), terms_text(line, digits)
        number = format_value(line.tangent, digits)
        rows.append(
            [
                _math(latex_name(line.node.name)),
                tangent,
                cell,
                numbers,
                f"**{number}**" if line.is_output else number,
            ]
        )
    header = ["node", "tangent", "= Σ local · input's tangent", "local × tangent", "value"]
    sentence = latex_seed_sentence(derivation)
    notes = [part for note in trace_notes(derivation) for part in (note, "")]
    return ["### Tangent trace", "", sentence, "", *_table(header, rows), "", *notes]


def _backward(derivation: DerivationRecord, digits: int) -> list[str]:
    out = derivation.output_node.name
    value = lambda v: format_value(v, digits)  # noqa: E731
    lines = ["### Backward pass", "", f"Start: {_math(_d(out, out) + ' = 1')}.", ""]
    rows = []
    for row in backward_rows(derivation):
        if isinstance(row, StepRow):
            edge = _math(rf"{latex_name(row.of.name)} \to {latex_name(row.wrt.name)}")
            edge += f" ({row.operand})" if row.operand else ""
            grad_times = latex_name(derivation.upstream_name) + r" \cdot "
            local = _math(local_label(row, _d, to_latex(row.formula), grad_times))
            rows.append(
                [
                    str(row.number),
                    edge,
                    local + (" (kink)" if row.of.kink else ""),
                    value(row.local),
                    value(row.step.upstream),
                    value(row.step.contribution),
                ]
            )
        else:
            terms = signed_sum([value(s.contribution) for s in row.steps])
            feeds = feeds_phrase(row, lambda n: _math(latex_name(n)))
            name = _math(latex_name(row.node.name))
            rows.append(
                [
                    "",
                    f"**sum at {name}**",
                    f"{name} feeds {feeds}: {_math(f'{_d(out, row.node.name)} = {terms}')}",
                    "",
                    "",
                    f"**{value(row.node.grad)}**",
                ]
            )
    if rows:
        header = ["step", "edge", "local derivative", "local", "× upstream", "= contribution"]
        lines += [*_table(header, rows), ""]
    else:
        lines += [no_steps_reason(derivation), ""]
    return lines


def _paths(derivation: DerivationRecord, digits: int) -> list[str]:
    out = derivation.output_node.name
    lines = ["### Chain rule along every path", ""]
    more = lambda n: rf" + \dots\ ({n}\ \text{{more paths}})"  # noqa: E731
    mark = lambda partial, operand: rf"{partial}\,[\text{{{operand}}}]"  # noqa: E731
    for line in path_lines(derivation, _d, lambda v: format_value(v, digits), r" \cdot ", more, mark):
        lines.append(
            f"- {_math(f'{_d(out, line.variable)} = {line.symbolic} = {line.numeric} = {line.gradient}')}"
        )
    return [*lines, ""]
