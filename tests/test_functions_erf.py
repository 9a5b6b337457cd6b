"""gradcli's own erf and erfc (numpy has none; gradcli does not use scipy) against the C library's,
through Python's math.erf and math.erfc: 10^5 points over the whole range, tails included."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradcli.api import evaluate
from gradcli.ops.erf import erf, erfc

# Relative error allowed: a few units in the last place (the largest measured is 8e-16).
RTOL = 1e-15
# Below the smallest normal number the spacing of floats is absolute: compare absolutely there.
TINY = 2.2250738585072014e-308


def _points() -> np.ndarray:
    rng = np.random.default_rng(16)
    return np.concatenate(
        [
            rng.uniform(-6.0, 6.0, 40_000),  # where erf and erfc are both of size 1
            rng.uniform(-27.3, 27.3, 30_000),  # erfc's tail, to below the smallest subnormal
            np.copysign(np.logspace(-310, 0, 10_000), rng.uniform(-1, 1, 10_000)),  # near 0
            0.46875 + rng.uniform(-1e-3, 1e-3, 5_000),  # the breaks between the approximations
            4.0 + rng.uniform(-1e-3, 1e-3, 5_000),
            -4.0 + rng.uniform(-1e-3, 1e-3, 5_000),
            rng.uniform(4.0, 26.5, 5_000),  # erfc from 1.5e-8 down to 2e-307
        ]
    )


POINTS = _points()


def _relative_errors(ours: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """The largest relative error where the reference is a normal number, and the largest
    absolute error where it is subnormal."""
    normal = np.abs(reference) >= TINY
    relative = np.abs(ours[normal] - reference[normal]) / np.abs(reference[normal])
    absolute = np.abs(ours[~normal] - reference[~normal])
    return float(relative.max()), float(absolute.max(initial=0.0))


def test_there_are_a_hundred_thousand_points():
    assert len(POINTS) == 100_000 and np.all(np.isfinite(POINTS))


def test_erf_agrees_with_the_c_library():
    reference = np.array([math.erf(x) for x in POINTS])
    relative, absolute = _relative_errors(erf(POINTS), reference)
    assert relative <= RTOL, relative
    assert absolute <= 1e-322, absolute


def test_erfc_agrees_with_the_c_library_also_where_it_is_tiny():
    reference = np.array([math.erfc(x) for x in POINTS])
    relative, absolute = _relative_errors(erfc(POINTS), reference)
    assert relative <= RTOL, relative
    assert absolute <= 1e-320, absolute  # subnormal results: a few units of 5e-324


@pytest.mark.parametrize("x", [5.0, 10.0, 15.0, 20.0, 25.0, 26.0, 26.5])
def test_erfc_tail_keeps_its_relative_accuracy(x):
    """erfc(x) as 1 - erf(x) would be 0 from x ≈ 6 on: the tail is computed directly."""
    assert math.isclose(erfc(x), math.erfc(x), rel_tol=RTOL)
    assert erfc(x) > 0.0
    assert math.isclose(erfc(-x), 2.0 - math.erfc(x), rel_tol=RTOL)


def test_special_values_and_no_floating_point_warnings():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-320, -1e-320, 27.3, 1e308, -1e308])
    # No overflow, 0/0 or inf - inf inside, at any of them (a subnormal result underflows, as it must).
    with np.errstate(all="raise", under="ignore"):
        e, c = erf(x), erfc(x)
    normal = POINTS[(np.abs(POINTS) > 1e-300) & (np.abs(POINTS) < 26.0)]
    with np.errstate(all="raise"):
        erf(normal), erfc(normal)
    np.testing.assert_array_equal(e[:4], [0.0, -0.0, 1.0, -1.0])
    assert math.copysign(1.0, e[1]) == -1.0  # erf(-0) = -0
    np.testing.assert_array_equal(c[:4], [1.0, 1.0, 0.0, 2.0])
    assert np.isnan(e[4]) and np.isnan(c[4])
    assert e[5] == math.erf(1e-320) and e[6] == math.erf(-1e-320)
    np.testing.assert_array_equal(c[7:], [0.0, 0.0, 2.0])
    np.testing.assert_array_equal(e[8:], [1.0, -1.0])


def test_a_batch_gives_bit_for_bit_what_the_points_give_alone():
    sample = POINTS[::997]
    together_erf, together_erfc = erf(sample), erfc(sample)
    for k, x in enumerate(sample):
        assert erf(x) == together_erf[k] and erfc(x) == together_erfc[k]
    assert np.ndim(erf(0.3)) == 0 and erf(np.zeros((2, 3))).shape == (2, 3)


def test_the_language_calls_them():
    result = evaluate("erf(x) + erfc(x)", x=0.7)
    assert math.isclose(float(result.value), 1.0, rel_tol=1e-15)
    assert abs(float(result.gradient["x"])) <= 1e-16
    result = evaluate("erfc(x)", x=10.0)
    assert math.isclose(float(result.value), math.erfc(10.0), rel_tol=RTOL)  # 2.09e-45
