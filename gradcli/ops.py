"""OPS: every operation gradcli knows, one row each.

A row holds the forward rule, one partial derivative per input (a numeric rule and the same
rule as a formula in gradcli's own language), where the op has a kink and which convention is
used there, and the domain where tests sample it. Adding an op is adding a row: evaluation,
backpropagation, the printed derivations and the parametrized tests all read this table.

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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Union

import numpy as np

Array = np.ndarray
Rule = Callable[..., Array]


# A formula may depend on the inputs' shapes (ndim of each, or their sizes): then it is a
# function of the input arrays that returns the formula text.
Formula = Union[str, Callable[..., str]]


@dataclass(frozen=True)
class Partial:
    formula: Formula  # over the op's parameter names, `out` (and `grad` for a vjp), e.g. "-a/b^2"
    local: Rule | None = None  # (*inputs, out) -> the local derivative, elementwise
    vjp: Callable[..., Array] | None = None  # (*inputs, out, grad) -> contribution, when not elementwise
    # Where the local derivative is exactly 0, the contribution is 0 whatever the upstream
    # gradient (inf or nan included): PyTorch selects here (relu, indexing, max) instead of
    # multiplying, so 0 * inf never turns into nan. A rule `(*inputs, out) -> bool array` in
    # place of True says where the selection is, when the local derivative can also be 0 by
    # value (pow: 2*0^1 is 0 by value, and PyTorch multiplies there).
    masked: bool | Rule = False

    def formula_text(self, *inputs: Array) -> str:
        return self.formula if isinstance(self.formula, str) else self.formula(*inputs)

    def selected_zero(self, local: Array, *inputs: Array) -> Array:
        """Where a masked partial contributes 0 whatever the upstream gradient (`inputs` end with out)."""
        return np.asarray(local == 0) if self.masked is True else np.asarray(self.masked(*inputs))


@dataclass(frozen=True)
class Op:
    name: str  # as in JSON ("add", "tanh")
    params: tuple[str, ...]  # the names the formulas use for the inputs
    forward: Callable[..., Array]
    partials: tuple[Partial, ...]
    symbol: str  # infix operator, or the function name it is called by
    infix: bool = False
    kink: Callable[..., Array] | None = None  # (*inputs) -> where the op is not differentiable
    convention: str = ""  # what the partials use at a kink, said in the derivation
    domain: tuple[float, float] = (-2.0, 2.0)  # a smooth region, for tests
    aliases: tuple[str, ...] = field(default=())
    shape_hint: str = "elementwise operations need equal shapes, or shapes numpy can broadcast"
    check: Callable[..., str | None] | None = None  # (*inputs) -> why the shapes do not fit, or None
    variadic: bool = False  # takes any number of inputs (array literals)
    # Works on each element of its inputs alone (numpy broadcasting), so N points can ride along
    # a leading batch axis and a scalar formula covers it. False for the array ops, which mix
    # elements: products, reductions, softmax, masks, indexing, array literals.
    pointwise: bool = True
    # For tests: the input shapes to sample at (empty: scalars), and whether the generic per-op
    # tests apply (indexing, array literals and onehot take whole-number inputs: tested apart).
    shapes: tuple[tuple[int, ...], ...] = ()
    generic_test: bool = True

    @property
    def elementwise(self) -> bool:
        """Every partial is an elementwise local derivative (no vector-Jacobian product)."""
        return all(p.vjp is None for p in self.partials)

    @property
    def arity(self) -> int:
        return len(self.params)


def _step(x: Array) -> Array:
    """1 where x > 0, else 0 (so step(0) = 0): relu's derivative, as PyTorch takes it."""
    return (np.asarray(x) > 0).astype(np.float64)


def _relu_local(x: Array, out: Array) -> Array:
    """1 unless x <= 0: PyTorch's threshold_backward, so relu'(nan) = 1 (step(nan) is 0)."""
    return (~(np.asarray(x) <= 0)).astype(np.float64)


