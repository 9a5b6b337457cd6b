"""The scalar fast path of `Compiled.__call__` (gradcli/scalar.py): at a point of plain numbers,
a program of pointwise ops is evaluated and differentiated from a tape of op-table rows, and its
nodes and steps are made by the full path only when read.

Every value and gradient must be the full path's to the last bit, of the same type; the nodes
and steps, when read, the full path's; warnings and errors the same. The full path here is
`gradcli.evaluate` (which never takes the fast path). Random programs and points come from the
property tests' generators (tests/test_properties.py: every scalar function of the op table).
"""

from __future__ import annotations

import copy
import itertools
import math
import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import expressions, programs, to_source

import gradcli
from gradcli import descent as gd
from gradcli.errors import GradcliError
from gradcli.ops import BINARY_OPS, FUNCTIONS, OPS
from gradcli.scalar import servable

SIGMOID = "1/(1+exp(-(w0*x0+w1*x1+w2)))"  # seed 004's neuron
POINT = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}

# Points that reach kinks (0, ties), bounds, overflow, underflow and non-finite values.
SPECIAL = (0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 1e-300, 5e-324, 1e300, -1e308, 710.0, -745.5)
SPECIAL += (math.inf, -math.inf, math.nan)
NUMBERS = st.one_of(
    st.floats(-3.0, 3.0),
    st.sampled_from(SPECIAL),
    st.integers(-3, 3),
    st.floats(allow_nan=True, allow_infinity=True),
)


def served(result) -> bool:
    """Whether the fast path gave the result: its nodes and steps are not made yet."""
    return "_full" in vars(result)


def bits(x) -> tuple:
    """A number or array to the last bit, with its type (np.float64 or a 0-d array)."""
    array = np.asarray(x)
    return type(x).__name__, array.dtype.str, array.shape, array.tobytes()


def assert_same_numbers(fast, full) -> None:
    assert type(fast) is type(full)
    assert bits(fast.value) == bits(full.value)
    assert list(fast.gradient) == list(full.gradient)
    for name, grad in full.gradient.items():
        assert bits(fast.gradient[name]) == bits(grad), name
    assert list(fast.at) == list(full.at)
    for name, value in full.at.items():
        assert bits(fast.at[name]) == bits(value), name
    assert (fast.source, fast.output, fast.wrt, fast.mode) == (full.source, full.output, full.wrt, full.mode)
    assert fast.warnings == full.warnings


def maybe_bits(x) -> tuple | None:
    return None if x is None else bits(x)


def assert_same_record(fast, full) -> None:
    """The numbers, then the nodes and the steps (made now, for a fast result)."""
    assert_same_numbers(fast, full)
    assert len(fast.nodes) == len(full.nodes)
    for a, b in zip(fast.nodes, full.nodes, strict=True):
        fields = ("id", "name", "op", "inputs", "kink", "options")
        assert [getattr(a, f) for f in fields] == [getattr(b, f) for f in fields]
        assert bits(a.value) == bits(b.value)
        assert maybe_bits(a.grad) == maybe_bits(b.grad)
    assert len(fast.steps) == len(full.steps)
    for a, b in zip(fast.steps, full.steps, strict=True):
        assert (a.of, a.wrt, a.index, a.cut) == (b.of, b.wrt, b.index, b.cut)
        assert maybe_bits(a.local) == maybe_bits(b.local)
        assert bits(a.upstream) == bits(b.upstream)
        assert bits(a.contribution) == bits(b.contribution)


# --- random programs and points -------------------------------------------------------------------


def _compare(source: str, point: dict[str, object], counts: dict[str, int]) -> None:
    full = gradcli.evaluate(source, point)
    fast = gradcli.compile(source)(**point)
    counts["served" if served(fast) else "full"] += 1
    assert_same_numbers(fast, full)
    if counts["served"] % 5 == 1:  # the nodes and steps too, now and then (they cost the full path)
        assert_same_record(fast, full)


@pytest.mark.parametrize("strategy", [expressions, programs], ids=["expressions", "programs"])
def test_random_programs_give_the_full_paths_numbers(strategy):
    counts = {"served": 0, "full": 0}

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(strategy(), st.data())
    def prop(case, data):
        tree_or_source, point = case
        source = tree_or_source if isinstance(tree_or_source, str) else to_source(tree_or_source)
        # The generators' points are smooth; half the time take any numbers, specials included.
        if data.draw(st.booleans()):
            point = {name: data.draw(NUMBERS) for name in point}
        _compare(source, point, counts)

    prop()
    assert counts["served"] >= 100, counts  # the fast path is what is tested here
    assert counts["full"] >= 10, counts  # and so is the way back (nan, inf, ...)


