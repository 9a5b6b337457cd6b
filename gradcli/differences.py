"""Finite differences at one point, for the gradient check (gradcheck.py): the program
evaluated and differentiated there (`Point`), central and one-sided differences with their
truncation and rounding-noise estimates at a step h (`estimate`), and the noise scale S.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .backprop import needs_grad
from .evaluation import evaluate, jacobian_rows
from .expr import Program
from .graph import Graph, Node, ProgramNames, build_graph
from .records import DerivationRecord

MACHINE_EPS = float(np.finfo(np.float64).eps)


@dataclass
class Point:
    """The program evaluated and differentiated at one point, with what the rows need from it."""

    program: Program
    names: ProgramNames
    wrt: tuple[str, ...] | None  # the variables checked; None: all
    derivation: DerivationRecord
    graph: Graph  # the engine's own graph at this point, for its walks (the record is for reading)
    grads: list[list[np.ndarray | None]]  # ∂output[k]/∂node for every node, per output element k
    values: dict[str, np.ndarray]
    components: list[tuple[int, ...]]  # the output's elements; [()] for a scalar output

    @classmethod
    def at(
        cls, program: Program, names: ProgramNames, values: Mapping[str, object], wrt: tuple[str, ...] | None
    ) -> Point:
        derivation = evaluate(program, values, wrt)
        arrays = {n: np.array(v, dtype=np.float64) for n, v in derivation.at.items()}
        graph = build_graph(program, arrays, names)
        value = np.asarray(derivation.value)
        # A one-element output is differentiated as a scalar (the contract).
        components = [()] if value.size == 1 else list(np.ndindex(value.shape))
        grads = node_grads(derivation, graph)
        return cls(program, names, wrt, derivation, graph, grads, arrays, components)

    def run(self, values: dict[str, np.ndarray]) -> list[Node]:
        """The nodes of the program evaluated at `values` (the same graph, other numbers)."""
        return build_graph(self.program, values, self.names).nodes

    def shifted(self, name: str, index: tuple[int, ...], offset: float) -> dict[str, np.ndarray]:
        moved = self.values[name].copy()
        moved[index] = moved[index] + offset
        return {**self.values, name: moved}

    def reverse(self, name: str, index: tuple[int, ...]) -> np.ndarray:
        """Reverse mode's gradient element, for every output element."""
        gradient = np.asarray(self.derivation.gradient[name])
        scalar = self.components == [()]
        return np.array(
            [float(np.asarray(gradient[index] if scalar else gradient[k + index])) for k in self.components]
        )


def node_grads(derivation: DerivationRecord, graph: Graph) -> list[list[np.ndarray | None]]:
    """∂output[k]/∂node for every node: the backward pass's own for a scalar output, else the
    Jacobian rows from every output element at once."""
    if np.size(derivation.value) == 1:
        return [[node.grad for node in derivation.nodes]]
    needs = needs_grad(graph, set(graph.variables.values()))
    rows = jacobian_rows(graph, needs, keep=set(range(len(graph.nodes))))
    return [[None if row is None else row[k] for row in rows] for k in range(np.size(derivation.value))]


@dataclass
class Estimate:
    """Finite differences at one step h, one entry per output element."""

    h: float
    fd_h: np.ndarray
    fd_h2: np.ndarray
    fd: np.ndarray
    truncation: np.ndarray
    noise: np.ndarray
    left: np.ndarray
    right: np.ndarray
    noise_one_sided: np.ndarray
    plus: list[Node]  # the graph at x + h and x - h, to see which kinks the variable moves
    minus: list[Node]

    def settled(self, atol: float, rtol: float) -> bool:
        """Whether this step's difference can be trusted: truncation within the tolerance (or the
        noise, which a smaller step would only raise), and noise well below the difference itself.
        Reverse mode, the thing under test, has no say."""
        size = np.abs(self.fd)
        return bool(
            np.all(np.isfinite(self.fd))
            and np.all(self.truncation <= atol + rtol * size + self.noise)
            and np.all(self.noise <= atol + 0.1 * size)
        )

    @property
    def uncertainty(self) -> float:
        total = self.truncation + self.noise
        return float(np.max(total)) if np.all(np.isfinite(total)) else math.inf


def estimate(point: Point, name, index, h, noise_sum) -> Estimate:
    def at(offset: float) -> tuple[np.ndarray, float, list[Node]]:
        values = point.shifted(name, index, offset)
        nodes = point.run(values)
        output = np.asarray(nodes[point.derivation.output].value, dtype=np.float64).ravel()
        return output, float(values[name][index]), nodes

    f0 = np.asarray(point.derivation.value, dtype=np.float64).ravel()
    with np.errstate(all="ignore"):
        fp, xp, plus = at(h)
        fm, xm, minus = at(-h)
        fp2, xp2, _ = at(h / 2)
        fm2, xm2, _ = at(-h / 2)
        # Divide by the steps actually taken: x + h is rounded, the difference of arguments is exact.
        fd_h = (fp - fm) / (xp - xm)
        fd_h2 = (fp2 - fm2) / (xp2 - xm2)
        fd = (4.0 * fd_h2 - fd_h) / 3.0
        left = (3.0 * f0 - 4.0 * fm2 + fm) / h
        right = (-3.0 * f0 + 4.0 * fp2 - fp) / h
        # Worst-case rounding: each f carries ε·S, weighted by the coefficients of each formula.
        noise = 3.0 * MACHINE_EPS * noise_sum / h
        noise_one_sided = 8.0 * MACHINE_EPS * noise_sum / h
        truncation = np.abs(fd_h - fd_h2)
    return Estimate(h, fd_h, fd_h2, fd, truncation, noise, left, right, noise_one_sided, plus, minus)


def noise_sums(derivation: DerivationRecord, grads, depends: list[bool]) -> np.ndarray:
    """S = Σ |v · ∂f/∂v| over the non-constant nodes that depend on the variable, per output element."""
    sums = []
    for node_grads in grads:
        total = 0.0
        for node in derivation.nodes:
            grad = node_grads[node.id]
            if not depends[node.id] or node.op == "const" or grad is None:
                continue
            with np.errstate(all="ignore"):
                terms = np.abs(np.asarray(node.value) * grad)
            total += float(np.sum(terms[np.isfinite(terms)]))
        sums.append(total)
    return np.array(sums)
