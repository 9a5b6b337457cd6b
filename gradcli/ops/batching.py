"""How each array op runs on N points at once: the rules that put a leading batch axis through it.

`--points` and `Compiled.batch` evaluate a program at N points in one pass: every variable holds
its N values along a new first axis, and every node computed from them carries that axis in
front. An elementwise op (`Op.pointwise`) needs nothing but its inputs' dimensions lined up
after the batch axis (a point's number against a point's vector: (N,) → (N, 1) against (N, 3)).
An op that mixes elements (a reduction, `@`, softmax, indexing, a loss) needs to be told which
axes are the point's own: that is this table, one rule per op, keyed by the op's name as the
forward-mode table (`tangents.py`) is.

A rule *lowers* one node of the one-point graph into nodes over the same op table whose values
have the batch axis (`Lowering.call`), usually the same op with its axes moved past the batch
axis (`sum(x, axis=0)` → `sum(x, axis=1)`, `axis=None` → every axis but the first), sometimes
others (`x[1, 2]` → the slice `x[:, 1, 2]`, `a @ b` of vectors → a stack of 1 × k by k × 1
matrices, a loss's mean → the loss per element, then the mean over each point's elements). So
the forward rule, the partials, the cuts and masks of backpropagation are the table's, unchanged:
no op has a second, batched copy of its derivative.

The arithmetic is the one-point arithmetic, in the same order: numpy's stacked matmul calls the
same kernel for each matrix of a stack, a reduction over a point's contiguous elements sums them
pairwise as over one array, a loss's mean is the same sum divided by the same count. So each
point's value and gradient are the numbers one evaluation at that point gives, to the last bit
(tests/test_batching.py compares them over every op). The one exception is the sign of a zero
gradient: where one point's `local × upstream` gives -0, one pass may give +0 (the gradient an
index, onehot or trace gives the elements it does not pick; a mask's 0 when another point's
upstream gradient is inf or nan). The numbers are equal; PyTorch gives +0 there.

A rule raises `NotBatched` for a case one pass cannot take (the few listed at their rules: var
and std with ddof ≥ n over a whole array, prod over points with and without a zero, one_hot
without num_classes over points of different class counts, integer lists apart in one index):
that chunk of points is then evaluated one point at a time, with the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from .class_losses import class_axis
from .einsum import parse as parse_subscripts
from .matrices import diagonal_positions
from .row import Op
from .shapes import index_key

ROWS: list[Op] = []  # no rows of its own: the batching of the rows of the other modules
Ref = int  # a node of the batched graph


class NotBatched(Exception):
    """This node cannot be evaluated for all the points in one pass: go one point at a time."""


class Lowering(Protocol):
    """What a rule needs of the batched graph being built (gradcli/points/batched.py has it)."""

    def shape(self, ref: Ref) -> tuple[int, ...]:
        """The node's shape at one point (its batched value has one more axis in front)."""
        ...

    def is_batched(self, ref: Ref) -> bool:
        """Whether the node varies with the point (a constant of the program does not)."""
        ...

    def number(self, ref: Ref) -> np.ndarray:
        """The value of a node that is the same at every point (an index written in the source)."""
        ...

    def call(self, name: str, *refs: Ref, check: bool = False, **options: object) -> Ref:
        """A node applying op `name` to batched values, `options` given as they apply to those
        (axes counted with the batch axis). `check`: run the op's check (one whose verdict
        depends on the values, like a target's class indices); a problem raises NotBatched."""
        ...

    def reshape(self, ref: Ref, shape: tuple[int, ...]) -> Ref:
        """The node in another shape per point (the same elements, in C order)."""
        ...

    def values(self, ref: Ref) -> np.ndarray:
        """The node's values at all the points (the batch axis first)."""
        ...

    def constant(self, value: np.ndarray) -> Ref:
        """A node of this value at every point."""
        ...

    def as_at_first_point(self) -> Ref:
        """The node being lowered, as the first point's evaluation computed it, taken as the
        same at every point (for a node whose value depends on shapes alone)."""
        ...


Rule = Callable[..., Ref]  # (lowering, the input refs, the one-point output's shape, **options)


def batched_axis(axis: object, ndim: int) -> object:
    """A one-point `axis` option as it applies with the batch axis in front: whole numbers from
    0 move up by one (negative ones count from the end, as before); None, every axis, becomes
    every axis but the batch axis."""
    if axis is None:
        return tuple(range(1, ndim + 1))
    if isinstance(axis, (tuple, list)):
        return tuple(_moved(a) for a in axis)
    return _moved(axis)


def _moved(axis: object) -> int:
    a = int(axis)  # type: ignore[call-overload]
    return a + 1 if a >= 0 else a


