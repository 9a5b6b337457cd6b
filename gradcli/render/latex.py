"""`--format latex`: an `align*`/`longtable` fragment; `--standalone` wraps it in a document.

Only LaTeX commands, never Unicode maths (pdflatex rejects it), and only packages Debian's
texlive-latex-base has (amsmath, longtable, geometry).

Layout: the backward pass is a table (step, edge, local derivative, local, × upstream,
= contribution) when every value is a number and every row fits the page; otherwise it is one
block a step, each quantity on a line of its own, so that no matrix is ever cut at the margin.
Arrays are `bmatrix`es, 1-D ones columns (latex_values says why); names are typeset as a
mathematician writes them (symbols.tex_names).
"""

from __future__ import annotations

import re

import numpy as np

from ..expr import Expr, Name, substitute
from ..numbers import format_value
from ..records import DerivationRecord
from .formula import to_latex, to_text
from .latex_values import PAGE_EM, is_scalar, parts, text_em, width
from .latex_values import number as number
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
from .symbols import tex_name, tex_names
from .tangents import latex_tangent_section

_PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[margin=2cm]{geometry}
\usepackage{amsmath}
\usepackage{longtable}
\allowdisplaybreaks
\begin{document}
"""


def _text(text: str) -> str:
    """Plain words inside \\text{...}: escape what LaTeX treats specially."""
    for char, escaped in (
        ("\\", r"\textbackslash{}"),
        ("_", r"\_"),
        ("%", r"\%"),
        ("&", r"\&"),
        ("#", r"\#"),
    ):
        text = text.replace(char, escaped)
    return text.replace("^", r"\^{}").replace("$", r"\$").replace("{", r"\{").replace("}", r"\}")


_PLACEHOLDER = re.compile(r"\\mathit\{(gcname[a-z]+)\}(_\{)?")


class _Doc:
    """One derivation's names (typeset once for the whole program, unambiguously) and digits."""

    def __init__(self, derivation: DerivationRecord, digits: int) -> None:
        self.derivation = derivation
        self.digits = digits
        self.names = tex_names([*(node.name for node in derivation.nodes), derivation.upstream_name])
        self.placeholders = {name: f"gcname{_letters(k)}" for k, name in enumerate(self.names)}
        self.by_placeholder = {ph: self.names[name] for name, ph in self.placeholders.items()}
        self.as_placeholders = {name: Name(ph) for name, ph in self.placeholders.items()}

    def name(self, name: str) -> str:
        return self.names.get(name) or tex_name(name)

    def num(self, value) -> str:
        return number(value, self.digits)

    def lines(self, value, exact: bool = False) -> str:
        """A value in an `align*` row: a matrix too wide for the page goes on over several rows
        (`exact`: every number as given, an input's, not rounded to the document's digits)."""
        shown = None if exact else self.digits
        return " \\\\\n&\\quad ".join(parts(value, shown))

    def formula(self, expr: Expr) -> str:
        """`to_latex` with this document's names: each name goes through a placeholder that
        formula.to_latex leaves alone, then becomes its typeset form (only the names the formula
        holds are looked at: a 10,000-node derivation stays linear)."""
        text = to_latex(substitute(expr, self.as_placeholders))

        def typeset(match: re.Match) -> str:
            tex, subscript = self.by_placeholder[match.group(1)], match.group(2)
            return f"{{{tex}}}_{{" if subscript else tex  # x_{1} indexed: {x_{1}}_{0}

        return _PLACEHOLDER.sub(typeset, text)

    def d(self, top: str, bottom: str) -> str:
        return rf"\frac{{\partial {self.name(top)}}}{{\partial {self.name(bottom)}}}"

    def d_inline(self, top: str, bottom: str) -> str:
        return rf"\partial {self.name(top)}/\partial {self.name(bottom)}"

    def math_name(self, name: str) -> str:
        return f"${self.name(name)}$"


