"""Forward mode (`gradcli.forward`) against reverse mode: two engines over one op table.

Forward mode pushes tangents in creation order, one sweep per variable element; reverse mode
pulls adjoints in the opposite order. They share the table's local derivatives and nothing else,
so agreement on every generated expression checks the accumulation of both.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_diff import expressions, programs, scale_of, tame

from gradcli.api import evaluate
from gradcli.errors import GradcliError
from gradcli.forward import forward_gradients
from gradcli.graph import build_graph
from gradcli.parse import parse_program


def both(source: str, at: dict[str, object]):
    """(reverse-mode derivation, forward-mode gradients) at the same point."""
    reverse = evaluate(source, at)
    arrays = {name: np.asarray(value, dtype=np.float64) for name, value in at.items()}
    graph = build_graph(parse_program(source), arrays)
    return reverse, forward_gradients(graph, list(at))


def agree(reverse, forward, scale: float) -> bool:
    """True when every gradient agrees; False when one is not finite (nothing to compare)."""
    assert set(forward) == set(reverse.gradient)
    for name, expected in reverse.gradient.items():
        got = forward[name]
        assert np.shape(got) == np.shape(expected), name
        if not (np.all(np.isfinite(got)) and np.all(np.isfinite(expected))):
            return False
        assert np.allclose(got, expected, rtol=0, atol=1e-12 * scale), (name, got, expected)
    return True


def test_forward_and_reverse_agree_on_generated_expressions():
    checked = []

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(programs())
    def prop(case):
        source, point = case
        reverse, forward = both(source, point)
        # The same local rules: even at a kink both follow the op table's convention. Huge
        # intermediate terms that cancel (t*(-1) + t at t = 1e51) leave rounding noise of their
        # size, differently in each mode: those are not compared.
        assume(tame(reverse, kinks=True))
        assume(agree(reverse, forward, scale_of(reverse)))
        checked.append(source)

    prop()
    assert len(checked) >= 80, f"only {len(checked)} examples had finite gradients"
    assert sum(len(source) > 20 for source in checked) >= 40, "too few non-trivial expressions"


def test_forward_and_reverse_agree_on_arrays_elementwise():
    """The same expressions with x a vector: every op broadcasts, and the output is a vector,
    so the gradients are Jacobians (output.shape + x.shape) in both modes."""
    checked = []

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(expressions(max_steps=6), st.lists(st.floats(-2, 2), min_size=3, max_size=3))
    def prop(case, vector):
        source, point = case
        at = {**point, "x": np.array(vector)} if "x" in point else point
        reverse, forward = both(source, at)
        scale = max([1.0, *(float(np.max(np.abs(g), initial=0)) for g in reverse.gradient.values())])
        assume(agree(reverse, forward, scale))
        checked.append(source)

    prop()
    assert len(checked) >= 20


@pytest.mark.parametrize(
    ("source", "at"),
    [
        (
            "sum(tanh(W @ x + b))",
            {"W": [[0.1, 0.2, -0.3], [0.4, -0.5, 0.6]], "x": [1, -1, 2], "b": [0.1, 0.2]},
        ),
        ("softmax(x)", {"x": [1.0, 2.0, 3.0]}),
        ("x[1]*y + norm(x) + mean(x*x) + max(x) + logsumexp(x)", {"x": [1.0, 2.0, 3.0], "y": 2.0}),
        ("transpose(A) @ A", {"A": [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]}),
        ("[x, x*y, 3]", {"x": 1.5, "y": 2.0}),
        ("dot(u, v) + outer(u, v)[0, 1]", {"u": [1.0, 2.0], "v": [3.0, 4.0]}),
        ("x + y", {"x": [1.0, 2.0], "y": 3.0}),
        ("W @ x", {"W": [[1.0, 2.0]], "x": [3.0, 4.0]}),  # a one-element output: gradients, not Jacobians
        ("relu(x) + abs(x) + max(x, 0)", {"x": [-1.0, 0.0, 2.0]}),  # kinks: the same conventions
    ],
)
def test_forward_and_reverse_agree_on_array_programs(source, at):
    reverse, forward = both(source, at)
    assert agree(reverse, forward, 1.0)


def test_the_seed_neuron_forward():
    at = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}
    program = "a = w0*x0; b = w1*x1; c = a + b; d = c + w2; e = -d; f = exp(e); g = 1 + f; h = 1/g"
    _, forward = both(program, at)
    expected = {"w0": -0.1966, "x0": 0.3932, "w1": -0.3932, "x1": -0.5898, "w2": 0.1966}
    assert {name: round(float(g), 4) for name, g in forward.items()} == expected


def test_a_variable_the_output_does_not_use_gets_zeros():
    graph = build_graph(parse_program("a = y; 2*x"), {"x": np.float64(1.0), "y": np.array([1.0, 2.0])})
    gradients = forward_gradients(graph, ["x", "y"])
    assert float(gradients["x"]) == 2.0
    assert gradients["y"].tolist() == [0.0, 0.0]


def test_a_thousand_nested_tanh_does_not_recurse():
    source = "tanh(" * 1000 + "x" + ")" * 1000
    reverse, forward = both(source, {"x": 0.3})
    assert float(forward["x"]) == pytest.approx(float(reverse.gradient["x"]), rel=1e-12)


def test_an_unknown_name_is_refused():
    graph = build_graph(parse_program("x*x"), {"x": np.float64(1.0)})
    with pytest.raises(GradcliError, match="'q' is not a variable"):
        forward_gradients(graph, ["q"])
