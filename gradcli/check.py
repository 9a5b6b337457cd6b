"""Reverse mode against finite differences (`gradcli check`), and the nudge narration (`--perturb`).

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
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from .backprop import needs_grad
from .errors import GradcliError
from .evaluation import evaluate, jacobian_rows
from .expr import Program
from .graph import Graph, Node, build_graph, program_names
from .ops import OPS
from .parse import parse_program, suggest
from .records import DerivationRecord

EPS = 6e-6
RTOL = 1e-5
ATOL = 1e-8
NUDGE = 1e-3  # seed 002 nudges u from 6 to 6.001
MACHINE_EPS = float(np.finfo(np.float64).eps)
SHRINK = 16.0
RETRIES = 3
MAX_ATTEMPTS = 300  # enough to go from h = eps down to eps·|x| for any normal float x
_MAX_REVERSE_PASSES = 2000  # the --perturb reverse column costs one backward pass per element


@dataclass(frozen=True)
class Row:
    """One gradient element: reverse mode next to the finite difference, and the verdict."""

    variable: str
    index: tuple[int, ...]  # the element of the variable; () for a scalar
    output_index: tuple[int, ...]  # the element of the output; () for a scalar output
    reverse: float
    fd: float  # the Richardson-extrapolated central difference (one-sided at a domain edge)
    abs_err: float
    rel_err: float
    verdict: str  # "ok", "kink" or "FAIL"
    h: float
    fd_h: float  # D(h)
    fd_h2: float  # D(h/2)
    truncation: float  # |D(h) - D(h/2)|
    noise: float  # the rounding noise estimate of fd
    tolerance: float  # what |reverse - fd| was allowed
    left: float  # one-sided differences
    right: float
    note: str = ""
    kink: tuple[str, ...] = ()  # the conventions of the kinks hit


@dataclass
class CheckResult:
    source: str
    output_name: str
    at: dict[str, np.ndarray]
    value: np.ndarray
    rows: list[Row]
    eps: float
    rtol: float
    atol: float
    warnings: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        """ "FAIL" if any row fails, else "kink" if a row sits at a kink, else "ok"."""
        verdicts = {row.verdict for row in self.rows}
        return "FAIL" if "FAIL" in verdicts else ("kink" if "kink" in verdicts else "ok")

    @property
    def passed(self) -> bool:
        return self.verdict != "FAIL"


def _validate(eps: float, rtol: float, atol: float) -> None:
    if not (math.isfinite(eps) and 0 < eps < 1):
        raise GradcliError(
            f"--eps must be a number between 0 and 1, not {eps}",
            hint="the step is eps * max(1, |x|); the default 6e-6 suits most functions",
        )
    for name, tol in (("--rtol", rtol), ("--atol", atol)):
        if not (math.isfinite(tol) and tol >= 0):
            raise GradcliError(f"{name} must be a number >= 0, not {tol}")


def _scalar(value) -> float:
    return float(np.asarray(value))


def check(
    source: str | Program,
    at: Mapping[str, object] | None = None,
    *,
    eps: float = EPS,
    rtol: float = RTOL,
    atol: float = ATOL,
) -> CheckResult:
    """Check every element of every variable's reverse-mode gradient against finite differences.

    Raises GradcliError for bad input, or when the output is not finite at the point.
    """
    _validate(eps, rtol, atol)
    program = parse_program(source) if isinstance(source, str) else source
    point = _Point.at(program, program_names(program), at or {})
    derivation = point.derivation
    output_name = derivation.output_node.name
    if not point.finite:
        raise GradcliError(
            f"the output {output_name} is {np.asarray(derivation.value).tolist()} here: "
            "finite differences need a finite value",
            hint="choose --at values inside the domain of every function",
        )
    settings = _Settings(eps, rtol, atol)
    rows: list[Row] = []
    for name in derivation.gradient:
        for index in np.ndindex(point.values[name].shape):
            x = abs(float(point.values[name][index]))
            rows += _element_rows(point, name, index, eps * max(1.0, x), settings, sides=True)
    warnings = [w for w in derivation.warnings if "does not depend" not in w]
    if not rows:
        warnings.append("there is nothing to check: the program has no variables with elements")
    return CheckResult(
        derivation.source,
        output_name,
        dict(derivation.at),
        np.asarray(derivation.value),
        rows,
        eps,
        rtol,
        atol,
        warnings,
    )


@dataclass(frozen=True)
class _Settings:
    eps: float
    rtol: float
    atol: float


@dataclass
class _Point:
    """The program evaluated and differentiated at one point, with what the rows need from it."""

    program: Program
    names: object  # ProgramNames
    derivation: DerivationRecord
    graph: Graph
    grads: list[list[np.ndarray | None]]  # ∂output[k]/∂node for every node, per output element k
    values: dict[str, np.ndarray]
    components: list[tuple[int, ...]]  # the output's elements; [()] for a scalar output

    @classmethod
    def at(cls, program: Program, names, values: Mapping[str, object]) -> _Point:
        derivation = evaluate(program, values)
        graph = Graph(derivation.nodes, derivation.output, derivation.variables, derivation.source)
        value = np.asarray(derivation.value)
        # A one-element output is differentiated as a scalar (the contract).
        components = [()] if value.size == 1 else list(np.ndindex(value.shape))
        arrays = {n: np.array(v, dtype=np.float64) for n, v in derivation.at.items()}
        return cls(program, names, derivation, graph, _node_grads(derivation, graph), arrays, components)

    @property
    def finite(self) -> bool:
        return bool(np.all(np.isfinite(self.derivation.value)))

    @property
    def f0(self) -> np.ndarray:
        return np.asarray(self.derivation.value, dtype=np.float64).ravel()

    def run(self, values: dict[str, np.ndarray]) -> list[Node]:
        """The nodes of the program evaluated at `values` (the same graph, other numbers)."""
        return build_graph(self.program, values, self.names).nodes

    def shifted(self, name: str, index: tuple[int, ...], offset: float) -> dict[str, np.ndarray]:
        moved = self.values[name].copy()
        moved[index] = moved[index] + offset
        return {**self.values, name: moved}

    def reverse(self, name: str, index: tuple[int, ...]) -> np.ndarray:
        """Reverse mode's gradient element, for every output element."""
        gradient = np.asarray(self.derivation.gradient[name])
        scalar = self.components == [()]
        return np.array(
            [_scalar(gradient[index] if scalar else gradient[k + index]) for k in self.components]
        )


