"""Second derivatives by reverse-over-reverse: differentiate the backward pass itself.

`gradcli.symbolic` writes ∂output/∂x_i as a program in gradcli's language (the backward pass as
formulas); running reverse mode on that program gives its gradient, which is row i of the
Hessian. No finite differences: the same op table, applied twice. Scalar variables only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import suppress

import numpy as np

from .errors import GradcliError
from .evaluation import evaluate
from .expr import Program
from .graph import program_names
from .parse import parse_program
from .records.hessian import HessianRecord
from .records.symbolic import DerivativeProgram
from .symbolic import differentiate
from .values import AtValue

SCALAR_ONLY = "hessian supports scalar variables"
ELEMENTWISE_ONLY = "hessian supports scalar variables and elementwise operations for now"


def _scalar(name: str, value: object) -> None:
    array = value.value if isinstance(value, AtValue) else np.asarray(value, dtype=np.float64)
    if np.ndim(array) != 0:
        error = GradcliError(
            SCALAR_ONLY,
            hint=f"{name} has shape {tuple(np.shape(array))}; give each variable one number "
            "(`gradcli eval` gives gradients and Jacobians of arrays)",
        )
        if isinstance(value, AtValue):
            error.span, error.source, error.label = value.span, value.text, "--at"
        raise error


def hessian(
    source: str | Program,
    at: Mapping[str, object] | None = None,
    *,
    wrt: Iterable[str] | None = None,
    **values: object,
) -> HessianRecord:
    """The Hessian of `source`'s output at the given values (keyword arguments or `at`).

    Row i is the gradient of the symbolic derivative ∂output/∂wrt[i], computed by reverse mode:
    reverse-over-reverse, exact up to rounding. `wrt` (default: every variable) gives the rows
    and columns. Raises GradcliError for bad input and for array values.
    """
    program = parse_program(source) if isinstance(source, str) else source
    given = {**(at or {}), **values}
    for name, value in given.items():
        with suppress(TypeError, ValueError):  # not a number at all: evaluate says so
            _scalar(name, value)
    first = evaluate(program, given, wrt=wrt)
    for name, value in first.at.items():
        _scalar(name, value)
    variables = tuple(dict.fromkeys(first.wrt))
    programs: dict[str, DerivativeProgram] = {}
    if variables:  # (with none, there is nothing to differentiate, and diff would say so)
        programs = differentiate(program, variables, variables=first.at, refusal=ELEMENTWISE_ONLY).programs
    matrix = np.zeros((len(variables), len(variables)))
    warnings = list(first.warnings)
    for i, name in enumerate(variables):
        row = _row(programs[name], given, variables)
        matrix[i] = [row.get(other, 0.0) for other in variables]
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
    )


def _row(
    derivative: DerivativeProgram, given: Mapping[str, object], variables: tuple[str, ...]
) -> dict[str, float]:
    """The gradient of a derivative program: the variables it reads get one, the rest 0."""
    # Evaluated as the expressions it is made of: what `diff` prints parses back to the same.
    program = Program(derivative.statements(), source="")
    free = program_names(program).free
    reads = [name for name in variables if name in free]
    # A variable named like a constant (`e`) is read as a variable here too, as in the source.
    bound = {name: given[name] for name in given if name in free}
    result = evaluate(program, bound, wrt=reads, record_steps=False)
    return {name: float(result.gradient[name]) for name in reads}
