"""Issue 17, batch: `Compiled.batch` over 10^6 points, each program against the same work done the
fastest way, measured in the same run.

    python benchmarks/batch.py [--quick] [--before DIR]

- **sigmoid**: seed 004's neuron `1/(1+exp(-(w0*x0+w1*x1+w2)))`, every variable one number per
  point; its value and five gradients at each point, against the same written by hand with numpy
  (the issue's anchor: the array expressions a person writes, one factor shared by the five
  gradients; in-place `out=` tricks could go lower still). Target: 1.3x.
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
before it is timed. gradcli and its reference are called in turn (a, b, a, b, ...), so both see
the same moments of the machine. With `--before DIR` the sigmoid row is also measured with the
gradcli of an earlier source tree, in worker processes that alternate with this tree's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from _common import (
    arguments,
    before_env,
    load,
    median,
    print_machine,
    seconds,
    spread,
    table,
    timed,
    timed_in_turn,
    verdict,
)

import gradcli

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


def sigmoid_times(repeat: int) -> tuple[list[float], list[float]]:
    """The sigmoid neuron over N points: gradcli's and the hand-written times, in turn."""
    sigmoid = gradcli.compile(SIGMOID)
    rng = np.random.default_rng(0)
    columns = {name: rng.normal(size=N) for name in ("w0", "x0", "w1", "x1", "w2")}
    batch, (value, gradient) = sigmoid.batch(columns), sigmoid_by_hand(**columns)
    _close(batch.value, value)
    for name in columns:
        _close(batch.gradient[name], gradient[name])
    del batch
    ours, hand = timed_in_turn([lambda: sigmoid.batch(columns), lambda: sigmoid_by_hand(**columns)], repeat)
    return ours, hand


def sigmoid_before(folder: str, repeat: int) -> list[list[str]]:
    """The sigmoid row for this tree and the one in `folder`, from worker processes in turn."""
    env = dict(os.environ)
    trees = {"": env, " (before)": before_env(folder, env)}
    found: dict[str, dict[str, list[float]]] = {who: {"ours": [], "hand": []} for who in trees}
    for _ in range(3):
        for who, tree in trees.items():
            argv = [sys.executable, str(Path(__file__).resolve()), "--sigmoid-worker", str(repeat)]
            out = subprocess.run(argv, env=tree, cwd=Path(__file__).parent, capture_output=True, text=True)
            if out.returncode != 0:
                raise SystemExit(f"the worker failed:\n{out.stderr[-2000:]}")
            for key, times in json.loads(out.stdout).items():
                found[who][key] += times
    return [
        _row(f"sigmoid neuron{who}", times["ours"], times["hand"], 1.3 if not who else None)
        for who, times in found.items()
    ]


def main() -> None:
    if "--sigmoid-worker" in sys.argv:  # one process of sigmoid_before
        ours, hand = sigmoid_times(int(sys.argv[-1]))
        print(json.dumps({"ours": ours, "hand": hand}))
        return
    args = arguments(__doc__.splitlines()[0], before=True)
    print_machine("gradcli batch: every op over 10^6 points in one pass", args.quick)
    repeat = 5 if args.quick else 15
    rng = np.random.default_rng(0)
    if args.before:
        rows = sigmoid_before(args.before, repeat)
    else:
        rows = [_row("sigmoid neuron", *sigmoid_times(repeat), 1.3)]

    z, y = rng.normal(size=(N, 3)), rng.integers(0, 3, size=N).astype(np.float64)
    one_hot = np.eye(3)[y.astype(int)]
    loss, written = gradcli.compile(CROSS_ENTROPY), gradcli.compile(ELEMENTWISE)
    flat = {**{f"z{k}": z[:, k] for k in range(3)}, **{f"y{k}": one_hot[:, k] for k in range(3)}}
    scores = ("z0", "z1", "z2")
    batch, reference = loss.batch({"z": z, "y": y}, wrt=["z"]), written.batch(flat, wrt=scores)
    _close(batch.value, reference.value)
    _close(batch.gradient["z"], np.stack([reference.gradient[k] for k in scores], axis=1))
    ours, reference = timed_in_turn(
        [lambda: loss.batch({"z": z, "y": y}, wrt=["z"]), lambda: written.batch(flat, wrt=scores)], repeat
    )
    rows.append(_row("softmax cross-entropy", ours, reference, 3.0))

    linear = gradcli.compile(LINEAR)
    shared = {"W": rng.normal(size=(3, 4)), "b": rng.normal(size=3)}
    x = rng.normal(size=(N, 4))
    ours, reference = timed_in_turn(
        [lambda: linear.batch({"x": x, "y": y}, shared), lambda: written.batch(flat)], repeat
    )
    rows.append(_row("linear + softmax cross-entropy", ours, reference, None))

    table(["program, 10^6 points", "gradcli Compiled.batch", "reference", "ratio", "target"], rows)

    from gradcli.points.evaluate import _one_by_one  # this tree's (a --before tree may not have it)

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
    rounds = f"3 worker processes x {repeat} runs each" if args.before else f"{repeat} runs"
    print(f"Medians of {rounds} after a warm-up (one point at a time: 3 runs over {sample:,} points).")
    print(f"load at the end: {load()}")


if __name__ == "__main__":
    main()
