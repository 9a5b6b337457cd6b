"""Issue 5: the gradient of a sigmoid neuron over arrays of 10^6 elements, gradcli against a
hand-written numpy forward + backward of the same function, measured in the same run.

    python benchmarks/arrays.py [--quick]

The function is seed 004's sigmoid summed over the elements, so the output is a scalar and each
of the five inputs (arrays of N float64 each) gets a gradient of its own shape:
    sum(1/(1+exp(-(w0*x0+w1*x1+w2))))
The hand-written version is the practical limit: the same array operations, nothing else.
Target: gradcli within 2x of it.
"""

from __future__ import annotations

import numpy as np
from _common import arguments, median, print_machine, seconds, spread, table, timed, verdict

import gradcli

SOURCE = "sum(1/(1+exp(-(w0*x0+w1*x1+w2))))"
NAMES = ("w0", "x0", "w1", "x1", "w2")


def by_hand(w0, x0, w1, x1, w2):
    """Forward and backward written out with numpy, as one would without an autodiff tool."""
    d = w0 * x0 + w1 * x1 + w2
    f = np.exp(-d)
    g = 1.0 + f
    h = 1.0 / g
    dd = f / (g * g)  # dh/dd = exp(-d)/(1+exp(-d))^2
    return h.sum(), {"w0": dd * x0, "x0": dd * w0, "w1": dd * x1, "x1": dd * w1, "w2": dd}


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    print_machine("gradcli arrays: sigmoid neuron gradient over 10^6-element arrays", args.quick)
    repeat = 5 if args.quick else 21
    rows = []
    for n in (10**4, 10**5, 10**6):
        rng = np.random.default_rng(0)
        values = {name: rng.normal(size=n) for name in NAMES}
        reference = by_hand(**values)
        result = gradcli.evaluate(SOURCE, values, record_steps=False)
        assert np.allclose(result.value, reference[0])
        assert all(np.allclose(result.gradient[k], reference[1][k]) for k in NAMES)
        hand = timed(lambda values=values: by_hand(**values), repeat)
        brief = timed(lambda values=values: gradcli.evaluate(SOURCE, values, record_steps=False), repeat)
        steps = timed(lambda values=values: gradcli.evaluate(SOURCE, values), repeat)
        ratio = median(brief) / median(hand)
        rows.append(
            [
                f"{n:,}",
                f"{seconds(median(hand))} {spread(hand)}",
                f"{seconds(median(brief))} {spread(brief)}",
                f"{ratio:.2f}x",
                f"{seconds(median(steps))}",
                f"{median(steps) / median(hand):.2f}x",
            ]
        )
    table(
        ["elements", "numpy by hand", "gradcli (no steps)", "ratio", "gradcli (with steps)", "ratio"],
        rows,
    )
    print("Medians of", repeat, "runs after a warm-up; float64 on both sides; same process, one thread.")
    final = float(rows[-1][3].rstrip("x"))
    print(
        f"Target: gradcli within 2x of numpy by hand at 10^6 elements: {final:.2f}x, {verdict(final <= 2.0)}"
    )


if __name__ == "__main__":
    main()
