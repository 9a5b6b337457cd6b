"""The Derivation: the plain record every renderer reads, shaped like the contract's JSON.

Formulas are built on demand (`definition`, `local_formula`) from the op table's templates, so
a 100,000-node graph asked for `--brief` output never builds 200,000 small ASTs.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .backprop import Step
from .expr import Array, Binary, Call, Expr, Index, Name, Num, Unary, simplify, substitute
from .graph import Graph, Node
from .ops import OPS, partial_template

_NUMBER = re.compile(r"^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


@dataclass(eq=False, repr=False)
class Derivation:
    source: str
    at: dict[str, np.ndarray]
    value: np.ndarray
    gradient: dict[str, np.ndarray]  # variable -> gradient (its shape), or Jacobian
    nodes: list[Node]  # with .grad and .kink filled in
    output: int
    steps: list[Step]
    wrt: tuple[str, ...]
    warnings: list[str] = field(default_factory=list)
    mode: str = "reverse"  # or "forward": gradients by tangent sweeps, so no backward steps

    def ref(self, node_id: int) -> Expr:
        """How a formula refers to a node: a literal by its number, anything else by name."""
        name = self.nodes[node_id].name
        if _NUMBER.match(name):
            return Num(float(name), name)  # a negative one prints with the precedence of unary minus
        return Name(name)

    def definition(self, node: Node) -> Expr | None:
        """`a + b` for node `v1 = a + b`; None for inputs and constants."""
        if node.op in ("var", "const"):
            return None
        op = OPS[node.op]
        args = tuple(self.ref(i) for i in node.inputs)
        if op.name == "stack":
            return Array(args)
        if op.name == "index":
            return Index(args[0], args[1:])
        if op.name == "neg":
            return Unary("neg", args[0])
        if op.infix:
            return Binary(op.name, *args)
        return Call(op.symbol, args)

    def local_formula(self, step: Step) -> Expr:
        """The local partial ∂of/∂wrt as a formula over node names (`-1/g^2`)."""
        node = self.nodes[step.of]
        op = OPS[node.op]
        mapping = {param: self.ref(i) for param, i in zip(op.params, node.inputs, strict=False)}
        mapping["out"] = Name(node.name)
        mapping["grad"] = Name(self.upstream_name)
        values = [self.nodes[i].value for i in node.inputs]
        return simplify(substitute(partial_template(node.op, step.index, *values), mapping))

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

    def to_json(self, brief: bool = False) -> str:
        from .render import json

        return json.render(self, brief=brief)

    def to_text(self, digits: int = 4, brief: bool = False, paths: bool = False) -> str:
        from .render import text

        return text.render(self, digits=digits, brief=brief, paths=paths)

    def to_markdown(self, digits: int = 4, brief: bool = False, paths: bool = False) -> str:
        from .render import markdown

        return markdown.render(self, digits=digits, brief=brief, paths=paths)

    def to_latex(
        self, digits: int = 4, brief: bool = False, standalone: bool = False, paths: bool = False
    ) -> str:
        from .render import latex

        return latex.render(self, digits=digits, brief=brief, standalone=standalone, paths=paths)

    def __repr__(self) -> str:
        gradient = ", ".join(f"{name}={np.asarray(g).tolist()!r}" for name, g in self.gradient.items())
        return (
            f"<Derivation {self.source!r}: value={np.asarray(self.value).tolist()!r}, gradient: {gradient}>"
        )

    def _repr_markdown_(self) -> str:
        """Jupyter shows a result as its worked derivation."""
        return self.to_markdown()

    @property
    def output_node(self) -> Node:
        return self.nodes[self.output]

    @property
    def variables(self) -> dict[str, int]:
        return {n.name: n.id for n in self.nodes if n.op == "var"}


def _mark_kinks(graph: Graph) -> None:
    for node in graph.nodes:
        op = OPS.get(node.op)
        if (
            op is not None
            and op.kink is not None
            and np.any(op.kink(*(graph.nodes[i].value for i in node.inputs)))
        ):
            node.kink = op.convention


def _is_finite(value) -> bool:
    if np.ndim(value) == 0:
        return math.isfinite(value)
    # One pass without a temporary: a sum is finite only if every term is (unless it overflows).
    # inf - inf in that sum is expected here, not a warning for the user's stderr.
    with np.errstate(all="ignore"):
        return bool(np.isfinite(np.sum(value))) or bool(np.isfinite(value).all())


def first_non_finite(graph: Graph) -> str | None:
    """Where NaN or ±inf first appears: the node whose inputs are all finite but not its value.

    Only inputs, constants and the nodes numpy flagged (graph.suspects) can be such a node, so
    only they are read: on big arrays a scan of every node would cost as much as the forward pass.
    """
    candidates = sorted({*graph.suspects, *(n.id for n in graph.nodes if not n.inputs)})
    finite = {i: _is_finite(graph.nodes[i].value) for i in candidates}
    for node in (graph.nodes[i] for i in candidates):
        if not finite[node.id] and all(finite.get(i, True) for i in node.inputs):
            inputs = ", ".join(
                f"{graph.nodes[i].name} = {graph.nodes[i].value.tolist()}" for i in node.inputs
            )
            where = f" from {inputs}" if inputs else ""
            return f"{node.name} ({node.op}) is the first non-finite value: {node.value.tolist()}{where}"
    return None


def build_derivation(
    graph: Graph,
    at: dict[str, np.ndarray],
    gradient: dict[str, np.ndarray],
    grads: list[np.ndarray | None],
    steps: list[Step],
    wrt: tuple[str, ...],
    needs: list[bool],
    warnings: list[str],
    mode: str = "reverse",
) -> Derivation:
    """The record: graph nodes with their gradients and kinks filled in, and the steps."""
    with np.errstate(all="ignore"):
        _mark_kinks(graph)
    for node in graph.nodes:
        if needs[node.id]:
            grad = grads[node.id]
            node.grad = np.zeros_like(node.value) if grad is None else grad
    return Derivation(
        source=graph.source,
        at=at,
        value=graph.nodes[graph.output].value,
        gradient=gradient,
        nodes=graph.nodes,
        output=graph.output,
        steps=steps,
        wrt=wrt,
        warnings=warnings,
        mode=mode,
    )
