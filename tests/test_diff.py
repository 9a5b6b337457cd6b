"""`gradcli diff`: symbolic derivatives in gradcli's own language.

The printed text is checked the way a user would use it: parsed back with gradcli's grammar and
evaluated with gradcli, it must give the numbers reverse mode gives. Random expressions come from
`expressions()` below (also used by test_forward.py and test_hessian.py), drawn over every
scalar function of the op table, so a new function is covered as soon as it is added.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import run_cli
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gradcli.api import diff as differentiate
from gradcli.api import evaluate
from gradcli.errors import GradcliError
from gradcli.graph import program_names
from gradcli.ops import CONSTANTS, FUNCTIONS
from gradcli.parse import parse_program
from gradcli.symbolic import Terms

SEED004_PROGRAM = "a = w0*x0; b = w1*x1; c = a + b; d = c + w2; e = -d; f = exp(e); g = 1 + f; h = 1/g"
SEED004_EXPRESSION = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
SEED004_AT = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}
SEED004_GRADIENT = {"w0": -0.1966, "x0": 0.3932, "w1": -0.3932, "x1": -0.5898, "w2": 0.1966}


# --- random expressions, shared with test_forward.py and test_hessian.py -----------------------


def _scalar_op(op) -> bool:
    return op.elementwise and not op.variadic and not any(op.shapes) and op.generic_test


UNARY = sorted(name for (name, arity), op in FUNCTIONS.items() if arity == 1 and _scalar_op(op))
BINARY = sorted(name for (name, arity), op in FUNCTIONS.items() if arity == 2 and _scalar_op(op))
VARIABLES = ("x", "y", "z")
LITERALS = ("0.5", "1", "2", "3", ".25", "1e-1", "pi", "e")


ARITHMETIC = ("+", "-", "*", "/", "^")


def build(recipe) -> str:
    """An expression from a flat recipe of (kind, function, operand, operand) numbers.

    Operands are mostly the three newest subexpressions, otherwise atoms, so expressions nest
    and sometimes use a subexpression twice. Flat recipes are quick for hypothesis to draw and
    to shrink (a recursive strategy took most of the test's time).
    """
    atoms = VARIABLES * 2 + LITERALS  # variables twice as often as each literal
    made: list[str] = []

    def operand(n: int) -> str:
        if made and n < 10:  # mostly the newest subexpressions, so that expressions nest
            return made[-1 - n % min(len(made), 3)]
        return atoms[n % len(atoms)]

    for kind, function, i, j in recipe:
        a, b = operand(i), operand(j)
        if kind == 0:
            made.append(f"({a} {ARITHMETIC[function % len(ARITHMETIC)]} {b})")
        elif kind == 1:
            made.append(f"(-{a})")
        elif kind == 2:
            made.append(f"{UNARY[function % len(UNARY)]}({a})")
        else:
            made.append(f"{BINARY[function % len(BINARY)]}({a}, {b})")
    return made[-1] if made else "x"


STEPS = st.tuples(st.integers(0, 3), st.integers(0, 63), st.integers(0, 15), st.integers(0, 15))


def free_variables(source: str) -> list[str]:
    return [n for n in program_names(parse_program(source)).free if n not in CONSTANTS]


@st.composite
def expressions(draw, max_steps: int = 10, min_steps: int = 1, low: float = -2.0, high: float = 2.0):
    """(source, point): a random expression over x, y, z and a point to evaluate it at."""
    source = build(draw(st.lists(STEPS, min_size=min_steps, max_size=max_steps)))
    names = free_variables(source)
    assume(names)
    values = draw(st.tuples(*(st.floats(low, high, allow_nan=False) for _ in VARIABLES)))
    point = {name: value for name, value in zip(VARIABLES, values, strict=True) if name in names}
    return source, point


@st.composite
def programs(draw):
    """A random expression, or a small program that rebinds a name and uses it twice."""
    first, point = draw(expressions(max_steps=6))
    if draw(st.booleans()):
        return first, point
    second, more = draw(expressions(max_steps=4))
    return f"t = {first}\nt = t * {second} + t; u = t*t; u - t", {**more, **point}


HUGE = 1e6


def tame(derivation, kinks: bool = False) -> bool:
    """Finite, moderate numbers (no huge terms that cancel) and, unless `kinks`, no kink: at a
    kink the numeric rule follows PyTorch's convention, a printed formula may give nan."""
    for node in derivation.nodes:
        finite = np.all(np.isfinite(node.value)) and not np.any(np.abs(node.value) > HUGE)
        if (node.kink and not kinks) or not finite:
            return False
    for step in derivation.steps:
        for number in (step.local, step.contribution):
            if number is not None and (not np.isfinite(number) or abs(float(number)) > HUGE):
                return False
    return True


def scale_of(derivation) -> float:
    """The size of the numbers a gradient was summed from: rounding is relative to these."""
    sizes = [abs(float(s.contribution)) for s in derivation.steps]
    sizes += [abs(float(g)) for g in derivation.gradient.values()]
    return max([1.0, *(size for size in sizes if math.isfinite(size))])


def evaluate_text(text: str, point: dict[str, float]):
    """Parse printed text with gradcli's grammar and evaluate it with gradcli at `point`."""
    program = parse_program(text)
    free = program_names(program).free
    return evaluate(program, {n: v for n, v in point.items() if n in free})


def assert_matches_reverse(source: str, point: dict[str, float], texts: dict[str, str]) -> bool:
    reverse = evaluate(source, point)
    if not tame(reverse):
        return False
    scale = scale_of(reverse)
    for name, text in texts.items():
        printed = evaluate_text(text, point)
        value, truth = float(printed.value), float(reverse.gradient[name])
        if not math.isfinite(value) or any(abs(float(n.value)) > HUGE for n in printed.nodes):
            return False
        message = f"d/d{name} of {source} at {point}: {text!r} = {value} != {truth}"
        assert abs(value - truth) <= 1e-9 * scale, message
    return True


# --- the examples ---------------------------------------------------------------------


def test_tanh_prints_one_minus_tanh_squared():
    run = run_cli("diff", "tanh(x)")
    assert run.code == 0, run.err
    assert run.out == "1 - tanh(x)^2\n"
    for x in (-1.5, 0.0, 0.3, 2.0):
        assert float(evaluate(run.out, x=x).value) == pytest.approx(1 - math.tanh(x) ** 2, rel=1e-15)


@pytest.mark.parametrize("source", [SEED004_PROGRAM, SEED004_EXPRESSION], ids=["program", "expression"])
def test_seed004_derivatives_give_the_seed_gradients(source):
    run = run_cli("diff", source, "--json")
    assert run.code == 0, run.err
    data = run.json()
    assert list(data["wrt"]) == list(SEED004_GRADIENT)
    for name, expected in SEED004_GRADIENT.items():
        value = float(evaluate_text(data["wrt"][name], SEED004_AT).value)
        assert value == pytest.approx(expected, abs=5e-5), (name, data["wrt"][name])
    # The combined program names the shared sigmoid part once, then one line per variable.
    text = run_cli("diff", source).out
    lines = text.strip().splitlines()
    assert len(lines) <= 8, text
    assert sum("exp(" in line for line in lines) == 1, text
    assert [line.split(" = ")[0] for line in lines[-5:]] == [f"d_{n}" for n in SEED004_GRADIENT]
    for name, expected in SEED004_GRADIENT.items():
        value = float(evaluate_text(f"{text}\nd_{name}", SEED004_AT).value)
        assert value == pytest.approx(expected, abs=5e-5)


def test_seed004_program_reads_as_the_chain_rule():
    text = run_cli("diff", SEED004_PROGRAM).out
    assert text.startswith("f = exp(")  # the user's name for the shared exponential
    assert "d_d = f/(1 + f)^2" in text  # ∂h/∂d, named once and used by every variable
    assert "d_w0 = x0 * d_d" in text


# --- the printed derivative parses back and equals reverse mode --------------------------------


def test_every_printed_derivative_reparses_and_matches_reverse_mode():
    checked = []

    @settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
    @given(programs())
    def prop(case):
        source, point = case
        data = json.loads(differentiate(source).to_json())  # what `gradcli diff --json` prints
        assert set(data["wrt"]) == set(point)
        for text in [*data["wrt"].values(), data["program"]]:
            parse_program(text)  # raises if the text does not parse
        ok = assert_matches_reverse(source, point, data["wrt"])
        if ok and len(point) > 1:  # the combined program, read up to each d_x
            combined = {name: f"{data['program']}\nd_{name}" for name in point}
            ok = assert_matches_reverse(source, point, combined)
        assume(ok)
        checked.append(source)

    prop()
    assert len(checked) >= 50, f"only {len(checked)} examples were tame enough to compare"
    assert sum(len(source) > 20 for source in checked) >= 25, "too few non-trivial expressions"


def test_text_latex_and_markdown_agree_with_json():
    source = "sin(pi*x)*y + e^x"
    data = run_cli("diff", source, "--json").json()
    assert run_cli("diff", source).out.strip() == data["program"]
    markdown = run_cli("diff", source, "--format", "markdown").out
    assert data["program"] in markdown
    latex = run_cli("diff", source, "--format", "latex").out
    assert latex.startswith("\\begin{align*}") and "\\frac{\\partial v" in latex


# --- simplification ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x^1 + 0*x", "1"),  # x^1 → x, 0·x → 0
        ("1*x*y + 0", "y"),  # 1·x → x, x + 0 → x
        ("2*3*x", "6"),  # constants fold
        ("x*x*x", "3 * x^2"),  # like terms: x^2 + 2x^2
        ("x^3", "3 * x^2"),  # 3*x^(3-1): the exponent folds
        ("-x^2", "-2 * x"),
        ("x + x + x + x", "4"),
        ("exp(2*x)", "2 * exp(2 * x)"),
        ("x/3", "1/3"),  # division of literals is kept exact and readable
        ("log(x)", "1/x"),
    ],
)
def test_simplified(source, expected):
    assert run_cli("diff", source, "--wrt", "x").out.strip() == expected


