"""N points in one pass: the one-point graph lowered to a graph whose values carry a batch axis.

The program is evaluated at the first point (`build_graph`: every shape checked, every error
said as one evaluation says it); then each of its nodes is lowered, in order, to nodes over the
same op table whose values hold all N points along a first axis (gradcli/ops/batching.py has a
rule per array op; elementwise ops only line their inputs up). A node that reads no variable is
the same at every point: it keeps the first point's value, without the batch axis. The lowered
graph is backpropagated by `backprop`, unchanged, from a seed of ones: element k of every
gradient is the gradient at point k, since no node of the lowered graph mixes two points.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..backprop import backprop, needs_grad, values_read
from ..graph import Graph, Node, last_uses
from ..ops import OPS, Options
from ..ops.batching import RULES, NotBatched, Ref, elementwise


class _Lowering:
    """The batched graph being built (the `Lowering` the rules of ops/batching.py call)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.nodes: list[Node] = []
        self.batched: list[bool] = []
        self.broadcast: dict[Ref, Ref] = {}  # a constant -> its copy with the batch axis (a view)
        self.current: Node | None = None  # the one-point node being lowered

    def add(self, op: str, inputs: tuple[Ref, ...], value, batched: bool, options: Options = ()) -> Ref:
        ref = len(self.nodes)
        self.nodes.append(Node(ref, op, inputs, value, options=options))
        self.batched.append(batched)
        return ref

    def shape(self, ref: Ref) -> tuple[int, ...]:
        shape = np.shape(self.nodes[ref].value)
        return shape[1:] if self.batched[ref] else shape

    def is_batched(self, ref: Ref) -> bool:
        return self.batched[ref]

    def number(self, ref: Ref) -> np.ndarray:
        assert not self.batched[ref], "an index written in the source is the same at every point"
        return self.nodes[ref].value

    def values(self, ref: Ref) -> np.ndarray:
        return self.nodes[self.with_batch(ref)].value

    def constant(self, value: np.ndarray) -> Ref:
        return self.add("const", (), value, batched=False)

    def as_at_first_point(self) -> Ref:
        assert self.current is not None
        return self.constant(self.current.value)

    def with_batch(self, ref: Ref) -> Ref:
        """The node itself if it varies with the point, else a constant broadcast over the points."""
        if self.batched[ref]:
            return ref
        if ref not in self.broadcast:
            value = self.nodes[ref].value
            spread = np.broadcast_to(value, (self.n, *np.shape(value)))
            self.broadcast[ref] = self.add("const", (), spread, batched=True)
        return self.broadcast[ref]

    def call(self, name: str, *refs: Ref, check: bool = False, **options: object) -> Ref:
        op = OPS[name]
        if not op.pointwise:  # numpy lines constants up for elementwise ops; the others need the axis
            refs = tuple(self.with_batch(ref) for ref in refs)
        filled = op.fill(options)
        given = dict(filled)
        args = [self.nodes[ref].value for ref in refs]
        if check and op.check is not None and op.check(*args, **given) is not None:
            raise NotBatched(f"{name}: a point's values do not fit (evaluated one at a time, it says which)")
        try:
            value = op.forward(*args, **given)
        except (ValueError, TypeError, IndexError) as error:  # the first point's graph was fine
            raise NotBatched(f"{name}: {error}") from None
        return self.add(name, refs, value, batched=True, options=filled)

    def reshape(self, ref: Ref, shape: tuple[int, ...]) -> Ref:
        if self.shape(ref) == tuple(shape):
            return ref
        if not self.batched[ref]:
            return self.add("const", (), np.reshape(self.nodes[ref].value, shape), batched=False)
        return self.call("reshape", ref, shape=(self.n, *shape))

    def lower(self, node: Node, refs: tuple[Ref, ...]) -> Ref:
        """The batched node of one node of the first point's graph."""
        if not any(self.batched[ref] for ref in refs):
            return self.add("const", (), node.value, batched=False)  # no variable below it
        op = OPS[node.op]
        rule = RULES.get(node.op) or (elementwise(node.op) if op.pointwise else None)
        if rule is None:
            raise NotBatched(f"no batching rule for {node.op}")
        self.current = node
        return rule(self, refs, np.shape(node.value), **dict(node.options))