def _letters(k: int) -> str:
    """0 → a, 25 → z, 26 → ba: a placeholder name without digits (digits would be a subscript)."""
    text = ""
    while True:
        text = chr(ord("a") + k % 26) + text
        k //= 26
        if k == 0:
            return text


def render(
    derivation: DerivationRecord,
    digits: int = 4,
    brief: bool = False,
    standalone: bool = False,
    paths: bool = False,
) -> str:
    doc = _Doc(derivation, digits)
    out = derivation.output_node.name
    parts: list[str] = []
    if not brief:
        parts += _forward(doc)
        if derivation.tangents is not None:  # forward mode: the tangent trace, not a backward pass
            parts += latex_tangent_section(derivation, digits)
        else:
            parts += [r"\paragraph{Backward pass} Start: $" + doc.d_inline(out, out) + " = 1$.", ""]
            if not derivation.steps:
                parts += [_text(no_steps_reason(derivation)), ""]
            elif _table_fits(doc):
                parts += _table(doc)
            else:
                parts += _stacked(doc)
        if paths:
            parts += _paths(doc)

    parts += [r"\paragraph{Result}", r"\begin{align*}", rf"{doc.name(out)} &= {doc.num(derivation.value)}"]
    parts[-1] += "".join(
        r" \\" + "\n" + rf"{doc.d(out, n)} &= {doc.lines(g)}" for n, g in derivation.gradient.items()
    )
    parts += [r"\end{align*}"]
    notes = [rf"kink at ${doc.name(n.name)}$: {_text(n.kink or '')}" for n in kinks(derivation)]
    notes += [rf"warning: {_text(w)}" for w in derivation.warnings]
    if notes:
        parts += [r"\begin{itemize}", *(rf"\item {note}" for note in notes), r"\end{itemize}"]
    body = "\n".join(parts) + "\n"
    return standalone_document(body) if standalone else body


def standalone_document(body: str) -> str:
    """A whole document around a fragment: the one preamble every LaTeX output of gradcli uses."""
    return _PREAMBLE + body + "\\end{document}\n"


def _forward(doc: _Doc) -> list[str]:
    """`v_1 &= W_1 x = value`; the value on a line of its own when both do not fit on one."""
    rows = []
    for row in forward_rows(doc.derivation):
        node = row.node
        name = doc.name(node.name)
        notes = "" if row.definition is not None else rf" && \text{{{node.role}}}"
        notes += r" && \text{output}" if row.is_output else ""
        notes += r" && \text{kink}" if node.kink else ""
        if row.definition is None:
            rows.append(rf"{name} &= {doc.lines(node.value, exact=row.digits(doc.digits) is None)}{notes}")
            continue
        definition = doc.formula(row.definition)
        wide = text_em(to_text(row.definition)) + width(node.value, doc.digits) > PAGE_EM - 12
        if wide:
            rows.append(rf"{name} &= {definition}{notes} \\" + "\n" + rf"&= {doc.lines(node.value)}")
        else:
            rows.append(rf"{name} &= {definition} = {doc.num(node.value)}{notes}")
    return [r"\paragraph{Forward pass}", r"\begin{align*}", " \\\\\n".join(rows), r"\end{align*}", ""]


def _label(doc: _Doc, row: StepRow) -> str:
    grad_times = doc.name(doc.derivation.upstream_name) + r" \cdot "
    kink = r" \text{ (kink)}" if row.of.kink else ""
    return local_label(row, doc.d_inline, doc.formula(row.formula), grad_times) + kink


def _table_fits(doc: _Doc) -> bool:
    """The table when every value is a number and every row fits the page (estimated)."""
    for row in backward_rows(doc.derivation):
        if isinstance(row, SumRow):
            terms = sum(width(s.contribution, doc.digits) + 1.5 for s in row.steps)
            if not all(is_scalar(s.contribution) for s in row.steps) or terms + 24 > PAGE_EM:
                return False
            continue
        values = (row.local, row.step.upstream, row.step.contribution)
        if not all(is_scalar(v) for v in values):
            return False
        formula = 9 + text_em(to_text(row.formula))
        if 12 + formula + sum(width(v, doc.digits) for v in values) > PAGE_EM:
            return False
    return True


