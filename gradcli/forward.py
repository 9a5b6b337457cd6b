"""Forward mode: tangents pushed through the graph in creation order, all of a variable's at once.

A second engine beside backprop, over the same op table: a node's tangent is
Σ_i local_i(inputs, out) · tangent(input_i), with the table's numeric partials (so the kink
conventions are those of reverse mode) and numpy broadcasting; a reduction (sum, mean, norm, an
index) sums the product back to its output. Every tangent carries a leading batch axis, one entry
per element of the variable (the one-hot seeds), so a variable costs one sweep whatever its size:
numpy loops over the batch, Python does not. The tests use forward mode as an independent check of
backprop, and `eval --mode forward` shows the same numbers.

Forward and reverse mode must agree wherever reverse mode is finite. Reverse mode never multiplies
one element's partial by another element's seed; a batch of one-hot tangents does, with zeros. So
a tangent that is exactly 0 contributes 0 whatever the local derivative (inf or nan included): a
nan partial of element 0 stays in column 0, as in reverse mode. Partials the table marks `masked`
(PyTorch selects instead of multiplying there) give 0 where the local derivative is 0, as in
reverse mode.

The few ops that give a vector-Jacobian product instead of a local derivative (`@`, outer,
transpose, softmax, array literals) have their Jacobian-vector products here (`_JVPS`), written
independently of their vjps; an op without one falls back to its Jacobian built from its vjp over
one-hot seeds (exact, but not independent of reverse mode).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

import numpy as np

from .backprop import one_hot_seeds, seed_chunks, unbroadcast
from .binding import wrt_not_a_variable
from .errors import GradcliError
from .graph import Graph, Node, last_uses
from .ops import ONE, OPS, Partial, einsum, joining, matrices, partial_of, reshaping
from .ops.loss_tangents import LOSS_JVPS
from .ops.shapes import index_key, put, take
from .ops.tangents import AXIS_JVPS

# Forward mode costs (variable elements × graph size): above this it would run for minutes, where
# reverse mode (the default) costs one pass for a scalar output.
MAX_FORWARD_WORK = 2**33


def forward_gradients(graph: Graph, wrt_names: Iterable[str]) -> dict[str, np.ndarray]:
    """∂output/∂variable for each name in `wrt_names`, by forward-mode differentiation.

    Shapes are those of reverse mode (`gradcli.api.evaluate`): the variable's shape when the
    output has one element, `output.shape + variable.shape` (the Jacobian) otherwise. A variable
    the output does not depend on gets zeros. Raises GradcliError for a name that is not a
    variable of the graph, and for a sweep too big to finish in reasonable time.
    """
    output = np.asarray(graph.nodes[graph.output].value)
    last_use = last_uses(graph)  # a tangent can be freed after its last reader
    in_flight = sum(np.size(node.value) for node in graph.nodes[: graph.output + 1])
    result: dict[str, np.ndarray] = {}
    for name in wrt_names:
        if name not in graph.variables:
            raise wrt_not_a_variable(name, graph.variables, option=None)
        variable = graph.variables[name]
        shape = np.shape(graph.nodes[variable].value)
        _check_work(name, int(np.prod(shape, dtype=int)), in_flight)
        parts = [_sweep(graph, variable, seeds, last_use) for seeds in seed_chunks(shape, in_flight)]
        tangents = np.concatenate(parts) if parts else np.zeros((0, *output.shape))
        # Row k is ∂output/∂variable[k]: moved to the last axis, which then takes the variable's shape.
        jacobian = np.moveaxis(tangents, 0, -1).reshape(output.shape + shape)
        result[name] = jacobian.reshape(shape) if output.size == 1 else jacobian
    return result


def _check_work(name: str, elements: int, in_flight: int) -> None:
    if elements * in_flight > MAX_FORWARD_WORK:
        raise GradcliError(
            f"forward mode would push {elements:,} tangents of {name!r} through {in_flight:,} numbers "
            f"({elements * in_flight:,} products, more than the {MAX_FORWARD_WORK:,} it allows)",
            hint="use reverse mode (the default: leave out --mode forward), or fewer variables with --wrt",
        )


def _sweep(graph: Graph, variable: int, seeds: np.ndarray, last_use: list[int]) -> np.ndarray:
    """The output's tangents (batch, *output shape) when the variable's are `seeds` (others 0)."""
    nodes = graph.nodes
    tangents: list[np.ndarray | None] = [None] * len(nodes)  # None: 0, and nothing to compute
    tangents[variable] = seeds
    with np.errstate(all="ignore"):
        for node in nodes[variable + 1 : graph.output + 1]:
            total = None
            for index, input_id in enumerate(node.inputs):
                tangent = tangents[input_id]
                if tangent is None:
                    continue
                term = _push(graph, node, index, tangent)
                total = term if total is None else total + term
            tangents[node.id] = total
            for input_id in node.inputs:
                if last_use[input_id] == node.id and input_id != graph.output:
                    tangents[input_id] = None
    found = tangents[graph.output]
    shape = (len(seeds), *np.shape(nodes[graph.output].value))
    return np.zeros(shape) if found is None else np.broadcast_to(found, shape).astype(np.float64)


class TangentTerm(NamedTuple):
    """One input's part of a node's tangent in the trace: product = local × the input's tangent
    (a Jacobian-vector product where the op gives no elementwise local derivative)."""

    of: int  # the node
    wrt: int  # its input
    index: int  # which input of `of` (`x*x` has two terms from x)
    local: np.ndarray | None  # ∂of/∂wrt; None for a Jacobian-vector product (`@`, softmax)
    tangent: np.ndarray  # the input's tangent
    product: np.ndarray  # this input's part of the node's tangent (the node's shape)


class TangentRow(NamedTuple):
    """A node's tangent in the trace of one seed direction, with the terms it is the sum of."""

    node: int
    tangent: np.ndarray
    terms: tuple[TangentTerm, ...]  # one per input that is not a constant


