"""`gradcli check --perturb`: nudge one node, watch everything downstream move (seed 002's narration).

The node is a variable or an intermediate the program names. The nodes it does not feed keep
their values; the ones downstream are recomputed from their inputs, and change/h estimates
their derivative with respect to the nudged node. Beside it, the same derivative by reverse
mode: one backward pass from every node that moves.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping

import numpy as np

from .backprop import needs_grad
from .errors import GradcliError
from .evaluation import evaluate, jacobian_rows
from .expr import Program
from .graph import Graph, Node, build_graph, program_names
from .ops import OPS
from .parse import parse_program, suggest
from .records import NodeRecord
from .records.check import Nudge, NudgeRow, index_label

NUDGE = 1e-3  # seed 002 nudges u from 6 to 6.001
MAX_REVERSE_PASSES = 2000  # the reverse column costs one backward pass per element that moves

_SPEC = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[([^\]]*)\])?\s*(?:=(.*))?", re.DOTALL)


def parse_perturb(spec: str) -> tuple[str, tuple[int, ...] | None, float]:
    """`NAME`, `NAME=h`, `x[1]=h`, `W[0,1]` -> (name, index or None, h)."""
    match = _SPEC.fullmatch(spec)
    if match is None:
        raise GradcliError(
            f"--perturb expects NAME or NAME=h, got {spec!r}", hint="e.g. --perturb u=0.001 or --perturb x[1]"
        )
    name, index_text, h_text = match.groups()
    index = None
    if index_text is not None:
        try:
            index = tuple(int(part) for part in index_text.split(","))
        except ValueError:
            raise GradcliError(
                f"--perturb {spec!r}: the index must be whole numbers, e.g. {name}[0] or {name}[1,2]"
            ) from None
    h = NUDGE
    if h_text is not None:
        try:
            h = float(h_text)
        except ValueError:
            raise GradcliError(
                f"--perturb {spec!r}: {h_text.strip()!r} is not a number", hint="e.g. u=0.001"
            ) from None
        if not math.isfinite(h) or h == 0:
            raise GradcliError(f"--perturb {spec!r}: the nudge must be a finite number other than 0")
    return name, index, h


def perturb(source: str | Program, at: Mapping[str, object] | None, spec: str) -> Nudge:
    """Nudge one node (a variable, or an intermediate the program names) by h and recompute: the
    nodes before it keep their values, every node downstream moves, and change/h estimates its
    derivative with respect to the nudged node (seed 002's narration).

    Raises GradcliError for bad input: the spec, the program, the values, or a node or element
    that is not there."""
    name, index, h = parse_perturb(spec)
    program = parse_program(source) if isinstance(source, str) else source
    derivation = evaluate(program, at or {})
    target = _target(derivation.nodes, name)
    delta = _delta(target, name, index, h)
    # The engine's walks run on a graph of their own, built from the program at the same values.
    arrays = {n: np.asarray(v, dtype=np.float64) for n, v in derivation.at.items()}
    graph = build_graph(program, arrays, program_names(program))
    depends = needs_grad(graph, {target.id})
    after = _replay(graph.nodes, target.id, delta, depends)
    reverse = _reverse_column(graph, target.id, depends, delta / h)
    warnings = list(derivation.warnings)
    if reverse is None:
        warnings.append(
            "the reverse-mode column is left out: the graph is too big to backpropagate from every node"
        )
    rows = []
    with np.errstate(all="ignore"):
        for node in derivation.nodes:
            before = np.asarray(node.value)
            change = after[node.id] - before
            moved = None if reverse is None else reverse[node.id]
            rows.append(NudgeRow(node, before, after[node.id], change, change / h, moved))
    return Nudge(derivation, target, index, h, rows, warnings)


def _target(nodes: list[NodeRecord], name: str) -> NodeRecord:
    """The node called `name` (constants cannot be nudged), or an error that lists the names."""
    target = next((node for node in nodes if node.op != "const" and node.name == name), None)
    if target is None:
        known = [node.name for node in nodes if node.op != "const"]
        near = suggest(name, known)
        raise GradcliError(
            f"--perturb names {name!r}, which is not a node of the program",
            hint=(f"did you mean {near!r}? " if near else "") + "the nodes are: " + ", ".join(known),
        )
    return target


def _delta(target: NodeRecord, name: str, index: tuple[int, ...] | None, h: float) -> np.ndarray:
    """What the nudge adds to the target's value: h at `index`, or at every element."""
    shape = np.shape(target.value)
    delta = np.zeros(shape)
    if index is None:
        delta += h
        return delta
    if len(index) != len(shape) or not all(-n <= i < n for i, n in zip(index, shape, strict=True)):
        where = f"shape {shape}" if shape else "a scalar: leave the index out"
        raise GradcliError(f"--perturb {name}{index_label(index)}: no such element, {name} is {where}")
    delta[index] = h
    return delta


def _replay(nodes: list[Node], target: int, delta: np.ndarray, depends: list[bool]) -> list[np.ndarray]:
    """The values with node `target` moved by `delta`: the nodes downstream recomputed, the others kept."""
    values = [np.asarray(node.value) for node in nodes]
    with np.errstate(all="ignore"):
        for node in nodes:
            if node.id == target:
                values[node.id] = values[node.id] + delta
            elif depends[node.id]:
                forward, options = OPS[node.op].forward, dict(node.options)
                again = forward(*(nodes[i].value for i in node.inputs), **options)
                if not np.array_equal(again, node.value, equal_nan=True):
                    raise GradcliError(f"cannot nudge through {node.name} ({node.op}): it does not recompute")
                values[node.id] = np.asarray(forward(*(values[i] for i in node.inputs), **options))
    return values


def _reverse_column(
    graph: Graph, target: int, depends: list[bool], direction: np.ndarray
) -> list[np.ndarray] | None:
    """∂node/∂target (along the nudge's direction) for every node, by backpropagating from each;
    None when that takes more than MAX_REVERSE_PASSES backward passes."""
    nodes = graph.nodes
    passes = sum(np.size(node.value) for node in nodes if depends[node.id])
    if passes > MAX_REVERSE_PASSES:
        return None
    column: list[np.ndarray] = []
    for node in nodes:
        value = np.asarray(node.value)
        if not depends[node.id]:
            column.append(np.zeros(value.shape))
            continue
        # The same graph read with `node` as its output: ∂node[k]/∂target for every element k.
        rows = jacobian_rows(dataclasses.replace(graph, output=node.id), depends, keep={target})[target]
        if rows is None:
            column.append(np.zeros(value.shape))
            continue
        entries = np.sum(rows * direction, axis=tuple(range(1, rows.ndim)))
        column.append(entries.reshape(value.shape))
    return column
