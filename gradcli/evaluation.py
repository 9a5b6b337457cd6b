"""Evaluating a program at one point: bind the values, build the graph, differentiate (by
reverse mode, forward mode, or a batched backward pass per output element for a Jacobian), and
return the frozen record. Features (check, hessian, descend, ...) call this; the public API
(`api.evaluate`) adds parsing and the output methods on top.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

import numpy as np

from .backprop import backprop, backprop_seeds, needs_grad, seed_chunks
from .binding import as_array, check_values, wrt_not_a_variable
from .derivation import all_finite, build_derivation, first_non_finite
from .errors import GradcliError
from .expr import Program
from .gcpause import no_gc
from .graph import ProgramNames, build_graph, program_names
from .parse import parse_program
from .records import DerivationRecord

R = TypeVar("R", bound=DerivationRecord)

MODES = ("reverse", "forward")


def evaluate(
    source: str | Program,
    values: Mapping[str, object],
    wrt: Iterable[str] | None = None,
    record_steps: bool = True,
    mode: str = "reverse",
    *,
    record: type[R] = DerivationRecord,
) -> R:
    """Parse `source` (unless it is parsed already), evaluate it at `values` and differentiate.
    Raises GradcliError for bad input."""
    if mode not in MODES:
        raise GradcliError(
            f"unknown mode {mode!r}", hint="the modes are reverse (backpropagation) and forward"
        )
    with no_gc():
        program = parse_program(source) if isinstance(source, str) else source
        return evaluate_program(program, dict(values), wrt, record_steps, mode=mode, record=record)


def evaluate_program(
    program: Program,
    given: dict[str, object],
    wrt: Iterable[str] | None,
    record_steps: bool,
    names: ProgramNames | None = None,
    mode: str = "reverse",
    *,
    record: type[R] = DerivationRecord,
) -> R:
    """`evaluate` of a parsed program (`names`: its names, when already known): bind the values,
    build the graph, differentiate. `Compiled.__call__` calls it without parsing again."""
    warnings: list[str] = []
    names = program_names(program) if names is None else names
    check_values(program, names, given, warnings)
    arrays = {name: as_array(name, value) for name, value in given.items()}
    wrt_names = tuple(arrays) if wrt is None else tuple(wrt)
    for name in wrt_names:
        if name not in arrays:
            raise wrt_not_a_variable(name, arrays)

    graph = build_graph(program, arrays, names)
    needs = needs_grad(graph, {graph.variables[name] for name in wrt_names})
    output = graph.nodes[graph.output]
    trace = None
    if mode == "forward":
        gradient, trace = _forward(graph, wrt_names, arrays, record_steps)
        grads, steps, needs = [None] * len(graph.nodes), [], [False] * len(graph.nodes)
    elif output.value.size == 1:
        grads, steps = backprop(graph, needs, record=record_steps)
        gradient = {name: grads[graph.variables[name]] for name in wrt_names}
        for name, grad in gradient.items():
            if grad is None:
                warnings.append(f"the output does not depend on {name!r}: its gradient is 0")
                gradient[name] = np.zeros_like(arrays[name])
    else:
        grads, steps = [None] * len(graph.nodes), []
        gradient = _jacobians(graph, needs, wrt_names, arrays)
        if record_steps:
            warnings.append(
                "the output is an array: gradients are Jacobians, and steps are shown for scalar outputs only"
            )
    if not all_finite(gradient.values()):
        for name, grad in gradient.items():
            if not np.all(np.isfinite(grad)):
                warnings.append(
                    f"the gradient with respect to {name!r} is not finite: {np.asarray(grad).tolist()}"
                )
    problem = first_non_finite(graph)
    if problem:
        warnings.append(problem)
    warnings += _cut_notes(graph, steps)
    return build_derivation(
        graph, arrays, gradient, grads, steps, wrt_names, needs, warnings, mode, record=record, trace=trace
    )


def _forward(graph, wrt_names: tuple[str, ...], arrays: dict[str, np.ndarray], record_steps: bool):
    """Forward mode's gradients, and (when steps are recorded) the tangent trace of the first
    variable for its table: (name, seeded element, rows), or None."""
    from .forward import forward_gradients, tangent_trace

    size = graph.nodes[graph.output].value.size
    if size > 1:
        check_jacobian_size(size, {name: arrays[name].size for name in wrt_names})
    gradient = forward_gradients(graph, wrt_names)
    if not (record_steps and wrt_names):
        return gradient, None
    return gradient, (wrt_names[0], *tangent_trace(graph, wrt_names[0]))


def _cut_notes(graph, steps) -> list[str]:
    """Say where a cut kept an inf or nan partial out of the gradient (a step reads nan × 0 = 0)."""
    notes = []
    for step in steps:
        if step.cut:
            of, wrt = graph.nodes[step.of].name, graph.nodes[step.wrt].name
            notes.append(
                f"step {of} → {wrt}: no gradient reaches {of} here (a branch where() did not choose, "
                "or a comparison's operand), so its non-finite partial is not multiplied: 0 is passed "
                "on, where torch.where would give nan"
            )
    return notes


# A Jacobian of n_out × n_in entries costs 8 bytes an entry as float64, and about 8 times that on
# its way out (its copy as Python floats for JSON, the printed text): 2 GB buys 2**25 entries, so
# tanh(x) at 5,000 elements (25 million entries) is served and at 6,000 (36 million) refused.
JACOBIAN_BUDGET_BYTES = 2 * 1024**3
BYTES_PER_ENTRY = 8 * 8
MAX_JACOBIAN_ENTRIES = JACOBIAN_BUDGET_BYTES // BYTES_PER_ENTRY


def check_jacobian_size(output_size: int, sizes: Mapping[str, int]) -> None:
    """Refuse a Jacobian that would not fit in memory (GradcliError: exit 2), naming its size."""
    entries = output_size * sum(sizes.values())
    if entries <= MAX_JACOBIAN_ENTRIES:
        return
    shown = " + ".join(f"{size:,}" for size in sizes.values())
    inputs = shown if len(sizes) == 1 else f"({shown})"
    raise GradcliError(
        f"the Jacobian has {output_size:,} × {inputs} = {entries:,} entries "
        f"(about {entries * BYTES_PER_ENTRY / 1024**3:.1f} GB to compute and print), "
        f"more than the {MAX_JACOBIAN_ENTRIES:,} entries gradcli allows "
        f"({JACOBIAN_BUDGET_BYTES // 1024**3} GB)",
        hint="differentiate a scalar, such as sum(...) of the output, or ask for fewer variables with --wrt",
    )


def jacobian_rows(graph, needs: list[bool], keep: set[int]) -> list[np.ndarray | None]:
    """∂output[k]/∂node for the nodes in `keep`, every output element k at once: a leading axis
    of the output's size, from batched backward passes over the one-hot seeds (chunked to bound
    memory; no Python loop per element)."""
    output = graph.nodes[graph.output].value
    in_flight = sum(np.size(node.value) for node, needed in zip(graph.nodes, needs, strict=True) if needed)
    parts = [backprop_seeds(graph, needs, seeds, keep) for seeds in seed_chunks(output.shape, in_flight)]
    rows: list[np.ndarray | None] = [None] * len(graph.nodes)
    for node_id in keep:
        found = [part[node_id] for part in parts]
        if found and found[0] is not None:
            rows[node_id] = np.concatenate(found) if len(found) > 1 else found[0]
    return rows


def _jacobians(
    graph, needs: list[bool], wrt_names: tuple[str, ...], arrays: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Row k of each Jacobian is the gradient of output k: all rows from one batched backward pass."""
    output = graph.nodes[graph.output].value
    check_jacobian_size(output.size, {name: arrays[name].size for name in wrt_names})
    if output.size == 0:  # an empty output (x = []) has an empty Jacobian
        return {name: np.zeros(output.shape + arrays[name].shape) for name in wrt_names}
    rows = jacobian_rows(graph, needs, {graph.variables[name] for name in wrt_names})
    result = {}
    for name in wrt_names:
        found = rows[graph.variables[name]]
        jacobian = np.zeros((output.size, *arrays[name].shape)) if found is None else found
        result[name] = jacobian.reshape(output.shape + arrays[name].shape)
    return result
