"""`gradcli check`: reverse mode against finite differences, kinks, exit codes, and --perturb."""

from __future__ import annotations

import dataclasses
import io
import json
import math
import subprocess
import sys

import numpy as np
import pytest
from conftest import run_cli, run_process
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradcli import ops
from gradcli.api import check
from gradcli.errors import GradcliError
from gradcli.nudge import parse_perturb, perturb
from gradcli.ops import OPS, Partial

SEED_002 = "u = b*c; v = a + u; J = 3*v"
SEED_002_AT = "a=5,b=3,c=2"


def strict_json(text: str):
    """json.loads that refuses NaN and Infinity literals, as RFC 8259 does."""

    def refuse(literal):
        raise AssertionError(f"non-standard JSON literal {literal}")

    return json.loads(text, parse_constant=refuse)


def rows_by_label(data) -> dict[str, dict]:
    return {row["variable"] + "".join(f"[{i}]" for i in row["index"]): row for row in data["rows"]}


# --- passing checks ---------------------------------------------------------------------------


def test_seed_002_passes_with_every_row_ok():
    run = run_cli("check", SEED_002, "--at", SEED_002_AT, "--json")
    assert run.code == 0, run.err
    data = strict_json(run.out)
    assert data["verdict"] == "ok" and data["passed"] is True
    rows = rows_by_label(data)
    assert {name: rows[name]["reverse"] for name in rows} == {"a": 3.0, "b": 6.0, "c": 9.0}
    for row in rows.values():
        assert row["verdict"] == "ok"
        assert row["fd"] == pytest.approx(row["reverse"], rel=1e-8)
        assert row["h"] == pytest.approx(6e-6 * max(1.0, data["at"][row["variable"]]))


def test_text_output_is_a_plain_table_with_a_summary():
    run = run_cli("check", "sin(x)*y^2", "--at", "x=1,y=2")
    assert run.code == 0, run.err
    assert "\x1b[" not in run.out and "─" not in run.out
    assert "gradient" in run.out and "finite diff." in run.out and "verdict" in run.out
    assert "∂v3/∂x" in run.out and "∂v3/∂y" in run.out
    assert "check passed: all 2 gradient elements agree" in run.out


def test_rounding_noise_is_allowed_for_where_cancellation_makes_it_large():
    # f = (x + 1e8) - 1e8 is x, but its finite differences carry noise of about 1e-8/h.
    result = check("(x + 1e8) - 1e8", {"x": 1.0})
    (row,) = result.rows
    assert row.verdict == "ok"
    assert row.noise > row.abs_err > 1e-5, "the noise estimate, not rtol, lets this row pass"


def test_the_step_shrinks_when_truncation_dominates_or_the_step_leaves_the_domain():
    # At x = 1e-5, h = 6e-6 reaches log's pole: the step is divided until the difference settles.
    (row,) = check("log(x)", {"x": 1e-5}).rows
    assert row.verdict == "ok"
    assert row.h < 1e-6
    assert row.fd == pytest.approx(1e5, rel=1e-6)


def test_array_outputs_check_every_jacobian_entry():
    result = check("sin(x)*y", {"x": np.array([1.0, 2.0]), "y": 3.0})
    assert result.verdict == "ok"
    labels = {(row.variable, row.index, row.output_index) for row in result.rows}
    assert labels == {
        ("x", (0,), (0,)),
        ("x", (0,), (1,)),
        ("x", (1,), (0,)),
        ("x", (1,), (1,)),
        ("y", (), (0,)),
        ("y", (), (1,)),
    }
    diagonal = {
        row.index: row.reverse for row in result.rows if row.variable == "x" and row.index == row.output_index
    }
    assert diagonal == {(0,): pytest.approx(3 * math.cos(1.0)), (1,): pytest.approx(3 * math.cos(2.0))}


def test_a_program_without_variables_has_nothing_to_check():
    run = run_cli("check", "2 + 3")
    assert run.code == 0, run.err
    assert "nothing to check" in run.out


