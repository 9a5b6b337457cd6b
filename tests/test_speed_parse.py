"""The parser's fast path (gradcli/parse/fast.py) gives Lark's AST to the last span, or nothing.

Every text is read both ways: by the fast path, and by the grammar's Lark parser with its
transformer. Where the fast path gives an AST, Lark gives the same one (node types, fields,
number texts, spans); where Lark fails, the fast path gives None (so the message is the
parser's). The texts: hand-picked ones, random expressions of the subset with random blanks, and
random token soups (mostly syntax errors). No test here times anything.
"""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from gradcli.errors import GradcliError
from gradcli.expr import Array, Assign, Binary, Call, Index, Keyword, Name, Num, Slice, Str, Unary
from gradcli.parse import parse_program, parser
from gradcli.parse.fast import parse_simple


def dump(node) -> tuple:
    """The whole AST as nested tuples, without recursion (programs here can be deep)."""
    fields = {
        Num: ("value", "text"),
        Name: ("name",),
        Unary: ("op", "operand"),
        Binary: ("op", "left", "right"),
        Call: ("func", "args", "keywords"),
        Keyword: ("name", "value"),
        Array: ("items",),
        Index: ("target", "indices"),
        Slice: ("start", "stop", "step"),
        Str: ("value",),
        Assign: ("name", "value"),
    }
    flat = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple):
            flat.append(("tuple", len(item)))
            stack.extend(reversed(item))
            continue
        if item is None or isinstance(item, (str, float)):
            flat.append(item)
            continue
        span = item.span
        flat.append(
            (type(item).__name__, None if span is None else (span.line, span.column, span.start, span.end))
        )
        stack.extend(reversed([getattr(item, name) for name in fields[type(item)]]))
    return tuple(flat)


def by_lark(text: str):
    """Lark's statements, or None when Lark (or the AST builder) refuses the text."""
    try:
        return parser().parse(text)
    except Exception:
        return None


def same_as_lark(text: str) -> bool:
    fast = parse_simple(text)
    slow = by_lark(text)
    if fast is None:
        return True  # Lark reads it (or says what is wrong), as before
    return slow is not None and len(slow) == 1 and dump(fast) == dump(slow[0])


HAND_PICKED = [
    "x", "2", "x*y", "1/(1+exp(-(w0*x0+w1*x1+w2)))", "-x^2", "2^-x", "2^-x^2", "-x^-y", "a^b^c",
    "a**b**c", "a ** -b * c", "a - -b", "a-+-b", "+x", "--x", "-(x)", "((x))", "f()", "f(x,)",
    "f(x, y, z)", "f (x)", "sin(cos(tan(x)))", "max(a, b) + min(a, b)", "2^-3*4", "a*b/c*d",
    "a-b+c-d", "1e5", "1E-5", ".5", "5.", "007", "1.e5", "0.1+0.2", "x1_y2 + _z", "\tx + y\t",
    " x ", "pi*e", "inf", "sum(x) ^ 2", "-2^2", "a*-b^c", "a/-b/c", "2**3", "f(-x, +y, -(z))",
    # not in the subset, or errors: the fast path gives None
    "", " ", "x y", "2x", "1e", "2e+x", "1e400", ".", "x.5", "2.5.3", "()", "(x, y)", "f(,)",
    "f(x,,)", "f(x)(y)", "(x)(y)", "x +", "* x", "x **", "(x", "x)", "f(x", "f(x))", "x = 2",
    "x; y", "x\ny", "x # c", "x[1]", "[1, 2]", "f(x, axis=1)", 'f("a")', "x < y", "x @ y", "x\\\n+y",
    "x\r+y", "x\f+y", "１", "x\x00", "f(x,)(y)", "(,)", ",", ")", "^x", "x^", "x**-",
]  # fmt: skip


@pytest.mark.parametrize("text", HAND_PICKED)
def test_hand_picked(text):
    assert same_as_lark(text)


def test_the_subset_is_read_by_the_fast_path():
    for text in HAND_PICKED[: HAND_PICKED.index("")]:
        assert parse_simple(text) is not None, text


def _expression(rng: random.Random, depth: int) -> str:
    blank = lambda: rng.choice(["", "", " ", "  ", "\t"])  # noqa: E731
    if depth <= 0 or rng.random() < 0.25:
        return rng.choice(["x", "y", "w0", "_b", "pi", "e", "2", "0.5", "1e-3", ".25", "3.", "1E+2"])
    pick = rng.random()
    if pick < 0.5:
        op = rng.choice(["+", "-", "*", "/", "^", "**"])
        return _expression(rng, depth - 1) + blank() + op + blank() + _expression(rng, depth - 1)
    if pick < 0.65:
        return rng.choice(["-", "+"]) + blank() + _expression(rng, depth - 1)
    if pick < 0.8:
        return "(" + blank() + _expression(rng, depth - 1) + blank() + ")"
    args = [_expression(rng, depth - 1) for _ in range(rng.randint(0, 3))]
    trailing = "," if args and rng.random() < 0.2 else ""
    return rng.choice(["f", "sin", "max"]) + blank() + "(" + ", ".join(args) + trailing + ")"


@pytest.mark.parametrize("seed", range(20))
def test_random_expressions_of_the_subset(seed):
    rng = random.Random(seed)
    for _ in range(100):
        text = _expression(rng, rng.randint(1, 6))
        assert parse_simple(text) is not None, text
        assert same_as_lark(text), text


TOKENS = ["x", "y", "2", "1e3", ".5", "+", "-", "*", "/", "^", "**", "(", ")", ",", "f(", " ", "=", "["]


@pytest.mark.parametrize("seed", range(20))
def test_random_token_soups(seed):
    rng = random.Random(1000 + seed)
    for _ in range(300):
        text = "".join(rng.choice(TOKENS) for _ in range(rng.randint(1, 9)))
        assert same_as_lark(text), text


def test_long_and_deep_programs():
    long = " + ".join(f"w{i}*x{i}" for i in range(3000))
    assert same_as_lark(long)
    deep = "(" * 3000 + "x" + ")" * 3000
    assert same_as_lark(deep)
    very_deep = "(" * 100_000 + "-x" + ")" * 100_000  # no recursion, as Lark's parse
    assert isinstance(parse_simple(very_deep), Unary)


def test_errors_are_the_parsers():
    for text in ["x +", "f(x,,)", "2x", "1e400", "(x, y)"]:
        with pytest.raises(GradcliError) as caught:
            parse_program(text)
        assert caught.value.span is not None or "empty" in caught.value.message


def test_a_simple_eval_does_not_load_lark():
    code = (
        "import sys\n"
        "from gradcli.cli import main\n"
        "code = main(['eval', '1/(1+exp(-(w0*x0+w1*x1+w2)))', '--at', 'w0=2,x0=-1,w1=-3,x1=-2,w2=-3', "
        "'--brief', '--json'])\n"
        "assert code == 0, code\n"
        "print('lark' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "False"
