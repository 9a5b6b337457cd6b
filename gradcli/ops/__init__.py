"""OPS: every operation gradcli knows, one row each.

A row (an `Op`, see row.py) holds the forward rule, one partial derivative per input (a numeric
rule and the same rule as a formula in gradcli's own language), where the op has a kink and
which convention is used there, and the domain where tests sample it. Adding an op is adding a
row: evaluation, backpropagation, the printed derivations and the parametrized tests all read
this table.

Numeric rules are stateless: `(*inputs, out) -> local derivative`, elementwise. Backprop alone
multiplies by the upstream gradient and sums at fan-out. Reductions (sum, mean, max over an
array, norm, dot, full indexing) fit that scheme too, since their upstream gradient is a scalar
that broadcasts. The few ops that do not (matrix product, transpose, softmax, array literals)
give a vector-Jacobian product instead: `(*inputs, out, grad) -> contribution`, and their formula
is written in terms of `grad`, the upstream gradient ∂output/∂(this node).

Conventions at kinks follow PyTorch 2.13: relu'(0) = 0, abs'(0) = 0, max/min ties give 0.5 to
each side, sqrt'(0) = +inf, x^0 gives 0 to x, pow(0, b) with b >= 0 gives 0 to b.

Outside the domain, too, the numbers are PyTorch 2.13's (float64, measured: see
tests/test_edges_numeric.py). Where PyTorch *selects* instead of multiplying, the partial is
`masked`: its contribution is 0 wherever the local derivative is 0 by selection, even when the
upstream gradient is inf or nan (0 * inf would be nan). Masked: relu (x <= 0), sign and step
(always), max/min of two (the losing side), max/min over an array and maxmask/minmask (the
elements not selected), indexing and onehot (the other elements), x^0 (to x). Not masked, as
in PyTorch: abs (0 * inf at 0 is nan), mul, pow elsewhere (`sqrt(x^2)` at 0 is nan), pow(0, b)
to b and norm at the origin (their local derivative is taken as 0, then multiplied).

At nan, PyTorch's comparisons decide: sign(nan) = 0 (so abs'(nan) = 0), relu'(nan) = 1 (relu
passes the gradient unless x <= 0), max(nan, b) gives the whole gradient to both sides, and max
over an array whose maximum is nan shares it among the nan elements. A tie at inf is a tie (0.5
each). (-inf)^0.5 = +inf and (-0)^0.5 = +0, as C's pow (numpy's sqrt shortcut says nan and -0).
The printed formulas of max/min, `(1 ± sign(a - b))/2`, agree with these everywhere but at nan.
Division's partial -a/b^2 is computed as -(a/b)/b, so b^2 neither overflows nor underflows.

The rows live in one module per kind of op; a new op goes into the module of its kind:

    arithmetic.py   the operators + - * / ^ and unary minus
    elementary.py   exp, log, sqrt, trigonometric and hyperbolic functions
    logexp.py       log2 log10 log1p expm1 exp2 logaddexp
    erf.py          erf, erfc (Cody's rational approximations: numpy has none)
    special.py      asinh acosh atanh atan2 hypot
    activations.py  tanh, sigmoid, relu, softplus, leaky_relu, elu, selu, silu, gelu, mish, ...
    hard.py         hardtanh relu6 hardsigmoid hardswish (piecewise-linear activations)
    rounding.py     floor ceil round trunc mod clip
    piecewise.py    abs, max/min of two, sign, step (kinks and jumps), comparisons, where
    linalg.py       @ (stacks of matrices too, as numpy's matmul), dot, outer
    einsum.py       einsum("ij,jk->ik", a, b)
    reductions.py   sum, mean, prod, max/min over an array or along axes, norm, logsumexp
    softmax.py      softmax, log_softmax (over all elements or along an axis)
    statistics.py   var, std (ddof=)
    cumulative.py   cumsum, cumprod
    axes.py         the axis= / keepdims= helpers the reductions share; expand_dims, reshape
    tangents.py     forward-mode products of the axis-aware ops (forward.py reads them)
    reshaping.py    ravel squeeze flip repeat tile, transpose with axes=
    joining.py      concat, stack along an axis
    matrices.py     diag trace triu tril
    losses.py       mse, huber, huber_loss, bce, bce_with_logits
    class_losses.py cross_entropy, nll, onehot(t, num_classes=...)
    loss_tangents.py forward-mode products of the losses (forward.py reads them)
    shapes.py       transpose, array literals, indexing (x[i, j]; x[1:3], x[[0, 2]]: slice), onehot, scatter

This module assembles the table and the
lookups the language needs: by name, by function name and arity, by infix operator.
"""

