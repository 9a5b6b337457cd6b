"""The losses as a user writes them: calls and options, class indices and probabilities, the
printed textbook steps (parsed and evaluated). Every renderer, `gradcli check` and the errors
(exit 2): tests/test_losses_render.py.

PyTorch's numbers are in tests/test_losses_torch.py; reverse, forward and second derivatives in
tests/test_losses_modes.py; the row-driven checks (finite differences, formulas, closed forms)
come from tests/test_ops.py with the closed forms of tests/closed_forms_losses.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import run_cli

from gradcli.api import evaluate
from gradcli.graph import program_names
from gradcli.ops import FUNCTIONS, OPS
from gradcli.parse import parse_expression, parse_program

Z = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0], [0.0, 0.0, 0.0], [-2.0, 1.0, 0.5]])
Y = np.array([2.0, 0.0, 1.0, 1.0])
P = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0], [0.1, 0.1, 0.8], [0.25, 0.25, 0.5]])


def _matrix(a) -> str:
    return json.dumps(np.asarray(a).tolist()).replace(" ", "")


# --- calls, options and names ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("nll_loss", "nll"),
        ("mse_loss", "mse"),
        ("binary_cross_entropy", "bce"),
        ("binary_cross_entropy_with_logits", "bce_with_logits"),
        ("one_hot", "one_hot"),
        ("onehot", "one_hot"),
    ],
)
def test_pytorchs_names_call_the_same_rows(alias, name):
    arity = OPS[name].arity
    assert FUNCTIONS[(alias, arity)] is OPS[name]


def test_onehot_of_one_input_is_the_class_one_and_of_two_the_index_mask():
    assert FUNCTIONS[("onehot", 1)].name == "one_hot"
    assert FUNCTIONS[("onehot", 2)].name == "onehot"  # onehot(x, 2): x's shape, 1 at position 2
    np.testing.assert_array_equal(
        evaluate("onehot(t, num_classes=3)", t=[2.0, 0.0]).value, [[0, 0, 1], [1, 0, 0]]
    )
    np.testing.assert_array_equal(evaluate("onehot(t)", t=[1.0, 3.0]).value, np.eye(4)[[1, 3]])  # C = max + 1
    np.testing.assert_array_equal(
        evaluate("onehot(t, num_classes=2, axis=0)", t=[1.0, 0.0, 1.0]).value, [[0, 1, 0], [1, 0, 1]]
    )
    # A t that is no class (not a whole number from 0 to C - 1) has no 1: t == k for no k.
    np.testing.assert_array_equal(evaluate("onehot(t, num_classes=2)", t=[0.5, -1.0]).value, np.zeros((2, 2)))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("huber(r, 0.5)", "huber(r, delta=0.5)"),  # delta by position: the huber(r, delta)
        ("huber_loss(a, b, 0.5)", "huber_loss(a, b, delta=0.5)"),
        ('huber(r, 2, reduction="sum")', 'huber(r, delta=2, reduction="sum")'),
        ("cross_entropy(z, y, 0)", "cross_entropy(z, y, axis=0)"),  # numpy's order: axis, then reduction
    ],
)
def test_options_by_position_are_the_keywords(source, expected):
    at = {"r": [0.3, -2.0], "a": [1.0, 2.0], "b": [0.0, 0.5], "z": [[1.0, 2.0], [0.0, -1.0]], "y": [1.0, 0.0]}
    reads = program_names(parse_program(source)).free
    given = {name: at[name] for name in reads}
    first, second = evaluate(source, given), evaluate(expected, given)
    assert float(first.value) == float(second.value)


def test_huber_of_a_residual_is_huber_loss_of_a_prediction_and_its_target():
    yhat, y = [1.5, -0.25, 2.0, 0.1], [0.5, 0.5, 0.5, 0.1]
    both = (
        evaluate("huber(yhat - y, 0.5)", yhat=yhat, y=y),
        evaluate("huber_loss(yhat, y, delta=0.5)", yhat=yhat, y=y),
    )
    assert float(both[0].value) == float(both[1].value)
    for name in ("yhat", "y"):
        np.testing.assert_allclose(both[0].gradient[name], both[1].gradient[name], rtol=1e-15)


@pytest.mark.parametrize("target", [Y, P], ids=["indices", "probabilities"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_is_nll_of_log_softmax(target, reduction):
    r = f'reduction="{reduction}"'
    weights = "* [1, -2, 0.5, 3]" if reduction == "none" else ""
    a = evaluate(f"sum(cross_entropy(z, t, {r}) {weights})", z=Z, t=target)
    b = evaluate(f"sum(nll(log_softmax(z, axis=-1), t, {r}) {weights})", z=Z, t=target)
    np.testing.assert_allclose(a.value, b.value, rtol=1e-14)
    np.testing.assert_allclose(a.gradient["z"], b.gradient["z"], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(a.gradient["t"], b.gradient["t"], rtol=1e-12, atol=1e-15)


def test_bce_of_sigmoid_is_bce_with_logits():
    z, y = np.array([-1.5, 0.25, 2.0]), np.array([0.0, 0.7, 1.0])
    a, b = evaluate("bce(sigmoid(z), y)", z=z, y=y), evaluate("bce_with_logits(z, y)", z=z, y=y)
    np.testing.assert_allclose(a.value, b.value, rtol=1e-14)
    for name in ("z", "y"):
        np.testing.assert_allclose(a.gradient[name], b.gradient[name], rtol=1e-12)


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("mse(a, b)", np.mean((np.array([1.0, -2.0, 0.5]) - [0.0, 1.0, 0.5]) ** 2)),
        ('mse(a, b, reduction="sum")', np.sum((np.array([1.0, -2.0, 0.5]) - [0.0, 1.0, 0.5]) ** 2)),
        ('mse(a, b, reduction="none")', (np.array([1.0, -2.0, 0.5]) - [0.0, 1.0, 0.5]) ** 2),
        ("mse(a, 0)", np.mean(np.array([1.0, -2.0, 0.5]) ** 2)),  # a number broadcasts
    ],
)
def test_reductions(source, value):
    result = (
        evaluate(source, a=[1.0, -2.0, 0.5], b=[0.0, 1.0, 0.5])
        if "b" in source
        else evaluate(source, a=[1.0, -2.0, 0.5])
    )
    np.testing.assert_allclose(result.value, value, rtol=1e-15)


def test_class_indices_get_no_gradient_and_probabilities_get_minus_log_softmax():
    indices = evaluate("cross_entropy(z, y)", z=Z, y=Y)
    np.testing.assert_array_equal(indices.gradient["y"], np.zeros(4))
    probabilities = evaluate("cross_entropy(z, p)", z=Z, p=P)
    log_softmax = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(probabilities.gradient["p"], -log_softmax / 4, rtol=1e-14)


@pytest.mark.parametrize(
    "source", ["cross_entropy(z, sqrt(y))", "nll(z, sqrt(y))", "sum(onehot(sqrt(y), num_classes=3))"]
)
def test_class_indices_are_cut_off_the_graph(source):
    """Nothing flows into class indices or below them (PyTorch's are integers, outside the graph):
    sqrt'(0) = inf is never multiplied by their 0."""
    at = {"z": Z[:2], "y": [0.0, 4.0]} if "z" in source else {"y": [0.0, 4.0]}
    result = evaluate(source, at)
    np.testing.assert_array_equal(result.gradient["y"], [0.0, 0.0])
    assert not any("not finite" in warning for warning in result.warnings)


def test_an_inf_upstream_reaches_no_class_index():
    result = evaluate("cross_entropy(z, y) * s", z=Z, y=Y, s=np.inf)
    np.testing.assert_array_equal(result.gradient["y"], np.zeros(4))  # zeros, never 0 × inf


# --- index targets against finite differences (the row-driven test samples probabilities) ------


def _central(source: str, at: dict, name: str, h: float = 1e-6) -> np.ndarray:
    x = np.asarray(at[name], dtype=np.float64)
    result = np.zeros(np.shape(evaluate(source, at).value) + x.shape)
    for position in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[position] += h
        down[position] -= h
        high = np.asarray(evaluate(source, {**at, name: up}).value)
        low = np.asarray(evaluate(source, {**at, name: down}).value)
        result[(..., *position)] = (high - low) / (2 * h)
    return result


CLASS_CASES = [
    ("cross_entropy(z, y)", (4, 3), [2, 0, 1, 1]),
    ('cross_entropy(z, y, reduction="sum")', (4, 3), [2, 0, 1, 1]),
    ('cross_entropy(z, y, reduction="none")', (4, 3), [2, 0, 1, 1]),
    ("cross_entropy(z, y, axis=0)", (3, 4), [2, 0, 1, 1]),
    ("cross_entropy(z, y, axis=1)", (2, 3, 2), [[0, 2], [1, 1]]),
    ('cross_entropy(z, y, axis=-2, reduction="none")', (2, 3, 2), [[0, 2], [1, 1]]),
    ("cross_entropy(z, y)", (3,), 2),
    ("nll(z, y)", (4, 3), [2, 0, 1, 1]),
    ('nll(z, y, axis=0, reduction="none")', (3, 4), [2, 0, 1, 1]),
]


@pytest.mark.parametrize(("source", "shape", "target"), CLASS_CASES)
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_class_index_targets_match_finite_differences(source, shape, target, mode):
    z = np.random.default_rng(len(source)).uniform(-2.0, 2.0, size=shape)
    at = {"z": z, "y": np.asarray(target, dtype=np.float64)}
    result = evaluate(source, at, mode=mode)
    numeric = _central(source, at, "z")
    got = np.reshape(result.gradient["z"], numeric.shape)
    np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-8)
    assert not np.any(result.gradient["y"])