def aligned(b: Lowering, refs: tuple[Ref, ...]) -> tuple[Ref, ...]:
    """Batched inputs of fewer dimensions than the others get axes of length 1 after the batch
    axis, so numpy broadcasts a point's values only against the same point's (constants need
    nothing: numpy lines them up from the right)."""
    ndim = max((len(b.shape(r)) for r in refs), default=0)
    result = []
    for ref in refs:
        shape = b.shape(ref)
        if b.is_batched(ref) and len(shape) < ndim:
            ref = b.reshape(ref, (1,) * (ndim - len(shape)) + shape)
        result.append(ref)
    return tuple(result)


def elementwise(name: str) -> Rule:
    """An op on each element alone: its inputs lined up, the op as it is."""

    def rule(b: Lowering, refs: tuple[Ref, ...], out: tuple[int, ...], **options: object) -> Ref:
        return b.call(name, *aligned(b, refs), **options)

    return rule


# --- reductions, scans and other ops along axes -------------------------------------------------


def _along(name: str) -> Rule:
    """An op whose `axis` option names the point's axes: moved past the batch axis."""

    def rule(b: Lowering, refs: tuple[Ref, ...], out: tuple[int, ...], axis: object = None, **options) -> Ref:
        (x,) = refs
        return b.call(name, x, axis=batched_axis(axis, len(b.shape(x))), **options)

    return rule


def _statistic(name: str) -> Rule:
    along = _along(name)

    def rule(
        b: Lowering, refs: tuple[Ref, ...], out: tuple[int, ...], axis=None, ddof=0, keepdims=False
    ) -> Ref:
        # Over a whole array with n - ddof <= 0, var's gradient is PyTorch's inf/nan over the
        # array, a rule of axis=None alone: a pass with the axes written out would not give it.
        if axis is None and np.prod(b.shape(refs[0]), dtype=int) - ddof <= 0:  # type: ignore[operator]
            raise NotBatched(f"{name} with ddof >= the number of elements")
        return along(b, refs, out, axis=axis, ddof=ddof, keepdims=keepdims)

    return rule


def _prod(b: Lowering, refs: tuple[Ref, ...], out: tuple[int, ...], **options: object) -> Ref:
    """prod's partial is out/x when the array has no zero, else the product of the others
    (reductions.prod_partial, as PyTorch): a choice one point makes for all its elements. One
    pass makes it for all the points, so it takes points that choose alike; a chunk that mixes
    points with and without a zero goes one point at a time."""
    x = b.values(refs[0])
    has_zero = np.any((x == 0).reshape(len(x), -1), axis=1)
    if has_zero.any() and not has_zero.all():
        raise NotBatched("prod over points with and without a zero")
    return _along("prod")(b, refs, out, **options)


def _flattened_unless_axis(name: str) -> Rule:
    """cumsum, cumprod, repeat: without an axis they run over the flattened array."""

    def rule(b: Lowering, refs: tuple[Ref, ...], out: tuple[int, ...], axis: object = None, **options) -> Ref:
        (x,) = refs
        if axis is None:
            size = int(np.prod(b.shape(x), dtype=int))
            return b.call(name, b.reshape(x, (size,)), axis=1, **options)
        return b.call(name, x, axis=batched_axis(axis, len(b.shape(x))), **options)

    return rule


def _flip(b: Lowering, refs: tuple[Ref, ...], out: tuple[int, ...], axis: object = None) -> Ref:
    return b.call("flip", refs[0], axis=batched_axis(axis, len(b.shape(refs[0]))))


def _to_shape(b: Lowering, refs: tuple[Ref, ...], out: tuple[int, ...], **_: object) -> Ref:
    """ravel, reshape, squeeze, expand_dims: the same elements in the one-point output's shape."""
    return b.reshape(refs[0], out)


def _transpose(b: Lowering, refs: tuple[Ref, ...], out: tuple[int, ...], axes: object = None) -> Ref:
    ndim = len(b.shape(refs[0]))
    order = range(ndim - 1, -1, -1) if axes is None else (int(a) % ndim for a in axes)  # type: ignore[union-attr]
    return b.call("transpose", refs[0], axes=(0, *(a + 1 for a in order)))


def _tile(b: Lowering, refs: tuple[Ref, ...], out: tuple[int, ...], reps: object = 1) -> Ref:
    # numpy pads the shorter of x's shape and reps with leading 1s: done here, so the batch axis
    # gets a count of its own (1).
    counts = tuple(int(r) for r in (reps if isinstance(reps, (tuple, list)) else (reps,)))
    shape = b.shape(refs[0])
    ndim = max(len(counts), len(shape))
    x = b.reshape(refs[0], (1,) * (ndim - len(shape)) + shape)
    return b.call("tile", x, reps=(1, *((1,) * (ndim - len(counts)) + counts)))


