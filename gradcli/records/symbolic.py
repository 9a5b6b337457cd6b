"""The records of `gradcli diff`: each derivative as a small program of expressions.

The expressions are gradcli's own AST, so a renderer prints them in gradcli's language (they
parse back) or in LaTeX, and `hessian` evaluates them as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..expr import Assign, Expr, Statement


@dataclass(frozen=True, eq=False, repr=False)
class Binding:
    """`name = expr`: a term the derivatives share, or one too big to write inline."""

    name: str
    expr: Expr
    adjoint_of: str | None = None  # `d_c = ...` is ∂output/∂c


@dataclass(frozen=True, eq=False, repr=False)
class DerivativeProgram:
    """Named subexpressions, then one derivative per variable: gradcli source when printed."""

    bindings: tuple[Binding, ...]
    results: tuple[tuple[str, str, Expr], ...]  # (variable, its name `d_x` in a combined program, expr)

    def statements(self) -> tuple[Statement, ...]:
        """The program's statements. With one variable the last is the derivative itself (so
        `gradcli eval` gives its value); with several, the last are `d_x = ...`, one a variable."""
        named: list[Statement] = [Assign(b.name, b.expr) for b in self.bindings]
        if len(self.results) == 1:
            return (*named, self.results[0][2])
        return (*named, *(Assign(name, expr) for _, name, expr in self.results))


@dataclass(frozen=True, eq=False, repr=False)
class DerivativesRecord:
    """What `gradcli diff` prints: the derivative of the output by each variable."""

    source: str
    output: str  # the output node's name
    wrt: tuple[str, ...]
    combined: DerivativeProgram  # all derivatives, shared parts once
    programs: dict[str, DerivativeProgram]  # variable -> a standalone program ending with its derivative
    warnings: list[str] = field(default_factory=list)
    # The shapes the formulas are written for, when values were given (empty: every variable a
    # number, and no values).
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)

    @property
    def arrays(self) -> bool:
        """Some variable is an array: the program holds for its shape only."""
        return any(len(shape) > 0 for shape in self.shapes.values())
