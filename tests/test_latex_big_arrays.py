"""An array too big to print whole is summarised (`<3×5 array: …>`); in LaTeX the summary must
be maths pdflatex accepts (its `×` and `…` stopped the compile)."""

from __future__ import annotations

import numpy as np
from conftest import compile_latex

from gradcli.api import evaluate
from gradcli.render import latex


def test_a_summarised_array_is_latex_maths():
    text = latex.number(np.arange(25.0).reshape(5, 5), 4)
    assert "×" not in text and "…" not in text and "<" not in text
    assert r"5 \times 5" in text and r"\ldots" in text


def test_a_derivation_with_big_arrays_compiles(tmp_path):
    W = np.arange(15.0).reshape(3, 5)
    document = latex.render(evaluate("sum(W*W)", W=W), standalone=True)
    (tmp_path / "big.tex").write_text(document, encoding="utf-8")
    compile_latex(tmp_path / "big.tex")
