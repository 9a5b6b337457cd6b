"""Forward mode: tangents pushed through the graph in creation order, one sweep per input element.

A second engine beside backprop, over the same op table: a node's tangent is
Σ_i local_i(inputs, out) · tangent(input_i), with the table's numeric partials (so the kink
conventions are those of reverse mode) and numpy broadcasting; a reduction (sum, mean, norm, an
index) sums the product back to its scalar output. It costs a sweep per element of each variable
where reverse mode costs one per output element: the tests use it as an independent check of
backprop, and `eval --mode forward` shows the same numbers.

The few ops that give a vector-Jacobian product instead of a local derivative (`@`, transpose,
softmax, array literals) have no forward rule in the table; their Jacobian-vector product is
read off the vector-Jacobian product one output element at a time (exact, but not independent
of reverse mode for those ops, and slow for big arrays).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .backprop import unbroadcast
from .errors import GradcliError
from .graph import Graph
from .ops import OPS, partial_of


def forward_gradients(graph: Graph, wrt_names: Iterable[str]) -> dict[str, np.ndarray]:
    """∂output/∂variable for each name in `wrt_names`, by forward-mode differentiation.

    Shapes are those of reverse mode (`gradcli.api.evaluate`): the variable's shape when the
    output has one element, `output.shape + variable.shape` (the Jacobian) otherwise. A variable
    the output does not depend on gets zeros. Raises GradcliError for a name that is not a
    variable of the graph.
    """
    output = graph.nodes[graph.output].value
    result: dict[str, np.ndarray] = {}
    for name in wrt_names:
        if name not in graph.variables:
            listed = ", ".join(graph.variables) or "none"
            raise GradcliError(
                f"{name!r} is not a variable of the program", hint=f"the variables are: {listed}"
            )
        variable = graph.variables[name]
        shape = np.shape(graph.nodes[variable].value)
        columns = []
        for k in range(int(np.prod(shape, dtype=int))):
            seed = np.zeros(shape)
            seed[np.unravel_index(k, shape)] = 1.0
            columns.append(_sweep(graph, variable, seed))
        # Column k is ∂output/∂variable[k]: stacked on a last axis, which then takes the variable's shape.
        jacobian = np.stack(columns, axis=-1) if columns else np.zeros((*np.shape(output), 0))
        jacobian = jacobian.reshape(np.shape(output) + shape)
        result[name] = jacobian.reshape(shape) if np.size(output) == 1 else jacobian
    return result


def _sweep(graph: Graph, variable: int, seed: np.ndarray) -> np.ndarray:
    """The tangent of the output when the variable's tangent is `seed` (every other input's is 0)."""
    nodes = graph.nodes
    tangents: list[np.ndarray | None] = [None] * len(nodes)  # None: 0, and nothing to compute
    tangents[variable] = seed
    with np.errstate(all="ignore"):
        for node in nodes[variable + 1 : graph.output + 1]:
            total = None
            for index, input_id in enumerate(node.inputs):
                tangent = tangents[input_id]
                if tangent is None:
                    continue
                term = _push(graph, node.id, index, tangent)
                total = term if total is None else total + term
            if total is not None:
                tangents[node.id] = total
    found = tangents[graph.output]
    return np.zeros(np.shape(nodes[graph.output].value)) if found is None else np.asarray(found, np.float64)


def _push(graph: Graph, node_id: int, index: int, tangent: np.ndarray) -> np.ndarray:
    """The part of the node's tangent that comes from input `index`, in the node's shape."""
    node = graph.nodes[node_id]
    args = [graph.nodes[i].value for i in node.inputs]
    shape = np.shape(node.value)
    rule = partial_of(OPS[node.op], index)
    if rule.vjp is not None:
        return _jvp_from_vjp(rule.vjp, args, node.value, tangent, np.shape(args[index]))
    term = rule.local(*args, node.value) * tangent
    if np.shape(term) == shape:
        return term
    if np.size(term) > np.size(node.value):  # a reduction: its local derivative has the input's shape
        return np.sum(term).reshape(shape)
    return np.broadcast_to(term, shape)  # an input numpy broadcast


def _jvp_from_vjp(vjp, args, out, tangent, input_shape) -> np.ndarray:
    """J·t from g ↦ gᵀJ: element k of the result is ⟨vjp(e_k), t⟩."""
    out = np.asarray(out)
    result = np.zeros(out.shape)
    for k in range(out.size):
        unit = np.zeros(out.shape)
        unit.flat[k] = 1.0
        row = vjp(*args, out, unit)
        if np.shape(row) != input_shape:
            row = unbroadcast(row, input_shape)
        result.flat[k] = np.sum(row * tangent)
    return result
