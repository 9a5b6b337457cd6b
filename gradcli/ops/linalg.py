"""Products of vectors and matrices: `@`, dot and outer. Their partials are vector-Jacobian
products (but dot's, whose output is a scalar), written with `grad`, the upstream gradient.

`@` is numpy's matmul: a vector on the left is a row, on the right a column, and operands of more
than two dimensions are stacks of matrices whose leading dimensions broadcast, `(B, n, m) @ (B, m,
p)` or `(n, m) @ (B, m, p)`. Its gradients are torch.matmul's: each operand's is summed over the
stack dimensions it was broadcast along."""

from __future__ import annotations

import numpy as np

from .axes import axis_text, shape_text
from .row import Array, Op, Partial, lead_axes


def _as_2d(a: Array, b: Array) -> tuple[Array, Array]:
    """numpy's promotion of 1-D operands of `@`: a vector on the left is a row, on the right a column."""
    return (a[None, :] if a.ndim == 1 else a), (b[:, None] if b.ndim == 1 else b)


def _swap(m: Array) -> Array:
    """The last two axes exchanged: each matrix of a stack transposed."""
    return np.swapaxes(m, -1, -2)


def _promoted(a: Array, b: Array, out: Array, grad: Array) -> tuple[Array, Array, Array, int]:
    """The operands as (stacks of) matrices, grad in the shape of their product, and the number of
    its leading axes that are a batch of seeds (they lead every result)."""
    a2, b2 = _as_2d(a, b)
    lead = len(lead_axes(grad, out))
    g = grad if a.ndim > 1 else np.expand_dims(grad, -2 if b.ndim > 1 else -1)
    g = g if b.ndim > 1 else np.expand_dims(g, -1)
    return a2, b2, g, lead


def _summed_to(full: Array, lead: int, shape: tuple[int, ...], target: tuple[int, ...]) -> Array:
    """A product over the broadcast stack, summed back to an operand's stack (`shape`: the operand
    as a matrix), then in the operand's own shape `target` (torch.matmul's reduction)."""
    extra = full.ndim - lead - len(shape)
    full = np.sum(full, axis=tuple(range(lead, lead + extra)))
    ones = tuple(lead + i for i, n in enumerate(shape[:-2]) if n == 1 and full.shape[lead + i] != 1)
    return np.reshape(np.sum(full, axis=ones, keepdims=True), full.shape[:lead] + target)


def _matmul_vjp_a(a: Array, b: Array, out: Array, grad: Array) -> Array:
    a2, b2, g, lead = _promoted(a, b, out, grad)
    return _summed_to(g @ _swap(b2), lead, a2.shape, a.shape)


def _matmul_vjp_b(a: Array, b: Array, out: Array, grad: Array) -> Array:
    a2, b2, g, lead = _promoted(a, b, out, grad)
    return _summed_to(_swap(a2) @ g, lead, b2.shape, b.shape)


def _swapped_text(name: str, m: Array, vector_axis: int) -> str:
    """An operand with its last two axes exchanged, as a formula (a vector made a row or column)."""
    if m.ndim == 1:
        return f"expand_dims({name}, axis={vector_axis})"
    if m.ndim == 2:
        return f"transpose({name})"
    order = [*range(m.ndim - 2), m.ndim - 1, m.ndim - 2]
    return f"transpose({name}, axes={axis_text(order)})"


def _grad_text(a: Array, b: Array) -> str:
    """grad in the shape of the product of the operands as matrices (numpy's vector promotion)."""
    text = "grad"
    if a.ndim == 1:
        text = f"expand_dims({text}, axis={-2 if b.ndim > 1 else -1})"
    return text if b.ndim > 1 else f"expand_dims({text}, axis=-1)"


def _summed_text(product: str, full: tuple[int, ...], matrix: tuple[int, ...], shape: tuple[int, ...]) -> str:
    """`product`, of shape `full` (the broadcast stack), summed back to an operand (`matrix`: its
    shape as a matrix, `shape`: its own), as a formula: the stack axes it lacks or has as 1 are
    summed away (torch.matmul's rule), then a reshape gives its shape back where that changed it."""
    extra = len(full) - len(matrix)
    axes = [*range(extra), *(extra + i for i, n in enumerate(matrix[:-2]) if n == 1 and full[extra + i] != 1)]
    text = product if not axes else f"sum({product}, axis={axis_text(axes)})"
    kept = tuple(n for i, n in enumerate(full) if i not in axes)
    return text if kept == shape else f"reshape({text}, shape={shape_text(shape)})"


def _stack_of(a: Array, b: Array) -> tuple[int, ...]:
    a2, b2 = _as_2d(a, b)
    return np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])


def _matmul_formula_a(a: Array, b: Array) -> str:
    if a.ndim <= 2 and b.ndim <= 2:
        by_ndim = {(2, 2): "grad @ transpose(b)", (2, 1): "outer(grad, b)", (1, 2): "b @ grad"}
        return by_ndim.get((a.ndim, b.ndim), "grad * b")
    a2 = _as_2d(a, b)[0]
    product = f"{_grad_text(a, b)} @ {_swapped_text('b', b, 0)}"
    return _summed_text(product, _stack_of(a, b) + a2.shape[-2:], a2.shape, a.shape)


def _matmul_formula_b(a: Array, b: Array) -> str:
    if a.ndim <= 2 and b.ndim <= 2:
        by_ndim = {(2, 2): "transpose(a) @ grad", (2, 1): "transpose(a) @ grad", (1, 2): "outer(a, grad)"}
        return by_ndim.get((a.ndim, b.ndim), "grad * a")
    b2 = _as_2d(a, b)[1]
    product = f"{_swapped_text('a', a, -1)} @ {_grad_text(a, b)}"
    return _summed_text(product, _stack_of(a, b) + b2.shape[-2:], b2.shape, b.shape)


def _matmul_check(a: Array, b: Array) -> str | None:
    if a.ndim == 0 or b.ndim == 0:
        return "@ multiplies vectors and matrices; use * to scale by a number"
    if a.shape[-1] != b.shape[0 if b.ndim == 1 else -2]:
        inner = "first" if b.ndim == 1 else "second-to-last"
        return (
            f"a @ b needs a's last dimension ({a.shape[-1]}) to equal b's {inner} "
            f"({b.shape[0 if b.ndim == 1 else -2]})"
        )
    try:
        _stack_of(a, b)
    except ValueError:
        return (
            f"the stacks of matrices of shapes {a.shape} and {b.shape} do not broadcast: the "
            "dimensions before the last two must be equal, or 1, or missing (numpy's rule)"
        )
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
        shape_hint=(
            "a @ b follows numpy: (m,k) @ (k,n), (m,k) @ (k,), (k,) @ (k,n), (k,) @ (k,), and stacks "
            "of matrices (B,m,k) @ (B,k,n) whose leading dimensions broadcast"
        ),
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
