"""How the pictures label things: an operation by its operator symbol or function name, a
value node by its name, data and grad."""

from __future__ import annotations

import re

from ..numbers import format_value
from ..ops import OPS
from ..records import NodeRecord


def op_label(op_name: str) -> str:
    op = OPS[op_name]
    if op.name == "pow":
        return "^"
    return op.symbol


def node_fields(node: NodeRecord, digits: int, numbers: bool) -> list[str]:
    """A value node's label lines, unescaped: its name, then `data ...` and `grad ...` when the
    picture shows numbers (no grad where nothing is differentiated through the node)."""
    fields = [node.name]
    if numbers:
        fields.append(f"data {format_value(node.value, digits)}")
        if node.grad is not None:
            fields.append(f"grad {format_value(node.grad, digits)}")
    return fields


# Names as a mathematician writes them (LaTeX maths, never Unicode: pdflatex rejects it).
_GREEK_TEXT = """alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu
nu xi pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega
Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega"""
_GREEK = frozenset(_GREEK_TEXT.split())
# Capitals with no letter of their own in LaTeX are the Latin ones (an upright A, not \Alpha).
_GREEK_CAPITAL_LATIN = {
    "Alpha": "A", "Beta": "B", "Epsilon": "E", "Zeta": "Z", "Eta": "H", "Iota": "I", "Kappa": "K",
    "Mu": "M", "Nu": "N", "Omicron": "O", "Rho": "P", "Tau": "T", "Chi": "X", "omicron": "o",
}  # fmt: skip
_ACCENTS = {word: "\\" + word for word in ("hat", "bar", "tilde", "dot", "ddot", "vec", "check", "breve")}
_WORD_AND_NUMBER = re.compile(r"([A-Za-z]+?)(\d+)")


def _letter(word: str) -> str:
    """One symbol: `x`, `\\alpha`, `\\mathrm{A}` for Alpha; a longer word in italics (`\\mathit{loss}`)."""
    if word in _GREEK:
        return "\\" + word
    if word in _GREEK_CAPITAL_LATIN:
        return r"\mathrm{" + _GREEK_CAPITAL_LATIN[word] + "}"
    return word if len(word) == 1 else r"\mathit{" + word + "}"


def _subscript(part: str) -> str:
    """A subscript: digits and single letters as they are, Greek as Greek, a word upright."""
    if part.isdigit() or len(part) == 1 or part in _GREEK:
        return _letter(part)
    match = _WORD_AND_NUMBER.fullmatch(part)
    if match and len(match.group(1)) == 1:  # x_i1 → x_{i1}
        return part
    return r"\mathrm{" + part + "}"


def literal_tex(name: str) -> str:
    """The name spelled exactly as typed, in italics: the form that tells any two names apart."""
    return r"\mathit{" + name.replace("_", r"\_") + "}"


def tex_name(name: str) -> str:
    """`alpha` → `\\alpha`, `y_hat` → `\\hat{y}`, `x_1`, `x1`, `w0`, `W1` → `x_{1}`…, `theta_2` →
    `\\theta_{2}`, `x_max` → `x_{\\mathrm{max}}`, `loss` → `\\mathit{loss}`. A name that does not
    read as a symbol with accents and subscripts (`_x`, `a__b`) is spelled as it is."""
    parts = name.split("_")
    if not all(parts) or not name.isascii():
        return literal_tex(name)
    base, subscripts = parts[0], []
    match = _WORD_AND_NUMBER.fullmatch(base)
    if match:  # w0, W1, theta2, lr2
        base, subscripts = match.group(1), [match.group(2)]
    if not base.isalpha():
        return literal_tex(name)
    symbol = _letter(base)
    for part in parts[1:]:
        if part in _ACCENTS and not subscripts and len(symbol) < 12 and not symbol.startswith(r"\mathit"):
            symbol = f"{_ACCENTS[part]}{{{symbol}}}"
        elif part.isalnum():
            subscripts.append(_subscript(part))
        else:
            return literal_tex(name)
    return f"{symbol}_{{{','.join(subscripts)}}}" if subscripts else symbol


def tex_names(names) -> dict[str, str]:
    """Each name of one program in LaTeX, unambiguously: names that would typeset alike (`x1` and
    `x_1`, `y_hat` and an accented twin) are each spelled exactly as typed instead."""
    names = list(dict.fromkeys(names))
    typeset = {name: tex_name(name) for name in names}
    seen: dict[str, int] = {}
    for tex in typeset.values():
        seen[tex] = seen.get(tex, 0) + 1
    literal = {literal_tex(name) for name in names}
    return {
        name: literal_tex(name) if seen[tex] > 1 or (tex in literal and tex != literal_tex(name)) else tex
        for name, tex in typeset.items()
    }
