"""Issue 14, "Trust at the edges": forward mode, the Jacobian, and agreement between the modes.

Forward mode must never disagree with reverse mode where reverse mode is finite; the Jacobian of
an array output is one batched backward pass (and a refusal, exit 2, when it cannot fit); reverse
mode, forward mode and `hessian` give the same derivatives on a sample of every op of the table.
Truth is independent of both engines: closed forms and central finite differences.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from conftest import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradcli.api import evaluate
from gradcli.errors import GradcliError
from gradcli.graph import program_names
from gradcli.ops import OPS
from gradcli.parse import parse_program
from gradcli.second_order import hessian


def _vector(values) -> str:
    return "[" + ",".join(repr(float(v)) for v in values) + "]"


def _matrix(values) -> str:
    return "[" + ",".join(_vector(row) for row in values) + "]"


def _numbers(value):
    """The contract's JSON numbers back to floats ("nan", "inf" are strings there)."""
    return np.asarray(json.loads(json.dumps(value), parse_constant=float), dtype=object).astype(np.float64)


def _gradient(run, name: str) -> np.ndarray:
    assert run.code == 0, run.err
    return _numbers(run.json()["gradient"][name])


def _eval_json(source: str, at: str, *extra: str):
    return run_cli("eval", source, "--at", at, "--brief", "--json", *extra)


# --- 1. Forward mode through the CLI: the reproducers of the issue --------------------------------


@pytest.mark.parametrize(
    ("source", "at", "name", "expected"),
    [
        # Indexing a row: ∂x[0]/∂x is a one-hot selection of the first row (exit 1 before).
        ("x[0]", "x=[[1,2],[3,4]]", "x", [[[1, 0], [0, 0]], [[0, 1], [0, 0]]]),
        ("sum(x[1])", "x=[[1,2],[3,4]]", "x", [[0, 0], [1, 1]]),
        # A one-element array variable (exit 1 before).
        ("sum(x)", "x=[1]", "x", [1.0]),
        ("x*x", "x=[3]", "x", [6.0]),
        # One nan partial must not poison the other elements' tangents ([nan, nan] before).
        ("sum(sqrt(x))", "x=[-1,4]", "x", [np.nan, 0.25]),
        # An empty array (exit 1 before): the Jacobian is empty, as in reverse mode.
        ("x - y", "x=[],y=1", "x", []),  # the (0, 0) Jacobian, as JSON writes it
        ("x - y", "x=[],y=1", "y", np.zeros(0)),
    ],
)
def test_forward_mode_cli_matches_the_truth_and_reverse_mode(source, at, name, expected):
    forward = _gradient(_eval_json(source, at, "--mode", "forward"), name)
    reverse = _gradient(_eval_json(source, at), name)
    expected = np.asarray(expected, dtype=np.float64)
    assert forward.shape == expected.shape
    np.testing.assert_array_equal(forward, expected)
    np.testing.assert_array_equal(reverse, expected)


def test_forward_mode_of_a_64_by_64_matrix_product_is_fast_and_exact():
    """All the tangents of a variable go through the graph at once (over 120 s before)."""
    rng = np.random.default_rng(14)
    a, b = rng.normal(size=(64, 64)), rng.normal(size=(64, 64))
    start = time.perf_counter()
    result = evaluate("sum(A @ B)", A=a, B=b, mode="forward", record_steps=False)
    elapsed = time.perf_counter() - start
    # d sum(AB)/dA[i,k] = Σ_j B[k,j];  d sum(AB)/dB[k,j] = Σ_i A[i,k]  (closed form).
    np.testing.assert_allclose(result.gradient["A"], np.tile(b.sum(axis=1), (64, 1)), rtol=1e-12)
    np.testing.assert_allclose(result.gradient["B"], np.tile(a.sum(axis=0)[:, None], (1, 64)), rtol=1e-12)
    assert elapsed < 10, f"forward mode took {elapsed:.1f} s"


# --- 2. The Jacobian: one batched backward pass, and a refusal above the budget -------------------


def _central_jacobian(source: str, values: dict[str, np.ndarray], name: str, h: float = 1e-6) -> np.ndarray:
    """∂output/∂name by central differences: independent of both engines."""
    base = np.asarray(evaluate(source, values, record_steps=False).value)
    point = values[name]
    columns = []
    for k in range(point.size):
        moved = [point.copy(), point.copy()]
        moved[0].flat[k] += h
        moved[1].flat[k] -= h
        up, down = (
            np.asarray(evaluate(source, {**values, name: m}, record_steps=False).value) for m in moved
        )
        columns.append((up - down) / (2 * h))
    return np.stack(columns, axis=-1).reshape(base.shape + point.shape)


_RNG = np.random.default_rng(1414)
_W, _X, _Y = _RNG.normal(size=(2, 3)), _RNG.normal(size=3), _RNG.normal(size=2)

