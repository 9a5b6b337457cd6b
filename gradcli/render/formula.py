"""The formula printer every renderer shares: one precedence table, two spellings.

`to_text` writes gradcli's own syntax (it parses back: tests rely on that); `to_latex` writes
LaTeX commands only (pdflatex rejects Unicode maths). Formulas are small (a node's definition, a
partial's template), so these functions may recurse.
"""

from __future__ import annotations

from ..expr import COMPARISONS, Array, Binary, Call, Expr, Index, Keyword, Name, Num, Slice, Str, Unary
from .symbols import tex_name

_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "matmul": 2, "neg": 3, "pow": 4}
_PRECEDENCE.update(dict.fromkeys(COMPARISONS, 0))  # looser than + -, and never chained
_ATOM = 5
_TEXT_SYMBOL = {"add": " + ", "sub": " - ", "mul": " * ", "div": "/", "matmul": " @ ", "pow": "^"}
_TEXT_SYMBOL.update({op: f" {symbol} " for op, symbol in COMPARISONS.items()})
_LATEX_COMPARISON = {"lt": " < ", "le": r" \le ", "gt": " > ", "ge": r" \ge ", "eq": " = ", "ne": r" \neq "}


def precedence(expr: Expr) -> int:
    if isinstance(expr, Binary):
        return _PRECEDENCE[expr.op]
    if isinstance(expr, Unary) or (isinstance(expr, Num) and expr.value < 0):
        return _PRECEDENCE["neg"]
    return _ATOM


def _operands(expr: Binary) -> tuple[bool, bool]:
    """Whether the left and the right operand need parentheses."""
    mine = _PRECEDENCE[expr.op]
    if expr.op == "pow":  # right associative; the base must be an atom: (-x)^2, (x^2)^3
        return precedence(expr.left) <= mine, precedence(expr.right) < mine
    if expr.op in COMPARISONS:  # not chained: a comparison inside one is parenthesised
        return precedence(expr.left) <= mine, precedence(expr.right) <= mine
    # A signed right operand is parenthesised even where the grammar would not need it: `a - (-1)`.
    right = precedence(expr.right)
    return precedence(expr.left) < mine, right <= mine or right == _PRECEDENCE["neg"]


def to_text(expr: Expr) -> str:
    if isinstance(expr, Num):
        return expr.text
    if isinstance(expr, Name):
        return expr.name
    if isinstance(expr, Unary):
        inner = to_text(expr.operand)
        wrap = precedence(expr.operand) <= _PRECEDENCE["neg"]
        return ("-" if expr.op == "neg" else "+") + (f"({inner})" if wrap else inner)
    if isinstance(expr, Binary):
        left_wrap, right_wrap = _operands(expr)
        left, right = to_text(expr.left), to_text(expr.right)
        return (
            (f"({left})" if left_wrap else left)
            + _TEXT_SYMBOL[expr.op]
            + (f"({right})" if right_wrap else right)
        )
    if isinstance(expr, Call):
        args = [to_text(a) for a in expr.args] + [_keyword_text(k) for k in expr.keywords]
        return f"{expr.func}({', '.join(args)})"
    if isinstance(expr, Array):
        return "[" + ", ".join(to_text(a) for a in expr.items) + "]"
    if isinstance(expr, Index):
        return f"{_postfix_target(expr.target, to_text)}[{', '.join(to_text(a) for a in expr.indices)}]"
    if isinstance(expr, Str):
        return f'"{expr.value}"'
    if isinstance(expr, Slice):
        parts = [to_text(p) if p is not None else "" for p in (expr.start, expr.stop, expr.step)]
        return ":".join(parts if parts[2] else parts[:2])
    raise TypeError(expr)


def _keyword_text(keyword: Keyword) -> str:
    return f"{keyword.name}={to_text(keyword.value)}"


def _postfix_target(target: Expr, write) -> str:
    """`x[0]`, `(a + b)[0]`: only an atom is indexed without parentheses."""
    text = write(target)
    if precedence(target) < _ATOM:
        return rf"\left({text}\right)" if write is to_latex else f"({text})"
    return text


