"""Vectors and matrices (issue 5): broadcasting, `@`, reductions, indexing, Jacobians.

Every gradient is checked against central finite differences or a closed form; the op table's
array rows are sampled at their own `shapes`.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import run_cli
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import gradcli
from gradcli.backprop import unbroadcast
from gradcli.graph import program_names
from gradcli.ops import OPS, partial_of
from gradcli.parse import parse_program

ARRAY_OPS = sorted(name for name, op in OPS.items() if op.shapes and op.generic_test)
RNG = np.random.default_rng(20261123)


def _inputs(op):
    return [RNG.uniform(0.5, 2.0, size=shape) for shape in op.shapes]


def _contribution(op, index, args, out, grad):
    rule = partial_of(op, index)
    if rule.vjp is not None:
        return rule.vjp(*args, out, grad)
    return unbroadcast(rule.local(*args, out) * grad, np.shape(args[index]))


def _central_vjp(op, index, args, grad, h=1e-6):
    """d/d args[index] of sum(grad * forward(args)), element by element."""
    result = np.zeros_like(args[index])
    for position in np.ndindex(*np.shape(args[index])):
        plus = [a.copy() for a in args]
        minus = [a.copy() for a in args]
        plus[index][position] += h
        minus[index][position] -= h
        result[position] = (np.sum(grad * op.forward(*plus)) - np.sum(grad * op.forward(*minus))) / (2 * h)
    return result


def test_the_array_rows_are_sampled():
    assert {"matmul", "dot", "sum", "mean", "amax", "transpose", "norm", "softmax", "logsumexp"} <= set(
        ARRAY_OPS
    )


@pytest.mark.parametrize("name", ARRAY_OPS)
def test_array_partials_match_finite_differences(name):
    op = OPS[name]
    args = _inputs(op)
    out = op.forward(*args)
    grad = RNG.uniform(-1.0, 1.0, size=np.shape(out))
    for index in range(op.arity):
        if partial_of(op, index).formula == "0":  # flat helpers (maxmask): derivative 0 a.e.
            continue
        expected = _central_vjp(op, index, args, grad)
        np.testing.assert_allclose(_contribution(op, index, args, out, grad), expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ARRAY_OPS)
def test_array_formulas_evaluate_to_the_rule(name):
    """The printed formula, evaluated by gradcli itself, gives the numeric rule: the local
    derivative (elementwise rows, broadcast) or the vector-Jacobian product (`grad` bound)."""
    op = OPS[name]
    args = _inputs(op)
    out = op.forward(*args)
    grad = RNG.uniform(-1.0, 1.0, size=np.shape(out))
    for index in range(op.arity):
        rule = partial_of(op, index)
        text = rule.formula_text(*args)
        program = parse_program(text)
        env = {**dict(zip(op.params, args, strict=False)), "out": out, "grad": grad}
        reads = [n for n in program_names(program).free if n not in ("pi", "e")]
        value = gradcli.evaluate(program, {n: env[n] for n in reads}).value
        expected = rule.vjp(*args, out, grad) if rule.vjp else rule.local(*args, out)
        np.testing.assert_allclose(
            np.broadcast_to(value, np.shape(expected)), expected, rtol=1e-12, atol=1e-12
        )


def test_seed_000_neuron():
    """nn.Linear(4,1) + Tanh with the seed's printed weights: value 0.9607, grads 0.0770 k."""
    at = "w=[[-0.2819,-0.1359,0.4542,0.1628]],b=[0.4950],x=[1,2,3,4]"
    data = run_cli("eval", "tanh(w @ x + b)", "--at", at, "--wrt", "w,b", "--json").json()
    assert np.shape(data["value"]) == (1,)
    assert data["value"][0] == pytest.approx(0.9607, abs=5e-5)
    # The seed printed its weights rounded to 4 places; its gradients came from the unrounded
    # ones, so they agree to about 1e-4 (0.1540 there, 0.15406 here).
    np.testing.assert_allclose(data["gradient"]["w"], [[0.0770, 0.1540, 0.2310, 0.3080]], atol=2e-4)
    np.testing.assert_allclose(data["gradient"]["b"], [0.0770], atol=1e-4)
    w = np.array([[-0.2819, -0.1359, 0.4542, 0.1628]])
    y = np.tanh(w @ [1, 2, 3, 4] + 0.495)
    np.testing.assert_allclose(data["gradient"]["w"], (1 - y**2)[:, None] * [[1, 2, 3, 4]], rtol=1e-12)
    assert {(s["of"], s["wrt"]) for s in data["steps"]}  # a scalar-like output has its steps
    matmul = next(s for s in data["steps"] if s["local"] is None)
    assert matmul["local_formula"] == "outer(grad, x)"