JACOBIAN_CASES = [
    ("tanh(x)", {"x": _X}),
    ("W @ x", {"W": _W, "x": _X}),
    ("y @ W", {"y": _Y, "W": _W}),
    ("outer(x, y)", {"x": _X, "y": _Y}),
    ("transpose(W) * 2", {"W": _W}),
    ("softmax(x)", {"x": _X}),
    ("[x[0] * y, y * sum(x)]", {"x": _X, "y": _Y}),
    ("W[1] + x", {"W": _W, "x": _X}),
    ("W * x", {"W": _W, "x": _X}),  # (2,3) * (3,) broadcasts x over the rows
    ("x * s", {"x": _X, "s": np.array(0.7)}),  # a scalar broadcast over an array
    ("exp(W) / sum(exp(W))", {"W": _W}),
    ("relu(x) + max(x, 0.1) + abs(y[0]) * x", {"x": _X, "y": _Y}),
    ("transpose(W) @ (W @ x)", {"W": _W, "x": _X}),
]


@pytest.mark.parametrize(("source", "values"), JACOBIAN_CASES, ids=[c[0] for c in JACOBIAN_CASES])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_jacobians_match_finite_differences(source, values, mode):
    result = evaluate(source, values, mode=mode, record_steps=False)
    for name in values:
        expected = _central_jacobian(source, values, name)
        np.testing.assert_allclose(result.gradient[name], expected, rtol=1e-7, atol=1e-8, err_msg=name)


def test_the_jacobian_of_tanh_at_2000_elements_is_one_vectorised_pass():
    x = np.linspace(-3, 3, 2000)
    start = time.perf_counter()
    result = evaluate("tanh(x)", x=x, record_steps=False)
    elapsed = time.perf_counter() - start
    np.testing.assert_array_equal(result.gradient["x"], np.diag(1 - np.tanh(x) ** 2))
    assert elapsed < 3, f"the Jacobian took {elapsed:.1f} s"


def test_a_jacobian_too_big_for_memory_is_refused_with_exit_2():
    """tanh at 6,000 elements took 51 s and 5 GB before: 36 million entries."""
    at = "x=" + _vector(np.linspace(-1, 1, 6000))
    start = time.perf_counter()
    run = run_cli("eval", "tanh(x)", "--at", at, "--brief", "--json")
    assert time.perf_counter() - start < 10
    assert run.code == 2
    assert run.out == ""
    assert "Traceback" not in run.err
    assert "6,000 × 6,000" in run.err  # names the size
    assert "sum(" in run.err and "--wrt" in run.err  # and how to get a smaller answer


def test_the_refusal_counts_only_the_variables_of_wrt():
    x, y = np.ones(4000), np.ones(6000)
    with pytest.raises(GradcliError, match="Jacobian"):
        evaluate("x * sum(y)", x=x, y=y, record_steps=False)
    result = evaluate("x * sum(y)", x=x, y=y, wrt=["x"], record_steps=False)
    np.testing.assert_array_equal(result.gradient["x"], np.diag(np.full(4000, 6000.0)))


def test_forward_mode_refuses_the_same_sizes():
    with pytest.raises(GradcliError, match="Jacobian"):
        evaluate("tanh(x)", x=np.ones(6000), mode="forward", record_steps=False)


def test_check_on_an_array_output_uses_the_batched_jacobian():
    run = run_cli("check", "W @ x", "--at", f"W={_matrix(_W)},x={_vector(_X)}", "--json")
    assert run.code == 0, run.err
    assert run.json()["passed"] is True


# --- 3. Reverse mode, forward mode and hessian agree wherever reverse mode is finite --------------

# Every op of the table, called by its symbol, on a sample of inputs of its shapes; plus compositions
# and points outside the smooth domains (where some elements are inf or nan and the others finite).
_UNARY = [op.symbol for op in OPS.values() if op.arity == 1 and not op.infix and op.generic_test]
_BINARY_CALLS = ["max", "min", "pow", "dot", "outer"]
_COMPOSED = [
    "sum(sqrt(x))",
    "sum(log(x) * x)",
    "sum(sqrt(relu(x)))",
    "sum(x[1] / y)",
    "asin(max(x))",
    "sum(abs(x)) + norm(x)",
    "sum(softmax(x) * x)",
    "logsumexp(x * y)",
    "mean(exp(x) / (1 + x^2))",
    "sum([x[0], y] * 2)",
    "sum(x ^ 0) + sum(x ^ 2)",
    "sum(max(x, y) - min(x, 1))",
    "sum(transpose(outer(x, x)) @ x)",
]


def _sources() -> list[str]:
    unary = [f"sum({symbol}(x))" for symbol in _UNARY]
    binary = [f"sum({name}(x, x * 0.5 + y))" for name in _BINARY_CALLS if name not in ("dot", "outer")]
    binary += ["dot(x, x * y)", "sum(outer(x, x + y))"]
    infix = [f"sum(x {op} (y + 2))" for op in ("+", "-", "*", "/", "^")] + ["sum(-x)"]
    return unary + binary + infix + _COMPOSED


SOURCES = list(dict.fromkeys(_sources()))

_elements = st.one_of(
    st.floats(-2.5, 2.5),
    st.sampled_from([0.0, -1.0, 1.0, 0.5, -0.5, 3.0, -3.0]),  # kinks, domain edges, outside them
)


