"""`gradcli diff`: each derivative as an expression in gradcli's own language."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import AtOpt, DebugOpt, FileOpt, JsonOpt, SourceArg, WrtOpt, app, emit, read_source, wrt_list
from .formats import Format, RenderOptions, choose, format_option, formats_of, render

FORMATS = formats_of("derivatives")
DiffFormatOpt = format_option("DiffFormat", FORMATS, "text (default), markdown, latex or json.")


@app.command("diff")
def diff_command(
    source: SourceArg = None,
    at: AtOpt = None,
    wrt: WrtOpt = None,
    fmt: DiffFormatOpt = None,
    json_flag: JsonOpt = False,
    file: FileOpt = None,
    output: Annotated[
        Optional[Path],
        typer.Option("--output", "-o", help="Write to FILE (.txt .md .tex .json).", show_default=False),
    ] = None,
    standalone: Annotated[
        bool, typer.Option(help="With --format latex: a whole document for pdflatex.")
    ] = False,
    debug: DebugOpt = False,
) -> None:
    """Print the derivative of the output with respect to each variable, as a formula.

    The backward pass is run on formulas instead of numbers (the same rules as `eval`), then
    simplified; a subexpression used more than once is named once. The text parses back:
    with one variable the last line is the derivative, with several the last lines are
    d_x = ..., one per variable. Arrays: --at gives their values, whose shapes the formulas
    are written for (a variable without one is a number).

    \b
    Examples:
        gradcli diff "tanh(x)"            # 1 - tanh(x)^2
        gradcli diff "sum(tanh(W @ x))" --wrt W --at W=[[1,2],[3,4]],x=[1,1]
    """
    from ..api import diff, parse_at

    text = read_source(source, file)
    values = parse_at(at or [])
    wrt_names = wrt_list(wrt)
    chosen = choose(fmt, json_flag, output, FORMATS, default=Format.text)
    result = diff(text, wrt=wrt_names, at=values)
    document = render("derivatives", result, chosen, RenderOptions(standalone=standalone))
    if chosen is Format.text and result.warnings:  # stdout stays a program that parses; notes go to stderr
        import sys

        sys.stderr.write("".join(f"warning: {w}\n" for w in result.warnings))
    emit(document, output, file)
