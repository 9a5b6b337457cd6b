"""The losses in every renderer (text, markdown, LaTeX, JSON), under `gradcli check`, and their
bad input: exit 2 with one message, a caret and how to fix it."""

from __future__ import annotations

import json
import re

import pytest
from conftest import compile_latex, require_program, run_cli

import gradcli
from gradcli.ops import FUNCTIONS, OPS

# --- every renderer ---------------------------------------------------------------------------------

RENDERED = [
    (
        "cross_entropy(X @ W + b, y)",
        "X=[[1,2],[0.5,-1],[0,0],[-2,1]],W=[[0.1,0.2,-0.3],[0.4,-0.5,0.6]],b=[0.1,0,-0.1],y=[2,0,1,1]",
        "onehot(y, num_classes=3)",
    ),
    ("nll(log_softmax(z, axis=-1), y)", "z=[[1,2,3],[0,1,-1]],y=[2,0]", "onehot(y, num_classes=3)"),
    ("bce(p, y)", "p=[0.25,0.5],y=[0,1]", "log1p"),
    ("bce_with_logits(w*x, y)", "w=2,x=[0.5,-1],y=[1,0]", "sigmoid"),
    ("mse(w*x, y)", "w=2,x=[0.5,-1],y=[1,0]", "yhat"),
    ("huber(w*x - y, 0.5)", "w=2,x=[0.5,-1],y=[1,0]", "where"),
    ("huber_loss(w*x, y)", "w=2,x=[0.5,-1],y=[1,0]", "where"),
]


@pytest.mark.parametrize(("source", "at", "piece"), RENDERED, ids=[r[0] for r in RENDERED])
def test_every_renderer_shows_the_loss_step(source, at, piece):
    text = run_cli("eval", source, "--at", at, "--format", "text")
    assert text.code == 0, text.err
    op = source.split("(")[0]
    assert f"{op}(" in text.out and "Backward pass" in text.out
    markdown = run_cli("eval", source, "--at", at, "--format", "markdown")
    assert markdown.code == 0 and "|" in markdown.out and "\\partial" in markdown.out
    latex = run_cli("eval", source, "--at", at, "--format", "latex")
    assert latex.code == 0 and "\\begin{align*}" in latex.out and "\\partial" in latex.out
    data = run_cli("eval", source, "--at", at, "--json")
    assert data.code == 0
    parsed = json.loads(data.out, parse_constant=lambda c: pytest.fail(f"non-strict JSON {c}"))
    loss_ids = {node["id"] for node in parsed["nodes"] if node["op"] == OPS[_row(op)].name}
    formulas = [step["local_formula"] for step in parsed["steps"] if step["of"] in loss_ids]
    if piece != "yhat":
        assert any(piece in formula for formula in formulas), formulas
    assert all(re.search(r"\bgrad\b", formula) or formula == "0" for formula in formulas)


def _row(function: str) -> str:
    return next(op.name for (name, _), op in FUNCTIONS.items() if name == function)


def test_latex_document_of_a_loss_compiles(tmp_path):
    require_program("pdflatex")
    run = run_cli(
        "eval",
        "cross_entropy(z, y)",
        "--at",
        "z=[[1,2,3],[0,1,-1]],y=[2,0]",
        "--format",
        "latex",
        "--standalone",
    )
    assert run.code == 0, run.err
    (tmp_path / "d.tex").write_text(run.out, encoding="utf-8")
    compile_latex(tmp_path / "d.tex")


# --- bad input: exit 2, one message, a caret, how to fix it ---------------------------------------

