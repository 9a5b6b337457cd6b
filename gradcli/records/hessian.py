"""The record of `gradcli hessian`: the value, the gradient and the Hessian at one point."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .symbolic import DerivativeProgram


@dataclass(frozen=True, eq=False, repr=False)
class HessianRecord:
    """The value, the gradient and the Hessian of a program's output at one point."""

    source: str
    at: dict[str, np.ndarray]
    output: str  # the output node's name
    variables: tuple[str, ...]  # the rows and columns, in this order
    value: np.ndarray
    gradient: dict[str, np.ndarray]
    matrix: np.ndarray  # matrix[i, j] = ∂²output/∂variables[i]∂variables[j]
    derivatives: dict[str, DerivativeProgram]  # variable -> the program for ∂output/∂variable, differentiated
    warnings: list[str] = field(default_factory=list)