def test_seed_004_at_many_random_points():
    compiled = gradcli.compile(SIGMOID)
    rng = np.random.default_rng(17)
    for row in rng.normal(scale=3.0, size=(2000, 5)):
        point = dict(zip(POINT, row.tolist(), strict=True))
        fast = compiled(**point)
        assert served(fast)
        assert_same_numbers(fast, gradcli.evaluate(SIGMOID, point))


def test_the_derivation_when_read_is_the_full_paths():
    fast = gradcli.compile(SIGMOID)(**POINT)
    assert served(fast)
    assert_same_record(fast, gradcli.evaluate(SIGMOID, POINT))
    assert not served(fast)
    assert fast.nodes[fast.output].value == fast.value


@pytest.mark.parametrize(
    ("source", "point"),
    [
        ("relu(x) + abs(y)", {"x": 0.0, "y": 0.0}),
        ("max(x, y) * min(x, y)", {"x": 1.5, "y": 1.5}),
        ("x^y + sqrt(y)", {"x": 0.0, "y": 2.0}),
        ("x^0 * sign(x) + step(x)", {"x": 0.0}),
        ("clip(x, 0, 1) + hardtanh(y)", {"x": 1.0, "y": -1.0}),
        ('leaky_relu(x, 0.2) + gelu(y, approximate="tanh")', {"x": 0.0, "y": 0.3}),
    ],
)
def test_kinks_follow_the_conventions_and_are_recorded(source, point):
    """At a kink the fast path calls the same rules (the conventions), and the nodes, made when
    read, say which convention was used."""
    fast = gradcli.compile(source)(**point)
    full = gradcli.evaluate(source, point)
    assert served(fast)
    assert_same_record(fast, full)
    assert any(node.kink for node in fast.nodes) == any(node.kink for node in full.nodes)


def _servable_calls() -> list[str]:
    """A call of every op the tape runs: `x + y` for the operators, `name(x, ...)` for functions."""
    calls = [f"x {op.symbol} y" for op in BINARY_OPS.values() if servable(op)]
    for (name, arity), op in sorted(FUNCTIONS.items()):
        if servable(op):
            calls.append(f"{name}({', '.join('xyz'[:arity])})")
    return calls


@pytest.mark.parametrize("call", _servable_calls())
def test_every_op_of_the_tape_at_edge_values(call):
    """Each op the tape runs, alone and with an upstream gradient that is not 1, at every pair
    of edge values (0, -0, ties, the bounds of float64, inf, nan): the full path's numbers."""
    arity = sum(name in call for name in ("x", "y", "z"))
    grid = SPECIAL if arity < 3 else SPECIAL[:6] + SPECIAL[-3:]
    for source in (call, f"{call} * (x + 1)"):
        compiled = gradcli.compile(source)
        for values in itertools.product(grid, repeat=arity):
            point = dict(zip("xyz", values, strict=False))
            assert_same_numbers(compiled(**point), gradcli.evaluate(source, point))


# --- where the full path is taken ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "point", "why"),
    [
        ("x*y", {"x": [1.0, 2.0], "y": 3.0}, "an array"),
        ("x*y", {"x": np.float32(1.5), "y": 3.0}, "a float32"),
        ("x*y", {"x": np.array([2.0]), "y": 3.0}, "a 1-element array"),
        ("log(x) + y", {"x": 0.0, "y": 1.0}, "-inf"),
        ("1/(1+exp(x))", {"x": 1000.0}, "an inf inside, a finite output"),
        ("sqrt(x)", {"x": 0.0}, "an infinite gradient"),
        ("x*y", {"x": math.nan, "y": 1.0}, "a nan given"),
        ("where(x > 0, sqrt(x), 0)", {"x": -1.0}, "a cut"),
        ("(x < 1) + x", {"x": 0.5}, "a comparison"),
        ("sum(x) * 2", {"x": 3.0}, "a reduction"),
        ("pi * x", {"pi": 3.0, "x": 1.0}, "a constant given a value"),
        ("a = x*2; 3", {"x": 1.0}, "a gradient that never reaches x"),
        ("a = log(x); x", {"x": -1.0}, "a nan after the output"),
    ],
)
def test_the_full_path_serves_what_the_fast_path_cannot(source, point, why):
    fast = gradcli.compile(source)(**point)
    assert not served(fast), why
    assert_same_record(fast, gradcli.evaluate(source, point))