def _node_grads(derivation: DerivationRecord, graph: Graph) -> list[list[np.ndarray | None]]:
    value = np.asarray(derivation.value)
    if value.size == 1:
        return [[node.grad for node in derivation.nodes]]
    needs = needs_grad(graph, set(derivation.variables.values()))
    rows = jacobian_rows(graph, needs, keep=set(range(len(graph.nodes))))
    return [[None if row is None else row[k] for row in rows] for k in range(value.size)]


@dataclass
class _Estimate:
    """Finite differences at one step h, one entry per output element."""

    h: float
    fd_h: np.ndarray
    fd_h2: np.ndarray
    fd: np.ndarray
    truncation: np.ndarray
    noise: np.ndarray
    left: np.ndarray
    right: np.ndarray
    noise_one_sided: np.ndarray
    plus: list[Node]  # the graph at x + h and x - h, to see which kinks the variable moves
    minus: list[Node]

    def settled(self, atol: float, rtol: float) -> bool:
        """Whether this step's difference can be trusted: truncation within the tolerance (or the
        noise, which a smaller step would only raise), and noise well below the difference itself.
        Reverse mode, the thing under test, has no say."""
        size = np.abs(self.fd)
        return bool(
            np.all(np.isfinite(self.fd))
            and np.all(self.truncation <= atol + rtol * size + self.noise)
            and np.all(self.noise <= atol + 0.1 * size)
        )

    @property
    def uncertainty(self) -> float:
        total = self.truncation + self.noise
        return float(np.max(total)) if np.all(np.isfinite(total)) else math.inf