def tangent_trace(graph: Graph, name: str) -> tuple[tuple[int, ...] | None, list[TangentRow]]:
    """The tangent of every node up to the output for ONE seed direction: the variable `name`'s
    first element set to 1, every other input's tangent 0 (Baydin et al. 2018, Table 2).

    The numbers are those `forward_gradients` computes (the same `_push` for each term, the same
    structural zeros), for the one seed: the output's tangent is ∂output/∂name[first element].
    Returns the seeded element's index (`()` for a number; None for an empty array) and the rows.
    """
    variable = graph.variables[name]
    shape = np.shape(graph.nodes[variable].value)
    seed = np.zeros((1, *shape))
    element = None
    if seed.size:
        element = (0,) * len(shape)
        seed.reshape(-1)[0] = 1.0
    tangents: list[np.ndarray | None] = [None] * len(graph.nodes)
    tangents[variable] = seed
    rows = []
    with np.errstate(all="ignore"):
        for node in graph.nodes[: graph.output + 1]:
            if node.id != variable:
                tangents[node.id], terms = _traced(graph, node, tangents)
            else:
                terms = ()
            found = tangents[node.id]
            value = np.zeros(np.shape(node.value)) if found is None else found[0].astype(np.float64)
            rows.append(TangentRow(node.id, value, terms))
    return element, rows


def _traced(
    graph: Graph, node: Node, tangents: list[np.ndarray | None]
) -> tuple[np.ndarray | None, tuple[TangentTerm, ...]]:
    """A node's batched tangent (None: exactly 0) as `_sweep` sums it, and its terms."""
    total = None
    terms = []
    shape = np.shape(node.value)
    for index, input_id in enumerate(node.inputs):
        if graph.nodes[input_id].op == "const":
            continue  # a constant's tangent is 0, and its term says nothing
        tangent = tangents[input_id]
        if tangent is None:
            product, shown = np.zeros(shape), np.zeros(np.shape(graph.nodes[input_id].value))
        else:
            term = _push(graph, node, index, tangent)
            total = term if total is None else total + term
            product, shown = np.asarray(term[0], np.float64), tangent[0]
        terms.append(TangentTerm(node.id, input_id, index, _local(graph, node, index), shown, product))
    if total is not None:
        total = np.broadcast_to(total, (1, *shape))
    return total, tuple(terms)


def _local(graph: Graph, node: Node, index: int) -> np.ndarray | None:
    """The local derivative the term multiplies by (None where the op gives a Jacobian-vector
    product): shown even where the input's tangent is 0, as Baydin's table shows cos(v0) × 0."""
    rule = partial_of(OPS[node.op], index)
    if rule.vjp is not None:
        return None
    args = [graph.nodes[i].value for i in node.inputs]
    local = rule.local(*args, np.asarray(node.value), **dict(node.options))
    return np.float64(1.0) if local is ONE else np.asarray(local, np.float64)


def _push(graph: Graph, node: Node, index: int, tangent: np.ndarray) -> np.ndarray:
    """The part of the node's tangents (batch, *node shape) that comes from input `index`."""
    args = [graph.nodes[i].value for i in node.inputs]
    out = np.asarray(node.value)
    rule = partial_of(OPS[node.op], index)
    options = dict(node.options)
    if rule.vjp is not None:
        jvp = _JVPS.get(node.op)
        if jvp is not None:
            term = jvp(index, args, out, tangent, **options)
        else:
            term = _jvp_from_vjp(rule, index, args, out, tangent, options)
    else:
        term = _local_times_tangent(rule, args, out, tangent, options)
    return np.broadcast_to(term, (len(tangent), *out.shape))  # an input numpy broadcast