def _table(doc: _Doc) -> list[str]:
    derivation, out = doc.derivation, doc.derivation.output_node.name
    parts = [
        r"\begin{longtable}{rlllll}",
        r"step & edge & local derivative & local & $\times$ upstream & $=$ contribution \\ \hline",
    ]
    for row in backward_rows(derivation):
        if isinstance(row, StepRow):
            of, wrt = doc.name(row.of.name), doc.name(row.wrt.name)
            parts.append(
                rf"{row.number} & ${of} \to {wrt}${_operand(row)} & ${_label(doc, row)}$ & "
                rf"${doc.num(row.local)}$ & ${doc.num(row.step.upstream)}$ & "
                rf"${doc.num(row.step.contribution)}$ \\"
            )
        else:
            terms = signed_sum([doc.num(s.contribution) for s in row.steps])
            parts.append(
                rf" & \multicolumn{{5}}{{l}}{{sum at ${doc.name(row.node.name)}$ "
                rf"({doc.math_name(row.node.name)} feeds {feeds_phrase(row, doc.math_name)}): "
                rf"${doc.d_inline(out, row.node.name)} = {terms} = {doc.num(row.node.grad)}$}} \\"
            )
    return [*parts, r"\end{longtable}", ""]


def _stacked(doc: _Doc) -> list[str]:
    """One block a step: its edge, then the local derivative, the upstream gradient and the
    contribution each on a line of its own (a product on one line only when it fits)."""
    parts: list[str] = []
    for row in backward_rows(doc.derivation):
        if isinstance(row, StepRow):
            parts += _step_block(doc, row)
        else:
            parts += _sum_block(doc, row)
    return parts


def _step_block(doc: _Doc, row: StepRow) -> list[str]:
    local, digits = row.local, doc.digits
    of, wrt = doc.name(row.of.name), doc.name(row.wrt.name)
    lines = [rf"\text{{local derivative: }} & {_label(doc, row)}"]
    if local is not None and to_text(row.formula) != format_value(local, digits):
        own_line = text_em(to_text(row.formula)) + width(local, digits) + 22 > PAGE_EM
        local = doc.lines(local) if own_line else doc.num(local)
        lines[0] += (" \\\\\n& " if own_line else " ") + f"= {local}"
    lines += _contribution(doc, row)
    return [
        rf"\medskip\noindent Step {row.number}: ${of} \to {wrt}${_operand(row)}",
        *_whole(" \\\\\n".join(lines)),
        "",
    ]


def _operand(row: StepRow) -> str:
    """` (2nd factor)` after an edge into one of two arguments that are the same node."""
    return f" ({row.operand})" if row.operand else ""


def _whole(rows: str) -> list[str]:
    """An `align*` kept on one page with its heading (the standalone preamble lets long ones break)."""
    return [r"{\interdisplaylinepenalty=10000", r"\begin{align*}", rows, r"\end{align*}}"]


