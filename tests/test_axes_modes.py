"""Reverse mode, forward mode and second derivatives agree on the axis ops.

A property test draws an op, its options (axis None / int / negative / list, keepdims, ddof) and
an input of 1 to 3 dimensions, and compares the Jacobian of reverse mode (one batched backward
pass), of forward mode, and of central finite differences. Second derivatives: `gradcli hessian`
differentiates scalar programs symbolically and refuses array ops (test_axes_language.py checks
the message), so the Hessians of these ops are taken here as the Jacobian of the gradient, from
reverse mode and from forward mode, and compared with each other, with their transposes and with
the Hessians written out by hand.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gradcli
from gradcli.ops import OPS

CALLS = {  # the name a user calls, per row
    "sum": "sum",
    "mean": "mean",
    "prod": "prod",
    "amax": "max",
    "amin": "min",
    "norm": "norm",
    "logsumexp": "logsumexp",
    "variance": "var",
    "std": "std",
    "softmax": "softmax",
    "log_softmax": "log_softmax",
    "cumsum": "cumsum",
    "cumprod": "cumprod",
}


def _option_text(value) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(int(value)) if isinstance(value, bool) else str(value)


@st.composite
def calls(draw):
    name = draw(st.sampled_from(sorted(CALLS)))
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
    ndim = len(shape)
    options: dict = {}
    single = st.integers(-ndim, ndim - 1)
    if name in ("cumsum", "cumprod"):
        axis = draw(st.one_of(st.none(), single))
    else:
        axis = draw(
            st.one_of(
                st.none(), single, st.lists(st.integers(0, ndim - 1), min_size=1, unique=True).map(tuple)
            )
        )
    if axis is not None:
        options["axis"] = axis
    if name not in ("softmax", "log_softmax", "cumsum", "cumprod") and draw(st.booleans()):
        options["keepdims"] = True
    if name in ("variance", "std") and draw(st.booleans()):
        options["ddof"] = 1
    seed = draw(st.integers(0, 2**16))
    return name, shape, options, seed


def _source(name: str, options: dict) -> str:
    text = "".join(f", {key}={_option_text(value)}" for key, value in options.items())
    return f"{CALLS[name]}(x{text})"


def _fd_jacobian(source: str, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    out = np.asarray(gradcli.evaluate(source, x=x, record_steps=False).value)
    jacobian = np.zeros(out.shape + x.shape)
    for position in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[position] += h
        down[position] -= h
        high = gradcli.evaluate(source, x=up, record_steps=False).value
        low = gradcli.evaluate(source, x=down, record_steps=False).value
        jacobian[(..., *position)] = (np.asarray(high) - np.asarray(low)) / (2 * h)
    return jacobian


def _full(jacobian, out_shape, x_shape) -> np.ndarray:
    """gradcli gives a one-element output's derivative in the variable's shape: widen it back."""
    return np.reshape(jacobian, tuple(out_shape) + tuple(x_shape))


def _slice_size(shape: tuple[int, ...], axis) -> int:
    """How many elements each reduced slice holds."""
    if axis is None:
        return int(np.prod(shape))
    axes = axis if isinstance(axis, (list, tuple)) else [axis]
    return int(np.prod([shape[a] for a in axes]))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(calls())
def test_reverse_forward_and_finite_differences_agree(call):
    name, shape, options, seed = call
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    if name in ("variance", "std") and options.get("ddof", 0) >= _slice_size(shape, options.get("axis")):
        return  # n - ddof <= 0 (n: a slice's elements): nan, checked against PyTorch (test_axes_torch)
    source = _source(name, options)
    reverse = gradcli.evaluate(source, x=x, record_steps=False)
    out_shape = np.shape(reverse.value)
    if name == "std" and not np.all(np.asarray(reverse.value) > 1e-3):
        return  # at (or near) a constant slice: the kink, tested with torch's numbers
    forward = gradcli.evaluate(source, x=x, record_steps=False, mode="forward")
    jr = _full(reverse.gradient["x"], out_shape, shape)
    jf = _full(forward.gradient["x"], out_shape, shape)
    np.testing.assert_allclose(jf, jr, rtol=1e-12, atol=1e-14, err_msg=source)
    numeric = _fd_jacobian(source, x)
    np.testing.assert_allclose(jr, numeric, rtol=1e-5, atol=1e-7, err_msg=source)


# --- second derivatives ------------------------------------------------------------------------


def _gradient(source: str, x: np.ndarray, mode: str) -> np.ndarray:
    return np.asarray(gradcli.evaluate(source, x=x, record_steps=False, mode=mode).gradient["x"])


def _hessian(source: str, x: np.ndarray, mode: str, h: float = 1e-5) -> np.ndarray:
    """The Jacobian of the gradient, by central differences of gradcli's exact gradients."""
    rows = []
    for k in range(x.size):
        step = np.zeros(x.size)
        step[k] = h
        up = _gradient(source, x + step.reshape(x.shape), mode)
        down = _gradient(source, x - step.reshape(x.shape), mode)
        rows.append(np.ravel(up - down) / (2 * h))
    return np.array(rows)


def _softmax(x):
    z = np.exp(x - x.max())
    return z / z.sum()


X = np.array([0.7, -1.2, 1.9, 0.4])
N = X.size
W = np.array([0.5, -1.0, 2.0, 0.25])
S = _softmax(X)
HESSIANS = [
    ("logsumexp(x)", np.diag(S) - np.outer(S, S)),
    ("var(x)", 2.0 / N * (np.eye(N) - 1.0 / N)),
    ("var(x, ddof=1)", 2.0 / (N - 1) * (np.eye(N) - 1.0 / N)),
    (
        "sum(log_softmax(x) * [0.5, -1, 2, 0.25])",
        -W.sum() * (np.diag(_softmax(X)) - np.outer(_softmax(X), _softmax(X))),
    ),
    ("prod(x)", np.prod(X) / np.outer(X, X) * (1 - np.eye(N))),
    ("norm(x)", (np.eye(N) - np.outer(X, X) / (X @ X)) / np.sqrt(X @ X)),
    ("sum(cumsum(x) * [0.5, -1, 2, 0.25])", np.zeros((N, N))),
    ("mean(x, axis=0)", np.zeros((N, N))),
]


@pytest.mark.parametrize(("source", "expected"), HESSIANS, ids=[h[0] for h in HESSIANS])
def test_hessians_of_reverse_and_forward_mode_agree_with_closed_forms(source, expected):
    reverse = _hessian(source, X, "reverse")
    forward = _hessian(source, X, "forward")
    np.testing.assert_allclose(reverse, expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(forward, expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(reverse, reverse.T, atol=1e-7)


def test_std_hessian_along_an_axis_is_symmetric_and_matches_forward_mode():
    x = np.array([[0.7, -1.2, 1.9], [0.4, 1.1, -0.3]])
    source = "sum(std(x, axis=1, ddof=1) * [1, -2])"
    reverse = _hessian(source, x, "reverse")
    forward = _hessian(source, x, "forward")
    np.testing.assert_allclose(reverse, forward, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(reverse, reverse.T, atol=1e-6)
    assert np.allclose(reverse[:3, 3:], 0.0) and np.allclose(reverse[3:, :3], 0.0)  # rows do not mix
    assert OPS["std"].options == (("axis", None), ("ddof", 0), ("keepdims", False))