def _local_times_tangent(
    rule: Partial, args: list[np.ndarray], out: np.ndarray, tangent: np.ndarray, options: dict
):
    local = rule.local(*args, out, **options)
    if local is ONE:
        return _fit_rank(tangent, out.ndim)
    tangent = _fit_rank(tangent, max(out.ndim, np.ndim(local)))
    zero = tangent == 0  # a structural zero: this tangent does not depend on the input here
    if rule.masked:
        zero = zero | rule.selected_zero(local, *args, out, **options)
    product = np.where(zero, 0.0, local * tangent)
    # A reduction or an index: the local derivative has the input's shape, the output fewer axes;
    # lined up from the right, the leading input axes are the ones summed away.
    extra = product.ndim - 1 - out.ndim
    return product.sum(axis=tuple(range(1, 1 + extra))) if extra > 0 else product


def _fit_rank(tangent: np.ndarray, ndim: int) -> np.ndarray:
    """Axes of length 1 after the batch axis, up to `ndim` axes beside it: numpy's broadcasting
    lines shapes up from the right, and the batch axis must stay the first."""
    missing = ndim - (tangent.ndim - 1)
    if missing <= 0:
        return tangent
    return tangent.reshape(tangent.shape[:1] + (1,) * missing + tangent.shape[1:])


def _trailing(array: np.ndarray, out: np.ndarray) -> tuple[int, ...]:
    return tuple(range(array.ndim - out.ndim, array.ndim))


def _matmul_jvp(index: int, args, out, tangent, **_options):
    """d(a @ b) = da @ b + a @ db, for vectors, matrices and stacks of matrices (numpy's rules):
    a vector is made a matrix (a row for a, a column for b) and the tangent's batch axis gets
    axes of length 1 so that it broadcasts against the other operand's stack axes."""
    a, b = np.asarray(args[0]), np.asarray(args[1])
    left = a if a.ndim > 1 else a[None, :]
    right = b if b.ndim > 1 else b[:, None]
    if index == 0:
        moving = tangent if a.ndim > 1 else tangent[:, None, :]
        moving = _fit_rank(moving, max(left.ndim, right.ndim))
        product = moving @ right
    else:
        moving = tangent if b.ndim > 1 else tangent[..., None]
        moving = _fit_rank(moving, max(left.ndim, right.ndim))
        product = left @ moving
    if b.ndim == 1:
        product = product[..., 0]
    if a.ndim == 1:
        product = product[..., 0, :] if b.ndim > 1 else product[..., 0]
    return product


def _outer_jvp(index: int, args, out, tangent, **_options):
    a, b = np.ravel(args[0]), np.ravel(args[1])
    if index == 0:
        return tangent[:, :, None] * b[None, None, :]
    return a[None, :, None] * tangent[:, None, :]


def _transpose_jvp(index: int, args, out, tangent, **_options):
    return np.transpose(tangent, (0, *reversed(range(1, tangent.ndim))))


def _softmax_jvp(index: int, args, out, tangent, axis=None, **_options):
    # J = diag(s) - s sᵀ along the normalised axes, so J·t = s * (t - ⟨s, t⟩)
    if axis is None:
        axes = _trailing(tangent, out)
    else:  # the batch axis is in front: the op's axis k is the tangent's axis 1 + k
        axes = tuple(1 + k % out.ndim for k in ((axis,) if isinstance(axis, int) else axis))
    return out * (tangent - np.sum(out * tangent, axis=axes, keepdims=True))


def _stack_jvp(index: int, args, out, tangent, **_options):
    term = np.zeros((len(tangent), *out.shape))
    term[:, index] = tangent
    return term


def _slice_jvp(index: int, args, out, tangent, key: str = "", **_options):
    return take(tangent, index_key(key), lead=1)


def _scatter_jvp(index: int, args, out, tangent, key: str = "", **_options):
    if index == 1:  # the array scattered into gives only its shape
        return np.zeros((len(tangent), *out.shape))
    return put(np.shape(args[1]), index_key(key), tangent, lead=1)


_JVPS: dict[str, Callable[..., np.ndarray]] = {
    "slice": _slice_jvp,
    "scatter": _scatter_jvp,
    "matmul": _matmul_jvp,
    "outer": _outer_jvp,
    "transpose": _transpose_jvp,
    "softmax": _softmax_jvp,
    "stack": _stack_jvp,
    **AXIS_JVPS,  # the reductions, softmax's log, cumsum/cumprod along axes (ops/tangents.py)
    # The shape ops' own; reshaping's transpose (with axes=) replaces the one above.
    **reshaping.JVPS,
    **joining.JVPS,
    **matrices.JVPS,
    **einsum.JVPS,
    **LOSS_JVPS,
}


def _jvp_from_vjp(
    rule: Partial, index: int, args, out: np.ndarray, tangent: np.ndarray, options: dict
) -> np.ndarray:
    """J·t from the Jacobian J read off the vjp over every one-hot seed of the output at once."""
    assert rule.vjp is not None
    rows = rule.vjp(*args, out, one_hot_seeds(out.shape), **options)
    jacobian = unbroadcast(rows, np.shape(args[index]), lead=1).reshape(out.size, np.size(args[index]))
    return (tangent.reshape(len(tangent), -1) @ jacobian.T).reshape((len(tangent), *out.shape))
