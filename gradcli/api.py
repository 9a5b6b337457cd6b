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


# --- gradient check and --perturb ---
# The feature modules load on the first call: at import they would cost every command (eval
# too) several milliseconds of start-up. So the defaults below are written out: they are
# check.Settings' own, and tests/test_arch_check.py keeps the two equal.
from typing import TYPE_CHECKING  # noqa: E402  (with the imports at the top, once the API is whole)

if TYPE_CHECKING:
    from .records.check import CheckResult, Nudge


def check(
    source: str | Program,
    at: Mapping[str, object] | None = None,
    /,
    *,
    wrt: Iterable[str] | None = None,
    eps: float = 6e-6,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    **values: object,
) -> CheckResult:
    """Check reverse mode against finite differences, element by element, at one point.

    `at` (or keyword arguments) binds the free variables, as for `evaluate`; `wrt` limits the
    check to some variables (default: all). Every element of every checked variable's gradient
    (every entry of the Jacobian, for an array output) gets a Row: the reverse-mode value, the
    Richardson-extrapolated central difference with step h = eps·max(1, |x|), the errors, and a
    verdict, "ok", "kink" (not differentiable there: reverse mode gave its convention's value)
    or "FAIL" (when |reverse − fd| > atol + rtol·max(|reverse|, |fd|) + noise). The result's
    `passed` is False when a row fails. Raises GradcliError for bad input (the program, the
    values, `wrt`, eps outside (0, 1), a negative tolerance), or when the output is not finite
    at the point.
    """
    from . import check as gradient_check

    given = {**(at or {}), **values}
    settings = gradient_check.Settings(eps, rtol, atol)
    return gradient_check.check(source, given, wrt, settings)


def perturb(
    source: str | Program, at: Mapping[str, object] | None = None, /, *, spec: str, **values: object
) -> Nudge:
    """Nudge one node by h and recompute every node downstream (seed 002's narration).

    `spec` names the node and the nudge: `u` (h = 0.001), `u=0.5`, `x[1]=0.5` for one element of
    an array (every element without an index). `at` (or keyword arguments) binds the free
    variables, as for `evaluate`. Each row of the Nudge holds a node's value before and after,
    the change, change/h (the finite-difference estimate of ∂node/∂target) and the same
    derivative by reverse mode (None when the graph is too big for a backward pass per node).
    Raises GradcliError for a bad spec, a name that is not a node of the program, an element
    that is not there, or bad input.
    """
    from . import perturb as nudging

    given = {**(at or {}), **values}
    return nudging.perturb(source, given, spec)