# Random smooth expressions: operations without kinks or poles, at points of moderate size.
SMOOTH_UNARY = ["sin", "cos", "tanh", "sigmoid", "atan", "softplus"]


def _leaves():
    return st.one_of(st.sampled_from(["x", "y", "z"]), st.sampled_from(["0.5", "2", "1.5", "pi"]))


def _extend(children):
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*"]), children).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        st.tuples(st.sampled_from(SMOOTH_UNARY), children).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(children, st.sampled_from(["2", "3"])).map(lambda t: f"({t[0]})^{t[1]}"),
        children.map(lambda c: f"{c}/(1 + {c}^2)"),
    )


@st.composite
def smooth_cases(draw):
    source = draw(st.recursive(_leaves(), _extend, max_leaves=8))
    names = [name for name in ("x", "y", "z") if name in source.replace("pi", "")]
    point = {name: draw(st.floats(-2.0, 2.0, allow_nan=False)) for name in names}
    return source, point


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(smooth_cases())
def test_smooth_generated_expressions_pass(case):
    source, point = case
    result = check(source, point)
    failing = [(row.variable, row.reverse, row.fd, row.note) for row in result.rows if row.verdict != "ok"]
    assert not failing, f"{source} at {point}: {failing}"


def test_the_cli_passes_a_smooth_array_expression():
    run = run_cli("check", "tanh(w*x + b)", "--at", "w=[0.5,-1.5],x=[2,0.25],b=0.1", "--json")
    assert run.code == 0, run.err
    data = strict_json(run.out)
    assert data["verdict"] == "ok"
    assert len(data["rows"]) == 2 * 2 + 2 * 2 + 2  # w and x: 2×2 Jacobians; b: a column of 2


# --- kinks -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "at", "variable", "left", "right", "reverse"),
    [
        ("relu(x)", "x=0", "x", 0.0, 1.0, 0.0),
        ("abs(x-1)", "x=1", "x", -1.0, 1.0, 0.0),
        ("max(a,b)", "a=2,b=2", "a", 0.0, 1.0, 0.5),
        ("max(a,b)", "a=2,b=2", "b", 0.0, 1.0, 0.5),
        ("min(a,b)", "a=-1,b=-1", "a", 1.0, 0.0, 0.5),
        ("3*relu(x) + y", "x=0,y=1", "x", 0.0, 3.0, 0.0),
    ],
)
def test_a_point_on_a_kink_is_reported_not_failed(source, at, variable, left, right, reverse):
    run = run_cli("check", source, "--at", at, "--json")
    assert run.code == 0, run.out + run.err
    data = strict_json(run.out)
    assert data["verdict"] == "kink" and data["passed"] is True
    row = rows_by_label(data)[variable]
    assert row["verdict"] == "kink"
    assert row["reverse"] == reverse
    assert row["left"] == pytest.approx(left, abs=1e-6)
    assert row["right"] == pytest.approx(right, abs=1e-6)
    assert row["note"].startswith("not differentiable here; the one-sided differences are")
    assert row["kink"], "the row names the convention reverse mode used"


def test_the_kink_message_in_text():
    run = run_cli("check", "relu(x)", "--at", "x=0")
    assert run.code == 0, run.err
    assert "not differentiable here; the one-sided differences are 0 and 1" in run.out
    assert "relu'(0) = 0" in run.out
    assert "kink" in run.out.splitlines()[-1]


def test_only_the_variables_that_move_the_kink_are_kinks():
    data = strict_json(run_cli("check", "relu(x)*y + y", "--at", "x=0,y=2", "--json").out)
    rows = rows_by_label(data)
    assert rows["x"]["verdict"] == "kink"
    assert rows["y"]["verdict"] == "ok"


def test_sqrt_at_zero_is_a_kink_with_an_infinite_gradient():
    run = run_cli("check", "sqrt(x)", "--at", "x=0", "--json")
    assert run.code == 0, run.err
    (row,) = strict_json(run.out)["rows"]
    assert row["verdict"] == "kink"
    assert row["reverse"] == "inf"
    assert row["left"] == "nan"  # sqrt is not defined to the left of 0
    assert row["right"] > 100


