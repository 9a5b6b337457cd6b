"""The scalar fast path: a program of pointwise ops, evaluated and differentiated at a point of
plain numbers without building a graph or recording steps.

A `Tape` is the program's graph reduced to its rows: for each op node, the op's forward rule,
its inputs and options and one partial per input, in graph order (taken once from a graph that
`graph.build_graph` built, so the nodes are the full path's nodes). `Tape.run` calls those same
op-table rules on the same kinds of values the full path gives them (0-d float64 arrays for the
variables, numpy float64 constants) in the same order, and multiplies and sums as `backprop`
does (`backprop.times`), so every value and gradient is bit-identical to the full path's.

The fast path serves only where that full path would add nothing: a program whose every op is
pointwise with elementwise partials and no cut (no comparison, `where`, reduction or indexing),
values that are all plain numbers for exactly the program's variables, and results that are all
finite (the full path would warn and say where a nan or inf first appeared) with a gradient
reaching every variable asked for. Anything else returns None: the caller takes the full path,
which gives its warnings and raises its errors (message, caret) as it always has.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import NamedTuple

import numpy as np

from .backprop import times
from .expr import Program
from .graph import Graph, Node, ProgramNames, build_graph
from .ops import CONSTANTS, ONE, OPS, Op, Partial


def servable(op: Op) -> bool:
    """An op the tape can run: pointwise, a fixed number of inputs, a local rule per input and
    no cut (comparisons and `where` cut the gradient: the full path follows the cuts)."""
    return (
        op.pointwise
        and not op.variadic
        and all(p.vjp is None and p.cut is None and p.local is not None for p in op.partials)
    )


def scalar_point(given: Mapping[str, object], variables: frozenset[str]) -> dict[str, np.ndarray] | None:
    """The point's values as 0-d float64 arrays (as `binding.as_array` makes them), if it gives
    exactly `variables`, each a plain number or a 0-d float64 array (copied); else None."""
    if given.keys() != variables:
        return None
    arrays = {}
    for name, value in given.items():
        kind = type(value)
        if kind is float or kind is int or kind is np.float64:
            arrays[name] = np.asarray(value, np.float64)
        elif kind is np.ndarray and value.ndim == 0 and value.dtype == np.float64:
            arrays[name] = value.copy()
        else:
            return None
    return arrays


class Row(NamedTuple):
    """One op node of the tape: where its value goes, its op's rules, its inputs and options."""

    node: int
    forward: Callable[..., np.ndarray]
    check: Callable[..., str | None] | None
    inputs: tuple[int, ...]
    options: dict[str, object] | None  # None: the op has none (its rules take no keywords)
    # Per input: its node, the partial's local rule, and the partial itself where it is masked
    # (backprop.times applies the mask), else None: a plain product local × upstream.
    edges: tuple[tuple[int, Callable[..., np.ndarray], Partial | None], ...]


def _row(node: Node) -> Row:
    op = OPS[node.op]
    edges = tuple(
        (input_id, rule.local, rule if rule.masked else None)
        for input_id, rule in zip(node.inputs, op.partials, strict=True)
    )
    return Row(node.id, op.forward, op.check, node.inputs, dict(node.options) or None, edges)


def _reader(nodes: tuple[int, ...]) -> Callable[[list], tuple]:
    """values -> the values of `nodes`, as a tuple (up to three read without a loop)."""
    if len(nodes) == 1:
        (first,) = nodes
        return lambda values: (values[first],)
    if len(nodes) == 2:
        first, second = nodes
        return lambda values: (values[first], values[second])
    if len(nodes) == 3:
        first, second, third = nodes
        return lambda values: (values[first], values[second], values[third])
    return lambda values: tuple([values[i] for i in nodes])