def _estimate(point: _Point, name, index, h, noise_sum) -> _Estimate:
    def at(offset: float) -> tuple[np.ndarray, float, list[Node]]:
        values = point.shifted(name, index, offset)
        nodes = point.run(values)
        output = np.asarray(nodes[point.derivation.output].value, dtype=np.float64).ravel()
        return output, float(values[name][index]), nodes

    f0 = point.f0
    with np.errstate(all="ignore"):
        fp, xp, plus = at(h)
        fm, xm, minus = at(-h)
        fp2, xp2, _ = at(h / 2)
        fm2, xm2, _ = at(-h / 2)
        # Divide by the steps actually taken: x + h is rounded, the difference of arguments is exact.
        fd_h = (fp - fm) / (xp - xm)
        fd_h2 = (fp2 - fm2) / (xp2 - xm2)
        fd = (4.0 * fd_h2 - fd_h) / 3.0
        left = (3.0 * f0 - 4.0 * fm2 + fm) / h
        right = (-3.0 * f0 + 4.0 * fp2 - fp) / h
        # Worst-case rounding: each f carries ε·S, weighted by the coefficients of each formula.
        noise = 3.0 * MACHINE_EPS * noise_sum / h
        noise_one_sided = 8.0 * MACHINE_EPS * noise_sum / h
        truncation = np.abs(fd_h - fd_h2)
    return _Estimate(h, fd_h, fd_h2, fd, truncation, noise, left, right, noise_one_sided, plus, minus)


def _noise_sums(derivation: DerivationRecord, grads, depends: list[bool]) -> np.ndarray:
    """S = Σ |v · ∂f/∂v| over the non-constant nodes that depend on the variable, per output element."""
    sums = []
    for node_grads in grads:
        total = 0.0
        for node in derivation.nodes:
            grad = node_grads[node.id]
            if not depends[node.id] or node.op == "const" or grad is None:
                continue
            with np.errstate(all="ignore"):
                terms = np.abs(np.asarray(node.value) * grad)
            total += float(np.sum(terms[np.isfinite(terms)]))
        sums.append(total)
    return np.array(sums)


def _element_rows(point: _Point, name, index, h, settings: _Settings, sides: bool) -> list[Row]:
    """The rows of one element of a variable (one per output element), starting from step h."""
    derivation = point.derivation
    depends = needs_grad(point.graph, {derivation.variables[name]})
    kinks = [node for node in derivation.nodes if node.kink and depends[node.id]]
    noise_sum = _noise_sums(derivation, point.grads, depends)
    reverse = point.reverse(name, index)
    rtol, atol = settings.rtol, settings.atol
    # A tiny x gets steps relative to itself: the step shrinks down to eps·|x|, and 3 times more.
    floor = settings.eps * abs(float(point.values[name][index]))
    attempts = [_estimate(point, name, index, h, noise_sum)]
    while not (kinks or attempts[-1].settled(atol, rtol)):
        if (len(attempts) > RETRIES and h <= floor) or len(attempts) > MAX_ATTEMPTS:
            break
        h /= SHRINK
        attempts.append(_estimate(point, name, index, h, noise_sum))
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
        _judge(name, index, k, float(reverse[j]), chosen, j, hit, beside if sides else None, rtol, atol)
        for j, k in enumerate(point.components)
    ]


def _sides(point: _Point, name, index, h, settings: _Settings) -> list[list[Row] | None]:
    """The same check at x - h/2 and x + h/2, each with steps that stay on its side of the kink
    at x: on a smooth piece every rule must hold. None for a side outside the domain."""
    result: list[list[Row] | None] = []
    for offset in (-h / 2, h / 2):
        side = _Point.at(point.program, point.names, point.shifted(name, index, offset))
        if not side.finite:
            result.append(None)
            continue
        result.append(_element_rows(side, name, index, h / 16, settings, sides=False))
    return result


def _kinks_hit(derivation: DerivationRecord, kinks: list[Node], estimate: _Estimate) -> list[Node]:
    """The kink nodes whose kinked elements move when the variable does."""
    hit = []
    for node in kinks:
        op = OPS.get(node.op)
        if op is None or op.kink is None:
            continue
        inputs = [derivation.nodes[i].value for i in node.inputs]
        with np.errstate(all="ignore"):
            mask = np.asarray(op.kink(*inputs), dtype=bool)
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


