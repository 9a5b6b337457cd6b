"""Reverse mode, forward mode and second derivatives agree on the shape ops, batched `@` and einsum.

A property test draws a call (op, options, input shapes) and compares the Jacobians of reverse mode
(one batched backward pass), of forward mode as it ships (forward.py's products for `@` and
transpose, the exact fallback built from the vjps for the others), of forward mode with the shape
modules' own Jacobian-vector products wired in (`JVPS` of reshaping, joining, matrices, einsum),
and of central finite differences.

Second derivatives: `gradcli hessian` differentiates scalar programs symbolically and refuses
array ops, so, as for the axis ops (tests/test_axes_modes.py), the Hessians here are the Jacobian
of the gradient, from reverse mode and from forward mode, compared with each other, with their
transposes and with closed forms. The closed forms use that every op here is linear in each
input: for f(x) = Σ w·L(x)², the Hessian is 2 Jᵀ diag(w) J, where column k of J is L(e_k),
computed by numpy, not by gradcli.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from conftest import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gradcli
from gradcli import forward
from gradcli.ops import einsum, joining, matrices, reshaping

SHAPE_JVPS = {**reshaping.JVPS, **joining.JVPS, **matrices.JVPS, **einsum.JVPS}


@pytest.fixture
def wired(monkeypatch):
    """Forward mode with the shape modules' products in forward.py's table (as a merge would wire them)."""
    for name, jvp in SHAPE_JVPS.items():
        monkeypatch.setitem(forward._JVPS, name, jvp)


def _text(value) -> str:
    return "[" + ", ".join(map(str, value)) + "]" if isinstance(value, tuple) else str(value)


@st.composite
def calls(draw):
    """A call of one shape op on variables x (and y), as source text with the variables' shapes."""
    kinds = ["ravel", "squeeze", "transpose", "flip", "repeat", "tile", "concat", "stack"]
    kind = draw(st.sampled_from(kinds))
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
    ndim = len(shape)
    axis = draw(st.integers(0, ndim - 1))
    written = draw(st.sampled_from([axis, axis - ndim]))  # numpy's negative axes count back
    if kind == "squeeze":
        at = draw(st.integers(0, ndim))
        written = draw(st.sampled_from([at, at - ndim - 1]))
        return f"squeeze(x, axis={written})", {"x": (*shape[:at], 1, *shape[at:])}
    if kind == "transpose":
        axes = tuple(draw(st.permutations(range(ndim))))
        return draw(st.sampled_from([f"transpose(x, {_text(axes)})", "transpose(x)"])), {"x": shape}
    if kind == "flip":
        return draw(st.sampled_from([f"flip(x, axis={written})", "flip(x)"])), {"x": shape}
    if kind == "repeat":
        per = st.lists(st.integers(0, 2), min_size=shape[axis], max_size=shape[axis]).map(tuple)
        counts = draw(st.one_of(st.integers(0, 3), per))
        return f"repeat(x, {_text(counts)}, axis={written})", {"x": shape}
    if kind == "tile":
        reps = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=4)))
        return f"tile(x, {_text(reps)})", {"x": shape}
    if kind == "concat":
        other = (*shape[:axis], draw(st.integers(1, 3)), *shape[axis + 1 :])
        return f"concat([x, y, x], axis={written})", {"x": shape, "y": other}
    if kind == "stack":
        return f"stack([x, y, x], axis={draw(st.integers(-ndim - 1, ndim))})", {"x": shape, "y": shape}
    return "ravel(x)", {"x": shape}