def _contribution(doc: _Doc, row: StepRow) -> list[str]:
    """`local ⊙ upstream = contribution` on one line when that is true as written (no axes
    summed away) and fits; else the upstream gradient and the contribution on lines of their own."""
    step, out = row.step, doc.derivation.output_node.name
    local, upstream, contribution = row.local, step.upstream, step.contribution
    d_up, d_local = doc.d(out, row.of.name), doc.d(row.of.name, row.wrt.name)
    result = doc.num(contribution)
    if local is not None and _product_shape(local, upstream) == np.shape(contribution):
        widths = sum(width(v, doc.digits) for v in (local, upstream, contribution))
        if widths + 24 <= PAGE_EM:
            times = r" \odot " if np.ndim(local) and np.ndim(upstream) else r" \cdot "
            factor = doc.num(local)
            factor = f"({factor})" if factor.startswith("-") else factor
            return [
                rf"\text{{contribution: }} & {d_local}{times}{d_up} = "
                rf"{factor}{times}{doc.num(upstream)} = {result}"
            ]
    upstream_name = doc.name(doc.derivation.upstream_name) + " = " if local is None else ""
    summed = r" \quad \text{(summed to the input's shape)}" if local is not None else ""
    return [
        rf"\text{{upstream: }} & {upstream_name}{d_up} = {doc.lines(upstream)}",
        rf"\text{{contribution: }} & {doc.lines(contribution)}{summed}",
    ]


def _product_shape(local, upstream) -> tuple[int, ...] | None:
    try:
        return np.broadcast_shapes(np.shape(local), np.shape(upstream))
    except ValueError:
        return None


def _sum_block(doc: _Doc, row: SumRow) -> list[str]:
    out = doc.derivation.output_node.name
    terms, widths = [], []
    for step in row.steps:  # a term wider than the page goes on over rows of its own
        em = width(step.contribution, doc.digits)
        wide = em > PAGE_EM - 12
        terms.append(doc.lines(step.contribution) if wide else doc.num(step.contribution))
        widths.append(PAGE_EM if wide else em)
    lines = _wrap_terms(rf"{doc.d(out, row.node.name)} &= ", terms, widths)
    lines.append(rf"&= {doc.lines(row.node.grad)}")
    return [
        rf"\medskip\noindent Sum at ${doc.name(row.node.name)}$ "
        rf"({doc.math_name(row.node.name)} feeds {feeds_phrase(row, doc.math_name)}):",
        *_whole(" \\\\\n".join(lines)),
        "",
    ]


def _wrap_terms(first: str, terms: list[str], widths: list[float], room: float = PAGE_EM - 8) -> list[str]:
    """A sum split over lines of the page's width: `lhs &= a + b \\\\ &\\quad + c`."""
    lines, line, used = [], first, 0.0
    for k, (term, em) in enumerate(zip(terms, widths, strict=True)):
        if k and used + em > room:
            lines.append(line)
            line, used = r"&\quad", 2.0
        line += term if k == 0 else f" + {term}"
        used += em + 1.5
    return [*lines, line]


def _latex_em(text: str) -> float:
    """A rough width of a LaTeX maths string: its visible characters, fractions counted once."""
    visible = re.sub(r"\\frac\{([^{}]*)\}\{[^{}]*\}", r"\1", text)
    visible = re.sub(r"\\(partial|cdot|left|right|quad|dots|text)", "x", visible)
    return text_em(re.sub(r"\\[A-Za-z]+|[{}_^\\]", "", visible))


def _paths(doc: _Doc) -> list[str]:
    out = doc.derivation.output_node.name
    more = lambda n: rf" + \dots \text{{ ({n} more paths)}}"  # noqa: E731
    mark = lambda partial, operand: rf"{partial}\,[\text{{{operand}}}]"  # noqa: E731
    lines = path_lines(doc.derivation, doc.d, doc.num, r" \cdot ", more, mark)
    rows = []
    for line in lines:
        symbolic = line.symbolic.split(" + ")
        numeric = line.numeric.split(" + ")
        rows += _wrap_terms(rf"{doc.d(out, line.variable)} &= ", symbolic, [_latex_em(t) for t in symbolic])
        numbers = _wrap_terms("&= ", numeric, [_latex_em(t) for t in numeric])
        numbers[-1] += f" = {line.gradient}"
        rows += numbers
    return [
        r"\paragraph{Chain rule along every path}",
        r"\begin{align*}",
        " \\\\\n".join(rows),
        r"\end{align*}",
        "",
    ]
