"""The common mistakes of a backward pass, as the numbers each would have given.

For a wrong cell the grader asks, in order, whether the student's number is what one of these
mistakes gives from the student's own values above it; the first that fits names the mistake.
Each function returns (mistake, value) pairs; a value equal to the right one is skipped by
the caller, so only a mistake that changes the number can be named.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Candidates = list[tuple[str, np.ndarray]]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def local(op: str, index: int, args: list[np.ndarray], out: np.ndarray, right: np.ndarray) -> Candidates:
    """A local derivative ∂out/∂args[index] of `op`, done wrong."""
    found: Candidates = [("value_not_local", out)]
    if op == "mul":
        found.append(("swapped", args[index]))
    elif op == "div":
        a, b = args
        if index == 0:
            found.append(("swapped", -b / a**2))
        else:
            found += [
                ("quotient", -1 / b**2),
                ("quotient", 1 / b**2),
                ("quotient", 1 / b),
                ("swapped", 1 / a),
            ]
    elif op == "exp":
        found += [("exp_log", 1 / args[0]), ("exp_log", np.log(args[0]))]
    elif op == "log":
        found += [("exp_log", np.exp(args[0])), ("exp_log", args[0])]
    elif op == "tanh":
        s = _sigmoid(args[0])
        found += [("tanh_sigmoid", out * (1 - out)), ("tanh_sigmoid", s * (1 - s))]
    elif op == "sigmoid":
        t = np.tanh(args[0])
        found += [("tanh_sigmoid", 1 - out**2), ("tanh_sigmoid", 1 - t**2)]
    found.append(("sign", -right))
    return found


def contribution(
    local: np.ndarray | None, upstream: np.ndarray, out: np.ndarray, right: np.ndarray
) -> Candidates:
    """local × upstream, done wrong."""
    found: Candidates = []
    if local is not None:
        found.append(("added", local + upstream))
    found += [("value_not_local", out * upstream), ("sign", -right)]
    return found


def gradient(parts: list[np.ndarray], right: np.ndarray) -> Candidates:
    """The gradient of a node that feeds `parts` (their contributions), done wrong: one of
    them alone, or all but one (the sum rule missed), or the sign lost."""
    found: Candidates = []
    if len(parts) > 1:
        found += [("sum_rule", part) for part in parts]
        if len(parts) > 2:
            total = sum(parts)
            found += [("sum_rule", total - part) for part in parts]
    found.append(("sign", -right))
    return found


def forward(
    op: str, args: list[np.ndarray], forward_rule: Callable[..., np.ndarray], options: dict, right: np.ndarray
) -> Candidates:
    """A node's value, done wrong: the operands of - or / swapped, the sign lost."""
    found: Candidates = []
    if op in ("sub", "div") and len(args) == 2:
        found.append(("swapped", forward_rule(args[1], args[0], **options)))
    found.append(("sign", -right))
    return found