def lower_graph(
    first: Graph, columns: Mapping[str, np.ndarray], fixed: Mapping[str, np.ndarray], n: int
) -> Graph:
    """The first point's graph for all n points: variables from `columns` (n values each, along
    the first axis) and `fixed` (the same at every point, broadcast without copying)."""
    lowering = _Lowering(n)

    def _column(name: str) -> np.ndarray:
        if name in columns:
            return columns[name]
        return np.broadcast_to(fixed[name], (n, *np.shape(fixed[name])))

    refs: list[Ref] = []
    variables: dict[str, Ref] = {}
    with np.errstate(all="ignore"):  # a point's nan or inf is its own business, as one at a time
        for node in first.nodes:
            if node.op == "var":
                ref = variables[node.name] = lowering.add("var", (), _column(node.name), batched=True)
            elif node.op == "const":
                ref = lowering.add("const", (), node.value, batched=False)
            else:
                ref = lowering.lower(node, tuple(refs[i] for i in node.inputs))
            refs.append(ref)
    output = lowering.with_batch(refs[first.output])
    return Graph(lowering.nodes, output, variables, first.source)


def replay_pointwise(first: Graph, values: Mapping[str, np.ndarray], needs: list[bool]) -> Graph:
    """A program of pointwise ops at N points: the first point's graph evaluated again node for
    node over `values` (each variable's N values), the same forward rules in the same order.

    A value the backward pass will not read (`backprop.values_read`) is dropped as soon as its
    last user has it, so the forward pass walks through the memory of a few arrays, not one per
    node, and numpy reuses it as it does for hand-written code (seed 004's sigmoid over 10^6
    points: the forward pass peaks at 24 MB of values, not 64 MB; measured with tracemalloc).
    """
    read = values_read(first, needs)
    last_use = last_uses(first)
    nodes: list[Node] = []
    with np.errstate(all="ignore"):  # a point's nan or inf is its own business, as one at a time
        for node in first.nodes:
            if node.op == "var":
                value = values[node.name]
            elif node.op == "const":
                value = node.value
            else:
                args = [nodes[i].value for i in node.inputs]
                value = OPS[node.op].forward(*args, **dict(node.options))
            nodes.append(Node(node.id, node.op, node.inputs, value, node.name, options=node.options))
            for i in node.inputs:
                if last_use[i] == node.id and not read[i]:
                    _drop(nodes[i])
    return Graph(nodes, first.output, first.variables, first.source)


def _drop(node: Node) -> None:
    """Forget a value the backward pass will not read: nan of its shape, a view of one number.
    A variable's or constant's value is the caller's (or the program's) and stays."""
    if node.op not in ("var", "const"):
        node.value = np.broadcast_to(np.float64(np.nan), np.shape(node.value))


def release_unread(graph: Graph, needs: list[bool]) -> None:
    """Drop the values the backward pass will not read (`backprop.values_read`), before it runs.

    Over N points each value is an array of N numbers: a long program keeps all of them alive
    through its forward pass, and the backward pass then allocates its gradients in new memory.
    Dropped, their memory serves the gradients (seed 004's sigmoid over 10^6 points: 4,300 page
    faults a call instead of 7,300, and ~20% faster). A dropped value becomes nan of its shape (a
    view, no memory), so a partial that read one without declaring it gives nan, not a stale number.
    """
    for node, read in zip(graph.nodes, values_read(graph, needs), strict=True):
        if not read:
            _drop(node)


def gradients_batched(graph: Graph, wrt: tuple[str, ...], n: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The lowered graph's output (n, ...) and what one evaluation gives for each variable in
    `wrt`, at every point: its gradient, (n, ...) + its shape, for an output of one number; for
    an array output its Jacobian, (n, ...) + the output's shape + its shape, a row per output
    element (each a backward pass from that element's one-hot seed, all points at once)."""
    needs = needs_grad(graph, {graph.variables[name] for name in wrt})
    release_unread(graph, needs)
    out = graph.nodes[graph.output].value
    shape = np.shape(out)[1:]
    size = int(np.prod(shape, dtype=int))
    seeds = [None] if size == 1 else [_one_hot(n, size, e).reshape(np.shape(out)) for e in range(size)]
    wanted = {graph.variables[name] for name in wrt}
    rows = [backprop(graph, needs, seed, record=False, points=True, keep=wanted)[0] for seed in seeds]
    gradient = {}
    for name in wrt:
        node = graph.nodes[graph.variables[name]]
        found = [_own_shape(grads[node.id], node.value) for grads in rows]
        if size == 1:
            gradient[name] = found[0]
        else:
            jacobian = np.stack(found, axis=1) if found else np.zeros((n, 0, *np.shape(node.value)[1:]))
            gradient[name] = jacobian.reshape((n, *shape, *np.shape(node.value)[1:]))
    return out, gradient


def _one_hot(n: int, size: int, element: int) -> np.ndarray:
    seed = np.zeros((n, size))
    seed[:, element] = 1.0
    return seed


def _own_shape(grad: np.ndarray | None, value: np.ndarray) -> np.ndarray:
    """A variable's gradient in its (batched) shape: 0 where none flowed."""
    return np.zeros(np.shape(value)) if grad is None else np.broadcast_to(grad, np.shape(value))
