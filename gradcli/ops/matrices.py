"""Parts of matrices, with numpy's names: `diag(x, k=0)` (a vector to a diagonal matrix, a matrix
to its diagonal), `trace(x, offset=0)`, `triu(x, k=0)` and `tril(x, k=0)` (the upper and lower
triangles, of the last two axes). (einsum, which also takes traces and diagonals, is einsum.py.)

Their gradients select: an element the op did not take gets 0, even from an inf or nan upstream
gradient, as in PyTorch (its trace, diag and triu backward fill zeros and copy the gradient in).
trace's local derivative is the identity pattern, 1 on the diagonal (masked: 0 elsewhere
whatever the upstream gradient); the others give vector-Jacobian products: `diag(grad)`,
`triu(grad)`. Formulas write a matrix of ones in x's shape as `pow(x, 0)` (1 even at inf and
nan; the step formulas' simplifier would read `x^0` as the number 1, which has no shape).

`JVPS` holds their Jacobian-vector products for forward mode (see reshaping.py).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .row import Array, Op, Partial, lead_axes

Jvp = Callable[..., Array]


def _whole(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return None
    return int(value) if np.isfinite(value) and float(value) == int(value) else None


def _offset_problem(name: str, value: object) -> str | None:
    if _whole(value) is None:
        return f"{name} is a whole number (0: the main diagonal, 1 above it, -1 below), not {value!r}"
    return None


def diagonal_positions(shape: tuple[int, ...], k: int) -> tuple[Array, Array]:
    """The row and column of each element of diagonal k of a matrix of this shape (k > 0: above)."""
    rows, cols = shape[-2], shape[-1]
    length = max(0, min(rows + min(k, 0), cols - max(k, 0)))
    start = np.arange(length)
    return start + max(-k, 0), start + max(k, 0)


def _k(k: object) -> int:
    return _whole(k) or 0


def _k_text(name: str, k: object) -> str:
    return "" if _k(k) == 0 else f", {name}={_k(k)}"


# --- diag --------------------------------------------------------------------------------------


def _diag_check(x: Array, k: object = 0) -> str | None:
    if np.ndim(x) not in (1, 2):
        return (
            "diag takes a vector (it makes the diagonal matrix) or a matrix (it takes its "
            f"diagonal), not an array of shape {np.shape(x)}"
        )
    return _offset_problem("k", k)


def _diag(x: Array, k: object = 0) -> Array:
    return np.array(np.diag(x, _k(k)), dtype=np.float64)


def _diag_vjp(x: Array, out: Array, grad: Array, k: object = 0) -> Array:
    lead = lead_axes(grad, out)
    if np.ndim(x) == 1:  # out is a matrix: x gets its diagonal back
        return np.diagonal(grad, offset=_k(k), axis1=-2, axis2=-1).copy()
    result = np.zeros(lead + np.shape(x))
    rows, cols = diagonal_positions(np.shape(x), _k(k))
    result[..., rows, cols] = grad
    return result


def _diag_formula(x: Array, k: object = 0) -> str:
    if np.ndim(x) == 1 or np.shape(x)[0] == np.shape(x)[1]:
        return f"diag(grad{_k_text('k', k)})"
    # A matrix that is not square: diag(grad) would be square, so the gradient is put back at
    # the diagonal's positions instead.
    rows, cols = diagonal_positions(np.shape(x), _k(k))
    key = f"[{', '.join(map(str, rows))}], [{', '.join(map(str, cols))}]"
    return f'scatter(grad, x, key="{key}")'


def _diag_jvp(index: int, args: list, out: Array, tangent: Array, k: object = 0) -> Array:
    x = args[0]
    if np.ndim(x) == 2:
        return np.diagonal(tangent, offset=_k(k), axis1=1, axis2=2)
    term = np.zeros((len(tangent), *np.shape(out)))
    rows, cols = diagonal_positions(np.shape(out), _k(k))
    term[:, rows, cols] = tangent
    return term


# --- trace ---------------------------------------------------------------------------------------


def _trace_check(x: Array, offset: object = 0) -> str | None:
    if np.ndim(x) != 2:
        return f"trace takes a matrix (2-D), not an array of shape {np.shape(x)}"
    return _offset_problem("offset", offset)


def _trace(x: Array, offset: object = 0) -> Array:
    return np.trace(x, offset=_k(offset))


def _identity(x: Array, out: Array, offset: object = 0) -> Array:
    """∂trace/∂x: 1 on the diagonal, 0 elsewhere (in x's shape)."""
    pattern = np.zeros(np.shape(x))
    pattern[diagonal_positions(np.shape(x), _k(offset))] = 1.0
    return pattern


def _identity_formula(x: Array, offset: object = 0) -> str:
    if _k(offset) == 0 and np.shape(x)[0] == np.shape(x)[1]:
        return "diag(diag(pow(x, 0)))"  # the identity matrix: the diagonal's ones, made a matrix
    k = _k_text("k", offset)
    return f"triu(tril(pow(x, 0){k}){k})"  # ones on diagonal k only


# --- triu and tril -------------------------------------------------------------------------------


_KEEP = {"triu": np.triu, "tril": np.tril}


def _triangle_row(name: str, shape_hint: str) -> Op:
    keep = _KEEP[name]

    def check(x: Array, k: object = 0) -> str | None:
        if np.ndim(x) < 2:
            return f"{name} takes a matrix (or a stack of them), not an array of shape {np.shape(x)}"
        return _offset_problem("k", k)

    def forward(x: Array, k: object = 0) -> Array:
        return keep(x, _k(k))

    def vjp(x: Array, out: Array, grad: Array, k: object = 0) -> Array:
        return keep(grad, _k(k))  # selects (np.where): a dropped element gets 0, whatever grad is

    def formula(x: Array, k: object = 0) -> str:
        return f"{name}(grad{_k_text('k', k)})"

    return Op(
        name,
        ("x",),
        forward,
        (Partial(formula, vjp=vjp),),
        name,
        check=check,
        shapes=((3, 4),),
        # A matrix op: the generic tests of other files call every one-input function on vectors.
        generic_test=False,
        pointwise=False,
        options=(("k", 0),),
        shape_hint=shape_hint,
    )


def _triangle_jvp(name: str) -> Jvp:
    def jvp(index: int, args: list, out: Array, tangent: Array, k: object = 0) -> Array:
        return _KEEP[name](tangent, _k(k))  # the last two axes: the batch axis stays in front

    return jvp


def _trace_jvp(index: int, args: list, out: Array, tangent: Array, offset: object = 0) -> Array:
    rows, cols = diagonal_positions(np.shape(args[0]), _k(offset))
    return np.sum(tangent[:, rows, cols], axis=1)


ROWS = [
    # diag(v): the matrix with v on its diagonal k; diag(M): the diagonal k of M (a vector).
    Op(
        "diag",
        ("x",),
        _diag,
        (Partial(_diag_formula, vjp=_diag_vjp),),
        "diag",
        check=_diag_check,
        shapes=((3,),),
        pointwise=False,
        options=(("k", 0),),
    ),
    # trace(M): the sum of the diagonal (diagonal `offset` of it, like numpy's).
    Op(
        "trace",
        ("x",),
        _trace,
        (Partial(_identity_formula, _identity, masked=True),),
        "trace",
        check=_trace_check,
        shapes=((3, 3),),
        generic_test=False,
        pointwise=False,
        options=(("offset", 0),),
    ),
    _triangle_row("triu", "triu(x, k=0) keeps the elements on and above diagonal k of a matrix"),
    _triangle_row("tril", "tril(x, k=0) keeps the elements on and below diagonal k of a matrix"),
]

JVPS: dict[str, Jvp] = {
    "diag": _diag_jvp,
    "trace": _trace_jvp,
    "triu": _triangle_jvp("triu"),
    "tril": _triangle_jvp("tril"),
}
