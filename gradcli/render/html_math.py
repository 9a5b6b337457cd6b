"""Formulas as MathML for the HTML page: the walk over gradcli's Expr trees that render/formula.py
makes for text and LaTeX, spelled in MathML Core (browsers render it natively).

Every name, number and string is escaped here, so no text of the user's can become markup.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape as _escape

from ..expr import COMPARISONS, Array, Binary, Call, Expr, Index, Keyword, Name, Num, Slice, Str, Unary
from .formula import precedence, to_text
from .symbols import literal_tex, tex_name

_GREEK_NAMES = """alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho
sigma tau upsilon phi chi psi omega"""
_GREEK = dict(
    zip(
        _GREEK_NAMES.split(),
        "αβγδεζηθικλμνξοπρστυφχψω",
        strict=True,
    )
)
_GREEK.update({name.capitalize(): letter.upper() for name, letter in _GREEK.items()})
_GREEK.update({"varepsilon": "ε", "vartheta": "ϑ", "varphi": "φ", "varpi": "ϖ", "varrho": "ϱ"})
_ACCENTS = {"hat": "^", "bar": "¯", "tilde": "~", "dot": "˙", "ddot": "¨", "vec": "→", "check": "ˇ"}
_WORD_AND_NUMBER = re.compile(r"([A-Za-z]+?)(\d+)")
_OPERATOR = {"add": "+", "sub": "−", "mul": "·", "div": "/", "matmul": "", "pow": "^"}
_OPERATOR.update({"lt": "<", "le": "≤", "gt": ">", "ge": "≥", "eq": "=", "ne": "≠"})
_PRECEDENCE_NEG = precedence(Unary("neg", Name("x")))
_SPECIAL = re.compile("[<>&\"']")


def escape(text: str) -> str:
    """html.escape (quotes too), skipped for text with nothing to escape: most names and numbers."""
    return _escape(text) if _SPECIAL.search(text) else text


def mo(text: str) -> str:
    return f"<mo>{escape(text)}</mo>"


def _letters(word: str) -> str:
    if word in _GREEK:
        return f"<mi>{_GREEK[word]}</mi>"
    variant = "" if len(word) == 1 else ' mathvariant="italic"'
    return f"<mi{variant}>{escape(word)}</mi>"


def _subscript(part: str) -> str:
    if part.isdigit():
        return f"<mn>{part}</mn>"
    if len(part) == 1 or part in _GREEK:
        return _letters(part)
    return f'<mi mathvariant="normal">{escape(part)}</mi>'


@lru_cache(maxsize=4096)
def name_ml(name: str) -> str:
    """A name as render/symbols.tex_name typesets it: `w0` → w₀, `alpha` → α, `y_hat` → ŷ,
    `x_max` → x with an upright subscript; a name that reads as no symbol is spelled as typed."""
    if not name.isascii() or tex_name(name) == literal_tex(name):
        return f'<mi mathvariant="italic">{escape(name)}</mi>'
    parts = name.split("_")
    base, subscripts = parts[0], []
    match = _WORD_AND_NUMBER.fullmatch(base)
    if match:
        base, subscripts = match.group(1), [match.group(2)]
    symbol = _letters(base)
    for part in parts[1:]:
        if part in _ACCENTS and not subscripts:
            symbol = f'<mover accent="true">{symbol}<mo>{escape(_ACCENTS[part])}</mo></mover>'
        else:
            subscripts.append(part)
    if not subscripts:
        return symbol
    marks = mo(",").join(_subscript(part) for part in subscripts)
    return f"<msub>{symbol}<mrow>{marks}</mrow></msub>"


def _fence(text: str) -> str:
    return f'<mo lspace="0" rspace="0">{escape(text)}</mo>'


def _paren(inner: str, left: str = "(", right: str = ")") -> str:
    return f"<mrow>{_fence(left)}{inner}{_fence(right)}</mrow>"


def to_mathml(expr: Expr) -> str:
    """The formula's MathML content (the inside of a <math> element)."""
    if isinstance(expr, Num):
        text = expr.text
        if "e" in text.lower():
            mantissa, _, exponent = text.lower().partition("e")
            power = f"<msup><mn>10</mn><mn>{escape(str(int(exponent)))}</mn></msup>"
            return f"<mrow><mn>{escape(mantissa)}</mn>{mo('×')}{power}</mrow>"
        return f"<mn>{escape(text)}</mn>"
    if isinstance(expr, Name):
        return "<mi>π</mi>" if expr.name == "pi" else name_ml(expr.name)
    if isinstance(expr, Unary):
        inner = to_mathml(expr.operand)
        if precedence(expr.operand) <= _PRECEDENCE_NEG:
            inner = _paren(inner)
        return f"<mrow>{mo('−' if expr.op == 'neg' else '+')}{inner}</mrow>"
    if isinstance(expr, Binary):
        return _binary(expr)
    if isinstance(expr, Call):
        return _call(expr)
    if isinstance(expr, Array):
        return _paren(mo(",").join(to_mathml(item) for item in expr.items), "[", "]")
    if isinstance(expr, Index):
        target = to_mathml(expr.target)
        if precedence(expr.target) < precedence(Name("x")):
            target = _paren(target)
        indices = mo(",").join(to_mathml(index) for index in expr.indices)
        return f"<msub>{target}<mrow>{indices}</mrow></msub>"
    if isinstance(expr, Str):
        return f"<ms>{escape(expr.value)}</ms>"
    if isinstance(expr, Slice):
        parts = [to_mathml(p) if p is not None else "" for p in (expr.start, expr.stop, expr.step)]
        return "<mrow>" + mo(":").join(parts if parts[2] else parts[:2]) + "</mrow>"
    raise TypeError(expr)


