"""`gradcli hessian`: the matrix of second derivatives, by differentiating the backward pass."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import (
    AtFileOpt,
    AtOpt,
    DebugOpt,
    DigitsOpt,
    FileOpt,
    JsonOpt,
    SourceArg,
    app,
    emit,
    program_and_values,
    read_source,
    wrt_list,
)
from .formats import Format, RenderOptions, choose, format_option, formats_of, render

FORMATS = formats_of("hessian")
HessianFormatOpt = format_option(
    "HessianFormat", FORMATS, "Output format (default: rich; from the extension with -o)."
)


@app.command("hessian")
def hessian_command(
    source: SourceArg = None,
    at: AtOpt = None,
    at_file: AtFileOpt = None,
    wrt: Annotated[
        Optional[str],
        typer.Option(
            help="Rows and columns for these variables only (separated by commas).", show_default=False
        ),
    ] = None,
    fmt: HessianFormatOpt = None,
    json_flag: JsonOpt = False,
    digits: DigitsOpt = 4,
    file: FileOpt = None,
    output: Annotated[
        Optional[Path],
        typer.Option(
            "--output", "-o", help="Write the document to FILE (.md .tex .json .txt).", show_default=False
        ),
    ] = None,
    standalone: Annotated[
        bool, typer.Option(help="With --format latex: a whole document for pdflatex.")
    ] = False,
    debug: DebugOpt = False,
) -> None:
    """The Hessian (all second derivatives) of a one-number output at a point.

    The rows and columns are the variables' elements (x, W[0,1]); the rows of x are the
    derivatives of ∂output/∂x, the program `gradcli diff` prints, computed by reverse mode
    again: reverse-over-reverse, no finite differences. At most 2,000 elements in all (--wrt
    chooses).

    \b
    Examples:
        gradcli hessian "(w*x - y)^2" --at w=1,x=2,y=3
        gradcli hessian "sum(tanh(W @ x))" --at W=[[1,2],[3,4]],x=[1,1] --wrt W
    """
    from ..api import hessian

    text, values = program_and_values(read_source(source, file), at, at_file)
    wrt_names = wrt_list(wrt)
    chosen = choose(fmt, json_flag, output, FORMATS, default=Format.rich)
    result = hessian(text, values, wrt=wrt_names)
    if output is not None and chosen is Format.rich:
        chosen = Format.text
    emit(render("hessian", result, chosen, RenderOptions(digits, standalone=standalone)), output, file)
