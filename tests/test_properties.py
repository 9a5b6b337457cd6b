"""Property tests over random expressions: gradients against finite differences, and the printed
derivation against its own numbers.

Expressions are random trees over the binary operators and every function gradcli can call (read
from `gradcli.ops.FUNCTIONS`, so a new function is drawn as soon as it exists). Each tree is
printed as gradcli source and also evaluated here by a reference evaluator written with numpy,
independent of gradcli's op table: the finite differences are taken of that evaluator.
"""

from __future__ import annotations

import importlib
import math
from pathlib import Path

import numpy as np
from conftest import KINK_DISTANCE, run_cli
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gradcli.api import evaluate
from gradcli.graph import program_names
from gradcli.ops import FUNCTIONS, OPS
from gradcli.parse import parse_program

VARIABLES = ("x", "y", "z")
CONSTANTS = {
    "0.5": 0.5,
    "1": 1.0,
    "2": 2.0,
    "3": 3.0,
    "1.5": 1.5,
    ".25": 0.25,
    "1e-1": 0.1,
    "pi": math.pi,
    "e": math.e,
}


def _takes_numbers(op) -> bool:
    """Whether a call of `op` on numbers is a number (dot, outer, indexing take arrays)."""
    if op.variadic or not getattr(op, "generic_test", True):
        return False
    numbers = [np.float64(0.5)] * op.arity
    if op.check is not None and op.check(*numbers) is not None:
        return False
    with np.errstate(all="ignore"):  # acosh(0.5) is nan: only its shape is asked here
        return np.ndim(op.forward(*numbers)) == 0


SCALAR_FUNCTIONS = sorted(key for key, op in FUNCTIONS.items() if _takes_numbers(op))
UNARY_FUNCTIONS = [name for name, arity in SCALAR_FUNCTIONS if arity == 1]
BINARY_FUNCTIONS = [name for name, arity in SCALAR_FUNCTIONS if arity == 2]

# The reference: how numpy computes each function, written here and not read from gradcli.
REFERENCE = {
    ("exp", 1): np.exp,
    ("log", 1): np.log,
    ("ln", 1): np.log,
    ("sqrt", 1): np.sqrt,
    ("sin", 1): np.sin,
    ("cos", 1): np.cos,
    ("tan", 1): np.tan,
    ("asin", 1): np.arcsin,
    ("acos", 1): np.arccos,
    ("atan", 1): np.arctan,
    ("sinh", 1): np.sinh,
    ("cosh", 1): np.cosh,
    ("tanh", 1): np.tanh,
    ("sigmoid", 1): lambda v: 1.0 / (1.0 + np.exp(-v)),
    ("relu", 1): lambda v: np.maximum(v, 0.0),
    ("softplus", 1): lambda v: np.logaddexp(0.0, v),
    ("abs", 1): np.abs,
    ("sign", 1): np.sign,
    ("step", 1): lambda v: np.float64(v > 0),
    ("max", 2): np.maximum,
    ("min", 2): np.minimum,
    ("pow", 2): np.power,
    # Reductions and array functions, on one number:
    ("sum", 1): lambda v: v,
    ("mean", 1): lambda v: v,
    ("max", 1): lambda v: v,
    ("min", 1): lambda v: v,
    ("maxmask", 1): lambda v: np.float64(1.0),
    ("minmask", 1): lambda v: np.float64(1.0),
    ("transpose", 1): lambda v: v,
    ("norm", 1): np.abs,
    ("logsumexp", 1): lambda v: v,
    ("softmax", 1): lambda v: np.float64(1.0),
    # Operators:
    ("+", 2): np.add,
    ("-", 2): np.subtract,
    ("*", 2): np.multiply,
    ("/", 2): np.divide,
    ("^", 2): np.power,
}

for _path in sorted(Path(__file__).parent.glob("closed_forms_*.py")):
    REFERENCE.update(getattr(importlib.import_module(_path.stem), "REFERENCE", {}))

NEAR = 1e-3
HUGE = 1e6


def test_the_reference_covers_every_function():
    assert set(SCALAR_FUNCTIONS) <= set(REFERENCE), "add the new function to REFERENCE"
    assert {("exp", 1), ("tanh", 1), ("max", 2), ("pow", 2), ("sum", 1)} <= set(SCALAR_FUNCTIONS)
    with_kink = {name for name, op in OPS.items() if op.kink is not None}
    assert with_kink <= set(KINK_DISTANCE), "add the new op's kink to KINK_DISTANCE"


# --- trees: ("var", name) | ("num", text) | ("neg", a) | ("op", symbol, a, b) | ("call", f, args)


def leaves(names):
    return st.one_of(
        st.sampled_from(names).map(lambda n: ("var", n)),
        st.sampled_from(sorted(CONSTANTS)).map(lambda t: ("num", t)),
    )


