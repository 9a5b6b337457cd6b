"""Single points: `compile(src)(**point)` and `descend --batch 1`, beside a pure-Python Value class
and PyTorch float64.

    1/(1+exp(-(w0*x0+w1*x1+w2)))   at w0=2, x0=-1, w1=-3, x1=-2, w2=-3   (seed 004's neuron)

- **The anchor**: a 40-line micrograd-style `Value` class written below (operator overloading,
  `math.exp`), evaluating the neuron and backpropagating, a call at a time.
- **gradcli**: `compiled(**point)` (the scalar fast path where it serves), and the same call with
  its derivation's steps read (`.steps`: the full path's graph and steps, for reference).
- **torch** float64 (when installed): fresh leaf tensors, the neuron, `backward()`, the gradients.
- **descend --batch 1**: `gradcli.descend("(x*w - y)^2", ...)` over 200 samples, 10 epochs of SGD,
  its time per step, beside a torch loop doing the same SGD on the same data (float64).

Every figure is a median over rounds; each round is one worker process per gradcli tree, taking
turns, that times every case (median of batches of calls after a warm-up), so the Value class is
measured in the same process as the calls it anchors. Target (issue 17): gradcli ≤ 2x the Value
class, and a descend step faster than torch's. With `--before DIR` the gradcli of an earlier
source tree takes its turn in the same rounds, and its numbers must be the same to the last bit.

    python benchmarks/single_point.py [--quick] [--before DIR]
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

from _common import arguments, before_env, load, median, print_machine, spread, table, verdict

SOURCE = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
POINT = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}
LOSS = "(x*w - y)^2"
SAMPLES, EPOCHS, LR = 200, 10, 0.01
TARGET_VALUE = 2.0  # compile(src)(**point) within 2x the Value class


# --- The anchor: a micrograd-style Value class ----------------------------------------------------


class Value:
    __slots__ = ("_back", "_prev", "data", "grad")

    def __init__(self, data: float, prev: tuple = ()) -> None:
        self.data, self.grad, self._prev, self._back = data, 0.0, prev, None

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))

        def back():
            self.grad += out.grad
            other.grad += out.grad

        out._back = back
        return out

    __radd__ = __add__

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))

        def back():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._back = back
        return out

    __rmul__ = __mul__

    def __neg__(self):
        return self * -1

    def __pow__(self, k: float):
        out = Value(self.data**k, (self,))

        def back():
            self.grad += k * self.data ** (k - 1) * out.grad

        out._back = back
        return out

    def __rtruediv__(self, other):
        return other * self**-1

    def exp(self):
        out = Value(math.exp(self.data), (self,))

        def back():
            self.grad += out.data * out.grad

        out._back = back
        return out

    def backward(self) -> None:
        order, seen = [], set()

        def visit(v):
            if v not in seen:
                seen.add(v)
                for p in v._prev:
                    visit(p)
                order.append(v)

        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            if v._back:
                v._back()


def value_neuron(w0: float, x0: float, w1: float, x1: float, w2: float) -> tuple[float, list[float]]:
    inputs = [Value(v) for v in (w0, x0, w1, x1, w2)]
    w0, x0, w1, x1, w2 = inputs
    y = 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())
    y.backward()
    return y.data, [v.grad for v in inputs]


# --- The worker: one process, one gradcli tree, every case timed ------------------------------------


def per_call(function, calls: int, batches: int) -> tuple[float, float]:
    """Median wall and CPU seconds per call over `batches` batches of `calls` calls, after a
    warm-up batch. CPU time (this process's) moves less when other processes share the cores."""
    for _ in range(calls):
        function()
    walls, cpus = [], []
    for _ in range(batches):
        start, start_cpu = time.perf_counter(), time.process_time()
        for _ in range(calls):
            function()
        walls.append((time.perf_counter() - start) / calls)
        cpus.append((time.process_time() - start_cpu) / calls)
    return median(walls), median(cpus)


def timed_case(found: dict, case: str, function, calls: int, batches: int, per: int = 1) -> None:
    wall, cpu = per_call(function, calls, batches)
    found[case], found[f"{case} cpu"] = wall / per, cpu / per


def data() -> dict[str, list[float]]:
    """y = 2x plus a little noise, the same in every process."""
    import numpy as np

    rng = np.random.default_rng(4)
    x = rng.normal(size=SAMPLES)
    return {"x": x.tolist(), "y": (2 * x + 0.1 * rng.normal(size=SAMPLES)).tolist()}


def torch_cases(calls: int, batches: int, found: dict) -> None:
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(1)
    f64 = torch.float64

    def neuron():
        w0, x0, w1, x1, w2 = (torch.tensor(v, dtype=f64, requires_grad=True) for v in POINT.values())
        y = 1 / (1 + torch.exp(-(w0 * x0 + w1 * x1 + w2)))
        y.backward()
        return y.item(), [v.grad.item() for v in (w0, x0, w1, x1, w2)]

    timed_case(found, "torch", neuron, calls, batches)
    columns = data()
    x, y = torch.tensor(columns["x"], dtype=f64), torch.tensor(columns["y"], dtype=f64)

    def descend():
        w = torch.tensor(0.0, dtype=f64, requires_grad=True)
        for _ in range(EPOCHS):
            total = 0.0
            for i in range(SAMPLES):
                loss = (x[i] * w - y[i]) ** 2
                loss.backward()
                total += loss.item()
                with torch.no_grad():
                    w -= LR * w.grad
                w.grad = None
        return w.item()

    timed_case(found, "torch descend", descend, 1, batches, SAMPLES * EPOCHS)
    found["torch w"] = descend()


def worker(quick: bool) -> None:
    import gradcli

    calls, batches = (300, 5) if quick else (1000, 9)
    compiled = gradcli.compile(SOURCE)
    found: dict = {}
    timed_case(found, "value", lambda: value_neuron(*POINT.values()), calls, batches)
    timed_case(found, "gradcli", lambda: compiled(**POINT), calls, batches)
    timed_case(found, "gradcli, steps read", lambda: compiled(**POINT).steps, calls, batches)
    result = compiled(**POINT)
    found["numbers"] = repr((result.value, result.gradient))
    columns = data()

    def descend():
        return gradcli.descend(
            LOSS, data=columns, params={"w": 0.0}, lr=LR, epochs=EPOCHS, batch=1, every=EPOCHS
        )

    timed_case(found, "descend", descend, 1, batches, SAMPLES * EPOCHS)
    found["descend w"] = float(descend().params["w"])
    torch_cases(calls, batches, found)
    print(json.dumps(found))


# --- The rounds -------------------------------------------------------------------------------------


def run_worker(env: dict[str, str], quick: bool) -> dict:
    argv = [sys.executable, str(Path(__file__).resolve()), "--worker", *(["--quick"] if quick else [])]
    out = subprocess.run(
        argv, env=env, cwd=Path(__file__).parent, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"the worker failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout)


def micro(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} µs"


def report(runs: dict[str, list[dict]]) -> None:
    after = runs["after"]

    def figure(who: str, case: str) -> list[float]:
        return [found[case] for found in runs[who] if case in found]

    def ratio(who: str, case: str, anchor: str) -> float:
        return median([found[case] / found[anchor] for found in runs[who] if case in found])

    def row(label: str, who: str, case: str, anchor: str) -> list[str]:
        walls, cpus = figure(who, case), figure(who, f"{case} cpu")
        cells = [label, micro(median(walls)), spread(walls), f"{ratio(who, case, anchor):.2f}x"]
        return [*cells, micro(median(cpus)), f"{ratio(who, f'{case} cpu', f'{anchor} cpu'):.2f}x"]

    rows = []
    for who in runs:
        for case in ("value", "gradcli", "gradcli, steps read", "torch"):
            if figure(who, case) and (who == "after" or case.startswith("gradcli")):
                rows.append(row(case if who == "after" else f"{case} (before)", who, case, "value"))
    print(f"## compile(src)(**point), seed 004's neuron: medians of {len(after)} rounds")
    table(["per call", "wall", "spread", "/ Value class", "CPU", "/ Value class (CPU)"], rows)
    met = ratio("after", "gradcli", "value") <= TARGET_VALUE
    print(f"target: gradcli <= {TARGET_VALUE:g}x the Value class (wall): {verdict(met)}\n")
    if not figure("after", "torch descend"):
        print("descend against torch: torch is not installed (pip install torch)")
    else:
        rows = [row("torch float64, the same SGD", "after", "torch descend", "torch descend")]
        for who in runs:
            label = "gradcli descend --batch 1" + ("" if who == "after" else " (before)")
            rows.append(row(label, who, "descend", "torch descend"))
        print(f"## descend per step: {LOSS!r}, {SAMPLES} samples x {EPOCHS} epochs, SGD lr={LR}")
        table(["per step", "wall", "spread", "/ torch", "CPU", "/ torch (CPU)"], rows)
        met = ratio("after", "descend", "torch descend") < 1
        print(f"target: a step faster than torch's (wall): {verdict(met)}")
        w, torch_w = after[0]["descend w"], after[0]["torch w"]
        print(f"w reached: gradcli {w!r}, torch {torch_w!r} (difference {w - torch_w:.3g})")
    print(f"load at the end: {load()}")


def main() -> int:
    if "--worker" in sys.argv:  # one round's process (run_worker)
        worker("--quick" in sys.argv)
        return 0
    args = arguments(__doc__.splitlines()[0], before=True)
    print_machine("Single points: compile(src)(**point) and descend --batch 1", args.quick)
    env = dict(os.environ)
    trees = {"after": env, "before": before_env(args.before, env)}
    runs: dict[str, list[dict]] = {who: [] for who, tree in trees.items() if tree is not None}
    for _ in range(3 if args.quick else 7):
        for who in runs:
            runs[who].append(run_worker(trees[who], args.quick))
    if "before" in runs:
        for case in ("numbers", "descend w"):  # repr and float: every bit
            assert runs["after"][0][case] == runs["before"][0][case], f"{case} changed"
        print("the numbers before and after: identical (value, gradients, w reached; checked)\n")
    report(runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
