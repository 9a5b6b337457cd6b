"""Reductions over all the elements of an array (sum, mean, max, min, norm, logsumexp), the
masks their derivatives are written with, and softmax, which normalises over the same elements.

A reduction's output is a scalar, so its upstream gradient broadcasts and its partial is an
elementwise local derivative; softmax mixes elements and gives a vector-Jacobian product.
"""

from __future__ import annotations

import numpy as np

from .row import ONE, Array, Op, Partial, lead_axes, zero


def _tie_mask(x: Array, out: Array) -> Array:
    """1/k at each of the k elements equal to `out`, 0 elsewhere: PyTorch's max() shares a tie.

    A nan maximum is shared among the nan elements, as PyTorch's evenly_distribute_backward does."""
    hits = np.asarray(np.isnan(x) if np.isnan(out) else x == out, dtype=np.float64)
    return hits / max(hits.sum(), 1.0)


def _mean(x: Array) -> Array:
    # np.mean of an empty array says "Mean of empty slice" through warnings.warn, which no
    # np.errstate silences; 0/0 gives the same nan through numpy's error state, as graph.py
    # listens to it (so the derivation still names mean as the first non-finite value).
    return np.sum(x) / np.float64(np.size(x))


def _norm_local(x: Array, out: Array) -> Array:
    # PyTorch's norm backward masks the 0/0 at the origin to 0.
    return np.zeros_like(x) if out == 0 else x / out


def _logsumexp(x: Array) -> Array:
    top = np.max(x) if np.size(x) else 0.0
    top = top if np.isfinite(top) else 0.0
    return np.log(np.sum(np.exp(x - top))) + top


def _softmax(x: Array) -> Array:
    z = np.exp(x - (np.max(x) if np.size(x) else 0.0))
    return z / np.sum(z)


def _softmax_vjp(x: Array, out: Array, grad: Array) -> Array:
    own_axes = tuple(range(len(lead_axes(grad, out)), np.ndim(grad)))
    return out * (grad - np.sum(grad * out, axis=own_axes, keepdims=True))


ROWS = [
    # A read-only broadcast view of 1: no array of ones is allocated.
    Op(
        "sum",
        ("x",),
        np.sum,
        (Partial("1", lambda x, out: np.broadcast_to(ONE, np.shape(x))),),
        "sum",
        shapes=((2, 3),),
        pointwise=False,
    ),
    Op(
        "mean",
        ("x",),
        _mean,
        (Partial(lambda x: f"1/{np.size(x)}", lambda x, out: np.full_like(x, 1.0 / max(np.size(x), 1))),),
        "mean",
        shapes=((2, 3),),
        pointwise=False,
    ),
    Op(
        "amax",
        ("x",),
        np.max,
        (Partial("maxmask(x)", _tie_mask, masked=True),),
        "max",
        kink=lambda x: np.asarray(np.sum(x == np.max(x)) > 1),
        convention="tied maxima share the gradient equally (PyTorch's max())",
        shapes=((4,),),
        pointwise=False,
    ),
    Op(
        "amin",
        ("x",),
        np.min,
        (Partial("minmask(x)", _tie_mask, masked=True),),
        "min",
        kink=lambda x: np.asarray(np.sum(x == np.min(x)) > 1),
        convention="tied minima share the gradient equally (PyTorch's min())",
        shapes=((4,),),
        pointwise=False,
    ),
    Op(
        "maxmask",
        ("x",),
        lambda x: _tie_mask(x, np.max(x)),
        (Partial("0", zero, masked=True),),
        "maxmask",
        shapes=((4,),),
        pointwise=False,
    ),
    Op(
        "minmask",
        ("x",),
        lambda x: _tie_mask(x, np.min(x)),
        (Partial("0", zero, masked=True),),
        "minmask",
        shapes=((4,),),
        pointwise=False,
    ),
    Op(
        "norm",
        ("x",),
        lambda x: np.sqrt(np.sum(x * x)),
        (Partial("x/out", _norm_local),),
        "norm",
        kink=lambda x: np.asarray(np.all(x == 0)),
        convention="norm at the origin: the gradient is taken as 0 (PyTorch)",
        shapes=((3,),),
        pointwise=False,
    ),
    Op(
        "logsumexp",
        ("x",),
        _logsumexp,
        (Partial("exp(x - out)", lambda x, out: np.exp(x - out)),),
        "logsumexp",
        shapes=((3,),),
        pointwise=False,
    ),
    Op(
        "softmax",
        ("x",),
        _softmax,
        (Partial("out * (grad - sum(grad * out))", vjp=_softmax_vjp),),
        "softmax",
        shapes=((3,),),
        pointwise=False,
    ),
]
