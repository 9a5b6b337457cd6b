"""The axis-aware rows called directly: values against numpy, vector-Jacobian products against
central finite differences, for axis None / an int / a negative int / a list, keepdims 0 and 1,
ddof, on 1-, 2- and 3-D inputs; batched upstream gradients (a Jacobian's seeds) against one
seed at a time; and the checks that refuse an axis an array does not have.

The rules are called as the engine calls them: `forward(x, **options)`,
`vjp(x, out, grad, **options)`, `check(x, **options)`.
"""

from __future__ import annotations

import numpy as np
import pytest

from gradcli.ops import OPS
from gradcli.ops.tangents import AXIS_JVPS

SHAPES = [(4,), (2, 3), (2, 3, 4)]


def _logsumexp(x, axis=None, keepdims=False):
    return np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))


def _softmax(x, axis=None):
    z = np.exp(x)
    return z / np.sum(z, axis=axis, keepdims=True)


# op name -> numpy's own computation (the reference values).
NUMPY = {
    "sum": lambda x, axis=None, keepdims=False: np.sum(x, axis=axis, keepdims=keepdims),
    "mean": lambda x, axis=None, keepdims=False: np.mean(x, axis=axis, keepdims=keepdims),
    "prod": lambda x, axis=None, keepdims=False: np.prod(x, axis=axis, keepdims=keepdims),
    "amax": lambda x, axis=None, keepdims=False: np.max(x, axis=axis, keepdims=keepdims),
    "amin": lambda x, axis=None, keepdims=False: np.min(x, axis=axis, keepdims=keepdims),
    "norm": lambda x, axis=None, keepdims=False: np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims)),
    "logsumexp": _logsumexp,
    "variance": lambda x, axis=None, ddof=0, keepdims=False: np.var(
        x, axis=axis, ddof=ddof, keepdims=keepdims
    ),
    "std": lambda x, axis=None, ddof=0, keepdims=False: np.std(x, axis=axis, ddof=ddof, keepdims=keepdims),
    "softmax": _softmax,
    "log_softmax": lambda x, axis=None: np.log(_softmax(x, axis)),
    "cumsum": lambda x, axis=None: np.cumsum(x, axis=axis),
    "cumprod": lambda x, axis=None: np.cumprod(x, axis=axis),
    "expand_dims": lambda x, axis=0: np.expand_dims(x, axis),
    "reshape": lambda x, shape=(-1,): np.reshape(x, shape),
}
REDUCTIONS = ["sum", "mean", "prod", "amax", "amin", "norm", "logsumexp", "variance", "std"]


def _axes_for(ndim: int) -> list:
    axes = [None, 0, -1]
    if ndim >= 2:
        axes += [1, (0, -1), (-1, 0)]
    if ndim >= 3:
        axes += [(0, 2), (1,), (0, 1, 2)]
    return axes


def _cases():
    for shape in SHAPES:
        for axis in _axes_for(len(shape)):
            for name in REDUCTIONS:
                for keepdims in (False, True):
                    yield name, shape, {"axis": axis, "keepdims": keepdims}
                if name in ("variance", "std"):
                    yield name, shape, {"axis": axis, "ddof": 1}
            for name in ("softmax", "log_softmax"):
                yield name, shape, {"axis": axis}
            if not isinstance(axis, tuple):
                for name in ("cumsum", "cumprod"):
                    yield name, shape, {"axis": axis}
        yield "expand_dims", shape, {"axis": 0}
        yield "expand_dims", shape, {"axis": -1}
        yield "expand_dims", shape, {"axis": (0, 2)}
        yield "reshape", shape, {"shape": (-1,)}
        yield "reshape", shape, {"shape": (2, -1)}
    for name in REDUCTIONS:  # a number: every axis and none
        yield name, (), {}
        yield name, (), {"keepdims": True}
    yield "cumsum", (), {}
    yield "cumprod", (), {}
    yield "softmax", (), {}


CASES = list(_cases())


def _id(case) -> str:
    name, shape, options = case
    text = ",".join(f"{k}={v}" for k, v in options.items())
    return f"{name}{list(shape)}{text}"


