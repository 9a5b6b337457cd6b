"""Forward mode's tangent trace, row by row, before a format spells it out (as `layout.py` does
for the backward pass), and its LaTeX section.

The layout is Baydin et al.'s Table 2 ("Automatic Differentiation in Machine Learning: a Survey",
JMLR 2018) as two tables one after the other: the forward pass (the primal trace) and then the
tangent trace, each node's tangent beside the formula Σ local · input's tangent and its numbers.
Two tables side by side would not fit 80 columns once formulas grow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..expr import Expr
from ..numbers import format_value
from ..records import DerivationRecord, NodeRecord
from ..records.tangents import TangentTermRecord, TangentTrace, dotted, tangent_formula
from .formula import latex_name, to_latex
from .latex_values import number as latex_number
from .layout import signed_sum

dotted_name = dotted  # the tangent's name: `x1` → `ẋ1`


@dataclass(frozen=True)
class TangentLine:
    node: NodeRecord
    formula: Expr | None  # Σ local · input's tangent; None for an input
    terms: tuple[TangentTermRecord, ...]
    tangent: np.ndarray
    seeded: bool  # the input whose tangent is the seed
    is_output: bool


def seed_text(trace: TangentTrace, spell: Callable[[str], str] = dotted) -> str:
    """`ẋ1 = 1`; `ẋ[0] = 1 (other elements 0)` for an array."""
    name = spell(trace.variable)
    if trace.element is None:
        return f"{name} = 0 (an empty array: no element to seed)"
    if not trace.element:
        return f"{name} = 1"
    index = ", ".join(str(i) for i in trace.element)
    return f"{name}[{index}] = 1"


def _others_zero(trace: TangentTrace) -> str:
    return "every other element and input 0" if trace.element else "every other input's tangent 0"


def trace_title(derivation: DerivationRecord, spell: Callable[[str], str] = dotted) -> str:
    """`seed ẋ1 = 1, every other input's tangent 0: v̇5 = ∂v5/∂x1`, the same in every format."""
    trace = derivation.tangents
    assert trace is not None
    out = derivation.output_node.name
    element = f"[{', '.join(str(i) for i in trace.element)}]" if trace.element else ""
    return (
        f"seed {seed_text(trace, spell)}, {_others_zero(trace)}: "
        f"{spell(out)} = ∂{out}/∂{trace.variable}{element}"
    )


def trace_notes(derivation: DerivationRecord) -> list[str]:
    """Why there is no backward pass, and which variable the trace follows among several."""
    trace = derivation.tangents
    assert trace is not None
    notes = [NO_BACKWARD]
    others = [name for name in trace.wrt if name != trace.variable]
    if others:
        first, other = trace.variable, others[0]
        notes.append(
            f"The trace follows {first}, the first variable differentiated; --wrt {other} shows {other}'s."
        )
    return notes


NO_BACKWARD = "No backward pass: forward mode computed the gradients (see --mode reverse)."


def _shown(node: NodeRecord) -> bool:
    """Every node but plain literals (as `layout.forward_rows`: a `2` has tangent 0)."""
    return not (node.op == "const" and (node.name[0].isdigit() or node.name[0] in ".-"))


def count_lines(derivation: DerivationRecord) -> int:
    """How many lines `tangent_lines` gives, without building their formulas."""
    trace = derivation.tangents
    assert trace is not None
    return sum(1 for row in trace.rows if _shown(derivation.nodes[row.node]))


def tangent_lines(
    derivation: DerivationRecord,
    spell: Callable[[str], str] = dotted,
    jacobian: Callable[[str, str], str] | None = None,
    limit: int | None = None,
) -> list[TangentLine]:
    """The trace's lines, the first `limit` of them if given (formulas are built for those only)."""
    trace = derivation.tangents
    assert trace is not None
    seeded = derivation.variables.get(trace.variable)
    lines: list[TangentLine] = []
    extra = {} if jacobian is None else {"jacobian": jacobian}
    for row in trace.rows:
        node = derivation.nodes[row.node]
        if not _shown(node):
            continue
        if limit is not None and len(lines) >= limit:
            break
        formula = tangent_formula(derivation, row, spell, **extra)
        lines.append(
            TangentLine(
                node, formula, row.terms, row.tangent, node.id == seeded, node.id == derivation.output
            )
        )
    return lines


def input_text(line: TangentLine) -> str:
    """What stands in the formula column of an input: the seed, or why its tangent is 0."""
    if line.seeded:
        return "seed"
    return "0 (a constant)" if line.node.op == "const" else "0 (not seeded)"


