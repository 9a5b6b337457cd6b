"""The shape ops as a user writes them: numpy's names and spellings (options by keyword or by
position, a list of arrays for concat and stack, einsum's subscripts before the arrays), how a
derivation prints them, every format (text, markdown, LaTeX compiled by pdflatex, JSON, the Rich
terminal) with the printed formulas parsing back and restating their numbers, a batched attention
head checked against finite differences, and the errors for calls that do not fit (exit 2, one
message, a caret)."""

from __future__ import annotations

import io
import re
import shlex
from pathlib import Path

import numpy as np
import pytest
from conftest import compile_latex, run_cli

import gradcli
from gradcli.parse import parse_expression
from gradcli.render import terminal
from gradcli.render.formula import to_text

X = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]])


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("ravel(x)", X.ravel()),
        ("squeeze(expand_dims(x, axis=1), axis=1)", X),
        ("squeeze(expand_dims(x, axis=1), 1)", X),
        ("transpose(x)", X.T),
        ("transpose(x, [1, 0])", X.T),
        ("transpose(x, axes=[1, 0])", X.T),
        ("flip(x)", X[::-1, ::-1]),
        ("flip(x, 1)", X[:, ::-1]),
        ("flip(x, axis=[0, 1])", X[::-1, ::-1]),
        ("repeat(x, 2)", np.repeat(X, 2)),
        ("repeat(x, 2, axis=0)", np.repeat(X, 2, axis=0)),
        ("repeat(x, repeats=[1, 0, 2], axis=-1)", np.repeat(X, [1, 0, 2], axis=1)),
        ("tile(x, [2, 1])", np.tile(X, (2, 1))),
        ("tile(x, 2)", np.tile(X, 2)),
        ("concat([x, x * 2], axis=0)", np.concatenate([X, 2 * X])),
        ("concatenate([x, x], 1)", np.concatenate([X, X], axis=1)),
        ("concat([x[0], x[1], [7]])", np.concatenate([X[0], X[1], [7.0]])),
        ("stack([x, x])", np.stack([X, X])),
        ("stack([x, x], axis=2)", np.stack([X, X], axis=2)),
        ("stack([x[0, 0], x[1, 1]])", np.array([1.0, 4.0])),
        ("diag(x)", np.diag(X)),
        ("diag(x, k=1)", np.diag(X, 1)),
        ("diag(x[0], -1)", np.diag(X[0], -1)),
        ("trace(x)", np.trace(X)),
        ("trace(x, offset=1)", np.trace(X, 1)),
        ("triu(x)", np.triu(X)),
        ("tril(x, -1)", np.tril(X, -1)),
        ('einsum("ij,kj->ik", x, x)', X @ X.T),
        ('einsum("ij", x)', X),
        ('einsum("ji", x)', X.T),
        ('einsum(x, x, subscripts="ij,ij->")', np.sum(X * X)),
        ('einsum(" ij , kj -> ik ", x, x)', X @ X.T),
        ("stack([x, x]) @ transpose(x)", np.stack([X, X]) @ X.T),
        ("x @ stack([transpose(x), transpose(x)])", X @ np.stack([X.T, X.T])),
    ],
)
def test_numpy_names_and_spellings(source, expected):
    result = gradcli.evaluate(source, x=X)
    np.testing.assert_array_equal(result.value, expected)


@pytest.mark.parametrize(
    ("source", "definition"),
    [
        ("transpose(x)", "transpose(x)"),
        ("transpose(x, [1, 0])", "transpose(x, axes=[1, 0])"),
        ("flip(x, 0)", "flip(x, axis=0)"),
        ("repeat(x, 2, axis=0)", "repeat(x, repeats=2, axis=0)"),
        ("tile(x, [2, 1])", "tile(x, reps=[2, 1])"),
        ("concat([x, x], axis=1)", "concat([x, x], axis=1)"),
        ("concat([x, x])", "concat([x, x])"),
        ("stack([x, x], axis=-1)", "stack([x, x], axis=-1)"),
        ("diag(x, k=1)", "diag(x, k=1)"),
        ("trace(x)", "trace(x)"),
        ("tril(x, k=-1)", "tril(x, k=-1)"),
        ('einsum("ij,kj->ik", x, x)', 'einsum("ij,kj->ik", x, x)'),
        ('einsum(x, subscripts="ij->j")', 'einsum("ij->j", x)'),
    ],
)
def test_a_derivation_prints_the_call_as_it_parses(source, definition):
    result = gradcli.evaluate(source, x=X)
    node = result.output_node
    printed = to_text(result.definition(node))
    assert printed == definition
    assert to_text(parse_expression(printed)) == printed


