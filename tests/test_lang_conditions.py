"""Comparisons `< <= > >= == !=` (float 0/1) and `where(c, a, b)`: values, precedence, errors,
gradients against PyTorch 2.13 (numbers measured with float64 and copied in; torch is never
imported here), the cut that keeps the unchosen branch's inf or nan out (where gradcli differs
from PyTorch on purpose), and the same numbers from reverse mode, forward mode and the Hessian."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_ops import contribution, finite_difference_vjp

import gradcli
from gradcli.ops import OPS, partial_of
from gradcli.parse import parse_expression
from gradcli.render.diff import program_text
from gradcli.render.formula import to_latex, to_text
from gradcli.second_order import hessian
from gradcli.symbolic import differentiate

NAN, INF = math.nan, math.inf


def _grad(source: str, mode: str = "reverse", **values) -> dict[str, object]:
    result = gradcli.evaluate(source, values, mode=mode)
    return {name: np.asarray(g).tolist() for name, g in result.gradient.items()}


# --- values and precedence ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x < y", 1.0),
        ("x <= y", 1.0),
        ("x > y", 0.0),
        ("x >= y", 0.0),
        ("x == y", 0.0),
        ("x != y", 1.0),
        ("x + 1 == y", 1.0),  # looser than + and -, as in Python and numpy
        ("x < y * 2 - 1", 1.0),
        ("-x < 0", 1.0),
        ("(x < y) + (x > y)", 1.0),
        ("2 * (x < y)", 2.0),
    ],
)
def test_comparisons_give_float_zero_or_one(source, expected):
    values = {name: value for name, value in (("x", 1.0), ("y", 2.0)) if name in source}
    result = gradcli.evaluate(source, values)
    assert float(result.value) == expected
    assert np.asarray(result.value).dtype == np.float64


def test_comparisons_work_elementwise_and_broadcast():
    result = gradcli.evaluate("x > 0.5", x=[0.0, 1.0, 0.5])
    assert result.value.tolist() == [0.0, 1.0, 0.0]
    assert gradcli.evaluate("x == y", x=[[1.0, 2.0], [3.0, 4.0]], y=[1.0, 4.0]).value.tolist() == [
        [1.0, 0.0],
        [0.0, 1.0],
    ]


def test_comparisons_at_nan_are_numpys_and_pytorchs():
    # torch 2.13: (nan < 1, nan != nan, nan == nan) -> (0.0, 1.0, 0.0)
    assert float(gradcli.evaluate("x < 1", x=NAN).value) == 0.0
    assert float(gradcli.evaluate("x != x", x=NAN).value) == 1.0
    assert float(gradcli.evaluate("x == x", x=NAN).value) == 0.0


def test_where_chooses_where_the_condition_is_not_zero():
    result = gradcli.evaluate("where(c, a, b)", c=[1.0, 0.0, -2.0, NAN], a=[1.0, 2, 3, 4], b=[5.0, 6, 7, 8])
    assert result.value.tolist() == [1.0, 6.0, 3.0, 4.0]  # nan is not 0: true, as bool(nan)
    assert float(gradcli.evaluate("where(x > 0, x, -x)", x=-3.0).value) == 3.0


@pytest.mark.parametrize(
    ("source", "printed"),
    [
        ("a + b < c", "v1 < c"),
        ("(a < b) * c", "v1 * c"),
        ("(a < b) < c", "v1 < c"),
    ],
)
def test_printed_formulas_parse_back(source, printed):
    result = gradcli.evaluate(source, a=1.0, b=2.0, c=3.0)
    definition = result.definition(result.output_node)
    assert to_text(definition) == printed
    assert to_text(parse_expression(printed)) == printed


def test_a_comparison_inside_another_is_parenthesised():
    formula = parse_expression("(a < b) == (c >= d)")
    assert to_text(formula) == "(a < b) == (c >= d)"
    assert to_latex(formula) == r"\left(a < b\right) = \left(c \ge d\right)"
    assert to_latex(parse_expression("a != b")) == r"a \neq b"


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "needles"),
    [
        ("a < b < c", ["comparisons do not chain", "(a < b) * (b < c)"]),
        ("a == b != c", ["comparisons do not chain"]),
        ("a =< b", ["unexpected '<' after '='", "<="]),
        ("a ! b", ["'!=' means not equal"]),
        ("where(a, b)", ["where() takes 3 arguments, not 2"]),
        ('where(a, b, "c")', ["a string literal is only an option's value"]),
    ],
)
def test_bad_conditions_are_exit_2_with_a_caret(source, needles):
    run = run_cli("eval", source, "--at", "a=1,b=2,c=3")
    assert run.code == 2, run.err
    assert "Traceback" not in run.err and "^" in run.err
    for needle in needles:
        assert needle in run.err, run.err


# --- gradients: PyTorch 2.13 float64, measured and copied in -------------------------------------

# (source, values, gradient gradcli gives, what torch 2.13 gives for the same program)
# Measured with /work/venv's torch: `(x < y).double() * x`, `torch.where(x > 0, torch.sqrt(x), 0)`, ...
# `None` is torch's x.grad when no gradient reaches x (gradcli says 0).
TORCH = [
    ("(x < y) * x", {"x": 1.0, "y": 2.0}, {"x": 1.0, "y": 0.0}, {"x": 1.0, "y": None}),
    ("(x < y) * x", {"x": 3.0, "y": 2.0}, {"x": 0.0, "y": 0.0}, {"x": 0.0, "y": None}),
    ("(x < y) * x", {"x": 2.0, "y": 2.0}, {"x": 0.0, "y": 0.0}, {"x": 0.0, "y": None}),
    ("(sqrt(x) > 0) * 1 + x", {"x": -1.0}, {"x": 1.0}, {"x": 1.0}),
    ("where(x > 0, x, y)", {"x": -1.0, "y": 2.0}, {"x": 0.0, "y": 1.0}, {"x": 0.0, "y": 1.0}),
    ("where(x > 0, x, y) * inf", {"x": -1.0, "y": 2.0}, {"x": 0.0, "y": INF}, {"x": 0.0, "y": INF}),
    ("where(x > 0, sqrt(x), 0)", {"x": 4.0}, {"x": 0.25}, {"x": 0.25}),
    # Deliberate differences: the gradient goes into the chosen branch only (the contract: masked,
    # never multiplied), so the unchosen branch's inf or nan partial never meets the 0.
    ("where(x > 0, sqrt(x), 0)", {"x": -1.0}, {"x": 0.0}, {"x": NAN}),
    ("where(x > 0, sqrt(x), 0)", {"x": 0.0}, {"x": 0.0}, {"x": NAN}),
    (
        "sum(where(x > 0, sqrt(x), x * 2))",
        {"x": [-1.0, 4.0, 0.0]},
        {"x": [2.0, 0.25, 2.0]},
        {"x": [NAN, 0.25, NAN]},
    ),
]


@pytest.mark.parametrize(
    ("source", "values", "expected", "torch"), TORCH, ids=[f"{c[0]}@{c[1]}" for c in TORCH]
)
def test_gradients_against_pytorch(source, values, expected, torch):
    for mode in ("reverse", "forward"):
        got = _grad(source, mode, **values)
        assert got == expected, (mode, got)
    for name, number in torch.items():
        if number is None or (not isinstance(number, list) and math.isnan(number)):
            continue  # torch has no gradient there, or the deliberate difference above
        if isinstance(number, list) and any(math.isnan(v) for v in number):
            continue
        assert expected[name] == number, (name, expected[name], number)


def test_the_deliberate_difference_is_documented():
    readme = (_ROOT / "README.md").read_text(encoding="utf-8")
    assert "where(x > 0, sqrt(x), 0)" in readme and "torch.where" in readme


def test_the_unchosen_branch_is_cut_down_its_whole_subgraph():
    # A chain below the cut branch: log(x) and 1/x at 0 are inf, and still nothing leaks.
    got = _grad("where(x > 0, log(x) * (1/x) + sqrt(x), x^2)", x=0.0)
    assert got == {"x": 0.0}
    # An element reached by another path is not cut: its gradient is that path's.
    assert _grad("where(x > 0, sqrt(x), 0) + 3*x", x=-1.0) == {"x": 3.0}
    # The cut is per element, and reductions keep it.
    assert _grad("sum(where(x > 0, sqrt(x), 0))", x=[-1.0, 4.0]) == {"x": [0.0, 0.25]}
    assert _grad("where(sum(x) > 0, sum(sqrt(x)), 0)", x=[-1.0, -4.0]) == {"x": [0.0, 0.0]}


def test_a_vector_jacobian_product_passes_zeros_but_not_the_cut():
    # transpose gives a vector-Jacobian product: its input counts as reached, and sqrt'(-1) = nan
    # then meets the 0 it passes on, as in PyTorch (documented in backprop.py).
    got = _grad("sum(where(x > 3, transpose(sqrt(x)), 0))", x=[-1.0, 4.0])
    assert math.isnan(got["x"][0]) and got["x"][1] == 0.25
    # Cut everywhere, nothing reaches it at all.
    assert _grad("sum(where(x > 9, transpose(sqrt(x)), 0))", x=[-1.0, 4.0]) == {"x": [0.0, 0.0]}


def test_the_condition_gets_no_gradient():
    result = gradcli.evaluate("where(c, a, b)", c=0.5, a=1.0, b=2.0)
    assert {k: float(v) for k, v in result.gradient.items()} == {"c": 0.0, "a": 1.0, "b": 0.0}


def test_the_steps_show_the_local_masks():
    run = run_cli("eval", "where(x > 0, x^2, 3*x)", "--at", "x=2", "--json")
    assert run.code == 0, run.err
    data = run.json()
    where = next(node for node in data["nodes"] if node["op"] == "where")
    assert where["formula"] == "where(v1, v2, v3)"
    steps = {step["wrt"]: step for step in data["steps"] if step["of"] == where["id"]}
    formulas = sorted(step["local_formula"] for step in steps.values())
    assert formulas == ["0", "v1 != 0", "v1 == 0"]
    assert sorted(step["local"] for step in steps.values()) == [0.0, 0.0, 1.0]


# --- reverse, forward, hessian and diff agree ----------------------------------------------------


def test_diff_carries_where_down_the_branch():
    derivative = differentiate("where(x > 0, sqrt(x), 0)")
    assert program_text(derivative.programs["x"]).strip() == "where(x > 0, 1/(2 * sqrt(x)), 0)"
    both = differentiate("where(x > 0, x^2, -x)")
    assert program_text(both.programs["x"]).strip() == "where(x > 0, 2 * x, -1)"
    assert program_text(differentiate("(x < y) * x").programs["y"]).strip() == "0"


@pytest.mark.parametrize(
    ("source", "at", "matrix"),
    [
        ("where(x > 0, sqrt(x), 0)", {"x": -1.0}, [[0.0]]),
        ("where(x > 0, sqrt(x), 0)", {"x": 4.0}, [[-1 / 32]]),
        ("where(x > y, x*y, y^3)", {"x": 1.0, "y": 2.0}, [[0.0, 0.0], [0.0, 12.0]]),
        ("where(x > y, x*y, y^3)", {"x": 3.0, "y": 2.0}, [[0.0, 1.0], [1.0, 0.0]]),
        ("(x < y) * x^2 + (x >= y) * y", {"x": 1.0, "y": 2.0}, [[2.0, 0.0], [0.0, 0.0]]),
    ],
)
def test_hessians_in_closed_form(source, at, matrix):
    np.testing.assert_allclose(hessian(source, at).matrix, matrix, rtol=1e-12)


_SOURCES = [
    "where(x > y, x*y, y^3)",
    "where(x <= 0.5, sin(x) * y, exp(y) - x)",
    "(x < y) * x^2 + (x >= y) * y^2",
    "where(x != y, sqrt(abs(x - y)), 0) + (x == y)",
    "where(y > 0, log(y) * x, x^3)",
    "where(x > 0, where(y > 0, x*y, x), y^2)",
]


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(x=st.sampled_from([-1.5, -0.5, 0.0, 0.3, 0.5, 1.25, 2.0]), y=st.floats(-2.0, 2.0))
@pytest.mark.parametrize("source", _SOURCES)
def test_reverse_forward_and_hessian_agree(source, x, y):
    at = {"x": x, "y": y}
    reverse = gradcli.evaluate(source, at)
    forward = gradcli.evaluate(source, at, mode="forward")
    second = hessian(source, at)
    for name in at:
        r, f = float(reverse.gradient[name]), float(forward.gradient[name])
        assert r == pytest.approx(f, rel=1e-12, abs=1e-300) or (math.isnan(r) and math.isnan(f))
        assert float(second.gradient[name]) == r or math.isnan(r)
    # Each Hessian row is the derivative of the gradient: compare with central differences of
    # reverse mode on the side of the branch the point is on (skipped next to a branch's edge).
    h = 1e-6
    for j, other in enumerate(second.variables):
        up = gradcli.evaluate(source, {**at, other: at[other] + h}).gradient
        down = gradcli.evaluate(source, {**at, other: at[other] - h}).gradient
        for i, name in enumerate(second.variables):
            expected = (float(up[name]) - float(down[name])) / (2 * h)
            got = second.matrix[i, j]
            if not (math.isfinite(expected) and math.isfinite(got)) or abs(expected) > 1e6:
                continue
            conditions = [n for n in reverse.nodes if n.op in ("lt", "le", "gt", "ge", "eq", "ne")]
            near_edge = any(
                abs(float(reverse.nodes[n.inputs[0]].value) - float(reverse.nodes[n.inputs[1]].value)) < 1e-3
                for n in conditions
            )
            if not near_edge:
                assert got == pytest.approx(expected, rel=1e-5, abs=1e-5), (source, at, name, other)


# --- every renderer, the batch path, the check command ------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "markdown", "latex", "json", "rich"])
def test_every_format_prints_a_derivation_with_conditions(fmt):
    run = run_cli("eval", "where(x > 0, x^2, -x) + (x <= 1)", "--at", "x=2", "--format", fmt)
    assert run.code == 0, run.err
    assert "where" in run.out
    if fmt in ("latex", "markdown"):
        assert r"\le" in run.out and r"\operatorname{where}" in run.out
    elif fmt != "json":
        assert "<=" in run.out


def test_gradcli_check_passes_on_conditions():
    for source, at in [
        ("where(x > 0, x^2, -x) * (y < 1)", "x=2,y=0.5"),
        ("sum(where(v > 0, v^2, sin(v)))", "v=[-1,0.5,2]"),
    ]:
        run = run_cli("check", source, "--at", at)
        assert run.code == 0, run.out + run.err


def test_points_run_conditions_in_one_vectorised_pass():
    compiled = gradcli.compile("where(x > 0, sqrt(x), 0) + (x < 1)")
    assert compiled.mixing_ops == ()
    batch = compiled.batch({"x": [-1.0, 0.0, 4.0]})
    assert batch.value.tolist() == [1.0, 1.0, 2.0]
    assert batch.gradient["x"].tolist() == [0.0, 0.0, 0.25]


@pytest.mark.parametrize("shapes", [((3,), (3,), (3,)), ((2, 3), (3,), (2, 3)), ((), (), ())])
def test_where_row_against_finite_differences_and_its_formulas(shapes):
    """What tests/test_ops.py does for every row, for where's three inputs (its generic sampling
    knows one and two): each partial against central differences, each formula evaluated."""
    op = OPS["where"]
    rng = np.random.default_rng(len(shapes[0]))
    for _ in range(5):
        inputs = [rng.uniform(-2.0, 2.0, size=shape) for shape in shapes]
        out = op.forward(*inputs)
        upstream = rng.normal(size=np.shape(out))
        for index in range(3):
            got = contribution(op, index, inputs, out, upstream)
            assert np.allclose(got, finite_difference_vjp(op, index, inputs, upstream), atol=1e-8)
            text = partial_of(op, index).formula_text(*inputs)
            bound = {"c": inputs[0]}
            printed = gradcli.evaluate(text, bound).value if "c" in text else np.float64(0.0)
            local = partial_of(op, index).local(*inputs, out)
            np.testing.assert_array_equal(np.broadcast_to(printed, np.shape(local)), local)


def test_the_rows_are_in_the_table():
    assert {"lt", "le", "gt", "ge", "eq", "ne", "where"} <= set(OPS)
    assert all(OPS[name].pointwise for name in ("lt", "where"))


_ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