MATRIX_CALLS = [
    ("diag(x)", {"x": (3,)}),
    ("diag(x, k=-1)", {"x": (2,)}),
    ("diag(x, k=1)", {"x": (3, 4)}),
    ("trace(x)", {"x": (3, 3)}),
    ("trace(x, offset=-1)", {"x": (3, 2)}),
    ("triu(x, k=1)", {"x": (2, 3, 3)}),
    ("tril(x)", {"x": (3, 4)}),
    ('einsum("ij,jk->ik", x, y)', {"x": (2, 3), "y": (3, 2)}),
    ('einsum("ii->i", x)', {"x": (3, 3)}),
    ('einsum("iji->j", x)', {"x": (2, 3, 2)}),
    ('einsum("ij->", x)', {"x": (2, 3)}),
    ('einsum("bij,bkj->bik", x, y)', {"x": (2, 2, 3), "y": (2, 2, 3)}),
    ('einsum("i,ij,j->", x, y, z)', {"x": (2,), "y": (2, 3), "z": (3,)}),
    ("x @ y", {"x": (2, 2, 3), "y": (2, 3, 2)}),
    ("x @ y", {"x": (2, 3), "y": (2, 3, 2)}),
    ("x @ y", {"x": (1, 2, 3), "y": (3, 3, 2)}),
    ("x @ y", {"x": (3,), "y": (2, 3, 2)}),
    ("x @ y", {"x": (2, 2, 3), "y": (3,)}),
]


