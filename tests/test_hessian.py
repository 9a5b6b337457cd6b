"""`gradcli hessian`: second derivatives by reverse-over-reverse, checked against finite
differences of the gradient (reverse mode) and against closed forms."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from conftest import KINK_DISTANCE, run_cli
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_diff import expressions, free_variables

from gradcli.api import evaluate
from gradcli.ops import OPS
from gradcli.second_order import hessian

HUGE = 1e4


def gradient(source: str, point: dict[str, float], name: str) -> float:
    return float(evaluate(source, point, record_steps=False).gradient[name])


def five_point(source: str, point: dict[str, float], row: str, column: str, h: float) -> float:
    """∂/∂column of the reverse-mode gradient ∂/∂row, by a 4th-order central difference."""

    def at(offset: float) -> float:
        return gradient(source, {**point, column: point[column] + offset}, row)

    return (at(-2 * h) - 8 * at(-h) + 8 * at(h) - at(2 * h)) / (12 * h)


# Ops smooth enough to have no kink whose second derivative still jumps: softsign at 0 (its
# |x|), huber where |r| = delta. Finite differences of the gradient across the jump are not the
# Hessian there (hypothesis found softsign at y = 4e-173).
SECOND_DERIVATIVE_BREAKS = {
    "softsign": lambda x, **_: abs(x),
    "huber": lambda r, delta=1.0, **_: abs(abs(r) - float(delta)),
}


def smooth(source: str, point: dict[str, float], margin: float) -> bool:
    """Finite, moderate, and at least `margin` away from every kink (a new op with a kink and
    no distance here makes the example count as not smooth)."""
    derivation = evaluate(source, point)
    for node in derivation.nodes:
        value = float(node.value)
        if not math.isfinite(value) or abs(value) > HUGE:
            return False
        inputs = [float(derivation.nodes[i].value) for i in node.inputs]
        breaks = SECOND_DERIVATIVE_BREAKS.get(node.op)
        if breaks is not None and breaks(*inputs, **dict(node.options)) < margin:
            return False
        op = OPS.get(node.op)
        if op is None or op.kink is None:
            continue
        distance = KINK_DISTANCE.get(node.op)
        if distance is None or distance(*inputs) < margin:
            return False
    return all(math.isfinite(float(g)) and abs(float(g)) < HUGE for g in derivation.gradient.values())


def joined(first, second, operator: str):
    """`(a) op (b)` with b's variables renamed (x→y, y→z, z→x): mostly two variables or more,
    so that the off-diagonal entries and the symmetry are tested."""
    rename = {"x": "y", "y": "z", "z": "x"}
    (a, a_point), (b, b_point) = first, second
    b = re.sub(r"\b[xyz]\b", lambda m: rename[m.group(0)], b)
    point = {**{rename[name]: value for name, value in b_point.items()}, **a_point}
    return f"({a}) {operator} ({b})", point


def test_the_issue_example_w_row_is_2x_squared():
    for x in (-1.5, 0.5, 2.0, 3.0):
        result = hessian("(w*x - y)^2", w=1.0, x=x, y=3.0)
        assert result.variables == ("w", "x", "y")
        assert result.matrix[0, 0] == pytest.approx(2 * x * x, rel=1e-14)
    # The whole matrix, in closed form: f = r^2 with r = w*x - y.
    w, x, y = 1.0, 2.0, 3.0
    r = w * x - y
    expected = [
        [2 * x * x, 2 * w * x + 2 * r, -2 * x],
        [2 * w * x + 2 * r, 2 * w * w, -2 * w],
        [-2 * x, -2 * w, 2],
    ]
    result = hessian("(w*x - y)^2", w=w, x=x, y=y)
    assert result.matrix.tolist() == expected
    assert float(result.value) == 1.0 and {k: float(v) for k, v in result.gradient.items()} == {
        "w": -4.0,
        "x": -2.0,
        "y": 2.0,
    }


def test_cli_json_is_strict_and_has_the_contract_keys():
    run = run_cli("hessian", "(w*x - y)^2", "--at", "w=1,x=2,y=3", "--json")
    assert run.code == 0, run.err

    def refuse(token):
        raise AssertionError(f"non-standard JSON literal {token}")

    data = json.loads(run.out, parse_constant=refuse)
    assert list(data) == ["schema", "source", "at", "variables", "value", "gradient", "hessian", "warnings"]
    assert data["schema"] == 1 and data["source"] == "(w*x - y)^2"
    assert data["at"] == {"w": 1.0, "x": 2.0, "y": 3.0}
    assert data["variables"] == ["w", "x", "y"]
    assert data["hessian"] == [[8.0, 2.0, -4.0], [2.0, 2.0, -2.0], [-4.0, -2.0, 2.0]]
    assert data["warnings"] == []


def test_hessians_match_finite_differences_and_are_symmetric():
    checked = []

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(expressions(max_steps=5, min_steps=2), expressions(max_steps=4), st.sampled_from(["+", "*"]))
    def prop(first, second, operator):
        source, point = joined(first, second, operator)
        h = 1e-3
        assume(smooth(source, point, margin=10 * h))
        result = hessian(source, point)
        names = result.variables
        matrix = result.matrix
        assume(np.all(np.isfinite(matrix)) and np.max(np.abs(matrix), initial=0) < HUGE)
        scale = max(1.0, float(np.max(np.abs(matrix), initial=0)))
        for i, row in enumerate(names):
            for j, column in enumerate(names):
                fine = five_point(source, point, row, column, h)
                coarse = five_point(source, point, row, column, 2 * h)
                # Where the two step sizes disagree, finite differences are not to be trusted.
                assume(abs(fine - coarse) <= 1e-6 * max(1.0, abs(fine)))
                assert abs(matrix[i, j] - fine) <= 1e-6 * max(1.0, abs(fine)), (
                    f"{source} at {point}: H[{row},{column}] = {matrix[i, j]}, finite differences {fine}"
                )
        # Symmetric (Schwarz), up to rounding: the rows come from different derivative programs.
        assert np.allclose(matrix, matrix.T, rtol=0, atol=1e-9 * scale), (source, point, matrix)
        checked.append(source)

    prop()
    assert len(checked) >= 25, f"only {len(checked)} examples were smooth enough to compare"
    assert sum(len(source) > 30 for source in checked) >= 10, "too few non-trivial expressions"
    assert sum(len(free_variables(source)) > 1 for source in checked) >= 15, "too few with two variables"
    assert sum(len(source) > 20 for source in checked) >= 8, "too few non-trivial expressions"
    assert sum(len(free_variables(source)) > 1 for source in checked) >= 8, "too few with two variables"


def test_text_markdown_and_latex():
    args = ("hessian", "x^2*y + sin(y)", "--at", "x=1,y=2")
    text = run_cli(*args, "--format", "text").out
    assert "Hessian" in text and "∂v" in text
    lines = text.splitlines()
    header = lines.index(next(line for line in lines if line.split() == ["x", "y"]))
    assert lines[header + 1].split() == ["x", "4", "2"]  # ∂²/∂x² = 2y, ∂²/∂x∂y = 2x
    assert lines[header + 2].split()[:2] == ["y", "2"]
    markdown = run_cli(*args, "--format", "markdown").out
    assert "| $x$ | 4 | 2 |" in markdown
    latex = run_cli(*args, "--format", "latex").out
    assert "\\begin{pmatrix}" in latex and "4 & 2" in latex
    rich = run_cli(*args)
    assert rich.code == 0 and "Hessian" in rich.out


def test_wrt_picks_the_rows_and_columns():
    data = run_cli("hessian", "(w*x - y)^2", "--at", "w=1,x=2,y=3", "--wrt", "x,w", "--json").json()
    assert data["variables"] == ["x", "w"]
    assert data["hessian"] == [[2.0, 2.0], [2.0, 8.0]]


def test_deep_nesting_and_constants():
    source = "tanh(" * 300 + "x" + ")" * 300
    result = hessian(source, x=0.2)
    h = 1e-4
    fd = (gradient(source, {"x": 0.2 + h}, "x") - gradient(source, {"x": 0.2 - h}, "x")) / (2 * h)
    assert float(result.matrix[0, 0]) == pytest.approx(fd, rel=1e-5)
    # pi stays the constant; `e` given a value is a variable (with a warning), in every row too.
    result = hessian("sin(pi*x)*e", x=0.25, e=2.0)
    assert result.matrix[0, 0] == pytest.approx(-(math.pi**2) * math.sin(math.pi / 4) * 2.0, rel=1e-12)
    assert result.matrix[0, 1] == pytest.approx(math.pi * math.cos(math.pi / 4), rel=1e-12)


def test_kinks_and_non_finite_numbers():
    # relu'' is 0 by the table's rules (step's derivative is 0), also at the kink itself.
    assert hessian("relu(x)*x", x=0.0).matrix.tolist() == [[0.0]]
    run = run_cli("hessian", "sqrt(x)", "--at", "x=0", "--json")
    assert run.code == 0
    data = run.json()
    assert data["hessian"] == [["-inf"]] or data["hessian"] == [["nan"]]
    assert any("not finite" in w for w in data["warnings"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x*x", "--at", "x=[1,2]"], "hessian differentiates an output of one number"),
        (["sum(x^2)", "--at", f"x=[{','.join(['1'] * 2001)}]"], "the Hessian over 2,001 elements"),
        (["x*y", "--at", "x=1"], "no value for y"),
        (["x*y", "--at", "x=1,y=2", "--wrt", "z"], "--wrt names 'z'"),
        (["x*"], "the input ends too early"),
    ],
)
def test_bad_input_exits_2(args, message):
    run = run_cli("hessian", *args)
    assert run.code == 2
    assert message in run.err
    assert "Traceback" not in run.err


def test_no_variables():
    data = run_cli("hessian", "2 + 3", "--json").json()
    assert data["variables"] == [] and data["hessian"] == [] and data["value"] == 5.0
