"""Text → AST, through the LALR grammar in `grammars/expr.lark`.

The AST is built while Lark parses (a transformer handed to `Lark(...)`), which never
recurses: a 100,000-term sum or 100,000 nested parentheses parse without a RecursionError.
"""

from __future__ import annotations

import difflib
import hashlib
import os
from functools import cache
from importlib import resources
from pathlib import Path

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from . import __version__
from .errors import GradcliError, Span
from .expr import Array, Assign, Binary, Call, Expr, Index, Name, Num, Program, Unary
from .ops import FUNCTION_NAMES

_BINARY_OPS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "@": "matmul", "^": "pow", "**": "pow"}

# What a person would call the terminals Lark names in "expected ..." lists.
_TERMINAL_WORDS = {
    "NUMBER": "a number",
    "NAME": "a name",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "STAR": "'*'",
    "SLASH": "'/'",
    "AT": "'@'",
    "POW": "'^'",
    "EQUALS": "'='",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "COMMA": "','",
    "SEMICOLON": "';'",
    "_NL": "a new line",
    "$END": "the end of the input",
}

# Pasted mathematics and the ASCII to type instead.
_ASCII_FOR = {
    "−": "-",
    "–": "-",
    "×": "*",
    "·": "*",
    "⋅": "*",
    "∗": "*",
    "÷": "/",
    "π": "pi",
    "²": "^2",
    "³": "^3",
    "√": "sqrt(...)",
    "ℯ": "e",
    "∙": "*",
}


def _span(token: Token) -> Span:
    return Span(token.line, token.column, token.start_pos, token.end_pos)


class _AstBuilder(Transformer):
    """Callbacks Lark runs as it reduces each rule; children are already AST nodes."""

    def start(self, children):
        return tuple(child for child in children if child is not None)

    def assign(self, children):
        name, _equals, value = children
        return Assign(str(name), value, _span(name))

    def binary(self, children):
        left, op, right = children
        return Binary(_BINARY_OPS[str(op)], left, right, _span(op))

    def unary(self, children):
        op, operand = children
        return Unary("neg" if op == "-" else "pos", operand, _span(op))

    def number(self, children):
        (token,) = children
        return Num(float(token), str(token), _span(token))

    def name(self, children):
        (token,) = children
        return Name(str(token), _span(token))

    def call(self, children):
        name, _paren, args = children
        return Call(str(name), tuple(args or ()), _span(name))

    def group(self, children):
        return children[1]

    def array(self, children):
        bracket, items = children
        return Array(tuple(items or ()), _span(bracket))

    def index(self, children):
        target, bracket, indices = children
        return Index(target, tuple(indices), _span(bracket))

    def arguments(self, children):
        return [child for child in children if child is not None]


class _NewlinesInBrackets:
    """Post-lexer: a new line inside (...) or [...] is white space, not a statement break."""

    always_accept = ("_NL",)

    def process(self, stream):
        depth = 0
        for token in stream:
            if token.type in ("LPAR", "LSQB"):
                depth += 1
            elif token.type in ("RPAR", "RSQB"):
                depth = max(depth - 1, 0)
            elif token.type == "_NL" and depth:
                continue
            yield token


def grammar_text() -> str:
    return resources.files("gradcli.grammars").joinpath("expr.lark").read_text(encoding="utf-8")


def _cache_path(grammar: str) -> str | bool:
    """A per-user cache file for the LALR tables (~30 ms to build, ~3 ms to load).

    Lark's own `cache=True` writes under a predictable name in the shared temp folder, which
    another user could plant (lark PR #1628); a folder of our own, mode 0700, is safe.
    """
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = Path(base) / "gradcli"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return False
    if not os.access(folder, os.W_OK):
        return False
    digest = hashlib.sha256(grammar.encode()).hexdigest()[:16]
    return str(folder / f"expr-{__version__}-{digest}.lark-cache")


@cache
def parser() -> Lark:
    grammar = grammar_text()
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        transformer=_AstBuilder(),
        postlex=_NewlinesInBrackets(),
        maybe_placeholders=True,
        cache=_cache_path(grammar),
    )


def parse_program(source: str) -> Program:
    """Parse a program (statements separated by `;` or new lines); raise GradcliError if bad."""
    if "\x00" in source:
        at = source.index("\x00")
        raise GradcliError(
            "the input contains a NUL byte",
            span=_span_at(source, at),
            source=source,
            hint="the file may be binary; give the expression as plain text",
        )
    try:
        statements = parser().parse(source)
    except UnexpectedInput as error:
        raise _syntax_error(source, error) from None
    if not statements:
        raise GradcliError(
            "the input is empty",
            hint='give an expression such as "x^2" or a program such as "y = 2*x; y + 1"',
        )
    return Program(statements, source)


def parse_expression(source: str) -> Expr:
    """Parse text that must be one expression (an `--at` value, a printed formula)."""
    program = parse_program(source)
    if len(program.statements) != 1 or isinstance(program.statements[0], Assign):
        raise GradcliError("expected a single expression", source=source)
    return program.statements[0]