def test_terms_are_shared_and_simplified_as_they_are_made():
    terms = Terms()
    x, y = terms.name("x"), terms.name("y")
    product = terms.mul(x, y)
    assert terms.mul(x, y) == product  # hash-consed: one term
    assert terms.add(product, terms.num(0)) == product
    assert terms.mul(terms.num(1), product) == product
    assert terms.mul(product, terms.num(0)) == terms.num(0)
    assert terms.pow(x, terms.num(1)) == x
    assert terms.neg(terms.neg(x)) == x
    assert terms.add(terms.num(2), terms.num(3)) == terms.num(5)
    assert terms.add(x, terms.neg(y)) == terms.sub(x, y)
    assert terms.add(x, x) == terms.mul(terms.num(2), x)


def test_a_shared_subexpression_is_named_once_and_a_single_use_is_inlined():
    text = run_cli("diff", "tanh(tanh(tanh(x)))").out
    lines = text.strip().splitlines()
    # tanh(tanh(x)) feeds the outer tanh and its own derivative: it is named, the rest inlined.
    assert len(lines) == 2, text
    assert lines[0].startswith("v2 = tanh(tanh(x))")
    assert float(evaluate_text(text, {"x": 0.7}).value) == pytest.approx(
        float(evaluate("tanh(tanh(tanh(x)))", x=0.7).gradient["x"]), rel=1e-14
    )


