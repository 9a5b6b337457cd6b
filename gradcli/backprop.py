"""Reverse-mode differentiation over a Graph: one loop over the nodes, newest first.

Creation order is topological, so walking it backwards visits every node after all of its
users (JAX's autodidax walks `eqns[::-1]` the same way): no recursion, no sort.

A step's contribution is local × upstream, except where the op selects (a masked partial:
relu, max, indexing, x^0, ...): there it is 0 even when the upstream gradient is inf or nan,
as in PyTorch, so one non-finite value does not poison the gradients of the others.

Where a partial *cuts* (`Partial.cut`: `where`'s unchosen branch, both sides of a comparison),
no gradient reaches those elements of the input at all, and the cut travels on down: a node's
elements that only cut edges reach (`dead`) pass 0 on, never 0 × an inf or nan partial. So
`where(x > 0, sqrt(x), 0)` at x = -1 has gradient 0 (the contract), where PyTorch gives nan.
The cut is followed through elementwise partials (and the reductions and indices that have
them); a vector-Jacobian product passes zeros but not the cut, so its inputs count as reached.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .graph import Graph
from .ops import ONE, OPS, Partial, partial_of


@dataclass(frozen=True, eq=False, repr=False, slots=True)
class Step:
    """One edge of the backward pass: contribution = local × upstream (un-broadcast)."""

    of: int  # the node differentiated
    wrt: int  # the input it is differentiated with respect to
    index: int  # which input of `of` (`x*x` has two steps into x)
    local: np.ndarray | None  # None where the op gives a vector-Jacobian product (`@`, softmax)
    upstream: np.ndarray
    contribution: np.ndarray
    # The edge is cut (where's unchosen branch, below it, a comparison) at elements where
    # local × upstream would not be finite: 0 was passed on instead (PyTorch would give nan).
    cut: bool = False


def needs_grad(graph: Graph, wrt: set[int]) -> list[bool]:
    """Which nodes depend on a variable in `wrt` (PyTorch's requires_grad)."""
    needs = [False] * len(graph.nodes)
    for node in graph.nodes:
        if node.id in wrt:
            needs[node.id] = True
        else:
            for i in node.inputs:
                if needs[i]:
                    needs[node.id] = True
                    break
    return needs


def values_read(graph: Graph, needs: list[bool]) -> list[bool]:
    """Which nodes' values the backward pass may read: the output's, and each input or output
    of a node that a partial on a differentiated edge reads (`Partial.values_read`)."""
    read = [False] * len(graph.nodes)
    read[graph.output] = True
    for node in graph.nodes:
        if not needs[node.id] or not node.inputs:
            continue
        op = OPS[node.op]
        for index, input_id in enumerate(node.inputs):
            if not needs[input_id]:
                continue
            positions = partial_of(op, index).values_read(op.params)
            if positions is None:
                read[node.id] = True
                for i in node.inputs:
                    read[i] = True
                continue
            for position in positions:
                read[node.inputs[position] if position < len(op.params) else node.id] = True
    return read


def unbroadcast(gradient: np.ndarray, shape: tuple[int, ...], lead: int = 0) -> np.ndarray:
    """Sum a gradient over the axes numpy broadcast, back to the input's shape. The first `lead`
    axes (a batch of seeds) are kept as they are."""
    gradient = np.asarray(gradient)
    shape = gradient.shape[:lead] + tuple(shape)
    if gradient.shape == shape:
        return gradient
    extra = gradient.ndim - len(shape)
    if extra > 0:
        gradient = gradient.sum(axis=tuple(range(lead, lead + extra)))
    axes = tuple(i for i, n in enumerate(shape) if i >= lead and n == 1 and gradient.shape[i] != 1)
    if axes:
        gradient = gradient.sum(axis=axes, keepdims=True)
    return np.broadcast_to(gradient, shape).copy() if gradient.shape != shape else gradient


def times(
    rule: Partial, local: np.ndarray, upstream: np.ndarray, args: list, out: np.ndarray, **options: object
) -> np.ndarray:
    """local × upstream; where a masked partial selects, 0 even if the upstream is inf or nan (PyTorch)."""
    if local is ONE:  # the sum rule's 1: pass the upstream gradient on, no multiplication
        return upstream
    # A finite upstream times a selected 0 is already 0: only inf or nan upstream needs the mask.
    if rule.masked and not np.isfinite(upstream).all():
        return np.where(rule.selected_zero(local, *args, out, **options), 0.0, local * upstream)
    return local * upstream


def backprop(
    graph: Graph,
    needs: list[bool],
    seed: np.ndarray | None = None,
    record: bool = True,
    points: bool = False,
    keep: set[int] | None = None,
) -> tuple[list[np.ndarray | None], list[Step]]:
    """Gradients of the output (weighted by `seed`, default ones) for every node that `needs` one.

    Returns each node's gradient (None where none flowed) and, when `record`, the steps in the
    order they ran. `points`: the graph's values hold many points along their first axis
    (points/batched.py), so a vector-Jacobian product's cut is followed point by point. With
    `keep`, only those nodes keep their gradient once it is passed on: the others are freed as
    the pass goes (N points at once: memory holds the gradients in flight, and numpy reuses it).
    """
    nodes = graph.nodes
    grads: list[np.ndarray | None] = [None] * len(nodes)
    steps: list[Step] = []
    output = nodes[graph.output]
    if not needs[output.id]:
        return grads, steps
    if seed is not None:
        grads[output.id] = np.asarray(seed, dtype=np.float64)
    elif record:
        grads[output.id] = np.ones_like(output.value)
    else:  # nobody reads the steps: a view of one 1 serves, and N points need no array of ones
        grads[output.id] = np.broadcast_to(np.float64(1.0), np.shape(output.value))
    ones = grads[output.id] if seed is None else None
    dead: list[np.ndarray | None] = [None] * len(nodes)  # per node: where no gradient reached it
    # Read from the table on every call (not cached at import), so the table is the one truth.
    partials_by_op = {name: op.partials for name, op in OPS.items() if not op.variadic}
    with np.errstate(all="ignore"):
        for node in reversed(nodes[: output.id + 1]):
            upstream = grads[node.id]
            if upstream is None or not node.inputs:
                continue
            partials = partials_by_op.get(node.op)
            args = [nodes[i].value for i in node.inputs]
            options = dict(node.options)
            for index, input_id in enumerate(node.inputs):
                if not needs[input_id]:
                    continue
                rule = partials[index] if partials is not None else partial_of(OPS[node.op], index)
                shape = nodes[input_id].value.shape
                reached, hidden = None, False
                if rule.cut is not None or dead[node.id] is not None:
                    cut = _cut(rule, args, node.value, options, dead[node.id])
                    local, contribution, reached = _cut_edge(
                        rule, args, node, upstream, options, cut, shape, 0, points
                    )
                    hidden = _hides_non_finite(local, upstream, cut)
                elif rule.vjp is None:
                    local = rule.local(*args, node.value, **options)
                    if upstream is ones and _fresh(local, args, node.value, ones):
                        contribution = local  # local × 1 is local, to the bit: one pass fewer
                    else:
                        contribution = times(rule, local, upstream, args, node.value, **options)
                else:  # not elementwise: the rule gives local × upstream directly
                    local = None
                    contribution = rule.vjp(*args, node.value, upstream, **options)
                if contribution.shape != shape:
                    contribution = unbroadcast(contribution, shape)
                if record:
                    steps.append(Step(node.id, input_id, index, local, upstream, contribution, hidden))
                previous = grads[input_id]
                dead[input_id] = _merge(dead[input_id], reached, previous is None)
                grads[input_id] = contribution if previous is None else previous + contribution
            if keep is not None and node.id not in keep:
                grads[node.id] = None
    return grads, steps


def _fresh(local: object, args: list, out: np.ndarray, ones: np.ndarray) -> bool:
    """Whether a local derivative is a new float64 array in the seed's shape (not a value of the
    graph, as mul's `b` is), so it can serve as its own product with the seed of ones. Not a 0-d
    array: numpy's product of two is a float64 scalar, which the rest of a derivation holds."""
    return (
        type(local) is np.ndarray
        and local.ndim > 0
        and local.dtype == np.float64
        and local.shape == ones.shape
        and local is not out
        and all(local is not arg for arg in args)
    )


def _cut(rule: Partial, args: list, out: np.ndarray, options: dict, dead: np.ndarray | None):
    """Where this edge carries no gradient: the rule's cut, and where none reached the node."""
    if rule.cut is None:
        return dead
    cut = np.asarray(rule.cut(*args, out, **options), dtype=bool)
    return cut if dead is None else cut | dead


def _cut_edge(rule: Partial, args: list, node, upstream, options: dict, cut, shape, lead: int, points=False):
    """An edge through a cut: (local or None, contribution, where the input is dead or None).
    `lead` is 1 for a batch of seeds in front. The contribution is 0 at the cut elements,
    whatever the local derivative; an input element is dead if every element it fed is. A
    vector-Jacobian product mixes elements: its input is dead only where all of its output is
    cut (for `points`, all of that point's output)."""
    out = node.value
    if rule.vjp is not None:
        contribution = rule.vjp(*args, out, np.where(cut, 0.0, upstream), **options)
        if points:
            every = np.broadcast_to(cut, np.shape(out)).reshape(len(out), -1).all(axis=1)
            if not every.any():
                return None, contribution, None
            return None, contribution, np.broadcast_to(every.reshape((-1,) + (1,) * (len(shape) - 1)), shape)
        everywhere = bool(np.all(cut))
        return None, contribution, np.ones(shape, dtype=bool) if everywhere else None
    local = rule.local(*args, out, **options)
    if lead:
        product = _batched_product(rule, args, out, upstream, options, local)
    else:
        product = times(rule, local, upstream, args, out, **options)
    product = np.where(cut, 0.0, product)
    return local, unbroadcast(product, shape, lead), _all_over(np.shape(product)[lead:], cut, shape)


def _hides_non_finite(local, upstream, cut) -> bool:
    """Whether the cut kept an inf or nan (local × upstream) out of the gradient."""
    if local is None or not np.any(cut):
        return False
    product = np.asarray(local * upstream)
    cut = np.broadcast_to(cut, np.broadcast_shapes(np.shape(cut), product.shape))
    return bool(np.any(cut & ~np.isfinite(np.broadcast_to(product, cut.shape))))


def _all_over(full: tuple[int, ...], cut: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The cut over a product's elements, brought to the input's shape: an input element is cut
    where all the product's elements it broadcast to are (the un-broadcast, with `all` for sum)."""
    mask = np.broadcast_to(cut, np.broadcast_shapes(full, np.shape(cut)))
    extra = mask.ndim - len(shape)
    if extra > 0:
        mask = mask.all(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and mask.shape[i] != 1)
    if axes:
        mask = mask.all(axis=axes, keepdims=True)
    return np.broadcast_to(mask, shape)


def _merge(dead: np.ndarray | None, reached: np.ndarray | None, first: bool) -> np.ndarray | None:
    """A node's dead elements after one more edge into it: dead only if dead along every edge."""
    if first:
        return reached
    if dead is None or reached is None:
        return None
    return dead & reached


# A batch of seeds holds a gradient (or tangent) per seed for every node in flight: seeds go in
# chunks that keep that under this many float64 numbers (256 MB), whatever the output's size.
SEED_CHUNK_NUMBERS = 2**25


def one_hot_seeds(shape: tuple[int, ...], start: int = 0, stop: int | None = None) -> np.ndarray:
    """The one-hot seeds start..stop of an array of this shape, stacked on a leading axis: seed k
    is 1 at element k (in C order) and 0 elsewhere. Passed through a batched sweep they give a
    Jacobian's rows (reverse mode) or columns (forward mode)."""
    size = int(np.prod(shape, dtype=int))
    stop = size if stop is None else min(stop, size)
    seeds = np.zeros((max(stop - start, 0), size))
    seeds[np.arange(len(seeds)), np.arange(start, start + len(seeds))] = 1.0
    return seeds.reshape((len(seeds), *shape))


def seed_chunks(shape: tuple[int, ...], in_flight: int) -> Iterator[np.ndarray]:
    """All the one-hot seeds of `shape`, in batches small enough that a sweep over a graph holding
    `in_flight` numbers per seed stays within SEED_CHUNK_NUMBERS."""
    size = int(np.prod(shape, dtype=int))
    chunk = max(1, SEED_CHUNK_NUMBERS // max(in_flight, 1))
    for start in range(0, size, chunk):
        yield one_hot_seeds(shape, start, start + chunk)


def backprop_seeds(
    graph: Graph, needs: list[bool], seeds: np.ndarray, keep: set[int] | None = None
) -> list[np.ndarray | None]:
    """backprop for a batch of seeds in one pass: `seeds[k]` is a seed of the output's shape, and
    each gradient returned has the same leading axis (row k is what backprop gives for seeds[k]).

    A Jacobian is this pass over `one_hot_seeds`: numpy loops over the batch, Python does not. Only
    the nodes in `keep` (default: all) keep their gradient; the others are freed once passed on,
    so memory holds the batch's gradients of the nodes in flight, not of the whole graph.
    """
    nodes = graph.nodes
    grads: list[np.ndarray | None] = [None] * len(nodes)
    output = nodes[graph.output]
    if not needs[output.id]:
        return grads
    grads[output.id] = np.asarray(seeds, dtype=np.float64)
    dead: list[np.ndarray | None] = [None] * len(nodes)  # the same for every seed: values decide
    with np.errstate(all="ignore"):
        for node in reversed(nodes[: output.id + 1]):
            upstream = grads[node.id]
            if upstream is None or not node.inputs:
                continue
            args = [nodes[i].value for i in node.inputs]
            options = dict(node.options)
            for index, input_id in enumerate(node.inputs):
                if not needs[input_id]:
                    continue
                rule = partial_of(OPS[node.op], index)
                shape = nodes[input_id].value.shape
                reached = None
                if rule.cut is not None or dead[node.id] is not None:
                    cut = _cut(rule, args, node.value, options, dead[node.id])
                    _, contribution, reached = _cut_edge(rule, args, node, upstream, options, cut, shape, 1)
                elif rule.vjp is None:
                    contribution = _batched_product(rule, args, node.value, upstream, options)
                else:  # the table's vector-Jacobian products keep leading (batch) axes in front
                    contribution = rule.vjp(*args, node.value, upstream, **options)
                contribution = unbroadcast(contribution, shape, lead=1)
                previous = grads[input_id]
                dead[input_id] = _merge(dead[input_id], reached, previous is None)
                grads[input_id] = contribution if previous is None else previous + contribution
            if keep is not None and node.id not in keep:
                grads[node.id] = None
    return grads


def _batched_product(
    rule, args: list[np.ndarray], out: np.ndarray, upstream: np.ndarray, options: dict, local=None
) -> np.ndarray:
    """local × upstream for a batch: the upstream (batch, *out.shape) is aligned with a local
    derivative that has more axes than the output (a reduction, a row index: the input's shape)
    by inserting axes after the batch axis, so both line up from the right as in backprop."""
    if local is None:
        local = rule.local(*args, out, **options)
    missing = np.ndim(local) - np.ndim(out)
    if local is not ONE and missing > 0:
        upstream = upstream.reshape(upstream.shape[:1] + (1,) * missing + upstream.shape[1:])
    return times(rule, local, upstream, args, out, **options)
