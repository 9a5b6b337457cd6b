"""ops/axes.py's slice_max and slice_sum: numpy's max and sum over one short axis, to the bit.

They take the slice's elements one at a time because numpy reduces a short inner axis slowly;
that is only allowed if every number comes out as numpy's own reduction gives it, in every
memory layout a graph hands them (contiguous, transposed, strided, a batch axis in front) and
for the numbers where order shows: signed zeros, inf, nan, subnormals, wide magnitudes (a nan's
sign aside, which no output shows).
"""

from __future__ import annotations

import numpy as np
import pytest

from gradcli.ops.axes import SHORT_AXIS, slice_max, slice_sum

SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 1e308, -1e308, 1.0, -1.0, 1e-300])


def _samples(rng: np.random.Generator, rows: int, classes: int) -> list[np.ndarray]:
    """Wide magnitudes (where the order of additions shows in the last bit), special values
    only, and a mixture."""
    wide = rng.normal(size=(rows, classes)) * 10.0 ** rng.integers(-20, 20, size=(rows, classes))
    special = rng.choice(SPECIAL, size=(rows, classes))
    mixed = np.where(rng.random((rows, classes)) < 0.3, special, rng.normal(size=(rows, classes)))
    return [wide, special, mixed]


def _layouts(x: np.ndarray) -> list[tuple[str, np.ndarray, int]]:
    """(name, array, the class axis): how the same numbers reach a rule."""
    rows, classes = x.shape
    return [
        ("rows of classes", x, 1),
        ("classes of rows", np.ascontiguousarray(x.T), 0),
        ("a transposed view", x.T, 0),
        ("every other row", x[::2], 1),
        ("Fortran order", np.asfortranarray(x), 1),
        ("a trailing axis", np.repeat(x[:, :, None], 2, axis=2), 1),
        ("a batch axis in front", x.reshape(3, rows // 3, classes), 2),
        ("counted from the end", x, -1),
    ]


def _bits(x: np.ndarray) -> np.ndarray:
    """The float64 bits, every nan as one nan: a nan's sign follows which operand x86 passed on,
    and no output of gradcli can show it (repr, JSON and CSV all write nan alike)."""
    x = np.where(np.isnan(x), np.nan, x)
    return np.ascontiguousarray(x, dtype=np.float64).view(np.uint64)


@pytest.mark.parametrize("classes", [*range(1, SHORT_AXIS + 3), 10, 16])
def test_slice_max_is_numpys_max(classes: int) -> None:
    rng = np.random.default_rng(classes)
    for x in _samples(rng, 3000, classes):
        for name, array, axis in _layouts(x):
            with np.errstate(all="ignore"):
                ours = slice_max(array, axis)
                numpys = np.max(array, axis=axis, keepdims=True, initial=-np.inf)
            assert ours.shape == numpys.shape, name
            assert np.array_equal(_bits(ours), _bits(numpys)), f"{classes} classes, {name}"


@pytest.mark.parametrize("classes", [*range(1, SHORT_AXIS + 3), 10, 16])
def test_slice_sum_is_numpys_sum(classes: int) -> None:
    rng = np.random.default_rng(100 + classes)
    for x in _samples(rng, 3000, classes):
        for name, array, axis in _layouts(x):
            with np.errstate(all="ignore"):
                ours = slice_sum(array, axis)
                numpys = np.sum(array, axis=axis, keepdims=True)
            assert ours.shape == numpys.shape, name
            assert np.array_equal(_bits(ours), _bits(numpys)), f"{classes} classes, {name}"


def test_a_slice_of_negative_zeros_sums_to_zero_as_in_numpy() -> None:
    x = np.full((2000, 3), -0.0)
    assert not np.signbit(slice_sum(x, 1)).any()
    assert not np.signbit(np.sum(x, axis=1)).any()


def test_slice_sum_leaves_its_input_alone() -> None:
    x = np.arange(6000.0).reshape(2000, 3)
    x.flags.writeable = False  # a caller's column is a read-only view
    before = x.copy()
    slice_sum(x, 1)
    assert np.array_equal(x, before)