def extend(children):
    return st.one_of(
        st.tuples(st.just("op"), st.sampled_from("+-*/^"), children, children),
        st.tuples(st.just("neg"), children),
        st.tuples(st.just("call"), st.sampled_from(UNARY_FUNCTIONS), st.tuples(children)),
        st.tuples(st.just("call"), st.sampled_from(BINARY_FUNCTIONS), st.tuples(children, children)),
    )


def to_source(tree) -> str:
    kind = tree[0]
    if kind in ("var", "num"):
        return tree[1]
    if kind == "neg":
        return f"(-{to_source(tree[1])})"
    if kind == "op":
        return f"({to_source(tree[2])} {tree[1]} {to_source(tree[3])})"
    return f"{tree[1]}({', '.join(to_source(a) for a in tree[2])})"


def reference(tree, env: dict[str, float]) -> float:
    kind = tree[0]
    if kind == "var":
        return np.float64(env[tree[1]])
    if kind == "num":
        return np.float64(CONSTANTS[tree[1]])
    if kind == "neg":
        return -reference(tree[1], env)
    if kind == "op":
        return REFERENCE[tree[1], 2](reference(tree[2], env), reference(tree[3], env))
    return REFERENCE[tree[1], len(tree[2])](*(reference(a, env) for a in tree[2]))


def variables_of(tree) -> set[str]:
    if tree[0] == "var":
        return {tree[1]}
    if tree[0] == "num":
        return set()
    parts = tree[1:] if tree[0] == "neg" else (tree[2:] if tree[0] == "op" else tree[2])
    return set().union(*(variables_of(p) for p in parts))


@st.composite
def expressions(draw, max_leaves: int = 10):
    count = draw(st.integers(1, 3))
    names = VARIABLES[:count]
    tree = draw(st.recursive(leaves(names), extend, max_leaves=max_leaves))
    used = variables_of(tree)
    assume(used)
    point = {name: draw(st.floats(-2.0, 2.0, allow_nan=False)) for name in sorted(used)}
    return tree, point


def five_point(f, env: dict[str, float], name: str, scale: float) -> float:
    """Central difference of 4th order: error h^4 f^(5)/30, so rounding noise stays small."""
    x = env[name]
    h = scale * max(1.0, abs(x))

    def at(offset):
        return f({**env, name: x + offset})

    return float((at(-2 * h) - 8 * at(-h) + 8 * at(h) - at(2 * h)) / (12 * h))


def near_kink(derivation) -> bool:
    nodes = derivation.nodes
    for node in nodes:
        if node.kink:
            return True
        distance = KINK_DISTANCE.get(node.op)
        if distance is not None and distance(*(float(nodes[i].value) for i in node.inputs)) < NEAR:
            return True
    return False


def _tame(number) -> bool:
    number = float(number)
    return math.isfinite(number) and abs(number) <= HUGE


def smooth_and_tame(derivation) -> bool:
    """Finite, moderate values, and no huge local derivative (`x/x` at x = 1e-135 has partials
    of 1e135 that cancel: float addition absorbs the rest of the gradient, in PyTorch too)."""
    if not all(_tame(node.value) for node in derivation.nodes):
        return False
    if not all(
        (step.local is None or _tame(step.local)) and _tame(step.contribution) for step in derivation.steps
    ):
        return False
    return not near_kink(derivation)


def _check_gradient(tree, point) -> bool:
    """Compare every gradient with finite differences; False where the comparison is not meaningful."""
    source = to_source(tree)
    with np.errstate(all="ignore"):
        truth = float(reference(tree, point))
    if not math.isfinite(truth) or abs(truth) > HUGE:
        return False
    result = evaluate(source, **point)
    if not smooth_and_tame(result):
        return False
    value = float(result.value)
    assert abs(value - truth) <= 1e-9 * max(1.0, abs(truth)), f"{source} at {point}: {value} != {truth}"

    def f(env):
        with np.errstate(all="ignore"):
            return reference(tree, env)

    for name in point:
        grad = float(result.gradient[name])
        if not math.isfinite(grad) or abs(grad) > HUGE:
            return False
        fine, coarse = five_point(f, point, name, 1e-4), five_point(f, point, name, 2e-4)
        if not (math.isfinite(fine) and math.isfinite(coarse)):
            return False
        scale = max(1.0, abs(fine))
        if abs(fine - coarse) > 1e-8 * scale:
            return False  # finite differences are ill-conditioned here (a steep wall, a pole)
        assert abs(grad - fine) <= 1e-6 * abs(fine) + 1e-7, (
            f"d/d{name} of {source} at {point}: backprop {grad}, finite differences {fine}"
        )
    return True


def test_gradients_match_finite_differences():
    checked = []

    @settings(
        max_examples=200,
        deadline=None,
        suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
    )
    @given(expressions())
    def prop(case):
        tree, point = case
        ok = _check_gradient(tree, point)
        assume(ok)
        checked.append(to_source(tree))

    prop()
    # A property that discards everything proves nothing.
    assert len(checked) >= 60, f"only {len(checked)} examples were smooth enough to compare"
    assert sum(len(source) > 12 for source in checked) >= 30, "too few non-trivial expressions"


