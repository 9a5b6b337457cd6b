"""The grammar's parser: Lark, with the LALR tables shipped beside the grammar, and the
transformer that builds the AST while Lark parses (it never recurses: a 100,000-term sum or
100,000 nested parentheses parse without a RecursionError).

Imported only when a program is not read by the fast path (fast.py), or to write the tables:
Lark and its imports cost every command ~30 ms of start-up.
"""

from __future__ import annotations

import hashlib
import json
import math
from functools import cache
from pathlib import Path

import lark
from lark import Lark, Token, Transformer
from lark.grammar import Rule
from lark.lexer import TerminalDef

from ..errors import GradcliError, Span, clip
from ..expr import (
    COMPARISONS,
    Array,
    Assign,
    Binary,
    Call,
    Index,
    Keyword,
    Name,
    Num,
    Slice,
    Str,
    Unary,
)
from . import first_span

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
