"""`gradcli eval`: the value, the gradients and the worked derivation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import (
    AtOpt,
    DebugOpt,
    FileOpt,
    Format,
    SourceArg,
    app,
    choose_format,
    emit,
    read_source,
    render,
)


@app.command("eval")
def eval_command(
    source: SourceArg = None,
    at: AtOpt = None,
    wrt: Annotated[
        Optional[str],
        typer.Option(help="Differentiate only by these variables (comma-separated).", show_default=False),
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
    json_flag: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    brief: Annotated[bool, typer.Option("--brief", help="The result alone: value and gradients.")] = False,
    digits: Annotated[
        int,
        typer.Option(min=1, max=17, help="Significant digits in the human formats (JSON is never rounded)."),
    ] = 4,
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
    paths: Annotated[
        bool, typer.Option("--paths", help="Also write each gradient as a sum over paths (the chain rule).")
    ] = False,
    debug: DebugOpt = False,
) -> None:
    """Evaluate an expression, backpropagate, and show the worked derivation.

    Shows the forward pass (every node, its definition and value), the backward pass (every edge:
    local derivative × upstream = contribution, and the sum rule where a node is used twice) and
    the result. Example:

        gradcli eval "(a+b)*(b+1)" --at a=2,b=1
    """
    from ..api import evaluate
    from ..values import parse_at

    text = read_source(source, file)
    values = parse_at(at or [])
    wrt_names = [name.strip() for name in wrt.split(",") if name.strip()] if wrt is not None else None
    chosen = choose_format(fmt, json_flag, output)
    derivation = evaluate(text, values, wrt=wrt_names, record_steps=not brief)
    if output is not None and chosen is Format.rich:
        chosen = Format.text
    document = render(derivation, chosen, digits=digits, brief=brief, standalone=standalone, paths=paths)
    emit(document, output)
