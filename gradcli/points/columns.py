"""The values of a variable at many points: one column."""

from __future__ import annotations

from typing import Union

import numpy as np

Column = Union[np.ndarray, list]  # (N,) floats, or one array per point


def stacked(column: Column, n: int) -> np.ndarray:
    """A column as one array, the points along its first axis (n: how many)."""
    if isinstance(column, np.ndarray):
        return column
    return np.stack(column) if n else np.zeros(0)