def _agree_where_reverse_is_finite(reverse: np.ndarray, other: np.ndarray, label: str) -> None:
    reverse, other = np.asarray(reverse), np.asarray(other)
    assert reverse.shape == other.shape, label
    finite = np.isfinite(reverse)
    np.testing.assert_allclose(other[finite], reverse[finite], rtol=1e-10, atol=1e-10, err_msg=label)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(x=st.lists(_elements, min_size=3, max_size=3), y=_elements)
@pytest.mark.parametrize("source", SOURCES)
def test_reverse_and_forward_agree_wherever_reverse_is_finite(source, x, y):
    reads = program_names(parse_program(source)).free
    values = {name: value for name, value in (("x", np.array(x)), ("y", np.float64(y))) if name in reads}
    reverse = evaluate(source, values, record_steps=False)
    forward = evaluate(source, values, mode="forward", record_steps=False)
    for name in values:
        _agree_where_reverse_is_finite(reverse.gradient[name], forward.gradient[name], f"{source} {name}")


@pytest.mark.parametrize(
    ("source", "values", "expected"),
    # Expected values measured with torch 2.13 float64, reverse mode (`.backward()`). (torch's own
    # forward mode, torch.func.jacfwd, gives [nan, nan] for sum(sqrt(x)) at [-1, 4]: gradcli's
    # forward mode follows reverse mode, as the contract asks.)
    [
        # Masked partials (PyTorch's rule): a zero tangent never meets an inf or nan local.
        ("sqrt(relu(x))", {"x": -1.0}, {"x": 0.0}),
        ("sum(x[1] / y)", {"x": [1.0, 2.0, 3.0], "y": 1.0}, {"x": [0.0, 1.0, 0.0], "y": -2.0}),
        ("sum(sqrt(x))", {"x": [-1.0, 4.0]}, {"x": [np.nan, 0.25]}),
        ("x[1] / y", {"x": [1.0, 2.0, 3.0], "y": 0.0}, {"x": [0.0, np.inf, 0.0]}),
        ("asin(max(v))", {"v": [1.0, 1.0, -0.5]}, {"v": [np.inf, np.inf, 0.0]}),
        ("sum(log(x))", {"x": [0.0, 2.0]}, {"x": [np.inf, 0.5]}),
    ],
)
def test_forward_mode_keeps_a_non_finite_partial_to_its_own_element(source, values, expected):
    result = evaluate(source, values, mode="forward", record_steps=False)
    for name, value in expected.items():
        np.testing.assert_array_equal(result.gradient[name], np.asarray(value))


def _scalar_elementwise_sources() -> list[str]:
    """Scalar programs of every elementwise op, for hessian (scalar variables, elementwise ops only)."""
    sources = []
    for op in OPS.values():
        if not op.elementwise or op.shapes or not op.generic_test or op.name in ("sign", "step"):
            continue
        low, high = op.domain
        mid = (low + high) / 2
        if op.infix:
            sources.append(f"(a*b + {mid}) {op.symbol} (a + {mid})")
        elif op.name == "neg":
            sources.append("-(a*b)")
        elif op.arity == 2:
            sources.append(f"{op.symbol}(a*b + {mid}, a + {mid} + 0.1)")
        elif op.arity == 3:
            sources.append(f"{op.symbol}(a*b + {mid}, a + {low}, b + {high})")
        else:
            sources.append(f"{op.symbol}(0.1*a*b + {mid})")
    return sources


@pytest.mark.parametrize("source", _scalar_elementwise_sources())
def test_hessian_gradient_is_reverse_modes_and_its_matrix_differentiates_it(source):
    at = {"a": 0.4, "b": 0.7}
    result = hessian(source, at)
    reverse = evaluate(source, at)
    forward = evaluate(source, at, mode="forward")
    for name in at:
        assert float(result.gradient[name]) == pytest.approx(float(reverse.gradient[name]), rel=1e-12)
        assert float(forward.gradient[name]) == pytest.approx(float(reverse.gradient[name]), rel=1e-10)
    # Row i of the Hessian is ∂(∂f/∂v_i)/∂v_j: central differences of reverse mode's gradient.
    h = 1e-5
    for j, other in enumerate(result.variables):
        up = evaluate(source, {**at, other: at[other] + h}).gradient
        down = evaluate(source, {**at, other: at[other] - h}).gradient
        for i, name in enumerate(result.variables):
            expected = (float(up[name]) - float(down[name])) / (2 * h)
            assert result.matrix[i, j] == pytest.approx(expected, rel=1e-6, abs=1e-7), (name, other)


def test_json_writes_a_big_jacobian_as_the_indenting_encoder_would():
    """The fast writer for big arrays gives exactly json.dumps(..., indent=2)'s text."""
    from gradcli.render import json_out as render_json

    x = np.concatenate([np.linspace(-3, 3, 38), [0.0, -1.0]])
    derivation = evaluate("sqrt(x) * sum(W[1])", x=x, W=np.ones((2, 30, 20)), record_steps=False)
    expected = json.dumps(render_json.to_data(derivation, brief=True), allow_nan=False, indent=2) + "\n"
    assert render_json.render(derivation, brief=True) == expected