def _sign(x: Array) -> Array:
    # PyTorch's sign(nan) is 0, numpy's nan; abs' = sign follows (abs'(nan) = 0 in PyTorch).
    return np.nan_to_num(np.sign(x), nan=0.0)


def _power(a: Array, b: Array) -> Array:
    # numpy takes some x^0.5 as sqrt(x) (a scalar or a scalar exponent), where (-inf)^0.5 is nan
    # and (-0)^0.5 is -0; C's pow and PyTorch give +inf and +0.
    out = np.power(a, b)
    half = np.asarray(b) == 0.5
    if not half.any():
        return out
    return np.where(half, np.where(np.asarray(a) == -np.inf, np.inf, np.abs(out)), out)


def _max_local(a: Array, b: Array, out: Array) -> Array:
    """∂max(a, b)/∂a as PyTorch takes it: 0 where a < b, 0.5 at a tie (inf included), else 1 (nan)."""
    a, b = np.asarray(a), np.asarray(b)
    return 1.0 - (a < b) - 0.5 * (a == b)


def _min_local(a: Array, b: Array, out: Array) -> Array:
    return _max_local(b, a, out)


def _sigmoid(x: Array) -> Array:
    # exp of a large positive number overflows; this form only ever exponentiates -|x|.
    z = np.exp(-np.abs(x))
    return np.where(np.asarray(x) >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def _pow_base_local(a: Array, b: Array, out: Array) -> Array:
    # x^0 has derivative 0 everywhere, also at x = 0 where b*a^(b-1) is 0*inf.
    return np.where(b == 0, 0.0, b * _power(a, b - 1.0))


def _pow_base_selects(a: Array, b: Array, out: Array) -> Array:
    return np.asarray(b) == 0


def _pow_exponent_local(a: Array, b: Array, out: Array) -> Array:
    # PyTorch masks pow(0, b) with b >= 0 to 0, where a^b*log(a) is 0*(-inf); it then multiplies
    # (an inf upstream gives nan there), so this partial is not `masked`.
    return np.where((a == 0) & (b >= 0), 0.0, out * np.log(a))


def _one(*_: Array) -> Array:
    return ONE


ONE = np.float64(1.0)  # backprop passes the upstream gradient through a local 1 without multiplying


def _minus_one(*_: Array) -> Array:
    return np.float64(-1.0)


def _zero(*args: Array) -> Array:
    return np.zeros_like(args[0])


def _tie(a: Array, b: Array) -> Array:
    return np.asarray(a == b)


def _at_zero(x: Array) -> Array:
    return np.asarray(x == 0)


# A tie at inf is a tie (0.5 each). Off a tie the losing side gets 0 even from an inf or nan
# upstream (masked); with a nan, both sides get the whole gradient (PyTorch's comparisons are false).
_TIE = "a tie: the gradient is split evenly, 0.5 to each argument (PyTorch)"

_ROWS = [
    # Arithmetic: the operators.
    Op("add", ("a", "b"), np.add, (Partial("1", _one), Partial("1", _one)), "+", infix=True),
    Op("sub", ("a", "b"), np.subtract, (Partial("1", _one), Partial("-1", _minus_one)), "-", infix=True),
    Op(
        "mul",
        ("a", "b"),
        np.multiply,
        (Partial("b", lambda a, b, out: b), Partial("a", lambda a, b, out: a)),
        "*",
        infix=True,
    ),
    Op(
        "div",
        ("a", "b"),
        np.divide,
        (Partial("1/b", lambda a, b, out: 1.0 / b), Partial("-a/b^2", lambda a, b, out: -(a / b) / b)),
        "/",
        infix=True,
        domain=(0.3, 3.0),
    ),
    Op(
        "pow",
        ("a", "b"),
        _power,
        (
            Partial("b*a^(b-1)", _pow_base_local, masked=_pow_base_selects),
            Partial("a^b*log(a)", _pow_exponent_local),
        ),
        "^",
        infix=True,
        kink=lambda a, b: np.asarray(a == 0),
        convention="base 0: x^0 gives 0 to x; pow(0, b) with b >= 0 gives 0 to b (PyTorch)",
        domain=(0.3, 2.5),
    ),
    Op("neg", ("x",), np.negative, (Partial("-1", _minus_one),), "-"),
    # Elementary functions.
    Op("exp", ("x",), np.exp, (Partial("exp(x)", lambda x, out: out),), "exp"),
    Op(
        "log",
        ("x",),
        np.log,
        (Partial("1/x", lambda x, out: 1.0 / x),),
        "log",
        domain=(0.2, 4.0),
        aliases=("ln",),
    ),
    Op(
        "sqrt",
        ("x",),
        np.sqrt,
        (Partial("1/(2*sqrt(x))", lambda x, out: 0.5 / out),),
        "sqrt",
        kink=_at_zero,
        convention="sqrt'(0) = +inf (PyTorch)",
        domain=(0.2, 4.0),
    ),
    Op("sin", ("x",), np.sin, (Partial("cos(x)", lambda x, out: np.cos(x)),), "sin"),
    Op("cos", ("x",), np.cos, (Partial("-sin(x)", lambda x, out: -np.sin(x)),), "cos"),
    Op(
        "tan",
        ("x",),
        np.tan,
        (Partial("1 + tan(x)^2", lambda x, out: 1.0 + out * out),),
        "tan",
        domain=(-1.2, 1.2),
    ),
    Op(
        "asin",
        ("x",),
        np.arcsin,
        (Partial("1/sqrt(1 - x^2)", lambda x, out: 1.0 / np.sqrt(1.0 - x * x)),),
        "asin",
        domain=(-0.9, 0.9),
    ),
    Op(
        "acos",
        ("x",),
        np.arccos,
        (Partial("-1/sqrt(1 - x^2)", lambda x, out: -1.0 / np.sqrt(1.0 - x * x)),),
        "acos",
        domain=(-0.9, 0.9),
    ),
    Op("atan", ("x",), np.arctan, (Partial("1/(1 + x^2)", lambda x, out: 1.0 / (1.0 + x * x)),), "atan"),
    Op("sinh", ("x",), np.sinh, (Partial("cosh(x)", lambda x, out: np.cosh(x)),), "sinh"),
    Op("cosh", ("x",), np.cosh, (Partial("sinh(x)", lambda x, out: np.sinh(x)),), "cosh"),
    # The activations write their derivative through their output, as lectures (and PyTorch) do.
    Op("tanh", ("x",), np.tanh, (Partial("1 - out^2", lambda x, out: 1.0 - out * out),), "tanh"),
    Op("sigmoid", ("x",), _sigmoid, (Partial("out*(1 - out)", lambda x, out: out * (1.0 - out)),), "sigmoid"),
    Op(
        "relu",
        ("x",),
        lambda x: np.maximum(x, 0.0),
        (Partial("step(x)", _relu_local, masked=True),),
        "relu",
        kink=_at_zero,
        convention="relu'(0) = 0; nothing passes where x <= 0, not even inf or nan (PyTorch)",
        domain=(0.2, 3.0),
    ),
    Op(
        "softplus",
        ("x",),
        lambda x: np.logaddexp(0.0, x),
        (Partial("sigmoid(x)", lambda x, out: _sigmoid(x)),),
        "softplus",
    ),
    Op(
        "abs",
        ("x",),
        np.abs,
        (Partial("sign(x)", lambda x, out: _sign(x)),),
        "abs",
        kink=_at_zero,
        convention="abs'(0) = 0, a product: inf upstream gives nan (PyTorch; JAX uses 1)",
        domain=(0.2, 3.0),
    ),
    Op(
        "max",
        ("a", "b"),
        np.maximum,
        (
            Partial("(1 + sign(a - b))/2", _max_local, masked=True),
            Partial("(1 - sign(a - b))/2", lambda a, b, out: _max_local(b, a, out), masked=True),
        ),
        "max",
        kink=_tie,
        convention=_TIE,
    ),
    Op(
        "min",
        ("a", "b"),
        np.minimum,
        (
            Partial("(1 - sign(a - b))/2", _min_local, masked=True),
            Partial("(1 + sign(a - b))/2", lambda a, b, out: _min_local(b, a, out), masked=True),
        ),
        "min",
        kink=_tie,
        convention=_TIE,
    ),
    # The pieces derivative formulas are written with; flat, so their derivative is 0.
    Op(
        "sign",
        ("x",),
        _sign,
        (Partial("0", _zero, masked=True),),
        "sign",
        kink=_at_zero,
        convention="sign jumps at 0; its derivative is 0, passing no inf or nan (PyTorch)",
        domain=(0.2, 3.0),
    ),
    Op(
        "step",
        ("x",),
        _step,
        (Partial("0", _zero, masked=True),),
        "step",
        kink=_at_zero,
        convention="step jumps at 0 (step(0) = 0); its derivative is 0, passing no inf or nan",
        domain=(0.2, 3.0),
    ),
]

# Arrays: products, reductions, reshaping. Reductions run over all elements.


def _as_2d(a: Array, b: Array) -> tuple[Array, Array]:
    """numpy's promotion of 1-D operands of `@`: a vector on the left is a row, on the right a column."""
    return (a[None, :] if a.ndim == 1 else a), (b[:, None] if b.ndim == 1 else b)


def _lead(grad: Array, out: Array) -> tuple[int, ...]:
    """The leading axes `grad` has beyond the output's shape: a batch of seeds (a Jacobian is one
    backward pass over them), empty for a single gradient. Every vjp keeps them in front."""
    return np.shape(grad)[: np.ndim(grad) - np.ndim(out)]


def _matmul_vjp_a(a: Array, b: Array, out: Array, grad: Array) -> Array:
    a2, b2 = _as_2d(a, b)
    lead = _lead(grad, out)
    batch = np.reshape(grad, (int(np.prod(lead, dtype=int)), a2.shape[0], b2.shape[1]))
    return (batch @ b2.T).reshape(lead + a.shape)


def _matmul_vjp_b(a: Array, b: Array, out: Array, grad: Array) -> Array:
    a2, b2 = _as_2d(a, b)
    lead = _lead(grad, out)
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
    lead = _lead(grad, out)
    return np.reshape(grad, (*lead, np.size(a), np.size(b))) @ np.ravel(b)


def _outer_vjp_b(a: Array, b: Array, out: Array, grad: Array) -> Array:
    lead = _lead(grad, out)
    return np.ravel(a) @ np.reshape(grad, (*lead, np.size(a), np.size(b)))


def _tie_mask(x: Array, out: Array) -> Array:
    """1/k at each of the k elements equal to `out`, 0 elsewhere: PyTorch's max() shares a tie.

    A nan maximum is shared among the nan elements, as PyTorch's evenly_distribute_backward does."""
    hits = np.asarray(np.isnan(x) if np.isnan(out) else x == out, dtype=np.float64)
    return hits / max(hits.sum(), 1.0)


def _mean(x: Array) -> Array:
    # np.mean of an empty array says "Mean of empty slice" through warnings.warn, which no
    # np.errstate silences; 0/0 gives the same nan through numpy's error state, as graph.py
    # listens to it (so the derivation still names mean as the first non-finite value).
    return np.sum(x) / np.float64(np.size(x))


def _norm_local(x: Array, out: Array) -> Array:
    # PyTorch's norm backward masks the 0/0 at the origin to 0.
    return np.zeros_like(x) if out == 0 else x / out


def _logsumexp(x: Array) -> Array:
    top = np.max(x) if np.size(x) else 0.0
    top = top if np.isfinite(top) else 0.0
    return np.log(np.sum(np.exp(x - top))) + top


def _softmax(x: Array) -> Array:
    z = np.exp(x - (np.max(x) if np.size(x) else 0.0))
    return z / np.sum(z)


def _softmax_vjp(x: Array, out: Array, grad: Array) -> Array:
    own_axes = tuple(range(len(_lead(grad, out)), np.ndim(grad)))
    return out * (grad - np.sum(grad * out, axis=own_axes, keepdims=True))


def _transpose_vjp(x: Array, out: Array, grad: Array) -> Array:
    lead = len(_lead(grad, out))
    return np.transpose(grad, (*range(lead), *reversed(range(lead, np.ndim(grad)))))


def _stack_vjp(index: int) -> Callable[..., Array]:
    """Item `index` of an array literal receives row `index` of the upstream gradient."""

    def vjp(*args: Array) -> Array:
        out, grad = args[-2], args[-1]
        return grad[(slice(None),) * len(_lead(grad, out)) + (index,)]

    return vjp


def _stack(*items: Array) -> Array:
    return np.stack(items) if items else np.zeros(0)


def _stack_check(*items: Array) -> str | None:
    shapes = {np.shape(item) for item in items}
    if len(shapes) > 1:
        listed = ", ".join(str(s) for s in sorted(shapes))
        return f"the items of an array literal must have one shape, not {listed}"
    return None


def _onehot(x: Array, *index: Array) -> Array:
    mask = np.zeros_like(x)
    mask[tuple(int(i) for i in index)] = 1.0
    return mask


def _at(x: Array, *index: Array) -> Array:
    return x[tuple(int(i) for i in index)]


def _index_check(x: Array, *index: Array) -> str | None:
    if np.ndim(x) == 0:
        return "a number cannot be indexed: x[...] takes an array"
    if not 1 <= len(index) <= np.ndim(x):
        ndim, shape = np.ndim(x), np.shape(x)
        return f"x[...] takes at most one index per dimension: {ndim} for an array of shape {shape}"
    # Fewer indices than dimensions select a row, as in numpy (so `grad[0]` of a matrix evaluates).
    for i, n in zip(index, np.shape(x), strict=False):
        if np.ndim(i) != 0:
            return "an index is one whole number, not an array"
        if not np.isfinite(i) or float(i) != int(i) or not -n <= int(i) < n:  # int(nan) raises
            return f"index {float(i):g} is not a whole number from {-n} to {n - 1}"
    return None


def _no_grad(*args: Array) -> Array:
    return np.zeros_like(args[0])


_ARRAY_ROWS = [
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
    # A read-only broadcast view of 1: no array of ones is allocated.
    Op(
        "sum",
        ("x",),
        np.sum,
        (Partial("1", lambda x, out: np.broadcast_to(ONE, np.shape(x))),),
        "sum",
        shapes=((2, 3),),
        pointwise=False,
    ),
    Op(
        "mean",
        ("x",),
        _mean,
        (Partial(lambda x: f"1/{np.size(x)}", lambda x, out: np.full_like(x, 1.0 / max(np.size(x), 1))),),
        "mean",
        shapes=((2, 3),),
        pointwise=False,
    ),
    Op(
        "amax",
        ("x",),
        np.max,
        (Partial("maxmask(x)", _tie_mask, masked=True),),
        "max",
        kink=lambda x: np.asarray(np.sum(x == np.max(x)) > 1),
        convention="tied maxima share the gradient equally (PyTorch's max())",
        shapes=((4,),),
        pointwise=False,
    ),
    Op(
        "amin",
        ("x",),
        np.min,
        (Partial("minmask(x)", _tie_mask, masked=True),),
        "min",
        kink=lambda x: np.asarray(np.sum(x == np.min(x)) > 1),
        convention="tied minima share the gradient equally (PyTorch's min())",
        shapes=((4,),),
        pointwise=False,
    ),
    Op(
        "maxmask",
        ("x",),
        lambda x: _tie_mask(x, np.max(x)),
        (Partial("0", _no_grad, masked=True),),
        "maxmask",
        shapes=((4,),),
        pointwise=False,
    ),
    Op(
        "minmask",
        ("x",),
        lambda x: _tie_mask(x, np.min(x)),
        (Partial("0", _no_grad, masked=True),),
        "minmask",
        shapes=((4,),),
        pointwise=False,
    ),
    Op(
        "transpose",
        ("x",),
        np.transpose,
        (Partial("transpose(grad)", vjp=_transpose_vjp),),
        "transpose",
        shapes=((2, 3),),
        pointwise=False,
    ),
    Op(
        "norm",
        ("x",),
        lambda x: np.sqrt(np.sum(x * x)),
        (Partial("x/out", _norm_local),),
        "norm",
        kink=lambda x: np.asarray(np.all(x == 0)),
        convention="norm at the origin: the gradient is taken as 0 (PyTorch)",
        shapes=((3,),),
        pointwise=False,
    ),
    Op(
        "logsumexp",
        ("x",),
        _logsumexp,
        (Partial("exp(x - out)", lambda x, out: np.exp(x - out)),),
        "logsumexp",
        shapes=((3,),),
        pointwise=False,
    ),
    Op(
        "softmax",
        ("x",),
        _softmax,
        (Partial("out * (grad - sum(grad * out))", vjp=_softmax_vjp),),
        "softmax",
        shapes=((3,),),
        pointwise=False,
    ),
    # x[i, j]: one index per dimension, whole numbers written in the source.
    Op(
        "index",
        ("x", "i0", "i1"),
        _at,
        (
            Partial(lambda x, *index: f"onehot(x, {', '.join(f'i{k}' for k in range(len(index)))})", None),
            Partial("0", _no_grad, masked=True),
            Partial("0", _no_grad, masked=True),
        ),
        "[]",
        check=_index_check,
        variadic=True,
        generic_test=False,
        pointwise=False,
    ),
    # [a, b, c]: item k receives row k of the upstream gradient (see stack_partial).
    Op("stack", (), _stack, (), "[]", check=_stack_check, variadic=True, generic_test=False, pointwise=False),
    Op(
        "onehot",
        ("x", "i0"),
        _onehot,
        (Partial("0", _no_grad, masked=True),) * 2,
        "onehot",
        check=_index_check,
        generic_test=False,
        pointwise=False,
    ),
    Op(
        "onehot2",
        ("x", "i0", "i1"),
        _onehot,
        (Partial("0", _no_grad, masked=True),) * 3,
        "onehot",
        check=_index_check,
        generic_test=False,
        pointwise=False,
    ),
]

_ROWS += _ARRAY_ROWS


def _index_local(x: Array, *rest: Array) -> Array:
    return _onehot(x, *rest[:-1])


def partial_of(op: Op, index: int) -> Partial:
    """The partial for input `index`; array literals have one per item, made on demand."""
    if op.name == "stack":
        return Partial(f"grad[{index}]", vjp=_stack_vjp(index))
    if op.name == "index" and index == 0:
        # Selection: the other elements get 0 even from an inf or nan upstream (PyTorch).
        return Partial(op.partials[0].formula, _index_local, masked=True)
    return op.partials[min(index, len(op.partials) - 1)]


OPS: dict[str, Op] = {op.name: op for op in _ROWS}

# Names a call may use: (function name, number of arguments) -> op.
FUNCTIONS: dict[tuple[str, int], Op] = {}
for _op in _ROWS:
    if not _op.infix and _op.name != "neg" and not _op.variadic:
        for _name in (_op.symbol, *_op.aliases):
            FUNCTIONS[(_name, _op.arity)] = _op
FUNCTIONS[("pow", 2)] = OPS["pow"]

FUNCTION_NAMES: frozenset[str] = frozenset(name for name, _ in FUNCTIONS)

BINARY_OPS: dict[str, Op] = {op: OPS[op] for op in ("add", "sub", "mul", "div", "pow", "matmul")}

CONSTANTS: dict[str, float] = {"pi": float(np.pi), "e": float(np.e), "inf": np.inf, "nan": np.nan}
