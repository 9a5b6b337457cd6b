"""Axes in the language, end to end: `sum(x, axis=1)`, `softmax(x, axis=-1)`, `var(x, ddof=1)`,
`cumsum(x, axis=0)` through `gradcli.evaluate` and the CLI; the printed formulas of every
option parsed and evaluated by gradcli itself; every renderer showing the steps; bad options
refused with exit 2; and the worked examples a course writes with them (cross-entropy over a
batch, a layer norm, one-head attention), checked against finite differences."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from conftest import run_cli
from test_axes_rules import CASES, _id, _sample

import gradcli
from gradcli.graph import program_names
from gradcli.ops import OPS
from gradcli.parse import parse_expression, parse_program

X23 = np.array([[1.0, -2.0, 0.5], [0.3, 2.0, -1.5]])


def _finite_differences(source: str, values: dict, name: str, h: float = 1e-6) -> np.ndarray:
    """∂output/∂name of a scalar program, by central differences of its value."""
    x = np.asarray(values[name], dtype=np.float64)
    result = np.zeros_like(x)
    for position in np.ndindex(x.shape):
        sides = []
        for step in (h, -h):
            moved = x.copy()
            moved[position] += step
            sides.append(float(gradcli.evaluate(source, {**values, name: moved}, record_steps=False).value))
        result[position] = (sides[0] - sides[1]) / (2 * h)
    return result


# --- values and gradients, end to end -------------------------------------------------------------


def test_sum_along_an_axis_is_numpys_and_its_jacobian_the_rows():
    result = gradcli.evaluate("sum(x, axis=1)", x=X23)
    np.testing.assert_array_equal(result.value, X23.sum(axis=1))
    expected = np.zeros((2, 2, 3))
    expected[0, 0], expected[1, 1] = 1.0, 1.0
    np.testing.assert_array_equal(result.gradient["x"], expected)


@pytest.mark.parametrize(
    ("source", "reference"),
    [
        ("sum(x, axis=0)", lambda x: x.sum(axis=0)),
        ("mean(x, axis=-1, keepdims=1)", lambda x: x.mean(axis=-1, keepdims=True)),
        ("max(x, axis=[0, 1])", lambda x: x.max()),
        ("min(x, axis=0)", lambda x: x.min(axis=0)),
        ("prod(x, axis=1)", lambda x: x.prod(axis=1)),
        ("norm(x, axis=1)", lambda x: np.sqrt((x * x).sum(axis=1))),
        ("logsumexp(x, axis=1)", lambda x: np.log(np.exp(x).sum(axis=1))),
        ("var(x, axis=1, ddof=1)", lambda x: x.var(axis=1, ddof=1)),
        ("std(x, ddof=1)", lambda x: x.std(ddof=1)),
        ("softmax(x, axis=-1)", lambda x: np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True)),
        ("log_softmax(x, axis=0)", lambda x: x - np.log(np.exp(x).sum(axis=0, keepdims=True))),
        ("cumsum(x)", lambda x: np.cumsum(x)),
        ("cumprod(x, axis=1)", lambda x: np.cumprod(x, axis=1)),
        ("expand_dims(x, axis=1)", lambda x: x[:, None, :]),
        ("reshape(x, shape=[3, 2])", lambda x: x.reshape(3, 2)),
        # numpy's positional spellings: the options in the row's order, after the inputs
        ("sum(x, 1)", lambda x: x.sum(axis=1)),
        ("var(x, 0, 1)", lambda x: x.var(axis=0, ddof=1)),
        ("cumsum(x, 0)", lambda x: np.cumsum(x, axis=0)),
        ("reshape(x, [6])", lambda x: x.ravel()),
        ("expand_dims(x, 0)", lambda x: x[None]),
    ],
)
def test_values_are_numpys_and_jacobians_match_finite_differences(source, reference):
    result = gradcli.evaluate(source, x=X23)
    np.testing.assert_allclose(result.value, reference(X23), rtol=1e-13)
    size = np.size(result.value)
    rows = np.reshape(result.gradient["x"], (size, *X23.shape))
    for k, row in enumerate(rows):  # row k: ∂out[k]/∂x, against numpy's values nudged
        numeric = np.zeros_like(X23)
        for position in np.ndindex(X23.shape):
            up, down = X23.copy(), X23.copy()
            up[position] += 1e-6
            down[position] -= 1e-6
            numeric[position] = (np.ravel(reference(up))[k] - np.ravel(reference(down))[k]) / 2e-6
        np.testing.assert_allclose(row, numeric, rtol=1e-6, atol=1e-8, err_msg=f"{source}: row {k}")


def test_the_defaults_are_the_behaviour_before_options():
    """No options: every element reduced to one number, softmax normalised over the whole array."""
    assert np.ndim(gradcli.evaluate("sum(x)", x=X23).value) == 0
    whole = gradcli.evaluate("softmax(x)", x=X23).value
    np.testing.assert_allclose(whole, np.exp(X23) / np.exp(X23).sum(), rtol=1e-14)
    assert np.sum(whole) == pytest.approx(1.0)
    assert gradcli.evaluate("var(x)", x=X23).value == pytest.approx(X23.var(), rel=1e-14)


def test_keepdims_keeps_the_shape_broadcasting_needs():
    result = gradcli.evaluate("x - mean(x, axis=1, keepdims=1)", x=X23)
    np.testing.assert_allclose(result.value, X23 - X23.mean(axis=1, keepdims=True), rtol=1e-14)


# --- the worked examples a course writes with axes -----------------------------------------------

RNG = np.random.default_rng(16)
EXAMPLES = [
    # softmax regression on a batch of 4, cross-entropy written with log_softmax along the rows
    (
        "Z = X @ W + b; -sum(Y * log_softmax(Z, axis=-1)) / 4",
        {"X": RNG.normal(size=(4, 3)), "W": RNG.normal(size=(3, 2)), "b": RNG.normal(size=2)},
        {"Y": np.eye(2)[[0, 1, 1, 0]]},
    ),
    # a layer norm over the last axis
    (
        "m = mean(x, axis=-1, keepdims=1); v = var(x, axis=-1, keepdims=1); "
        "y = (x - m) / sqrt(v + 1e-5); sum(y * w)",
        {"x": RNG.normal(size=(2, 4)), "w": RNG.normal(size=(2, 4))},
        {},
    ),
    # one-head attention
    (
        "A = softmax(Q @ transpose(K) / sqrt(2), axis=-1); sum((A @ V) * G)",
        {"Q": RNG.normal(size=(3, 2)), "K": RNG.normal(size=(3, 2)), "V": RNG.normal(size=(3, 2))},
        {"G": RNG.normal(size=(3, 2))},
    ),
    # a standardised cumulative sum, max-pooling over rows, a product of probabilities
    ("sum(cumsum(x, axis=1) / std(x, axis=1, keepdims=1))", {"x": RNG.normal(size=(2, 3))}, {}),
    (
        "sum(max(x, axis=0) * w) + logsumexp(x, axis=[0, 1])",
        {"x": RNG.normal(size=(3, 2))},
        {"w": [1.0, -2.0]},
    ),
    ("sum(log(cumprod(p, axis=-1)))", {"p": RNG.uniform(0.2, 0.9, size=(2, 3))}, {}),
]


@pytest.mark.parametrize(("source", "variables", "data"), EXAMPLES, ids=[e[0][:40] for e in EXAMPLES])
def test_course_examples_match_finite_differences(source, variables, data):
    values = {**variables, **data}
    result = gradcli.evaluate(source, values, wrt=list(variables))
    for name in variables:
        numeric = _finite_differences(source, values, name)
        np.testing.assert_allclose(
            result.gradient[name], numeric, rtol=1e-6, atol=1e-8, err_msg=f"{source}: {name}"
        )
    forward = gradcli.evaluate(source, values, wrt=list(variables), mode="forward")
    for name in variables:
        np.testing.assert_allclose(forward.gradient[name], result.gradient[name], rtol=1e-12, atol=1e-14)


def test_gradient_check_passes_on_axis_programs():
    run = run_cli(
        "check",
        "sum(softmax(W, axis=-1) * C) + sum(var(W, axis=0, ddof=1)) + sum(cumprod(W, axis=1))",
        "--at",
        "W=[[0.5,1.5,-1],[2,-0.5,1]],C=[[1,2,3],[3,2,1]]",
        "--json",
    )
    assert run.code == 0, run.out + run.err


# --- every printed formula, with its options, parses and evaluates to the rule -------------------


def _formula_value(formula: str, x: np.ndarray, out: np.ndarray, grad: np.ndarray) -> np.ndarray:
    bindings = {"x": x, "out": out, "grad": grad}
    free = program_names(parse_program(formula)).free
    assert set(free) <= set(bindings), f"{formula!r} reads {sorted(set(free) - set(bindings))}"
    return np.asarray(gradcli.evaluate(formula, {name: bindings[name] for name in free}).value)


FORMULA_CASES = [case for case in CASES if case[2]]  # those with options; test_ops has the defaults


@pytest.mark.parametrize("case", FORMULA_CASES, ids=_id)
def test_printed_formulas_with_options_equal_the_rules(case):
    name, shape, options = case
    op = OPS[name]
    x = _sample(name, shape)
    out = np.asarray(op.forward(x, **options))
    grad = np.random.default_rng(1).normal(size=out.shape)
    text = op.partials[0].formula_text(x, **options)
    parse_expression(text)
    printed = _formula_value(text, x, out, grad)
    rule = op.partials[0].vjp(x, out, grad, **options)
    np.testing.assert_allclose(
        np.broadcast_to(printed, np.shape(rule)), rule, rtol=1e-9, atol=1e-12, err_msg=text
    )


# --- every renderer shows the steps ---------------------------------------------------------------

STEPS = [
    ("sum(x, axis=1)", "expand_dims(grad, axis=1)"),
    ("mean(x, axis=0, keepdims=1)", "grad/2"),
    ("min(x, axis=[0, 1])", "minmask(x, axis=[0, 1])"),
    ("norm(x, axis=1)", "x/expand_dims(out, axis=1)"),
    ("reshape(x, shape=[3, 2])", "reshape(grad, shape=[2, 3])"),
    ("max(x, axis=-1)", "maxmask(x, axis=-1)"),
    ("var(x, axis=0, ddof=1)", "mean(x, axis=0, keepdims=1)"),
    ("std(x)", "mean(x)"),
    ("prod(x, axis=1)", "expand_dims(out, axis=1)"),
    ("log_softmax(x, axis=-1)", "sum(grad, axis=-1, keepdims=1)"),
    ("softmax(x, axis=0)", "sum(grad * out, axis=0, keepdims=1)"),
    ("cumsum(x, axis=1)", "cumsum(grad, axis=1)"),
    ("cumprod(x)", "reshape("),
    ("logsumexp(x, axis=1, keepdims=1)", "exp(x - out)"),
    ("expand_dims(x, axis=1)", "reshape(grad, shape=[2, 3])"),
]
AT = "x=[[1,-2,0.5],[0.3,2,-1.5]]"


def _program(op_call: str) -> str:
    return f"y = {op_call}; sum(y * y)"


@pytest.mark.parametrize(("call", "formula"), STEPS, ids=[s[0] for s in STEPS])
def test_text_and_json_show_the_step_with_its_options(call, formula):
    source = _program(call)
    text = run_cli("eval", source, "--at", AT, "--format", "text")
    assert text.code == 0, text.err
    options = re.sub(r"^[a-z_]+\(x,? ?", "", call)[:-1]
    assert f"({'x' + (', ' + options if options else '')})" in text.out, text.out
    printed = formula.replace("out", "y").replace("(x", "(x")
    assert printed in text.out.replace("out", "y"), text.out
    data = json.loads(run_cli("eval", source, "--at", AT, "--json").out)
    node = next(n for n in data["nodes"] if n["name"] == "y")
    if options:
        assert node["options"], node
    step = next(s for s in data["steps"] if s["of"] == node["id"])
    assert step["local"] is None and "grad" in step["local_formula"]


@pytest.mark.parametrize("fmt", ["markdown", "latex", "rich"])
@pytest.mark.parametrize("call", [s[0] for s in STEPS])
def test_markdown_latex_and_the_terminal_show_the_steps(fmt, call):
    run = run_cli("eval", _program(call), "--at", AT, "--format", fmt)
    assert run.code == 0, run.err
    name = call.split("(")[0]
    assert name in run.out or name.replace("_", r"\_") in run.out, run.out
    data = run_cli("eval", _program(call), "--at", AT, "--json").json()
    y = next(node for node in data["nodes"] if node["name"] == "y")
    if np.size(y["value"]) > 1:  # a product over `grad`; into one number the local itself is shown
        assert "grad" in run.out


# --- bad options: exit 2, one message, a caret, a hint --------------------------------------------


@pytest.mark.parametrize(
    ("source", "needles"),
    [
        ("sum(x, axis=2)", ["axis 2 is out of range for an array of 2 dimensions"]),
        ("max(x, axis=[1, -1])", ["names dimension 1 twice"]),
        ("mean(x, axis=0.5)", ["axis is a whole number"]),
        ("softmax(x, axis=-3)", ["axis -3 is out of range"]),
        ("cumsum(x, axis=[0, 1])", ["run along one axis"]),
        ("reshape(x, shape=[4, 2])", ["cannot take shape [4, 2]"]),
        ('var(x, ddof="one")', ["ddof"]),
        ("sum(x, axis=k)", ["axis must be a constant"]),
        ("std(x, axes=1)", ["no option 'axes'", "axis=None, ddof=0, keepdims=0"]),
        ("sum(x, keepdims=2)", ["keepdims is 0 or 1"]),
        ("prod(x, axis=1, axis=0)", ["given twice"]),
    ],
)
def test_bad_options_exit_2_with_a_message(source, needles):
    run = run_cli("eval", source, "--at", "x=[[1,2],[3,4]]" + (",k=1" if "k)" in source else ""))
    assert run.code == 2 and run.out == ""
    assert "Traceback" not in run.err and "^" in run.err
    for needle in needles:
        assert needle in run.err, run.err


# --- second order: the Hessian -------------------------------------------------------------------


def test_hessian_of_an_array_op():
    # var with ddof=1 over n = 3 numbers: the Hessian is (2/(n-1)) (I - 11ᵀ/n).
    run = run_cli("hessian", "var([a, b, c], ddof=1)", "--at", "a=1,b=2,c=4", "--json")
    assert run.code == 0, run.err
    np.testing.assert_allclose(run.json()["hessian"], np.eye(3) - 1 / 3, rtol=1e-14)
