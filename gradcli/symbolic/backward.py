"""The symbolic backward pass: reverse accumulation over the graph with formulas for numbers.

The pass backprop runs, over the same op table: walking the nodes newest first, each input's
adjoint gets the node's adjoint times the partial's formula (an elementwise partial), or the
partial's vector-Jacobian product formula with `grad` the node's adjoint (`@`, sum along an
axis, softmax, a slice), or its adjoint formula (where's `where(c, grad, 0)`). The expressions
live in one hash-consed DAG (`gradcli.simplify.Terms`), so `tanh(x)` in `1 - tanh(x)^2` is the
forward node itself. Over arrays, shapes are read from the terms' values (`numeric.py`): a
contribution is summed back over the axes an input was broadcast along, and an upstream
gradient smaller than its node is broadcast to the node's shape before a vjp formula reads it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from ..backprop import needs_grad
from ..errors import GradcliError
from ..expr import Expr, Name, literal, simplify, substitute
from ..graph import Graph, Node
from ..ops import CONSTANTS, OPS, partial_of
from ..simplify import Terms
from ..templates import parse_template, partial_template
from .convert import to_term
from .numeric import NO_SYMBOLIC, TermValues, Unwritable, check_step, exact, fit


@dataclass(eq=False, repr=False)
class Accumulation:
    """The DAG after the symbolic backward pass: a term per node and per adjoint."""

    terms: Terms
    graph: Graph
    forward: list[int]  # node id -> its term
    adjoint: list[int | None]  # node id -> the term of ∂output/∂node (None: nothing flowed)
    roots: dict[str, int]  # variable -> the term of its derivative, in the variable's shape
    warnings: list[str] = field(default_factory=list)  # formulas not finite where their rule is


def node_term(terms: Terms, graph: Graph, forward: list[int], node: Node) -> int:
    """The term of an op's node over its inputs' terms, written as the source writes it (the
    options that differ from their defaults as `name=value`; indexing as `x[1:3]`)."""
    op = OPS[node.op]
    args = tuple(forward[i] for i in node.inputs)
    if op.name == "index":
        key = ", ".join(str(int(graph.nodes[i].value)) for i in node.inputs[1:])
        return terms.at(key, args[0])
    if op.name == "slice":
        return terms.at(str(dict(node.options)["key"]), args[0])
    if op.name == "stack":
        return terms.stack(args)
    if op.infix:
        return terms.binary(op.name, *args)
    if op.name == "neg":  # the one prefix operator
        return terms.neg(*args)
    defaults = dict(op.options)
    given = tuple((k, v) for k, v in node.options if not (type(v) is type(defaults[k]) and v == defaults[k]))
    return terms.call(op.symbol, args, given)


class _Pass:
    """One symbolic backward pass over `graph` (the state its steps share)."""

    def __init__(self, graph: Graph, check: bool) -> None:
        self.graph, self.check = graph, check
        self.terms = Terms()
        names = {name: np.asarray(graph.nodes[i].value) for name, i in graph.variables.items()}
        self.values = TermValues(self.terms, names)
        self.forward: list[int] = []
        for node in graph.nodes:
            self.forward.append(self._forward_term(node))
            self.values.memo.setdefault(self.forward[-1], np.asarray(node.value, dtype=np.float64))
        self.notes: dict[str, str] = {}

    def _forward_term(self, node: Node) -> int:
        terms = self.terms
        if node.op == "var":
            return terms.name(node.name)
        if node.op == "const":
            by_name = node.name in CONSTANTS and float(node.value) == CONSTANTS[node.name]
            return terms.name(node.name) if by_name else terms.num(float(node.value))
        term = node_term(terms, self.graph, self.forward, node)
        fixed = np.ndim(node.value) == 0 or not OPS[node.op].infix
        if not fixed and self.values.shape(term) != np.shape(node.value):
            # Simplified, `x * 0` would be the number 0: a formula reading the node's shape
            # (maxmask(v), sum(grad * out)) needs the array, so the node is written as it is.
            term = terms.plain(node.op, *(self.forward[i] for i in node.inputs))
        return term

    def index_key(self, node: Node) -> tuple[tuple[str, object], ...]:
        """An index node's subscripts as a slice's key option: (("key", "0, 1, 0"),)."""
        return (("key", ", ".join(str(int(self.graph.nodes[i].value)) for i in node.inputs[1:])),)

    def partial(self, node: Node, index: int, upstream: int | None = None) -> int:
        """∂node/∂(input `index`) as a term: the op's formula with the inputs' terms put in; with
        `upstream`, the formula over `grad` (a vjp's, or the partial's adjoint formula)."""
        terms, op = self.terms, OPS[node.op]
        slots: dict[str, int] = {}
        mapping: dict[str, Expr] = {}
        # An index takes one input per subscript: `x[1]` has no i1 (inputs past the params: none).
        inputs = (self.forward[i] for i in node.inputs)
        pairs = [*zip(op.params, inputs, strict=False), ("out", self.forward[node.id])]
        if upstream is not None:
            pairs.append(("grad", upstream))
        for param, term in pairs:
            value = terms.value(term)
            if value is not None:  # a literal, so that `simplify` folds `2*a^(2-1)` to `2*a`
                mapping[param] = literal(value)
            else:
                slot = f"#{term}"  # not a name anything can spell: it never meets a real one
                mapping[param], slots[slot] = Name(slot), term
        rule = partial_of(op, index)
        if upstream is not None and rule.adjoint is not None:
            template = parse_template(rule.adjoint)
        else:
            values = [self.graph.nodes[i].value for i in node.inputs]
            template = partial_template(node.op, index, *values, **dict(node.options))
        return to_term(terms, simplify(substitute(template, mapping)), slots)

    def contribution(self, node: Node, index: int, upstream: int) -> int:
        """(the node's adjoint) × ∂node/∂(input `index`), in the input's shape, checked against
        the op's rule when asked to."""
        terms, values = self.terms, self.values
        rule = partial_of(OPS[node.op], index)
        if node.op == "index" and len(node.inputs) > 3:
            # onehot takes one or two positions: x[i, j, k] gives its gradient back as a slice does.
            c = terms.call("scatter", (upstream, self.forward[node.inputs[0]]), self.index_key(node))
        elif rule.vjp is not None:
            c = self.partial(node, index, exact(terms, values, upstream, self.forward[node.id]))
        elif rule.adjoint is not None:
            c = self.partial(node, index, upstream)
        else:
            c = terms.mul(upstream, self.partial(node, index))
        shape = np.shape(self.graph.nodes[node.inputs[index]].value)
        # An elementwise op's contribution has the output's shape (numpy broadcast the inputs);
        # any other op's formula gives the input's shape, or a term that broadcasts to it.
        full = np.shape(node.value) if OPS[node.op].pointwise else shape
        c = fit(terms, values, c, full, shape)
        if self.check:
            check_step(self.graph, node, index, values(upstream), values(c), self.notes.setdefault)
        return c

    def step(self, node: Node, index: int, upstream: int) -> int:
        try:
            return self.contribution(node, index, upstream)
        except Unwritable as error:
            op = OPS[node.op]
            raise GradcliError(
                f"cannot write the derivative of {op.symbol} here: {error}",
                span=node.span,
                source=self.graph.source,
                hint=NO_SYMBOLIC,
            ) from None


def accumulate(graph: Graph, wrt: Iterable[str], check: bool = True) -> Accumulation:
    """The symbolic backward pass: for every node, newest first, each input's adjoint gets its
    contribution. The same rules, order and sums as backprop. With `check`, each contribution is
    compared with the op's numeric rule at the graph's values (GradcliError where they
    disagree). The output must have one element."""
    run = _Pass(graph, check)
    terms, nodes = run.terms, graph.nodes
    wrt = tuple(wrt)
    needs = needs_grad(graph, {graph.variables[name] for name in wrt})
    adjoint: list[int | None] = [None] * len(nodes)
    if needs[graph.output]:
        adjoint[graph.output] = terms.num(1)
    for node in reversed(nodes[: graph.output + 1]):
        upstream = adjoint[node.id]
        if upstream is None or not node.inputs:
            continue
        for index, input_id in enumerate(node.inputs):
            if not needs[input_id]:
                continue
            # From a 0 adjoint nothing but 0 flows on (vjps are linear in grad).
            zero = terms.value(upstream) == 0
            contribution = upstream if zero else run.step(node, index, upstream)
            previous = adjoint[input_id]
            adjoint[input_id] = contribution if previous is None else terms.add(previous, contribution)
    roots = {}
    for name in wrt:
        node_id = graph.variables[name]
        found = adjoint[node_id]
        if found is None or terms.value(found) == 0:
            roots[name] = terms.num(0)
        else:
            roots[name] = exact(terms, run.values, found, run.forward[node_id])
    return Accumulation(terms, graph, run.forward, adjoint, roots, list(run.notes.values()))
