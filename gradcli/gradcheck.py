"""Reverse mode against finite differences: `gradcli check` (`--perturb` is in nudge.py).

The rule, for every element x of every variable (it is also in `gradcli check --help`):

- step: h = eps * max(1, |x|), eps = 6e-6 by default (about the cube root of the machine epsilon,
  the best step for a central difference; scipy's `approx_fprime` scales its step the same way);
- central differences with h and h/2, D(h) = (f(x+h) - f(x-h)) / 2h, and their Richardson
  extrapolation fd = (4 D(h/2) - D(h)) / 3, which cancels the h^2 term of the truncation error;
- truncation estimate |D(h) - D(h/2)|; rounding-noise estimate 3 ε S / h, with ε the machine
  epsilon and S = Σ |v · ∂f/∂v| over the intermediate values v that depend on the variable (each
  rounding of v by ε|v| moves f by that much; the sum is at least |f|, and it sees cancellation
  such as (x + 1e8) - 1e8 that |f| alone misses);
- the step is trusted when the truncation estimate is within atol + rtol |fd| + noise and the
  noise below a tenth of |fd|. Otherwise (or when a step leaves the function's domain) h is
  divided by 16 and tried again: down to eps * |x| and three times more, so a tiny x gets a step
  relative to itself. When no step is trusted, the one with the least truncation + noise is used.
  Reverse mode, the thing under test, never steers the step;
- a row passes when |reverse - fd| <= atol + rtol * max(|reverse|, |fd|) + noise.

Kinks: when a node that depends on the variable sits exactly at a kink (relu, abs, sign, step at 0,
a max/min tie, sqrt or a power at base 0, ...) and its input moves with the variable, the
one-sided differences L = (3f(x) - 4f(x-h/2) + f(x-h)) / h and R = (-3f(x) + 4f(x+h/2) - f(x+h)) / h
are compared. If they differ, the function is not differentiable there and the row says so
(verdict "kink") with both numbers instead of failing: reverse mode gave its convention's value.
So that a kink cannot hide a wrong rule, the same check runs at x - h/2 and x + h/2, where the
function is smooth, and a failure there fails the row.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from .backprop import needs_grad
from .differences import Estimate, Point, estimate, noise_sums
from .errors import GradcliError
from .expr import Program
from .graph import program_names
from .numbers import format_number
from .ops import OPS
from .parse import parse_program
from .records import DerivationRecord, NodeRecord
from .records.check import CheckResult, Row

EPS = 6e-6
RTOL = 1e-5
ATOL = 1e-8
SHRINK = 16.0
RETRIES = 3
MAX_ATTEMPTS = 300  # enough to go from h = eps down to eps·|x| for any normal float x


@dataclass(frozen=True)
class Settings:
    """The relative step of the finite differences and the tolerances of a row, checked as they
    come in (GradcliError names the option)."""

    eps: float = EPS
    rtol: float = RTOL
    atol: float = ATOL

    def __post_init__(self) -> None:
        if not (math.isfinite(self.eps) and 0 < self.eps < 1):
            raise GradcliError(
                f"--eps must be a number between 0 and 1, not {self.eps}",
                hint="the step is eps * max(1, |x|); the default 6e-6 suits most functions",
            )
        for name, tol in (("--rtol", self.rtol), ("--atol", self.atol)):
            if not (math.isfinite(tol) and tol >= 0):
                raise GradcliError(f"{name} must be a number >= 0, not {tol}")


def check(
    source: str | Program, values: Mapping[str, object], wrt: Iterable[str] | None, settings: Settings
) -> CheckResult:
    """Check every element of the reverse-mode gradient of every variable (or of those in `wrt`)
    against finite differences (`gradcli.api.check` is the public entry).

    Raises GradcliError for bad input, or when the output is not finite at the point.
    """
    program = parse_program(source) if isinstance(source, str) else source
    wrt = None if wrt is None else tuple(wrt)
    point = Point.at(program, program_names(program), values, wrt)
    derivation, value = point.derivation, np.asarray(point.derivation.value)
    output_name = derivation.output_node.name
    if not np.all(np.isfinite(value)):
        raise GradcliError(
            f"the output {output_name} is {value.tolist()} here: finite differences need a finite value",
            hint="choose --at values inside the domain of every function",
        )
    rows: list[Row] = []
    for name in derivation.gradient:
        for index in np.ndindex(point.values[name].shape):
            x = abs(float(point.values[name][index]))
            rows += _element_rows(point, name, index, settings.eps * max(1.0, x), settings, sides=True)
    warnings = [w for w in derivation.warnings if "does not depend" not in w]
    if not rows:
        warnings.append("there is nothing to check: the program has no variables with elements")
    at = dict(derivation.at)
    return CheckResult(
        derivation.source, output_name, at, value, rows, settings.eps, settings.rtol, settings.atol, warnings
    )


def _element_rows(point: Point, name, index, h, settings: Settings, sides: bool) -> list[Row]:
    """The rows of one element of a variable (one per output element), starting from step h."""
    derivation = point.derivation
    depends = needs_grad(point.graph, {derivation.variables[name]})
    kinks = [node for node in derivation.nodes if node.kink and depends[node.id]]
    noise_sum = noise_sums(derivation, point.grads, depends)
    reverse = point.reverse(name, index)
    rtol, atol = settings.rtol, settings.atol
    # A tiny x gets steps relative to itself: the step shrinks down to eps·|x|, and 3 times more.
    floor = settings.eps * abs(float(point.values[name][index]))
    attempts = [estimate(point, name, index, h, noise_sum)]
    while not (kinks or attempts[-1].settled(atol, rtol)):
        if (len(attempts) > RETRIES and h <= floor) or len(attempts) > MAX_ATTEMPTS:
            break
        h /= SHRINK
        attempts.append(estimate(point, name, index, h, noise_sum))
    chosen = attempts[-1]
    if not (kinks or chosen.settled(atol, rtol)):
        chosen = min(attempts, key=lambda e: e.uncertainty)
    hit = _kinks_hit(derivation, kinks, chosen)
    checked_sides: list = []

    def beside() -> list[list[Row] | None]:
        if not checked_sides:
            checked_sides.extend(_sides(point, name, index, chosen.h, settings))
        return checked_sides

    return [
        _judge(name, index, k, float(reverse[j]), chosen, j, hit, beside if sides else None, settings)
        for j, k in enumerate(point.components)
    ]


def _sides(point: Point, name, index, h, settings: Settings) -> list[list[Row] | None]:
    """The same check at x - h/2 and x + h/2, each with steps that stay on its side of the kink
    at x: on a smooth piece every rule must hold. None for a side outside the domain."""
    result: list[list[Row] | None] = []
    for offset in (-h / 2, h / 2):
        side = Point.at(point.program, point.names, point.shifted(name, index, offset), point.wrt)
        if not np.all(np.isfinite(side.derivation.value)):
            result.append(None)
            continue
        result.append(_element_rows(side, name, index, h / 16, settings, sides=False))
    return result


def _kinks_hit(derivation: DerivationRecord, kinks: list[NodeRecord], estimate: Estimate) -> list[NodeRecord]:
    """The kink nodes whose kinked elements move when the variable does."""
    hit = []
    for node in kinks:
        op = OPS.get(node.op)
        if op is None or op.kink is None:
            continue
        inputs = [derivation.nodes[i].value for i in node.inputs]
        with np.errstate(all="ignore"):
            mask = np.asarray(op.kink(*inputs, **dict(node.options)), dtype=bool)
        moved = np.zeros(mask.shape, dtype=bool)
        for i in node.inputs:
            before = np.asarray(derivation.nodes[i].value)
            plus, minus = np.asarray(estimate.plus[i].value), np.asarray(estimate.minus[i].value)
            moved = moved | _spread((plus != before) | (minus != before), mask.shape)
        if (mask & moved).any():
            hit.append(node)
    return hit


def _spread(flags: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """`flags` broadcast to `shape`; for an op that is not elementwise, whether any flag is set."""
    try:
        return np.broadcast_to(flags, shape)
    except ValueError:
        return np.full(shape, bool(np.any(flags)))


def _close(a: float, b: float, atol: float, rtol: float, noise: float) -> bool:
    if a == b:
        return True
    error = abs(a - b)
    return math.isfinite(error) and error <= atol + rtol * max(abs(a), abs(b)) + noise


@dataclass(frozen=True)
class _Compared:
    """What reverse mode is compared with, for one output element at the chosen step."""

    fd: float  # the central difference, or a one-sided one (the note says why)
    noise: float
    left: float
    right: float
    truncation: float
    noise_one_sided: float
    agree: bool  # the one-sided differences agree: differentiable, as far as they can tell
    note: str


def _compared(reverse: float, est: Estimate, j: int, settings: Settings) -> _Compared:
    rtol, atol = settings.rtol, settings.atol
    fd, noise = float(est.fd[j]), float(est.noise[j])
    left, right = float(est.left[j]), float(est.right[j])
    truncation, noise1 = float(est.truncation[j]), float(est.noise_one_sided[j])
    note = ""
    if not math.isfinite(fd):  # a step left the domain: use the side that stayed in it
        for side, one_sided in (("right", right), ("left", left)):
            if math.isfinite(one_sided):
                fd, noise = one_sided, noise1
                note = f"the central difference leaves the domain; the {side}-sided difference is used"
                break
    agree = (
        math.isfinite(left)
        and math.isfinite(right)
        and _close(left, right, atol, rtol, 2 * noise1 + 2 * truncation)
    )
    if (
        not _close(reverse, fd, atol, rtol, noise)
        and agree
        and _close(reverse, (left + right) / 2, atol, rtol, noise1)
    ):
        # The central differences straddle a jump of a higher derivative (relu(x)^2 at 0); the
        # one-sided ones, each on a smooth piece, agree with each other and with reverse mode.
        fd, noise = (left + right) / 2, noise1
        note = "the one-sided differences are used: the central ones straddle a kink of a higher derivative"
    return _Compared(fd, noise, left, right, truncation, noise1, agree, note)


def _judge(
    name: str,
    index: tuple[int, ...],
    output_index: tuple[int, ...],
    reverse: float,
    est: Estimate,
    j: int,
    hit: list[NodeRecord],
    beside: Callable[[], list[list[Row] | None]] | None,
    settings: Settings,
) -> Row:
    """Output element j's row for one element of a variable: the errors and the verdict."""
    c = _compared(reverse, est, j, settings)
    with np.errstate(all="ignore"):
        abs_err = abs(reverse - c.fd) if reverse != c.fd else 0.0
        scale = max(abs(reverse), abs(c.fd))
        rel_err = abs_err / scale if scale > 0 else 0.0
    tolerance = settings.atol + settings.rtol * scale + c.noise
    conventions = tuple(dict.fromkeys(node.kink for node in hit))
    said = "; ".join(conventions)
    wrong = _wrong_beside(beside(), j, said, est.h) if hit and beside is not None else ""
    if wrong:
        verdict, note = "FAIL", wrong
    else:
        verdict, note = _verdict(reverse, c, bool(hit), said, est.h, settings)
        if verdict == "FAIL":
            note = _failure(reverse, c, abs_err, scale, tolerance, settings)
    return Row(
        name,
        tuple(int(i) for i in index),
        tuple(int(i) for i in output_index),
        reverse,
        c.fd,
        abs_err,
        rel_err,
        verdict,
        est.h,
        float(est.fd_h[j]),
        float(est.fd_h2[j]),
        c.truncation,
        c.noise,
        tolerance,
        c.left,
        c.right,
        note,
        conventions,
    )