_LATEX_FUNCTIONS = {
    "exp": r"\exp",
    "log": r"\log",
    "sin": r"\sin",
    "cos": r"\cos",
    "tan": r"\tan",
    "sinh": r"\sinh",
    "cosh": r"\cosh",
    "tanh": r"\tanh",
    "asin": r"\arcsin",
    "acos": r"\arccos",
    "atan": r"\arctan",
    "max": r"\max",
    "min": r"\min",
}


def latex_name(name: str) -> str:
    """A name as a mathematician writes it (render/symbols.tex_name): `w0` → `w_{0}`, `alpha` →
    `\\alpha`, `y_hat` → `\\hat{y}`, `loss` → `\\mathit{loss}`, `pi` → `\\pi`."""
    return r"\pi" if name == "pi" else tex_name(name)


def to_latex(expr: Expr) -> str:
    if isinstance(expr, Num):
        text = expr.text
        if "e" in text or "E" in text:
            mantissa, _, exponent = text.lower().partition("e")
            return rf"{mantissa} \times 10^{{{int(exponent)}}}"
        return text
    if isinstance(expr, Name):
        return latex_name(expr.name)
    if isinstance(expr, Unary):
        inner = to_latex(expr.operand)
        wrap = precedence(expr.operand) <= _PRECEDENCE["neg"]
        return ("-" if expr.op == "neg" else "+") + (rf"\left({inner}\right)" if wrap else inner)
    if isinstance(expr, Binary):
        if expr.op == "div":
            numerator = expr.left
            if isinstance(numerator, Unary) and numerator.op == "neg":  # -a/b is written -\frac{a}{b}
                return rf"-\frac{{{to_latex(numerator.operand)}}}{{{to_latex(expr.right)}}}"
            return rf"\frac{{{to_latex(numerator)}}}{{{to_latex(expr.right)}}}"
        left_wrap, right_wrap = _operands(expr)
        left, right = to_latex(expr.left), to_latex(expr.right)
        if left_wrap:
            left = rf"\left({left}\right)"
        if expr.op == "pow":
            return f"{left}^{{{right}}}"
        if right_wrap:
            right = rf"\left({right}\right)"
        symbol = {"add": " + ", "sub": " - ", "mul": r" \cdot ", "matmul": r" \, ", **_LATEX_COMPARISON}[
            expr.op
        ]
        return left + symbol + right
    if isinstance(expr, Call):
        args = ", ".join([to_latex(a) for a in expr.args] + [_keyword_latex(k) for k in expr.keywords])
        if expr.func == "sqrt":
            return rf"\sqrt{{{args}}}"
        if expr.func == "abs":
            return rf"\left|{args}\right|"
        name = _LATEX_FUNCTIONS.get(expr.func, r"\operatorname{" + expr.func.replace("_", r"\_") + "}")
        return rf"{name}\left({args}\right)"
    if isinstance(expr, Array):
        return r"\left[" + ", ".join(to_latex(a) for a in expr.items) + r"\right]"
    if isinstance(expr, Index):
        target = _postfix_target(expr.target, to_latex)
        if "_" in target or "^" in target:  # v_{3}_{0} is a double subscript: {v_{3}}_{0}
            target = f"{{{target}}}"
        return f"{target}_{{{', '.join(to_latex(a) for a in expr.indices)}}}"
    if isinstance(expr, Str):
        return r"\texttt{" + _latex_text(expr.value) + "}"
    if isinstance(expr, Slice):
        parts = [to_latex(p) if p is not None else "" for p in (expr.start, expr.stop, expr.step)]
        return "{:}".join(parts if parts[2] else parts[:2])
    raise TypeError(expr)


def _keyword_latex(keyword: Keyword) -> str:
    return r"\mathrm{" + keyword.name.replace("_", r"\_") + "}=" + to_latex(keyword.value)


def _latex_text(text: str) -> str:
    """Text for \\texttt: LaTeX's special characters escaped (einsum's `->` is fine as it is)."""
    special = {c: "\\" + c for c in "#$%&_{}"}
    special.update({"\\": r"\textbackslash{}", "^": r"\^{}", "~": r"\~{}"})
    return "".join(special.get(c, c) for c in text)