def terms_text(
    line: TangentLine,
    digits: int,
    times: str = " × ",
    number: Callable[[object, int], str] = format_value,
) -> str:
    """`0.5 × 1`; `5 × 1 + 2 × 0`; `1 × 5.5 - 1 × 0` (local × input's tangent for each term);
    a Jacobian-vector product (`@`, `sum`, softmax: no elementwise local) shows its result alone
    (`[1, 0] + [0, 0]` for `Ẇ @ x + W @ ẋ`). `number(value, digits)` writes a value in the
    format at hand."""

    def factor(value) -> str:
        text = number(value, digits)
        return f"({text})" if text.startswith("-") else text

    parts = []
    for term in line.terms:
        if term.local is None:
            parts.append(number(term.product, digits))
        else:
            parts.append(f"{number(term.local, digits)}{times}{factor(term.tangent)}")
    return signed_sum(parts) if parts else ""


def latex_dotted(name: str) -> str:
    """`\\dot{x}_{1}` for x1, `\\dot{v}_{3}`, `\\dot{\\mathit{loss}}`: the dot over the letter, not
    over its subscript."""
    text = latex_name(name)
    head, sep, tail = text.partition("_")
    return rf"\dot{{{head}}}{sep}{tail}"


def latex_lines(derivation: DerivationRecord) -> list[tuple[TangentLine, str | None]]:
    """The trace's lines with their formulas in LaTeX (`\\dot{x}_{1}/x_{1}`); None for an input."""
    marks: dict[str, str] = {}

    def spell(name: str) -> str:  # a stand-in name, replaced by \dot{...} once typeset
        mark = f"tangentmark{len(marks)}"
        marks[latex_name(mark)] = latex_dotted(name)
        return mark

    def jacobian(of: str, wrt: str) -> str:
        mark = f"jacobianmark{len(marks)}"
        marks[latex_name(mark)] = rf"\partial {latex_name(of)}/\partial {latex_name(wrt)}"
        return mark

    def math(expr: Expr | None) -> str | None:
        if expr is None:
            return None
        text = to_latex(expr)
        for mark in sorted(marks, key=len, reverse=True):
            # an indexed tangent (`v̇3[0]` is `{v̇_3}_0`): `{}` keeps TeX from reading a double subscript
            text = text.replace("{" + mark + "}_", "{" + marks[mark] + "{}}_").replace(mark, marks[mark])
        return text

    return [(line, math(line.formula)) for line in tangent_lines(derivation, spell, jacobian)]


def latex_seed_sentence(derivation: DerivationRecord) -> str:
    """`Forward mode: seed $\\dot{x}_{1} = 1$, ...`: the title's facts, its symbols in `$...$`."""
    trace = derivation.tangents
    assert trace is not None
    out = derivation.output_node.name
    element = "[" + ", ".join(str(i) for i in trace.element) + "]" if trace.element else ""
    seed = "0" if trace.element is None else "1"
    return (
        f"Forward mode: seed ${latex_dotted(trace.variable)}{element} = {seed}$"
        + f", {_others_zero(trace)}, so ${latex_dotted(out)} = "
        rf"\partial {latex_name(out)}/\partial {latex_name(trace.variable)}{element}$."
    )


def latex_tangent_section(derivation: DerivationRecord, digits: int) -> list[str]:
    """The tangent trace as LaTeX lines (a `\\paragraph`, the seed, a `longtable`), for
    `render/latex.py` to put in place of its "Backward pass" paragraph when
    `derivation.tangents` is set (forward mode); [] without a trace."""
    trace = derivation.tangents
    if trace is None:
        return []
    rows = [
        # \sloppy: a long variable name in the sentence's maths stretches the spaces, not the margin
        r"\paragraph{Tangent trace} {\sloppy "
        + latex_seed_sentence(derivation)
        + _latex_others(trace)
        + r"\par}",
        "",
        r"\begin{longtable}{lp{0.62\linewidth}l}",  # a long formula wraps at its operators
        r"tangent & $= \sum$ local $\times$ input's tangent & value \\ \hline \noalign{\vskip 3pt}",
    ]
    for line, formula in latex_lines(derivation):
        if formula is None:
            cell = input_text(line)
        else:
            numbers = terms_text(line, digits, r" \times ", latex_number)
            cell = f"${formula}" + (f" = {numbers}$" if numbers else "$")
        value = latex_number(line.tangent, digits)
        value = rf"$\mathbf{{{value}}}$" if line.is_output else f"${value}$"
        row = f"${latex_dotted(line.node.name)}$ & {cell} & {value} \\\\"
        rows.append(row + "[6pt]" if "matrix" in row else row)  # room between tall rows
    return [*rows, r"\end{longtable}", "", NO_BACKWARD.replace("--", "-{}-"), ""]


def _latex_others(trace: TangentTrace) -> str:
    others = [name for name in trace.wrt if name != trace.variable]
    if not others:
        return ""
    option = r"\texttt{-{}-wrt " + others[0].replace("_", r"\_") + "}"
    return (
        f" The trace follows the first variable differentiated; {option} shows ${latex_name(others[0])}$'s."
    )
