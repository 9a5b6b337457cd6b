"""gelu(x, approximate="tanh"): PyTorch's tanh approximation, behind the keyword option."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import run_cli

from gradcli.api import evaluate

# torch.nn.functional.gelu(x, approximate="tanh") in float64, PyTorch 2.13 (value, x.grad).
TORCH = {0.7: (0.5305701347051167, 0.976357218656104)}


def _gelu_tanh(x: float) -> float:
    return 0.5 * x * (1.0 + math.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


@pytest.mark.parametrize("x", [-3.0, -0.4, 0.0, 0.7, 2.5])
def test_the_tanh_form_against_its_formula_and_central_differences(x):
    result = evaluate('gelu(x, approximate="tanh")', x=x)
    assert math.isclose(float(result.value), _gelu_tanh(x), rel_tol=1e-14, abs_tol=1e-300)
    h = 1e-6
    expected = (_gelu_tanh(x + h) - _gelu_tanh(x - h)) / (2 * h)
    assert math.isclose(float(result.gradient["x"]), expected, rel_tol=1e-8, abs_tol=1e-10)


def test_torch_numbers():
    for x, (value, grad) in TORCH.items():
        result = evaluate('gelu(x, approximate="tanh")', x=x)
        assert math.isclose(float(result.value), value, rel_tol=1e-15)
        assert math.isclose(float(result.gradient["x"]), grad, rel_tol=1e-14)


def test_the_default_is_the_exact_form_and_differs():
    exact, approximate = evaluate("gelu(x)", x=0.7), evaluate('gelu(x, approximate="none")', x=0.7)
    assert float(exact.value) == float(approximate.value)
    assert abs(float(exact.value) - TORCH[0.7][0]) > 1e-5


def test_the_option_is_printed_and_checked():
    result = evaluate('gelu(x, approximate="tanh")', x=np.array([0.5, 1.0]))
    assert any('approximate="tanh"' in node_definition for node_definition in _definitions(result))
    run = run_cli("eval", 'gelu(x, approximate="tan")', "--at", "x=1")
    assert run.code == 2
    assert 'approximate must be "none" or "tanh"' in run.err and "Traceback" not in run.err


def _definitions(result) -> list[str]:
    from gradcli.render import text

    return text.render(result).splitlines()
