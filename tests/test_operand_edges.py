"""Every operand its own edge (issue 18): where one node is two arguments of another (`x*x`,
`x/x`, `x^x`), the two steps into it are told apart in every format, the sum line counts the
edges truthfully, the path sums mark which argument each path goes through, and JSON steps carry
the argument's position (`"input"`, 0-based: the contract's second Decisions)."""

from __future__ import annotations

import pytest
from conftest import run_cli

SOURCE = "x*x*exp(x)"


def _run(*options: str) -> str:
    run = run_cli("eval", SOURCE, "--at", "x=1.5", *options)
    assert run.code == 0, run.err
    return run.out


def test_json_steps_carry_the_position_of_their_argument():
    steps = run_cli("eval", SOURCE, "--at", "x=1.5", "--json").json()["steps"]
    into_x = [(step["of"], step["input"]) for step in steps if step["wrt"] == 0]
    assert sorted(into_x) == [(1, 0), (1, 1), (2, 0)]  # v1's 1st and 2nd factor, exp's argument
    assert all(isinstance(step["input"], int) for step in steps)


@pytest.mark.parametrize("fmt", ["text", "rich", "markdown", "latex"])
def test_the_two_steps_into_x_read_apart_in_every_format(fmt, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # rich: cells wide enough not to wrap the words apart
    out = _run("--format", fmt, "--paths")
    assert "1st factor" in out and "2nd factor" in out
    assert out.count("1st factor") == out.count("2nd factor") == 2  # the step row and the path sum


@pytest.mark.parametrize("fmt", ["text", "markdown", "latex"])
def test_the_sum_line_counts_every_edge(fmt):
    out = _run("--format", fmt)
    assert "feeds" in out and "twice" in out, out  # x feeds v2, and v1 twice


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("x/x + x", ("numerator", "denominator")),
        ("x^x", ("base", "exponent")),
        ("x + x", ("1st term", "2nd term")),
        ("max(x, x)", ("1st argument", "2nd argument")),
    ],
)
def test_each_operation_names_its_arguments(source, words):
    run = run_cli("eval", source, "--at", "x=1.5", "--format", "text")
    assert run.code == 0, run.err
    for word in words:
        assert f"({word})" in run.out


def test_an_input_used_once_is_not_labelled():
    run = run_cli("eval", "x*y", "--at", "x=1,y=2", "--format", "text")
    assert "factor" not in run.out


def test_softmax_shows_its_jacobian_and_cross_entropy_its_p_minus_y():
    """Textbook steps (issue 18): softmax's local derivative is the matrix diag(p) - p pᵀ (small
    vectors), and cross-entropy after the scores reads p - y, its local the vector p - y."""
    import numpy as np

    run = run_cli("eval", "sum(softmax(z) * [1, 2, 3])", "--at", "z=[1,2,0.5]", "--format", "text")
    assert "∂v1/∂z = diag(v1) - outer(v1, v1)" in run.out
    p = np.exp([1, 2, 0.5]) / np.exp([1, 2, 0.5]).sum()
    jacobian = np.diag(p) - np.outer(p, p)
    assert f"{jacobian[0, 0]:.4f}" in run.out and f"{jacobian[0, 1]:.4f}" in run.out
    run = run_cli("eval", "cross_entropy(z, 2)", "--at", "z=[1,2,0.5]", "--format", "text")
    assert "= p - y = softmax(z, axis=-1) - onehot(2, num_classes=3)" in run.out
    row = next(line for line in run.out.splitlines() if "p - y" in line)
    assert f"{p[2] - 1:.4f}" in row  # the local column holds p - y itself