def _joined(name: str) -> Rule:
    """concat and stack along an axis: every item batched, the axis moved."""

    def rule(b: Lowering, refs: tuple[Ref, ...], out: tuple[int, ...], axis: object = 0) -> Ref:
        return b.call(name, *refs, axis=_moved(axis))

    return rule


def _literal(b: Lowering, refs: tuple[Ref, ...], out: tuple[int, ...]) -> Ref:
    """`[a, b, c]`: the items stacked along the first axis after the batch axis."""
    return b.call("stack_axis", *refs, axis=1)


# --- picking elements ----------------------------------------------------------------------------


def _index(b: Lowering, refs: tuple[Ref, ...], out: tuple[int, ...]) -> Ref:
    """`x[1, 2]` → the slice `x[:, 1, 2]` (the index numbers are constants of the source)."""
    positions = ", ".join(str(int(b.number(r))) for r in refs[1:])
    return b.call("slice", refs[0], key=f":, {positions}")


def _key(key: str) -> str:
    """A slice's key with the batch axis in front. Integer lists apart from each other (`x[[0,
    1], :, [1, 2]]`) put their axis first, before the batch axis: not one pass."""
    parts = index_key(key)
    lists = [k for k, part in enumerate(parts) if isinstance(part, np.ndarray)]
    if lists and lists[-1] - lists[0] + 1 != len(lists):
        raise NotBatched("integer lists apart from each other in one index")
    return f":, {key}" if key.strip() else ":"


def _slice(b: Lowering, refs: tuple[Ref, ...], out: tuple[int, ...], key: str = "") -> Ref:
    return b.call("slice", refs[0], key=_key(key))


def _scatter(b: Lowering, refs: tuple[Ref, ...], out: tuple[int, ...], key: str = "") -> Ref:
    return b.call("scatter", *refs, key=_key(key))


def _mask(b: Lowering, refs: tuple[Ref, ...], out: tuple[int, ...]) -> Ref:
    """onehot(x, i): a mask of x's shape that no value of x changes; its derivative is 0 (the
    edge to x is left out, so x's gradient misses a 0 from it: only a zero's sign can differ)."""
    return b.as_at_first_point()


def _diagonal_key(shape: tuple[int, ...], k: object) -> str:
    """The key of diagonal k of a matrix of this shape, the batch axis in front: `:, [0, 1], [1, 2]`."""
    rows, cols = diagonal_positions(shape, int(k))  # type: ignore[call-overload]
    return f":, [{', '.join(map(str, rows))}], [{', '.join(map(str, cols))}]"


def _diag(b: Lowering, refs: tuple[Ref, ...], out: tuple[int, ...], k: object = 0) -> Ref:
    """A matrix's diagonal is a slice of it; a vector's matrix puts the vector on the diagonal of
    zeros (`scatter`, which the slice's derivative is): both copy numbers, as np.diag does."""
    (x,) = refs
    if len(b.shape(x)) == 2:
        return b.call("slice", x, key=_diagonal_key(b.shape(x), k))
    zeros = b.constant(np.zeros(out))
    return b.call("scatter", x, zeros, key=_diagonal_key(out, k))


def _trace(b: Lowering, refs: tuple[Ref, ...], out: tuple[int, ...], offset: object = 0) -> Ref:
    """The sum of the diagonal (np.trace sums diagonal(...) along its one axis, as sum does)."""
    diagonal = b.call("slice", refs[0], key=_diagonal_key(b.shape(refs[0]), offset))
    return b.call("sum", diagonal, axis=1)


def _triangle(name: str) -> Rule:
    """triu and tril keep a triangle of the last two axes: a batch in front changes nothing."""

    def rule(b: Lowering, refs: tuple[Ref, ...], out: tuple[int, ...], k: object = 0) -> Ref:
        return b.call(name, refs[0], k=k)

    return rule


# --- products ------------------------------------------------------------------------------------


def _matrices(b: Lowering, a: Ref, c: Ref) -> Ref:
    """a @ c for stacks of matrices per point, their stack dimensions lined up after the batch."""
    return b.call("matmul", *aligned(b, (a, c)))


def _matmul(b: Lowering, refs: tuple[Ref, ...], out: tuple[int, ...]) -> Ref:
    """`@` with the batch in front: a vector becomes a 1 × k (left) or k × 1 (right) matrix, as
    numpy promotes it, so numpy's stacked matmul runs the one-point product for every point."""
    a, c = refs
    sa, sc = b.shape(a), b.shape(c)
    if len(sa) == 1:
        a = b.reshape(a, (1, *sa))
    if len(sc) == 1:
        c = b.reshape(c, (*sc, 1))
    return b.reshape(_matrices(b, a, c), out)


