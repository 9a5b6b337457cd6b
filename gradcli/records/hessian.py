"""The record of `gradcli hessian`: the value, the gradient and the Hessian at one point."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .symbolic import DerivativeProgram


def element_labels(shapes: Mapping[str, tuple[int, ...]]) -> tuple[str, ...]:
    """A row's label for each element, in order: `x` for a number, `x[2]`, `W[0,1]` (C order)."""
    labels: list[str] = []
    for name, shape in shapes.items():
        if not shape:
            labels.append(name)
        else:
            labels += [f"{name}[{','.join(map(str, index))}]" for index in np.ndindex(*shape)]
    return tuple(labels)


@dataclass(frozen=True, eq=False, repr=False)
class HessianRecord:
    """The value, the gradient and the Hessian of a program's output at one point."""

    source: str
    at: dict[str, np.ndarray]
    output: str  # the output node's name
    variables: tuple[str, ...]  # the variables differentiated by, in this order
    value: np.ndarray
    gradient: dict[str, np.ndarray]
    matrix: np.ndarray  # matrix[i, j] = ∂²output/∂element_i∂element_j (the elements: `labels`)
    derivatives: dict[str, DerivativeProgram]  # variable -> the program for ∂output/∂variable, differentiated
    warnings: list[str] = field(default_factory=list)
    # The rows and columns: each variable's elements in C order (`x`, `W[0,1]`; none for an
    # empty array); None: the variables themselves, one number each.
    labels: tuple[str, ...] | None = None
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)

    @property
    def rows(self) -> tuple[str, ...]:
        """The label of each row and column of `matrix`."""
        return self.variables if self.labels is None else self.labels

    @property
    def arrays(self) -> bool:
        """Some variable is an array: its rows are its elements."""
        return any(len(shape) > 0 for shape in self.shapes.values())