def _sample(name: str, shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng([seed, len(shape), *map(ord, name)])
    lo, hi = OPS[name].domain
    x = rng.uniform(lo, hi, size=shape)
    if name in ("prod", "cumprod"):  # away from 0, and mixed signs
        x = np.where(rng.uniform(size=shape) < 0.3, -x, x)
    return np.asarray(x, dtype=np.float64)


def _fd_vjp(forward, x: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """d/dx of sum(grad * forward(x)), by central differences, element by element."""
    result = np.zeros_like(x)
    for position in np.ndindex(x.shape):
        h = 1e-6 * max(1.0, abs(float(x[position])))
        up, down = x.copy(), x.copy()
        up[position] += h
        down[position] -= h
        result[position] = (np.sum(grad * forward(up)) - np.sum(grad * forward(down))) / (
            up[position] - down[position]
        )
    return result


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_values_are_numpys(case):
    name, shape, options = case
    op = OPS[name]
    x = _sample(name, shape)
    assert op.check(x, **options) is None
    got = np.asarray(op.forward(x, **options))
    expected = np.asarray(NUMPY[name](x, **options))
    assert got.shape == expected.shape, f"{name} {options}: shape {got.shape}, numpy {expected.shape}"
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_vjp_matches_finite_differences(case):
    name, shape, options = case
    op = OPS[name]
    for seed in range(2):
        x = _sample(name, shape, seed)
        out = np.asarray(op.forward(x, **options))
        grad = np.random.default_rng(seed).normal(size=out.shape)
        got = op.partials[0].vjp(x, out, grad, **options)
        assert np.shape(got) == x.shape, f"{name} {options}: gradient shape {np.shape(got)}"
        numeric = _fd_vjp(lambda v: op.forward(v, **options), x, grad)
        scale = max(1.0, float(np.max(np.abs(numeric), initial=0.0)))
        np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-7 * scale, err_msg=f"{name} {options}")


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_a_batch_of_seeds_gives_each_seeds_vjp(case):
    """Leading axes of the upstream gradient (the seeds of a Jacobian) stay in front."""
    name, shape, options = case
    op = OPS[name]
    x = _sample(name, shape)
    out = np.asarray(op.forward(x, **options))
    seeds = np.random.default_rng(3).normal(size=(3, *out.shape))
    together = op.partials[0].vjp(x, out, seeds, **options)
    alone = np.stack([op.partials[0].vjp(x, out, seed, **options) for seed in seeds])
    assert np.shape(together) == (3, *x.shape)
    np.testing.assert_allclose(together, alone, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("case", [c for c in CASES if c[0] != "softmax"], ids=_id)
def test_jvp_is_the_transpose_of_the_vjp(case):
    """Forward mode's product, written apart from the vjp: its columns are the vjp's rows."""
    name, shape, options = case
    op = OPS[name]
    x = _sample(name, shape)
    out = np.asarray(op.forward(x, **options))
    columns = AXIS_JVPS[name](0, [x], out, np.eye(x.size).reshape((x.size, *x.shape)), **options)
    rows = op.partials[0].vjp(x, out, np.eye(out.size).reshape((out.size, *out.shape)), **options)
    assert np.shape(columns) == (x.size, *out.shape)
    np.testing.assert_allclose(
        np.reshape(columns, (x.size, out.size)).T,
        np.reshape(rows, (out.size, x.size)),
        rtol=1e-12,
        atol=1e-14,
    )


def test_cumprod_jvp_at_zeros_is_exact():
    x = np.array([2.0, 0.0, 3.0, 0.0, 5.0])
    out = np.cumprod(x)
    columns = AXIS_JVPS["cumprod"](0, [x], out, np.eye(5))
    rows = OPS["cumprod"].partials[0].vjp(x, out, np.eye(5))
    np.testing.assert_array_equal(columns.T, rows)


@pytest.mark.parametrize("name", REDUCTIONS)
def test_defaults_reduce_every_element_to_one_number(name):
    """No options: what the row computed before options existed, a number."""
    op = OPS[name]
    x = _sample(name, (2, 3))
    assert np.shape(op.forward(x)) == ()
    assert op.forward(x) == pytest.approx(float(NUMPY[name](x)), rel=1e-13)
    assert np.shape(op.forward(x, keepdims=True)) == (1, 1)


def test_an_empty_list_of_axes_reduces_nothing():
    x = _sample("sum", (2, 3))
    for name in ("sum", "mean", "amax", "prod"):
        np.testing.assert_allclose(OPS[name].forward(x, axis=()), NUMPY[name](x, axis=()))


@pytest.mark.parametrize(
    ("name", "shape", "options", "words"),
    [
        ("sum", (2, 3), {"axis": 2}, "axis 2 is out of range for an array of 2 dimensions"),
        ("mean", (2, 3), {"axis": -3}, "axes count from 0 to 1, or back from -1"),
        ("amax", (3,), {"axis": (0, 0)}, "names dimension 0 twice"),
        ("amin", (2, 3), {"axis": (1, -1)}, "names dimension 1 twice"),
        ("prod", (), {"axis": 0}, "a number has no axes"),
        ("norm", (2, 3), {"axis": 0.5}, "axis is a whole number"),
        ("logsumexp", (2, 3), {"keepdims": 2}, "keepdims is 0 or 1"),
        ("variance", (2, 3), {"ddof": "one"}, "ddof is a number"),
        ("std", (2, 3), {"axis": "rows"}, "axis is a whole number"),
        ("softmax", (2, 3), {"axis": 5}, "axis 5 is out of range"),
        ("log_softmax", (4,), {"axis": 1}, "for an array of 1 dimension:"),
        ("cumsum", (2, 3), {"axis": (0, 1)}, "run along one axis"),
        ("cumprod", (2, 3), {"axis": 2}, "out of range"),
        ("expand_dims", (2, 3), {"axis": 3}, "out of range for an array of 3 dimensions"),
        ("reshape", (2, 3), {"shape": (4, -1)}, "cannot take shape [4, -1]"),
        ("reshape", (2, 3), {"shape": (-1, -1)}, "at most one of them -1"),
        ("reshape", (2, 3), {"shape": (5,)}, "an array of 6 elements (shape (2, 3)) cannot take shape [5]"),
    ],
)
def test_checks_say_what_does_not_fit(name, shape, options, words):
    problem = OPS[name].check(np.zeros(shape), **options)
    assert problem is not None and words in problem, problem


def test_whole_floats_are_axes_too():
    """The language may hand a number over as a float: 1.0 is axis 1."""
    x = _sample("sum", (2, 3))
    assert OPS["sum"].check(x, axis=1.0) is None
    np.testing.assert_array_equal(OPS["sum"].forward(x, axis=1.0), np.sum(x, axis=1))
    np.testing.assert_array_equal(OPS["sum"].forward(x, axis=(0.0, 1.0)), np.sum(x))


# --- the formulas' text: the options they print ---------------------------------------------------


@pytest.mark.parametrize(
    ("name", "shape", "options", "text"),
    [
        ("sum", (2, 3), {}, "grad"),
        ("sum", (2, 3), {"axis": 1}, "expand_dims(grad, axis=1)"),
        ("sum", (2, 3), {"axis": 1, "keepdims": True}, "grad"),
        ("mean", (2, 3), {"axis": (0, 1)}, "expand_dims(grad, axis=[0, 1])/6"),
        ("mean", (2, 3), {}, "grad/6"),
        ("amax", (2, 3), {"axis": -1}, "expand_dims(grad, axis=-1) * maxmask(x, axis=-1)"),
        ("amin", (4,), {}, "grad * minmask(x)"),
        ("prod", (2, 3), {"axis": 0}, "expand_dims(grad, axis=0) * expand_dims(out, axis=0)/x"),
        ("norm", (2, 3), {}, "grad * x/out"),
        ("logsumexp", (2, 3), {"axis": 1}, "expand_dims(grad, axis=1) * exp(x - expand_dims(out, axis=1))"),
        ("variance", (2, 3), {"ddof": 1}, "grad * 2*(x - mean(x))/5"),
        (
            "variance",
            (2, 3),
            {"axis": 1},
            "expand_dims(grad, axis=1) * 2*(x - mean(x, axis=1, keepdims=1))/3",
        ),
        ("std", (2, 3), {}, "grad * (x - mean(x))/(6*out)"),
        ("softmax", (2, 3), {}, "out * (grad - sum(grad * out))"),
        ("softmax", (2, 3), {"axis": -1}, "out * (grad - sum(grad * out, axis=-1, keepdims=1))"),
        ("log_softmax", (2, 3), {"axis": 0}, "grad - exp(out) * sum(grad, axis=0, keepdims=1)"),
        ("cumsum", (4,), {}, "sum(grad) - cumsum(grad) + grad"),
        ("cumsum", (2, 3), {}, "reshape(sum(grad) - cumsum(grad) + grad, shape=[2, 3])"),
        ("cumsum", (2, 3), {"axis": 1}, "sum(grad, axis=1, keepdims=1) - cumsum(grad, axis=1) + grad"),
        ("cumprod", (4,), {}, "(sum(grad * out) - cumsum(grad * out) + grad * out)/x"),
        ("cumsum", (), {}, "sum(grad)"),
        ("expand_dims", (2, 3), {"axis": 0}, "reshape(grad, shape=[2, 3])"),
        ("reshape", (), {}, "sum(grad)"),
    ],
)
def test_formula_texts(name, shape, options, text):
    x = np.ones(shape)
    assert OPS[name].partials[0].formula_text(x, **options) == text
