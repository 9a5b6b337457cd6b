"""`--format latex`: an `align*`/`longtable` fragment; `--standalone` wraps it in a document.

Only LaTeX commands, never Unicode maths (pdflatex rejects it), and only packages Debian's
texlive-latex-base has (amsmath, longtable, geometry).
"""

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

_PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[margin=2cm]{geometry}
\usepackage{amsmath}
\usepackage{longtable}
\begin{document}
"""


def number(value, digits: int) -> str:
    """A value in LaTeX maths: `1.2e-5` → `1.2 \\times 10^{-5}`, arrays as [a, b]."""
    if value is None:
        return r"\text{--}"
    text = format_value(value, digits)
    out = []
    for token in text.replace("[", " [ ").replace("]", " ] ").replace(",", " , ").split():
        if "e" in token and token not in ("inf", "-inf", "nan"):
            mantissa, exponent = token.split("e")
            token = rf"{mantissa} \times 10^{{{exponent}}}"
        elif token in ("inf", "-inf"):
            token = token.replace("inf", r"\infty")
        elif token == "nan":
            token = r"\mathrm{NaN}"
        elif token in ("[", "]"):
            token = r"\left" + token if token == "[" else r"\right" + token
        out.append(token)
    return _summary_in_maths(" ".join(out).replace(" , ", ", "))


# A big array is summarised as `<5×5 array: 1, 2, 3, … min 0, max 9>` (numbers.format_value):
# in maths mode its words and signs need LaTeX of their own, or pdflatex stops at `×`.
_SUMMARY_SIGNS = (
    ("<", r"\langle "),
    (">", r" \rangle"),
    ("×", r" \times "),
    ("…", r"\ldots"),
    (" array:", r"\ \text{array:}"),
    (" min ", r"\ \text{min}\ "),
    (" max ", r"\ \text{max}\ "),
)


def _summary_in_maths(text: str) -> str:
    if not text.startswith("<"):
        return text
    for sign, latex in _SUMMARY_SIGNS:
        text = text.replace(sign, latex)
    return text


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


def _d(top: str, bottom: str) -> str:
    return rf"\frac{{\partial {latex_name(top)}}}{{\partial {latex_name(bottom)}}}"


def _d_inline(top: str, bottom: str) -> str:
    return rf"\partial {latex_name(top)}/\partial {latex_name(bottom)}"


def _math_name(name: str) -> str:
    return f"${latex_name(name)}$"


def render(
    derivation: DerivationRecord,
    digits: int = 4,
    brief: bool = False,
    standalone: bool = False,
    paths: bool = False,
) -> str:
    out = derivation.output_node.name
    num = lambda v: number(v, digits)  # noqa: E731
    parts: list[str] = []
    if not brief:
        parts += [r"\paragraph{Forward pass}", r"\begin{align*}"]
        rows = []
        for row in forward_rows(derivation):
            node = row.node
            name = latex_name(node.name)
            if row.definition is not None:
                line = rf"{name} &= {to_latex(row.definition)} = {num(node.value)}"
            else:
                line = rf"{name} &= {num(node.value)} && \text{{{node.role}}}"
            if row.is_output:
                line += r" && \text{output}"
            if node.kink:
                line += r" && \text{kink}"
            rows.append(line)
        parts += [" \\\\\n".join(rows), r"\end{align*}", ""]

        parts += [r"\paragraph{Backward pass} Start: $" + _d_inline(out, out) + " = 1$.", ""]
        if derivation.steps:
            parts += [
                r"\begin{longtable}{rlllll}",
                r"step & edge & local derivative & local & $\times$ upstream & $=$ contribution \\ \hline",
            ]
            for row in backward_rows(derivation):
                if isinstance(row, StepRow):
                    of, wrt = latex_name(row.of.name), latex_name(row.wrt.name)
                    grad_times = latex_name(derivation.upstream_name) + r" \cdot "
                    kink = r" \text{ (kink)}" if row.of.kink else ""
                    parts.append(
                        rf"{row.number} & ${of} \to {wrt}${_operand(row)} & "
                        rf"${local_label(row, _d_inline, to_latex(row.formula), grad_times)}{kink}$ & "
                        rf"${num(row.local)}$ & ${num(row.step.upstream)}$ & "
                        rf"${num(row.step.contribution)}$ \\"
                    )
                else:
                    terms = signed_sum([num(s.contribution) for s in row.steps])
                    parts.append(
                        rf" & \multicolumn{{5}}{{l}}{{sum at ${latex_name(row.node.name)}$ "
                        rf"({_math_name(row.node.name)} feeds {feeds_phrase(row, _math_name)}): "
                        rf"${_d_inline(out, row.node.name)} = {terms} = {num(row.node.grad)}$}} \\"
                    )
            parts += [r"\end{longtable}", ""]
        else:
            parts += [_text(no_steps_reason(derivation)), ""]
        if paths:
            parts += _paths(derivation, digits)

    parts += [r"\paragraph{Result}", r"\begin{align*}", rf"{latex_name(out)} &= {num(derivation.value)}"]
    parts[-1] += "".join(r" \\" + "\n" + rf"{_d(out, n)} &= {num(g)}" for n, g in derivation.gradient.items())
    parts += [r"\end{align*}"]
    notes = [rf"kink at ${latex_name(n.name)}$: {_text(n.kink or '')}" for n in kinks(derivation)]
    notes += [rf"warning: {_text(w)}" for w in derivation.warnings]
    if notes:
        parts += [r"\begin{itemize}", *(rf"\item {note}" for note in notes), r"\end{itemize}"]
    body = "\n".join(parts) + "\n"
    return standalone_document(body) if standalone else body


def _operand(row: StepRow) -> str:
    """` (2nd factor)` after an edge into one of two arguments that are the same node."""
    return f" ({row.operand})" if row.operand else ""


def standalone_document(body: str) -> str:
    """A whole document around a fragment: the one preamble every LaTeX output of gradcli uses."""
    return _PREAMBLE + body + "\\end{document}\n"


def _paths(derivation: DerivationRecord, digits: int) -> list[str]:
    out = derivation.output_node.name
    more = lambda n: rf" + \dots \text{{ ({n} more paths)}}"  # noqa: E731
    mark = lambda partial, operand: rf"{partial}\,[\text{{{operand}}}]"  # noqa: E731
    lines = path_lines(derivation, _d, lambda v: number(v, digits), r" \cdot ", more, mark)
    rows = [
        rf"{_d(out, line.variable)} &= {line.symbolic} \\" + "\n" + rf"&= {line.numeric} = {line.gradient}"
        for line in lines
    ]
    return [
        r"\paragraph{Chain rule along every path}",
        r"\begin{align*}",
        " \\\\\n".join(rows),
        r"\end{align*}",
        "",
    ]
