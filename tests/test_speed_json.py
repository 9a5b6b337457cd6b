"""The JSON writer's fast path (render/json_out.py: `at` and `gradient` written apart, their
scalars turned to text at once) gives exactly json.dumps(to_data(...), indent=2)'s bytes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gradcli import evaluate
from gradcli.render import json_out

CASES = [
    ("x*y", {"x": 2.0, "y": -3.0}),
    ("x*y", {"x": -0.0, "y": 1e-5}),
    ("x/y", {"x": 1.0, "y": 0.0}),  # inf and nan in the gradient
    ("log(x) + y", {"x": -1.0, "y": np.inf}),
    ("sqrt(x)*y", {"x": 0.0, "y": np.nan}),
    ("2 + 3", {}),  # no variables: {} for both sections
    ("sum(v) * w", {"v": [1.0, 2.0, 3.0], "w": 0.1}),
    ("sum(W @ v)", {"W": [[1.0, 2.0], [3.0, 4.0]], "v": [0.5, -0.25]}),
    ("sum(sqrt(v))", {"v": [-1.0, 4.0, 0.0]}),
    ("sum(v) + a*b", {"v": np.linspace(-1, 1, 1500), "a": 1e300, "b": 1e-300}),  # a big array
    ("sum(W) * t", {"W": np.ones((40, 30)), "t": 3.0}),  # a big 2-D array among scalars
    ("v * 2", {"v": [1.0, 2.0]}),  # a Jacobian: an array value and 2-D gradients
    ("v * 2", {"v": np.arange(1200.0)}),  # a big value (a stand-in of its own)
    ("x + y", {"x": 1, "y": 2}),  # ints given
]


@pytest.mark.parametrize("brief", [True, False])
@pytest.mark.parametrize(("source", "at"), CASES, ids=[case[0] for case in CASES])
def test_render_is_the_indenting_encoders_text(source, at, brief):
    derivation = evaluate(source, at, record_steps=not brief)
    expected = json.dumps(json_out.to_data(derivation, brief=brief), allow_nan=False, indent=2) + "\n"
    assert json_out.render(derivation, brief=brief) == expected


def test_many_scalars_mixed_with_non_finite_ones():
    names = [f"x{i}" for i in range(3000)]
    source = " + ".join(f"log({name})" for name in names)
    cycle = (-1.0, 0.0, 1.0, 2.0, np.inf, -np.inf, np.nan)
    at = {name: cycle[i % len(cycle)] for i, name in enumerate(names)}
    derivation = evaluate(source, at, record_steps=False)
    expected = json.dumps(json_out.to_data(derivation, brief=True), allow_nan=False, indent=2) + "\n"
    text = json_out.render(derivation, brief=True)
    assert text == expected
    assert '"nan"' in text and '"-inf"' in text and '"inf"' in text