# --- big inputs: nothing recurses over the graph -----------------------------------------------


def _max_paren_depth(text: str) -> int:
    depth = deepest = 0
    for char in text:
        depth += char == "("
        depth -= char == ")"
        deepest = max(deepest, depth)
    return deepest


def test_a_thousand_nested_tanh():
    source = "tanh(" * 1000 + "x" + ")" * 1000
    run = run_cli("diff", source)
    assert run.code == 0, run.err
    assert _max_paren_depth(run.out) <= 50
    assert all(len(line) < 400 for line in run.out.splitlines())
    x = 0.3
    value = float(evaluate_text(run.out, {"x": x}).value)
    assert value == pytest.approx(float(evaluate(source, x=x).gradient["x"]), rel=1e-12)


def test_long_sums_and_products_stay_small():
    assert run_cli("diff", "+".join(["x*y"] * 2000), "--wrt", "x").out.strip() == "2000 * y"
    source = "*".join(["x"] * 300)
    run = run_cli("diff", source)
    assert run.code == 0, run.err
    assert _max_paren_depth(run.out) <= 50
    value = float(evaluate_text(run.out, {"x": 1.001}).value)
    assert value == pytest.approx(float(evaluate(source, x=1.001).gradient["x"]), rel=1e-9)


# --- names, constants and options --------------------------------------------------------------


