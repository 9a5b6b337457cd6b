"""The Derivation: the plain record every renderer reads, shaped like the contract's JSON.

Formulas are built on demand (`definition`, `local_formula`) from the op table's templates, so
a 100,000-node graph asked for `--brief` output never builds 200,000 small ASTs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .backprop import Step
from .expr import Binary, Call, Expr, Name, Num, Unary, simplify, substitute
from .graph import Graph, Node
from .ops import OPS, partial_template

_NUMBER = re.compile(r"^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


@dataclass(eq=False, repr=False)
class NodeRecord:
    id: int
    name: str
    op: str  # "var", "const" or a key of OPS
    inputs: tuple[int, ...]
    value: np.ndarray
    grad: np.ndarray | None  # None where nothing is differentiated through the node
    kink: str | None = None  # the convention used, when the node is evaluated at a kink

    @property
    def role(self) -> str:
        return {"var": "input", "const": "constant"}.get(self.op, "operation")


@dataclass(eq=False, repr=False)
class StepRecord:
    of: int
    wrt: int
    index: int
    local: np.ndarray
    upstream: np.ndarray
    contribution: np.ndarray
    kink: str | None = None


@dataclass(eq=False, repr=False)
class Derivation:
    source: str
    at: dict[str, np.ndarray]
    value: np.ndarray
    gradient: dict[str, np.ndarray]  # variable -> gradient (its shape), or Jacobian
    nodes: list[NodeRecord]
    output: int
    steps: list[StepRecord]
    wrt: tuple[str, ...]
    warnings: list[str] = field(default_factory=list)

    def ref(self, node_id: int) -> Expr:
        """How a formula refers to a node: a literal by its number, anything else by name."""
        name = self.nodes[node_id].name
        if _NUMBER.match(name):
            return Num(float(name), name)
        return Name(name)

    def definition(self, node: NodeRecord) -> Expr | None:
        """`a + b` for node `v1 = a + b`; None for inputs and constants."""
        if node.op in ("var", "const"):
            return None
        op = OPS[node.op]
        args = tuple(self.ref(i) for i in node.inputs)
        if op.name == "neg":
            return Unary("neg", args[0])
        if op.infix:
            return Binary(op.name, *args)
        return Call(op.symbol, args)

    def local_formula(self, step: StepRecord) -> Expr:
        """The local partial ∂of/∂wrt as a formula over node names (`-1/g^2`)."""
        node = self.nodes[step.of]
        op = OPS[node.op]
        mapping = {param: self.ref(i) for param, i in zip(op.params, node.inputs)}
        mapping["out"] = Name(node.name)
        return simplify(substitute(partial_template(node.op, step.index), mapping))

    @cached_property
    def steps_into(self) -> dict[int, list[int]]:
        """For each node, the indices of the steps that end in it (two or more: the sum rule)."""
        into: dict[int, list[int]] = {}
        for k, step in enumerate(self.steps):
            into.setdefault(step.wrt, []).append(k)
        return into

    @property
    def output_node(self) -> NodeRecord:
        return self.nodes[self.output]

    @property
    def variables(self) -> dict[str, int]:
        return {n.name: n.id for n in self.nodes if n.op == "var"}


def kink_of(node: Node, graph: Graph) -> str | None:
    op = OPS.get(node.op)
    if op is None or op.kink is None:
        return None
    with np.errstate(all="ignore"):
        hit = np.any(op.kink(*(graph.nodes[i].value for i in node.inputs)))
    return op.convention if hit else None


def first_non_finite(graph: Graph) -> str | None:
    """Where NaN or ±inf first appears: the node whose inputs are all finite but not its value."""
    for node in graph.nodes:
        if not np.all(np.isfinite(node.value)) and all(
            np.all(np.isfinite(graph.nodes[i].value)) for i in node.inputs
        ):
            inputs = ", ".join(f"{graph.nodes[i].name} = {graph.nodes[i].value.tolist()}" for i in node.inputs)
            where = f" from {inputs}" if inputs else ""
            return f"{node.name} ({node.op}) is the first non-finite value: {node.value.tolist()}{where}"
    return None


def build_derivation(
    graph: Graph,
    at: dict[str, np.ndarray],
    gradient: dict[str, np.ndarray],
    grads: dict[int, np.ndarray],
    steps: list[Step],
    wrt: tuple[str, ...],
    needs: list[bool],
    warnings: list[str],
) -> Derivation:
    kinks = [kink_of(node, graph) for node in graph.nodes]
    nodes = [
        NodeRecord(
            node.id,
            node.name,
            node.op,
            node.inputs,
            node.value,
            (grads.get(node.id, np.zeros_like(node.value)) if needs[node.id] else None),
            kinks[node.id],
        )
        for node in graph.nodes
    ]
    records = [
        StepRecord(s.of, s.wrt, s.index, s.local, s.upstream, s.contribution, kinks[s.of]) for s in steps
    ]
    return Derivation(
        source=graph.source,
        at=at,
        value=graph.nodes[graph.output].value,
        gradient=gradient,
        nodes=nodes,
        output=graph.output,
        steps=records,
        wrt=wrt,
        warnings=warnings,
    )