from __future__ import annotations

import numpy as np

from . import (
    activations,
    arithmetic,
    axes,
    class_losses,
    cumulative,
    einsum,
    elementary,
    erf,
    hard,
    joining,
    linalg,
    logexp,
    losses,
    matrices,
    piecewise,
    reductions,
    reshaping,
    rounding,
    shapes,
    softmax,
    special,
    statistics,
)
from .row import ONE, Array, Formula, Op, Options, Partial, Rule, partial_of

__all__ = [
    "BINARY_OPS",
    "CONSTANTS",
    "FUNCTIONS",
    "FUNCTION_NAMES",
    "ONE",
    "OPS",
    "VARIADIC_FUNCTIONS",
    "Array",
    "Formula",
    "Op",
    "Options",
    "Partial",
    "Rule",
    "functions_named",
    "partial_of",
]

_ROWS: list[Op] = [
    *arithmetic.ROWS,
    *elementary.ROWS,
    *activations.ROWS,
    *piecewise.ROWS,
    *linalg.ROWS,
    *reductions.ROWS,
    *softmax.ROWS,
    *statistics.ROWS,
    *cumulative.ROWS,
    *axes.ROWS,
    *shapes.ROWS,
    *logexp.ROWS,
    *erf.ROWS,
    *special.ROWS,
    *rounding.ROWS,
    *hard.ROWS,
    *reshaping.ROWS,
    *joining.ROWS,
    *matrices.ROWS,
    *einsum.ROWS,
    *losses.ROWS,
    *class_losses.ROWS,
]

OPS: dict[str, Op] = {op.name: op for op in _ROWS}


def _callable(op: Op) -> bool:
    """Called by a name (not an operator, `-x`, an array literal `[...]` or indexing `x[...]`)."""
    return not op.infix and op.name != "neg" and op.symbol.isidentifier()


# Names a call may use: (function name, number of arguments) -> op.
FUNCTIONS: dict[tuple[str, int], Op] = {}
# Functions of any number of inputs (`concat([a, b])`, `einsum("i,i->", a, b)`): name -> op.
VARIADIC_FUNCTIONS: dict[str, Op] = {}
for _op in _ROWS:
    if _callable(_op):
        for _name in (_op.symbol, *_op.aliases):
            if _op.variadic:
                VARIADIC_FUNCTIONS[_name] = _op
            else:
                FUNCTIONS[(_name, _op.arity)] = _op
FUNCTIONS[("pow", 2)] = OPS["pow"]

FUNCTION_NAMES: frozenset[str] = frozenset(name for name, _ in FUNCTIONS) | frozenset(VARIADIC_FUNCTIONS)


def functions_named(name: str) -> list[Op]:
    """The ops a function name calls, fewest inputs first (`max`: over an array, of two)."""
    found = [op for (fname, _), op in FUNCTIONS.items() if fname == name]
    if name in VARIADIC_FUNCTIONS:
        found.append(VARIADIC_FUNCTIONS[name])
    return sorted(found, key=lambda op: op.arity)


BINARY_OPS: dict[str, Op] = {
    op: OPS[op] for op in ("add", "sub", "mul", "div", "pow", "matmul", "lt", "le", "gt", "ge", "eq", "ne")
}

CONSTANTS: dict[str, float] = {"pi": float(np.pi), "e": float(np.e), "inf": np.inf, "nan": np.nan}
