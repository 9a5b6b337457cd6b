"""`-o file.pdf`, `--format pdf`: the standalone LaTeX document compiled by `pdflatex` in a
temporary folder; the PDF's bytes go back to the one output writer (cli/outfile.py).

pdflatex is an external program: without it, or when it fails, the user gets one clear error
(exit 2), never a traceback: the install hint, or the first LaTeX error line of its log.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from ..errors import GradcliError

_TIMEOUT_SECONDS = 120
_INSTALL_HINT = (
    "install pdflatex (Debian/Ubuntu: apt-get install texlive-latex-base; else TeX Live or MiKTeX), "
    "or write the LaTeX instead: -o file.tex (or --format latex --standalone)"
)


def to_pdf(document: str) -> bytes:
    """Compile a whole LaTeX document and return the PDF; a GradcliError if that cannot be done."""
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        raise GradcliError("cannot write a PDF: pdflatex is not installed", hint=_INSTALL_HINT)
    import tempfile  # only for a PDF: it costs every command's start-up otherwise

    with tempfile.TemporaryDirectory(prefix="gradcli-pdf-") as folder:
        tex = Path(folder) / "derivation.tex"
        tex.write_text(document, encoding="utf-8")
        for _ in range(2):  # longtable settles its column widths on the second run
            log = _run(pdflatex, tex)
            if "Rerun LaTeX" not in log and "Table widths have changed" not in log:
                break
        return tex.with_suffix(".pdf").read_bytes()


def _run(pdflatex: str, tex: Path) -> str:
    command = [pdflatex, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", tex.name]
    environment = {**os.environ, "openout_any": "p"}  # write only inside the folder
    try:
        done = subprocess.run(
            command,
            cwd=tex.parent,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=_TIMEOUT_SECONDS,
            env=environment,
        )
    except subprocess.TimeoutExpired:
        raise GradcliError(f"pdflatex did not finish in {_TIMEOUT_SECONDS} s") from None
    except OSError as error:
        raise GradcliError(f"cannot run pdflatex: {error.strerror or error}", hint=_INSTALL_HINT) from None
    log_file = tex.with_suffix(".log")
    log = log_file.read_text(encoding="utf-8", errors="replace") if log_file.exists() else ""
    log = log or done.stdout.decode("utf-8", errors="replace")
    if done.returncode != 0 or not tex.with_suffix(".pdf").exists():
        raise GradcliError(
            f"pdflatex failed: {first_error(log)}",
            hint="write the LaTeX with -o file.tex to see the document, and report this as a bug",
        )
    return log


def first_error(log: str) -> str:
    """The first LaTeX error of a log (`! Undefined control sequence.` and its `l.12 ...` line)."""
    lines = log.splitlines()
    for k, line in enumerate(lines):
        if line.startswith("!"):
            where = next((t.strip() for t in lines[k + 1 : k + 8] if t.startswith("l.")), "")
            return f"{line[1:].strip()}" + (f" (at {where})" if where else "")
    return "no error line in its log (exit status not 0)"