def test_a_convention_that_changes_a_differentiable_function_is_a_kink():
    # relu(x) - relu(-x) is x: differentiable, slope 1; reverse mode says 0 + 0 by relu'(0) = 0.
    (row,) = check("relu(x) - relu(-x)", {"x": 0.0}).rows
    assert row.verdict == "kink"
    assert row.reverse == 0.0 and row.left == pytest.approx(1.0) and row.right == pytest.approx(1.0)
    assert row.note.startswith("differentiable here")


def test_a_kink_that_does_not_matter_is_ok():
    # relu(x)^2 is smooth at 0 (slope 0 from both sides), though relu and the power sit at kinks.
    (row,) = check("relu(x)^2", {"x": 0.0}).rows
    assert row.verdict == "ok"


def test_a_kink_within_the_step_is_not_a_failure():
    # relu's kink lies 1e-12 from x = 1: even the smallest step, eps/16^3, straddles it.
    (row,) = check("relu(x - 1)", {"x": 1.000000000001}).rows
    assert row.verdict == "kink"
    assert "within the step" in row.note
    assert row.reverse == 1.0


def test_a_tiny_x_gets_a_step_relative_to_itself():
    # h = eps·max(1, |x|) would cross 0 from x = 1e-9; the step shrinks down to eps·|x|.
    for source, x, slope in [
        ("relu(x)", 1e-9, 1.0),
        ("1/x", -4e-43, -1 / 16e-86),
        ("x^1.5", 1e-100, 1.5e-50),
    ]:
        (row,) = check(source, {"x": x}).rows
        assert row.verdict == "ok", (source, row.note)
        assert row.fd == pytest.approx(slope, rel=1e-6)


# --- a wrong derivative rule is caught --------------------------------------------------------


@pytest.fixture
def wrong_sin(monkeypatch):
    """sin's derivative rule replaced by -cos(x): backprop reads OPS on every call."""
    op = OPS["sin"]
    monkeypatch.setitem(
        ops.OPS, "sin", dataclasses.replace(op, partials=(Partial("cos(x)", lambda x, out: -np.cos(x)),))
    )


def test_a_wrong_rule_fails_with_exit_3(wrong_sin):
    run = run_cli("check", "sin(x)*y", "--at", "x=1,y=2", "--json")
    assert run.code == 3, run.out + run.err
    data = strict_json(run.out)
    assert data["verdict"] == "FAIL" and data["passed"] is False
    rows = rows_by_label(data)
    assert rows["x"]["verdict"] == "FAIL"
    assert rows["x"]["reverse"] == pytest.approx(-2 * math.cos(1.0))
    assert rows["x"]["fd"] == pytest.approx(2 * math.cos(1.0), rel=1e-8)
    assert rows["y"]["verdict"] == "ok"


def test_a_wrong_rule_fails_in_text_too(wrong_sin):
    run = run_cli("check", "sin(x)*y", "--at", "x=1,y=2")
    assert run.code == 3
    row = next(line for line in run.out.splitlines() if line.strip().startswith("∂v2/∂x") and "FAIL" in line)
    assert "-1.0806" in row and "1.0806" in row  # 6 digits, trailing zeros dropped
    assert run.out.splitlines()[-1].startswith("check FAILED: 1 of 2")


def test_a_wrong_rule_fails_in_every_jacobian_entry_it_touches(wrong_sin):
    result = check("sin(x)*y", {"x": np.array([1.0, 2.0]), "y": 3.0})
    verdicts = {(row.variable, row.index, row.output_index): row.verdict for row in result.rows}
    assert verdicts[("x", (0,), (0,))] == verdicts[("x", (1,), (1,))] == "FAIL"
    assert verdicts[("x", (0,), (1,))] == verdicts[("y", (), (0,))] == "ok"