def test_seed_001_layer_jacobians_match_the_closed_form():
    W = RNG.uniform(-1, 1, size=(2, 3))
    X = RNG.uniform(-1, 1, size=3)
    B = RNG.uniform(-1, 1, size=2)
    result = gradcli.evaluate("tanh(W @ X + B)", W=W, X=X, B=B)
    Y = np.tanh(W @ X + B)
    np.testing.assert_allclose(result.value, Y, rtol=1e-14)
    # ∂Y_k/∂W_ij = δ_ki X_j (1 - Y_k²), ∂Y_k/∂B_i = δ_ki (1 - Y_k²)
    dW = np.einsum("ki,j,k->kij", np.eye(2), X, 1 - Y**2)
    dB = np.einsum("ki,k->ki", np.eye(2), 1 - Y**2)
    assert result.gradient["W"].shape == (2, 2, 3) and result.gradient["B"].shape == (2, 2)
    np.testing.assert_allclose(result.gradient["W"], dW, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(result.gradient["B"], dB, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(result.gradient["X"], (1 - Y**2)[:, None] * W, rtol=1e-12)


def _fd_jacobian(source, values, name, h=1e-6):
    base = np.asarray(gradcli.evaluate(source, values).value)
    x = np.asarray(values[name], dtype=float)
    jac = np.zeros(base.shape + x.shape)
    for position in np.ndindex(*x.shape):
        plus, minus = x.copy(), x.copy()
        plus[position] += h
        minus[position] -= h
        f_plus = gradcli.evaluate(source, {**values, name: plus}).value
        f_minus = gradcli.evaluate(source, {**values, name: minus}).value
        jac[(Ellipsis, *position)] = (np.asarray(f_plus) - np.asarray(f_minus)) / (2 * h)
    return jac


SHAPES = {"s": (), "v": (3,), "r": (1, 3), "c": (2, 1), "m": (2, 3)}
UNARY = ["tanh", "sigmoid", "exp", "sin", "softplus", "atan"]


@st.composite
def array_expressions(draw, depth=3):
    """Expressions over s (scalar), v (3,), r (1,3), c (2,1), m (2,3): broadcasting included."""
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(sorted(SHAPES)))
    kind = draw(st.sampled_from(["unary", "binary", "binary", "reduce"]))
    if kind == "unary":
        return f"{draw(st.sampled_from(UNARY))}({draw(array_expressions(depth - 1))})"
    if kind == "reduce":
        fn = draw(st.sampled_from(["sum", "mean", "norm", "logsumexp"]))
        return f"{fn}({draw(array_expressions(depth - 1))})"
    op = draw(st.sampled_from(["+", "-", "*"]))
    return f"({draw(array_expressions(depth - 1))} {op} {draw(array_expressions(depth - 1))})"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(array_expressions(), st.integers(0, 2**32 - 1))
def test_generated_array_expressions_match_finite_differences(source, seed):
    rng = np.random.default_rng(seed)
    values = {name: rng.uniform(0.3, 1.5, size=shape) for name, shape in SHAPES.items()}
    names = [n for n in program_names(parse_program(source)).free]
    values = {n: values[n] for n in names}
    try:
        result = gradcli.evaluate(source, values)
    except gradcli.GradcliError:  # shapes that do not broadcast: a clean error is the right answer
        assume(False)
    assume(np.all(np.isfinite(result.value)) and np.all(np.abs(result.value) < 1e6))
    for name in names:
        expected = _fd_jacobian(source, values, name)
        got = result.gradient[name]
        if np.size(result.value) == 1:  # a one-element output is differentiated as a scalar
            expected = expected.reshape(np.shape(values[name]))
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7, err_msg=f"{source} wrt {name}")


@pytest.mark.parametrize(
    ("source", "shape_of"),
    [
        ("sum(W @ x)", {"W": (2, 3), "x": (3,)}),
        ("sum(x @ W2)", {"x": (3,), "W2": (3, 2)}),
        ("x @ x", {"x": (3,)}),
        ("sum(W @ W2)", {"W": (2, 3), "W2": (3, 2)}),
        ("sum(transpose(W) @ y)", {"W": (2, 3), "y": (2,)}),
        ("dot(x, x) + max(x) + min(x)", {"x": (3,)}),
        ("sum(softmax(x) * [1, 2, 3])", {"x": (3,)}),
        ("x[0] * x[2] + W[1, 2] + W[-1, 0]", {"x": (3,), "W": (2, 3)}),
        ("sum([x, x * 2, [s, s, s]] @ x)", {"x": (3,), "s": ()}),
        ("sum(outer(x, y))", {"x": (3,), "y": (2,)}),
        ("softmax(x)", {"x": (3,)}),
        ("W @ x", {"W": (2, 3), "x": (3,)}),
        ("[s, s^2]", {"s": ()}),
    ],
)
def test_array_programs_match_finite_differences(source, shape_of):
    values = {name: RNG.uniform(0.3, 1.5, size=shape) for name, shape in shape_of.items()}
    result = gradcli.evaluate(source, values)
    for name in shape_of:
        expected = _fd_jacobian(source, values, name)
        if np.size(result.value) == 1:
            expected = expected.reshape(np.shape(values[name]))
        np.testing.assert_allclose(result.gradient[name], expected, rtol=1e-6, atol=1e-8, err_msg=name)


