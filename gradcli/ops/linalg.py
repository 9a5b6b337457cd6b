"""Products of vectors and matrices: `@`, dot and outer. Their partials are vector-Jacobian
products (but dot's, whose output is a scalar), written with `grad`, the upstream gradient."""

from __future__ import annotations

import numpy as np

from .row import Array, Op, Partial, lead_axes


def _as_2d(a: Array, b: Array) -> tuple[Array, Array]:
    """numpy's promotion of 1-D operands of `@`: a vector on the left is a row, on the right a column."""
    return (a[None, :] if a.ndim == 1 else a), (b[:, None] if b.ndim == 1 else b)


def _matmul_vjp_a(a: Array, b: Array, out: Array, grad: Array) -> Array:
    a2, b2 = _as_2d(a, b)
    lead = lead_axes(grad, out)
    batch = np.reshape(grad, (int(np.prod(lead, dtype=int)), a2.shape[0], b2.shape[1]))
    return (batch @ b2.T).reshape(lead + a.shape)


def _matmul_vjp_b(a: Array, b: Array, out: Array, grad: Array) -> Array:
    a2, b2 = _as_2d(a, b)
    lead = lead_axes(grad, out)
    batch = np.reshape(grad, (int(np.prod(lead, dtype=int)), a2.shape[0], b2.shape[1]))
    return (a2.T @ batch).reshape(lead + b.shape)


def _matmul_formula_a(a: Array, b: Array) -> str:
    by_ndim = {(2, 2): "grad @ transpose(b)", (2, 1): "outer(grad, b)", (1, 2): "b @ grad"}
    return by_ndim.get((a.ndim, b.ndim), "grad * b")


def _matmul_formula_b(a: Array, b: Array) -> str:
    by_ndim = {(2, 2): "transpose(a) @ grad", (2, 1): "transpose(a) @ grad", (1, 2): "outer(a, grad)"}
    return by_ndim.get((a.ndim, b.ndim), "grad * a")


def _matmul_check(a: Array, b: Array) -> str | None:
    if a.ndim == 0 or b.ndim == 0:
        return "@ multiplies vectors and matrices; use * to scale by a number"
    if a.ndim > 2 or b.ndim > 2:
        return "@ takes vectors and matrices (1-D and 2-D arrays) only"
    if a.shape[-1] != b.shape[0]:
        return f"a @ b needs a's last dimension ({a.shape[-1]}) to equal b's first ({b.shape[0]})"
    return None


def _dot_check(a: Array, b: Array) -> str | None:
    if a.ndim != 1 or b.ndim != 1 or a.shape != b.shape:
        return "dot(a, b) takes two vectors of the same length; use @ for matrices"
    return None


def _outer_check(a: Array, b: Array) -> str | None:
    if np.ndim(a) != 1 or np.ndim(b) != 1:
        return "outer(a, b) takes two vectors (1-D arrays)"
    return None


def _outer_vjp_a(a: Array, b: Array, out: Array, grad: Array) -> Array:
    lead = lead_axes(grad, out)
    return np.reshape(grad, (*lead, np.size(a), np.size(b))) @ np.ravel(b)


def _outer_vjp_b(a: Array, b: Array, out: Array, grad: Array) -> Array:
    lead = lead_axes(grad, out)
    return np.ravel(a) @ np.reshape(grad, (*lead, np.size(a), np.size(b)))


ROWS = [
    Op(
        "matmul",
        ("a", "b"),
        np.matmul,
        (Partial(_matmul_formula_a, vjp=_matmul_vjp_a), Partial(_matmul_formula_b, vjp=_matmul_vjp_b)),
        "@",
        infix=True,
        check=_matmul_check,
        shapes=((2, 3), (3,)),
        shape_hint="a @ b follows numpy: (m,k) @ (k,n), (m,k) @ (k,), (k,) @ (k,n) or (k,) @ (k,)",
        pointwise=False,
    ),
    Op(
        "dot",
        ("a", "b"),
        np.dot,
        (Partial("b", lambda a, b, out: b), Partial("a", lambda a, b, out: a)),
        "dot",
        check=_dot_check,
        shapes=((3,), (3,)),
        pointwise=False,
    ),
    Op(
        "outer",
        ("a", "b"),
        lambda a, b: np.outer(a, b),
        (Partial("grad @ b", vjp=_outer_vjp_a), Partial("a @ grad", vjp=_outer_vjp_b)),
        "outer",
        check=_outer_check,
        shapes=((2,), (3,)),
        pointwise=False,
    ),
]
