"""The values of a variable at many points: one column."""

from __future__ import annotations

from typing import Union

import numpy as np

from ..errors import GradcliError

Column = Union[np.ndarray, list]  # (N, ...): the points along axis 0; or one array per point


def stacked(column: Column, n: int, name: str | None = None) -> np.ndarray:
    """A column as one array, the points along its first axis (n: how many). Arrays of different
    shapes at different points (which one-at-a-time evaluation takes) cannot be stacked: an error."""
    if isinstance(column, np.ndarray):
        return column
    shapes = list(dict.fromkeys(np.shape(value) for value in column))
    if len(shapes) > 1:
        raise GradcliError(
            f"the values of {name or 'a variable'} have different shapes at different points: "
            f"{shapes[0]} and {shapes[1]}",
            hint=f"give {name or 'the variable'} one shape at every point",
        )
    return np.stack(column) if n else np.zeros(0)
