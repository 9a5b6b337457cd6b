"""Text → AST, through the LALR grammar in `grammars/expr.lark`.

The AST is built while Lark parses (a transformer handed to `Lark(...)`), which never
recurses: a 100,000-term sum or 100,000 nested parentheses parse without a RecursionError.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import sys
import unicodedata
from functools import cache
from importlib import resources

import lark
from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.grammar import Rule
from lark.lexer import TerminalDef

from .errors import GradcliError, Span, clip
from .expr import Array, Assign, Binary, Call, Expr, Index, Name, Num, Program, Statement, Unary
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
        return Call(str(name), tuple(args or ()), _span(name))

    def group(self, children):
        return children[1]

    def array(self, children):
        opening, items, closing = children
        # The span covers the brackets, so a caret can underline a whole item `[]` or `[1, 2]`.
        return Array(
            tuple(items or ()), Span(opening.line, opening.column, opening.start_pos, closing.end_pos)
        )

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
        text = resources.files("gradcli.grammars").joinpath(_TABLES).read_text(encoding="utf-8")
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
    path = resources.files("gradcli.grammars").joinpath(_TABLES)
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
            span=_span_at(source, at),
            source=source,
            hint="the file may be binary; give the expression as plain text",
        )
    try:
        statements = parser().parse(source)
    except UnexpectedInput as error:
        raise _syntax_error(source, error) from None
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
        digit = unicodedata.decimal(char, None)
        if digit is not None:  # '１' (full-width), '١' (Arabic-Indic): float() would read them
            return GradcliError(
                f"unexpected digit {char!r} ({unicodedata.name(char, 'non-ASCII')})",
                span=_span_at(source, offset),
                source=source,
                hint=f"numbers are written with ASCII digits: type '{digit}'",
            )
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
    if token.type in ("_NL", "$END"):  # "unexpected a new line" reads wrong: say what ended early
        message = f"the {'line' if token.type == '_NL' else 'input'} ends before the expression does"
    else:
        message = f"unexpected {word}" + (f" {text!r}" if token.type in ("NAME", "NUMBER") else "")
    return GradcliError(
        message,
        span=span,
        source=source,
        hint=f"expected {expected} here" if expected else None,
    )


def suggest(name: str, known) -> str | None:
    """The nearest known name, for "did you mean ...?" hints."""
    matches = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return matches[0] if matches else None


if __name__ == "__main__" and sys.argv[1:] == ["--write-tables"]:
    print(f"wrote {write_tables()}")
