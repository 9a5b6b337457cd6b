"""Indexing with ranges, steps, negative indices and integer lists: `x[1:3]`, `x[::-1]`, `W[:, 0]`,
`x[-1]`, `x[[0, 2, 0]]`. Values as numpy's, gradients as PyTorch 2.13's (float64, measured and
copied in: torch is not imported here), errors with a caret, every renderer, forward = reverse."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gradcli
from gradcli.parse import parse_expression
from gradcli.render.formula import to_latex, to_text

X4 = [1.0, 2.0, 3.0, 4.0]
W23 = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]


@pytest.mark.parametrize(
    ("source", "values", "expected"),
    [
        ("x[1:3]", {"x": X4}, [2.0, 3.0]),
        ("x[::-1]", {"x": X4}, [4.0, 3.0, 2.0, 1.0]),
        ("x[1::2]", {"x": X4}, [2.0, 4.0]),
        ("x[:-1]", {"x": X4}, [1.0, 2.0, 3.0]),
        ("x[-1]", {"x": X4}, 4.0),
        ("x[[0, 2, 0]]", {"x": X4}, [1.0, 3.0, 1.0]),
        ("x[[-1]]", {"x": X4}, [4.0]),
        ("W[:, 0]", {"W": W23}, [1.0, 4.0]),
        ("W[0, 1:]", {"W": W23}, [2.0, 3.0]),
        ("W[-1, ::-1]", {"W": W23}, [6.0, 5.0, 4.0]),
        ("W[[1, 0, 1], 1:]", {"W": W23}, [[5.0, 6.0], [2.0, 3.0], [5.0, 6.0]]),
        ("W[:, [2]]", {"W": W23}, [[3.0], [6.0]]),
        ("x[5:9]", {"x": X4}, []),  # a range past the end is empty, as in numpy
        ("(x * 2)[1:3]", {"x": X4}, [4.0, 6.0]),
    ],
)
def test_values_are_numpys(source, values, expected):
    assert np.asarray(gradcli.evaluate(source, values).value).tolist() == expected


# (source, values, gradient): PyTorch 2.13 float64 `.backward()` gives the same numbers, measured
# with torch (`x[[0, 2, 0]].sum()`, `torch.flip(x, [0])` for x[::-1], which torch cannot slice).
TORCH = [
    ("sum(x[[0, 2, 0]])", {"x": X4}, {"x": [2.0, 0.0, 1.0, 0.0]}),
    ("x[[0, 2, 0]] @ [1, 2, 3]", {"x": X4}, {"x": [4.0, 0.0, 2.0, 0.0]}),
    ("sum(x[1:3] * [5, 7])", {"x": X4}, {"x": [0.0, 5.0, 7.0, 0.0]}),
    ("x[::-1] @ [1, 2, 3]", {"x": [1.0, 2.0, 3.0]}, {"x": [3.0, 2.0, 1.0]}),
    ("x[::2] @ [1, 2, 3]", {"x": [1.0, 2.0, 3.0, 4.0, 5.0]}, {"x": [1.0, 0.0, 2.0, 0.0, 3.0]}),
    ("W[:, 0] @ [5, 6]", {"W": [[1.0, 2.0], [3.0, 4.0]]}, {"W": [[5.0, 0.0], [6.0, 0.0]]}),
    ("x[-1] * 2", {"x": [1.0, 2.0, 3.0]}, {"x": [0.0, 0.0, 2.0]}),
    ("sum(x[1:3] * [inf, 1])", {"x": [1.0, 2.0, 3.0]}, {"x": [0.0, math.inf, 1.0]}),
    # Indexing selects but does not cut (as PyTorch): sqrt'(-1) = nan meets the 0 it passes on.
    ("sqrt(x)[1]", {"x": [-1.0, 4.0]}, {"x": [math.nan, 0.25]}),
    ("sum(sqrt(x)[[1]])", {"x": [-1.0, 4.0]}, {"x": [math.nan, 0.25]}),
    (
        "sum(W[[1, 0, 1], 1:] * [[1, 2], [3, 4], [5, 6]])",
        {"W": W23},
        {"W": [[0.0, 3.0, 4.0], [0.0, 6.0, 8.0]]},
    ),
]


@pytest.mark.parametrize(("source", "values", "expected"), TORCH, ids=[case[0] for case in TORCH])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_gradients_against_pytorch(source, values, expected, mode):
    result = gradcli.evaluate(source, values, mode=mode)
    for name, gradient in expected.items():
        expected_array = np.asarray(gradient)
        if mode == "forward":  # forward mode follows reverse mode where that is finite
            finite = np.isfinite(expected_array)
            np.testing.assert_array_equal(np.asarray(result.gradient[name])[finite], expected_array[finite])
        else:
            np.testing.assert_array_equal(result.gradient[name], expected_array)


def test_jacobian_of_a_slice_with_repeats():
    result = gradcli.evaluate("x[[0, 2, 0]]", x=X4)
    assert np.asarray(result.gradient["x"]).tolist() == [
        [1.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 1.0, 0.0],
        [1.0, 0.0, 0.0, 0.0],
    ]


# --- the node, its printed forms, its step ---------------------------------------------------


@pytest.mark.parametrize(
    ("source", "printed", "latex"),
    [
        ("x[1:3]", "x[1:3]", "x_{1{:}3}"),
        ("x[::-1]", "x[::-1]", "x_{{:}{:}-1}"),
        ("W[:, 0]", "W[:, 0]", "W_{{:}, 0}"),
        ("x[[0, 2, 0]]", "x[[0, 2, 0]]", r"x_{\left[0, 2, 0\right]}"),
        ("W[0, 1:]", "W[0, 1:]", "W_{0, 1{:}}"),
    ],
)
def test_the_definition_prints_as_typed_and_parses_back(source, printed, latex):
    result = gradcli.evaluate(source, x=X4) if "x" in source else gradcli.evaluate(source, W=W23)
    definition = result.definition(result.output_node)
    assert to_text(definition) == printed
    assert to_text(parse_expression(printed)) == printed
    assert to_latex(definition) == latex


def test_json_node_has_the_key_and_the_step_its_scatter():
    run = run_cli("eval", "sum(x[1:3] * 2)", "--at", "x=[1,2,3,4]", "--json")
    assert run.code == 0, run.err
    data = run.json()
    node = next(node for node in data["nodes"] if node["op"] == "slice")
    assert node["options"] == {"key": "1:3"} and node["formula"] == "x[1:3]"
    step = next(step for step in data["steps"] if step["of"] == node["id"])
    assert step["local_formula"] == 'scatter(grad, x, key="1:3")' and step["local"] is None
    assert step["contribution"] == [0.0, 2.0, 2.0, 0.0]
    # The printed rule, evaluated by gradcli with the step's upstream gradient, gives its contribution.
    restated = gradcli.evaluate(step["local_formula"], grad=step["upstream"], x=[1.0, 2.0, 3.0, 4.0])
    assert restated.value.tolist() == step["contribution"]


def test_scatter_sums_repeats_and_its_own_derivative_is_a_slice():
    result = gradcli.evaluate(
        'sum(scatter(g, x, key="[0, 2, 0]") * [1, 2, 3])', g=[1.0, 10.0, 100.0], x=[0.0] * 3
    )
    assert float(result.value) == 101.0 + 30.0
    assert result.gradient["g"].tolist() == [1.0, 3.0, 1.0]
    assert result.gradient["x"].tolist() == [0.0, 0.0, 0.0]
    run = run_cli("eval", 'sum(scatter(g, x, key="1:3"))', "--at", "g=[1,2],x=[0,0,0,0]", "--json")
    steps = {step["local_formula"] for step in run.json()["steps"]}
    assert "grad[1:3]" in steps


@pytest.mark.parametrize("fmt", ["text", "markdown", "latex", "json", "rich"])
def test_every_format_prints_a_derivation_with_slices(fmt):
    run = run_cli(
        "eval",
        "sum(W[:, 0] * x[::-1]) + x[[0, 0]] @ x[-2:]",
        "--at",
        "W=[[1,2],[3,4]],x=[5,6]",
        "--format",
        fmt,
    )
    assert run.code == 0, run.err
    assert "scatter" in run.out


def test_gradcli_check_passes_on_slices():
    run = run_cli(
        "check",
        "sum(W[:, 1:] * W[:, :-1]) + x[[0, 2, 0]] @ x[::-1][:3]",
        "--at",
        "W=[[1,2,3],[4,5,6]],x=[1,2,3,4]",
    )
    assert run.code == 0, run.out + run.err


def test_points_evaluate_a_slice_one_point_at_a_time():
    compiled = gradcli.compile("sum(x[1:] * x[:-1])")
    assert set(compiled.mixing_ops) == {"x[i:j]", "sum"}
    batch = compiled.batch({"x": [[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]]})
    assert batch.value.tolist() == [8.0, 0.0]
    assert batch.gradient["x"].tolist() == [[2.0, 4.0, 2.0], [1.0, 0.0, 1.0]]


def test_hessian_through_slices():
    run = run_cli("hessian", "sum(x[1:] * x[:-1])", "--at", "x=[1,2,3]", "--json")
    assert run.code == 0 and run.json()["hessian"] == [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
    assert run.json()["elements"] == ["x[0]", "x[1]", "x[2]"]


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "at", "needles", "underlined"),
    [
        ("x[[0, 5]]", "x=[1,2]", ["index 5 is out of range for an axis of length 2"], "[[0, 5]"),
        ("W[:, [0, 3]]", "W=[[1,2],[3,4]]", ["index 3 is out of range"], "[:, [0, 3]"),
        ("W[0, 1:, 2]", "W=[[1,2],[3,4]]", ["at most one index per dimension"], "[0, 1:, 2"),
        ("x[1.5:3]", "x=[1,2]", ["a range's start must be a whole number"], "1.5"),
        ("x[i:3]", "x=[1,2],i=1", ["a range's start must be a whole number"], "i"),
        ("x[:n]", "x=[1,2],n=1", ["a range's end must be a whole number"], "n"),
        ("x[::0]", "x=[1,2]", ["a range's step cannot be 0"], "0"),
        ("x[[0, j]]", "x=[1,2],j=1", ["an index in a list must be a whole number"], "j"),
        ("x[[[0]]]", "x=[1,2]", ["an index in a list must be a whole number"], "[0]"),
        ("s[1:]", "s=3", ["a number cannot be indexed"], "[1:"),
        ("x[1:2:3:4]", "x=[1,2]", ["unexpected ':'"], ":"),
    ],
)
def test_bad_indices_are_exit_2_with_a_caret(source, at, needles, underlined):
    run = run_cli("eval", source, "--at", at)
    assert run.code == 2 and run.out == "", run.err
    assert "Traceback" not in run.err
    for needle in needles:
        assert needle in run.err, run.err
    lines = run.err.splitlines()
    caret_line = next(k for k, line in enumerate(lines) if line.lstrip().startswith("|") and "^" in line)
    source_line, carets = lines[caret_line - 1], lines[caret_line]
    start = carets.index("^")
    assert source_line[start : start + carets.count("^")] == underlined, run.err


# --- forward mode agrees with reverse mode -------------------------------------------------------

_SOURCES = [
    "sum(x[1:3] * x[::-1][1:3])",
    "x[[0, 2, 0, 1]] @ x[::-1]",
    "sum(exp(x[::2]) * x[1::2])",
    "sum(W[:, 0] * W[:, 1]) + sum(W[1, :] ^ 2)",
    "sum(W[[1, 0, 1], ::-1] * W[[0, 0, 1], :])",
    "sum(sqrt(x)[[1, 1]] * x[-1])",
    "sum(where(x[1:] > x[:-1], x[1:] - x[:-1], 0))",
]


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    x=st.lists(st.sampled_from([-1.5, -1.0, 0.0, 0.25, 1.0, 2.0, 3.5]), min_size=4, max_size=4),
    w=st.lists(st.floats(-3.0, 3.0), min_size=6, max_size=6),
)
@pytest.mark.parametrize("source", _SOURCES)
def test_forward_and_reverse_agree(source, x, w):
    values = {"x": np.array(x)} if "x" in source else {"W": np.array(w).reshape(2, 3)}
    reverse = gradcli.evaluate(source, values, record_steps=False)
    forward = gradcli.evaluate(source, values, mode="forward", record_steps=False)
    for name in values:
        r, f = np.asarray(reverse.gradient[name]), np.asarray(forward.gradient[name])
        finite = np.isfinite(r)
        np.testing.assert_allclose(f[finite], r[finite], rtol=1e-12, atol=1e-12)
