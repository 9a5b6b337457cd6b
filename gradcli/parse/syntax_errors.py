"""Lark's syntax errors, told in a person's words: what was found, a caret span at it, and a
hint (an unclosed bracket, a missing `*`, a pasted `×`, an invisible character).

Only a failed parse comes here; parse/__init__.py turns text into an AST.
"""

from __future__ import annotations

import unicodedata

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..errors import GradcliError, Span
from ..ops import FUNCTION_NAMES

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
    "COLON": "':'",
    "STRING": "a string",
    "LT": "'<'",
    "LE": "'<='",
    "GT": "'>'",
    "GE": "'>='",
    "EQ": "'=='",
    "NE": "'!='",
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


def span_at(source: str, offset: int, length: int = 1) -> Span:
    """The span of `length` characters at `offset` of `source`, with its line and column."""
    line = source.count("\n", 0, offset) + 1
    column = offset - (source.rfind("\n", 0, offset) + 1) + 1
    return Span(line, column, offset, offset + length)


_OPERATORS = {"PLUS", "MINUS", "STAR", "SLASH", "AT", "POW", "LT", "LE", "GT", "GE", "EQ", "NE"}
_COMPARISONS = {"LT", "LE", "GT", "GE", "EQ", "NE"}


def _expected_words(expected) -> str:
    expected = set(expected)
    if {"NUMBER", "NAME"} <= expected:
        # Where an operand is due, list it as one thing, not as every token that may start one.
        expected -= {"NUMBER", "NAME", "LPAR", "LSQB", "MINUS", "PLUS", "_NL", "STRING"}
        words = ["an expression (a number, a name or '(')"]
    else:
        words = []
    if len(expected & _OPERATORS) > 2:
        # After an operand: any operator may follow, and '(' '[' '=' only as a call, an index or an
        # option (`f(x`, `x[0`, `f(axis=`), which is not what is missing.
        expected -= _OPERATORS | {"LPAR", "LSQB", "EQUALS"}
        words.append("an operator")
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


def syntax_error(source: str, error: UnexpectedInput) -> GradcliError:
    """The error to show for a failed parse of `source`: a message, a span for the caret, a hint."""
    if isinstance(error, UnexpectedEOF) or (
        isinstance(error, UnexpectedToken) and error.token.type == "$END"
    ):
        return _ends_early(source, error)
    if isinstance(error, UnexpectedCharacters):
        offset = error.pos_in_stream if error.pos_in_stream is not None else len(source)
        return _unexpected_character(source, offset)
    assert isinstance(error, UnexpectedToken)
    return _unexpected_token(source, error)


def _ends_early(source: str, error: UnexpectedInput) -> GradcliError:
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
        span=span_at(source, max(offset - 1, 0)) if offset else None,
        source=source,
        hint=hint,
    )


_STRING_HINT = 'a string in double quotes is an option\'s value: gelu(x, approximate="tanh")'


def _new_forms(source: str, error: UnexpectedToken, span: Span) -> GradcliError | None:
    """Chained comparisons, a string where an expression is due, `=<` for `<=`."""
    token = error.token
    if token.type in _COMPARISONS:
        state = getattr(getattr(error, "interactive_parser", None), "parser_state", None)
        stack = state.value_stack if state is not None else []
        if any(isinstance(v, Token) and v.type in _COMPARISONS for v in stack):
            return GradcliError(
                f"comparisons do not chain: a second {str(token)!r} after a comparison",
                span=span,
                source=source,
                hint="write (a < b) * (b < c) for both at once, or add parentheses: (a < b) < c",
            )
        if token.type in ("LT", "GT") and source[: token.start_pos].rstrip().endswith("="):
            return GradcliError(
                f"unexpected {str(token)!r} after '='",
                span=span,
                source=source,
                hint=f"the comparison is written {token!s}= (the sign first), and == is equality",
            )
    if token.type == "STRING":
        return GradcliError(
            "a string literal is only an option's value", span=span, source=source, hint=_STRING_HINT
        )
    return None


def _unexpected_character(source: str, offset: int) -> GradcliError:
    char = source[offset]
    if char == '"':  # a string without its closing quote on the line
        return GradcliError(
            "this string is not closed",
            span=span_at(source, offset),
            source=source,
            hint='end it with a " on the same line (a string is an option\'s value: approximate="tanh")',
        )
    if char == "!":
        return GradcliError(
            "unexpected character '!'",
            span=span_at(source, offset),
            source=source,
            hint="'!=' means not equal; there is no '!' on its own",
        )
    digit = unicodedata.decimal(char, None)
    if digit is not None:  # '１' (full-width), '١' (Arabic-Indic): float() would read them
        return GradcliError(
            f"unexpected digit {char!r} ({unicodedata.name(char, 'non-ASCII')})",
            span=span_at(source, offset),
            source=source,
            hint=f"numbers are written with ASCII digits: type '{digit}'",
        )
    ascii_form = _ASCII_FOR.get(char)
    hint = (
        f"type {ascii_form!r} instead of {char!r}"
        if ascii_form
        else "names are letters, digits and '_'; operators are + - * / @ ^ ** and < <= > >= == !="
    )
    if not char.isprintable():  # invisible (a zero-width space, a byte-order mark): name it
        return GradcliError(
            f"unexpected invisible character U+{ord(char):04X}",
            span=span_at(source, offset),
            source=source,
            hint="delete it; it may have come with copied text",
        )
    return GradcliError(
        f"unexpected character {char!r}",
        span=span_at(source, offset),
        source=source,
        hint=hint,
    )


def _unexpected_token(source: str, error: UnexpectedToken) -> GradcliError:
    token = error.token
    text = str(token)
    span = Span(token.line, token.column, token.start_pos, token.end_pos)
    missing = _missing_operator(source, token, span)
    if missing is not None:
        return missing
    special = _new_forms(source, error, span)
    if special is not None:
        return special
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


def _missing_operator(source: str, token: Token, span: Span) -> GradcliError | None:
    """`2x`, `2(x+1)`, `(a)(b)`, `x y`: an implicit product (or a call without parentheses)."""
    text = str(token)
    previous = source[: token.start_pos].rstrip()
    if not (
        token.type in ("NAME", "LPAR", "NUMBER")
        and previous
        and (previous[-1].isalnum() or previous[-1] in "._)")
    ):
        return None
    left = previous.split()[-1] if previous.split() else previous
    hint = f"gradcli needs an explicit '*' for products: write {left}*{text}"
    if left in FUNCTION_NAMES and token.type != "LPAR":
        hint = f"a call needs parentheses: write {left}({text}) (or {left}*{text} for a product)"
    return GradcliError(f"missing operator before {text!r}", span=span, source=source, hint=hint)