def _wrong_beside(sides: list[list[Row] | None], j: int, said: str, h: float) -> str:
    """Why the row fails when the check beside a kink (h/2 to either side) fails; "" if it passes."""
    for where, rows in zip(("left", "right"), sides, strict=True):
        if rows is not None and rows[j].verdict == "FAIL":
            row = rows[j]
            return (
                f"at a kink ({said}), and just {where} of it ({_shown(h / 2)} away, where the function "
                f"is smooth) reverse mode gives {_shown(row.reverse)} but finite differences {_shown(row.fd)}"
            )
    return ""


def _verdict(
    reverse: float, c: _Compared, hit: bool, said: str, h: float, settings: Settings
) -> tuple[str, str]:
    """("ok" | "kink" | "FAIL", the note): a kink explains a disagreement only when the one-sided
    differences show one, or reverse mode gave a kinked op's convention."""
    rtol, atol = settings.rtol, settings.atol
    left, right, noise1 = c.left, c.right, c.noise_one_sided
    sides = f"the one-sided differences are {_shown(left)} and {_shown(right)}"
    if hit and not c.agree:
        return "kink", f"not differentiable here; {sides} (reverse mode gives {_shown(reverse)}: {said})"
    if _close(reverse, c.fd, atol, rtol, c.noise):
        return "ok", c.note
    if hit:
        return "kink", (
            f"differentiable here (both one-sided differences are {_shown(left)}), but reverse mode gives "
            f"{_shown(reverse)} by a kink's convention ({said})"
        )
    if not c.agree and not math.isfinite(reverse):
        return "kink", f"not differentiable here; {sides} (reverse mode gives {_shown(reverse)})"
    on_left = _close(reverse, left, atol, rtol, noise1)
    if not c.agree and (on_left or _close(reverse, right, atol, rtol, noise1)):
        side = "left" if on_left else "right"
        return "kink", (
            f"a kink lies within the step h = {_shown(h)}: {sides}; reverse mode agrees with the "
            f"{side} one (a smaller --eps can step past it)"
        )
    return "FAIL", ""


def _failure(
    reverse: float, c: _Compared, abs_err: float, scale: float, tolerance: float, settings: Settings
) -> str:
    """The note of a failed row: by how much, and what might settle it."""
    note = f"reverse mode and finite differences differ by {_shown(abs_err)} (allowed {_shown(tolerance)})"
    if not math.isfinite(reverse) and math.isfinite(c.fd):
        note = (
            f"reverse mode gives {_shown(reverse)} where finite differences give {_shown(c.fd)}: "
            "an overflow, 0·inf or inf − inf in the chain rule (gradcli eval shows the step where it starts)"
        )
    if c.truncation > tolerance:
        note += f"; the truncation estimate {_shown(c.truncation)} is large, a smaller --eps may settle it"
    elif c.noise > settings.atol + settings.rtol * scale:
        note += "; rounding noise is large here, a larger --eps may settle it"
    return note


def _shown(value: float) -> str:
    """A number in a row's note, as the tables show it: the note is part of the result (`note` in
    the JSON), so it is written here rather than by a renderer."""
    return format_number(value, 6)
