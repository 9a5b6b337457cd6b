"""The kinks of the functions of issue 16: PyTorch 2.13's numbers there (measured; the cases are
closed_forms_functions.KINKS), and the derivation's mark naming the convention."""

from __future__ import annotations

import numpy as np
import pytest
from closed_forms_functions import ARRAY, BINARY, KINKS, UNARY
from conftest import run_cli

from gradcli.api import evaluate
from gradcli.ops import OPS

NEW = sorted({*UNARY, *BINARY, *ARRAY})  # the ops this part of issue 16 adds
SMOOTH = {"log2", "log10", "log1p", "expm1", "exp2", "logaddexp", "erf", "erfc", "asinh", "atanh"}
SMOOTH |= {"silu", "gelu", "mish", "softsign", "logsigmoid"}


def test_every_new_function_is_a_row():
    assert len(NEW) == 31 and set(NEW) <= set(OPS)


def test_every_new_op_with_a_kink_has_a_case_and_a_convention():
    with_kink = {name for name in NEW if OPS[name].kink is not None}
    assert with_kink == {case[4] for case in KINKS}
    assert all(OPS[name].convention for name in with_kink)
    # The smooth ones (on their domain) have none.
    assert {name for name in NEW if OPS[name].kink is None} == SMOOTH


@pytest.mark.parametrize(
    ("source", "values", "value", "gradient", "op"), KINKS, ids=[f"{k[0]}@{k[1]}" for k in KINKS]
)
def test_kink_conventions_are_pytorchs_and_marked(source, values, value, gradient, op):
    result = evaluate(source, **values)
    assert float(result.value) == value
    got = {name: np.asarray(g).tolist() for name, g in result.gradient.items()}
    np.testing.assert_equal(got, gradient)  # nan equals nan (hypot at the origin); -0 is not 0
    marked = [node for node in result.nodes if node.op == op]
    assert marked and all(node.kink == OPS[op].convention for node in marked), source


@pytest.mark.parametrize(
    ("source", "values"),
    [
        ("leaky_relu(x, 0.1)", {"x": -0.5}),
        ("selu(x)", {"x": 0.5}),
        ("hardtanh(x)", {"x": 0.99}),
        ("hardswish(x)", {"x": -2.9}),
        ("floor(x) + round(x) + trunc(x)", {"x": 1.25}),
        ("mod(a, b)", {"a": 7.0, "b": 2.5}),
        ("clip(x, lo, hi)", {"x": 1.5, "lo": 1.0, "hi": 2.0}),
        ("atan2(y, x) + hypot(y, x)", {"y": 0.0, "x": 1.0}),  # the positive x axis is smooth
        ("acosh(x)", {"x": 1.5}),
    ],
)
def test_no_kink_mark_away_from_kinks(source, values):
    result = evaluate(source, **values)
    assert all(node.kink is None for node in result.nodes)


def test_an_array_with_one_element_at_the_kink_marks_the_node():
    result = evaluate("sum(relu6(x))", x=np.array([1.0, 6.0, 7.0]))
    np.testing.assert_array_equal(result.gradient["x"], [1.0, 0.0, 0.0])
    (node,) = [node for node in result.nodes if node.op == "relu6"]
    assert node.kink == OPS["relu6"].convention


@pytest.mark.parametrize(
    ("source", "at", "op"),
    [
        ("hardswish(x) * 2", "x=3", "hardswish"),
        ("clip(x, 0, 1)", "x=1", "clip"),
        ("mod(a, b) + 1", "a=3,b=1.5", "mod"),
        ("selu(x) + x", "x=0", "selu"),
    ],
)
def test_json_marks_the_kink_on_the_node_and_its_steps(source, at, op):
    run = run_cli("eval", source, "--at", at, "--json")
    assert run.code == 0, run.err
    data = run.json()
    (node,) = [node for node in data["nodes"] if node["op"] == op]
    assert node["kink"] == OPS[op].convention
    steps = [step for step in data["steps"] if step["of"] == node["id"]]
    assert steps and all(step["kink"] == OPS[op].convention for step in steps)


def test_text_names_the_convention():
    run = run_cli("eval", "hardtanh(x) + leaky_relu(y, 0.2)", "--at", "x=1,y=0", "--format", "text")
    assert run.code == 0, run.err
    assert "hardtanh'(±1) = 0" in run.out and "leaky_relu'(0) = a" in run.out
