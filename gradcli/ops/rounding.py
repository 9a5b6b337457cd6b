"""Rounding (floor, ceil, round, trunc), the remainder mod, and clip: flat pieces and jumps.

The rounding functions are flat between their jumps, so their derivative is 0; PyTorch takes it
as 0 at the jumps too, and passes nothing through (not even an inf or nan upstream): masked, as
step. round rounds half to even, as numpy and PyTorch do (round(2.5) = 2).
"""

from __future__ import annotations

import numpy as np

from .row import Array, Op, Partial, one, zero


def _whole(x: Array) -> Array:
    x = np.asarray(x)
    return np.isfinite(x) & (np.floor(x) == x)


def _half(x: Array) -> Array:
    x = np.asarray(x)
    return np.isfinite(x) & (x - np.floor(x) == 0.5)


def _flat(name: str, forward, jumps, where: str, domain: tuple[float, float]) -> Op:
    return Op(
        name,
        ("x",),
        forward,
        (Partial("0", zero, masked=True),),
        name,
        kink=jumps,
        convention=f"{name} jumps at {where}; its derivative is taken as 0 there too, "
        "passing no inf or nan (PyTorch)",
        domain=domain,
    )


def _mod_b(a: Array, b: Array, out: Array) -> Array:
    # -floor(a/b) as the quotient that mod used: numpy's floor_divide, as PyTorch's
    # div(rounding_mode="floor"). (floor(1/0.1) is 10, but 1 // 0.1 is 9: 0.1 is a bit above 1/10.)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.floor_divide(a, b)


def _mod_jump(a: Array, b: Array) -> Array:
    """Where a is a multiple of b: mod jumps from (almost) |b| to 0 there."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.mod(a, b) == 0)


# clip(x, lo, hi) = min(max(x, lo), hi), PyTorch's clamp with tensor bounds (measured): x takes
# the gradient where lo <= x <= hi (at a bound too), lo where x < lo < hi, hi where x > hi or
# hi < lo (then the output is hi whatever x is). Selections (masked); a nan anywhere gives 0 to all.
def _clip_x(x: Array, lo: Array, hi: Array, out: Array) -> Array:
    return ((np.asarray(x) >= lo) & (np.asarray(x) <= hi)).astype(np.float64)


def _clip_lo(x: Array, lo: Array, hi: Array, out: Array) -> Array:
    return ((np.asarray(x) < lo) & (np.asarray(lo) < hi)).astype(np.float64)


def _clip_hi(x: Array, lo: Array, hi: Array, out: Array) -> Array:
    return ((np.asarray(x) > hi) | (np.asarray(hi) < lo)).astype(np.float64)


def _clip_bound(x: Array, lo: Array, hi: Array) -> Array:
    return (np.asarray(x) == lo) | (np.asarray(x) == hi)


ROWS = [
    _flat("floor", np.floor, _whole, "whole numbers", (0.1, 0.9)),
    _flat("ceil", np.ceil, _whole, "whole numbers", (0.1, 0.9)),
    _flat("round", np.round, _half, "halves (round(x) rounds half to even)", (-0.4, 0.4)),
    Op(
        "trunc",
        ("x",),
        np.trunc,
        (Partial("0", zero, masked=True),),
        "trunc",
        kink=lambda x: _whole(x) & (np.asarray(x) != 0),
        convention="trunc jumps at whole numbers but 0; its derivative is taken as 0 there too, "
        "passing no inf or nan (PyTorch)",
        domain=(-0.9, 0.9),
        aliases=("fix",),
    ),
    Op(
        "mod",
        ("a", "b"),
        np.mod,  # a - b*floor(a/b): the sign of b, as Python's % and torch.remainder
        (Partial("1", one), Partial("-floor(a/b)", _mod_b)),
        "mod",
        kink=_mod_jump,
        convention="mod(a, b) jumps where a is a multiple of b; the partials there are those on the "
        "side where mod starts again at 0: 1 to a, -floor(a/b) to b (PyTorch's remainder)",
        domain=(0.5, 3.0),
        aliases=("remainder",),
    ),
    Op(
        "clip",
        ("x", "lo", "hi"),
        lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi),
        (
            Partial("(1 - step(lo - x))*(1 - step(x - hi))", _clip_x, masked=True),
            Partial("step(lo - x)*step(hi - lo)", _clip_lo, masked=True),
            Partial("1 - (1 - step(x - hi))*(1 - step(lo - hi))", _clip_hi, masked=True),
        ),
        "clip",
        kink=_clip_bound,
        convention="clip at a bound (x = lo or x = hi): the gradient goes to x, none to the bound "
        "(PyTorch's clamp; with lo > hi the output is hi, and so is its gradient)",
        aliases=("clamp",),
    ),
]
