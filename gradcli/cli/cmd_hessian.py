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
    at_values,
    emit,
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
        typer.Option(help="Rows and columns for these variables only (comma-separated).", show_default=False),
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
    """The Hessian (all second derivatives) at a point, for scalar variables.

    Row i is the gradient of ∂output/∂x_i, the derivative `gradcli diff` prints, computed by
    reverse mode again: reverse-over-reverse, no finite differences. Example:

        gradcli hessian "(w*x - y)^2" --at w=1,x=2,y=3
    """
    from ..api import hessian

    text = read_source(source, file)
    values = at_values(at, at_file, text)
    wrt_names = wrt_list(wrt)
    chosen = choose(fmt, json_flag, output, FORMATS, default=Format.rich)
    result = hessian(text, values, wrt=wrt_names)
    if output is not None and chosen is Format.rich:
        chosen = Format.text
    emit(render("hessian", result, chosen, RenderOptions(digits, standalone=standalone)), output, file)
