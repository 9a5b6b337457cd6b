"""Reverse mode, forward mode and `hessian` agree on every op, over arrays (issue 16, "Must show"
4: the property test of the edges issue, tests/test_edges_modes.py, extended to the Hessian and
to the new ops).

Its programs (every op of the table called by its symbol, compositions) and more over a matrix
(axes, keepdims, ddof, softmax along an axis, cumulative ops, where, slices, batched course
examples) are evaluated at points drawn by hypothesis, kinks and points outside the domains
included. Wherever reverse mode is finite, forward mode and `hessian` give its gradient; the
Hessian is symmetric where it is finite; and where no node sits at a kink, each row is the
derivative of the gradient (central differences of reverse mode).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_edges_modes import SOURCES as EDGE_SOURCES

from gradcli.api import evaluate, hessian
from gradcli.graph import program_names
from gradcli.parse import parse_program

MATRIX_SOURCES = [
    "sum(sin(sum(W, axis=0)) * mean(W, axis=0, keepdims=1))",
    "sum(max(W, axis=1)^2) + sum(min(W^2, axis=0))",
    "sum(prod(W, axis=0)) + norm(W, axis=1) @ [1, 2]",
    "sum(var(W, axis=1, ddof=1)) + sum(std(W, axis=0, keepdims=1))",
    "sum(logsumexp(W, axis=0)) + sum(softmax(W, axis=1) * W) + sum(log_softmax(W, axis=0)^2)",
    "sum(cumsum(W, axis=1)^2) + sum(cumprod(W, axis=0))",
    "sum(where(W > x, W^2, x * W)) + sum((W <= 0) * W)",
    "sum(W[:, 1:] * W[:, :-1]) + sum(W[::-1, 0]^3) + sum(W[[1, 0, 1], 2] * x)",
    "sum(tanh(W @ x)) + sum(transpose(W) @ W) + sum(expand_dims(x, axis=0) * W)^2",
    "sum(reshape(W, [3, 2]) @ [1, -1])^2 + sum(exp(W - x) / (1 + W^2))",
    "sum(softmax(W @ transpose(W) / 2, axis=-1) @ W)",
    "h = W @ x + y; sum(where(h > 0, h, 0.1 * h)^2)",
]
SOURCES = list(dict.fromkeys([*EDGE_SOURCES, *MATRIX_SOURCES]))

# Not 1e-206: formulas that divide by an element (prod, cumprod) lose every digit to cancellation
# next to 0, in gradcli as in PyTorch; 0 itself is drawn below.
_elements = st.one_of(
    st.floats(-2.5, 2.5).filter(lambda v: abs(v) > 1e-3),
    st.sampled_from([0.0, -1.0, 1.0, 0.5, -0.5, 3.0, -3.0]),  # kinks, domain edges, outside them
)


def _values(source: str, x: list[float], y: float, w: list[float]) -> dict[str, np.ndarray]:
    reads = program_names(parse_program(source)).free
    given = {"x": np.array(x), "y": np.float64(y), "W": np.array(w).reshape(2, 3)}
    return {name: value for name, value in given.items() if name in reads}


def _flat(gradient: dict, names: tuple[str, ...]) -> np.ndarray:
    return np.concatenate([np.ravel(gradient[name]) for name in names])


def _differences(source: str, values: dict, names: tuple[str, ...], h: float = 1e-5):
    """The derivative of the gradient by each element (one column each): central, forward and
    backward differences of reverse mode's gradient."""
    here = _flat(evaluate(source, values, record_steps=False).gradient, names)
    ups, downs = [], []
    for name in names:
        base = np.asarray(values[name], dtype=np.float64)
        for k in range(base.size):
            for offset, found in ((h, ups), (-h, downs)):
                moved = base.copy()
                moved.flat[k] += offset
                result = evaluate(source, {**values, name: moved}, record_steps=False)
                found.append(_flat(result.gradient, names))
    up, down = np.array(ups).T, np.array(downs).T
    return (up - down) / (2 * h), (up - here[:, None]) / h, (here[:, None] - down) / h


def _at_kink(source: str, values: dict) -> bool:
    """A node at a kink, or a number that is not finite or not moderate."""
    for node in evaluate(source, values).nodes:
        big = np.max(np.abs(node.value), initial=0) > 1e3
        if node.kink or big or not np.all(np.isfinite(node.value)):
            return True
    return False


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    x=st.lists(_elements, min_size=3, max_size=3),
    y=_elements,
    w=st.lists(_elements, min_size=6, max_size=6),
)
@pytest.mark.parametrize("source", SOURCES)
def test_reverse_forward_and_hessian_agree(source, x, y, w):
    values = _values(source, x, y, w)
    reverse = evaluate(source, values, record_steps=False)
    assume(np.size(reverse.value) == 1 and np.isfinite(reverse.value))
    forward = evaluate(source, values, mode="forward", record_steps=False)
    second = hessian(source, values)
    for name in values:
        finite = np.isfinite(reverse.gradient[name])
        for other in (forward.gradient[name], second.gradient[name]):
            np.testing.assert_allclose(
                np.asarray(other)[finite], np.asarray(reverse.gradient[name])[finite], rtol=1e-9, atol=1e-12
            )
    matrix = second.matrix
    both = np.isfinite(matrix) & np.isfinite(matrix.T)
    scale = max(1.0, float(np.max(np.abs(matrix[both]), initial=0)))
    np.testing.assert_allclose(matrix[both], matrix.T[both], atol=1e-10 * scale)
    # Differences need room: no kink, no singularity nearby (moderate numbers), and the same
    # derivative from either side (a kink within the step would make them differ).
    if not np.all(np.isfinite(matrix)) or scale > 1e4 or _at_kink(source, values):
        return
    central, ahead, behind = _differences(source, values, second.variables)
    if np.allclose(ahead, behind, rtol=1e-3, atol=1e-3 * scale):  # no kink within the step
        np.testing.assert_allclose(matrix, central, atol=1e-5 * scale, rtol=1e-5)
