"""What the backward pass reads (`Partial.reads`, `backprop.values_read`) and the memory N points
at once give back (`points.batched.release_unread`).

A partial that declares what it reads must give the same bits when everything else it is handed
is nan; a graph's unread values are dropped before the backward pass, and the gradients stay the
same to the bit (tests/test_batching.py checks that over every op; here the sigmoid neuron and
the programs whose values are dropped).
"""

from __future__ import annotations

import numpy as np
import pytest
from test_ops import input_sets

import gradcli
from gradcli.backprop import backprop, needs_grad, values_read
from gradcli.graph import build_graph
from gradcli.ops import OPS, partial_of
from gradcli.points.batched import release_unread
from gradcli.points.evaluate import evaluate_points

DECLARED = [
    (name, index)
    for name, op in OPS.items()
    if not op.variadic
    for index in range(op.arity)
    if partial_of(op, index).values_read(op.params) is not None
]


def test_the_course_elementwise_ops_declare_what_they_read():
    declared = {name for name, _ in DECLARED}
    assert {"add", "sub", "mul", "div", "neg", "exp", "log", "tanh", "sigmoid", "relu"} <= declared


@pytest.mark.parametrize(("name", "index"), DECLARED, ids=[f"{n}:{i}" for n, i in DECLARED])
def test_a_declared_partial_reads_nothing_else(name, index):
    op = OPS[name]
    partial = partial_of(op, index)
    read = set(partial.values_read(op.params))
    for inputs in input_sets(op, seed=index):
        out = np.asarray(op.forward(*inputs))
        given = [*inputs, out]
        blinded = [v if k in read else np.full(np.shape(v), np.nan) for k, v in enumerate(given)]
        with np.errstate(all="ignore"):
            expected = np.asarray(partial.local(*given), dtype=np.float64)
            got = np.asarray(partial.local(*blinded), dtype=np.float64)
        assert got.tobytes() == expected.tobytes(), (name, index, [np.shape(v) for v in given])


def test_the_sigmoid_neuron_reads_the_products_inputs_the_exp_the_denominator_and_the_output():
    graph = build_graph(gradcli.compile("1/(1+exp(-(w0*x0+w1*x1+w2)))").program, _neuron(1), None)
    needs = needs_grad(graph, set(graph.variables.values()))
    read = values_read(graph, needs)
    kept = {node.op for node in graph.nodes if read[node.id] and node.op not in ("var", "const")}
    dropped = {node.op for node in graph.nodes if not read[node.id] and node.op not in ("var", "const")}
    assert kept == {"exp", "add", "div"}  # exp's out, 1 + exp (the denominator), the output
    assert dropped == {"mul", "add", "neg"}  # the products, the sums, -(…)
    assert sum(read[node.id] for node in graph.nodes if node.op == "add") == 1


