"""Second order over arrays, on programs a course writes: the Hessian against central
differences of reverse mode's gradient and against closed forms; `diff` of array programs
parsed back and evaluated at random points against reverse mode.

The battery covers every family of ops: elementwise functions with broadcasting, reductions
along axes (keepdims, ddof), @ of vectors and matrices, transpose/reshape/expand_dims, softmax
and its log, cumulative sums and products, where and comparisons, slices, integer lists and
array literals, and the worked examples of the issue (softmax regression, a layer norm, a
two-layer MLP with where, one-head attention).
"""

from __future__ import annotations

import numpy as np
import pytest

from gradcli.api import diff, evaluate, hessian
from gradcli.graph import program_names
from gradcli.parse import parse_program
from gradcli.render.diff import program_text

RNG = np.random.default_rng(20261202)
W = RNG.normal(size=(2, 3))
X = RNG.normal(size=3)
V = RNG.uniform(0.5, 2.0, size=4)
B = RNG.normal(size=2)
BATCH = RNG.normal(size=(4, 3))
ONE_HOT = np.eye(3)[[0, 2, 1, 2]]
Q, K, VALUES = (RNG.normal(size=(2, 3)) for _ in range(3))

# (source, values): one scalar output over array variables.
PROGRAMS = [
    ("sum(tanh(W @ x))", {"W": W, "x": X}),
    ("sum(sin(W) * x) + sum(W / (1 + x^2))", {"W": W, "x": X}),
    ("sum(W @ x)^2", {"W": W, "x": X}),
    ("sum(exp(x) * y) + y^3 * sum(x)", {"x": X, "y": 0.7}),
    ("sum(W - expand_dims(b, axis=1))^2 + sum(W * b[0])", {"W": W, "b": B}),
    ("logsumexp(W, axis=1) @ [1, 2]", {"W": W}),
    ("sum(softmax(W, axis=-1) * W)", {"W": W}),
    ("sum(log_softmax(W, axis=0)^2)", {"W": W}),
    ("sum(mean(W, axis=0, keepdims=1) * W)", {"W": W}),
    ("sum(var(W, axis=1, ddof=1) * std(W, axis=1))", {"W": W}),
    ("norm(W) * sum(x^3) + norm(W, axis=0) @ x", {"W": W, "x": X}),
    ("prod(v) + sum(prod(reshape(v, [2, 2]), axis=0)^2)", {"v": V}),
    ("sum(cumsum(v)^2) + sum(cumprod(v))", {"v": V}),
    ("max(v^2) + min(sin(v)) + sum(max(W, axis=1) * b)", {"v": V, "W": W, "b": B}),
    ("sum(transpose(W) @ W @ x)^2", {"W": W, "x": X}),
    ("dot(x, x) * sum(outer(x, b)^2)", {"x": X, "b": B}),
    ("sum(reshape(W, [3, 2]) @ b)^2", {"W": W, "b": B}),
    ("sum(x[1:] * x[:-1]) + x[0]^3 + sum(W[:, 1]^2 * W[0, :2])", {"x": X, "W": W}),
    ("sum(x[[0, 2, 0]]^3) + sum(x[::-1] * x)", {"x": X}),
    ("sum([x[0], x[1] * x[2], y]^2)", {"x": X, "y": 1.5}),
    ("sum(where(x > 0, x^2, -x^3)) + sum((W > 0) * W^2)", {"x": X, "W": W}),
    ("sum(relu(W)^2) + sum(abs(x)^3) + sum(sigmoid(W - 0.5))", {"W": W, "x": X}),
    ("sum(clip(W, -0.5, 0.5) * W) + sum(logaddexp(x, 2 * x))", {"W": W, "x": X}),
    ("sum(gelu(x) + mish(x) + silu(x) + erf(x) + softplus(x))", {"x": X}),
    # softmax regression on a batch of 4 (cross-entropy over rows, written with log_softmax)
    ("-sum(log_softmax(X @ W + b, axis=1) * Y)/4", {"W": RNG.normal(size=(3, 3)), "b": RNG.normal(size=3)}),
    # a layer norm of each row, then a weighted sum
    (
        "h = (X - mean(X, axis=-1, keepdims=1))/sqrt(var(X, axis=-1, keepdims=1) + 0.01); sum(h * g + b)",
        {"X": BATCH, "g": RNG.normal(size=3), "b": RNG.normal(size=3)},
    ),
    # a two-layer MLP with where
    (
        "h = X @ W1 + b1; a = where(h > 0, h, 0.1 * h); mean((a @ w2 - t)^2)",
        {"W1": RNG.normal(size=(3, 2)), "b1": RNG.normal(size=2), "w2": RNG.normal(size=2)},
    ),
    # one-head attention
    ("sum(softmax(Q @ transpose(K) / sqrt(3), axis=-1) @ V)", {"Q": Q, "K": K, "V": VALUES}),
]
CONSTANTS = {"X": BATCH, "Y": ONE_HOT, "t": RNG.normal(size=4)}


