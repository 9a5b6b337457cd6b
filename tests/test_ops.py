"""Every row of the op table against independent truth.

Parametrized over `gradcli.ops.OPS`, so a new row is checked the moment it is added: its
partials (elementwise rules and vector-Jacobian products alike) against central finite
differences of its forward rule, its printed formulas against its rules, and (for the functions
and operators a user types) the gradients gradcli computes against derivatives written out by
hand below. A new row without a hand-written closed form fails `test_every_op_has_a_closed_form`
until one is added here.
"""

from __future__ import annotations

import importlib
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli

from gradcli import ops as ops_module
from gradcli.api import evaluate
from gradcli.graph import program_names
from gradcli.ops import FUNCTIONS, OPS
from gradcli.parse import parse_expression, parse_program

OP_NAMES = sorted(OPS)
SAMPLES = 5  # sample inputs per op, drawn in its domain

# Ops whose inputs are not all free numbers: index positions are whole numbers, and an array
# literal takes any number of items. Every other op is sampled automatically (see `input_sets`).
SPECIAL_INPUTS = {
    "index": lambda u: [u((2, 3)), np.float64(1), np.float64(2)],
    "onehot": lambda u: [u((3,)), np.float64(2)],
    "onehot2": lambda u: [u((2, 3)), np.float64(1), np.float64(0)],
    "stack": lambda u: [u((3,)), u((3,)), u((3,))],
}
WHOLE_NUMBER_INPUTS = {"index": {1, 2}, "onehot": {1}, "onehot2": {1, 2}}

# Shapes tried after the op's own `shapes`: every one its shape check and forward rule accept is used.
SHAPE_CANDIDATES = {
    1: [((3,),), ((2, 3),), ((),)],
    2: [((3,), (3,)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((3,), (3, 2)), ((), ())],
    3: [((3,), (3,), (3,)), ((2, 3), (3,), ()), ((), (), ())],
}


# Bugs found by these tests and still open: strict xfails, so a fix shows up as XPASS. (None now.)
KNOWN_BUGS: dict[tuple[str, str], str] = {}


def cases(test: str) -> list:
    """OP_NAMES, with the known bugs of `test` marked."""
    return [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[test, name]))
        if (test, name) in KNOWN_BUGS
        else name
        for name in OP_NAMES
    ]


def partial_of(op, index: int):
    """The partial of `op` for input `index`, as backprop takes it."""
    finder = getattr(ops_module, "partial_of", None)
    return finder(op, index) if finder else op.partials[index]


def formula_text(partial, inputs) -> str:
    formula = partial.formula
    return formula if isinstance(formula, str) else formula(*inputs)


def input_sets(op, seed: int) -> list[list[np.ndarray]]:
    """Sample inputs for `op` in its domain, in every candidate shape its shape check accepts."""
    rng = np.random.default_rng([seed, *map(ord, op.name)])
    lo, hi = op.domain

    def uniform(shape):
        return np.asarray(rng.uniform(lo, hi, size=shape), dtype=np.float64)

    if op.name in SPECIAL_INPUTS:
        return [SPECIAL_INPUTS[op.name](uniform)]
    sets = []
    declared = [tuple(getattr(op, "shapes", ()))] if getattr(op, "shapes", ()) else []
    for shapes in declared + [c for c in SHAPE_CANDIDATES[op.arity] if c not in declared]:
        inputs = [uniform(shape) for shape in shapes]
        if op.check is not None and op.check(*inputs) is not None:
            continue
        try:
            with np.errstate(all="raise"):
                op.forward(*inputs)
        except (ValueError, FloatingPointError):
            continue
        sets.append(inputs)
    assert sets, f"{op.name}: no sample shapes fit; add it to SPECIAL_INPUTS"
    return sets


def at_kink(op, inputs) -> bool:
    return op.kink is not None and bool(np.any(op.kink(*inputs)))


