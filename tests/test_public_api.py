"""`import gradcli` gives one documented function per thing a command does, and they stay
functions after use (no feature module is named like one, so importing it cannot shadow it)."""

from __future__ import annotations

import inspect
import subprocess
import sys

import numpy as np
import pytest

import gradcli

FUNCTIONS = ["evaluate", "compile", "jacobian", "hessian", "check", "perturb", "diff", "descend"]


def test_the_public_names_are_documented_functions_even_after_every_one_ran():
    gradcli.evaluate("x*y", x=1, y=2)
    gradcli.compile("x*y")(x=1, y=2)
    gradcli.jacobian("x*y", x=1, y=2)
    gradcli.hessian("x*y", x=1, y=2)
    gradcli.check("x*y", x=1, y=2)
    gradcli.perturb("x*y", x=1, y=2, spec="x")
    gradcli.diff("x*y")
    gradcli.descend("(w*x - y)^2", data={"x": [1, 2], "y": [2, 4]}, params={"w": 1.0}, epochs=2)
    for name in FUNCTIONS:
        function = getattr(gradcli, name)
        assert inspect.isfunction(function), f"gradcli.{name} is {function!r}"
        assert len(inspect.getdoc(function) or "") > 80, f"gradcli.{name} needs a docstring"
    assert issubclass(gradcli.GradcliError, Exception)
    assert set(FUNCTIONS) | {"GradcliError"} <= set(dir(gradcli))


def test_importing_gradcli_loads_neither_numpy_nor_lark():
    code = "import sys, gradcli; print(sorted(m for m in ('numpy', 'lark') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'gradient'"):
        gradcli.gradient  # noqa: B018


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_jacobian_against_central_differences(mode):
    source = "softmax(W @ x) * sum(x^2)"
    rng = np.random.default_rng(3)
    W, x = rng.normal(size=(3, 2)), rng.normal(size=2)
    found = gradcli.jacobian(source, W=W, x=x, mode=mode)
    assert found["W"].shape == (3, 3, 2) and found["x"].shape == (3, 2)
    h = 1e-6
    for name, value in (("W", W), ("x", x)):
        expected = np.zeros((3, *value.shape))
        for index in np.ndindex(value.shape):
            up, down = value.copy(), value.copy()
            up[index] += h
            down[index] -= h
            at_up = {"W": W, "x": x, name: up}
            at_down = {"W": W, "x": x, name: down}
            difference = gradcli.evaluate(source, at_up).value - gradcli.evaluate(source, at_down).value
            expected[(slice(None), *index)] = difference / (2 * h)
        np.testing.assert_allclose(found[name], expected, rtol=1e-6, atol=1e-8)


def test_jacobian_of_a_scalar_is_the_gradient():
    assert gradcli.jacobian("x^2*y", x=3, y=2) == {"x": 12.0, "y": 9.0}
    assert list(gradcli.jacobian("x^2*y", x=3, y=2, wrt=["y"])) == ["y"]
