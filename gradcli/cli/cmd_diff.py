"""`gradcli diff`: each derivative as an expression in gradcli's own language."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import (
    DebugOpt,
    FileOpt,
    JsonOpt,
    SourceArg,
    WrtOpt,
    app,
    emit,
    read_source,
    resolve_format,
    wrt_list,
)


class DiffFormat(str, Enum):
    text = "text"
    markdown = "markdown"
    latex = "latex"
    json = "json"


_BY_SUFFIX = {
    ".txt": DiffFormat.text,
    ".md": DiffFormat.markdown,
    ".tex": DiffFormat.latex,
    ".json": DiffFormat.json,
}


def _format(fmt: DiffFormat | None, json_flag: bool, output: Path | None) -> DiffFormat:
    return resolve_format(
        fmt, json_flag, output, json=DiffFormat.json, by_suffix=_BY_SUFFIX, default=DiffFormat.text
    )


@app.command("diff")
def diff_command(
    source: SourceArg = None,
    wrt: WrtOpt = None,
    fmt: Annotated[
        Optional[DiffFormat],
        typer.Option("--format", "-F", help="text (default), markdown, latex or json.", show_default=False),
    ] = None,
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
    d_x = ..., one per variable. Example:

        gradcli diff "tanh(x)"            # 1 - tanh(x)^2
    """
    from ..api import diff
    from ..render import diff as render

    text = read_source(source, file)
    wrt_names = wrt_list(wrt)
    chosen = _format(fmt, json_flag, output)
    result = diff(text, wrt=wrt_names)
    if chosen is DiffFormat.json:
        document = render.to_json(result)
    elif chosen is DiffFormat.latex:
        document = render.to_latex(result, standalone=standalone)
    elif chosen is DiffFormat.markdown:
        document = render.to_markdown(result)
    else:
        document = render.to_text(result)
        if result.warnings:  # stdout stays a program that parses; notes go to stderr
            import sys

            sys.stderr.write("".join(f"warning: {w}\n" for w in result.warnings))
    emit(document, output, file)
