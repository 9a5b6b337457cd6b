"""The shape of `diff` and `hessian` after issue 15: one simplifier, frozen records, renderers
apart, the API as the way in."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import run_cli
from hypothesis import HealthCheck, given, settings
from test_diff import expressions

from gradcli import api
from gradcli.evaluation import evaluate
from gradcli.expr import Program, from_term, simplify, to_term
from gradcli.graph import program_names
from gradcli.parse import parse_expression, parse_program
from gradcli.render import diff as render_diff
from gradcli.render import hessian as render_hessian
from gradcli.render.formula import to_text
from gradcli.simplify import Terms


@pytest.mark.parametrize(
    ("formula", "step", "diff"),
    [
        ("x + x", "x + x", "2 * x"),  # like terms: diff only
        ("1e3 * x * 1", "1e3 * x", "1000 * x"),  # a step keeps the literal as written
        ("-(x - y)", "-(x - y)", "y - x"),  # signs moved: diff only
        ("0/x + 2*3", "0/x + 6", "6"),
        ("x^1 * 1", "x", "x"),
    ],
)
def test_one_simplifier_two_rule_sets(formula, step, diff):
    """A derivation's step formulas and `diff` are simplified by the same Terms: the step keeps
    the op table's shape, diff adds the algebra."""
    assert to_text(simplify(parse_expression(formula))) == step
    terms = Terms()  # full: what diff uses
    assert to_text(from_term(terms, to_term(terms, parse_expression(formula)))) == diff


def test_records_are_frozen_and_renderers_write_them():
    result = api.diff("x*y + sin(x)")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.output = "other"  # type: ignore[misc]
    assert run_cli("diff", "x*y + sin(x)", "--json").out == render_diff.to_json(result) == result.to_json()
    assert run_cli("diff", "x*y + sin(x)").out == render_diff.to_text(result)

    matrix = api.hessian("x^2*y", x=1.0, y=2.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        matrix.variables = ()  # type: ignore[misc]
    args = ("hessian", "x^2*y", "--at", "x=1,y=2")
    assert run_cli(*args, "--json").out == render_hessian.to_json(matrix)
    assert run_cli(*args, "-F", "text").out == render_hessian.to_text(matrix)


def test_api_hessian_takes_variables_called_source_and_at():
    result = api.hessian("source*at^2", source=3.0, at=2.0)
    assert result.variables == ("source", "at")
    assert result.matrix.tolist() == [[0.0, 4.0], [4.0, 6.0]]


def test_hessian_evaluates_what_diff_prints():
    """`hessian` evaluates each derivative program as expressions; printed and parsed back, the
    program gives the same gradient, to the bit."""

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(expressions(max_steps=6))
    def prop(case):
        source, point = case
        result = api.hessian(source, point)
        assert set(result.derivatives) == set(result.variables)
        for program in result.derivatives.values():
            reread = parse_program(render_diff.program_text(program))
            values = {name: v for name, v in point.items() if name in program_names(reread).free}
            printed = evaluate(reread, values, record_steps=False)
            built = evaluate(Program(program.statements(), source=""), values, record_steps=False)
            assert printed.value.tobytes() == built.value.tobytes()
            assert printed.gradient.keys() == built.gradient.keys()
            for variable, gradient in printed.gradient.items():
                assert gradient.tobytes() == built.gradient[variable].tobytes()

    prop()
