"""Every op of the table over N points in one pass (a batch axis in front, gradcli/ops/batching.py)
gives each point the numbers one evaluation at that point gives, to the last bit.

The programs are those that differentiate every row twice (tests/test_second_order_ops.py: each
op on sample inputs in its domain, in every shape its check accepts, with its options), each as
it is (an array value) and summed; the points are the sample values scaled differently at each
point. `evaluate_points` must take them in one pass (no point-at-a-time fallback: its results
would be lists) and agree bit for bit with `compile(source)(point)`. The one exception is
documented in batching.py: an index or a onehot mask gives the elements it does not pick +0 where
one point's local × upstream can give -0.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_second_order_ops import CASES

import gradcli
from gradcli.ops import OPS
from gradcli.ops.batching import RULES
from gradcli.points.evaluate import evaluate_points

N = 4
ZERO_SIGN_MAY_DIFFER = {"index", "onehot", "onehot2", "trace"}


def test_every_op_that_mixes_elements_has_a_batching_rule():
    mixing = {name for name, op in OPS.items() if not op.pointwise}
    assert mixing - set(RULES) == set()
    assert set(RULES) - set(OPS) == set()


def _points(values: dict[str, np.ndarray], seed: int, shuffled: bool) -> dict[str, np.ndarray]:
    """N points around the sample values, the sample itself first: each scaled by its own factor
    near 1 (so a point's values stay in the op's domain), or its elements shuffled (classes, whose
    largest decides one_hot's shape)."""
    rng = np.random.default_rng(seed)
    columns = {}
    for name, value in values.items():
        value = np.asarray(value)
        if shuffled or (value.ndim and np.all(value == np.round(value))):  # classes stay classes
            points = [value, *(rng.permutation(value.ravel()).reshape(value.shape) for _ in range(N - 1))]
        else:
            points = [value * s for s in np.concatenate([[1.0], rng.uniform(0.8, 1.2, size=N - 1)])]
        columns[name] = np.stack(points)
    return columns


def _bits(array, relax_zero_sign: bool) -> bytes:
    """The numbers' bytes, every nan written alike (numpy's nan may carry either sign)."""
    array = np.where(np.isnan(array), np.nan, np.ascontiguousarray(array, dtype=np.float64))
    return (array + 0.0 if relax_zero_sign else array).tobytes()  # -0 + 0 is +0


def _same(batched, one, relax: bool) -> bool:
    return np.shape(batched) == np.shape(one) and _bits(batched, relax) == _bits(one, relax)


def _programs():
    for name, source, values in CASES:
        inner = source.removeprefix("sum(sin(").removesuffix("))")
        yield pytest.param(name, source, values, id=f"{name}:{source}")
        yield pytest.param(name, inner, values, id=f"{name}:{inner}")


@pytest.mark.parametrize(("name", "source", "values"), list(_programs()))
def test_one_pass_gives_every_point_its_own_numbers(name, source, values):
    compiled = gradcli.compile(source)
    columns = _points(values, seed=len(source), shuffled=name == "one_hot")
    wrt = tuple(columns)
    results = evaluate_points(compiled, columns, {}, wrt, N)
    assert isinstance(results.value, np.ndarray), "evaluated one point at a time"
    relax = name in ZERO_SIGN_MAY_DIFFER
    for k in range(N):
        one = compiled({key: column[k] for key, column in columns.items()}, record_steps=False)
        assert _same(results.value[k], one.value, relax), (k, results.value[k], one.value)
        for variable in wrt:
            got, expected = results.gradient[variable][k], one.gradient[variable]
            assert _same(got, expected, relax), (k, variable, got, expected)


def _examples():
    """The eval commands of `gradcli demo` (seeds and course: softmax regression, layer norm, an
    MLP with where, attention...), as (name, source, values)."""
    from gradcli.api import read_values
    from gradcli.examples import EXAMPLES

    for example in EXAMPLES:
        argv = list(example.argv)
        if argv[:1] != ["eval"] or "--at" not in argv:
            continue
        at = read_values([argv[argv.index("--at") + 1]])
        values = {name: np.asarray(value.value, dtype=np.float64) for name, value in at.items()}
        yield pytest.param(argv[1], values, id=example.name)


@pytest.mark.parametrize(("source", "values"), list(_examples()))
@pytest.mark.parametrize("shared", ["none", "every other"])
def test_course_examples_in_one_pass(source, values, shared):
    """Every variable given per point, or every other one fixed (shared by all the points)."""
    compiled = gradcli.compile(source)
    names = list(values)
    fixed = {name: values[name] for name in names[1::2]} if shared == "every other" else {}
    columns = _points({name: v for name, v in values.items() if name not in fixed}, 3, shuffled=False)
    results = evaluate_points(compiled, columns, fixed, tuple(names), N)
    assert isinstance(results.value, np.ndarray), "evaluated one point at a time"
    for k in range(N):
        one = compiled({**{key: column[k] for key, column in columns.items()}, **fixed}, record_steps=False)
        assert _same(results.value[k], one.value, False)
        for name in names:
            assert _same(results.gradient[name][k], one.gradient[name], False), (k, name)


EDGES = [
    "where(x > 0, sqrt(x), 0) * y",  # a cut branch, at points where it is taken and not
    "sum(where(x > 0, softmax(x), 0)) + 0 * y",  # a cut below a vector-Jacobian product
    "sum(where(x > 0, log(x), x) * softmax(x * y))",
    "sum(sqrt(relu(x)) * y)",  # a mask at 0
    "max(x) * y + min(x / y)",  # ties, and division by 0 at some points
    "sum(x[0] / y + x[1:] * y)",
    "logsumexp(x * y) + norm(x)",
    "prod(x ^ 2 + 1) + std(x * y)",
    "sum(abs(x) ^ 0.5) + mse(x, y)",
]
EDGE_POINTS = np.array(
    [
        [[1.0, 2.0, 3.0], [0.0, 1.0, -1.0], [-1.0, -2.0, 4.0], [np.inf, 1.0, 0.0]],
        [[np.nan, 1.0, 1.0], [0.0, 0.0, 0.0], [-np.inf, 2.0, 2.0], [1e308, 1e308, -1e-320]],
    ]
).reshape(-1, 3)


@pytest.mark.parametrize("source", EDGES)
def test_nan_inf_zeros_and_cuts_point_by_point(source):
    """Points with 0, inf, nan, a negative value under sqrt: each point as one evaluation gives it
    (a cut followed point by point: one point's dead branch does not change another's)."""
    compiled = gradcli.compile(source)
    n = len(EDGE_POINTS)
    y = np.array([1.0, 0.0, -2.0, np.inf, np.nan, 3.0, 0.5, -0.0])
    columns = {"x": EDGE_POINTS, "y": y}
    results = evaluate_points(compiled, columns, {}, ("x", "y"), n)
    assert isinstance(results.value, np.ndarray), "evaluated one point at a time"
    for k in range(n):
        one = compiled({"x": EDGE_POINTS[k], "y": y[k]}, record_steps=False)
        assert _same(results.value[k], one.value, False), (k, results.value[k], one.value)
        for name in ("x", "y"):
            assert _same(results.gradient[name][k], one.gradient[name], True), (k, name)


def test_a_point_an_op_refuses_is_named_as_one_at_a_time_names_it():
    """bce's p must lie in [0, 1] (PyTorch refuses others): the pass over all the points gives
    way to one point at a time, which names the point and says why, and evaluates the others."""
    compiled = gradcli.compile("bce(sigmoid(w) * p, 1)")
    p = np.array([0.5, 0.9, 1.5, 0.2])
    results = evaluate_points(compiled, {"p": p}, {"w": np.float64(2.0)}, ("w", "p"), 4)
    assert list(results.errors) == [2]
    assert "p" in results.errors[2].message
    for k in (0, 1, 3):
        one = compiled({"w": 2.0, "p": p[k]}, record_steps=False)
        assert _same(results.value[k], one.value, False)


def test_prod_over_points_with_and_without_a_zero_goes_one_point_at_a_time():
    """prod's partial is out/x without a zero and the product of the others with one, chosen per
    point as PyTorch chooses per tensor: a chunk mixing both kinds of point is evaluated one at
    a time (the overflow below shows the two differ: -inf from out/x)."""
    compiled = gradcli.compile("prod(x)")
    x = np.array([[1e308, 1e308, -1e-320], [1.0, 0.0, 2.0]])
    results = evaluate_points(compiled, {"x": x}, {}, ("x",), 2)
    assert isinstance(results.value, list)
    assert results.gradient["x"][0].tolist() == [-np.inf, -np.inf, np.inf]
    assert results.gradient["x"][1].tolist() == [0.0, 2.0, 0.0]
    alike = evaluate_points(compiled, {"x": x[[0, 0]]}, {}, ("x",), 2)
    assert isinstance(alike.value, np.ndarray)
    assert alike.gradient["x"][1].tolist() == [-np.inf, -np.inf, np.inf]
