"""Numbers just outside the domain: gradcli against PyTorch 2.13, the contract's convention.

Every expected value and gradient written below as "torch" was measured with PyTorch 2.13.0
(CPU, float64: `torch.tensor(v, dtype=torch.float64, requires_grad=True)`, then `backward()`),
with constants of the expression as float64 tensors too (so `x^0.5` is `torch.pow(x, tensor(0.5))`).
gradcli and its tests never import torch: the numbers are copied here.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import run_cli, run_process

import gradcli
from gradcli.api import evaluate

inf, nan = math.inf, math.nan


def assert_same(actual, expected) -> None:
    """Equal as float64 arrays, nan equal to nan, inf to inf; finite numbers to the last few bits."""
    np.testing.assert_allclose(
        np.asarray(actual, np.float64), np.asarray(expected, np.float64), rtol=1e-14, atol=0
    )


def check_against_torch(source: str, at: dict, value, gradient: dict) -> None:
    result = evaluate(source, at)
    assert_same(result.value, value)
    for name, expected in gradient.items():
        assert_same(result.gradient[name], expected)


# --- 1. A zero local derivative selects: it never turns an inf or nan upstream into nan --------

# (source, at, value, gradient), measured with torch 2.13 float64.
MASKED = [
    ("sqrt(relu(x))", {"x": -1.0}, 0.0, {"x": 0.0}),
    ("x[1]/y", {"x": [1.0, 2.0, 3.0], "y": 0.0}, inf, {"x": [0.0, inf, 0.0], "y": -inf}),
    ("asin(max(v))", {"v": [1.0, 1.0, -0.5]}, 1.5707963267948966, {"v": [inf, inf, 0.0]}),
    ("sum(abs(x))", {"x": [nan]}, nan, {"x": [0.0]}),
    ("sqrt(sign(x))", {"x": 0.0}, 0.0, {"x": 0.0}),
    ("sqrt(max(a, b))", {"a": 0.0, "b": -1.0}, 0.0, {"a": inf, "b": 0.0}),
    ("sqrt(min(a, b))", {"a": 0.0, "b": 1.0}, 0.0, {"a": inf, "b": 0.0}),
    ("asin(min(v))", {"v": [-1.0, -1.0, 0.5]}, -1.5707963267948966, {"v": [inf, inf, 0.0]}),
    ("log(x^0 - 1)", {"x": 2.0}, -inf, {"x": 0.0}),
    ("x^0 * (1/0)", {"x": 2.0}, inf, {"x": 0.0}),
    ("relu(x) * y", {"x": -1.0, "y": inf}, nan, {"x": 0.0, "y": 0.0}),
    # Not masked in PyTorch: abs multiplies by sign(x) (so 0 * inf is nan), and so does pow where
    # the exponent is not 0 (2 * 0^1 is a product, not a selection).
    ("sqrt(abs(x))", {"x": 0.0}, 0.0, {"x": nan}),
    ("sqrt(x^2)", {"x": 0.0}, 0.0, {"x": nan}),
    # pow(0, b)'s partial to b and norm's at the origin are taken as 0, then multiplied.
    ("sqrt(0^b)", {"b": 1.0}, 0.0, {"b": nan}),
    ("sqrt(norm(x))", {"x": [0.0, 0.0]}, 0.0, {"x": [nan, nan]}),
]


@pytest.mark.parametrize(("source", "at", "value", "gradient"), MASKED, ids=[c[0] for c in MASKED])
def test_zero_local_derivatives_select_as_in_torch(source, at, value, gradient):
    check_against_torch(source, at, value, gradient)


@pytest.mark.parametrize(
    ("source", "at", "expected"),
    [
        ("sqrt(relu(x))", "x=-1", {"x": 0.0}),
        ("x[1]/y", "x=[1,2,3],y=0", {"x": [0.0, "inf", 0.0], "y": "-inf"}),
        ("asin(max(v))", "v=[1,1,-0.5]", {"v": ["inf", "inf", 0.0]}),
        ("sum(abs(x))", "x=[0/0]", {"x": [0.0]}),
    ],
)
def test_the_issues_masking_reproducers_through_the_cli(source, at, expected):
    run = run_cli("eval", source, "--at", at, "--json", "--brief")
    assert run.code == 0, run.err
    assert run.json()["gradient"] == expected


def test_masking_holds_in_a_vectorised_batch_and_a_jacobian():
    # Many points on one batch axis go through the same backward pass (Compiled.batch).
    batch = gradcli.compile("sqrt(relu(x))").batch({"x": [-1.0, 4.0]})
    assert_same(batch.gradient["x"], [0.0, 0.25])
    # An array output: one backward pass per output element, the seed 0 where it is not that
    # element. torch.autograd.functional.jacobian gives [[0, 0], [0, 0.25]] (torch 2.13).
    assert_same(evaluate("sqrt(relu(x))", {"x": [-1.0, 4.0]}).gradient["x"], [[0.0, 0.0], [0.0, 0.25]])


def test_masks_and_onehots_pass_no_gradient_even_from_an_infinite_upstream():
    # maxmask, minmask and onehot are piecewise constant: their gradient is 0 (torch: no
    # gradient flows through a mask), also when sqrt'(0) = inf arrives from above.
    for source in ("sqrt(sum(maxmask(x)) - 1)", "sqrt(sum(minmask(x)) - 1)", "sqrt(sum(onehot(x, 1)) - 1)"):
        assert_same(evaluate(source, {"x": [1.0, 3.0, 2.0]}).gradient["x"], [0.0, 0.0, 0.0])


# --- 2. Division's partial -a/b^2 is computed as -(a/b)/b: b^2 neither overflows nor underflows --

DIVISION = [
    (
        "x/y",
        {"x": 1e308, "y": 3e154},
        3.333333333333333e153,
        {"x": 3.3333333333333332e-155, "y": -0.11111111111111109},
    ),
    ("z/z", {"z": 1e-300}, 1.0, {"z": 0.0}),
    ("a/b", {"a": 0.0, "b": 1e-300}, 0.0, {"a": 9.999999999999999e299, "b": -0.0}),
]


@pytest.mark.parametrize(("source", "at", "value", "gradient"), DIVISION, ids=[c[0] for c in DIVISION])
def test_division_partial_neither_overflows_nor_underflows(source, at, value, gradient):
    check_against_torch(source, at, value, gradient)


def test_division_partial_agrees_with_central_differences_far_from_one():
    # ∂(x/y)/∂y = -x/y^2 = -1/9 here, though y^2 = 9e308 overflows: the closed form, and a
    # central difference with a step relative to y.
    y, h = 3e154, 3e154 * 1e-6
    numeric = (1e308 / (y + h) - 1e308 / (y - h)) / (2 * h)
    gradient = evaluate("x/y", {"x": 1e308, "y": y}).gradient["y"]
    assert gradient == pytest.approx(-1 / 9, rel=1e-12)
    assert gradient == pytest.approx(numeric, rel=1e-9)


def test_division_reproducer_through_the_cli():
    run = run_cli("eval", "x/y", "--at", "x=1e308,y=3e154", "--json", "--brief")
    assert run.code == 0, run.err
    assert run.json()["gradient"]["y"] == pytest.approx(-0.1111111111111111, rel=1e-14)


# --- 3. Where PyTorch's answer differed from gradcli's: PyTorch's, measured -------------------

CONVENTIONS = [
    ("sign(x)", {"x": nan}, 0.0, {"x": 0.0}),
    ("abs(x)", {"x": nan}, nan, {"x": 0.0}),
    ("relu(x)", {"x": nan}, nan, {"x": 1.0}),
    ("max(a, b)", {"a": inf, "b": inf}, inf, {"a": 0.5, "b": 0.5}),
    ("min(a, b)", {"a": -inf, "b": -inf}, -inf, {"a": 0.5, "b": 0.5}),
    ("max(a, b)", {"a": nan, "b": 1.0}, nan, {"a": 1.0, "b": 1.0}),
    ("max(x)", {"x": [inf, inf, 1.0]}, inf, {"x": [0.5, 0.5, 0.0]}),
    ("max(x)", {"x": [nan, 1.0, 2.0]}, nan, {"x": [1.0, 0.0, 0.0]}),
    ("max(x)", {"x": [nan, nan, 1.0]}, nan, {"x": [0.5, 0.5, 0.0]}),
    ("min(x)", {"x": [1.0, nan, -inf]}, nan, {"x": [0.0, 1.0, 0.0]}),
    ("a^b", {"a": -inf, "b": 0.5}, inf, {"a": 0.0, "b": nan}),
    ("x^0.5", {"x": -inf}, inf, {"x": 0.0}),
    ("x^1.5", {"x": -inf}, inf, {"x": inf}),
    ("x^0.5", {"x": -0.0}, 0.0, {"x": inf}),
]


@pytest.mark.parametrize(
    ("source", "at", "value", "gradient"), CONVENTIONS, ids=[f"{c[0]} at {c[1]}" for c in CONVENTIONS]
)
def test_conventions_outside_the_domain_are_torchs(source, at, value, gradient):
    check_against_torch(source, at, value, gradient)


def test_sign_of_nan_through_the_cli():
    run = run_cli("eval", "sign(x)", "--at", "x=0/0", "--json", "--brief")
    assert run.code == 0, run.err
    assert run.json()["value"] == 0.0


# --- 4. numpy's RuntimeWarnings never reach stderr -------------------------------------------

WARNING_REPRODUCERS = [("mean(x)", "x=[]"), ("sum(abs(x))", "x=[1/0,-1/0,0/0]")]


@pytest.mark.parametrize(("source", "at"), WARNING_REPRODUCERS)
def test_no_runtime_warning_reaches_stderr(source, at):
    run = run_process("eval", source, "--at", at)
    assert run.code == 0, run.err
    assert run.err == "", run.err
    assert "is the first non-finite value" in run.out  # gradcli's own word on it stays


@pytest.mark.parametrize(
    "args",
    [
        ("eval", "mean(x)", "--at", "x=[]"),
        ("eval", "mean(x) * x", "--at", "x=[]", "--json"),
        ("eval", "sum(abs(x))", "--at", "x=[1/0,-1/0,0/0]"),
        ("eval", "sum(abs(x))", "--at", "x=[1/0,-1/0,0/0]", "--format", "text"),
        ("eval", "max(x) + sqrt(x[0]) + log(x[1])", "--at", "x=[-1,0,1/0,0/0]", "--format", "markdown"),
        ("eval", "x/y + x^y", "--at", "x=0,y=0", "--format", "latex"),
        ("check", "mean(x)", "--at", "x=[]"),
        ("check", "sum(abs(x))", "--at", "x=[1/0,-1/0,0/0]"),
    ],
    ids=lambda args: " ".join(args),
)
def test_no_runtime_warning_is_raised_at_all(args):
    # Stricter than reading stderr: any RuntimeWarning, printed or not, fails the run.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        run = run_cli(*args)
    assert run.code in (0, 2, 3), run.err
    assert "RuntimeWarning" not in run.err, run.err
