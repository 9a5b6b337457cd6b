"""One derivation that uses every function of issue 16, printed in every format: each function's
node and chain-rule step appears, and the printed local derivatives, parsed back and evaluated
by gradcli, give the numbers printed beside them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from closed_forms_functions import ARRAY, BINARY, UNARY
from conftest import compile_latex, run_cli

from gradcli.api import evaluate
from gradcli.graph import program_names
from gradcli.parse import parse_program

NEW = sorted({*UNARY, *BINARY, *ARRAY})

PROGRAM = """\
a = log2(x) + log10(x) + log1p(x) + expm1(x) + exp2(x) + logaddexp(x, y)
b = erf(x) + erfc(x) + asinh(x) + acosh(x + 1) + atanh(x/2) + atan2(y, x) + hypot(x, y)
c = floor(x*y) + ceil(x) + round(x) + trunc(x) + mod(x, y) + clip(x, 0.5*y, 2)
d = leaky_relu(x - 1, 0.1) + elu(x - 1) + selu(x) + silu(x) + gelu(x) + mish(x)
f = softsign(x) + logsigmoid(x) + hardtanh(x) + relu6(x) + hardsigmoid(x) + hardswish(x)
a + b + c + d + f"""
AT = "x=0.7,y=1.3"


def _run(*options: str):
    run = run_cli("eval", PROGRAM, "--at", AT, *options)
    assert run.code == 0, run.err
    return run.out


def test_the_program_calls_every_new_function():
    called = {node.op for node in evaluate(PROGRAM, x=0.7, y=1.3).nodes}
    assert set(NEW) <= called


@pytest.mark.parametrize("fmt", ["text", "markdown", "latex", "rich"])
def test_every_function_and_its_step_is_printed(fmt):
    out = _run("--format", fmt)
    for name in NEW:
        typeset = rf"\operatorname{{{name}}}".replace("_", r"\_")  # leaky\_relu: _ would subscript
        assert f"{name}(" in out or typeset in out, f"{fmt}: {name} is not printed"
    # A few of the printed partials, in each format's own notation (Rich wraps long cells).
    if fmt == "text":
        assert "erfc(-x/sqrt(2))/2 + x * exp(-x^2/2)/sqrt(2 * pi)" in out  # gelu'
        assert "sigmoid(x - y)" in out  # logaddexp' (x side)
        assert "-floor(x/y)" in out  # mod' to its second argument
    elif fmt == "rich":
        assert "∂" in out
    elif fmt == "markdown":
        assert "| step |" in out and r"$\partial v_{1}/\partial x" in out
    else:
        assert r"\operatorname{erfc}\left(-\frac{x}{\sqrt{2}}\right)" in out
        assert out.isascii()


def test_json_steps_print_formulas_that_evaluate_to_their_numbers():
    data = json.loads(_run("--json"), parse_constant=lambda token: pytest.fail(f"non-standard {token}"))
    values = {node["name"]: node["value"] for node in data["nodes"]}
    ops = {node["op"] for node in data["nodes"]}
    assert set(NEW) <= ops
    by_id = {node["id"]: node for node in data["nodes"]}
    checked = set()
    for step in data["steps"]:
        formula = step["local_formula"]
        free = program_names(parse_program(formula)).free
        bindings = {name: np.float64(values[name]) for name in free if name in values}
        local = float(evaluate(formula, **bindings).value)
        assert local == pytest.approx(step["local"], rel=1e-12, abs=1e-15), (formula, bindings)
        checked.add(by_id[step["of"]]["op"])
    assert set(NEW) <= checked


def test_latex_standalone_compiles_with_the_new_functions(tmp_path):
    tex = tmp_path / "functions.tex"
    run = run_cli("eval", PROGRAM, "--at", AT, "--format", "latex", "--standalone", "-o", str(tex))
    assert run.code == 0, run.err
    compile_latex(tex)


def test_latex_escapes_the_underscore_of_a_function_name():
    out = run_cli("eval", "leaky_relu(x, 0.1)", "--at", "x=1", "--format", "latex").out
    assert r"\operatorname{leaky\_relu}" in out