def _binary(expr: Binary) -> str:
    if expr.op == "div":
        return f"<mfrac><mrow>{to_mathml(expr.left)}</mrow><mrow>{to_mathml(expr.right)}</mrow></mfrac>"
    mine = precedence(expr)
    left, right = to_mathml(expr.left), to_mathml(expr.right)
    if expr.op == "pow":
        if precedence(expr.left) <= mine:
            left = _paren(left)
        return f"<msup>{left}<mrow>{right}</mrow></msup>"
    strict = expr.op in COMPARISONS
    if precedence(expr.left) < mine or (strict and precedence(expr.left) <= mine):
        left = _paren(left)
    right_level = precedence(expr.right)
    if right_level <= mine or right_level == _PRECEDENCE_NEG:
        right = _paren(right)
    symbol = _OPERATOR[expr.op]
    return f"<mrow>{left}{mo(symbol) if symbol else ''}{right}</mrow>"


def _keyword(keyword: Keyword) -> str:
    name = f'<mi mathvariant="normal">{escape(keyword.name)}</mi>'
    return f"<mrow>{name}{mo('=')}{to_mathml(keyword.value)}</mrow>"


def _call(expr: Call) -> str:
    args = mo(",").join([to_mathml(a) for a in expr.args] + [_keyword(k) for k in expr.keywords])
    if expr.func == "sqrt":
        return f"<msqrt>{args}</msqrt>"
    if expr.func == "abs":
        return _paren(args, "|", "|")
    name = {"asin": "arcsin", "acos": "arccos", "atan": "arctan"}.get(expr.func, expr.func)
    return f'<mrow><mi mathvariant="normal">{escape(name)}</mi>{_paren(args)}</mrow>'


def math(content: str, expr_text: str = "") -> str:
    """A <math> element; with the formula's text (gradcli's syntax) as its alttext."""
    if not expr_text:
        return f"<math>{content}</math>"
    return f'<math alttext="{escape(expr_text)}">{content}</math>'


def formula(expr: Expr, text: str | None = None) -> str:
    """A formula as MathML, its text form (gradcli's own syntax, `text` if known) as alttext; the
    page shows that text instead with "formulas as text", for copying."""
    return math(to_mathml(expr), to_text(expr) if text is None else text)


def partial(top: str, bottom: str) -> str:
    """∂top/∂bottom."""
    return f"<mfrac><mrow>{mo('∂')}{name_ml(top)}</mrow><mrow>{mo('∂')}{name_ml(bottom)}</mrow></mfrac>"
