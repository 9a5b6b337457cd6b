"""`gradcli grade`: mark a filled worksheet, cell by cell (exit 0 all right, 3 not, 2 unreadable)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import GradcliError
from .common import AtOpt, DebugOpt, JsonOpt, app, emit
from .formats import Format, RenderOptions, choose, format_option, formats_of, render, terminal_or_text

FORMATS = formats_of("grade")
GradeFormatOpt = format_option(
    "GradeFormat", FORMATS, "rich (default on a terminal), text (default on a pipe), markdown or json."
)


@app.command("grade")
def grade_command(
    sheet: Annotated[
        Path,
        typer.Argument(help="The filled worksheet (.md or .csv; - for standard input).", metavar="sheet"),
    ],
    against: Annotated[
        Optional[str],
        typer.Option(help="Grade against this program instead of the sheet's own.", show_default=False),
    ] = None,
    at: AtOpt = None,
    digits: Annotated[
        int, typer.Option(min=1, max=6, help="The fewest significant digits an answer needs to pass.")
    ] = 2,
    json_flag: JsonOpt = False,
    gradescope: Annotated[
        bool, typer.Option("--gradescope", help="Print Gradescope's autograder results.json instead.")
    ] = False,
    fmt: GradeFormatOpt = None,
    output: Annotated[
        Optional[Path], typer.Option("--output", "-o", help="Write the report to FILE.", show_default=False)
    ] = None,
    debug: DebugOpt = False,
) -> None:
    """Mark a filled worksheet the way a teaching assistant does.

    Every cell is recomputed: correct within your rounding (2-3 significant digits pass); an
    error carried forward ("follows from your step N": right from your own wrong value above
    it) gets full credit; the common mistakes are named with one sentence of why (the sum rule
    at fan-out, a lost sign, the node's value for its derivative, local + upstream, swapped
    operands, the quotient rule, exp/log and tanh/sigmoid, rounding too early). Exit code 0 when
    every cell is right, 3 when one is not, 2 when the sheet cannot be read.

    \b
    Examples:
        gradcli grade sheet.md
        gradcli grade sheet.csv --gradescope > results.json
    """
    from .. import api

    if gradescope and (json_flag or fmt is not None):
        raise GradcliError("--gradescope writes Gradescope's JSON: give it without --json or --format")
    chosen = (
        Format.json if gradescope else choose(fmt, json_flag, output, FORMATS, default=terminal_or_text())
    )
    if output is not None and chosen is Format.rich:
        chosen = Format.text
    text, name = _read(sheet)
    at_text = ",".join(at) if at else None
    if against is not None and at_text is None:
        raise GradcliError("--against needs the point too", hint='--against "SOURCE" --at a=1,b=2')
    record = api.grade(text, name=name, against=against, at=at_text, digits=digits)
    emit(render("gradescope" if gradescope else "grade", record, chosen, RenderOptions()), output)
    if not record.passed:
        raise typer.Exit(3)


def _read(sheet: Path) -> tuple[str, str]:
    if str(sheet) == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise GradcliError("SHEET is '-' but nothing is piped to standard input")
        return sys.stdin.read().removeprefix("\ufeff"), "<stdin>"
    try:
        return sheet.read_text(encoding="utf-8-sig"), sheet.name
    except FileNotFoundError:
        raise GradcliError(f"no such file: {sheet}", hint="gradcli exercise -o sheet.md writes one") from None
    except UnicodeDecodeError:
        raise GradcliError(
            f"cannot read {sheet}: it is not a text file",
            hint="grade reads the Markdown (.md) or CSV (.csv) sheet that `gradcli exercise` writes",
        ) from None
    except OSError as error:
        raise GradcliError(f"cannot read {sheet}: {error.strerror}") from None
