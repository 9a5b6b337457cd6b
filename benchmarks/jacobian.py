"""Issue 14: the Jacobian of tanh(x) at 2,000 elements through the whole process, against the
start-up floor of any numpy tool and numpy computing the same Jacobian directly, in the same run.

    python benchmarks/jacobian.py [--quick]

The command is `gradcli eval "tanh(x)" --at x=[...2,000 numbers...] --brief --json` (a subprocess,
stdout to a pipe): parsing, one batched backward pass over 2,000 one-hot seeds, and 4 million
numbers written as JSON (52 MB). Before issue 14 the Jacobian was one backward pass per output
element and the 6,000-element case took 51 s and 5 GB. Targets: under 3 s and under 1 GB peak
memory (the peak resident set of the child, from getrusage(RUSAGE_CHILDREN)).
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time

import numpy as np
from _common import arguments, median, print_machine, seconds, spread, table, verdict

N = 2000


def run(command: list[str]) -> tuple[float, int]:
    """Wall time of the command and its output's size in bytes."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=True)
    return time.perf_counter() - start, len(done.stdout)


def peak_child_mb() -> float:
    """The largest resident set of any child waited for so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def by_numpy(x: np.ndarray) -> np.ndarray:
    """The Jacobian written out: d tanh(x_i)/d x_j = (1 - tanh(x_i)^2) if i == j else 0."""
    return np.diag(1.0 - np.tanh(x) ** 2)


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    print_machine(f"gradcli jacobian: tanh(x) at {N:,} elements, whole process", args.quick)
    repeat = 3 if args.quick else 7
    x = np.linspace(-3.0, 3.0, N)
    at = "x=[" + ",".join(repr(float(v)) for v in x) + "]"
    floor_command = [sys.executable, "-c", "import numpy"]
    gradcli_command = [sys.executable, "-m", "gradcli", "eval", "tanh(x)", "--at", at, "--brief", "--json"]

    # The floor first: getrusage(RUSAGE_CHILDREN) keeps the largest child so far, so reading it
    # after each group gives that group's peak as long as the groups grow.
    floor = [run(floor_command)[0] for _ in range(repeat + 1)][1:]
    floor_mb = peak_child_mb()
    runs = [run(gradcli_command) for _ in range(repeat + 1)][1:]
    gradcli_mb = peak_child_mb()
    times = [t for t, _ in runs]
    direct = []
    for _ in range(repeat):
        start = time.perf_counter()
        by_numpy(x)
        direct.append(time.perf_counter() - start)

    rows = [
        [
            'python -c "import numpy"  (the floor)',
            seconds(median(floor)),
            spread(floor),
            f"{floor_mb:.0f} MB",
            "",
        ],
        [
            "numpy: np.diag(1 - tanh(x)^2), in process",
            seconds(median(direct)),
            spread(direct),
            "",
            "",
        ],
        [
            "gradcli eval tanh(x) --brief --json",
            seconds(median(times)),
            spread(times),
            f"{gradcli_mb:.0f} MB",
            f"{median(times) / median(floor):.1f}x the floor",
        ],
    ]
    table(["command", "median", "IQR", "peak RSS", "ratio"], rows)
    print(f"Medians of {repeat} runs after a warm-up; output {runs[0][1] / 1e6:.0f} MB of JSON to a pipe.")
    print(f"Target: under 3 s: {seconds(median(times))}, {verdict(median(times) < 3.0)}")
    print(f"Target: under 1 GB peak memory: {gradcli_mb:.0f} MB, {verdict(gradcli_mb < 1024)}")


if __name__ == "__main__":
    main()
