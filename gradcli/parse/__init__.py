"""Text → AST, through the LALR grammar in `grammars/expr.lark`.

The AST is built while Lark parses (a transformer handed to `Lark(...)`), which never
recurses: a 100,000-term sum or 100,000 nested parentheses parse without a RecursionError.
A failed parse is told in a person's words by syntax_errors.py; `python -m gradcli.parse
--write-tables` (__main__.py) rebuilds the LALR tables shipped beside the grammar.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
from functools import cache
from pathlib import Path

import lark
from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedInput
from lark.grammar import Rule
from lark.lexer import TerminalDef

from ..errors import GradcliError, Span, clip
from ..expr import (
    COMPARISONS,
    Array,
    Assign,
    Binary,
    Call,
    Expr,
    Index,
    Keyword,
    Name,
    Num,
    Program,
    Slice,
    Statement,
    Str,
    Unary,
)
from .syntax_errors import span_at, syntax_error

_BINARY_OPS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "@": "matmul", "^": "pow", "**": "pow"}
_BINARY_OPS.update({symbol: name for name, symbol in COMPARISONS.items()})


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
        value = float(token)
        if not math.isfinite(value):  # 1e400: float() gives inf, which the user did not write
            raise GradcliError(
                f"the number {clip(str(token))} is too large for float64 (the largest is about 1.8e308)",
                span=_span(token),
                hint="write inf if you mean infinity",
            )
        return Num(value, str(token), _span(token))

    def name(self, children):
        (token,) = children
        return Name(str(token), _span(token))

    def call(self, children):
        name, _paren, args = children
        args = args or []
        first = next((k for k, arg in enumerate(args) if isinstance(arg, Keyword)), len(args))
        positional, keywords = tuple(args[:first]), tuple(args[first:])
        for arg in keywords:
            if not isinstance(arg, Keyword):  # f(axis=1, x): Python's rule, and numpy's
                raise GradcliError(
                    "an argument after an option: options come last",
                    span=first_span(arg),
                    hint=f"write the inputs first, then the options: {name}(x, axis=1)",
                )
        return Call(str(name), positional, _span(name), keywords)

    def keyword(self, children):
        name, _equals, value = children
        return Keyword(str(name), value, _span(name))

    def string(self, children):
        (token,) = children
        return Str(str(token)[1:-1], _span(token))

    def slice(self, children):
        start, colon, stop, _second, step = children
        return Slice(start, stop, step, _span(colon))

    def subscripts(self, children):
        return [child for child in children if child is not None]

    def call_arguments(self, children):
        return [child for child in children if child is not None]

    def group(self, children):
        return children[1]

    def array(self, children):
        opening, items, closing = children
        # The span covers the brackets, so a caret can underline a whole item `[]` or `[1, 2]`.
        return Array(
            tuple(items or ()), Span(opening.line, opening.column, opening.start_pos, closing.end_pos)
        )

    def index(self, children):
        target, bracket, indices, _closing = children
        return Index(target, tuple(indices), _span(bracket))

    def arguments(self, children):
        return [child for child in children if child is not None]


def first_span(expr: Expr) -> Span | None:
    """Where an expression starts, for a caret (a binary node's own span is its operator)."""
    while isinstance(expr, (Binary, Index)):
        expr = expr.left if isinstance(expr, Binary) else expr.target
    return getattr(expr, "span", None)


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


def _grammars() -> Path:
    """The folder of the grammar and its tables: `gradcli/grammars/` once installed (the wheel
    maps the repository's grammars/ there), the repository's grammars/ in a checkout.

    A plain path, not importlib.resources: that module (with tempfile and zipfile behind it)
    cost every command ~5 ms of start-up, and gradcli is never imported from a zip."""
    installed = Path(__file__).resolve().parents[1] / "grammars"
    return installed if (installed / "expr.lark").exists() else installed.parents[1] / "grammars"


def grammar_text() -> str:
    return _grammars().joinpath("expr.lark").read_text(encoding="utf-8")


# The LALR tables ship beside the grammar as JSON, made by `python -m gradcli.parse --write-tables`.
# JSON is data: unlike Lark's pickle cache (which unpickles a file before checking its hash, and
# lives in a folder another user may control), loading it cannot run code, and nothing is ever
# written at run time. Tables made from another grammar or by another Lark are ignored: the
# parser is then built from the grammar (~30 ms instead of ~3 ms), never loaded wrong.
_TABLES = "expr.tables.json"


def _tables_key(grammar: str) -> str:
    return hashlib.sha256(f"{lark.__version__}\n{grammar}".encode()).hexdigest()


def _int_keys(pairs: list[tuple[str, object]]) -> dict:
    """JSON object keys are strings; Lark's memo and state tables use ints."""
    return {int(key) if key.isdigit() else key: value for key, value in pairs}


def _shipped_tables(grammar: str) -> tuple[dict, dict] | None:
    try:
        text = _grammars().joinpath(_TABLES).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    tables = json.loads(text, object_pairs_hook=_int_keys)
    if tables.get("key") != _tables_key(grammar):
        return None
    return tables["data"], tables["memo"]


def shipped_tables_current() -> bool:
    return _shipped_tables(grammar_text()) is not None


def _build(grammar: str, **hooks) -> Lark:
    return Lark(grammar, parser="lalr", lexer="contextual", maybe_placeholders=True, **hooks)


def write_tables() -> str:
    """Write the JSON tables for the current grammar and Lark into grammars/; return the path."""
    grammar = grammar_text()
    data, memo = _build(grammar).memo_serialize([TerminalDef, Rule])
    text = json.dumps({"key": _tables_key(grammar), "data": data, "memo": memo}, sort_keys=True)
    path = _grammars().joinpath(_TABLES)
    with open(str(path), "w", encoding="utf-8") as file:
        file.write(text + "\n")
    return str(path)


@cache
def parser() -> Lark:
    grammar = grammar_text()
    hooks = {"transformer": _AstBuilder(), "postlex": _NewlinesInBrackets()}
    tables = _shipped_tables(grammar)
    if tables is None:
        return _build(grammar, **hooks)
    data, memo = tables
    return Lark._load_from_dict(data, memo, **hooks)


def parse_program(source: str, *, unused_is_error: bool = True) -> Program:
    """Parse a program (statements separated by `;` or new lines); raise GradcliError if bad.

    Every statement but the last must be an assignment, unless `unused_is_error` is False (for
    callers that want one expression and say so in their own words)."""
    if "\x00" in source:
        at = source.index("\x00")
        raise GradcliError(
            "the input contains a NUL byte",
            span=span_at(source, at),
            source=source,
            hint="the file may be binary; give the expression as plain text",
        )
    try:
        statements = parser().parse(source)
    except UnexpectedInput as error:
        raise syntax_error(source, error) from None
    except GradcliError as error:  # raised while building the AST (a literal too large)
        raise error.located(source) from None
    if not statements:
        raise GradcliError(
            "the input is empty",
            hint='give an expression such as "x^2" or a program such as "y = 2*x; y + 1"',
        )
    if unused_is_error:
        _check_unused(statements, source)
    return Program(statements, source)


def _check_unused(statements: tuple[Statement, ...], source: str) -> None:
    """Only the last statement is the output: an earlier expression statement is lost work."""
    for k, statement in enumerate(statements[:-1]):
        if not isinstance(statement, Assign):
            raise GradcliError(
                "this statement's value is never used: only the last statement is the output",
                span=_statement_span(source, k),
                source=source,
                hint="join the lines, or name it with `=` (y = ...) to use it later",
            )


def _statement_span(source: str, index: int) -> Span | None:
    """From the first to the last token of statement `index` (counting non-empty statements).

    Only an error needs this, so the source is lexed again rather than tracked while parsing.
    """
    count, first, last = 0, None, None
    for token in parser().lex(source):
        if token.type in ("_NL", "SEMICOLON"):
            if first is not None:
                if count == index:
                    break
                count, first = count + 1, None
            continue
        if first is None:
            first = token
        last = token
    if first is None or last is None:
        return None
    return Span(first.line, first.column, first.start_pos, last.end_pos)


def parse_expression(source: str) -> Expr:
    """Parse text that must be one expression (an `--at` value, a printed formula)."""
    program = parse_program(source, unused_is_error=False)
    if len(program.statements) != 1 or isinstance(program.statements[0], Assign):
        raise GradcliError("expected a single expression", source=source)
    return program.statements[0]


def suggest(name: str, known) -> str | None:
    """The nearest known name, for "did you mean ...?" hints."""
    matches = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return matches[0] if matches else None
