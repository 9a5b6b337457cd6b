"""Issue 17, batch: `Compiled.batch` over 10^6 points, each program against the same work done the
fastest way, measured in the same run.

    python benchmarks/batch.py [--quick]

- **sigmoid**: seed 004's neuron `1/(1+exp(-(w0*x0+w1*x1+w2)))`, every variable one number per
  point; its value and five gradients at each point, against the same written by hand with numpy
  (the practical limit: the same array operations, nothing else). Target: 1.3x.
- **softmax cross-entropy**: `cross_entropy(z, y)`, z three scores a point and y its class,
  against the same loss written elementwise over numbers, `log(exp(z0) + exp(z1) + exp(z2)) -
  (y0*z0 + y1*z1 + y2*z2)` with y one-hot (what a user had to write for one fast pass before
  issue 17). Target: within 3x.
- **linear + softmax cross-entropy**: `cross_entropy(W @ x + b, y)` with W and b shared by the
  points (a layer's weights): informative, no target; its `@` is numpy's stacked matmul, which
  computes each point as one evaluation does (the same numbers to the last bit).
- **one point at a time**: what the last two cost before issue 17, when a program that mixes
  elements fell back to one evaluation per point (the same fallback, called in this run on a
  sample of points): microseconds a point.

Every batched result is checked against the fast reference (values and gradients within 1e-12)
before it is timed.
"""

from __future__ import annotations

import numpy as np
from _common import arguments, median, print_machine, seconds, spread, table, timed, verdict

import gradcli
from gradcli.points.evaluate import _one_by_one

N = 10**6
SIGMOID = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
CROSS_ENTROPY = "cross_entropy(z, y)"
ELEMENTWISE = "log(exp(z0) + exp(z1) + exp(z2)) - (y0*z0 + y1*z1 + y2*z2)"
LINEAR = "cross_entropy(W @ x + b, y)"


def sigmoid_by_hand(w0, x0, w1, x1, w2):
    """Forward and backward written out with numpy, each point's value and five gradients."""
    d = w0 * x0 + w1 * x1 + w2
    f = np.exp(-d)
    g = 1.0 + f
    dd = f / (g * g)  # dh/dd = exp(-d)/(1+exp(-d))^2
    return 1.0 / g, {"w0": dd * x0, "x0": dd * w0, "w1": dd * x1, "x1": dd * w1, "w2": dd}


def _close(a, b) -> None:
    assert np.allclose(a, b, rtol=1e-12, atol=1e-12), "the batched result differs from the reference"


def _row(name: str, ours: list[float], reference: list[float], target: float | None) -> list[str]:
    ratio = median(ours) / median(reference)
    met = "" if target is None else f"{verdict(ratio <= target)} (≤ {target}x)"
    return [
        name,
        f"{seconds(median(ours))} {spread(ours)}",
        f"{seconds(median(reference))} {spread(reference)}",
        f"{ratio:.2f}x",
        met,
    ]


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    print_machine("gradcli batch: every op over 10^6 points in one pass", args.quick)
    repeat = 5 if args.quick else 15
    rng = np.random.default_rng(0)
    rows = []

    sigmoid = gradcli.compile(SIGMOID)
    columns = {name: rng.normal(size=N) for name in ("w0", "x0", "w1", "x1", "w2")}
    batch, (value, gradient) = sigmoid.batch(columns), sigmoid_by_hand(**columns)
    _close(batch.value, value)
    for name in columns:
        _close(batch.gradient[name], gradient[name])
    rows.append(
        _row(
            "sigmoid neuron",
            timed(lambda: sigmoid.batch(columns), repeat),
            timed(lambda: sigmoid_by_hand(**columns), repeat),
            1.3,
        )
    )

    z, y = rng.normal(size=(N, 3)), rng.integers(0, 3, size=N).astype(np.float64)
    one_hot = np.eye(3)[y.astype(int)]
    loss, written = gradcli.compile(CROSS_ENTROPY), gradcli.compile(ELEMENTWISE)
    flat = {**{f"z{k}": z[:, k] for k in range(3)}, **{f"y{k}": one_hot[:, k] for k in range(3)}}
    scores = ("z0", "z1", "z2")
    batch, reference = loss.batch({"z": z, "y": y}, wrt=["z"]), written.batch(flat, wrt=scores)
    _close(batch.value, reference.value)
    _close(batch.gradient["z"], np.stack([reference.gradient[k] for k in scores], axis=1))
    rows.append(
        _row(
            "softmax cross-entropy",
            timed(lambda: loss.batch({"z": z, "y": y}, wrt=["z"]), repeat),
            timed(lambda: written.batch(flat, wrt=scores), repeat),
            3.0,
        )
    )

    linear = gradcli.compile(LINEAR)
    shared = {"W": rng.normal(size=(3, 4)), "b": rng.normal(size=3)}
    x = rng.normal(size=(N, 4))
    linear_time = timed(lambda: linear.batch({"x": x, "y": y}, shared), repeat)
    rows.append(
        _row("linear + softmax cross-entropy", linear_time, timed(lambda: written.batch(flat), repeat), None)
    )

    table(["program, 10^6 points", "gradcli Compiled.batch", "reference", "ratio", "target"], rows)

    sample = 2_000 if args.quick else 10_000
    slow = []
    for name, program, given, fixed in (
        ("softmax cross-entropy", loss, {"z": z[:sample], "y": y[:sample]}, {}),
        ("linear + softmax cross-entropy", linear, {"x": x[:sample], "y": y[:sample]}, shared),
    ):
        fixed_arrays = {key: np.asarray(value) for key, value in fixed.items()}
        names = tuple(program.variables)
        once = timed(lambda p=program, g=given, f=fixed_arrays, w=names: _one_by_one(p, g, f, w, sample), 3)
        per_point = median(once) / sample
        slow.append([name, f"{per_point * 1e6:.1f} µs", f"{per_point * N:.0f} s"])
    table(["one point at a time (before issue 17)", "a point", "10^6 points"], slow)
    print(f"Medians of {repeat} runs after a warm-up (one point at a time: 3 runs over {sample:,} points).")


if __name__ == "__main__":
    main()
