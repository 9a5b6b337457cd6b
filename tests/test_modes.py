"""`eval --mode forward` (the second engine, wired into the CLI) and the API's value checks."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import run_cli

import gradcli

SEED_004 = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
AT = "w0=2,x0=-1,w1=-3,x1=-2,w2=-3"


@pytest.mark.parametrize(
    ("source", "at"),
    [
        (SEED_004, AT),
        ("tanh(W @ X + B)", "W=[[0.1,0.2,0.3],[0.4,0.5,0.6]],X=[1,2,3],B=[0.1,-0.2]"),
        ("sum(x * y) + max(x)", "x=[1,3,2],y=[2,1,0.5]"),
    ],
)
def test_forward_mode_gives_the_gradients_of_reverse_mode(source, at):
    reverse = run_cli("eval", source, "--at", at, "--json").json()
    forward = run_cli("eval", source, "--at", at, "--json", "--mode", "forward").json()
    assert forward["gradient"].keys() == reverse["gradient"].keys()
    for name, grad in reverse["gradient"].items():
        np.testing.assert_allclose(forward["gradient"][name], grad, rtol=1e-12, atol=1e-15)
    assert forward["steps"] == []


def test_forward_mode_says_why_there_is_no_backward_table():
    out = run_cli("eval", SEED_004, "--at", AT, "--mode", "forward", "--format", "text").out
    assert "forward mode computed the gradients" in out and "-0.5898" in out


@pytest.mark.parametrize("value", [None, "1.5", True, b"1"])
def test_the_api_rejects_values_that_are_not_numbers(value):
    with pytest.raises(gradcli.GradcliError, match="not a number"):
        gradcli.evaluate("x*2", x=value)


def test_variables_may_be_called_like_the_api_arguments():
    assert float(gradcli.evaluate("at*2 + source", at=3, source=1).value) == 7.0


def test_a_derivation_reads_well_at_a_prompt():
    text = repr(gradcli.evaluate("(a+b)*(b+1)", a=2, b=1))
    assert text == "<Derivation '(a+b)*(b+1)': value=6.0, gradient: a=2.0, b=5.0>"