def test_broadcast_gradients_are_summed_back_to_each_shape():
    result = gradcli.evaluate("sum(c * r + s)", c=[[1.0], [2.0]], r=[[1.0, 2.0, 3.0]], s=0.5)
    assert result.gradient["c"].shape == (2, 1) and result.gradient["r"].shape == (1, 3)
    np.testing.assert_allclose(result.gradient["c"], [[6.0], [6.0]])
    np.testing.assert_allclose(result.gradient["r"], [[3.0, 3.0, 3.0]])
    assert float(result.gradient["s"]) == 6.0


def test_max_over_an_array_shares_a_tie_like_pytorch():
    result = gradcli.evaluate("max(x)", x=[1.0, 3.0, 3.0])
    np.testing.assert_array_equal(result.gradient["x"], [0.0, 0.5, 0.5])
    assert result.nodes[result.output].kink and "share" in result.nodes[result.output].kink
    assert gradcli.evaluate("max(x)", x=[1.0, 3.0, 2.0]).nodes[1].kink is None


def test_norm_at_the_origin_gives_zero_gradient():
    result = gradcli.evaluate("norm(x)", x=[0.0, 0.0])
    np.testing.assert_array_equal(result.gradient["x"], [0.0, 0.0])


@pytest.mark.parametrize(
    ("source", "at", "words", "column"),
    [
        ("W @ x", "W=[[1,2],[3,4]],x=[1,2,3]", ["shapes (2, 2) and (3,)", "'@'", "last dimension (2)"], 3),
        ("x + y", "x=[1,2,3],y=[1,2]", ["shapes (3,) and (2,)", "'+'", "broadcast"], 3),
        ("x*2 - y", "x=[1,2,3],y=[[1,2],[3,4]]", ["shapes (3,) and (2, 2)", "'-'"], 5),
        (
            "dot(W, x)",
            "W=[[1,2],[3,4]],x=[1,2]",
            ["shapes (2, 2) and (2,)", "dot(a, b) takes two vectors"],
            1,
        ),
        ("x @ 2", "x=[1,2]", ["shapes (2,) and ()", "use * to scale"], 3),
        ("x[3]", "x=[1,2,3]", ["index 3 is not a whole number", "from -3 to 2"], 2),
        ("x[0, 1]", "x=[1,2]", ["one index per dimension"], 2),
        ("x[i]", "x=[1,2],i=0", ["an index must be a whole number"], 3),
        ("x[0.5]", "x=[1,2]", ["not a whole number"], 2),
        ("[x, W]", "x=[1,2],W=[[1,2],[3,4]]", ["must have one shape"], 1),
    ],
)
def test_shape_errors_name_the_shapes_and_point_at_the_operator(source, at, words, column):
    result = run_cli("eval", source, "--at", at)
    assert result.code == 2 and result.out == ""
    for word in words:
        assert word in result.err, (word, result.err)
    assert f"column {column}" in result.err and "^" in result.err
    assert "Traceback" not in result.err


def test_big_arrays_are_summarised_in_tables_and_full_in_json():
    at = "x=[" + ",".join(str(i) for i in range(50)) + "]"
    text = run_cli("eval", "sum(x^2)", "--at", at, "--format", "text").out
    assert "<50 array: 0, 1, 2, … min 0, max 49>" in text
    data = run_cli("eval", "sum(x^2)", "--at", at, "--json").json()
    assert data["gradient"]["x"] == [2.0 * i for i in range(50)]


def test_array_output_jacobian_in_json():
    data = run_cli("eval", "x * 2 + y", "--at", "x=[1,2],y=3", "--json").json()
    assert data["value"] == [5.0, 7.0]
    assert data["gradient"]["x"] == [[2.0, 0.0], [0.0, 2.0]]
    assert data["gradient"]["y"] == [1.0, 1.0]
    assert any("Jacobian" in w for w in data["warnings"])


def test_vjp_steps_say_grad_in_every_format():
    for fmt, marker in (
        ("text", "grad · ∂v1/∂W = grad @ transpose(x)"),
        ("markdown", r"\mathit{grad} \cdot"),
    ):
        out = run_cli("eval", "sum(W @ x)", "--at", "W=[[1,2],[3,4]],x=[[1],[2]]", "--format", fmt).out
        assert marker in out, out
