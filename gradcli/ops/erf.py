"""erf and erfc: their rows, and their values for numpy arrays (numpy has neither, and gradcli
does not depend on scipy).

W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev approximations for the error
function", Math. Comp. 23 (1969) 631-637; his CALERF routine): erf(x) = x R1(x^2) for
|x| <= 0.46875; erfc(x) = exp(-x^2) R2(x) on (0.46875, 4]; erfc(x) = exp(-x^2)/x (1/sqrt(pi) +
R3(1/x^2)/x^2) beyond. Two tricks keep the relative error of both functions near the rounding
unit everywhere: erfc in the tail is never computed as 1 - erf (that cancels to nothing), and
exp(-x^2) is computed as exp(-s^2) exp(-(x - s)(x + s)) with s = x rounded down to a multiple of
1/16, so the rounding error of x^2, multiplied by x^2 in the exponent, does not spoil the tail.
tests/test_functions_erf.py measures the accuracy against the C library (math.erf, math.erfc).

Every element goes through the same arithmetic whether it comes alone or in an array, so a batch
of points gives, bit for bit, what the points give one by one.
"""

from __future__ import annotations

import numpy as np

from .row import Array, Op, Partial

_THRESHOLD = 0.46875
_SMALL = 1.11e-16  # below this erf(x) = 2x/sqrt(pi) to the last bit: x^2 is taken as 0 (no underflow)
_SQRT_1_PI = 5.6418958354775628695e-1  # 1/sqrt(pi)
# Beyond this erfc(x) is below the smallest subnormal number: 0 (also for x = inf).
_UNDERFLOW = 27.3

# erf(x) = x * (A4 y^4 + A0 y^3 + A1 y^2 + A2 y + A3) / (y^4 + B0 y^3 + B1 y^2 + B2 y + B3), y = x^2.
_A = (
    3.16112374387056560e00,
    1.13864154151050156e02,
    3.77485237685302021e02,
    3.20937758913846947e03,
    1.85777706184603153e-1,
)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03)
# erfc(x) = exp(-x^2) * (C8 x^8 + C0 x^7 + ... + C7) / (x^8 + D0 x^7 + ... + D7) on (0.46875, 4].
_C = (
    5.64188496988670089e-1,
    8.88314979438837594e00,
    6.61191906371416295e01,
    2.98635138197400131e02,
    8.81952221241769090e02,
    1.71204761263407058e03,
    2.05107837782607147e03,
    1.23033935479799725e03,
    2.15311535474403846e-8,
)
_D = (
    1.57449261107098347e01,
    1.17693950891312499e02,
    5.37181101862009858e02,
    1.62138957456669019e03,
    3.29079923573345963e03,
    4.36261909014324716e03,
    3.43936767414372164e03,
    1.23033935480374942e03,
)
# erfc(x) = exp(-x^2)/x * (1/sqrt(pi) - z R(z)), z = 1/x^2, beyond 4.
_P = (
    3.05326634961232344e-1,
    3.60344899949804439e-1,
    1.25781726111229246e-1,
    1.60837851487422766e-2,
    6.58749161529837803e-4,
    1.63153871373020978e-2,
)
_Q = (
    2.56852019228982242e00,
    1.87295284992346047e00,
    5.27905102951428412e-1,
    6.05183413124413191e-2,
    2.33520497626869185e-3,
)


def _ratio(y: Array, num: tuple[float, ...], den: tuple[float, ...]) -> Array:
    """Cody's evaluation order: (num[-1] y^n + num[0] y^(n-1) + ...) / (y^n + den[0] y^(n-1) + ...)."""
    top, bottom = num[-1] * y, y
    for k in range(len(den) - 1):
        top = (top + num[k]) * y
        bottom = (bottom + den[k]) * y
    return (top + num[len(den) - 1]) / (bottom + den[-1])


def _exp_minus_square(y: Array) -> Array:
    """exp(-y^2) without the rounding error of y^2 blown up by the exponent."""
    s = np.trunc(y * 16.0) / 16.0
    return np.exp(-s * s) * np.exp(-(y - s) * (y + s))


def _erf_small(x: Array) -> Array:
    """erf on |x| <= 0.46875."""
    return x * _ratio(np.square(np.where(np.abs(x) > _SMALL, x, 0.0)), _A, _B)


def _erfc_positive(y: Array) -> Array:
    """erfc on y > 0.46875 (y may be inf; not nan)."""
    result = np.zeros_like(y)
    middle = y <= 4.0
    tail = ~middle & (y < _UNDERFLOW)
    ym = y[middle]
    result[middle] = _exp_minus_square(ym) * _ratio(ym, _C, _D)
    yt = y[tail]
    z = 1.0 / (yt * yt)
    result[tail] = _exp_minus_square(yt) * ((_SQRT_1_PI - z * _ratio(z, _P, _Q)) / yt)
    return result


def erf(x: Array) -> Array:
    """The error function, elementwise; erf(±inf) = ±1, erf(nan) = nan."""
    x = np.asarray(x, dtype=np.float64)
    y = np.abs(x)
    result = np.full_like(x, np.nan)
    small = y <= _THRESHOLD
    large = y > _THRESHOLD  # nan is neither
    result[small] = _erf_small(x[small])
    # 1 - erfc, written (0.5 - erfc) + 0.5 as Cody does, then the sign of x.
    result[large] = np.copysign((0.5 - _erfc_positive(y[large])) + 0.5, x[large])
    return result[()]


def erfc(x: Array) -> Array:
    """The complementary error function 1 - erf(x), elementwise, accurate also where it is tiny."""
    x = np.asarray(x, dtype=np.float64)
    y = np.abs(x)
    result = np.full_like(x, np.nan)
    small = y <= _THRESHOLD
    large = y > _THRESHOLD
    result[small] = 1.0 - _erf_small(x[small])
    tail = _erfc_positive(y[large])
    result[large] = np.where(x[large] < 0, 2.0 - tail, tail)
    return result[()]


TWO_OVER_SQRT_PI = 2.0 / np.sqrt(np.pi)


def _erf_local(x: Array, out: Array) -> Array:
    return TWO_OVER_SQRT_PI * np.exp(-np.square(x))


ROWS = [
    Op(
        "erf",
        ("x",),
        erf,
        (Partial("2/sqrt(pi)*exp(-x^2)", _erf_local),),
        "erf",
    ),
    Op(
        "erfc",
        ("x",),
        erfc,  # 1 - erf(x), keeping its relative accuracy where it is tiny (erfc(10) = 2.1e-45)
        (Partial("-2/sqrt(pi)*exp(-x^2)", lambda x, out: -_erf_local(x, out)),),
        "erfc",
    ),
]
