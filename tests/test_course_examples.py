"""The worked examples of a deep-learning course (issue 16): softmax regression on a batch, a
layer norm, a two-layer MLP with `where`, one-head attention. Each is run as `gradcli demo`
runs it (the command in gradcli/examples.py), and its value and every gradient are checked
against central finite differences of the same model written here with numpy alone, so that
neither the truth nor its derivative comes from gradcli. The README shows the same commands.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli

from gradcli.examples import EXAMPLES

ROOT = Path(__file__).resolve().parent.parent
COURSE = {example.name: example for example in EXAMPLES if example.seed == 5}


def _logsumexp_rows(z):
    top = z.max(axis=-1, keepdims=True)
    return (np.log(np.exp(z - top).sum(axis=-1, keepdims=True)) + top)[..., 0]


def softmax_regression(X, W, b, y):
    logits = X @ W + b
    return np.mean(_logsumexp_rows(logits) - logits[np.arange(len(y)), y.astype(int)])


def layer_norm(x, g, b, t):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    h = (x - mu) / np.sqrt(var + 1e-5) * g + b
    return np.mean((h - t) ** 2)


def mlp(X, W1, b1, W2, b2, y):
    z = X @ W1 + b1
    h = np.where(z > 0, z, 0.01 * z)
    return np.mean((h @ W2 + b2 - y) ** 2)


def attention(Q, K, V, d):
    scores = Q @ K.T / np.sqrt(d)
    a = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return np.sum(a / a.sum(axis=-1, keepdims=True) @ V)


MODELS = {
    "softmax-regression": softmax_regression,
    "layer-norm": layer_norm,
    "mlp-where": mlp,
    "attention": attention,
}


def _argument(argv: tuple[str, ...], option: str) -> str:
    return argv[argv.index(option) + 1]


def _run(name: str) -> dict:
    argv = COURSE[name].argv
    run = run_cli(*argv, "--json")
    assert run.code == 0, run.err
    return run.json()


def _central(model, at: dict, name: str, h: float = 1e-6) -> np.ndarray:
    x = at[name]
    result = np.zeros_like(x)
    for position in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[position] += h
        down[position] -= h
        result[position] = (model(**{**at, name: up}) - model(**{**at, name: down})) / (2 * h)
    return result


def test_the_four_examples_are_in_the_demo():
    assert set(COURSE) == set(MODELS)
    assert "cross_entropy(X @ W + b, y)" in COURSE["softmax-regression"].argv
    assert "where(z > 0, z, 0.01*z)" in COURSE["mlp-where"].argv[1]
    assert "softmax(Q @ transpose(K) / sqrt(d), axis=-1)" in COURSE["attention"].argv[1]
    assert "mean(x, axis=-1, keepdims=1)" in COURSE["layer-norm"].argv[1]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_value_and_gradients_match_finite_differences_of_numpy(name):
    data = _run(name)
    at = {key: np.asarray(value, dtype=np.float64) for key, value in data["at"].items()}
    model = MODELS[name]
    assert data["value"] == pytest.approx(model(**at), rel=1e-12)
    wrt = _argument(COURSE[name].argv, "--wrt").split(",")
    assert sorted(data["gradient"]) == sorted(wrt)
    for variable in wrt:
        got = np.asarray(data["gradient"][variable])
        numeric = _central(model, at, variable)
        assert got.shape == at[variable].shape
        np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-9, err_msg=f"{name}: d/d{variable}")


@pytest.mark.parametrize("name", sorted(MODELS))
def test_forward_mode_gives_the_same_gradients(name):
    argv = COURSE[name].argv
    reverse = run_cli(*argv, "--json", "--brief").json()["gradient"]
    forward = run_cli(*argv, "--json", "--brief", "--mode", "forward")
    assert forward.code == 0, forward.err
    for variable, gradient in forward.json()["gradient"].items():
        np.testing.assert_allclose(gradient, reverse[variable], rtol=1e-12, atol=1e-15)


def test_softmax_regression_prints_the_textbook_step():
    steps = _run("softmax-regression")["steps"]
    assert steps[0]["local_formula"] == "grad * (softmax(v2, axis=-1) - onehot(y, num_classes=3))/4"


@pytest.mark.parametrize("name", sorted(MODELS))
def test_demo_runs_each_and_the_readme_shows_its_command(name):
    run = run_cli("demo", name, "--format", "text")
    assert run.code == 0, run.err
    assert "Backward pass" in run.out and "Result" in run.out
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Worked examples of a deep-learning course", 1)[1].split("\n## ", 1)[0]
    assert f"gradcli demo {name}" in section
    source = COURSE[name].argv[1]
    assert re.search(re.escape(source), section), f"the README does not show {source!r}"
