"""One derivation that uses every new form of the language (options, string options, comparisons,
where, ranges, steps, integer lists) in every format: text, markdown, LaTeX (compiled by pdflatex
when it is installed), JSON and the Rich terminal, with the printed formulas parsing back."""

from __future__ import annotations

import io

import pytest
from conftest import compile_latex, run_cli

import gradcli
from gradcli.parse import parse_expression
from gradcli.render import terminal
from gradcli.render.formula import to_text

SOURCE = "m = x[1:] * x[:-1]; s = where(m > 1, m, x[::2] * 0.5); sum(s) + x[[0, 0]] @ x[-2:] * (x[0] <= 2)"
AT = "x=[1,2,3]"


@pytest.mark.parametrize("fmt", ["text", "markdown", "latex", "json"])
def test_every_format(fmt):
    run = run_cli("eval", SOURCE, "--at", AT, "--format", fmt)
    assert run.code == 0, run.err
    assert "scatter" in run.out
    if fmt == "latex":
        assert run.out.isascii()
        assert r"\operatorname{where}" in run.out and r"\texttt{1:}" in run.out


def test_the_rich_terminal():
    derivation = gradcli.evaluate(SOURCE, x=[1.0, 2.0, 3.0])
    console = terminal.Console(file=io.StringIO(), width=160, color_system=None)
    terminal.print_derivation(derivation, paths=False, console=console)
    text = console.file.getvalue()
    assert "where(" in text and "x[::2]" in text and 'scatter(grad, x, key="[0, 0]")' in text


def test_the_latex_compiles(tmp_path):
    tex = tmp_path / "lang.tex"
    run = run_cli("eval", SOURCE, "--at", AT, "--format", "latex", "--standalone", "-o", str(tex))
    assert run.code == 0, run.err
    compile_latex(tex)


def test_every_printed_formula_parses_back_to_itself():
    data = run_cli("eval", SOURCE, "--at", AT, "--json").json()
    formulas = [node["formula"] for node in data["nodes"] if "formula" in node]
    formulas += [step["local_formula"] for step in data["steps"]]
    assert any("where" in f for f in formulas) and any("key=" in f for f in formulas)
    for formula in formulas:
        assert to_text(parse_expression(formula)) == formula


def test_the_json_steps_restate_their_numbers():
    """Each step's printed rule, evaluated by gradcli at the nodes' values (and the upstream for a
    vector-Jacobian product), gives the step's own number."""
    import numpy as np

    data = run_cli("eval", SOURCE, "--at", AT, "--json").json()
    values = {node["name"]: node["value"] for node in data["nodes"] if node["op"] != "const"}
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