def _span_at(source: str, offset: int, length: int = 1) -> Span:
    line = source.count("\n", 0, offset) + 1
    column = offset - (source.rfind("\n", 0, offset) + 1) + 1
    return Span(line, column, offset, offset + length)


def _expected_words(expected) -> str:
    expected = set(expected)
    if {"NUMBER", "NAME"} <= expected:
        # Where an operand is due, list it as one thing, not as every token that may start one.
        expected -= {"NUMBER", "NAME", "LPAR", "LSQB", "MINUS", "PLUS", "_NL"}
        words = ["an expression (a number, a name or '(')"]
    else:
        words = []
    words += sorted({_TERMINAL_WORDS[name] for name in expected if name in _TERMINAL_WORDS})
    if not words:
        return ""
    if len(words) > 6:
        return "an operator, ')' or the end of the input" if "the end of the input" in words else ""
    return ", ".join(words[:-1]) + (" or " if len(words) > 1 else "") + words[-1]


def _open_brackets(error: UnexpectedInput) -> list[Token]:
    """The '(' and '[' still open where the parser stopped, innermost last."""
    state = getattr(getattr(error, "interactive_parser", None), "parser_state", None)
    stack = state.value_stack if state is not None else []
    return [v for v in stack if isinstance(v, Token) and v.type in ("LPAR", "LSQB")]


_CLOSER = {"LPAR": ("RPAR", ")"), "LSQB": ("RSQB", "]")}


def _syntax_error(source: str, error: UnexpectedInput) -> GradcliError:
    offset = error.pos_in_stream if error.pos_in_stream is not None else len(source)
    if isinstance(error, UnexpectedEOF) or (
        isinstance(error, UnexpectedToken) and error.token.type == "$END"
    ):
        offset = len(source.rstrip())
        expected = set(getattr(error, "expected", ()))
        opens = _open_brackets(error)
        hint = "finish the expression, or check for an unclosed '(' or '['"
        if opens:
            # LALR merges states: only the innermost open bracket's closer can come next.
            expected -= {closer for kind, (closer, _) in _CLOSER.items() if kind != opens[-1].type}
            hint = (
                f"finish the expression, or close the unclosed {str(opens[-1])!r} "
                f"at line {opens[-1].line}, column {opens[-1].column}"
            )
        words = _expected_words(expected)
        return GradcliError(
            "the input ends too early" + (f": expected {words}" if words else ""),
            span=_span_at(source, max(offset - 1, 0)) if offset else None,
            source=source,
            hint=hint,
        )
    if isinstance(error, UnexpectedCharacters):
        char = source[offset]
        ascii_form = _ASCII_FOR.get(char)
        hint = (
            f"type {ascii_form!r} instead of {char!r}"
            if ascii_form
            else "names are letters, digits and '_'; operators are + - * / @ ^ **"
        )
        if not char.isprintable():  # invisible (a zero-width space, a byte-order mark): name it
            return GradcliError(
                f"unexpected invisible character U+{ord(char):04X}",
                span=_span_at(source, offset),
                source=source,
                hint="delete it; it may have come with copied text",
            )
        return GradcliError(
            f"unexpected character {char!r}",
            span=_span_at(source, offset),
            source=source,
            hint=hint,
        )
    assert isinstance(error, UnexpectedToken)
    token = error.token
    text = str(token)
    span = Span(token.line, token.column, token.start_pos, token.end_pos)
    previous = source[: token.start_pos].rstrip()
    if (
        token.type in ("NAME", "LPAR", "NUMBER")
        and previous
        and (previous[-1].isalnum() or previous[-1] in "._)")
    ):
        # `2x`, `2(x+1)`, `(a)(b)`, `x y`: an implicit product.
        left = previous.split()[-1] if previous.split() else previous
        hint = f"gradcli needs an explicit '*' for products: write {left}*{text}"
        if left in FUNCTION_NAMES and token.type != "LPAR":
            hint = f"a call needs parentheses: write {left}({text}) (or {left}*{text} for a product)"
        return GradcliError(f"missing operator before {text!r}", span=span, source=source, hint=hint)
    if token.type == "EQUALS":
        return GradcliError(
            "unexpected '='",
            span=span,
            source=source,
            hint="an assignment is `name = expression`, alone in its statement; "
            "statements are separated by ';' or new lines",
        )
    if token.type in ("RPAR", "RSQB"):
        opens = _open_brackets(error)
        opener = "(" if token.type == "RPAR" else "["
        if not any(_CLOSER[o.type][0] == token.type for o in opens):
            return GradcliError(
                f"unexpected {text!r}",
                span=span,
                source=source,
                hint=f"no {opener!r} is open here: delete the {text!r} or add a {opener!r} before it",
            )
    expected = _expected_words(error.expected)
    word = repr(text) if token.type == "POW" else _TERMINAL_WORDS.get(token.type, repr(text))  # '**' as typed
    return GradcliError(
        f"unexpected {word}" + (f" {text!r}" if token.type in ("NAME", "NUMBER") else ""),
        span=span,
        source=source,
        hint=f"expected {expected} here" if expected else None,
    )


def suggest(name: str, known) -> str | None:
    """The nearest known name, for "did you mean ...?" hints."""
    matches = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return matches[0] if matches else None
