"""The Python API: gradcli.evaluate, gradcli.compile (one point, many points), GradcliError."""

from __future__ import annotations

import doctest
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli

import gradcli
import gradcli.api
import gradcli.compiled
import gradcli.parse

ROOT = Path(__file__).resolve().parent.parent
SIGMOID = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
SEED = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}


@pytest.mark.parametrize("module", [gradcli, gradcli.api, gradcli.compiled], ids=lambda m: m.__name__)
def test_docstring_examples_run(module):
    failures, tried = doctest.testmod(module, raise_on_error=False, verbose=False)
    assert tried > 0
    assert failures == 0


def test_the_documented_example_runs():
    done = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "api_example.py")], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:5] == [
        "6.0 2.0 5.0",
        "6 nodes, 5 backward steps",
        "0.7311 -0.5898",
        "(1000,) (1000,)",
        "1 5",
    ]
    assert lines[5].startswith("error: the input ends too early")


def test_evaluate_gives_the_whole_derivation():
    result = gradcli.evaluate(SIGMOID, **SEED)
    assert isinstance(result.value, np.ndarray | np.floating)
    assert round(float(result.value), 4) == 0.7311
    assert set(result.gradient) == set(SEED)
    assert all(isinstance(g, np.ndarray | np.floating) for g in result.gradient.values())
    assert len(result.nodes) == 15 and len(result.steps) == 12
    assert '"schema": 1' in result.to_json()
    assert result._repr_markdown_() == result.to_markdown()
    assert r"\begin{align*}" in result.to_latex() or r"\partial" in result.to_latex()
    assert "Backward pass" in result.to_text()


def test_a_compiled_program_is_evaluate_without_the_parsing(monkeypatch):
    neuron = gradcli.compile(SIGMOID)
    assert neuron.variables == ("w0", "x0", "w1", "x1", "w2")
    assert neuron.source == SIGMOID
    assert repr(neuron) == f"gradcli.compile({SIGMOID!r})"

    def no_parsing(*_):
        raise AssertionError("parsed again")

    monkeypatch.setattr(gradcli.parse, "parse_program", no_parsing)
    monkeypatch.setattr(gradcli.api, "parse_program", no_parsing)
    rng = np.random.default_rng(0)
    for _ in range(20):
        point = {name: float(rng.normal()) for name in neuron.variables}
        result = neuron(point)
        monkeypatch.undo()
        expected = gradcli.evaluate(SIGMOID, point)
        monkeypatch.setattr(gradcli.parse, "parse_program", no_parsing)
        monkeypatch.setattr(gradcli.api, "parse_program", no_parsing)
        assert result.to_json() == expected.to_json()
    assert neuron(SEED, wrt=["x1"]).gradient.keys() == {"x1"}
    assert neuron(**SEED, record_steps=False).steps == []


def test_a_variable_may_be_called_at():
    twice = gradcli.compile("at * 2")
    assert float(twice(at=3).value) == 6.0
    assert float(twice({"at": 4}).value) == 8.0


def test_batch_agrees_with_one_point_at_a_time():
    neuron = gradcli.compile(SIGMOID)
    rng = np.random.default_rng(1)
    points = {name: rng.normal(size=200) for name in ("x0", "x1")}
    fixed = {"w0": 2, "w1": -3, "w2": -3}
    batch = neuron.batch(points, fixed, chunk=64)
    assert len(batch) == 200 and batch.value.shape == (200,)
    assert batch.wrt == neuron.variables
    for k in (0, 63, 64, 199):
        single = neuron({**fixed, "x0": points["x0"][k], "x1": points["x1"][k]})
        assert batch.value[k] == single.value
        assert {n: batch.gradient[n][k] for n in batch.wrt} == single.gradient
    assert batch.derivation(5).to_json() == neuron(batch.at(5)).to_json()
    rows = [{"x0": float(a), "x1": float(b)} for a, b in zip(points["x0"], points["x1"], strict=True)]
    assert np.array_equal(neuron.batch(rows, fixed).value, batch.value)


def test_batch_results_are_arrays_of_their_own():
    add = gradcli.compile("x + y")
    x = np.array([1.0, 2.0])
    batch = add.batch({"x": x, "y": [3.0, 4.0]})
    assert batch.gradient["x"] is not batch.gradient["y"]
    batch.gradient["x"][0] = 99.0
    assert batch.gradient["y"][0] == 1.0
    same = gradcli.compile("x").batch({"x": x})
    same.value[0] = 99.0
    assert x[0] == 1.0


def test_batch_of_a_program_that_mixes_elements():
    model = gradcli.compile("sum(x * w)")
    assert model.mixing_ops == ("sum",)
    x = np.arange(6.0).reshape(2, 3)
    batch = model.batch({"x": x}, {"w": [1, 2, 3]})
    assert batch.value.tolist() == [8.0, 26.0]
    assert batch.gradient["x"].tolist() == [[1, 2, 3], [1, 2, 3]]
    assert batch.gradient["w"].tolist() == x.tolist()


def test_batch_shows_itself_as_a_markdown_table():
    batch = gradcli.compile("x*y").batch({"x": np.arange(30.0)}, {"y": 2})
    shown = batch._repr_markdown_()
    assert shown.startswith("**30 points** of `x*y`, with y = 2")
    assert "| # | x | value | ∂/∂x | ∂/∂y |" in shown
    assert "| 3 | 3 | 6 | 2 | 3 |" in shown
    assert "… and 10 more points" in shown


@pytest.mark.parametrize(
    ("points", "at", "message"),
    [
        ({"x": [1, 2], "y": [1, 2, 3]}, {}, "different numbers of points"),
        ({"x": 1.0, "y": [1, 2]}, {}, "'x' is one number, not one value per point"),
        ({"x": [1, 2]}, {}, "no value for y"),
        ({"x": [1, 2], "y": [1, 2], "z": [1, 2]}, {}, "the program does not read 'z'"),
        ({"x": [1, 2], "y": [1, 2]}, {"y": 1}, "'y' is given both per point and in `at`"),
        ({"x": ["a", "b"], "y": [1, 2]}, {}, "is not a number"),
        ([{"x": 1, "y": 2}, {"x": 1}], {}, "point 1 gives x, but point 0 gives x, y"),
    ],
)
def test_batch_errors(points, at, message):
    with pytest.raises(gradcli.GradcliError) as caught:
        gradcli.compile("x*y").batch(points, at)
    assert message in caught.value.message


def test_errors_are_one_class_with_the_cli_message():
    with pytest.raises(gradcli.GradcliError) as caught:
        gradcli.evaluate("2*x +", x=1)
    error = caught.value
    assert (error.span.line, error.span.column) == (1, 5)
    cli = run_cli("eval", "2*x +", "--at", "x=1")
    assert cli.code == 2
    assert cli.err == error.render() + "\n"
    with pytest.raises(gradcli.GradcliError) as compiled:
        gradcli.compile("2*x +")
    assert compiled.value.render() == error.render()
    with pytest.raises(gradcli.GradcliError, match="unknown function 'expp'"):
        gradcli.compile("expp(x)")
    with pytest.raises(gradcli.GradcliError, match="at point 0: shapes"):
        gradcli.compile("sum(x * w)").batch({"x": [[1, 2, 3], [1, 2, 3]]}, {"w": [1, 2]})


def test_importing_gradcli_stays_light():
    code = "import sys, gradcli; gradcli.__version__; print('numpy' in sys.modules, 'lark' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["False", "False"]
    assert callable(gradcli.compile) and "compile" in gradcli.__all__
