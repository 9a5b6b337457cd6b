"""`gradcli hessian` and `gradcli diff` on arrays through the command line: every format, the
size guard, the refusals (exit 2, one message, no traceback), and rows whose formulas take a
list of inputs or a string before them (the forms concat and einsum need)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import numpy as np
import pytest
from conftest import compile_latex, run_cli

import gradcli
from gradcli.ops import FUNCTIONS, OPS, VARIADIC_FUNCTIONS, Op, Partial
from gradcli.render.diff import program_text

SOURCE = "sum(tanh(W @ x))"
AT = "W=[[0.1,0.2],[0.3,-0.4]],x=[1,-1]"
LABELS = ["W[0,0]", "W[0,1]", "W[1,0]", "W[1,1]", "x[0]", "x[1]"]


def _matrix() -> np.ndarray:
    return gradcli.hessian(SOURCE, W=[[0.1, 0.2], [0.3, -0.4]], x=[1.0, -1.0]).matrix


def test_json_has_the_elements_and_the_whole_matrix():
    run = run_cli("hessian", SOURCE, "--at", AT, "--json")
    assert run.code == 0, run.err
    data = json.loads(run.out)
    assert data["variables"] == ["W", "x"]
    assert data["elements"] == LABELS
    assert data["shapes"] == {"W": [2, 2], "x": [2]}
    np.testing.assert_allclose(data["hessian"], _matrix(), rtol=1e-15)
    assert np.shape(data["gradient"]["W"]) == (2, 2)
    assert data["warnings"] == []


def test_text_markdown_latex_and_rich_show_every_element():
    text = run_cli("hessian", SOURCE, "--at", AT, "-F", "text").out
    header = text.splitlines()[text.splitlines().index("Hessian  (row i, column j: ∂²v3/∂i∂j)") + 1]
    assert header.split() == LABELS
    assert sum(line.strip().startswith(tuple(LABELS)) for line in text.splitlines()) == 1 + 6
    markdown = run_cli("hessian", SOURCE, "--at", AT, "-F", "markdown").out
    header = "|  | $W_{0,0}$ | $W_{0,1}$ | $W_{1,0}$ | $W_{1,1}$ | $x_{0}$ | $x_{1}$ |"
    assert header in markdown.splitlines()
    latex = run_cli("hessian", SOURCE, "--at", AT, "-F", "latex").out
    assert r"\quad (W_{0,0}, W_{0,1}, W_{1,0}, W_{1,1}, x_{0}, x_{1})" in latex
    assert latex.count(r"\\") == 1 + 5  # the value's line, then six rows
    rich = run_cli("hessian", SOURCE, "--at", AT, "-F", "rich").out
    assert all(label in rich for label in LABELS)


def test_output_files_take_the_format_from_the_extension(tmp_path):
    for suffix in (".md", ".tex", ".json", ".txt"):
        path = tmp_path / f"h{suffix}"
        assert run_cli("hessian", SOURCE, "--at", AT, "-o", str(path)).code == 0
        assert "W[0,1]" in path.read_text() or "W_{0,1}" in path.read_text()


def test_rich_shows_part_of_a_big_matrix_and_says_which_formats_print_it_all():
    run = run_cli("hessian", "sum(x^3)", "--at", "x=[1,2,3,4,5,6,7,8,9,10,11,12,13,14]", "-F", "rich")
    assert run.code == 0
    assert "showing 14 of 14 rows and" in run.out  # as many columns as fit in 80 characters
    assert "x[13]" in run.out and "--format text, markdown, latex or" in run.out
    assert max(len(line) for line in run.out.splitlines()) <= 80


def test_latex_of_more_than_ten_columns_compiles(tmp_path):
    at = "x=[1,2,3,4,5,6,7,8,9,10,11],y=2"
    run = run_cli("hessian", "sum(x^3) * y", "--at", at, "-F", "latex", "--standalone")
    assert run.code == 0 and r"\setcounter{MaxMatrixCols}{12}" in run.out
    (tmp_path / "h.tex").write_text(run.out)
    compile_latex(tmp_path / "h.tex")


def test_wrt_chooses_the_rows():
    data = run_cli("hessian", SOURCE, "--at", AT, "--wrt", "x", "--json").json()
    assert data["elements"] == ["x[0]", "x[1]"]
    np.testing.assert_allclose(data["hessian"], _matrix()[4:, 4:], rtol=1e-15)


@pytest.mark.parametrize(
    ("args", "message", "hint"),
    [
        (["x * 2", "--at", "x=[1,2]"], "hessian differentiates an output of one number", "sum(...)"),
        (
            ["sum(x^2)", "--at", f"x=[{','.join(['1'] * 2001)}]"],
            "the Hessian over 2,001 elements would have 4,004,001 entries",
            "--wrt",
        ),
        (["sum(x^2) + y", "--at", "x=[1,2],y=1,z=3"], "a value is given for 'z'", "reads x, y"),
    ],
)
def test_hessian_refuses_with_one_message(args, message, hint):
    run = run_cli("hessian", *args)
    assert run.code == 2 and message in run.err and hint in run.err and "Traceback" not in run.err
    assert run.out == ""


def test_a_big_hessian_under_the_guard_is_served():
    run = run_cli("hessian", "sum(x^2)", "--at", f"x=[{','.join(['1'] * 50)}]", "--json")
    assert run.code == 0
    np.testing.assert_array_equal(run.json()["hessian"], 2 * np.eye(50))


def test_an_empty_array_has_an_empty_hessian():
    data = run_cli("hessian", "sum(x^2)", "--at", "x=[]", "--json").json()
    assert data["hessian"] == [] and data["elements"] == [] and data["shapes"] == {"x": [0]}
    for fmt in ("text", "markdown", "latex", "rich"):
        assert run_cli("hessian", "sum(x^2)", "--at", "x=[]", "-F", fmt).code == 0


def test_an_element_of_three_indices_gives_its_gradient_back_as_a_slice_does():
    at = "x=[[[1,2],[3,4]]]"
    assert run_cli("diff", "x[0,1,0]^2", "--at", at).out == 'scatter(2 * x[0, 1, 0], x, key="0, 1, 0")\n'
    data = run_cli("hessian", "x[0,1,0]^2 * x[0,0,1]", "--at", at, "--json").json()
    assert data["hessian"] == [[0, 0, 0, 0], [0, 0, 6, 0], [0, 6, 4, 0], [0, 0, 0, 0]]


# --- diff --at --------------------------------------------------------------------------------


def test_diff_with_values_writes_array_derivatives_in_every_format():
    text = run_cli("diff", SOURCE, "--at", AT, "--wrt", "W")
    assert text.code == 0 and text.out == "outer(1 - tanh(W @ x)^2, x)\n" and text.err == ""
    data = run_cli("diff", SOURCE, "--at", AT, "--json").json()
    assert data["wrt"] == {"W": "outer(1 - tanh(W @ x)^2, x)", "x": "transpose(W) @ (1 - tanh(W @ x)^2)"}
    markdown = run_cli("diff", SOURCE, "--at", AT, "-F", "markdown").out
    assert "outer(d_v1, x)" in markdown
    latex = run_cli("diff", SOURCE, "--at", AT, "-F", "latex").out
    assert r"\operatorname{outer}" in latex and r"\operatorname{transpose}" in latex


def test_diff_without_values_says_how_to_give_the_shapes():
    run = run_cli("diff", SOURCE)
    assert run.code == 2 and "for arrays, give their values with --at" in run.err
    assert 'gradcli diff "sum(W @ x)" --at W=[[1,2],[3,4]],x=[1,1]' in run.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([SOURCE, "--at", AT + ",z=1"], "a value is given for 'z'"),
        (["W @ x", "--at", AT], "diff writes the derivatives of one number"),
        (["sum(W @ x)", "--at", "W=[[1,2],[3,4]],x=[1,2,3]"], "do not fit"),
    ],
)
def test_diff_refuses_with_one_message(args, message):
    run = run_cli("diff", *args)
    assert run.code == 2 and message in run.err and "Traceback" not in run.err and run.out == ""


# --- rows of other forms, and a row whose formula is wrong ---------------------------------------


def _joined(*items, axis=0):
    return np.concatenate([np.atleast_1d(item) for item in items], axis=axis)


def _joined_partial(k: int) -> Partial:
    """Item k of a joined list of vectors gets its stretch of the upstream gradient."""

    def bounds(items):
        start = sum(np.size(item) for item in items[:k])
        return start, start + np.size(items[k])

    def vjp(*args, axis=0):
        start, stop = bounds(args[:-2])
        return args[-1][..., start:stop]

    def formula(*items, axis=0):
        start, stop = bounds(items)
        return f"grad[{start}:{stop}]"

    return Partial(formula, vjp=vjp)


JOINED = Op(
    "joined", (), _joined, (), "joined", variadic=True, sequence=True, item_partial=_joined_partial,
    options=(("axis", 0),), pointwise=False,
)  # fmt: skip
SCALED = Op(
    "scaled",
    ("x",),
    lambda x, label="", scale=1: x * scale,
    (
        Partial(
            lambda x, label="", scale=1: f"{scale}", lambda x, out, label="", scale=1: np.full_like(x, scale)
        ),
    ),
    "scaled",
    options=(("label", ""), ("scale", 1)),
    leading=("label",),
)
WRONG = Op("wrong", ("x",), np.sin, (Partial("sin(x)", lambda x, out: np.cos(x)),), "wrong")


@pytest.fixture
def rows(monkeypatch):
    for op in (JOINED, SCALED, WRONG):
        monkeypatch.setitem(OPS, op.name, op)
    monkeypatch.setitem(VARIADIC_FUNCTIONS, "joined", JOINED)
    monkeypatch.setitem(FUNCTIONS, ("scaled", 1), SCALED)
    monkeypatch.setitem(FUNCTIONS, ("wrong", 1), WRONG)


def test_a_list_input_and_a_leading_string_are_written_as_the_source_writes_them(rows):
    source = 'sum(joined([a, scaled("w", b, scale=3)])^2)'
    values = {"a": np.array([1.0, 2.0]), "b": np.array([0.5, -1.0, 2.0])}
    derivatives = gradcli.diff(source, at=values)
    text = program_text(derivatives.combined)
    assert 'joined([a, scaled("w", b, scale=3)])' in text
    reverse = gradcli.evaluate(source, values)
    for name in values:  # each derivative parses back and gives reverse mode's gradient
        reread = gradcli.evaluate(program_text(derivatives.programs[name]), values)
        np.testing.assert_allclose(reread.value, reverse.gradient[name], rtol=1e-15)
    matrix = gradcli.hessian(source, values).matrix
    np.testing.assert_allclose(matrix, np.diag([2, 2, 18, 18, 18.0]), rtol=1e-15)


def test_a_formula_that_disagrees_with_its_rule_is_refused_naming_the_op(rows):
    run = run_cli("hessian", "sum(wrong(x))", "--at", "x=[0.5,1]")
    assert run.code == 2 and "Traceback" not in run.err
    assert "cannot write the derivative of wrong: its formula `sin(x)` does not give what its rule" in run.err
    assert "sum(wrong(x))" in run.err and "^" in run.err
    assert run_cli("diff", "sum(wrong(x))", "--at", "x=[0.5,1]").code == 2


@pytest.mark.parametrize(
    "command",
    [
        'gradcli diff "sum(tanh(W @ x + b))" --at W=[[1,2],[3,4]],x=[1,1],b=[0,1]',
        'gradcli hessian "sum(tanh(W @ x))" --at W=[[0.1,0.2],[0.3,-0.4]],x=[1,-1] --wrt W --format text',
    ],
)
def test_the_readmes_array_examples_are_what_gradcli_prints(command):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    shown = readme.split(f"```sh\n{command}\n```\n\n```\n", 1)[1].split("```", 1)[0]
    run = run_cli(*shlex.split(command)[1:])
    assert run.code == 0 and run.out.endswith(shown)
