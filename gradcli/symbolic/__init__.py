"""Symbolic derivatives: the backward pass run on formulas instead of numbers, written out as a
program in gradcli's own language (what `gradcli diff` prints and `gradcli hessian`
differentiates again).

    backward.py  the symbolic backward pass over the graph (the op table's formulas, one DAG)
    numeric.py   the values behind the terms: shapes over arrays, each step checked against its rule
    canonical.py diff's derivatives as a student writes them (a canonical sum of products)
    convert.py   formulas to terms and back (indexing, array literals, list inputs, string options)
    writer.py    the DAG written as a small program, shared terms named once

Scalar programs need no values: every free name is a number. Over arrays the formulas depend on
the shapes (`mean(x)`'s partial is `grad/6` for six elements, a gradient is summed back over the
axes its input was broadcast along), so the variables' values are given, and the program is
written for those shapes. The simplification rules are `gradcli.simplify`'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TypeVar

import numpy as np

from ..binding import as_array, check_values, check_wrt
from ..errors import GradcliError
from ..expr import Program
from ..graph import Graph, build_graph, program_names, program_ops
from ..ops import CONSTANTS
from ..parse import parse_program
from ..records.symbolic import DerivativesRecord
from ..simplify import Terms
from .backward import Accumulation, accumulate
from .canonical import canonical_roots
from .writer import write_program

SCALAR_ONLY = "diff supports scalar expressions for now; for arrays, give their values with --at"

_ARRAYS_HINT = (
    "the formulas depend on the arrays' shapes: give each array a value of its shape, as in "
    'gradcli diff "sum(W @ x)" --at W=[[1,2],[3,4]],x=[1,1] (gradcli eval gives the numbers)'
)


def check_program(program: Program, message: str = SCALAR_ONLY) -> None:
    """Refuse array syntax and array ops when no values say the shapes: without them, a program
    such as `sum(W @ x)` would otherwise fail with a puzzling shape error."""
    for expr, op in program_ops(program):
        # An op meant for arrays (`@`, softmax, sum, `[a, b]`, `x[0]`) says so in its row.
        if not op.pointwise:
            raise GradcliError(message, span=expr.span, source=program.source, hint=_ARRAYS_HINT)


R = TypeVar("R", bound=DerivativesRecord)


def _scalar(program: Program, values: Mapping[str, object]) -> bool:
    """Every variable a number and no array syntax or op: the canonical rules hold."""
    if any(np.ndim(value) for value in values.values()):
        return False
    try:
        check_program(program)
    except GradcliError:
        return False
    return True


def _canonical(acc: Accumulation) -> Accumulation:
    """The accumulation with its derivatives in canonical form; a node's term (or its adjoint's)
    that has one too is replaced by it, so the writer still names it as the graph does."""
    forms, roots = canonical_roots(acc.terms, acc.roots)

    def mapped(term: int | None) -> int | None:
        return forms(term) if term is not None and term in forms.forms else term

    forward = [mapped(t) for t in acc.forward]
    adjoint = [mapped(t) for t in acc.adjoint]
    return replace(acc, forward=forward, adjoint=adjoint, roots=roots)  # type: ignore[arg-type]


def _bound(program: Program, at: Mapping[str, object], warnings: list[str]) -> dict[str, np.ndarray]:
    """The values `diff --at` gives, checked as `eval` checks them; a variable without one is
    a number (the formulas of a number do not depend on its value)."""
    names = program_names(program)
    values = {name: np.float64(1.0) for name in names.free if name not in CONSTANTS}
    values.update({name: as_array(name, value) for name, value in at.items()})
    check_values(program, names, {**values, **at}, warnings)
    return values


def _check_output(graph: Graph) -> None:
    output = graph.nodes[graph.output]
    if np.size(output.value) != 1:
        raise GradcliError(
            f"diff writes the derivatives of one number, but the output has shape {np.shape(output.value)}",
            span=output.span,
            source=graph.source,
            hint="reduce it to one number, e.g. sum(...) or mean(...), or take one element with [i]",
        )


def differentiate(
    source: str | Program,
    wrt: Iterable[str] | None = None,
    variables: Mapping[str, object] | None = None,
    *,
    at: Mapping[str, object] | None = None,
    record: type[R] = DerivativesRecord,
    canonical: bool | None = None,
) -> R:
    """Differentiate the output of `source` with respect to each variable in `wrt`, symbolically.

    `variables` maps every variable to its value (an array's shape shapes the formulas; `hessian`
    passes the point it differentiates at); `at` gives some of them, the others being numbers
    (`diff --at`). Without either, every free name except the constants is a number, and array
    operations (`sum`, `@`, ...) are refused. With values, each step's formula is checked
    against the op's rule at them. `wrt` defaults to every variable. Raises GradcliError for bad
    input, a name in `wrt` that is not a variable, an output of more than one element, array
    expressions without values, and a formula that cannot be differentiated. Returns a `record`
    (the API's own class adds the output methods).

    `canonical` (default: when `variables` is not given, i.e. for `diff`) writes a scalar
    program's derivatives in canonical form (`canonical.py`: like terms collected, `x/x` is 1);
    `hessian` passes `variables` and differentiates the backward pass's own terms.
    """
    if canonical is None:
        canonical = variables is None
    program = parse_program(source) if isinstance(source, str) else source
    names = program_names(program)
    warnings: list[str] = []
    if variables is None and at:
        variables = _bound(program, at, warnings)
    if variables is None:
        check_program(program)
        values = {name: np.float64(1.0) for name in names.free if name not in CONSTANTS}
    else:
        values = {name: as_array(name, value) for name, value in variables.items()}
    graph = build_graph(program, values, names)
    if not graph.variables:
        raise GradcliError(
            "nothing to differentiate: the program has no variables",
            hint='a derivative needs a variable, as in diff "x^2"; pi, e, inf and nan are constants',
        )
    _check_output(graph)
    wrt_names = check_wrt(graph.variables, wrt)
    acc = accumulate(graph, wrt_names, check=variables is not None)
    if canonical and _scalar(program, values):
        acc = _canonical(acc)
    warnings += [
        f"the output does not depend on {name!r}: its derivative is 0"
        for name in wrt_names
        if acc.adjoint[graph.variables[name]] is None
    ]
    shapes = {name: np.shape(graph.nodes[i].value) for name, i in graph.variables.items()}
    return record(
        source=graph.source,
        output=graph.nodes[graph.output].name,
        wrt=wrt_names,
        combined=write_program(acc, wrt_names, names.all),
        programs={name: write_program(acc, (name,), names.all) for name in wrt_names},
        warnings=warnings + acc.warnings,
        shapes={} if variables is None else shapes,
    )


__all__ = [
    "SCALAR_ONLY",
    "Accumulation",
    "Terms",
    "accumulate",
    "check_program",
    "differentiate",
    "write_program",
]
