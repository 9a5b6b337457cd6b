"""From a differentiated graph to its record: the nodes copied into frozen rows, with their
gradients and the kink conventions they hit, beside the backward steps (records.py).

The graph itself is never handed on, so no renderer can reach it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from .backprop import Step
from .graph import Graph, Node
from .ops import OPS, partial_of
from .records import DerivationRecord, NodeRecord, ShownLocal
from .records.tangents import TangentTrace

if TYPE_CHECKING:
    from .forward import TangentRow  # forward mode's module is loaded only when it runs

R = TypeVar("R", bound=DerivationRecord)


def _kink(graph: Graph, node: Node, needs: list[bool]) -> str | None:
    """The convention `node`'s op used, if its inputs sit at the op's kink (relu at 0, ...), or
    at the kink of the partial of an input that is differentiated (pow's exponent at base 0)."""
    op = OPS.get(node.op)
    if op is None:
        return None
    inputs = [graph.nodes[i].value for i in node.inputs]
    options = dict(node.options)
    if op.kink is not None and np.any(op.kink(*inputs, **options)):
        return op.convention
    for partial, i in zip(op.partials, node.inputs, strict=False):
        if partial.kink is not None and needs[i] and np.any(partial.kink(*inputs, **options)):
            return op.convention
    return None


SHOWN_JACOBIAN = 6  # a vector op's Jacobian is shown for vectors up to this long (6 x 6 numbers)


def _shown_local(graph: Graph, step: Step) -> ShownLocal | None:
    """A vector-Jacobian step's local derivative, where a textbook would show one: into a node
    that is a number (0-d: a loss, a sum), the gradient of that number (the product with an
    upstream of 1); for a small vector op with a Jacobian formula (softmax), the matrix
    ∂out_i/∂x_j, row i being the product with the i-th unit vector. None for the rest (`@`:
    the formula says it)."""
    if step.local is not None:
        return None
    node = graph.nodes[step.of]
    rule = partial_of(OPS[node.op], step.index)
    if rule.vjp is None:
        return None
    args = [graph.nodes[i].value for i in node.inputs]
    options = dict(node.options)
    with np.errstate(all="ignore"):
        if np.ndim(node.value) == 0:
            one = np.ones_like(node.value)
            return ShownLocal(np.asarray(rule.vjp(*args, node.value, one, **options)), jacobian=False)
        x = args[step.index]
        if rule.jacobian is None or np.ndim(x) != 1 or np.ndim(node.value) != 1:
            return None
        if max(np.size(x), np.size(node.value)) > SHOWN_JACOBIAN:
            return None
        rows = [rule.vjp(*args, node.value, unit, **options) for unit in np.eye(np.size(node.value))]
        return ShownLocal(np.stack(rows), jacobian=True)


def _is_finite(value) -> bool:
    if np.ndim(value) == 0:
        return math.isfinite(value)
    # One pass without a temporary: a sum is finite only if every term is (unless it overflows).
    # inf - inf in that sum is expected here, not a warning for the user's stderr.
    with np.errstate(all="ignore"):
        return bool(np.isfinite(np.sum(value))) or bool(np.isfinite(value).all())


def all_finite(values: Iterable) -> bool:
    """Whether every number of `values` (numbers or arrays) is finite: numbers in one numpy call,
    so 10^5 variables' gradients are checked at once rather than one by one."""
    values = list(values)
    if all(type(value) is np.float64 for value in values):
        return bool(np.isfinite(np.fromiter(values, np.float64, len(values))).all())
    return all(_is_finite(value) for value in values)


def first_non_finite(graph: Graph) -> str | None:
    """Where NaN or ±inf first appears: the node whose inputs are all finite but not its value.

    Only inputs, constants and the nodes numpy flagged (graph.suspects) can be such a node, so
    only they are read: on big arrays a scan of every node would cost as much as the forward pass.
    """
    candidates = sorted({*graph.suspects, *(n.id for n in graph.nodes if not n.inputs)})
    if all_finite(graph.nodes[i].value for i in candidates):
        return None  # the usual case, with 10^5 inputs: one check of them all
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
    *,
    record: type[R],
    trace: tuple[str, tuple[int, ...] | None, list[TangentRow]] | None = None,
) -> R:
    """The record (of type `record`, which the api gives its output methods): every node
    copied into a frozen row with its gradient and kink, and the steps; in forward mode, the
    tangent trace of one seed (`trace`: the variable, the seeded element and the rows of
    `forward.tangent_trace`)."""
    nodes = []
    # The others never hit one.
    kinked = {name for name, op in OPS.items() if op.kink is not None or any(p.kink for p in op.partials)}
    with np.errstate(all="ignore"):
        for node in graph.nodes:
            grad = None
            if needs[node.id]:
                grad = grads[node.id]
                grad = np.zeros_like(node.value) if grad is None else grad
            kink = _kink(graph, node, needs) if node.op in kinked else None
            record_node = NodeRecord(
                node.id, node.name, node.op, node.inputs, node.value, grad, kink, node.options
            )
            nodes.append(record_node)
    shown = {step: found for step in steps if (found := _shown_local(graph, step)) is not None}
    return record(
        shown=shown,
        source=graph.source,
        at=at,
        value=graph.nodes[graph.output].value,
        gradient=gradient,
        nodes=nodes,
        output=graph.output,
        steps=steps,
        wrt=wrt,
        warnings=warnings,
        mode=mode,
        tangents=None if trace is None else TangentTrace(trace[0], trace[1], tuple(trace[2]), wrt),
    )
