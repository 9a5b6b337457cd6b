"""Issue 18's LaTeX: the eight exercises compile with no overfull box over 1 pt (nothing runs off
the page), arrays are `bmatrix`es (1-D ones columns), a derivation whose rows would not fit the
table is laid out one block a step, and names are typeset as a mathematician writes them."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import compile_latex
from exercises import BY_NAME, EXERCISES

from gradcli.api import evaluate
from gradcli.render import latex
from gradcli.render.latex_values import number
from gradcli.render.symbols import tex_name, tex_names


def overfull_points(log: str) -> list[float]:
    return [float(points) for points in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide", log)]


def compile_and_measure(tmp_path, document: str, name: str = "doc") -> list[float]:
    tex = tmp_path / f"{name}.tex"
    tex.write_text(document, encoding="utf-8")
    compile_latex(tex)
    return overfull_points(tex.with_suffix(".log").read_text(encoding="utf-8", errors="replace"))


@pytest.mark.parametrize("paths", [False, True], ids=["table", "paths"])
@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.name)
def test_every_exercise_fits_the_page(tmp_path, exercise, paths):
    derivation = evaluate(exercise.source, **exercise.values())
    document = latex.render(derivation, standalone=True, paths=paths)
    overfull = compile_and_measure(tmp_path, document)
    assert all(points <= 1.0 for points in overfull), f"overfull boxes: {overfull}"


@pytest.mark.parametrize("digits", [4, 17])
def test_wide_arrays_and_many_digits_still_fit(tmp_path, digits):
    """A 3×4 matrix and 17 significant digits: the table gives way to one block a step."""
    W = np.arange(12.0).reshape(3, 4) / 7 - 0.5
    x = np.linspace(-1, 1, 4) / 3
    derivation = evaluate("sum(tanh(W @ x + 1/3)^2) + sum(W*W)", W=W, x=x)
    overfull = compile_and_measure(tmp_path, latex.render(derivation, digits=digits, standalone=True))
    assert all(points <= 1.0 for points in overfull), f"overfull boxes: {overfull}"


def test_a_scalar_derivation_with_long_numbers_switches_to_blocks(tmp_path):
    derivation = evaluate("x*y*exp(x) + sin(y)/x", x=1 / 3, y=2 / 7)
    assert r"\begin{longtable}" in latex.render(derivation)
    document = latex.render(derivation, digits=17, standalone=True)
    assert r"\begin{longtable}" not in document and "Step 1:" in document
    assert all(points <= 1.0 for points in compile_and_measure(tmp_path, document))


def test_a_fan_in_of_many_arrays_wraps_its_sum(tmp_path):
    source = " + ".join(f"sum(x*{k + 1})" for k in range(12))
    derivation = evaluate(source, x=np.array([1.25, -2.5, 3.75]))
    document = latex.render(derivation, standalone=True, paths=True)
    assert "Sum at $x$" in document
    assert all(points <= 1.0 for points in compile_and_measure(tmp_path, document))


def test_arrays_are_bmatrices_and_vectors_columns():
    assert number(np.array([1.5, -2.0]), 4) == r"\begin{bmatrix} 1.5 \\ -2 \end{bmatrix}"
    assert number(np.array([[1.0, 2.0], [3.0, 4.0]]), 4) == r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}"
    assert number(np.array(1e-7), 4) == r"1 \times 10^{-7}"
    wide = number(np.arange(11.0).reshape(1, 11), 4)  # amsmath's bmatrix stops at 10 columns
    assert r"\begin{array}{ccccccccccc}" in wide
    derivation = latex.render(evaluate(BY_NAME["mlp"].source, **BY_NAME["mlp"].values()))
    assert r"\left[ \left[" not in derivation and r"\begin{bmatrix}" in derivation


def test_a_big_array_is_summarised_readably():
    text = number(np.arange(25.0).reshape(5, 5), 4)
    assert text == (
        r"\left\langle 5 \times 5\ \text{array: } 0, 1, 2, \ldots;\ \min 0,\ \max 24 \right\rangle"
    )


@pytest.mark.parametrize(
    ("name", "tex"),
    [
        ("alpha", r"\alpha"),
        ("sigma", r"\sigma"),
        ("Omega", r"\Omega"),
        ("Alpha", r"\mathrm{A}"),
        ("y_hat", r"\hat{y}"),
        ("theta_hat", r"\hat{\theta}"),
        ("x_bar", r"\bar{x}"),
        ("y_hat_1", r"\hat{y}_{1}"),
        ("x_1", "x_{1}"),
        ("w0", "w_{0}"),
        ("W1", "W_{1}"),
        ("theta_2", r"\theta_{2}"),
        ("theta2", r"\theta_{2}"),
        ("x_i", "x_{i}"),
        ("x_alpha", r"x_{\alpha}"),
        ("x_max", r"x_{\mathrm{max}}"),
        ("loss", r"\mathit{loss}"),
        ("v12", "v_{12}"),
        ("a__b", r"\mathit{a\_\_b}"),
    ],
)
def test_names_as_a_mathematician_writes_them(name, tex):
    assert tex_name(name) == tex


def test_names_that_would_look_alike_keep_their_own_spelling():
    names = tex_names(["x1", "x_1", "y_hat", "alpha"])
    assert names == {"x1": r"\mathit{x1}", "x_1": r"\mathit{x\_1}", "y_hat": r"\hat{y}", "alpha": r"\alpha"}
    document = latex.render(evaluate("x1*x_1 + alpha", x1=2, x_1=3, alpha=1))
    assert r"\mathit{x1} \cdot \mathit{x\_1}" in document


def test_greek_and_hats_in_the_whole_document(tmp_path):
    exercise = BY_NAME["greek"]
    document = latex.render(evaluate(exercise.source, **exercise.values()), standalone=True)
    for tex in (r"\hat{y}", r"\theta_{1}", r"\alpha", "x_{1}"):
        assert tex in document
    assert r"\mathit{alpha}" not in document and r"\mathit{y}" not in document
    assert all(points <= 1.0 for points in compile_and_measure(tmp_path, document))


def test_an_indexed_subscripted_name_is_not_a_double_subscript(tmp_path):
    document = latex.render(evaluate("x_1[0] * w0[1]", x_1=np.array([2.0, 3.0]), w0=np.array([1.0, 4.0])))
    assert "{x_{1}}_{0}" in document and "{w_{0}}_{1}" in document
    assert compile_and_measure(tmp_path, latex.standalone_document(document)) == []


def test_the_seed_scalar_tables_are_unchanged():
    """The scalar exercises keep the compact table (their golden files in test_formats.py)."""
    for name in ("circuit", "neuron", "x_x_exp"):
        exercise = BY_NAME[name]
        assert r"\begin{longtable}{rlllll}" in latex.render(evaluate(exercise.source, **exercise.values()))