def test_generated_names_clash_with_nothing():
    # Variables called like the names diff makes up (d_x, t1) and like a graph's names (v1).
    source = "v1 = x*d_x; t1 = exp(v1); t1*t1 + t1*x + d_x"
    data = run_cli("diff", source, "--json").json()
    point = {"x": 0.4, "d_x": -0.3}
    assert assert_matches_reverse(source, point, data["wrt"])
    combined = {name: f"{data['program']}\n{line}" for name, line in (("x", "d_x_2"), ("d_x", "d_d_x"))}
    assert assert_matches_reverse(source, point, combined)
    assigned = [line.split(" = ")[0] for line in data["program"].splitlines()]
    assert len(assigned) == len(set(assigned))


def test_constants_and_a_user_name_that_shadows_one():
    assert run_cli("diff", "sin(pi*x)").out.strip() == "pi * cos(pi * x)"
    source = "q = e*x; e = q*q; e + q"  # the constant e, then a user's name e
    data = run_cli("diff", source, "--json").json()
    assert assert_matches_reverse(source, {"x": 0.7}, data["wrt"])


def test_wrt_and_a_variable_the_output_does_not_depend_on():
    assert run_cli("diff", "x^2 + 0*y", "--wrt", "y").out == "0\n"  # 0*y: a 0 flows into y
    run = run_cli("diff", "a = y; x^2", "--wrt", "y")  # y is read, but nothing flows back to it
    assert run.code == 0
    assert run.out == "0\n"
    assert "does not depend on 'y'" in run.err
    data = run_cli("diff", "a = y; x^2", "--json").json()
    assert data["wrt"] == {"y": "0", "x": "2 * x"}
    assert data["warnings"] == ["the output does not depend on 'y': its derivative is 0"]


def test_json_is_strict_and_complete():
    run = run_cli("diff", SEED004_PROGRAM, "--format", "json")

    def refuse(token):
        raise AssertionError(f"non-standard JSON literal {token}")

    data = json.loads(run.out, parse_constant=refuse)
    assert set(data) == {"schema", "source", "output", "wrt", "program", "warnings"}
    assert data["schema"] == 1 and data["source"] == SEED004_PROGRAM and data["output"] == "h"
    assert all(isinstance(text, str) for text in data["wrt"].values())


def test_output_file_takes_its_format_from_the_extension(tmp_path):
    for suffix, marker in ((".json", '"wrt"'), (".tex", "\\begin{align*}"), (".md", "```"), (".txt", "1 - ")):
        path = tmp_path / f"d{suffix}"
        run = run_cli("diff", "tanh(x)", "-o", str(path))
        assert run.code == 0, run.err
        assert marker in path.read_text()
    assert run_cli("diff", "x", "-o", str(tmp_path / "d.xyz")).code == 2


def test_program_from_a_file_and_from_stdin(tmp_path):
    path = tmp_path / "p.gc"
    path.write_text(SEED004_PROGRAM.replace("; ", "\n"))
    assert run_cli("diff", "-f", str(path)).out == run_cli("diff", SEED004_PROGRAM).out
    assert run_cli("diff", "-", stdin="x^2").out == "2 * x\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sum(x)"], "diff supports scalar expressions for now"),
        (["W @ x"], "diff supports scalar expressions for now"),
        (["[1, 2] * x"], "diff supports scalar expressions for now"),
        (["x[0]"], "diff supports scalar expressions for now"),
        (["softmax(x)"], "diff supports scalar expressions for now"),
        (["x + y", "--wrt", "z"], "--wrt names 'z', which is not a variable"),
        (["x +"], "the input ends too early"),
        (["foo(x)"], "unknown function 'foo'"),
        (["x", "--format", "rich"], "'rich' is not one of"),
    ],
)
def test_bad_input_exits_2_with_one_message(args, message):
    run = run_cli("diff", *args)
    assert run.code == 2
    assert message in run.err
    assert "Traceback" not in run.err
    assert run.out == ""


def test_api_refuses_a_wrt_name_that_is_not_a_variable():
    with pytest.raises(GradcliError):
        differentiate("x*y", ["q"])
