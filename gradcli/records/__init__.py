"""The frozen records every renderer reads: the nodes, the backward steps and the derivation.

Renderers import this module and nothing of the engine, so they cannot reach (or change) the
graph a result was computed on. `derivation.build_derivation` fills the records in; the api's
`Derivation` adds the output methods (`to_json`, `to_text`, ...) on top.

Formulas are built on demand (`definition`, `local_formula`) from the op table's templates, so
a 100,000-node graph asked for `--brief` output never builds 200,000 small ASTs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple, Protocol

import numpy as np

from ..expr import Expr, Name, Num, simplify, substitute
from ..ops import OPS, Options
from ..templates import parse_template, partial_template
from .expressions import applied
from .tangents import TangentTrace

_NUMBER = re.compile(r"^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


class NodeRecord(NamedTuple):
    """One node of the evaluated graph, as the contract's JSON lists it.

    A NamedTuple rather than a frozen dataclass: one is built per node of every result, and it
    costs 0.7 µs against 1.7 µs (about 5% of `evaluate` at 10^5 nodes). Equality and hashing are
    by identity, as for the graph's nodes: a tuple's would compare the value arrays element-wise.
    """

    id: int
    name: str
    op: str  # "var", "const", or a key of OPS
    inputs: tuple[int, ...]
    value: np.ndarray
    grad: np.ndarray | None  # None where nothing is differentiated through the node
    kink: str | None  # the convention used, when the node is evaluated at a kink
    options: Options = ()  # the op's options, defaults filled in (`()` for ops without options)

    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__

    @property
    def role(self) -> str:
        return {"var": "input", "const": "constant"}.get(self.op, "operation")


class ShownLocal(NamedTuple):
    """The local derivative of a vector-Jacobian step, computed to be shown as a textbook shows
    it: the gradient of a single number (a loss: `p - y`), which times the upstream number gives
    the contribution; or (`jacobian`) a small vector op's Jacobian ∂out_i/∂x_j (softmax's
    `diag(p) - p pᵀ`), which the upstream row vector multiplies."""

    value: np.ndarray
    jacobian: bool


class StepRecord(Protocol):
    """One edge of the backward pass: contribution = local × upstream (un-broadcast).

    The backward pass's own steps are already frozen and hold only numbers, so they are handed
    over as they are; this protocol is what a renderer may read of them.
    """

    @property
    def of(self) -> int: ...  # the node differentiated
    @property
    def wrt(self) -> int: ...  # the input it is differentiated with respect to
    @property
    def index(self) -> int: ...  # which input of `of` (`x*x` has two steps into x)
    @property
    def local(self) -> np.ndarray | None: ...  # None for a vector-Jacobian product (`@`, softmax)
    @property
    def upstream(self) -> np.ndarray: ...
    @property
    def contribution(self) -> np.ndarray: ...


@dataclass(frozen=True, eq=False, repr=False)
class DerivationRecord:
    """A program evaluated and differentiated: what every format writes, shaped like the JSON."""

    source: str
    at: dict[str, np.ndarray]
    value: np.ndarray
    gradient: dict[str, np.ndarray]  # variable -> gradient (its shape), or Jacobian
    # Lists, as the public API has always given them (`steps == []`); the rows in them are frozen.
    nodes: list[NodeRecord]
    output: int
    steps: list[StepRecord]
    wrt: tuple[str, ...]
    warnings: list[str] = field(default_factory=list)
    mode: str = "reverse"  # or "forward": gradients by tangent sweeps, so no backward steps
    # Local derivatives of vector-Jacobian steps, where one can be shown (by step, its identity).
    shown: dict[StepRecord, ShownLocal] = field(default_factory=dict)
    tangents: TangentTrace | None = None  # forward mode's trace of one seed (records/tangents.py)

    def ref(self, node_id: int) -> Expr:
        """How a formula refers to a node: a literal by its number, anything else by name."""
        name = self.nodes[node_id].name
        if _NUMBER.match(name):
            return Num(float(name), name)  # a negative one prints with the precedence of unary minus
        return Name(name)

    def definition(self, node: NodeRecord) -> Expr | None:
        """`a + b` for node `v1 = a + b`; None for inputs and constants."""
        if node.op in ("var", "const"):
            return None
        return applied(node, tuple(self.ref(i) for i in node.inputs))

    def local_formula(self, step: StepRecord) -> Expr:
        """The local partial ∂of/∂wrt as a formula over node names (`-1/g^2`)."""
        node = self.nodes[step.of]
        op = OPS[node.op]
        mapping = {param: self.ref(i) for param, i in zip(op.params, node.inputs, strict=False)}
        mapping["out"] = Name(node.name)
        mapping["grad"] = Name(self.upstream_name)
        values = [self.nodes[i].value for i in node.inputs]
        template = partial_template(node.op, step.index, *values, **dict(node.options))
        return simplify(substitute(template, mapping))

    def shown_formula(self, step: StepRecord) -> Expr:
        """The formula of a step's shown local (`self.shown`): its Jacobian's, or the vector-
        Jacobian product's with the upstream gradient 1 (`grad * (softmax(z) - onehot(y))`
        becomes `softmax(z) - onehot(y)`)."""
        node = self.nodes[step.of]
        op = OPS[node.op]
        mapping = {param: self.ref(i) for param, i in zip(op.params, node.inputs, strict=False)}
        mapping["out"] = Name(node.name)
        rule = op.partials[min(step.index, len(op.partials) - 1)]
        if self.shown[step].jacobian and rule.jacobian is not None:
            return simplify(substitute(parse_template(rule.jacobian), mapping))
        values = [self.nodes[i].value for i in node.inputs]
        template = partial_template(node.op, step.index, *values, **dict(node.options))
        return simplify(substitute(template, {**mapping, "grad": Num(1.0, "1")}))

    def textbook(self, step: StepRecord) -> str:
        """The textbook's name for a step's local derivative (`p - y`), or ""."""
        node = self.nodes[step.of]
        op = OPS[node.op]
        rule = op.partials[min(step.index, len(op.partials) - 1)] if op.partials else None
        if rule is None or rule.textbook is None:
            return ""
        return rule.textbook(*(self.nodes[i].value for i in node.inputs), **dict(node.options))

    @cached_property
    def upstream_name(self) -> str:
        """What vector-Jacobian formulas call the upstream gradient: `grad`, unless a node is called that."""
        taken = {node.name for node in self.nodes}
        name, version = "grad", 1
        while name in taken:
            version += 1
            name = f"grad_{version}"
        return name

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

    def __repr__(self) -> str:
        gradient = ", ".join(f"{name}={np.asarray(g).tolist()!r}" for name, g in self.gradient.items())
        return (
            f"<Derivation {self.source!r}: value={np.asarray(self.value).tolist()!r}, gradient: {gradient}>"
        )
