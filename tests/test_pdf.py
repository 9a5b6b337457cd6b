"""`-o file.pdf` and `--format pdf` (issue 18): pdflatex in a temporary folder, the PDF written
through the one output writer, exit 2 with an install hint without pdflatex and with the first
LaTeX error when it fails; and every number of each exercise's derivation is in its PDF's text."""

from __future__ import annotations

import re
import stat
import subprocess

import numpy as np
import pytest
from conftest import require_program, run_cli
from exercises import EXERCISES

from gradcli.api import evaluate
from gradcli.cli import formats
from gradcli.errors import GradcliError
from gradcli.numbers import format_value
from gradcli.render.pdf import first_error

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")


def derivation_numbers(derivation, digits: int = 4) -> set[str]:
    """Every number the derivation shows, as gradcli prints it (numbers.format_value)."""
    values = [derivation.value, *derivation.gradient.values()]
    for node in derivation.nodes:
        values += [node.value, node.grad]
    for step in derivation.steps:
        values += [step.local, step.upstream, step.contribution]
    found = set()
    for value in values:
        if value is not None:
            found.update(_NUMBER.findall(format_value(value, digits)))
    return found


def pdf_numbers(pdf) -> set[str]:
    """The numbers in a PDF's text; `−` is the minus sign, `1.2 × 10−5` is 1.2e-5."""
    pdftotext = require_program("pdftotext")
    text = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    text = text.replace("\u2212", "-")
    text = re.sub(r"(\d(?:\.\d+)?) × 10(-?\d+)", r"\1e\2", text)
    return set(_NUMBER.findall(text))


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.name)
def test_every_number_of_the_derivation_is_in_the_pdf(tmp_path, exercise):
    require_program("pdflatex")
    pdf = tmp_path / f"{exercise.name}.pdf"
    result = run_cli("eval", exercise.source, "--at", exercise.at, "-o", str(pdf))
    assert result.code == 0, result.err
    assert pdf.read_bytes().startswith(b"%PDF-")
    missing = derivation_numbers(evaluate(exercise.source, **exercise.values())) - pdf_numbers(pdf)
    assert not missing, f"numbers missing from the PDF: {sorted(missing)}"


def test_format_pdf_writes_the_same_kind_of_file(tmp_path):
    require_program("pdflatex")
    out = tmp_path / "answer.bin"
    result = run_cli("eval", "x*x*exp(x)", "--at", "x=1.5", "--format", "pdf", "-o", str(out))
    assert result.code == 0, result.err
    assert out.read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize(
    "args", [("hessian", "x*y^2", "--at", "x=1,y=2"), ("diff", "sin(x)*y")], ids=["hessian", "diff"]
)
def test_hessian_and_diff_write_pdf_too(tmp_path, args):
    require_program("pdflatex")
    pdf = tmp_path / "out.pdf"
    result = run_cli(*args, "-o", str(pdf))
    assert result.code == 0, result.err
    assert pdf.read_bytes().startswith(b"%PDF-")


def test_without_pdflatex_exit_2_with_the_install_hint(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    pdf = tmp_path / "out.pdf"
    result = run_cli("eval", "x*x", "--at", "x=2", "-o", str(pdf))
    assert result.code == 2
    assert "pdflatex is not installed" in result.err and "texlive-latex-base" in result.err
    assert "-o file.tex" in result.err and "Traceback" not in result.err
    assert not pdf.exists() and list(tmp_path.iterdir()) == []


def test_a_failing_pdflatex_shows_the_first_latex_error_and_keeps_the_old_file(tmp_path, monkeypatch):
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    fake = bin_folder / "pdflatex"
    fake.write_text(
        "#!/bin/sh\n"
        'for a; do case "$a" in *.tex) name="${a%.tex}";; esac; done\n'
        'printf "This is pdfTeX\\n! Undefined control sequence.\\nl.7 x_1\\n! Second error.\\n" '
        '> "$name.log"\n'
        "exit 1\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(bin_folder))
    pdf = tmp_path / "out.pdf"
    pdf.write_bytes(b"the old answer")
    result = run_cli("eval", "x*x", "--at", "x=2", "-o", str(pdf))
    assert result.code == 2
    assert "pdflatex failed: Undefined control sequence. (at l.7 x_1)" in result.err
    assert "Second error" not in result.err and "Traceback" not in result.err
    assert pdf.read_bytes() == b"the old answer"


def test_first_error_of_a_log():
    log = "This is pdfTeX\n(./d.tex\n! Missing $ inserted.\n<inserted text>\n$\nl.12 x_1\n\n! Emergency stop."
    assert first_error(log) == "Missing $ inserted. (at l.12 x_1)"
    assert "no error line" in first_error("Output written on nothing")


def test_a_pdf_is_not_written_to_a_terminal(monkeypatch):
    class Terminal:
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(formats.sys, "stdout", Terminal())
    fmt = formats.choices("F", formats.formats_of("derivation"))
    with pytest.raises(GradcliError, match="binary"):
        formats.choose(fmt("pdf"), False, None, formats.formats_of("derivation"), formats.Format.rich)


def test_pdf_is_in_the_vocabulary_and_found_by_its_extension():
    from pathlib import Path

    assert formats.Format.pdf in formats.formats_of("derivation")
    assert formats.Format.pdf in formats.formats_of("hessian")
    assert formats.Format.pdf in formats.formats_of("derivatives")
    assert formats.from_suffix(Path("hw.PDF"), formats.formats_of("derivation")) is formats.Format.pdf


def test_the_number_reader_reads_what_gradcli_prints():
    derivation = evaluate("sum(x*x)", x=np.array([1.5, -2.0]))
    assert {"1.5", "-2", "6.25", "3", "-4"} <= derivation_numbers(derivation)