def _neuron(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(4)
    return {name: rng.normal(size=n) for name in ("w0", "x0", "w1", "x1", "w2")}


def test_released_values_are_nan_views_and_the_gradients_unchanged():
    compiled = gradcli.compile("1/(1+exp(-(w0*x0+w1*x1+w2)))")
    values = _neuron(1000)
    graph = build_graph(compiled.program, values, compiled.names)
    needs = needs_grad(graph, set(graph.variables.values()))
    expected, _ = backprop(graph, needs, record=False)
    release_unread(graph, needs)
    dropped = [node for node in graph.nodes if node.op in ("mul", "neg")]
    assert all(np.isnan(node.value).all() and node.value.strides == (0,) for node in dropped)
    got, _ = backprop(graph, needs, record=False)
    for name, node_id in graph.variables.items():
        assert got[node_id].tobytes() == expected[node_id].tobytes(), name


def test_an_undeclared_read_of_a_released_value_shows_as_nan(monkeypatch):
    """The safety net: a partial that reads a value it did not declare gets nan, never a stale number."""
    from gradcli.ops import Partial

    op = OPS["exp"]
    lying = Partial("exp(x)", lambda x, out: np.exp(x), reads=("out",))  # reads x, says out
    monkeypatch.setitem(OPS, "exp", _with_partials(op, (lying,)))
    compiled = gradcli.compile("exp(2 * x)")
    results = evaluate_points(compiled, {"x": np.array([0.5, 1.0])}, {}, ("x",), 2)
    assert np.isnan(results.gradient["x"]).all()


def _with_partials(op, partials):
    from dataclasses import replace

    return replace(op, partials=partials)


@pytest.mark.parametrize(
    "source",
    [
        "tanh(w0*x0 + w1*x1) * sigmoid(x0 - x1) + log(exp(w1) + 1)",
        "relu(x0 * w0 - 1) / (1 + x1 * x1) + sin(w2) * cos(x0)",
        "sqrt(x1 * x1 + 1) - (w0 - x0) * (w0 + x0)",
    ],
)
def test_one_pass_with_dropped_values_matches_one_point_at_a_time(source):
    compiled = gradcli.compile(source)
    columns = _neuron(64)
    wrt = tuple(name for name in compiled.variables)
    columns = {name: columns[name] for name in wrt}
    results = evaluate_points(compiled, columns, {}, wrt, 64)
    assert isinstance(results.value, np.ndarray)
    for k in range(64):
        one = compiled({name: column[k] for name, column in columns.items()}, record_steps=False)
        assert results.value[k].tobytes() == np.float64(one.value).tobytes()
        for name in wrt:
            assert results.gradient[name][k].tobytes() == np.float64(one.gradient[name]).tobytes(), (k, name)


REPLAYED = [
    "1/(1+exp(-(w0*x0+w1*x1+w2)))",
    "where(x0 > 0, sqrt(x0), 0) * w0 + relu(x1) ^ 0.5",  # cuts and masks
    "x0 * x0 * exp(x0) - 2 ^ w1 + (3 * 4) * w2",  # a value used twice, a constant subgraph
    "max(x0, w0) + min(x1, 0) + abs(w1 - x1) / (w2 * w2)",  # ties at some points, 0 in a denominator
    "tanh(w0*x0 + w1*x1) * sigmoid(x0 - x1) + log(exp(w1) + 1)",
]


def _awkward(n: int) -> dict[str, np.ndarray]:
    """n points with zeros, ties, infs and nans among normal numbers."""
    rng = np.random.default_rng(7)
    columns = {name: rng.normal(size=n) for name in ("w0", "x0", "w1", "x1", "w2")}
    for k, name in enumerate(columns):
        columns[name][k::50] = [0.0, np.inf, -np.inf, np.nan, -0.0][k]
    columns["w0"][::7] = columns["x0"][::7]  # max ties
    return columns


@pytest.mark.parametrize("source", REPLAYED)
@pytest.mark.parametrize("shared", [False, True])
def test_the_replay_over_many_points_gives_the_direct_builds_bits(source, shared, monkeypatch):
    """From REPLAY_FROM points an elementwise program is replayed from its first point's graph,
    dropping values as it goes: the same bits as the graph built over all the points at once, and
    as one evaluation at a point."""
    from gradcli.points import evaluate

    compiled = gradcli.compile(source)
    n = evaluate.REPLAY_FROM + 3
    columns = {name: column for name, column in _awkward(n).items() if name in compiled.variables}
    fixed = {"w2": np.asarray(0.5)} if shared and "w2" in columns else {}
    columns = {name: column for name, column in columns.items() if name not in fixed}
    wrt = tuple(compiled.variables)
    replayed = evaluate_points(compiled, columns, fixed, wrt, n)
    monkeypatch.setattr(evaluate, "REPLAY_FROM", n + 1)
    direct = evaluate_points(compiled, columns, fixed, wrt, n)
    assert replayed.value.tobytes() == direct.value.tobytes()
    for name in wrt:
        assert replayed.gradient[name].tobytes() == direct.gradient[name].tobytes(), name
    for k in (0, 1, 2, 3, 4, 7, 50, n - 1):
        point = {**{name: column[k] for name, column in columns.items()}, **fixed}
        one = compiled(point, record_steps=False)
        assert np.array_equal(replayed.value[k], one.value, equal_nan=True), k
        for name in wrt:
            assert np.array_equal(replayed.gradient[name][k], one.gradient[name], equal_nan=True), (k, name)


def test_the_replay_drops_each_unread_value_after_its_last_use():
    from gradcli.points.batched import replay_pointwise

    compiled = gradcli.compile("1/(1+exp(-(w0*x0+w1*x1+w2)))")
    values = _neuron(10)
    first = build_graph(compiled.program, {name: v[0] for name, v in values.items()}, compiled.names)
    needs = needs_grad(first, set(first.variables.values()))
    graph = replay_pointwise(first, values, needs)
    held = [node.op for node in graph.nodes if node.op not in ("var", "const") and node.value.strides != (0,)]
    assert held == ["exp", "add", "div"]
    expected = build_graph(compiled.program, values, compiled.names)
    for node, built in zip(graph.nodes, expected.nodes, strict=True):
        if node.value.strides != (0,) or node.op in ("var", "const"):
            assert np.asarray(node.value).tobytes() == np.asarray(built.value).tobytes(), node.op