def test_json_names_the_ops_and_their_options():
    source = 'sum(stack([concat([x, x], axis=1), tile(x, [1, 2])])) + sum(einsum("ij,ij->ij", x, x))'
    run = run_cli("eval", source, "--at", "x=[[1,2],[3,4]]", "--json")
    assert run.code == 0, run.err
    nodes = {node["op"]: node for node in run.json()["nodes"]}
    assert nodes["concat"]["options"] == {"axis": 1}
    assert nodes["stack_axis"]["options"] == {"axis": 0}
    assert nodes["tile"]["options"] == {"reps": [1, 2]}
    assert nodes["einsum"]["options"] == {"subscripts": "ij,ij->ij"}
    assert nodes["einsum"]["formula"] == 'einsum("ij,ij->ij", x, x)'


# --- every format ------------------------------------------------------------------------------

SOURCE = (
    'h = einsum("ij,jk->ik", W, transpose(X)); u = concat([ravel(h), flip(x, axis=0)], axis=0); '
    "s = stack([ravel(h), repeat(x[1:], 2)], axis=1); M = diag(x); "
    "t = trace(triu(M) + tril(tile(M, [1, 1]), k=-1)); "
    "B = squeeze(expand_dims(W, axis=0), axis=0) @ stack([transpose(X, [1, 0]), transpose(X)], axis=0); "
    'sum(s * s) + sum(u) + t + sum(B) + einsum("ii", M)'
)
AT = "W=[[1,2,3],[4,5,6]],X=[[0.5,-1,2],[1,0,-2]],x=[1,2,3]"
STEPS = [
    'einsum("ik,jk->ij", grad, v1)',
    "flip(grad, axis=0)",
    "grad[4:7]",
    "grad[:, 1]",
    "sum(reshape(grad, shape=[2, 2]), axis=1)",
    "diag(grad)",
    "diag(diag(pow(",
    "tril(grad, k=-1)",
    "triu(grad)",
    "reshape(grad, shape=[2, 3])",
    "transpose(grad, axes=[1, 0])",
    "sum(grad @ transpose(",
    # into one number (the trace), the local itself is shown: the product with an upstream 1
    'scatter(einsum(",ii->i", 1, pow(M, 0)), M, key="[0, 1, 2], [0, 1, 2]")',
]


@pytest.mark.parametrize("fmt", ["text", "markdown", "latex", "json"])
def test_every_format(fmt):
    run = run_cli("eval", SOURCE, "--at", AT, "--format", fmt)
    assert run.code == 0, run.err
    if fmt == "text":
        for step in STEPS:
            assert step in run.out, step
    if fmt == "latex":
        assert run.out.isascii()
        assert r"\operatorname{einsum}" in run.out and r"\texttt{ij,jk-" in run.out
    if fmt == "markdown":
        assert "einsum" in run.out and "concat" in run.out and "trace" in run.out
    if fmt == "json":
        ops = {node["op"] for node in run.json()["nodes"]}
        assert {"einsum", "concat", "stack_axis", "ravel", "flip", "repeat", "tile"} <= ops
        assert {"diag", "trace", "triu", "tril", "squeeze", "transpose", "matmul"} <= ops


def test_the_rich_terminal():
    values = {"W": [[1.0, 2, 3], [4, 5, 6]], "X": [[0.5, -1, 2], [1, 0, -2]], "x": [1.0, 2, 3]}
    derivation = gradcli.evaluate(SOURCE, values)
    console = terminal.Console(file=io.StringIO(), width=200, color_system=None)
    terminal.print_derivation(derivation, paths=False, console=console)
    text = console.file.getvalue()
    assert 'einsum("ij,jk->ik", W, v1)' in text and "grad[:, 1]" in text and "diag(grad)" in text