def _outer(b: Lowering, refs: tuple[Ref, ...], out: tuple[int, ...]) -> Ref:
    a, c = refs
    column = b.reshape(a, (int(np.prod(b.shape(a), dtype=int)), 1))
    row = b.reshape(c, (1, int(np.prod(b.shape(c), dtype=int))))
    return b.reshape(_matrices(b, column, row), out)


def _einsum(b: Lowering, refs: tuple[Ref, ...], out: tuple[int, ...], subscripts: str = "") -> Ref:
    """Every array's subscripts, and the output's, get one more letter in front: the batch."""
    spec = parse_subscripts(subscripts)
    used = set("".join(spec.inputs) + spec.output)
    free = [c for c in "zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA" if c not in used]
    if not free:
        raise NotBatched("einsum uses all 52 letters")
    z = free[0]
    terms = ",".join(z + term for term in spec.inputs)
    return b.call("einsum", *refs, subscripts=f"{terms}->{z}{spec.output}")


# --- losses: per element (or sample), then each point's mean or sum ------------------------------


def _reduced(b: Lowering, losses: Ref, reduction: object) -> Ref:
    """Each point's losses reduced as one point's are (losses.reduce_losses: the sum, divided by
    the count for the mean: `mean` computes exactly that)."""
    if reduction == "none":
        return losses
    axes = batched_axis(None, len(b.shape(losses)))
    return b.call("mean" if reduction == "mean" else "sum", losses, axis=axes)


def _elementwise_loss(name: str, checked: bool = False) -> Rule:
    def rule(b: Lowering, refs: tuple[Ref, ...], out: tuple[int, ...], reduction="mean", **options) -> Ref:
        losses = b.call(name, *aligned(b, refs), check=checked, reduction="none", **options)
        return _reduced(b, losses, reduction)

    return rule


def _class_loss(name: str) -> Rule:
    def rule(b: Lowering, refs: tuple[Ref, ...], out: tuple[int, ...], axis=-1, reduction="mean") -> Ref:
        scores = b.shape(refs[0])
        moved = class_axis(np.empty(scores), axis) + 1
        losses = b.call(name, *refs, check=True, axis=moved, reduction="none")
        return _reduced(b, losses, reduction)

    return rule


def _one_hot(b: Lowering, refs: tuple[Ref, ...], out: tuple[int, ...], num_classes=-1, axis=-1) -> Ref:
    # Without num_classes, each point counts its classes (class_losses._classes: the largest
    # finite class + 1, at least 1): one pass only when every point counts as the first did.
    classes = out[int(axis) % len(out)] if int(num_classes) == -1 else int(num_classes)
    if int(num_classes) == -1:
        t = b.values(refs[0])
        t = t.reshape(len(t), -1)
        largest = np.max(np.where(np.isfinite(t), t, -np.inf), axis=1, initial=-np.inf)
        counts = np.where(np.isfinite(largest), np.maximum(np.floor(largest) + 1, 1), 1)
        if np.any(counts != classes):
            raise NotBatched("one_hot without num_classes, and points with different numbers of classes")
    return b.call("one_hot", refs[0], check=True, num_classes=classes, axis=_moved(axis))


RULES: dict[str, Rule] = {
    **{name: _along(name) for name in ("sum", "mean", "amax", "amin", "norm", "logsumexp")},
    "prod": _prod,
    **{name: _along(name) for name in ("maxmask", "minmask", "softmax", "log_softmax")},
    **{name: _statistic(name) for name in ("variance", "std")},
    **{name: _flattened_unless_axis(name) for name in ("cumsum", "cumprod", "repeat")},
    "flip": _flip,
    **{name: _to_shape for name in ("ravel", "reshape", "squeeze", "expand_dims")},
    "transpose": _transpose,
    "tile": _tile,
    "concat": _joined("concat"),
    "stack_axis": _joined("stack_axis"),
    "stack": _literal,
    "index": _index,
    "slice": _slice,
    "scatter": _scatter,
    "onehot": _mask,
    "onehot2": _mask,
    "diag": _diag,
    "trace": _trace,
    "triu": _triangle("triu"),
    "tril": _triangle("tril"),
    "matmul": _matmul,
    "dot": _matmul,
    "outer": _outer,
    "einsum": _einsum,
    **{name: _elementwise_loss(name) for name in ("mse", "huber", "huber_loss", "bce_with_logits")},
    "bce": _elementwise_loss("bce", checked=True),
    "cross_entropy": _class_loss("cross_entropy"),
    "nll": _class_loss("nll"),
    "one_hot": _one_hot,
}