# --- the printed steps: the textbook derivative, in gradcli's own language -------------------------


def _step_formulas(source: str, at: dict) -> list[str]:
    run = run_cli("eval", source, "--at", ",".join(f"{k}={_matrix(v)}" for k, v in at.items()), "--json")
    assert run.code == 0, run.err
    return [step["local_formula"] for step in run.json()["steps"]]


@pytest.mark.parametrize(
    ("source", "at", "formula"),
    [
        (
            "cross_entropy(z, y)",
            {"z": Z, "y": Y},
            "grad * (softmax(z, axis=-1) - onehot(y, num_classes=3))/4",
        ),
        (
            'cross_entropy(z, y, reduction="sum")',
            {"z": Z, "y": Y},
            "grad * (softmax(z, axis=-1) - onehot(y, num_classes=3))",
        ),
        (
            'sum(cross_entropy(z, y, reduction="none"))',
            {"z": Z, "y": Y},
            "expand_dims(grad, axis=-1) * (softmax(z, axis=-1) - onehot(y, num_classes=3))",
        ),
        (
            "cross_entropy(z, y, axis=0)",
            {"z": Z.T, "y": Y},
            "grad * (softmax(z, axis=0) - onehot(y, num_classes=3, axis=0))/4",
        ),
        ("cross_entropy(z, p)", {"z": Z, "p": P}, "grad * (softmax(z, axis=-1) - p)/4"),
        (
            "cross_entropy(z, p)",
            {"z": Z, "p": 2 * P},
            "grad * (softmax(z, axis=-1) * sum(p, axis=-1, keepdims=1) - p)/4",
        ),
        ("cross_entropy(z, p)", {"z": Z, "p": P}, "-grad * log_softmax(z, axis=-1)/4"),
        ("nll(a, y)", {"a": Z, "y": Y}, "-grad * onehot(y, num_classes=3)/4"),
        ("bce_with_logits(z, y)", {"z": [0.5, -1.0, 2.0], "y": [1.0, 0.0, 1.0]}, "grad * (sigmoid(z) - y)/3"),
        ("bce_with_logits(z, y)", {"z": [0.5, -1.0, 2.0], "y": [1.0, 0.0, 1.0]}, "-grad * z/3"),
        ("bce(p, y)", {"p": [0.5, 0.2], "y": [1.0, 0.0]}, "grad * (p - y)/((1 - p) * p)/2"),
        (
            "bce(p, y)",
            {"p": [0.5, 0.0], "y": [1.0, 0.0]},
            "grad * (p - y)/max((1 - p) * p, 9.999999960041972e-13)/2",
        ),
        ("bce(p, y)", {"p": [0.5, 0.2], "y": [1.0, 0.0]}, "grad * (log1p(-p) - log(p))/2"),
        ("mse(yhat, y)", {"yhat": [1.0, 2.0], "y": [0.0, 0.0]}, "grad * 2 * (yhat - y)/2"),
        ("mse(yhat, y)", {"yhat": [1.0, 2.0], "y": [0.0, 0.0]}, "-grad * 2 * (yhat - y)/2"),
        ("mse(yhat, y)", {"yhat": 1.0, "y": 0.0}, "grad * 2 * (yhat - y)"),  # the mean of one: no /1
        ("huber(r)", {"r": [0.5, -3.0]}, "grad * where(abs(r) < 1, r, sign(r))/2"),
        ("huber(r, 0.5)", {"r": [0.5, -3.0]}, "grad * where(abs(r) < 0.5, r, 0.5 * sign(r))/2"),
        (
            "huber_loss(a, b)",
            {"a": [0.5, -3.0], "b": [0.0, 1.0]},
            "-grad * where(abs(a - b) < 1, a - b, sign(a - b))/2",
        ),
    ],
)
def test_the_step_prints_the_textbook_derivative(source, at, formula):
    assert formula in _step_formulas(source, at)