def test_the_latex_compiles(tmp_path):
    tex = tmp_path / "shapes.tex"
    run = run_cli("eval", SOURCE, "--at", AT, "--format", "latex", "--standalone", "-o", str(tex))
    assert run.code == 0, run.err
    compile_latex(tex)


def test_every_printed_formula_parses_back_and_restates_its_step():
    """Each step's printed rule, evaluated by gradcli at the nodes' values (and the upstream for a
    vector-Jacobian product), gives the step's own number."""
    data = run_cli("eval", SOURCE, "--at", AT, "--json").json()
    values = {node["name"]: node["value"] for node in data["nodes"] if node["op"] != "const"}
    formulas = [node["formula"] for node in data["nodes"] if "formula" in node]
    for formula in formulas + [step["local_formula"] for step in data["steps"]]:
        assert to_text(parse_expression(formula)) == formula
    for step in data["steps"]:
        formula = step["local_formula"]
        names = gradcli.compile(formula).variables
        bound = {name: values[name] for name in names if name in values}
        if step["local"] is None:
            bound.update({name: step["upstream"] for name in names if name not in values})
            expected = step["contribution"]
        else:
            expected = step["local"]
        got = gradcli.evaluate(formula, bound).value if names else gradcli.evaluate(formula).value
        np.testing.assert_allclose(np.broadcast_to(got, np.shape(expected)), expected, err_msg=formula)


# --- a course example: attention over a batch --------------------------------------------------


