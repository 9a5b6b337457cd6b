"""The Python API: the one entry point the CLI calls, one function per thing a command does.

>>> import gradcli
>>> result = gradcli.evaluate("(a+b)*(b+1)", a=2, b=1)
>>> float(result.value), {k: float(v) for k, v in result.gradient.items()}
(6.0, {'a': 2.0, 'b': 5.0})
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from . import evaluation
from .compiled import Compiled, compile
from .derivation import build_derivation
from .errors import GradcliError
from .expr import Program
from .graph import build_graph, program_names
from .ops import CONSTANTS
from .parse import parse_program
from .result import Derivation
from .values import parse_at

__all__ = [
    "Compiled",
    "Derivation",
    "GradcliError",
    "compile",
    "evaluate",
    "outline",
    "parse_at",
]


def evaluate(
    source: str | Program,
    at: Mapping[str, object] | None = None,
    /,
    *,
    wrt: Iterable[str] | None = None,
    record_steps: bool = True,
    mode: str = "reverse",
    **values: object,
) -> Derivation:
    """Evaluate `source` at the given values and backpropagate from its output.

    `at` (or keyword arguments) binds the free variables to numbers or arrays; `wrt` limits
    which variables get gradients (default: all). Returns the Derivation: value, gradients,
    every node and every backward step (none if `record_steps` is False: faster, and lighter
    on big arrays). `mode="forward"` computes the gradients by forward mode instead (all the
    tangents of a variable pushed through the graph at once): the same numbers, no backward
    steps. `source` and `at` are positional-only, so variables may be called `source` or `at`.
    Raises GradcliError for bad input.
    """
    given = {**(at or {}), **values}
    return evaluation.evaluate(source, given, wrt, record_steps, mode, record=Derivation)


def outline(source: str | Program) -> Derivation:
    """The graph's structure alone, for drawing without values: every free variable is a
    placeholder, so shapes are unknown rather than wrong, and nothing is differentiated."""
    program = parse_program(source) if isinstance(source, str) else source
    names = program_names(program)
    placeholders = {name: np.float64(1.0) for name in names.free if name not in CONSTANTS}
    graph = build_graph(program, placeholders, names, shapes_known=False)
    count = len(graph.nodes)
    return build_derivation(
        graph, placeholders, {}, [None] * count, [], (), [False] * count, [], record=Derivation
    )


# --- symbolic derivatives and the Hessian ---

from .records.hessian import HessianRecord  # noqa: E402  (this section is appended)
from .records.symbolic import DerivativesRecord  # noqa: E402


class Derivatives(DerivativesRecord):
    """What `diff` returns: the derivatives as programs of expressions, and their JSON (the
    other formats are `gradcli.render.diff`'s, which the CLI calls)."""

    def to_json(self) -> str:
        """What `gradcli diff --json` prints."""
        from .render import diff as render_diff

        return render_diff.to_json(self)


def diff(source: str | Program, /, wrt: Iterable[str] | None = None) -> Derivatives:
    """The derivative of `source`'s output with respect to each variable in `wrt`, symbolically.

    The backward pass run on formulas instead of numbers (the rules `evaluate` uses), then
    simplified; a subexpression used more than once is named once. Every free name except the
    constants `pi` and `e` is a scalar variable; `wrt` defaults to all of them. Each derivative
    is a program of expressions (`result.programs[name]`; all of them, shared parts once:
    `result.combined`), written in gradcli's language by `gradcli.render.diff`. Raises
    GradcliError for bad input, a `wrt` name that is not a variable, and array expressions.
    """
    from .symbolic import differentiate

    return differentiate(source, wrt, record=Derivatives)


def hessian(
    source: str | Program,
    at: Mapping[str, object] | None = None,
    /,
    *,
    wrt: Iterable[str] | None = None,
    **values: object,
) -> HessianRecord:
    """The Hessian of `source`'s output at the given values (keyword arguments or `at`).

    Row i is the gradient of the symbolic derivative ∂output/∂wrt[i] (what `diff` gives),
    computed by reverse mode: reverse-over-reverse, exact up to rounding, no finite differences.
    `wrt` (default: every variable) gives the rows and columns. Scalar variables only. `source`
    and `at` are positional-only, so variables may be called `source` or `at`. Raises
    GradcliError for bad input, array values and array operations.
    """
    from . import hessian as _hessian

    return _hessian.hessian(source, {**(at or {}), **values}, wrt=wrt)