def _judge(name, index, output_index, reverse, est: _Estimate, j, hit, beside, rtol, atol) -> Row:
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
    with np.errstate(all="ignore"):
        abs_err = abs(reverse - fd) if reverse != fd else 0.0
        scale = max(abs(reverse), abs(fd))
        rel_err = abs_err / scale if scale > 0 else 0.0
    tolerance = atol + rtol * scale + noise
    passes = _close(reverse, fd, atol, rtol, noise)
    sides = f"the one-sided differences are {_num(left)} and {_num(right)}"
    conventions = tuple(dict.fromkeys(node.kink for node in hit))
    said = "; ".join(conventions)
    verdict, wrong_beside = "", ""
    if hit and beside is not None:
        for where, rows in zip(("left", "right"), beside(), strict=True):
            if rows is not None and rows[j].verdict == "FAIL":
                row = rows[j]
                wrong_beside = (
                    f"at a kink ({said}), and just {where} of it ({_num(est.h / 2)} away, where the function "
                    f"is smooth) reverse mode gives {_num(row.reverse)} but finite differences {_num(row.fd)}"
                )
                break
    if wrong_beside:
        verdict, note = "FAIL", wrong_beside
    elif hit and not agree:
        verdict = "kink"
        note = f"not differentiable here; {sides} (reverse mode gives {_num(reverse)}: {said})"
    elif passes:
        verdict = "ok"
    elif hit:
        verdict = "kink"
        note = (
            f"differentiable here (both one-sided differences are {_num(left)}), but reverse mode gives "
            f"{_num(reverse)} by a kink's convention ({said})"
        )
    elif not agree and not math.isfinite(reverse):
        verdict = "kink"
        note = f"not differentiable here; {sides} (reverse mode gives {_num(reverse)})"
    elif not agree and (
        _close(reverse, left, atol, rtol, noise1) or _close(reverse, right, atol, rtol, noise1)
    ):
        verdict = "kink"
        side = "left" if _close(reverse, left, atol, rtol, noise1) else "right"
        note = (
            f"a kink lies within the step h = {_num(est.h)}: {sides}; reverse mode agrees with the "
            f"{side} one (a smaller --eps can step past it)"
        )
    else:
        verdict = "FAIL"
        note = f"reverse mode and finite differences differ by {_num(abs_err)} (allowed {_num(tolerance)})"
        if not math.isfinite(reverse) and math.isfinite(fd):
            note = (
                f"reverse mode gives {_num(reverse)} where finite differences give {_num(fd)}: an overflow, "
                "0·inf or inf − inf in the chain rule (gradcli eval shows the step where it starts)"
            )
        if truncation > tolerance:
            note += f"; the truncation estimate {_num(truncation)} is large, a smaller --eps may settle it"
        elif noise > atol + rtol * scale:
            note += "; rounding noise is large here, a larger --eps may settle it"
    return Row(
        name,
        tuple(int(i) for i in index),
        tuple(int(i) for i in output_index),
        reverse,
        fd,
        abs_err,
        rel_err,
        verdict,
        est.h,
        float(est.fd_h[j]),
        float(est.fd_h2[j]),
        truncation,
        noise,
        tolerance,
        left,
        right,
        note,
        conventions,
    )


def _num(value: float) -> str:
    from .numbers import format_number

    return format_number(value, 6)


# --- --perturb: nudge one node, watch everything downstream move ------------------------------


@dataclass(frozen=True)
class NudgeRow:
    node: Node
    before: np.ndarray
    after: np.ndarray
    change: np.ndarray
    ratio: np.ndarray  # change / h: the finite-difference estimate of ∂node/∂target
    reverse: np.ndarray | None  # ∂node/∂target by reverse mode (None when too costly)


@dataclass
class Nudge:
    derivation: DerivationRecord
    target: Node
    index: tuple[int, ...] | None  # the element nudged; None: every element
    h: float
    rows: list[NudgeRow]
    warnings: list[str] = field(default_factory=list)

    @property
    def target_label(self) -> str:
        return self.target.name + _index_text(self.index)


def _index_text(index: tuple[int, ...] | None) -> str:
    return "" if not index else "[" + ",".join(str(i) for i in index) + "]"


_SPEC = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[([^\]]*)\])?\s*(?:=(.*))?", re.DOTALL)


def parse_perturb(spec: str) -> tuple[str, tuple[int, ...] | None, float]:
    """`NAME`, `NAME=h`, `x[1]=h`, `W[0,1]` -> (name, index or None, h)."""
    match = _SPEC.fullmatch(spec)
    if match is None:
        raise GradcliError(
            f"--perturb expects NAME or NAME=h, got {spec!r}", hint="e.g. --perturb u=0.001 or --perturb x[1]"
        )
    name, index_text, h_text = match.groups()
    index = None
    if index_text is not None:
        try:
            index = tuple(int(part) for part in index_text.split(","))
        except ValueError:
            raise GradcliError(
                f"--perturb {spec!r}: the index must be whole numbers, e.g. {name}[0] or {name}[1,2]"
            ) from None
    h = NUDGE
    if h_text is not None:
        try:
            h = float(h_text)
        except ValueError:
            raise GradcliError(
                f"--perturb {spec!r}: {h_text.strip()!r} is not a number", hint="e.g. u=0.001"
            ) from None
        if not math.isfinite(h) or h == 0:
            raise GradcliError(f"--perturb {spec!r}: the nudge must be a finite number other than 0")
    return name, index, h


