"""Grammar fuzzing: whatever text arrives, gradcli answers or says what is wrong (GradcliError,
exit 2). Never another exception, never exit 1, never a hang.

Three sources of text: programs the grammar itself generates (`hypothesis.extra.lark.from_lark`
over grammars/expr.lark, with small names and numbers chosen to hit the interesting cases),
valid programs with characters inserted, deleted or swapped, and garbage. Each is evaluated
through the API with random values bound to its free names (scalars and small arrays), and
differentiated symbolically; a sample goes through the real CLI.

Under CI=true the examples are derandomized (tests/conftest.py's `ci` profile) and the run is a
fixed slice. GRADCLI_FUZZ_EXAMPLES=100000 makes it a long fuzz (see tests/README.md).
"""

from __future__ import annotations

import os
import time
import warnings

import lark
import numpy as np
from conftest import run_cli
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

import gradcli
from gradcli.errors import GradcliError
from gradcli.graph import program_names
from gradcli.ops import CONSTANTS
from gradcli.parse import grammar_text, parse_program
from gradcli.symbolic import differentiate

EXAMPLES = int(os.environ.get("GRADCLI_FUZZ_EXAMPLES", "100"))
CLI_EXAMPLES = max(20, EXAMPLES // 5)
PER_EXAMPLE_SECONDS = 5.0  # a bound on one example's work: more is a hang, not slowness

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # measured by `bounded` below, on the work alone (not on drawing the text)
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)

# Names: variables, the constants, and function names used as variables (the contract allows it).
NAMES = ("x", "y", "W", "b", "v1", "e", "pi", "inf", "nan", "sum", "exp", "max", "relu", "log", "onehot")
NUMBERS = ("0", "1", "2", "0.5", ".5", "3e-4", "1e3", "10", "1e308", "1e400", "0.", "1e-400")

_GRAMMAR = lark.Lark(grammar_text(), parser="lalr", lexer="contextual", maybe_placeholders=True)
_TOKENS = {
    "NAME": st.sampled_from(NAMES),
    "NUMBER": st.sampled_from(NUMBERS),
    "__IGNORE_0": st.sampled_from((" ", "\t")),
    "__IGNORE_1": st.just("\\\n"),  # a line continuation
}
EXPRESSIONS = from_lark(_GRAMMAR, start="expr", explicit={**_TOKENS, "COMMENT": st.just(" ")})
PROGRAMS = from_lark(
    _GRAMMAR, start="start", explicit={**_TOKENS, "COMMENT": st.just("# note\n"), "_NL": st.just("\n")}
)

VALID = (
    "(a+b)*(b+1)",
    "y = x^2; y + 1",
    "a = w0*x0; b = w1*x1; c = a + b; d = c + w2; e = -d; f = exp(e); g = 1 + f; h = 1/g",
    "sum(W @ x + b)",
    "tanh(x[0]) * max(x)",
    "c = c + c + 1",
    "[[1, 2], [3, 4]] @ x",
    "-x^2 + 2^-x",
    "softmax(x)[1]",
    "sqrt(relu(x)) / (1 + abs(y))",
    "onehot(x, 1) * x",
    "mean([x, y, 2*x])",
)
ALPHABET = "xyzW019.e+-*/^@()[],;=# \n\t\\" + "−×π²１\x00\u200b"
GARBAGE = st.text(alphabet=st.characters(codec="utf-8"), max_size=40) | st.binary(max_size=40).map(
    lambda raw: raw.decode("latin-1")
)


@st.composite
def mutated(draw) -> str:
    """A valid program with a few characters inserted, deleted or swapped."""
    text = list(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(("insert", "delete", "swap")))
        at = draw(st.integers(0, max(len(text) - 1, 0)))
        if kind == "insert":
            text.insert(at, draw(st.sampled_from(ALPHABET)))
        elif kind == "delete" and text:
            del text[at]
        elif len(text) > 1:
            other = draw(st.integers(0, len(text) - 1))
            text[at], text[other] = text[other], text[at]
    return "".join(text)


ANY_TEXT = EXPRESSIONS | PROGRAMS | mutated() | GARBAGE

VALUES = st.one_of(
    st.sampled_from((0.0, 1.0, -1.0, 0.5, 2.0, -3.0, 1e300, np.inf, np.nan)),
    st.lists(st.sampled_from((0.0, 1.0, -2.0, 0.5)), min_size=0, max_size=3),
    st.sampled_from(([[1.0, 2.0], [3.0, 4.0]], [[0.0, 1.0]], [[1.0], [2.0]])),
)


def bindings(draw, source: str) -> dict[str, object]:
    """Random values for the free names of `source` (none if it does not parse)."""
    try:
        free = program_names(parse_program(source)).free
    except GradcliError:
        return {}
    return {name: draw(VALUES) for name in free if name not in CONSTANTS or draw(st.booleans())}


def bounded(work) -> None:
    """Run `work`; only GradcliError may escape, and it must finish in PER_EXAMPLE_SECONDS."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numpy's RuntimeWarnings are not this test's subject
        try:
            work()
        except GradcliError as error:
            assert error.render().startswith("error: ")
    elapsed = time.perf_counter() - start
    assert elapsed < PER_EXAMPLE_SECONDS, f"took {elapsed:.1f} s"


@FUZZ
@given(st.data())
def test_api_evaluate_raises_only_gradcli_error(data):
    source = data.draw(ANY_TEXT, label="source")
    values = bindings(data.draw, source)
    bounded(lambda: gradcli.evaluate(source, values))


@FUZZ
@given(st.data())
def test_symbolic_diff_raises_only_gradcli_error(data):
    source = data.draw(ANY_TEXT, label="source")
    bounded(lambda: differentiate(source))


@FUZZ
@given(st.data())
def test_at_values_raise_only_gradcli_error(data):
    """The text after `x=` in --at goes through the same parser; it must fail as cleanly."""
    from gradcli.values import parse_at

    value = data.draw(EXPRESSIONS | mutated() | GARBAGE, label="value")
    assume("," not in value)  # a comma would make it several pairs, each tested on its own
    bounded(lambda: parse_at([f"x={value}"]))


def _at_option(values: dict[str, object]) -> list[str]:
    def text(value: object) -> str:
        return str(np.asarray(value).tolist()).replace("nan", "0/0").replace("inf", "1/0")

    return ["--at", ",".join(f"{name}={text(v)}" for name, v in values.items())] if values else []


@settings(FUZZ, max_examples=CLI_EXAMPLES)
@given(st.data())
def test_cli_exits_0_or_2(data):
    source = data.draw(ANY_TEXT, label="source")
    assume(source and not source.startswith("-") and "\x00" not in source)
    values = bindings(data.draw, source)
    command = data.draw(st.sampled_from(("eval", "diff", "graph")), label="command")
    extra = {"eval": ["--json", "--brief", *_at_option(values)], "diff": [], "graph": ["-F", "dot"]}[command]
    start = time.perf_counter()
    run = run_cli(command, source, *extra)
    assert time.perf_counter() - start < PER_EXAMPLE_SECONDS
    assert run.code in (0, 2), f"exit {run.code}:\n{run.err}"
    assert "Traceback" not in run.err and "internal error" not in run.err, run.err
    if run.code == 2:
        assert run.err.startswith("error: "), run.err
        assert len(run.err) < 2000
