"""Big inputs: 100,000 nodes, 10,000 nested calls, 100,000 nested parentheses.

Each gives the right gradient (a closed form computed here) with Python's default recursion limit,
through the API and through a separate process (where a RecursionError or a crash would show as
a non-zero exit). Sources are piped to the process: one argument may hold at most 128 KiB on Linux.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import pytest
from conftest import run_cli, run_process

from gradcli.api import evaluate

TERMS = 33_334  # x*1 + x*2 + ... : a var, a const and a mul per term, an add between: 100,002 nodes
DEPTH = 10_000
PARENS = 100_000


def test_the_default_recursion_limit_is_in_force():
    """The in-process tests below prove something only if nobody raised the limit."""
    assert sys.getrecursionlimit() <= 1000


@pytest.fixture(scope="module")
def big_sum() -> str:
    return "+".join(f"x*{k}" for k in range(1, TERMS + 1))


def test_100000_nodes(big_sum):
    x = 0.5
    result = evaluate(big_sum, x=x)
    assert len(result.nodes) >= 100_000
    total = TERMS * (TERMS + 1) / 2  # d/dx sum(k*x) = sum(k)
    assert float(result.gradient["x"]) == total
    assert float(result.value) == pytest.approx(x * total, rel=1e-12)
    assert len(result.steps) == 2 * (TERMS - 1) + TERMS  # two edges per add, one into x per mul


def test_100000_nodes_as_a_process(big_sum):
    run = run_process("eval", "-", "--at", "x=0.5", "--brief", "--json", stdin=big_sum)
    assert run.code == 0, run.err[-2000:]
    assert "RecursionError" not in run.err
    data = json.loads(run.out)
    assert data["gradient"] == {"x": TERMS * (TERMS + 1) / 2}
    assert "nodes" not in data and "steps" not in data  # --brief drops them


def _nested_tanh_truth(x: float, depth: int) -> tuple[float, float]:
    """tanh applied `depth` times, and its derivative by the chain rule: prod of 1 - tanh^2."""
    value, derivative = np.float64(x), np.float64(1.0)
    for _ in range(depth):
        value = np.tanh(value)
        derivative *= 1.0 - value * value
    return float(value), float(derivative)


@pytest.mark.parametrize("x", [0.7, -2.5])
def test_10000_nested_tanh(x):
    source = "tanh(" * DEPTH + "x" + ")" * DEPTH
    result = evaluate(source, x=x)
    value, derivative = _nested_tanh_truth(x, DEPTH)
    assert float(result.value) == pytest.approx(value, rel=1e-12)
    assert float(result.gradient["x"]) == pytest.approx(derivative, rel=1e-9)
    assert len(result.nodes) == DEPTH + 1


@pytest.mark.parametrize("fmt", ["json", "text", "markdown", "latex"])
def test_10000_nested_tanh_whole_derivation(fmt):
    """Every format prints a 10,000-step derivation without recursing over the graph."""
    source = "tanh(" * DEPTH + "x" + ")" * DEPTH
    run = run_cli("eval", source, "--at", "x=0.7", "--format", fmt)
    assert run.code == 0, run.err[-2000:]
    if fmt == "json":
        data = run.json()
        assert len(data["steps"]) == DEPTH
        _, derivative = _nested_tanh_truth(0.7, DEPTH)
        assert data["gradient"]["x"] == pytest.approx(derivative, rel=1e-9)
        assert all(step["local_formula"].startswith("1 - ") for step in data["steps"])
    else:
        assert run.out.count("tanh") >= DEPTH  # every node's definition is printed


def test_100000_nested_parentheses():
    x = 1.5
    source = "(" * PARENS + "x" + ")" * PARENS + "^2"
    result = evaluate(source, x=x)
    assert float(result.value) == x**2
    assert float(result.gradient["x"]) == 2 * x
    assert len(result.nodes) == 3  # x, 2, x^2: parentheses make no nodes


def test_100000_nested_parentheses_as_a_process():
    source = "(" * PARENS + "x*y" + ")" * PARENS
    run = run_process("eval", "-", "--at", "x=1.5,y=-2", "--json", stdin=source)
    assert run.code == 0, run.err[-2000:]
    data = json.loads(run.out)
    assert data["value"] == -3.0
    assert data["gradient"] == {"x": -2.0, "y": 1.5}
    assert data["source"] == source


def test_100000_nested_unary_minus():
    x = 2.0
    result = evaluate("-" * PARENS + "x", x=x)
    sign = (-1) ** PARENS
    assert float(result.value) == sign * x
    assert float(result.gradient["x"]) == sign


def test_syntax_error_at_the_end_of_100000_nodes(big_sum):
    run = run_process("eval", "-", "--at", "x=1", stdin=big_sum + "+*x")
    assert run.code == 2, run.err[-2000:]
    assert "unexpected '*'" in run.err
    assert len(run.err) < 1000  # the source line is cut to a window around the caret


def _rebinding(count: int) -> str:
    return "c = x\n" + "c = 0.5*c + x\n" * count + "c"


def _distinct_names(count: int) -> str:
    """The same computation, node for node, with a new name per line instead of versions of one."""
    lines = "".join(f"c{k} = 0.5*c{k - 1} + x\n" for k in range(1, count + 1))
    return "c0 = x\n" + lines + f"c{count}"


def _timed(source: str):
    start = time.process_time()  # CPU time: other processes on the machine do not count
    result = evaluate(source, x=0.3)
    return result, time.process_time() - start


@pytest.fixture(scope="module")
def rebound():
    return _timed(_rebinding(DEPTH))


def test_a_name_rebound_10000_times(rebound):
    result, _ = rebound
    # c_n = c_(n-1)/2 + x with c_0 = x: dc_n/dx = dc_(n-1)/dx / 2 + 1 -> 2 - 2^-n
    assert float(result.gradient["x"]) == pytest.approx(2 - 0.5**DEPTH, rel=1e-12)
    names = [node.name for node in result.nodes if node.op == "add"]
    assert len(set(names)) == DEPTH  # every version has a name of its own


def test_versions_cost_no_more_than_distinct_names(rebound):
    result, seconds = rebound
    distinct, distinct_seconds = _timed(_distinct_names(DEPTH))
    assert len(distinct.nodes) == len(result.nodes)
    assert float(distinct.gradient["x"]) == float(result.gradient["x"])
    assert seconds < 3 * distinct_seconds, (
        f"10,000 versions of one name took {seconds:.1f} s, 10,000 names {distinct_seconds:.1f} s"
    )