def perturb(source: str | Program, at: Mapping[str, object] | None, spec: str) -> Nudge:
    """Nudge one node (a variable, or an intermediate the program names) by h and recompute: the
    nodes before it keep their values, every node downstream moves, and change/h estimates its
    derivative with respect to the nudged node (seed 002's narration)."""
    name, index, h = parse_perturb(spec)
    derivation = evaluate(source, at or {})
    nodes = derivation.nodes
    target = next((node for node in nodes if node.op != "const" and node.name == name), None)
    if target is None:
        known = [node.name for node in nodes if node.op != "const"]
        near = suggest(name, known)
        raise GradcliError(
            f"--perturb names {name!r}, which is not a node of the program",
            hint=(f"did you mean {near!r}? " if near else "") + "the nodes are: " + ", ".join(known),
        )
    shape = np.shape(target.value)
    delta = np.zeros(shape)
    if index is None:
        delta += h
    else:
        if len(index) != len(shape) or not all(-n <= i < n for i, n in zip(index, shape, strict=True)):
            where = f"shape {shape}" if shape else "a scalar: leave the index out"
            raise GradcliError(f"--perturb {name}{_index_text(index)}: no such element, {name} is {where}")
        delta[index] = h
    graph = Graph(nodes, derivation.output, derivation.variables, derivation.source)
    depends = needs_grad(graph, {target.id})
    after = _replay(nodes, target, delta, depends)
    direction = delta / h
    reverse = _reverse_column(graph, target, depends, direction)
    warnings = list(derivation.warnings)
    if reverse is None:
        warnings.append(
            "the reverse-mode column is left out: the graph is too big to backpropagate from every node"
        )
    rows = []
    with np.errstate(all="ignore"):
        for node in nodes:
            before = np.asarray(node.value)
            change = after[node.id] - before
            rows.append(
                NudgeRow(
                    node,
                    before,
                    after[node.id],
                    change,
                    change / h,
                    None if reverse is None else reverse[node.id],
                )
            )
    return Nudge(derivation, target, index, h, rows, warnings)


def _replay(nodes: list[Node], target: Node, delta: np.ndarray, depends: list[bool]) -> list[np.ndarray]:
    """The values with `target` moved by `delta`: the nodes downstream recomputed, the others kept."""
    values = [np.asarray(node.value) for node in nodes]
    with np.errstate(all="ignore"):
        for node in nodes:
            if node.id == target.id:
                values[node.id] = values[node.id] + delta
            elif depends[node.id]:
                forward: Callable = OPS[node.op].forward
                again = forward(*(nodes[i].value for i in node.inputs))
                if not np.array_equal(again, node.value, equal_nan=True):
                    raise GradcliError(f"cannot nudge through {node.name} ({node.op}): it does not recompute")
                values[node.id] = np.asarray(forward(*(values[i] for i in node.inputs)))
    return values


def _reverse_column(graph: Graph, target: Node, depends: list[bool], direction: np.ndarray):
    """∂node/∂target (along the nudge's direction) for every node, by backpropagating from each."""
    nodes = graph.nodes
    passes = sum(np.size(node.value) for node in nodes if depends[node.id])
    if passes > _MAX_REVERSE_PASSES:
        return None
    column: list[np.ndarray] = []
    for node in nodes:
        if not depends[node.id]:
            column.append(np.zeros(np.shape(node.value)))
            continue
        sub = Graph(nodes, node.id, graph.variables, graph.source)
        value = np.asarray(node.value)
        rows = jacobian_rows(sub, depends, keep={target.id})[target.id]  # ∂node[k]/∂target, every k
        if rows is None:
            column.append(np.zeros(value.shape))
            continue
        entries = np.sum(rows * direction, axis=tuple(range(1, rows.ndim)))
        column.append(entries.reshape(value.shape))
    return column
