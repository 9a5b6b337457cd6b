"""`gradcli hessian`: the matrix of second derivatives, by differentiating the backward pass."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import (
    AtOpt,
    DebugOpt,
    DigitsOpt,
    FileOpt,
    Format,
    JsonOpt,
    SourceArg,
    app,
    choose_format,
    emit,
    read_source,
    wrt_list,
)


@app.command("hessian")
def hessian_command(
    source: SourceArg = None,
    at: AtOpt = None,
    wrt: Annotated[
        Optional[str],
        typer.Option(help="Rows and columns for these variables only (comma-separated).", show_default=False),
    ] = None,
    fmt: Annotated[
        Optional[Format],
        typer.Option(
            "--format",
            "-F",
            help="Output format (default: rich; from the extension with -o).",
            show_default=False,
        ),
    ] = None,
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
    from ..api import hessian, parse_at
    from ..render import hessian as render

    text = read_source(source, file)
    values = parse_at(at or [])
    wrt_names = wrt_list(wrt)
    chosen = choose_format(fmt, json_flag, output)
    result = hessian(text, values, wrt=wrt_names)
    if output is not None and chosen is Format.rich:
        chosen = Format.text
    if chosen is Format.json:
        document = render.to_json(result)
    elif chosen is Format.text:
        document = render.to_text(result, digits)
    elif chosen is Format.markdown:
        document = render.to_markdown(result, digits)
    elif chosen is Format.latex:
        document = render.to_latex(result, digits, standalone=standalone)
    else:
        render.print_rich(result, digits)
        return
    emit(document, output, file)