def values_of(source: str, values: dict) -> dict:
    """The values a program reads, the fixed data (X, Y, t) included."""
    reads = program_names(parse_program(source)).free
    return {**{name: CONSTANTS[name] for name in CONSTANTS if name in reads}, **values}


def flat_gradient(source: str, values: dict, names: tuple[str, ...]) -> np.ndarray:
    result = evaluate(source, values, record_steps=False)
    return np.concatenate([np.ravel(result.gradient[name]) for name in names])


def differences(source: str, values: dict, names: tuple[str, ...], h: float = 1e-4) -> np.ndarray:
    """Column j: the derivative of the gradient by element j, a fourth-order central difference."""
    columns = []
    for name in names:
        base = np.asarray(values[name], dtype=np.float64)
        for k in range(base.size):

            def at(offset: float, name=name, base=base, k=k) -> np.ndarray:
                moved = base.copy()
                moved.flat[k] += offset
                return flat_gradient(source, {**values, name: moved}, names)

            columns.append((at(-2 * h) - 8 * at(-h) + 8 * at(h) - at(2 * h)) / (12 * h))
    return np.array(columns).T


@pytest.mark.parametrize(("source", "values"), PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_hessian_against_central_differences_of_the_gradient(source, values):
    given = values_of(source, values)
    result = hessian(source, given, wrt=list(values))  # the data (X, Y, t) are not rows
    assert result.variables == tuple(values)
    matrix = result.matrix
    assert matrix.shape == (sum(np.size(v) for v in values.values()),) * 2
    scale = max(1.0, float(np.max(np.abs(matrix))))
    np.testing.assert_allclose(matrix, matrix.T, atol=1e-12 * scale)
    np.testing.assert_allclose(matrix, differences(source, given, result.variables), atol=1e-6 * scale)
    assert result.warnings == []


def test_hessians_in_closed_form():
    # f = sum((W x)^2) = xᵀ WᵀW x: ∂²f/∂x² = 2 WᵀW; ∂²f/∂W_ij∂W_kl = 2 δ_ik x_j x_l.
    result = hessian("sum((W @ x)^2)", W=W, x=X, wrt=["x"])
    np.testing.assert_allclose(result.matrix, 2 * W.T @ W, rtol=1e-13)
    result = hessian("sum((W @ x)^2)", W=W, x=X, wrt=["W"])
    np.testing.assert_allclose(result.matrix, np.kron(np.eye(2), 2 * np.outer(X, X)), rtol=1e-13)
    # logsumexp: the Hessian is diag(p) - p pᵀ with p = softmax(x).
    p = np.exp(X) / np.exp(X).sum()
    np.testing.assert_allclose(hessian("logsumexp(x)", x=X).matrix, np.diag(p) - np.outer(p, p), atol=1e-15)
    # mean of squares: 2/n on the diagonal; the labels are the elements.
    result = hessian("mean(W^2)", W=W)
    np.testing.assert_allclose(result.matrix, np.eye(6) / 3, atol=1e-16)
    assert result.rows == ("W[0,0]", "W[0,1]", "W[0,2]", "W[1,0]", "W[1,1]", "W[1,2]")


def test_at_a_kink_the_second_derivative_follows_the_first_ones_convention():
    # relu'' = step' = 0, abs'' = sign' = 0, max over ties and clip at its bounds: flat.
    x = np.array([0.0, 1.0, -2.0])
    result = hessian("sum(relu(x)^2) + sum(x * relu(x)) + sum(abs(x)) + max(x * 0)", x=x)
    np.testing.assert_array_equal(result.matrix, np.diag([0.0, 4.0, 0.0]))
    clipped = hessian("sum(clip(x, -2, 1)^2)", x=x)  # at the bounds the gradient passes: 2, as inside
    np.testing.assert_array_equal(clipped.matrix, np.diag([2.0, 2.0, 2.0]))


def test_a_formula_that_is_not_finite_at_a_kink_says_so():
    # prod's partial out/x divides by 0 at a zero (its rule multiplies the other elements).
    result = hessian("prod(v)", v=np.array([0.0, 1.0, 2.0]))
    assert any("derivative formula of prod is not finite" in w for w in result.warnings)
    assert "some second derivatives are not finite" in result.warnings


# --- diff of array programs ---------------------------------------------------------------------


def printed(derivatives, name: str) -> str:
    return program_text(derivatives.programs[name])


@pytest.mark.parametrize(("source", "values"), PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_diff_of_an_array_program_evaluates_to_reverse_modes_gradient(source, values):
    """Written for the shapes of `values`, each derivative parses back and, evaluated at random
    points of those shapes, gives reverse mode's gradient, in the variable's shape."""
    given = values_of(source, values)
    derivatives = diff(source, at=given, wrt=list(values))
    rng = np.random.default_rng(len(source))
    for _ in range(3):
        point = {name: rng.normal(size=np.shape(v)) if name in values else v for name, v in given.items()}
        reverse = evaluate(source, point, record_steps=False)
        for name in values:
            text = printed(derivatives, name)
            reads = program_names(parse_program(text)).free
            value = evaluate(text, {k: v for k, v in point.items() if k in reads}, record_steps=False).value
            assert np.shape(value) in (np.shape(values[name]), ())
            np.testing.assert_allclose(
                np.broadcast_to(value, np.shape(values[name])),
                reverse.gradient[name],
                rtol=1e-10,
                atol=1e-12,
                err_msg=f"{name}: {text}",
            )


@pytest.mark.parametrize(
    ("source", "values", "wrt", "expected"),
    [
        ("sum(tanh(W @ x))", {"W": W, "x": X}, "W", "outer(1 - tanh(W @ x)^2, x)"),
        ("sum(tanh(W @ x))", {"W": W, "x": X}, "x", "transpose(W) @ (1 - tanh(W @ x)^2)"),
        ("sum(W @ x)", {"W": W, "x": X}, "W", "outer((W @ x)^0, x)"),  # ones in W @ x's shape
        ("sum(x * y)", {"x": X, "y": 2.0}, "y", "sum(x)"),
        ("sum(x + y)", {"x": X, "y": 2.0}, "y", "3"),
        ("sum(W * x)", {"W": W, "x": X}, "x", "sum(W, axis=0)"),
        ("sum(W * x)", {"W": W, "x": X}, "W", "x * W^0"),
        ("sum(W * b)", {"W": W, "b": B.reshape(2, 1)}, "b", "sum(W, axis=1, keepdims=1)"),
        ("mean(x^2)", {"x": X}, "x", "2 * x/3"),
        ("sum(x[1:] * x[:-1])", {"x": X}, "x", 'scatter(x[1:], x, key=":-1") + scatter(x[:-1], x, key="1:")'),
        ("x[0] * x[2]", {"x": X}, "x", "x[0] * onehot(x, 2) + x[2] * onehot(x, 0)"),
    ],
)
def test_diff_writes_array_derivatives_with_the_languages_functions(source, values, wrt, expected):
    assert printed(diff(source, at=values, wrt=[wrt]), wrt).strip() == expected


def test_diff_variables_without_values_are_numbers():
    derivatives = diff("sum(W @ x) * s", at={"W": W, "x": X}, wrt=["s"])
    assert printed(derivatives, "s").strip() == "sum(W @ x)"


def test_diff_refuses_an_array_output():
    with pytest.raises(Exception, match="derivatives of one number, but the output has shape"):
        diff("W @ x", at={"W": W, "x": X})