@pytest.mark.parametrize(
    ("source", "at"), [("sin(x) + relu(x)^2", 0.0), ("relu(x) + sin(x)", 0.0), ("abs(sin(x))", 0.0)]
)
def test_a_kink_does_not_hide_a_wrong_rule(wrong_sin, source, at):
    # Beside the kink, on each side, reverse mode must match that side's one-sided difference.
    (row,) = check(source, {"x": at}).rows
    assert row.verdict == "FAIL", row.note


def test_a_wrong_rule_for_a_kinked_op_is_caught_away_from_the_kink(monkeypatch):
    op = OPS["relu"]
    monkeypatch.setitem(
        ops.OPS, "relu", dataclasses.replace(op, partials=(Partial("2", lambda x, out: 2.0 + 0 * x),))
    )
    (row,) = check("relu(x)", {"x": 1.5}).rows
    assert row.verdict == "FAIL"


def test_exit_3_from_a_real_process():
    # A process of its own with the wrong rule injected, exiting through the console script's run().
    script = (
        "import dataclasses, sys, numpy as np\n"
        "from gradcli import ops\n"
        "ops.OPS['sin'] = dataclasses.replace(ops.OPS['sin'], partials=(ops.Partial('cos(x)', "
        "lambda x, out: -np.cos(x)),))\n"
        "from gradcli.cli import run\n"
        "sys.argv = ['gradcli', 'check', 'sin(x)', '--at', 'x=1']\n"
        "run()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "check FAILED" in done.stdout
    assert run_process("check", "sin(x)", "--at", "x=1").code == 0


# --- --perturb: seed 002's nudge ---------------------------------------------------------------


def _nodes(data) -> dict[str, dict]:
    return {node["name"]: node for node in data["nodes"]}


def test_perturb_an_intermediate_as_seed_002_does():
    run = run_cli("check", SEED_002, "--at", SEED_002_AT, "--perturb", "u", "--json")
    assert run.code == 0, run.err
    data = strict_json(run.out)
    assert data["perturb"] == {"name": "u", "id": 2, "index": None, "h": 0.001}
    nodes = _nodes(data)
    for name, before, after, reverse in [
        ("b", 3, 3, 0),
        ("c", 2, 2, 0),
        ("a", 5, 5, 0),
        ("u", 6, 6.001, 1),
        ("v", 11, 11.001, 1),
        ("J", 33, 33.003, 3),  # the seed writes 33.0003; 3 * 11.001 is 33.003 (the errata)
    ]:
        node = nodes[name]
        assert node["before"] == before
        assert node["after"] == pytest.approx(after, abs=1e-12)
        assert node["change"] == pytest.approx(after - before, abs=1e-12)
        assert node["ratio"] == pytest.approx(reverse, rel=1e-9)
        assert node["reverse"] == reverse


def test_perturb_a_variable_as_seed_002_does():
    data = strict_json(run_cli("check", SEED_002, "--at", SEED_002_AT, "--perturb", "b=0.001", "--json").out)
    nodes = _nodes(data)
    assert [nodes[n]["after"] for n in ("b", "u", "v", "J")] == pytest.approx([3.001, 6.002, 11.002, 33.006])
    assert [nodes[n]["reverse"] for n in ("b", "u", "v", "J")] == [1, 2, 2, 6]
    assert nodes["a"]["change"] == nodes["c"]["change"] == 0


def test_perturb_text_narrates_the_nudge():
    run = run_cli("check", SEED_002, "--at", SEED_002_AT, "--perturb", "u=0.001")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0] == "Nudging u by h = 0.001: u goes from 6 to 6.001."
    table = {
        line.split()[0]: line.split() for line in lines if line.startswith("  ") and len(line.split()) > 3
    }
    assert table["J"][4:6] == ["33", "33.003"]
    assert table["u"][4:6] == ["6", "6.001"]
    assert table["b"][2:4] == ["3", "3"]
    assert lines[-1].startswith("J: 33 → 33.003, so ∂J/∂u ≈ ")
    assert lines[-1].endswith("(reverse mode: 3)")


def test_perturb_one_element_of_an_array():
    nudge = perturb("x*x", {"x": np.array([1.0, 2.0])}, "x[1]=0.5")
    out = nudge.rows[-1]
    assert out.after.tolist() == [1.0, 6.25]
    assert out.ratio.tolist() == [0.0, 4.5]
    assert out.reverse.tolist() == [0.0, 4.0]