class Tape:
    """A scalar program's graph as rows of the op table: run it at any point of plain numbers."""

    def __init__(self, graph: Graph) -> None:
        self.size = len(graph.nodes)
        self.output = graph.output
        self.variables = tuple(graph.variables.items())
        self.ids = dict(graph.variables)
        self.names = frozenset(self.ids)  # what a point gives: every variable, nothing else
        # Constants are immutable numpy scalars: one copy serves every run.
        self.template = [node.value if node.op == "const" else None for node in graph.nodes]
        self.rows = tuple(_row(node) for node in graph.nodes if node.op not in ("var", "const"))
        # Each row's rules read its inputs (forward), and its inputs then its value (partials).
        self.forward_rows = tuple((row, _reader(row.inputs)) for row in self.rows)
        self._plans: dict[tuple[str, ...], tuple] = {}

    @classmethod
    def of(cls, program: Program, names: ProgramNames, arrays: dict[str, np.ndarray]) -> Tape | None:
        """The tape of `program` built at `arrays` (plain numbers), or None if an op of it is not
        one the tape runs or a value is not a single float64 number. Raises what `build_graph`
        raises."""
        graph = build_graph(program, arrays, names)
        for node in graph.nodes:
            if np.ndim(node.value) != 0 or np.result_type(node.value) != np.float64:
                return None
            if node.op not in ("var", "const") and (node.op not in OPS or not servable(OPS[node.op])):
                return None
        return cls(graph)

    def point(self, given: Mapping[str, object]) -> dict[str, np.ndarray] | None:
        """`given` as the tape's values (`scalar_point`), or None: the full path's point."""
        return scalar_point(given, self.names)

    def needs(self, wrt: tuple[str, ...]) -> list[bool]:
        """Which nodes depend on a variable in `wrt` (backprop.needs_grad)."""
        found = [False] * self.size
        for name in wrt:
            found[self.ids[name]] = True
        for row in self.rows:
            found[row.node] = found[row.node] or any(found[i] for i in row.inputs)
        return found

    def plan(self, wrt: tuple[str, ...]) -> tuple[bool, tuple]:
        """The backward pass for `wrt`, kept per `wrt`: whether the output needs a gradient, and
        the rows backprop visits (up to the output, newest first), each with a reader of what
        its rules read (inputs, then out) and only the edges into nodes that need a gradient."""
        found = self._plans.get(wrt)
        if found is None:
            needs = self.needs(wrt)
            rows = tuple(
                (
                    row.node,
                    _reader((*row.inputs, row.node)),
                    row.options,
                    tuple(e for e in row.edges if needs[e[0]]),
                )
                for row in reversed(self.rows)
                if row.node <= self.output and needs[row.node]
            )
            self._plans[wrt] = found = (needs[self.output], rows)
        return found

    def forward(self, arrays: Mapping[str, np.ndarray]) -> list | None:
        """Every node's value, as `graph.build_graph` computes it; None where the full path must
        speak (a check or a rule that refuses the values: it raises the error then)."""
        values = self.template.copy()
        for name, node in self.variables:
            values[node] = arrays[name]
        try:
            for (node, forward, check, _, options, _), read in self.forward_rows:
                args = read(values)
                if options is None and check is None:
                    values[node] = forward(*args)
                elif check is not None and check(*args, **(options or {})) is not None:
                    return None
                else:
                    values[node] = forward(*args, **(options or {}))
        except (ValueError, TypeError):
            return None
        return values

    def backward(self, values: list, wrt: tuple[str, ...]) -> list:
        """Every node's gradient (None where none flowed), as `backprop.backprop` computes it:
        local × upstream, the upstream passed on as it is through a local ONE, summed at fan-out.
        Every value is a single number, so no contribution is un-broadcast."""
        grads: list = [None] * self.size
        reached, rows = self.plan(wrt)
        if not reached:
            return grads
        # backprop's seed, np.ones_like(output): every value of a tape is a float64 number.
        grads[self.output] = np.ones((), np.float64)
        for node, read, options, edges in rows:
            upstream = grads[node]
            if upstream is None:
                continue
            args = read(values)
            for input_id, local_rule, masked in edges:
                local = local_rule(*args) if options is None else local_rule(*args, **options)
                if masked is not None:
                    contribution = times(
                        masked, local, upstream, list(args[:-1]), args[-1], **(options or {})
                    )
                elif local is ONE:
                    contribution = upstream
                else:
                    contribution = local * upstream
                previous = grads[input_id]
                grads[input_id] = contribution if previous is None else previous + contribution
        return grads

    def run(
        self, arrays: Mapping[str, np.ndarray], wrt: tuple[str, ...]
    ) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
        """The output's value and its gradient by each name of `wrt` (names of `arrays`), or None
        where the full path must take over: a value or gradient not finite, a variable of `wrt`
        that the output does not depend on, values a rule refuses."""
        with np.errstate(all="ignore"):
            values = self.forward(arrays)
            if values is None or not all(map(math.isfinite, values)):
                return None
            grads = self.backward(values, wrt)
        gradient = {name: grads[self.ids[name]] for name in wrt}
        for grad in gradient.values():
            if grad is None or grad.shape != () or not math.isfinite(grad):
                return None
        return values[self.output], gradient


def variables_of(names: ProgramNames) -> frozenset[str]:
    """The names a point must give for the fast path: the free variables, constants not given."""
    return frozenset(name for name in names.free if name not in CONSTANTS)