# --- the derivation's printed numbers --------------------------------------------------------


@st.composite
def programs(draw):
    """A random expression, or a small program that rebinds a name and uses it twice."""
    first, point = draw(expressions(max_leaves=6))
    if draw(st.booleans()):
        return to_source(first), point
    second, more = draw(expressions(max_leaves=4))
    point = {**more, **point}
    source = f"t = {to_source(first)}\nt = t * {to_source(second)} + t; u = t*t; u - t"
    return source, point


def _bindings(formula: str, values: dict[str, float], upstream) -> dict[str, float]:
    """Node values by name; a vector-Jacobian step (`local` is null) also reads the upstream
    gradient, under a name no node has (`grad`)."""
    free = program_names(parse_program(formula)).free
    unknown = [n for n in free if n not in values and n not in ("pi", "e")]
    if upstream is None:
        assert not unknown, f"local formula {formula!r} reads {unknown}, which no node is called"
    else:
        assert len(unknown) <= 1, f"vjp formula {formula!r} reads {unknown}: one name is the upstream"
    bound = {n: values[n] for n in free if n in values}
    bound.update({n: upstream for n in unknown})
    return bound


def _finite(*numbers) -> bool:
    return all(isinstance(v, float) and math.isfinite(v) for v in numbers)


def test_json_steps_restate_their_numbers():
    checked = []

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
    @given(programs())
    def prop(case):
        source, point = case
        pairs = ",".join(f"{name}={value!r}" for name, value in point.items())
        run = run_cli("eval", source, *(["--at", pairs] if pairs else []), "--json")
        assert run.code == 0, run.err
        data = run.json()
        nodes = data["nodes"]
        assume(all(_finite(node["value"]) for node in nodes))
        values = {node["name"]: node["value"] for node in nodes if node["op"] != "const"}
        assert len(values) == sum(node["op"] != "const" for node in nodes), "two nodes share a name"
        for step in data["steps"]:
            vjp = step["local"] is None  # not elementwise: the formula gives the contribution
            if not _finite(step["upstream"], step["contribution"], *([] if vjp else [step["local"]])):
                continue
            formula = step["local_formula"]
            restated = evaluate(formula, **_bindings(formula, values, step["upstream"] if vjp else None))
            if not all(np.isfinite(node.value) for node in restated.nodes):
                continue  # the formula overflows in floats (y * x^(y-1) at y = 0, x = 5e-324)
            printed = float(restated.value)
            number = step["contribution"] if vjp else step["local"]
            # At a kink the number follows the convention (relu'(0) = 0, x^0 gives 0 to x) and the
            # step says so; everywhere else the printed formula must give the printed number.
            agrees = abs(printed - number) <= 1e-9 * max(1.0, abs(number))
            assert agrees or "kink" in step, f"{source}: step {step} prints {formula!r} = {printed}"
            if not vjp:
                assert step["contribution"] == step["local"] * step["upstream"]
        contributions: dict[int, list[float]] = {}
        for step in data["steps"]:
            contributions.setdefault(step["wrt"], []).append(step["contribution"])
        for node in nodes:
            if "grad" not in node:
                assert node["id"] not in contributions, f"steps lead into {node['name']}, which has no grad"
                continue
            if node["id"] == data["output"]:
                assert node["grad"] == 1.0
                continue
            into = contributions.get(node["id"], [])
            if not _finite(node["grad"], *into):
                continue
            # Relative to the terms, not the sum: x/x sends +1/x and -x/x^2 into x, which cancel.
            # The largest term, not the sum of sizes: ±9e307 + ±9e307 overflows fsum.
            total, size = math.fsum(into), max(map(abs, into))
            assert abs(node["grad"] - total) <= 1e-12 * size, (
                f"{source}: {node['name']} has grad {node['grad']}, its steps sum to {total}"
            )
        assert all(node["op"] != "const" for node in nodes if node["id"] in contributions)
        checked.append(source)

    prop()
    assert len(checked) >= 50, f"only {len(checked)} programs had finite values"


def test_vjp_formulas_name_the_upstream_apart_from_every_node():
    run = run_cli("eval", "sum(a @ grad)", "--at", "a=[[1,2],[3,4]],grad=[[1,0],[0,2]]", "--json")
    assert run.code == 0, run.err
    data = run.json()
    names = {node["name"] for node in data["nodes"]}
    values = {node["name"]: np.asarray(node["value"]) for node in data["nodes"] if node["op"] != "const"}
    vjp_steps = [step for step in data["steps"] if step["local"] is None]
    assert vjp_steps
    for step in vjp_steps:
        free = set(program_names(parse_program(step["local_formula"])).free)
        upstream = free - names
        assert len(upstream) == 1, f"{step['local_formula']!r}: which name is the upstream gradient?"
        bound = {n: values[n] for n in free & names}
        bound[upstream.pop()] = np.asarray(step["upstream"])
        np.testing.assert_allclose(evaluate(step["local_formula"], **bound).value, step["contribution"])