def test_perturb_every_element_by_default():
    nudge = perturb("x*x", {"x": np.array([1.0, 2.0])}, "x")
    assert nudge.rows[0].change.tolist() == pytest.approx([0.001, 0.001])
    assert nudge.rows[-1].reverse.tolist() == [2.0, 4.0]


def test_perturb_a_rebound_name_by_its_version():
    data = strict_json(
        run_cli("check", "c = x + 1; c = c*c; c", "--at", "x=1", "--perturb", "c_2", "--json").out
    )
    nodes = _nodes(data)
    assert nodes["c"]["change"] == 0 and nodes["x"]["change"] == 0
    assert nodes["c_2"]["after"] == pytest.approx(4.001)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("u", ("u", None, 0.001)), ("u=0.5", ("u", None, 0.5)), ("W[0,1]=-1e-3", ("W", (0, 1), -0.001))],
)
def test_parse_perturb(spec, expected):
    assert parse_perturb(spec) == expected


# --- bad input: exit 2, one message, no traceback ---------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x*y", "--at", "x=1,y=2", "--perturb", "z"], "--perturb names 'z', which is not a node"),
        (["x*y", "--at", "x=1,y=2", "--perturb", "x=0"], "other than 0"),
        (["x*y", "--at", "x=1,y=2", "--perturb", "x=abc"], "is not a number"),
        (["x*y", "--at", "x=1,y=2", "--perturb", "x[0]"], "x is a scalar"),
        (["x*x", "--at", "x=[1,2]", "--perturb", "x[2]"], "no such element"),
        (["x*x", "--at", "x=[1,2]", "--perturb", "x[a]"], "whole numbers"),
        (["x*y", "--at", "x=1,y=2", "--perturb", "1x"], "expects NAME or NAME=h"),
        (["x", "--at", "x=1", "--eps", "0"], "--eps must be"),
        (["x", "--at", "x=1", "--eps", "-1"], "--eps must be"),
        (["x", "--at", "x=1", "--eps", "nan"], "--eps must be"),
        (["x", "--at", "x=1", "--rtol", "-1"], "--rtol must be"),
        (["x", "--at", "x=1", "--atol", "inf"], "--atol must be"),
        (["log(x)", "--at", "x=-1"], "finite differences need a finite value"),
        (["x*y", "--at", "x=1"], "no value for y"),
    ],
)
def test_bad_input_exits_2_with_one_message(args, message):
    run = run_cli("check", *args)
    assert run.code == 2, run.out + run.err
    assert run.err.startswith("error:") and message in run.err
    assert "Traceback" not in run.err and run.out == ""


def test_the_api_raises_gradcli_errors():
    with pytest.raises(GradcliError):
        check("x", {"x": 1.0}, eps=0.0)


def test_help_documents_the_rule_and_the_exit_codes():
    run = run_cli("check", "--help")
    assert run.code == 0
    text = " ".join(run.out.split())
    for phrase in (
        "eps·max(1, |x|)",
        "Richardson",
        "3 when one does",
        "not differentiable here",
        "--perturb",
    ):
        assert phrase in text


def test_rich_output_colours_the_verdicts():
    from rich.console import Console

    from gradcli.render.check import print_check

    buffer = io.StringIO()
    console = Console(file=buffer, width=120, force_terminal=True, color_system="standard", highlight=False)
    print_check(check("relu(x) + y", {"x": 0.0, "y": 1.0}), console=console)
    out = buffer.getvalue()
    assert "\x1b[33mkink" in out and "\x1b[32mok" in out
    assert "not differentiable here" in out


def test_summary_when_every_row_is_at_a_kink():
    result = run_cli("check", "abs(x-1) + max(a,b)", "--at", "x=1,a=2,b=2")
    assert result.code == 0
    assert "check passed: no failure; all 3 gradient elements are at a kink" in result.out
    assert "0 of 3 agree" not in result.out