def _bound(formula: str, values: dict, upstream) -> dict:
    free = program_names(parse_program(formula)).free
    return {name: values.get(name, upstream) for name in free if name not in ("pi", "e")}


@pytest.mark.parametrize(
    ("source", "shape", "target"), [*CLASS_CASES, ("cross_entropy(z, p, axis=1)", (2, 3, 2), None)]
)
def test_printed_steps_with_options_evaluate_to_their_numbers(source, shape, target):
    """Every vjp step of the JSON derivation, its formula evaluated by gradcli with the node values
    and the upstream gradient bound, gives the step's contribution (index targets, axes and
    reductions that the row-driven test, at default options, does not reach)."""
    rng = np.random.default_rng(3)
    z = rng.uniform(-2.0, 2.0, size=shape)
    second = rng.uniform(0.0, 1.0, size=shape) if target is None else np.asarray(target, dtype=np.float64)
    name = "p" if target is None else "y"
    run = run_cli(
        "eval", f"sum({source} * 1.5)", "--at", f"z={_matrix(z)},{name}={_matrix(second)}", "--json"
    )
    assert run.code == 0, run.err
    data = run.json()
    values = {node["name"]: np.asarray(node["value"]) for node in data["nodes"] if node["op"] != "const"}
    loss = next(node for node in data["nodes"] if node["op"] in ("cross_entropy", "nll"))
    steps = [step for step in data["steps"] if step["of"] == loss["id"]]
    assert len(steps) == 2
    for step in steps:
        formula = step["local_formula"]
        parse_expression(formula)
        printed = evaluate(formula, _bound(formula, values, np.asarray(step["upstream"]))).value
        expected = np.asarray(step["contribution"])
        np.testing.assert_allclose(np.broadcast_to(printed, expected.shape), expected, rtol=1e-12, atol=1e-14)
