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


# --- examples ---

from typing import TYPE_CHECKING  # noqa: E402

if TYPE_CHECKING:  # the examples are read when asked for, not at every start-up
    from .records.examples import SeedExamples


def seed_examples() -> SeedExamples:
    """The worked examples of the seed notebooks (what `gradcli demo` lists and runs, and
    docs/seeds.md shows): each notebook's title, every example in order (a gradcli command, or
    why there is none), and the one the demo runs by default. Read only when asked for."""
    from .examples import SEED_EXAMPLES

    return SEED_EXAMPLES