ERRORS = [
    (
        "cross_entropy(z, y)",
        "z=[[1,2,3],[0,1,2]],y=[0,3]",
        "whole numbers from 0 to 2 (3 classes), but target[1] is 3",
    ),
    ("cross_entropy(z, y)", "z=[[1,2,3],[0,1,2]],y=[0,1.5]", "target[1] is 1.5"),
    (
        "cross_entropy(z, y)",
        "z=[[1,2,3],[0,1,2]],y=[0,1,2]",
        "class indices of shape (2,) (one per sample) or probabilities of shape (2, 3)",
    ),
    ("nll(z, y)", "z=[[1,2,3],[0,1,2]],y=[-1,0]", "target[0] is -1"),
    (
        'cross_entropy(z, y, reduction="avg")',
        "z=[[1,2,3],[0,1,2]],y=[0,1]",
        'reduction is "mean", "sum" or "none"',
    ),
    (
        "cross_entropy(z, y, reduction=1)",
        "z=[[1,2,3],[0,1,2]],y=[0,1]",
        'reduction takes a string in double quotes, as reduction="mean"',
    ),
    ("cross_entropy(z, y, axis=[0, 1])", "z=[[1,2,3],[0,1,2]],y=[0,1]", "axis is the one class axis"),
    ("cross_entropy(z, y, axis=2)", "z=[[1,2,3],[0,1,2]],y=[0,1]", "axis 2 is out of range"),
    ("cross_entropy(z, y)", "z=1,y=0", "logits has no class axis"),
    (
        "bce(p, y)",
        "p=[0.5,1.2],y=[0,1]",
        "p holds probabilities, from 0 to 1, but p[1] is 1.2: for scores (logits), use bce_with_logits",
    ),
    ("bce(p, y)", "p=[0.5,nan],y=[0,1]", "p[1] is nan"),
    ("bce(p, y)", "p=[0.5,0.2],y=1", "the two inputs have one shape: (2,) and () differ"),
    ("bce_with_logits(z, y)", "z=[0.5,0.2],y=[1,0,1]", "the two inputs have one shape"),
    (
        "mse(a, b)",
        "a=[[1],[2]],b=[1,2]",
        "the two inputs have one shape, or one of them a number: (2, 1) and (2,) differ",
    ),
    ("huber(a, 0)", "a=1", "delta is a positive number"),
    ("huber(a, b)", "a=1,b=2", "delta must be a constant"),  # huber(r, delta): b is no target here
    ("huber_loss(a, b, delta=-1)", "a=1,b=2", "delta is a positive number"),
    ("onehot(t, num_classes=0)", "t=[1,2]", "num_classes is a whole number from 1"),
    ("onehot(t, num_classes=2, axis=2)", "t=[1,0]", "axis 2 is out of range"),
    ("onehot(t)", "t=[1e12]", "give num_classes="),
]


@pytest.mark.parametrize(("source", "at", "message"), ERRORS, ids=[f"{e[0]}@{e[1]}" for e in ERRORS])
def test_bad_input_exits_2_with_a_caret_and_a_hint(source, at, message):
    run = run_cli("eval", source, "--at", at)
    assert run.code == 2 and run.out == ""
    assert message in run.err, run.err
    assert "^" in run.err and "Traceback" not in run.err


# --- gradcli check --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "at"),
    [
        ("cross_entropy(z, [2, 0])", "z=[[1,2,3],[0,1,-1]]"),  # class indices written in the source
        ("cross_entropy(z, p, axis=0)", "z=[[1,2],[3,0],[1,-1]],p=[[0.2,0.5],[0.3,0.25],[0.5,0.25]]"),
        ("nll(log_softmax(z, axis=-1), [1, 2])", "z=[[1,2,3],[0,1,-1]]"),
        ("bce(sigmoid(z), y) + bce_with_logits(z, y)", "z=[0.3,-2],y=[1,0.25]"),
        ('mse(z, y) + huber(z - y, 0.5) + huber_loss(z, y, reduction="sum")', "z=[0.3,-2,1.5],y=[1,0.25,0]"),
    ],
)
def test_check_agrees_with_finite_differences(source, at):
    run = run_cli("check", source, "--at", at, "--json")
    assert run.code == 0, run.err
    assert run.json()["passed"] is True


def test_check_of_class_indices_given_as_a_variable_leaves_them_out_with_wrt():
    """Finite differences cannot step a class index (2.000001 is no class): the API's `wrt`
    checks the scores alone. (The CLI's check has no --wrt: write the indices in the source.)"""
    result = gradcli.check(
        "cross_entropy(z, y)", {"z": [[1.0, 2.0, 3.0], [0.0, 1.0, -1.0]], "y": [2.0, 0.0]}, wrt=["z"]
    )
    assert result.rows and all(row.verdict == "ok" for row in result.rows)