def test_batched_attention_gradients_match_finite_differences():
    """One attention head over a batch of 2 sequences: batched `@` and transpose with axes."""
    rng = np.random.default_rng(5)
    values = {name: rng.normal(size=(2, 3, 2)) for name in ("Q", "K", "V")}
    source = "sum(softmax(Q @ transpose(K, [0, 2, 1]) / sqrt(2), axis=-1) @ V * [[1, -1], [2, 0.5], [0, 1]])"
    result = gradcli.evaluate(source, values)
    same = gradcli.evaluate(
        'sum(einsum("bqk,bkd->bqd", softmax(einsum("bqd,bkd->bqk", Q, K) / sqrt(2), axis=-1), V) * '
        "[[1, -1], [2, 0.5], [0, 1]])",
        values,
    )
    np.testing.assert_allclose(same.value, result.value, rtol=1e-14)
    h = 1e-6
    for name, x in values.items():
        numeric = np.zeros_like(x)
        for position in np.ndindex(*x.shape):
            up, down = x.copy(), x.copy()
            up[position] += h
            down[position] -= h
            high = gradcli.evaluate(source, {**values, name: up}).value
            low = gradcli.evaluate(source, {**values, name: down}).value
            numeric[position] = (float(high) - float(low)) / (2 * h)
        np.testing.assert_allclose(result.gradient[name], numeric, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(same.gradient[name], result.gradient[name], rtol=1e-12, atol=1e-14)


# --- errors ---------------------------------------------------------------------------------------


def _bad(source: str, at: str, message: str, caret: str | None = None) -> str:
    run = run_cli("eval", source, "--at", at)
    assert run.code == 2, run.out
    assert "Traceback" not in run.err
    assert message in run.err, run.err
    if caret is not None:
        lines = run.err.splitlines()
        row = next(k for k, line in enumerate(lines) if line.startswith("   | ") and source in line)
        column = lines[row].index(source) + source.index(caret)
        assert lines[row + 1][column : column + len(caret)] == "^" * len(caret), run.err
    return run.err


A = "a=[[1,2,3],[4,5,6]]"
AB = A + ",b=[[1,2],[3,4],[5,6]]"


@pytest.mark.parametrize(
    ("source", "at", "message", "caret"),
    [
        ('einsum("ij,jk->il", a, b)', AB, "the output's 'l' names no axis of the arrays", "einsum"),
        ('einsum("ij,kk->ik", a, b)', AB, "'k' names axes of lengths 3 and 2: one letter, one length", None),
        ('einsum("ij,jk", a)', A, "the subscripts name 2 arrays, and 1 is given", None),
        ('einsum("i...j", a)', A, "the ellipsis ... is not supported: name every axis with a letter", None),
        ('einsum("ij,j2->i", a, b)', AB, "'2' is not a letter: axes are named with a-z and A-Z", None),
        ('einsum("ij->jj", a)', A, "'j' appears twice in the output", None),
        ('einsum("ij->i->j", a)', A, "the subscripts have one -> at most", None),
        ('einsum("iijj->ij", c)', "c=[[[[1]]]]", "array 1 repeats 2 letters", None),
        ('einsum("i,i,i,i->", x, x, x, x)', "x=[1,2]", "einsum takes 1 to 3 arrays here", None),
        ("einsum(a, b)", AB, "einsum needs its subscripts, a string before the arrays", "einsum"),
        ('einsum(a, "ij")', A, "a string literal is only an option's value", '"ij"'),
        ("concat([a, b], axis=1)", AB, "differ in an axis other than the one joined (1)", "concat"),
        ("concat(a, b)", AB, "concat() takes its inputs as one list in brackets", "concat"),
        ("concat([a[0, 0], a[1, 1]])", A, "concat joins arrays along an axis, not numbers", None),
        ("stack([a, b])", AB, "the arrays stack joins need one shape, not (2, 3), (3, 2)", "stack"),
        ("stack([a, a], axis=3)", A, "axis 3 is out of range for an array of 3 dimensions", None),
        ("squeeze(a, axis=0)", A, "squeeze removes axes of length 1, and axis 0 has length 2", "squeeze"),
        ("transpose(a, [0, 0])", A, "axes must be an order of the axes 0 to 1 (each once), not [0, 0]", None),
        (
            "transpose(a, [1, 0, 2])",
            A,
            "axes lists every axis once: 2 of them for an array of shape (2, 3)",
            None,
        ),
        ("flip(a, axis=2)", A, "axis 2 is out of range for an array of 2 dimensions", None),
        (
            "repeat(a, [1, 2], axis=1)",
            A,
            "repeats lists one count per element along the axis (3), not 2",
            None,
        ),
        ("repeat(a, -1)", A, "repeats is a whole number >= 0 or a list of them", None),
        ("repeat(a, 2, axis=[0, 1])", A, "repeat takes one axis", None),
        ("tile(a, 1.5)", A, "reps is a whole number >= 0 or a list of them", None),
        ("diag(c)", "c=[[[1]]]", "diag takes a vector (it makes the diagonal matrix) or a matrix", "diag"),
        ("trace(a[0])", A, "trace takes a matrix (2-D), not an array of shape (3,)", None),
        ("triu(a[0])", A, "triu takes a matrix (or a stack of them), not an array of shape (3,)", None),
        (
            "diag(a, k=0.5)",
            A,
            "k is a whole number (0: the main diagonal, 1 above it, -1 below), not 0.5",
            None,
        ),
        (
            "a @ c",
            A + ",c=[[[1,2]]]",
            "a @ b needs a's last dimension (3) to equal b's second-to-last (1)",
            "@",
        ),
        (
            "c @ d",
            "c=[[[1,2],[3,4]],[[1,2],[3,4]]],d=[[[1],[2]],[[1],[2]],[[1],[2]]]",
            "do not broadcast",
            "@",
        ),
        ('flip(a, axis="0")', A, "axis takes a number or a list of numbers, not a string", '"0"'),
    ],
)
def test_calls_that_do_not_fit_are_bad_input(source, at, message, caret):
    _bad(source, at, message, caret)


def test_bad_subscripts_are_shown_with_a_caret_under_the_letter():
    err = _bad('einsum("ij,jk->il", a, b)', AB, "names no axis")
    assert '    "ij,jk->il"\n             ^' in err  # under the l
    err = _bad('einsum("ij,kk->ik", a, b)', AB, "one letter, one length")
    assert '    "ij,kk->ik"\n        ^' in err  # under the first k


def test_the_readme_example_prints_what_the_readme_shows():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Shapes: `concat`") :]
    found = re.search(r"```sh\n(gradcli [^\n]*)\n```\n\n```\n(.*?)\n```", section, re.DOTALL)
    assert found is not None
    command, shown = found.groups()
    run = run_cli(*shlex.split(command)[1:])
    assert run.code == 0, run.err
    assert run.out.strip() == shown.strip()
