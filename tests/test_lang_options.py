"""Keyword options (`sum(x, axis=1)`, `gelu(x, approximate="tanh")`): the grammar, the checks of
a call's options, and the plumbing that hands them to every rule of a row, shown with a small row
of this file's own (`affine`) put into the op table for the test."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import run_cli

import gradcli
from gradcli.ops import FUNCTIONS, OPS, Op, Partial
from gradcli.parse import parse_expression
from gradcli.render.diff import program_text
from gradcli.render.formula import to_latex, to_text
from gradcli.second_order import hessian
from gradcli.symbolic import differentiate

SEEN: list[dict] = []  # the options each rule was called with


def _forward(x, factor=1, shift=0, mode="linear"):
    SEEN.append({"factor": factor, "shift": shift, "mode": mode})
    return factor * x + shift if mode == "linear" else factor * x * x + shift


def _local(x, out, factor=1, shift=0, mode="linear"):
    return np.full_like(x, float(factor)) if mode == "linear" else 2.0 * factor * x


def _formula(x, factor=1, shift=0, mode="linear") -> str:
    return f"{factor}" if mode == "linear" else f"2*{factor}*x"


def _check(x, factor=1, shift=0, mode="linear"):
    return None if mode in ("linear", "square") else f'mode is "linear" or "square", not "{mode}"'


AFFINE = Op(
    "affine",
    ("x",),
    _forward,
    (Partial(_formula, _local),),
    "affine",
    check=_check,
    kink=lambda x, factor=1, shift=0, mode="linear": np.asarray(x == shift),
    convention="a made-up kink where x equals the shift",
    options=(("factor", 1), ("shift", 0), ("mode", "linear")),
)


@pytest.fixture(autouse=True)
def affine(monkeypatch):
    monkeypatch.setitem(OPS, "affine", AFFINE)
    monkeypatch.setitem(FUNCTIONS, ("affine", 1), AFFINE)
    SEEN.clear()
    return AFFINE


def test_options_reach_the_forward_rule_and_the_partial():
    result = gradcli.evaluate("affine(x, factor=3, shift=1)", x=2.0)
    assert float(result.value) == 7.0 and float(result.gradient["x"]) == 3.0
    assert SEEN[-1] == {"factor": 3, "shift": 1, "mode": "linear"}
    node = next(node for node in result.nodes if node.op == "affine")
    assert node.options == (("factor", 3), ("shift", 1), ("mode", "linear"))
    square = gradcli.evaluate('affine(x, mode="square", factor=3)', x=2.0)
    assert float(square.value) == 12.0 and float(square.gradient["x"]) == 12.0


def test_options_may_follow_the_inputs_by_position_as_in_numpy():
    result = gradcli.evaluate("affine(x, 3, 1)", x=2.0)
    assert float(result.value) == 7.0
    assert next(n for n in result.nodes if n.op == "affine").options[:2] == (("factor", 3), ("shift", 1))


def test_a_node_without_options_has_none():
    result = gradcli.evaluate("exp(x)", x=0.0)
    assert all(node.options == () for node in result.nodes)


def test_json_lists_the_options_and_the_formula_shows_those_not_default():
    run = run_cli("eval", "affine(x, factor=3) + affine(x)", "--at", "x=2", "--json")
    assert run.code == 0, run.err
    nodes = [node for node in run.json()["nodes"] if node["op"] == "affine"]
    assert nodes[0]["options"] == {"factor": 3, "shift": 0, "mode": "linear"}
    assert nodes[0]["formula"] == "affine(x, factor=3)"
    assert nodes[1]["formula"] == "affine(x)"
    assert all("options" not in node for node in run.json()["nodes"] if node["op"] != "affine")
    steps = [step for step in run.json()["steps"] if step["of"] == nodes[0]["id"]]
    assert steps[0]["local_formula"] == "3" and steps[0]["local"] == 3.0


def test_a_string_option_is_printed_in_double_quotes_and_parses_back():
    result = gradcli.evaluate('affine(x, mode="square")', x=1.5)
    node = next(node for node in result.nodes if node.op == "affine")
    text = to_text(result.definition(node))
    assert text == 'affine(x, mode="square")'
    assert to_text(parse_expression(text)) == text
    assert (
        to_latex(result.definition(node))
        == r"\operatorname{affine}\left(x, \mathrm{mode}=\texttt{square}\right)"
    )


@pytest.mark.parametrize("fmt", ["text", "markdown", "latex", "json", "rich"])
def test_every_format_prints_a_derivation_with_options(fmt):
    run = run_cli("eval", "affine(x, factor=2, shift=-1) * x", "--at", "x=3", "--format", fmt)
    assert run.code == 0, run.err
    assert "factor" in run.out


def test_the_kink_rule_gets_the_options():
    result = gradcli.evaluate("affine(x, shift=2)", x=2.0)
    assert next(node for node in result.nodes if node.op == "affine").kink == AFFINE.convention
    assert next(n for n in gradcli.evaluate("affine(x)", x=2.0).nodes if n.op == "affine").kink is None


def test_forward_mode_and_jacobians_pass_the_options():
    x = np.array([1.0, -2.0, 0.5])
    reverse = gradcli.evaluate('sum(affine(x, mode="square", factor=3))', x=x)
    forward = gradcli.evaluate('sum(affine(x, mode="square", factor=3))', x=x, mode="forward")
    np.testing.assert_array_equal(reverse.gradient["x"], 6 * x)
    np.testing.assert_array_equal(forward.gradient["x"], 6 * x)
    jacobian = gradcli.evaluate('affine(x, mode="square", factor=3)', x=x).gradient["x"]
    np.testing.assert_array_equal(jacobian, np.diag(6 * x))


def test_diff_and_hessian_keep_the_options():
    derivative = differentiate('affine(x, mode="square", factor=3) * y')
    assert program_text(derivative.programs["y"]).strip() == 'affine(x, factor=3, mode="square")'
    assert program_text(derivative.programs["x"]).strip() == "6 * x * y"
    result = hessian('affine(x, mode="square", factor=3) * y', x=2.0, y=5.0)
    # f = 3 x^2 y: f_xx = 6y, f_xy = 6x, f_yy = 0
    np.testing.assert_allclose(result.matrix, [[30.0, 12.0], [12.0, 0.0]])


def test_compile_checks_options_before_any_value_is_given():
    with pytest.raises(gradcli.GradcliError, match="has no option 'axis'"):
        gradcli.compile("affine(x, axis=1)")


# --- bad options: exit 2, a caret on the spot, a hint ------------------------------------------


def _bad(source: str, *needles: str, caret: str | None = None) -> str:
    at = ",".join(f"{name}=1" for name in ("x", "y") if re.search(rf"\b{name}\b", source))
    run = run_cli("eval", source, *(["--at", at] if at else []))
    assert run.code == 2, run.err
    assert "Traceback" not in run.err and "internal error" not in run.err
    for needle in needles:
        assert needle in run.err, run.err
    if caret is not None:
        column = int(re.search(r"line 1, column (\d+)", run.err).group(1)) - 1
        assert source[column:].startswith(caret), (source, column, run.err)
    return run.err


def test_an_unknown_option_names_the_ones_the_op_has():
    _bad("affine(x, axis=1)", "affine() has no option 'axis'", "factor=1, shift=0, mode=", caret="axis")


def test_an_op_without_options_says_so():
    _bad("exp(x, base=2)", "exp() has no option 'base'", "exp() takes no options", caret="base")


def test_an_option_must_be_a_constant():
    _bad("affine(x, factor=y)", "factor must be a constant", caret="y")
    _bad("affine(x, factor=2*x)", "factor must be a constant", caret="2*x")


def test_an_option_given_twice():
    _bad("affine(x, factor=1, factor=2)", "the option factor is given twice", caret="factor=2")
    _bad("affine(x, 2, factor=2)", "the option factor is given twice", caret="factor=2")


def test_an_option_of_the_wrong_kind():
    _bad("affine(x, mode=1)", 'mode takes a string in double quotes, as mode="linear"', caret="1")
    _bad('affine(x, factor="big")', "factor takes a number or a list of numbers, not a string", caret='"big"')
    _bad('affine(x, mode="cube")', 'mode is "linear" or "square", not "cube"')


def test_an_input_after_an_option():
    _bad("affine(factor=2, x)", "an argument after an option: options come last", caret="x)")


def test_a_string_is_only_an_option_value():
    _bad('x + "a"', "string")
    _bad('affine("linear", x)', "a string literal is only an option's value", caret='"linear"')
    _bad('exp(x, "a")', "a string literal is only an option's value", caret='"a"')


def test_too_many_positional_options():
    _bad("affine(x, 1, 2, 3, 4)", "affine() takes 1 argument, not 5")


def test_a_boolean_option_is_zero_or_one(monkeypatch):
    flagged = Op(
        "flagged",
        ("x",),
        lambda x, keep=False: x * (2.0 if keep else 1.0),
        (Partial("1", lambda x, out, keep=False: np.full_like(x, 2.0 if keep else 1.0)),),
        "flagged",
        options=(("keep", False),),
    )
    monkeypatch.setitem(OPS, "flagged", flagged)
    monkeypatch.setitem(FUNCTIONS, ("flagged", 1), flagged)
    result = gradcli.evaluate("flagged(x, keep=1)", x=1.0)
    assert float(result.value) == 2.0
    assert next(n for n in result.nodes if n.op == "flagged").options == (("keep", True),)
    run = run_cli("eval", "flagged(x, keep=1)", "--at", "x=1", "--json")
    node = next(n for n in run.json()["nodes"] if n["op"] == "flagged")
    assert node["options"] == {"keep": True} and node["formula"] == "flagged(x, keep=1)"
    _bad("flagged(x, keep=2)", "keep is 0 or 1 (false or true), not 2", caret="2")


# --- the forms other rows need: inputs in one list (concat), a string before the inputs (einsum) ---


def _cat(*items, axis=0):
    return np.concatenate([np.atleast_1d(item) for item in items], axis=axis)


def _cat_partial(k: int) -> Partial:
    def vjp(*args, axis=0):
        items, grad = args[:-2], args[-1]
        start = sum(np.shape(item)[axis] for item in items[:k])
        lead = np.ndim(grad) - np.ndim(args[-2])
        index = [slice(None)] * np.ndim(grad)
        index[lead + axis % np.ndim(args[-2])] = slice(start, start + np.shape(items[k])[axis])
        return grad[tuple(index)]

    return Partial(f"grad[{k}]", vjp=vjp)  # (a made-up formula: this test reads no formula)


CAT = Op(
    "cat",
    (),
    _cat,
    (),
    "cat",
    variadic=True,
    sequence=True,
    item_partial=_cat_partial,
    options=(("axis", 0),),
    pointwise=False,
)
TAGGED = Op(
    "tagged",
    ("x",),
    lambda x, label="", scale=1: x * scale,
    (Partial("1", lambda x, out, label="", scale=1: np.full_like(x, float(scale))),),
    "tagged",
    options=(("label", ""), ("scale", 1)),
    leading=("label",),
)


@pytest.fixture
def more_rows(monkeypatch):
    from gradcli import ops

    monkeypatch.setitem(OPS, "cat", CAT)
    monkeypatch.setitem(ops.VARIADIC_FUNCTIONS, "cat", CAT)
    monkeypatch.setitem(OPS, "tagged", TAGGED)
    monkeypatch.setitem(FUNCTIONS, ("tagged", 1), TAGGED)


def test_a_sequence_op_takes_its_inputs_as_one_list(more_rows):
    result = gradcli.evaluate(
        "sum(cat([a, b * 2], axis=0) * [1, 2, 3, 4, 5])", a=[1.0, 2.0], b=[3.0, 4.0, 5.0]
    )
    assert float(result.value) == 1 + 4 + 18 + 32 + 50
    assert result.gradient["a"].tolist() == [1.0, 2.0] and result.gradient["b"].tolist() == [6.0, 8.0, 10.0]
    node = next(node for node in result.nodes if node.op == "cat")
    assert to_text(result.definition(node)) == "cat([a, v1])"  # axis=0 is the default
    forward = gradcli.evaluate(
        "sum(cat([a, b * 2]) * [1, 2, 3, 4, 5])", {"a": [1.0, 2.0], "b": [3.0, 4.0, 5.0]}, mode="forward"
    )
    assert forward.gradient["b"].tolist() == [6.0, 8.0, 10.0]
    _bad("cat(x, y)", "cat() takes its inputs as one list in brackets", caret="cat")


def test_a_leading_string_option_is_written_before_the_inputs(more_rows):
    result = gradcli.evaluate('tagged("hello", x, scale=3)', x=2.0)
    assert float(result.value) == 6.0 and float(result.gradient["x"]) == 3.0
    node = next(node for node in result.nodes if node.op == "tagged")
    assert node.options == (("label", "hello"), ("scale", 3))
    assert to_text(result.definition(node)) == 'tagged("hello", x, scale=3)'
    assert float(gradcli.evaluate('tagged(x, label="hi")', x=2.0).value) == 2.0
    _bad('tagged("a", "b", x)', "a string literal is only an option's value", caret='"b"')
