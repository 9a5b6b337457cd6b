"""`gradcli graph`: the computation graph as a tree, DOT, Mermaid, SVG or PNG."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import GradcliError
from .common import AtFileOpt, AtOpt, DebugOpt, FileOpt, SourceArg, app, at_values, emit, read_source
from .formats import Format, RenderOptions, choose, format_option, formats_of, render

BIG_GRAPH = 300  # nodes; above this a picture is still made, with a note that it is big

DRAWINGS = formats_of("drawing")
GraphFormatOpt = format_option(
    "GraphFormat",
    DRAWINGS,
    "tree (default on a terminal), dot (default on a pipe), mermaid, svg or png "
    "(svg and png need Graphviz). With -o, taken from the extension.",
)
OutputOpt = Annotated[
    Optional[Path],
    typer.Option("--output", "-o", help="Write to FILE (.dot .mmd .svg .png .txt).", show_default=False),
]
DigitsOpt = Annotated[int, typer.Option(min=1, max=17, help="Significant digits of the numbers shown.")]


@app.command("graph")
def graph_command(
    source: SourceArg = None,
    at: AtOpt = None,
    at_file: AtFileOpt = None,
    fmt: GraphFormatOpt = None,
    output: OutputOpt = None,
    digits: DigitsOpt = 4,
    file: FileOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Draw the computation graph: a box per value (name, data, grad), a circle per operation.

    Without --at the graph is drawn without numbers.

    \b
    Example:
        gradcli graph "tanh(x1*w1 + x2*w2 + b)" \\
            --at x1=2,x2=0,w1=-3,w2=1,b=6.8814 -o neuron.png
    """
    from ..api import evaluate, outline, parse

    program = parse(read_source(source, file))
    values = at_values(at, at_file, program)
    default = Format.tree if sys.stdout.isatty() else Format.dot
    chosen = choose(fmt, False, output, DRAWINGS, default=default)
    if chosen is Format.png and output is None and sys.stdout.isatty():
        raise GradcliError(
            "a PNG is binary and would garble the terminal", hint="write it to a file: -o graph.png"
        )
    # Without --at, the structure alone: shapes are unknown, so they cannot be wrong.
    derivation = evaluate(program, values) if values else outline(program)
    _check_size(len(derivation.nodes), chosen)
    console = None
    if chosen is Format.tree and output is not None:  # the tree, as plain text in the file
        from rich.console import Console

        console = Console(record=True, width=100, file=open(os.devnull, "w"), color_system=None)  # noqa: SIM115
    document = render(
        "drawing", derivation, chosen, RenderOptions(digits, numbers=bool(values), console=console)
    )
    emit(console.export_text() if console is not None else document, output, file)


def _check_size(nodes: int, chosen: Format) -> None:
    """Refuse a picture Graphviz would take minutes over; note a big graph in any other format."""
    if chosen in (Format.svg, Format.png):
        from ..render.graphviz import check_size

        check_size(nodes, chosen.value)
    if nodes > BIG_GRAPH and chosen is not Format.tree:
        sys.stderr.write(
            f"note: the graph has {nodes:,} nodes; the {chosen.value} output is complete, "
            "but Graphviz and Mermaid lay out graphs this big slowly and hard to read\n"
        )
