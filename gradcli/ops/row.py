"""What one row of the op table holds (`Op`, with one `Partial` per input), and the few small
rules that rows of several modules share.

Options (keyword arguments with numpy's names: `sum(x, axis=1, keepdims=1)`): a row declares the
ones it documents in `Op.options`, each a name and its default. Every rule of such a row receives
all of them as keyword arguments, defaults filled in: `forward(*inputs, **options)`,
`Partial.local(*inputs, out, **options)`, `Partial.vjp(*inputs, out, grad, **options)`, a
callable `Partial.formula(*inputs, **options)`, `Partial.masked` and `Partial.cut` rules,
`Op.check(*inputs, **options)` and `Op.kink(*inputs, **options)`. Give the rules Python defaults
equal to the row's, so a rule called without options (the generic tests do) means the default.
A row without options is called exactly as before, with no keywords. Option values are plain
Python: None, int, float, bool, str, or a tuple of numbers (`[0, 1]` in the source).
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

# An op's options: (name, value) pairs in the row's order. `Op.options` holds the defaults; a
# graph node holds the values it was called with, defaults filled in.
Options = tuple[tuple[str, object], ...]


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
    # Where no gradient reaches this input at all: `(*inputs, out) -> bool`, in the output's
    # shape (or True: nowhere). There the input's own subgraph is not differentiated either, so
    # an inf or nan partial further down is never multiplied by the 0 (`where(x > 0, sqrt(x), 0)`
    # at x = -1 has gradient 0). `where` cuts the branch it did not choose; comparisons cut both
    # sides, as PyTorch's comparisons are not part of the graph.
    cut: Rule | None = None
    # The contribution as a formula over the parameters and `grad`, for symbolic differentiation
    # (diff, hessian), where "grad times the local formula" would multiply by a cut-off branch:
    # where's `where(c, grad, 0)`, which diff then carries down the branch.
    adjoint: str | None = None
    # For a vector-Jacobian product on a vector, its local Jacobian ∂out_i/∂x_j as a formula over
    # the parameters and `out` (softmax: `diag(out) - outer(out, out)`): derivations show the
    # matrix itself, where it is small, as a textbook does.
    jacobian: str | None = None
    # The textbook's name for the local derivative, shown beside the formula (cross-entropy's
    # `p - y`): `(*inputs, **options) -> str`, or "" where it has none at these inputs.
    textbook: Callable[..., str] | None = None
    # Where this partial alone breaks, when its input is differentiated: `(*inputs) -> bool`
    # (pow's exponent at base 0, where log(0) meets 0). The op's own `kink` holds for every input.
    kink: Rule | None = None
    # What the local or vjp rule reads, by the op's parameter names and `out`, where declared
    # (mul's partial for a reads b): N points at once drop every other value of the graph after
    # the forward pass, which halves the memory a long elementwise program walks through in the
    # backward pass. None: it may read them all. A local 1 or -1 reads nothing, declared or not.
    reads: tuple[str, ...] | None = None

    def values_read(self, params: tuple[str, ...]) -> tuple[int, ...] | None:
        """Which of (*inputs, out) the backward pass reads for this partial, by position; None:
        all of them (undeclared, or a mask or cut rule that reads them)."""
        if self.cut is not None or (self.masked is not False and self.masked is not True):
            return None
        if self.vjp is None and self.local in (one, minus_one):
            return ()
        if self.reads is None:
            return None
        names = (*params, "out")
        return tuple(names.index(name) for name in self.reads)

    def formula_text(self, *inputs: Array, **options: object) -> str:
        return self.formula if isinstance(self.formula, str) else self.formula(*inputs, **options)

    def selected_zero(self, local: Array, *inputs: Array, **options: object) -> Array:
        """Where a masked partial contributes 0 whatever the upstream gradient (`inputs` end with out)."""
        if self.masked is True:
            return np.asarray(local == 0)
        return np.asarray(self.masked(*inputs, **options))


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
    # For a variadic op whose every input needs a partial of its own (item k of an array
    # literal receives row k of the upstream gradient): input index -> Partial, made on demand.
    # Otherwise input k uses partials[k], and inputs past the last partial share the last one.
    item_partial: Callable[[int], Partial] | None = None
    # Works on each element of its inputs alone (numpy broadcasting), so N points can ride along
    # a leading batch axis and a scalar formula covers it. False for the array ops, which mix
    # elements: products, reductions, softmax, masks, indexing, array literals.
    pointwise: bool = True
    # For tests: the input shapes to sample at (empty: scalars), and whether the generic per-op
    # tests apply (indexing, array literals and onehot take whole-number inputs: tested apart).
    shapes: tuple[tuple[int, ...], ...] = ()
    generic_test: bool = True
    # The options the op documents, with their defaults (see the module's docstring). In a call
    # they are written `name=value`, or by position after the inputs, as numpy allows
    # (`reshape(x, [2, 3])`), unless another op of the same name takes that many inputs
    # (`max(x, 0)` is the maximum of two).
    options: Options = ()
    # Options also written positionally before the inputs, as string literals (einsum's subscripts).
    leading: tuple[str, ...] = ()
    # A variadic function whose inputs are written as one list literal: `concat([a, b], axis=0)`.
    sequence: bool = False

    @property
    def elementwise(self) -> bool:
        """Every partial is an elementwise local derivative (no vector-Jacobian product)."""
        return all(p.vjp is None for p in self.partials)

    @property
    def arity(self) -> int:
        return len(self.params)

    @property
    def option_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.options)

    def fill(self, given: dict[str, object]) -> Options:
        """The options of a call: `given` with the defaults filled in, in the row's order."""
        return tuple((name, given.get(name, default)) for name, default in self.options)


def partial_of(op: Op, index: int) -> Partial:
    """The partial for input `index` of `op` (array literals make theirs on demand)."""
    if op.item_partial is not None:
        return op.item_partial(index)
    return op.partials[min(index, len(op.partials) - 1)]


ONE = np.float64(1.0)  # backprop passes the upstream gradient through a local 1 without multiplying


def one(*_: Array, **_options: object) -> Array:
    return ONE


def minus_one(*_: Array, **_options: object) -> Array:
    return np.float64(-1.0)


def zero(*args: Array, **_options: object) -> Array:
    """A flat op's derivative (sign, step, masks) and an index's: 0, in the first input's shape."""
    return np.zeros_like(args[0])


def at_zero(x: Array, **_options: object) -> Array:
    """Where a kink at 0 (relu, abs, sqrt, sign, step) is hit."""
    return np.asarray(x == 0)


def lead_axes(grad: Array, out: Array) -> tuple[int, ...]:
    """The leading axes `grad` has beyond the output's shape: a batch of seeds (a Jacobian is one
    backward pass over them), empty for a single gradient. Every vjp keeps them in front."""
    return np.shape(grad)[: np.ndim(grad) - np.ndim(out)]
