"""Forward mode, reverse mode and the Hessian agree on every function of issue 16; and clip, the
one with three inputs, gets the row checks test_ops.py gives rows of one and two inputs (its
partials against finite differences, its printed formulas against its rules)."""

from __future__ import annotations

import numpy as np
import pytest
from closed_forms_functions import ARRAY, BINARY, KINK_DISTANCE, UNARY
from test_ops import _formula_value, contribution, finite_difference_vjp

from gradcli.api import evaluate, hessian
from gradcli.ops import OPS, partial_of
from gradcli.parse import parse_expression

NEW = sorted({*UNARY, *BINARY, *ARRAY})


def _call(name: str) -> str:
    op = OPS[name]
    return f"{op.symbol}({', '.join(op.params)})"


def _samples(name: str, seed: int) -> dict[str, np.ndarray]:
    """Vectors for each parameter: in the domain, around it, and at the usual break points."""
    op = OPS[name]
    rng = np.random.default_rng([seed, *map(ord, name)])
    low, high = op.domain
    special = np.array([0.0, 1.0, -1.0, 3.0, -3.0, 6.0, 0.5, -0.5, 2.0, 1.5])
    values = {}
    for param in op.params:
        inside = rng.uniform(low, high, 4)
        around = rng.uniform(low - 2.0, high + 2.0, 3)
        values[param] = np.concatenate([inside, around, rng.choice(special, 3)])
    return values


@pytest.mark.parametrize("name", NEW)
@pytest.mark.parametrize("seed", range(3))
def test_forward_and_reverse_agree(name, seed):
    """Element by element (a Jacobian each), at kinks and outside the domain too: both modes
    read the same partials and masks, so they agree wherever reverse mode is finite."""
    at = _samples(name, seed)
    reverse = evaluate(_call(name), at, record_steps=False)
    forward = evaluate(_call(name), at, mode="forward", record_steps=False)
    for param in at:
        r, f = np.asarray(reverse.gradient[param]), np.asarray(forward.gradient[param])
        assert r.shape == f.shape == (10, 10)
        finite = np.isfinite(r)
        np.testing.assert_allclose(f[finite], r[finite], rtol=1e-13, atol=1e-300, err_msg=f"{name} {param}")
        # A nan partial of element k stays in column k (reverse mode also spreads it along row k).
        np.testing.assert_array_equal(np.isnan(np.diagonal(f)), np.isnan(np.diagonal(r)), err_msg=name)


def _composed(name: str, point: np.ndarray, rng) -> tuple[str, dict[str, float]]:
    """`name` applied to arguments that are mixtures of a, b and a*b, each equal to the chosen
    point at (a, b) = (0.6, -0.8): the Hessian then has cross terms from every input."""
    a, b = 0.6, -0.8
    args = []
    for value in map(float, point):
        u, v, w = map(float, rng.uniform(0.2, 0.6, 3))
        args.append(f"{value!r} + {u!r}*(a - {a}) + {v!r}*(b - {b}) + {w!r}*(a*b - {a * b!r})")
    return f"{OPS[name].symbol}({', '.join(args)})", {"a": a, "b": b}


def _gradient(source: str, at: dict[str, float]) -> np.ndarray:
    result = evaluate(source, at, record_steps=False)
    return np.array([float(result.gradient[name]) for name in ("a", "b")])


@pytest.mark.parametrize("name", NEW)
def test_hessian_is_the_derivative_of_the_gradient(name):
    """Reverse-over-reverse (the symbolic partials differentiated again) against central
    differences of reverse mode's gradient, at three points of the domain away from the kinks."""
    op = OPS[name]
    rng = np.random.default_rng([3, *map(ord, name)])
    checked = 0
    while checked < 3:
        point = rng.uniform(*op.domain, op.arity)
        if name in KINK_DISTANCE and KINK_DISTANCE[name](*point) < 1e-2:
            continue
        source, at = _composed(name, point, rng)
        result = hessian(source, at)
        assert result.variables == ("a", "b")
        h = 1e-5
        columns = []
        for var in ("a", "b"):
            up = _gradient(source, {**at, var: at[var] + h})
            down = _gradient(source, {**at, var: at[var] - h})
            columns.append((up - down) / (2 * h))
        numeric = np.column_stack(columns)
        np.testing.assert_allclose(result.matrix, numeric, rtol=1e-5, atol=1e-6, err_msg=source)
        np.testing.assert_allclose(result.matrix, result.matrix.T, rtol=1e-9, atol=1e-12)
        forward = evaluate(source, at, mode="forward")
        np.testing.assert_allclose([float(forward.gradient[v]) for v in ("a", "b")], _gradient(source, at))
        checked += 1


# --- clip: the row checks for three inputs ----------------------------------------------------


def _clip_inputs(seed: int) -> list[list[np.ndarray]]:
    rng = np.random.default_rng([seed, 99])
    low, high = OPS["clip"].domain
    shapes = [((5,), (5,), (5,)), ((2, 3), (3,), ()), ((), (), ())]
    return [[rng.uniform(low, high, size=shape) for shape in case] for case in shapes]


@pytest.mark.parametrize("seed", range(5))
def test_clip_partials_match_finite_differences(seed):
    op = OPS["clip"]
    for inputs in _clip_inputs(seed):
        out = np.asarray(op.forward(*inputs))
        upstream = np.random.default_rng(seed).normal(size=out.shape)
        for index in range(3):
            got = contribution(op, index, inputs, out, upstream)
            numeric = finite_difference_vjp(op, index, inputs, upstream)
            np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("seed", range(5))
def test_clip_formulas_parse_and_equal_the_rules(seed):
    op = OPS["clip"]
    for inputs in _clip_inputs(100 + seed):
        out = np.asarray(op.forward(*inputs))
        for index in range(3):
            partial = partial_of(op, index)
            text = partial.formula_text(*inputs)
            parse_expression(text)
            printed = _formula_value(text, op, inputs, out, np.ones(out.shape))
            rule = np.broadcast_to(partial.local(*inputs, out), printed.shape)
            np.testing.assert_array_equal(printed, rule, err_msg=text)


def test_clip_formulas_also_hold_at_the_bounds():
    """PyTorch's clamp at a bound, and with lo > hi: the step formulas give its numbers exactly."""
    x = np.array([1.0, 2.0, 1.0, 0.5, 1.5, 2.5, 1.5, 0.5])
    lo = np.array([1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 1.0, 1.0])
    hi = np.array([2.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    op = OPS["clip"]
    out = op.forward(x, lo, hi)
    for index in range(3):
        partial = partial_of(op, index)
        printed = _formula_value(partial.formula_text(x, lo, hi), op, [x, lo, hi], out, np.ones(8))
        np.testing.assert_array_equal(printed, partial.local(x, lo, hi, out))