def sum_to_shape(gradient: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum over the axes broadcasting added (the un-broadcast every backprop does)."""
    gradient = np.asarray(gradient, dtype=np.float64)
    while gradient.ndim > len(shape):
        gradient = gradient.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and gradient.shape[axis] != 1:
            gradient = gradient.sum(axis=axis, keepdims=True)
    return np.broadcast_to(gradient, shape)


def contribution(op, index: int, inputs, out, upstream) -> np.ndarray:
    """local × upstream for elementwise rules, or the rule's vector-Jacobian product."""
    partial = partial_of(op, index)
    if getattr(partial, "vjp", None) is not None:
        result = partial.vjp(*inputs, out, upstream)
    else:
        result = partial.local(*inputs, out) * upstream
    return sum_to_shape(result, np.shape(inputs[index]))


def finite_difference_vjp(op, index: int, inputs, upstream) -> np.ndarray:
    """d/d(input) of sum(upstream * forward(inputs)), one central difference per element."""
    x = np.asarray(inputs[index], dtype=np.float64)
    result = np.zeros_like(x)
    for position in np.ndindex(x.shape):
        value = float(x[position])
        h = 1e-6 * max(1.0, abs(value))
        sides = []
        for shifted in (value + h, value - h):
            moved = x.copy()
            moved[position] = shifted
            args = [*inputs[:index], moved, *inputs[index + 1 :]]
            sides.append(float(np.sum(upstream * op.forward(*args))))
        step = (value + h) - (value - h)  # the step actually taken, after rounding
        result[position] = (sides[0] - sides[1]) / step
    return result


def close(actual: float, expected: float, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    return abs(actual - expected) <= rtol * abs(expected) + atol


# --- the op table's own rules ---------------------------------------------------------------


def test_table_is_consistent():
    for name, op in OPS.items():
        assert op.name == name
        assert len(op.partials) == op.arity == len(op.params), name
        assert op.domain[0] < op.domain[1], name
        assert "out" not in op.params and "grad" not in op.params, name
        if op.kink is not None:
            assert op.convention, f"{name} has a kink but no convention to print"


@pytest.mark.parametrize("name", sorted(name for name, op in OPS.items() if op.pointwise))
def test_a_pointwise_op_works_on_each_element_alone(name):
    """`pointwise` is set per row: such an op has elementwise partials and a fixed arity, and
    on vectors it gives, element by element, what it gives on the scalars."""
    op = OPS[name]
    assert op.elementwise and not op.variadic and not op.shapes, name
    lo, hi = op.domain
    base = lo + (hi - lo) * np.array([0.2, 0.35, 0.5, 0.65, 0.8])
    vectors = [np.roll(base, k) for k in range(op.arity)]
    together = op.forward(*vectors)
    alone = [op.forward(*(float(v[i]) for v in vectors)) for i in range(len(base))]
    np.testing.assert_allclose(together, alone, rtol=1e-15, atol=0)


@pytest.mark.parametrize("name", cases("partials"))
def test_partials_match_finite_differences(name):
    op = OPS[name]
    checked = 0
    samples = [(seed, inputs) for seed in range(SAMPLES) for inputs in input_sets(op, seed)]
    for seed, inputs in samples:
        if at_kink(op, inputs):
            continue
        out = np.asarray(op.forward(*inputs))
        upstream = np.random.default_rng(seed).normal(size=out.shape)
        scale = max(1.0, float(np.sum(np.abs(upstream * out))))
        for index in range(len(inputs)):
            got = contribution(op, index, inputs, out, upstream)
            assert got.shape == np.shape(inputs[index]), f"{name}: gradient shape for input {index}"
            if index in WHOLE_NUMBER_INPUTS.get(name, ()):
                assert not np.any(got), f"{name}: an index position gets a gradient"
                continue
            numeric = finite_difference_vjp(op, index, inputs, upstream)
            assert np.all(np.abs(got - numeric) <= 1e-6 * np.abs(numeric) + 1e-8 * scale), (
                f"{name}: input {index} at {[np.round(i, 4).tolist() for i in inputs]}: "
                f"rule gives {got.tolist()}, finite differences {numeric.tolist()}"
            )
        checked += 1
    assert checked >= len(samples) - 2, f"{name}: too few samples away from the kink"


@pytest.mark.parametrize("name", OP_NAMES)
def test_scalar_rules_match_finite_differences(name):
    """The same check at scalar points, for the ops that take scalars (where the seed's rules live)."""
    op = OPS[name]
    if name in SPECIAL_INPUTS or (op.check is not None and op.check(*[np.float64(1.0)] * op.arity)):
        pytest.skip(f"{name} takes arrays only")
    rng = np.random.default_rng([7, *map(ord, name)])
    for point in rng.uniform(*op.domain, size=(SAMPLES, op.arity)):
        inputs = [np.float64(v) for v in point]
        if at_kink(op, inputs):
            continue
        out = np.asarray(op.forward(*inputs))
        for index in range(op.arity):
            got = contribution(op, index, inputs, out, np.ones(out.shape))
            numeric = finite_difference_vjp(op, index, inputs, np.ones(out.shape))
            atol = 1e-8 * max(1.0, float(np.abs(out).sum()))
            assert close(float(got), float(numeric), atol=atol), (
                f"{name}: d/d{op.params[index]} at {point.tolist()}: "
                f"rule {float(got)}, numeric {float(numeric)}"
            )


def _formula_value(formula: str, op, inputs, out, upstream) -> np.ndarray:
    """The printed formula, evaluated by gradcli itself with the parameters, `out` and `grad` bound."""
    bindings = dict(zip(op.params, inputs, strict=False))  # an array literal has no parameter names
    bindings["out"] = out
    bindings["grad"] = upstream
    free = program_names(parse_program(formula)).free
    unknown = [name for name in free if name not in bindings and name not in ("pi", "e")]
    assert not unknown, f"{op.name}: formula {formula!r} reads {unknown}, which are not its parameters"
    given = {name: np.asarray(bindings[name], dtype=np.float64) for name in free if name in bindings}
    return np.asarray(evaluate(formula, **given).value)


@pytest.mark.parametrize("name", cases("formulas"))
def test_printed_formulas_parse_and_equal_the_rules(name):
    op = OPS[name]
    samples = [(seed, inputs) for seed in range(SAMPLES) for inputs in input_sets(op, 100 + seed)]
    for seed, inputs in samples:
        if at_kink(op, inputs):
            continue
        out = np.asarray(op.forward(*inputs))
        upstream = np.random.default_rng(seed).normal(size=out.shape)
        for index in range(len(inputs)):
            partial = partial_of(op, index)
            text = formula_text(partial, inputs)
            parse_expression(text)  # raises GradcliError if the printed formula does not parse
            printed = _formula_value(text, op, inputs, out, upstream)
            if getattr(partial, "vjp", None) is not None:
                rule = partial.vjp(*inputs, out, upstream)  # the formula is the product, over `grad`
            else:
                rule = np.asarray(partial.local(*inputs, out))
            printed = np.broadcast_to(printed, np.broadcast_shapes(printed.shape, np.shape(rule)))
            np.testing.assert_allclose(
                printed,
                np.broadcast_to(rule, printed.shape),
                rtol=1e-9,
                atol=1e-12,
                err_msg=f"{name}: formula {text!r} for input {index} disagrees with its rule",
            )


# --- closed forms, written by hand ----------------------------------------------------------


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


# name -> (forward, (d/dx,)) for functions of one argument; every derivative from a textbook.
UNARY = {
    "exp": (math.exp, math.exp),
    "log": (math.log, lambda x: 1.0 / x),
    "sqrt": (math.sqrt, lambda x: 0.5 / math.sqrt(x)),
    "sin": (math.sin, math.cos),
    "cos": (math.cos, lambda x: -math.sin(x)),
    "tan": (math.tan, lambda x: 1.0 / math.cos(x) ** 2),
    "asin": (math.asin, lambda x: 1.0 / math.sqrt(1.0 - x * x)),
    "acos": (math.acos, lambda x: -1.0 / math.sqrt(1.0 - x * x)),
    "atan": (math.atan, lambda x: 1.0 / (1.0 + x * x)),
    "sinh": (math.sinh, math.cosh),
    "cosh": (math.cosh, math.sinh),
    "tanh": (math.tanh, lambda x: 1.0 / math.cosh(x) ** 2),
    "sigmoid": (_sigmoid, lambda x: math.exp(-x) / (1.0 + math.exp(-x)) ** 2),
    "relu": (lambda x: max(x, 0.0), lambda x: 1.0 if x > 0 else 0.0),
    "softplus": (lambda x: math.log1p(math.exp(x)), _sigmoid),
    "abs": (abs, lambda x: math.copysign(1.0, x)),
    "sign": (lambda x: math.copysign(1.0, x), lambda x: 0.0),
    "step": (lambda x: 1.0 if x > 0 else 0.0, lambda x: 0.0),
}
UNARY_POINTS = {
    "exp": (-1.3, 0.4, 2.2),
    "log": (0.25, 1.0, 7.5),
    "sqrt": (0.09, 1.0, 6.25),
    "sin": (-2.0, 0.3, 4.0),
    "cos": (-2.0, 0.3, 4.0),
    "tan": (-1.2, 0.1, 1.0),
    "asin": (-0.8, 0.0, 0.6),
    "acos": (-0.8, 0.0, 0.6),
    "atan": (-3.0, 0.5, 10.0),
    "sinh": (-1.5, 0.2, 2.0),
    "cosh": (-1.5, 0.2, 2.0),
    "tanh": (-2.0, 0.3, 1.1),
    "sigmoid": (-3.0, 0.0, 2.5),
    "relu": (-1.5, 0.7, 2.0),
    "softplus": (-3.0, 0.0, 2.5),
    "abs": (-1.3, 0.4, 2.0),
    "sign": (-1.3, 0.4, 2.0),
    "step": (-1.3, 0.4, 2.0),
}


def _pow_grads(a, b):
    return (b * a ** (b - 1.0), a**b * math.log(a))


# name -> (source, forward, gradient) for two arguments a and b.
BINARY = {
    "add": ("a + b", lambda a, b: a + b, lambda a, b: (1.0, 1.0)),
    "sub": ("a - b", lambda a, b: a - b, lambda a, b: (1.0, -1.0)),
    "mul": ("a * b", lambda a, b: a * b, lambda a, b: (b, a)),
    "div": ("a / b", lambda a, b: a / b, lambda a, b: (1.0 / b, -a / b**2)),
    "pow": ("a ^ b", lambda a, b: a**b, _pow_grads),
    "max": ("max(a, b)", max, lambda a, b: (1.0, 0.0) if a > b else (0.0, 1.0)),
    "min": ("min(a, b)", min, lambda a, b: (1.0, 0.0) if a < b else (0.0, 1.0)),
}
BINARY_POINTS = {
    "add": ((1.5, -2.0), (0.1, 0.2), (-3.0, 4.0)),
    "sub": ((1.5, -2.0), (0.1, 0.2), (-3.0, 4.0)),
    "mul": ((1.5, -2.0), (0.1, 0.2), (-3.0, 4.0)),
    "div": ((1.5, -2.0), (0.1, 0.2), (-3.0, 4.0)),
    "pow": ((1.5, -2.0), (0.3, 0.5), (2.0, 3.0)),
    "max": ((1.5, -2.0), (0.1, 0.2), (-3.0, 4.0)),
    "min": ((1.5, -2.0), (0.1, 0.2), (-3.0, 4.0)),
}
# Ops a user cannot call by name: `neg` is unary minus.
OTHER = {"neg"}


def more_closed_forms(table: str) -> dict:
    """The closed forms of later parts of the language, one file a topic: each
    tests/closed_forms_*.py may define UNARY, UNARY_POINTS, BINARY, BINARY_POINTS and ARRAY,
    in the shapes of the tables of this file."""
    found: dict = {}
    for path in sorted(Path(__file__).parent.glob("closed_forms_*.py")):
        found.update(getattr(importlib.import_module(path.stem), table, {}))
    return found


for _table in ("UNARY", "UNARY_POINTS", "BINARY", "BINARY_POINTS"):
    globals()[_table].update(more_closed_forms(_table))


def test_every_op_has_a_closed_form():
    missing = set(OPS) - set(UNARY) - set(BINARY) - set(ARRAY) - OTHER
    assert not missing, f"write the closed-form derivative of {sorted(missing)} in this file"
    assert set(UNARY_POINTS) == set(UNARY) and set(BINARY_POINTS) == set(BINARY)


def _call_names(op_name: str) -> list[str]:
    """Every name a user may call the op by (`log` and `ln`)."""
    return sorted({name for (name, _), op in FUNCTIONS.items() if op.name == op_name})


def _closed_unary_cases():
    for name, points in UNARY_POINTS.items():
        for fname in _call_names(name):
            for x in points:
                yield pytest.param(name, fname, x, id=f"{fname}({x})")


@pytest.mark.parametrize(("name", "fname", "x"), list(_closed_unary_cases()))
def test_function_against_closed_form(name, fname, x):
    forward, derivative = UNARY[name]
    result = evaluate(f"{fname}(x)", x=x)
    assert close(float(result.value), forward(x), rtol=1e-12, atol=1e-15)
    assert close(float(result.gradient["x"]), derivative(x), rtol=1e-10, atol=1e-15), (
        f"d/dx {fname}(x) at {x}: gradcli {float(result.gradient['x'])}, closed form {derivative(x)}"
    )


def test_every_function_name_is_covered():
    called = {op.name for op in FUNCTIONS.values()}
    assert called <= set(UNARY) | set(BINARY) | set(ARRAY)
    assert all(_call_names(name) for name in UNARY), "a unary op in the table that no name calls"


def _closed_binary_cases():
    for name, points in BINARY_POINTS.items():
        sources = [BINARY[name][0]]
        sources += [f"{fname}(a, b)" for fname in _call_names(name) if not BINARY[name][0].startswith(fname)]
        for source in sources:
            for a, b in points:
                yield pytest.param(name, source, a, b, id=f"{source}@{a},{b}")


@pytest.mark.parametrize(("name", "source", "a", "b"), list(_closed_binary_cases()))
def test_operator_against_closed_form(name, source, a, b):
    _, forward, gradient = BINARY[name]
    result = evaluate(source, a=a, b=b)
    assert close(float(result.value), forward(a, b), rtol=1e-12, atol=1e-15)
    expected_a, expected_b = gradient(a, b)
    assert close(float(result.gradient["a"]), expected_a, rtol=1e-10, atol=1e-15)
    assert close(float(result.gradient["b"]), expected_b, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("x", [-1.7, 0.4, 2.5])
def test_unary_minus_against_closed_form(x):
    result = evaluate("-x", x=x)
    assert float(result.value) == -x
    assert float(result.gradient["x"]) == -1.0
    # Power binds tighter than unary minus: -x^2 is -(x^2), derivative -2x.
    result = evaluate("-x^2", x=x)
    assert close(float(result.value), -(x**2))
    assert close(float(result.gradient["x"]), -2.0 * x)


# --- array ops: values and gradients (Jacobians for array outputs) in closed form -------------


def _softmax(x):
    z = np.exp(x)
    return z / z.sum()


def _onehot(shape, *position):
    mask = np.zeros(shape)
    mask[position] = 1.0
    return mask


def _outer_jacobians(a, b):
    m, n = len(a), len(b)
    ja = np.einsum("ik,j->ijk", np.eye(m), b)  # d out[i,j] / d a[k] = [i == k] b[j]
    jb = np.einsum("i,jk->ijk", a, np.eye(n))  # d out[i,j] / d b[k] = a[i] [j == k]
    return {"a": ja, "b": jb}


def _transpose_jacobian(x):
    rows, cols = x.shape
    j = np.zeros((cols, rows, rows, cols))
    for r in range(rows):
        for c in range(cols):
            j[c, r, r, c] = 1.0
    return {"x": j}


# name -> (source, shapes of the variables, value, gradient or Jacobian of each variable)
ARRAY = {
    "sum": ("sum(x)", {"x": (4,)}, lambda x: x.sum(), lambda x: {"x": np.ones(4)}),
    "mean": ("mean(x)", {"x": (2, 3)}, lambda x: x.mean(), lambda x: {"x": np.full((2, 3), 1 / 6)}),
    "amax": ("max(x)", {"x": (5,)}, lambda x: x.max(), lambda x: {"x": _onehot(5, x.argmax())}),
    "amin": ("min(x)", {"x": (5,)}, lambda x: x.min(), lambda x: {"x": _onehot(5, x.argmin())}),
    "maxmask": (
        "maxmask(x)",
        {"x": (3,)},
        lambda x: _onehot(3, x.argmax()),
        lambda x: {"x": np.zeros((3, 3))},
    ),
    "minmask": (
        "minmask(x)",
        {"x": (3,)},
        lambda x: _onehot(3, x.argmin()),
        lambda x: {"x": np.zeros((3, 3))},
    ),
    "transpose": ("transpose(x)", {"x": (2, 3)}, lambda x: x.T, _transpose_jacobian),
    "norm": (
        "norm(x)",
        {"x": (3,)},
        lambda x: math.sqrt((x * x).sum()),
        lambda x: {"x": x / np.sqrt((x * x).sum())},
    ),
    "logsumexp": (
        "logsumexp(x)",
        {"x": (4,)},
        lambda x: math.log(np.exp(x).sum()),
        lambda x: {"x": _softmax(x)},
    ),
    "softmax": (
        "softmax(x)",
        {"x": (3,)},
        _softmax,
        lambda x: {"x": np.diag(_softmax(x)) - np.outer(_softmax(x), _softmax(x))},
    ),
    "dot": ("dot(a, b)", {"a": (3,), "b": (3,)}, lambda a, b: a @ b, lambda a, b: {"a": b, "b": a}),
    "outer": ("outer(a, b)", {"a": (2,), "b": (3,)}, np.outer, _outer_jacobians),
    "matmul": (
        "a @ b",
        {"a": (2, 3), "b": (3,)},
        lambda a, b: a @ b,
        lambda a, b: {"a": np.einsum("ik,l->ikl", np.eye(2), b), "b": a},
    ),
    "index": ("x[1, 2]", {"x": (2, 3)}, lambda x: x[1, 2], lambda x: {"x": _onehot((2, 3), 1, 2)}),
    "stack": (
        "[a*b, a + b, a]",
        {"a": (), "b": ()},
        lambda a, b: np.array([a * b, a + b, a]),
        lambda a, b: {"a": np.array([b, 1.0, 1.0]), "b": np.array([a, 1.0, 0.0])},
    ),
    "onehot": ("onehot(x, 2)", {"x": (3,)}, lambda x: _onehot(3, 2), lambda x: {"x": np.zeros((3, 3))}),
    "onehot2": (
        "onehot(x, 1, 0)",
        {"x": (2, 3)},
        lambda x: _onehot((2, 3), 1, 0),
        lambda x: {"x": np.zeros((2, 3, 2, 3))},
    ),
}


ARRAY.update(more_closed_forms("ARRAY"))


def _array_cases():
    for name, (source, shapes, _, _) in ARRAY.items():
        for seed in range(3):
            rng = np.random.default_rng([seed, *map(ord, name)])
            values = {var: rng.uniform(-2.0, 2.0, size=shape) for var, shape in shapes.items()}
            yield pytest.param(name, values, id=f"{source}#{seed}")


@pytest.mark.parametrize(("name", "values"), list(_array_cases()))
def test_array_op_against_closed_form(name, values):
    source, _, forward, gradient = ARRAY[name]
    result = evaluate(source, **values)
    np.testing.assert_allclose(result.value, forward(**values), rtol=1e-12, atol=1e-15)
    expected = gradient(**values)
    assert set(result.gradient) == set(expected)
    for var, jacobian in expected.items():
        got = np.asarray(result.gradient[var])
        assert got.shape == np.shape(jacobian), f"{source}: d/d{var} has shape {got.shape}"
        np.testing.assert_allclose(got, jacobian, rtol=1e-10, atol=1e-14, err_msg=f"{source}: d/d{var}")


# --- kinks: PyTorch 2.13's conventions --------------------------------------------------------

# (source, values, expected value, expected gradient, the op whose node is marked)
KINKS = [
    ("relu(x)", {"x": 0.0}, 0.0, {"x": 0.0}, "relu"),
    ("abs(x)", {"x": 0.0}, 0.0, {"x": 0.0}, "abs"),
    ("sign(x)", {"x": 0.0}, 0.0, {"x": 0.0}, "sign"),
    ("step(x)", {"x": 0.0}, 0.0, {"x": 0.0}, "step"),
    ("max(a, b)", {"a": 1.5, "b": 1.5}, 1.5, {"a": 0.5, "b": 0.5}, "max"),
    ("min(a, b)", {"a": -0.5, "b": -0.5}, -0.5, {"a": 0.5, "b": 0.5}, "min"),
    ("max(x, x)", {"x": 2.0}, 2.0, {"x": 1.0}, "max"),  # 0.5 + 0.5 through both edges
    ("min(x, x)", {"x": 2.0}, 2.0, {"x": 1.0}, "min"),
    ("sqrt(x)", {"x": 0.0}, 0.0, {"x": math.inf}, "sqrt"),
    ("a^b", {"a": 0.0, "b": 0.0}, 1.0, {"a": 0.0, "b": 0.0}, "pow"),
    ("a^b", {"a": 0.0, "b": 2.0}, 0.0, {"a": 0.0, "b": 0.0}, "pow"),
    ("a^b", {"a": 0.0, "b": 1.0}, 0.0, {"a": 1.0, "b": 0.0}, "pow"),
    ("a^b", {"a": 0.0, "b": 3.0}, 0.0, {"a": 0.0, "b": 0.0}, "pow"),
    ("pow(a, b)", {"a": 0.0, "b": 0.5}, 0.0, {"a": math.inf, "b": 0.0}, "pow"),
    ("max(x)", {"x": [1.0, 3.0, 3.0]}, 3.0, {"x": [0.0, 0.5, 0.5]}, "amax"),  # tied maxima share
    ("min(x)", {"x": [2.0, -1.0, -1.0, -1.0]}, -1.0, {"x": [0.0, 1 / 3, 1 / 3, 1 / 3]}, "amin"),
    ("norm(x)", {"x": [0.0, 0.0]}, 0.0, {"x": [0.0, 0.0]}, "norm"),
]


for _path in sorted(Path(__file__).parent.glob("closed_forms_*.py")):
    KINKS += getattr(importlib.import_module(_path.stem), "KINKS", [])


@pytest.mark.parametrize(("source", "values", "value", "gradient", "op"), KINKS, ids=[k[0] for k in KINKS])
def test_kink_conventions(source, values, value, gradient, op):
    result = evaluate(source, **values)
    assert float(result.value) == value
    got = {name: np.asarray(g).tolist() for name, g in result.gradient.items()}
    np.testing.assert_equal(got, gradient)  # nan equals nan (hypot at the origin)
    marked = [node for node in result.nodes if node.op == op]
    assert marked and all(isinstance(node.kink, str) and node.kink for node in marked), (
        f"{source}: the {op} node is not marked as evaluated at a kink"
    )
    assert marked[0].kink == OPS[op].convention


def test_every_op_with_a_kink_has_a_convention_test():
    tested = {case[4] for case in KINKS}
    with_kink = {name for name, op in OPS.items() if op.kink is not None}
    assert with_kink <= tested, f"add a KINKS case for {sorted(with_kink - tested)}"


@pytest.mark.parametrize(
    ("source", "values"),
    [
        ("relu(x)", {"x": 0.5}),
        ("abs(x)", {"x": -0.5}),
        ("max(a, b)", {"a": 1.0, "b": 2.0}),
        ("sqrt(x)", {"x": 4.0}),
        ("a^b", {"a": 2.0, "b": 0.0}),
    ],
)
def test_no_kink_mark_away_from_kinks(source, values):
    result = evaluate(source, **values)
    assert all(node.kink is None for node in result.nodes)


@pytest.mark.parametrize(
    ("source", "values", "gradient"),
    [
        ("x^0", {"x": 0.0}, {"x": 0.0}),  # the constant 1 (PyTorch masks 0 * 0^-1 to 0)
        ("pow(x, 0)", {"x": 0.0}, {"x": 0.0}),
        ("x^1", {"x": 0.0}, {"x": 1.0}),
        ("x^2", {"x": 0.0}, {"x": 0.0}),
        ("x^3", {"x": 0.0}, {"x": 0.0}),
        ("(w*x - y)^2", {"w": 1.0, "x": 2.0, "y": 2.0}, {"w": 0.0, "x": 0.0, "y": 0.0}),  # a perfect fit
        ("sum(x^2)", {"x": [0.0, 1.5]}, {"x": [0.0, 3.0]}),
    ],
)
def test_a_power_of_at_least_one_is_smooth_at_zero(source, values, gradient):
    """x^c with a constant c >= 1 (or c = 0) is differentiable at 0: no kink is marked there
    (issue 18: every squared loss at a perfect fit was flagged). Smaller powers are (KINKS)."""
    result = evaluate(source, **values)
    assert all(node.kink is None for node in result.nodes), source
    got = {name: np.asarray(g).tolist() for name, g in result.gradient.items()}
    assert got == gradient


def test_a_differentiated_exponent_at_base_zero_is_marked():
    """pow(0, b) gives b the masked 0 of 0 * log(0) (PyTorch): marked when b is differentiated,
    not when only the base is."""
    assert evaluate("x^y", x=0.0, y=2.0).nodes[-1].kink == OPS["pow"].convention
    assert evaluate("x^y", {"x": 0.0, "y": 2.0}, wrt=["x"]).nodes[-1].kink is None


def _json_steps(source: str, values: str) -> dict:
    run = run_cli("eval", source, "--at", values, "--json")
    assert run.code == 0, run.err
    return run.json()


@pytest.mark.parametrize(
    ("source", "values", "op"),
    [("relu(x) + x", "x=0", "relu"), ("max(a, b) * 2", "a=1,b=1", "max"), ("abs(x) * 3", "x=0", "abs")],
)
def test_json_marks_the_kink(source, values, op):
    data = _json_steps(source, values)
    kinked = [node for node in data["nodes"] if node["op"] == op]
    assert kinked and kinked[0]["kink"] == OPS[op].convention
    steps = [step for step in data["steps"] if step["of"] == kinked[0]["id"]]
    assert steps and all(step["kink"] == OPS[op].convention for step in steps)
    unkinked = [step for step in data["steps"] if step["of"] != kinked[0]["id"]]
    assert unkinked and all("kink" not in step for step in unkinked)


def test_json_has_no_kink_key_away_from_kinks():
    data = _json_steps("relu(x) + max(a, b)", "x=1,a=1,b=2")
    assert all("kink" not in node for node in data["nodes"])
    assert all("kink" not in step for step in data["steps"])
