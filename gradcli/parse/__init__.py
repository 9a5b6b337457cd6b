"""Text → AST, through the LALR grammar in `grammars/expr.lark`.

The commonest programs (one line of numbers, names, calls, parentheses and `+ - * / ^`) are read
by fast.py without Lark, into the AST Lark gives; anything else by Lark (grammar.py, imported
then), which builds the AST while it parses and never recurses. A failed parse is told in a
person's words by syntax_errors.py; `python -m gradcli.parse --write-tables` (__main__.py)
rebuilds the LALR tables shipped beside the grammar.
"""

from __future__ import annotations

from ..errors import GradcliError, Span
from ..expr import Assign, Binary, Expr, Index, Program, Statement
from .fast import parse_simple

# What grammar.py holds, read from this package as before (loading Lark only when asked).
_GRAMMAR_NAMES = {
    "parser",
    "grammar_text",
    "write_tables",
    "shipped_tables_current",
    "_AstBuilder",
    "_NewlinesInBrackets",
    "_BINARY_OPS",
    "_grammars",
    "_shipped_tables",
    "_tables_key",
}


def __getattr__(name: str) -> object:
    if name in _GRAMMAR_NAMES:
        from . import grammar

        return getattr(grammar, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def first_span(expr: Expr) -> Span | None:
    """Where an expression starts, for a caret (a binary node's own span is its operator)."""
    while isinstance(expr, (Binary, Index)):
        expr = expr.left if isinstance(expr, Binary) else expr.target
    return getattr(expr, "span", None)


def parse_program(source: str, *, unused_is_error: bool = True) -> Program:
    """Parse a program (statements separated by `;` or new lines); raise GradcliError if bad.

    Every statement but the last must be an assignment, unless `unused_is_error` is False (for
    callers that want one expression and say so in their own words)."""
    simple = parse_simple(source)
    if simple is not None:
        return Program((simple,), source)
    from lark.exceptions import UnexpectedInput

    from .grammar import parser
    from .syntax_errors import span_at, syntax_error

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
    from .grammar import parser

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
    import difflib

    matches = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return matches[0] if matches else None