@pytest.mark.parametrize(
    ("source", "point", "wrt"),
    [
        ("x*y", {"x": 1.0}, None),  # no value for y
        ("x*y", {"x": 1.0, "y": 2.0, "z": 3.0}, None),  # z is not read
        ("x*y", {"x": 1.0, "y": 2.0}, ["q"]),  # wrt names a stranger
        ("x*y", {"x": True, "y": 2.0}, None),
        ("x*y", {"x": "1.5", "y": 2.0}, None),
        ("x*y", {"x": None, "y": 2.0}, None),
    ],
)
def test_errors_are_the_full_paths(source, point, wrt):
    with pytest.raises(GradcliError) as full:
        gradcli.evaluate(source, point, wrt=wrt)
    with pytest.raises(GradcliError) as fast:
        gradcli.compile(source)(point, wrt=wrt)
    assert str(fast.value) == str(full.value)
    assert fast.value.hint == full.value.hint
    assert fast.value.render() == full.value.render()  # the caret too


def test_wrt_and_record_steps():
    compiled = gradcli.compile(SIGMOID)
    for wrt in (["w0"], ("x1", "w0"), iter(["w2", "w2"]), []):
        listed = list(wrt)
        fast = compiled(POINT, wrt=iter(listed))
        assert served(fast)
        assert_same_record(fast, gradcli.evaluate(SIGMOID, POINT, wrt=listed))
    fast = compiled(POINT, record_steps=False)
    assert served(fast)
    assert fast.steps == []
    assert_same_record(fast, gradcli.evaluate(SIGMOID, POINT, record_steps=False))


def test_given_values_of_every_plain_kind():
    """ints, floats, numpy float64 and 0-d float64 arrays (copied: changing it later changes
    nothing); the values in `at` are 0-d float64 arrays, as the full path makes them."""
    given = np.array(-3.0)
    point = {"w0": 2, "x0": np.float64(-1.0), "w1": -3.0, "x1": np.array(-2.0), "w2": given}
    fast = gradcli.compile(SIGMOID)(point)
    assert served(fast)
    given[...] = 100.0
    assert_same_record(fast, gradcli.evaluate(SIGMOID, {**point, "w2": -3.0}))


def test_every_format_prints_the_same():
    for source, point in ((SIGMOID, POINT), ("relu(x) * x^y", {"x": 0.0, "y": 2.0})):
        full = gradcli.evaluate(source, point)
        for method, options in (
            ("to_text", {}),
            ("to_text", {"brief": True}),
            ("to_markdown", {}),
            ("to_latex", {"standalone": True}),
            ("to_json", {}),
            ("to_json", {"brief": True}),
        ):
            fast = gradcli.compile(source)(**point)
            assert served(fast)
            assert getattr(fast, method)(**options) == getattr(full, method)(**options), method


def test_a_fast_result_pickles_and_copies_whole():
    fast = gradcli.compile(SIGMOID)(**POINT)
    again = pickle.loads(pickle.dumps(fast))
    assert not served(again)
    assert_same_record(again, gradcli.evaluate(SIGMOID, POINT))
    assert_same_record(copy.deepcopy(gradcli.compile(SIGMOID)(**POINT)), gradcli.evaluate(SIGMOID, POINT))
    with pytest.raises(AttributeError):
        _ = fast.no_such_attribute


def test_a_compiled_program_pickles_after_its_fast_path_ran():
    """Dask sends a compiled program to its workers: the tape (op-table rules) is left behind."""
    compiled = gradcli.compile(SIGMOID)
    assert served(compiled(**POINT))
    again = pickle.loads(pickle.dumps(compiled))
    assert served(again(**POINT))
    assert_same_numbers(again(**POINT), gradcli.evaluate(SIGMOID, POINT))


def test_the_tape_runs_the_pointwise_rows_without_cuts():
    assert {"add", "mul", "div", "pow", "exp", "tanh", "relu", "max", "gelu", "clip"} <= {
        name for name, op in OPS.items() if servable(op)
    }
    assert not any(servable(OPS[name]) for name in ("where", "lt", "sum", "matmul", "index", "stack"))


# --- descend -------------------------------------------------------------------------------------


def test_descend_batch_1_is_the_loop_of_full_evaluations():
    """Each step of --batch 1 is the full path's gradient and the SGD update, to the last bit."""
    data = {"x": np.array([1.0, 2.0, 3.0, -0.5]), "y": np.array([2.0, 4.1, 5.9, -1.0])}
    result = gradcli.descend("(x*w + b - y)^2", data=data, params={"w": 0.5, "b": 0.0}, lr=0.01, epochs=4)
    params = {"w": np.asarray(0.5), "b": np.asarray(0.0)}
    for _ in range(4):
        for i in range(4):
            point = {"x": data["x"][i], "y": data["y"][i], **params}
            full = gradcli.evaluate("(x*w + b - y)^2", point, wrt=("w", "b"), record_steps=False)
            gd.sgd(params, full.gradient, {}, 0.01)
    assert {name: bits(value) for name, value in result.params.items()} == {
        name: bits(value) for name, value in params.items()
    }