def _values(shapes: dict, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {name: rng.uniform(-2.0, 2.0, size=shape) for name, shape in shapes.items()}


def _full(gradient, out_shape, x_shape) -> np.ndarray:
    return np.reshape(gradient, tuple(out_shape) + tuple(x_shape))


def _fd_jacobian(source: str, values: dict, name: str, h: float = 1e-6) -> np.ndarray:
    out = np.asarray(gradcli.evaluate(source, values, record_steps=False).value)
    x = values[name]
    jacobian = np.zeros(out.shape + x.shape)
    for position in np.ndindex(*x.shape):
        up, down = x.copy(), x.copy()
        up[position] += h
        down[position] -= h
        high = gradcli.evaluate(source, {**values, name: up}, record_steps=False).value
        low = gradcli.evaluate(source, {**values, name: down}, record_steps=False).value
        jacobian[(..., *position)] = (np.asarray(high) - np.asarray(low)) / (2 * h)
    return jacobian


def _agree(source: str, values: dict, *, shipped: bool = True) -> None:
    """Reverse = forward (as shipped, and with the modules' jvps) = finite differences."""
    reverse = gradcli.evaluate(source, values, record_steps=False)
    out_shape = np.shape(reverse.value)
    modes = {}
    if shipped:
        modes["forward"] = gradcli.evaluate(source, values, record_steps=False, mode="forward")
    with pytest.MonkeyPatch.context() as patch:
        for op_name, jvp in SHAPE_JVPS.items():
            patch.setitem(forward._JVPS, op_name, jvp)
        modes["forward with the jvps"] = gradcli.evaluate(source, values, record_steps=False, mode="forward")
    for name, x in values.items():
        jr = _full(reverse.gradient[name], out_shape, x.shape)
        for label, result in modes.items():
            jf = _full(result.gradient[name], out_shape, x.shape)
            np.testing.assert_allclose(jf, jr, rtol=1e-12, atol=1e-14, err_msg=f"{source} {name} {label}")
        numeric = _fd_jacobian(source, values, name)
        np.testing.assert_allclose(jr, numeric, rtol=1e-6, atol=1e-8, err_msg=f"{source} {name}")


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(calls(), st.integers(0, 2**16))
def test_reverse_forward_and_finite_differences_agree(call, seed):
    source, shapes = call
    values = _values(shapes, seed)
    _agree(source, values)


@pytest.mark.parametrize(("source", "shapes"), MATRIX_CALLS, ids=[c[0] + str(c[1]) for c in MATRIX_CALLS])
def test_reverse_forward_and_finite_differences_agree_on_matrices(source, shapes):
    _agree(source, _values(shapes, 7))


def test_forward_mode_of_transpose_with_axes():
    x = np.arange(24.0).reshape(2, 3, 4)
    reverse = gradcli.evaluate("transpose(x, [1, 0, 2])", x=x, record_steps=False)
    shipped = gradcli.evaluate("transpose(x, [1, 0, 2])", x=x, record_steps=False, mode="forward")
    np.testing.assert_array_equal(shipped.gradient["x"], reverse.gradient["x"])


def test_forward_mode_of_an_empty_output():
    result = gradcli.evaluate("repeat(x, 0)", x=np.array([1.0, 2.0]), record_steps=False, mode="forward")
    assert result.gradient["x"].shape == (0, 2)


def test_forward_mode_of_an_empty_output_once_wired(wired):
    result = gradcli.evaluate("repeat(x, 0)", x=np.array([1.0, 2.0]), record_steps=False, mode="forward")
    assert result.gradient["x"].shape == (0, 2)
    assert gradcli.evaluate("repeat(x, 0)", x=np.array([1.0, 2.0])).gradient["x"].shape == (0, 2)


def test_forward_mode_of_transpose_with_axes_once_wired(wired):
    x = np.arange(24.0).reshape(2, 3, 4)
    reverse = gradcli.evaluate("transpose(x, [1, 0, 2])", x=x, record_steps=False)
    wired_forward = gradcli.evaluate("transpose(x, [1, 0, 2])", x=x, record_steps=False, mode="forward")
    np.testing.assert_array_equal(wired_forward.gradient["x"], reverse.gradient["x"])
    assert gradcli.evaluate("transpose(x)", x=x, mode="forward").gradient["x"].shape == (4, 3, 2, 2, 3, 4)


# --- second derivatives ------------------------------------------------------------------------


def _gradient(source: str, values: dict, name: str, mode: str) -> np.ndarray:
    return np.asarray(gradcli.evaluate(source, values, record_steps=False, mode=mode).gradient[name])


def _hessian(source: str, values: dict, name: str, mode: str, h: float = 1e-4) -> np.ndarray:
    """The Jacobian of the gradient with respect to `name`, by central differences of gradcli's
    exact gradients (exact up to rounding here: the gradients are linear in x)."""
    x = values[name]
    rows = []
    for k in range(x.size):
        step = np.zeros(x.size)
        step[k] = h
        up = _gradient(source, {**values, name: x + step.reshape(x.shape)}, name, mode)
        down = _gradient(source, {**values, name: x - step.reshape(x.shape)}, name, mode)
        rows.append(np.ravel(up - down) / (2 * h))
    return np.array(rows)


X = np.array([[0.7, -1.2, 1.9], [0.4, 1.1, -0.3]])
S = np.array([[0.5, -1.0], [2.0, 0.25], [1.5, -0.5]])
SQUARE = np.array([[0.7, -1.2, 1.9], [0.4, 1.1, -0.3], [-0.8, 0.6, 1.3]])
STACK = np.arange(12.0).reshape(2, 2, 3) / 5 - 1

# (source with x and w, x, the linear map L (numpy) whose square the source weighs by w)
QUADRATICS = [
    ("sum(w * ravel(x)^2)", X, np.ravel),
    ("sum(w * transpose(x)^2)", X, np.transpose),
    ("sum(w * transpose(x, [2, 0, 1])^2)", STACK, lambda v: np.transpose(v, (2, 0, 1))),
    ("sum(w * flip(x, axis=1)^2)", X, lambda v: np.flip(v, 1)),
    ("sum(w * repeat(x, [2, 0, 1], axis=1)^2)", X, lambda v: np.repeat(v, [2, 0, 1], 1)),
    ("sum(w * tile(x, [2, 1])^2)", X, lambda v: np.tile(v, (2, 1))),
    ("sum(w * concat([x, 2 * x], axis=1)^2)", X, lambda v: np.concatenate([v, 2 * v], 1)),
    ("sum(w * stack([x, -x], axis=2)^2)", X, lambda v: np.stack([v, -v], 2)),
    ("sum(w * diag(x)^2)", SQUARE, np.diag),
    ("w * trace(x)^2", SQUARE, np.trace),
    ("sum(w * triu(x, k=-1)^2)", SQUARE, lambda v: np.triu(v, -1)),
    ('sum(w * einsum("ij,jk->ik", x, s)^2)', X, lambda v: np.einsum("ij,jk->ik", v, S)),
    ('sum(w * einsum("iji->j", x)^2)', STACK[:, :, :2], lambda v: np.einsum("iji->j", v)),
    ("sum(w * (x @ s)^2)", STACK, lambda v: v @ S),
    ("sum(w * (s @ x)^2)", X, lambda v: S @ v),
]


def _closed_form(x: np.ndarray, linear, w: np.ndarray) -> np.ndarray:
    """2 Jᵀ diag(w) J, with column k of J the linear map at the k-th unit array (numpy's)."""
    columns = [np.ravel(linear(e.reshape(x.shape))) for e in np.eye(x.size)]
    jacobian = np.array(columns).T
    return 2.0 * jacobian.T @ (np.ravel(w)[:, None] * jacobian)


@pytest.mark.parametrize(("source", "x", "linear"), QUADRATICS, ids=[q[0] for q in QUADRATICS])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_hessians_agree_with_the_closed_forms(source, x, linear, mode, wired):
    w = np.random.default_rng(11).uniform(-1.0, 1.0, size=np.shape(linear(x)))
    values = {"x": x, "w": w, "s": S} if re.search(r"\bs\b", source) else {"x": x, "w": w}
    found = _hessian(source, values, "x", mode)
    np.testing.assert_allclose(found, _closed_form(x, linear, w), rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(found, found.T, atol=1e-8)


def test_the_mixed_second_derivative_of_a_bilinear_product():
    """f = Σ w ⊙ (a @ b): ∂f/∂a = w bᵀ, whose derivative by b[r, s] is w[p, s] [q = r] at a[p, q]."""
    a, b = X, S
    w = np.array([[1.0, -2.0], [0.5, 3.0]])
    for source in ("sum(w * (a @ b))", 'sum(w * einsum("ij,jk->ik", a, b))'):
        for mode in ("reverse", "forward"):
            mixed = np.zeros((a.size, b.size))
            for k in range(b.size):
                step = np.zeros(b.size)
                step[k] = 1e-4
                up = _gradient(source, {"a": a, "b": b + step.reshape(b.shape), "w": w}, "a", mode)
                down = _gradient(source, {"a": a, "b": b - step.reshape(b.shape), "w": w}, "a", mode)
                mixed[:, k] = np.ravel(up - down) / 2e-4
            expected = np.zeros((2, 3, 3, 2))
            for p in range(2):
                for q in range(3):
                    expected[p, q, q, :] = w[p, :]
            np.testing.assert_allclose(mixed, expected.reshape(6, 6), atol=1e-8, err_msg=f"{source} {mode}")


# --- the other commands ----------------------------------------------------------------------


def test_check_passes_through_every_shape_op():
    source = (
        'sum(einsum("ij,jk->ik", a, b) * (transpose(concat([b, flip(b, axis=0)], axis=0), [1, 0]) '
        "@ concat([b, b], axis=0))) + trace(triu(a @ b)) * sum(tile(diag(ravel(a)[0:2]), [1, 2])) "
        "+ sum(repeat(ravel(a), 2) * 0.5) + sum(squeeze(stack([a, a], axis=0)[0:1], axis=0) * tril(a))"
    )
    run = run_cli("check", source, "--at", "a=[[1,2,3],[4,5,6]],b=[[1,2],[3,-4],[5,6]]", "--json")
    assert run.code == 0, run.err
    assert run.json()["passed"] is True


def test_points_with_array_fields_run_through_the_shape_ops(tmp_path):
    path = tmp_path / "points.jsonl"
    path.write_text('{"x": [[1, 2], [3, 4]]}\n{"x": [[0, 1], [2, 3]]}\n')
    source = "trace(x @ flip(x, axis=0)) + sum(tile(x, [1, 2]) @ [1, 2, 3, 4])"
    source += " + sum(stack([x, x], axis=2)[:, :, 0] * x)"
    run = run_cli("eval", source, "--points", str(path), "--format", "jsonl")
    assert run.code == 0, run.err
    for line, x in zip(run.out.splitlines(), ([[1, 2], [3, 4]], [[0, 1], [2, 3]]), strict=True):
        single = gradcli.evaluate(source, x=np.array(x, dtype=float))
        record = json.loads(line)
        assert record["value"] == float(single.value)
        assert record["gradient"]["x"] == np.asarray(single.gradient["x"]).tolist()
