"""Second derivatives by reverse-over-reverse: differentiate the backward pass itself.

`gradcli.symbolic` writes ∂output/∂x as a program in gradcli's language (the backward pass as
formulas, in x's shape); reverse mode run on that program gives its gradient, or, for an array
x, its Jacobian: the rows of the Hessian that belong to x's elements. No finite differences: the
same op table, applied twice. Every element of every variable is a row and a column (`W[0,1]`),
so the matrix has n × n entries for n elements in all: above `MAX_ELEMENTS` it is refused.

At a kink the second derivative is the derivative of the first derivative's formula, which
follows the first's convention: relu'' = step' = 0, and likewise for abs, max, clip and the
other piecewise-linear ops.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from .errors import GradcliError
from .evaluation import evaluate
from .expr import Program
from .graph import program_names
from .parse import parse_program
from .records.hessian import HessianRecord, element_labels
from .records.symbolic import DerivativeProgram
from .symbolic import differentiate

# The matrix has n² entries for n elements; each row comes from a backward pass over the
# derivative program: 2,000 elements are 4 million entries, computed in seconds.
MAX_ELEMENTS = 2000


def _check_size(sizes: Mapping[str, int]) -> None:
    total = sum(sizes.values())
    if total <= MAX_ELEMENTS:
        return
    largest = max(sizes, key=lambda name: sizes[name])
    raise GradcliError(
        f"the Hessian over {total:,} elements would have {total * total:,} entries; "
        f"gradcli computes Hessians over at most {MAX_ELEMENTS:,} elements",
        hint=f"choose fewer variables with --wrt (the largest is {largest!r}, {sizes[largest]:,} elements), "
        "or give smaller arrays",
    )


def _check_output(value: np.ndarray) -> None:
    if np.size(value) != 1:
        raise GradcliError(
            f"hessian differentiates an output of one number, but this one has shape {np.shape(value)}",
            hint="reduce it to one number, e.g. sum(...) or mean(...), or take one element with [i]",
        )


def hessian(
    source: str | Program,
    at: Mapping[str, object] | None = None,
    *,
    wrt: Iterable[str] | None = None,
    **values: object,
) -> HessianRecord:
    """The Hessian of `source`'s output at the given values (keyword arguments or `at`).

    The rows (and columns) are the elements of the variables `wrt` (default: every variable), in
    order, each array's elements in C order. The rows of a variable are the Jacobian of its
    symbolic derivative (what `diff` prints), by reverse mode: reverse-over-reverse, exact up to
    rounding. Raises GradcliError for bad input, an output of more than one element, more than
    `MAX_ELEMENTS` elements, and an op whose derivative cannot be differentiated again.
    """
    program = parse_program(source) if isinstance(source, str) else source
    given = {**(at or {}), **values}
    first = evaluate(program, given, wrt=wrt)
    _check_output(first.value)
    variables = tuple(dict.fromkeys(first.wrt))
    arrays = {name: np.asarray(first.at[name], dtype=np.float64) for name in variables}
    _check_size({name: array.size for name, array in arrays.items()})
    warnings = list(first.warnings)
    programs: dict[str, DerivativeProgram] = {}
    if variables:  # (with none, there is nothing to differentiate, and diff would say so)
        derivatives = differentiate(program, variables, variables=first.at)
        programs = derivatives.programs
        warnings += [w for w in derivatives.warnings if w not in warnings]
    total = sum(array.size for array in arrays.values())
    rows = [_rows(programs[name], given, arrays, name) for name in variables]
    matrix = np.concatenate(rows) if rows else np.zeros((0, total))
    if not np.all(np.isfinite(matrix)):
        warnings.append("some second derivatives are not finite")
    return HessianRecord(
        source=first.source,
        at=dict(first.at),
        output=first.output_node.name,
        variables=variables,
        value=first.value,
        gradient=dict(first.gradient),
        matrix=matrix,
        derivatives=programs,
        warnings=warnings,
        labels=element_labels({name: array.shape for name, array in arrays.items()}),
        shapes={name: array.shape for name, array in arrays.items()},
    )


def _rows(
    derivative: DerivativeProgram, given: Mapping[str, object], arrays: dict[str, np.ndarray], name: str
) -> np.ndarray:
    """The Jacobian of ∂output/∂name (a program) by every variable: name's rows of the Hessian,
    one per element of name, one column per element of every variable."""
    # Evaluated as the expressions it is made of: what `diff` prints parses back to the same.
    program = Program(derivative.statements(), source="")
    free = program_names(program).free
    reads = [other for other in arrays if other in free]
    # A variable named like a constant (`e`) is read as a variable here too, as in the source.
    bound = {other: given[other] for other in given if other in free}
    result = evaluate(program, bound, wrt=reads, record_steps=False)
    shape = arrays[name].shape
    value_shape = np.shape(result.value)
    # The derivative has name's shape, or is a number that broadcasts to it (0).
    padded = (1,) * (len(shape) - len(value_shape)) + value_shape
    size = int(np.prod(shape, dtype=int))
    blocks = []
    for other, array in arrays.items():
        if other not in reads:
            blocks.append(np.zeros((size, array.size)))
            continue
        jacobian = np.reshape(result.gradient[other], padded + array.shape)
        full = np.broadcast_to(jacobian, shape + array.shape)
        blocks.append(np.reshape(full, (size, array.size)))
    return np.concatenate(blocks, axis=1)
