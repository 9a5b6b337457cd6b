"""A fast path for the commonest programs: one line of numbers, names, calls with inputs only,
parentheses, `+ - * / ^ **` and unary `- +`, read without Lark into the AST Lark's parse gives.

Anything else (an assignment, a comment, a new line, brackets, strings, options, comparisons, a
number too large, and every syntax error) gives None, and the grammar's parser reads the text as
before, with its messages. The precedence is the grammar's (grammars/expr.lark): `+ -` < `* /` <
unary `- +` < `^ **` (right associative, its right operand a unary: `2^-x` is 2^(-x)). The reading
is an operator-precedence parse with explicit stacks: it never recurses, as Lark's does not
(10^5 nested parentheses). It costs no import of Lark (~30 ms of every command's start-up) and
reads a long program in about half Lark's time.
"""

from __future__ import annotations

import math
import re

from ..errors import Span
from ..expr import Binary, Call, Expr, Name, Num, Unary

# The grammar's NUMBER and NAME, an operator, blanks (the subset's only ignored text), or anything
# else, which ends the fast path.
_TOKEN = re.compile(
    r"([0-9]+\.?[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)"
    r"|([A-Za-z_][A-Za-z0-9_]*)|(\*\*|[-+*/^(),])|[ \t]+|(.)",
    re.DOTALL,
)
_SUBSET = re.compile(r"[A-Za-z0-9_.+\-*/^(), \t]+")
_BINARY = {
    "+": ("add", 1),
    "-": ("sub", 1),
    "*": ("mul", 2),
    "/": ("div", 2),
    "^": ("pow", 4),
    "**": ("pow", 4),
}
_PREFIX = {"-": "neg", "+": "pos"}
_UNARY, _POWER = 3, 4
_PAREN, _CALL = "(", "call"  # markers on the operator stack

_NUMBER, _NAME, _OPERATOR = 1, 2, 3


def _tokens(source: str) -> list[tuple[int, str, int]] | None:
    """(kind, text, start) of each token, or None if the text has anything outside the subset."""
    tokens = []
    for match in _TOKEN.finditer(source):
        kind = match.lastindex
        if kind is None:
            continue  # blanks
        if kind == 4:
            return None
        tokens.append((kind, match.group(kind), match.start()))
    return tokens


def parse_simple(source: str) -> Expr | None:
    """The AST of `source` if it is in the subset and well formed; None otherwise."""
    if not _SUBSET.fullmatch(source):
        return None
    tokens = _tokens(source)
    if not tokens:
        return None
    out: list[Expr] = []
    # Entries: (precedence, name, span) for an operator (a prefix `-`/`+` has _UNARY), or a
    # marker (_PAREN or _CALL, the function's name, its span, where its arguments start in `out`).
    stack: list[tuple] = []
    expect_operand = True
    previous = ""
    count = len(tokens)
    i = 0
    while i < count:
        kind, text, start = tokens[i]
        i += 1
        if expect_operand:
            if kind == _NAME and i < count and tokens[i][1] == "(":
                stack.append((_CALL, text, Span(1, start + 1, start, start + len(text)), len(out)))
                i += 1
                previous = "("
                continue
            expect_operand = _operand(kind, text, start, previous, stack, out)
            if expect_operand is None:
                return None
        elif kind == _OPERATOR and text in _BINARY:
            _binary(text, start, stack, out)
            expect_operand = True
        elif text in (")", ","):
            expect_operand = _close(text, stack, out)
            if expect_operand is None:
                return None
        else:
            return None  # two operands in a row: a syntax error, said by the parser
        previous = text
    if expect_operand:
        return None
    while stack:
        if type(stack[-1][0]) is not int:
            return None  # an unclosed parenthesis
        _reduce(stack.pop(), out)
    return out[0] if len(out) == 1 else None


def _operand(kind: int, text: str, start: int, previous: str, stack: list, out: list) -> bool | None:
    """A token where an operand is expected: whether one is still expected after it (after a
    prefix operator or an opening parenthesis), or None if the token cannot stand there."""
    if kind == _NUMBER:
        value = float(text)
        if not math.isfinite(value):
            return None  # the parser says it is too large
        out.append(Num(value, text, Span(1, start + 1, start, start + len(text))))
        return False
    if kind == _NAME:
        out.append(Name(text, Span(1, start + 1, start, start + len(text))))
        return False
    if text in _PREFIX:
        stack.append((_UNARY, _PREFIX[text], Span(1, start + 1, start, start + len(text))))
        return True
    if text == "(":
        stack.append((_PAREN, None, None, len(out)))
        return True
    if text == ")" and previous in ("(", ",") and stack and stack[-1][0] == _CALL:
        _close_call(stack.pop(), out)  # f() or f(x,): Lark takes a trailing comma
        return False
    return None


def _binary(text: str, start: int, stack: list, out: list) -> None:
    """A binary operator: reduce what binds tighter (or as tight, to the left), then push it."""
    name, precedence = _BINARY[text]
    right = precedence == _POWER
    while stack and type(stack[-1][0]) is int:
        top = stack[-1][0]
        if top < precedence or (top == precedence and right):
            break
        _reduce(stack.pop(), out)
    stack.append((precedence, name, Span(1, start + 1, start, start + len(text))))


def _close(text: str, stack: list, out: list) -> bool | None:
    """`)` or `,` after an operand: reduce back to the innermost marker; whether an operand is
    expected next (after a comma), or None if the token has nothing to close."""
    while stack and type(stack[-1][0]) is int:
        _reduce(stack.pop(), out)
    if not stack:
        return None
    marker = stack[-1]
    if text == ",":
        return True if marker[0] == _CALL else None  # (x, y) is not an expression
    stack.pop()
    if marker[0] == _CALL:
        _close_call(marker, out)
    return False  # a group is its expression


def _reduce(operator: tuple, out: list[Expr]) -> None:
    precedence, name, span = operator
    if precedence == _UNARY:
        out.append(Unary(name, out.pop(), span))
        return
    right = out.pop()
    out.append(Binary(name, out.pop(), right, span))


def _close_call(marker: tuple, out: list[Expr]) -> None:
    _, func, span, first = marker
    args = tuple(out[first:])
    del out[first:]
    out.append(Call(func, args, span, ()))
