"""`gradcli graph`: the computation graph as a tree, DOT, Mermaid, SVG or PNG."""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from ..errors import GradcliError
from .common import (
    AtOpt,
    DebugOpt,
    FileOpt,
    SourceArg,
    app,
    emit,
    format_from_suffix,
    read_source,
)

if TYPE_CHECKING:
    from ..api import Derivation

BIG_GRAPH = 300  # nodes; above this a picture is still made, with a note that it is big


class GraphFormat(str, Enum):
    tree = "tree"
    dot = "dot"
    mermaid = "mermaid"
    svg = "svg"
    png = "png"


_GRAPH_FORMAT_BY_SUFFIX = {
    ".dot": GraphFormat.dot,
    ".gv": GraphFormat.dot,
    ".mmd": GraphFormat.mermaid,
    ".svg": GraphFormat.svg,
    ".png": GraphFormat.png,
    ".txt": GraphFormat.tree,
}


def _graph_format(fmt: GraphFormat | None, output: Path | None) -> GraphFormat:
    if fmt is not None:
        return fmt
    if output is not None:
        return format_from_suffix(output, _GRAPH_FORMAT_BY_SUFFIX)
    return GraphFormat.tree if sys.stdout.isatty() else GraphFormat.dot


@app.command("graph")
def graph_command(
    source: SourceArg = None,
    at: AtOpt = None,
    fmt: Annotated[
        Optional[GraphFormat],
        typer.Option(
            "--format",
            "-F",
            help="tree (default on a terminal), dot (default on a pipe), mermaid, svg or png "
            "(svg and png need Graphviz). With -o, taken from the extension.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Optional[Path],
        typer.Option("--output", "-o", help="Write to FILE (.dot .mmd .svg .png .txt).", show_default=False),
    ] = None,
    digits: Annotated[int, typer.Option(min=1, max=17, help="Significant digits of the numbers shown.")] = 4,
    file: FileOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Draw the computation graph: a box per value (name, data, grad), a circle per operation.

    Without --at the graph is drawn without numbers. Example:

        gradcli graph "tanh(x1*w1 + x2*w2 + b)" --at x1=2,x2=0,w1=-3,w2=1,b=6.8814 -o neuron.png
    """
    from ..api import evaluate, outline, parse, parse_at

    program = parse(read_source(source, file))
    values = parse_at(at or [])
    chosen = _graph_format(fmt, output)
    # Without --at, the structure alone: shapes are unknown, so they cannot be wrong.
    derivation = evaluate(program, values) if values else outline(program)
    _check_size(len(derivation.nodes), chosen)
    document = _document(derivation, chosen, output, digits, numbers=bool(values))
    if document is not None:
        emit(document, output, file)


def _check_size(nodes: int, chosen: GraphFormat) -> None:
    """Refuse a picture Graphviz would take minutes over; note a big graph in any other format."""
    if chosen in (GraphFormat.svg, GraphFormat.png):
        from ..render.graphviz import check_size

        check_size(nodes, chosen.value)
    if nodes > BIG_GRAPH and chosen is not GraphFormat.tree:
        sys.stderr.write(
            f"note: the graph has {nodes:,} nodes; the {chosen.value} output is complete, "
            "but Graphviz and Mermaid lay out graphs this big slowly and hard to read\n"
        )


def _document(
    derivation: Derivation, chosen: GraphFormat, output: Path | None, digits: int, numbers: bool
) -> str | bytes | None:
    """The drawing in the chosen format (text, or an image's bytes); None when the tree went
    straight to the terminal."""
    if chosen is GraphFormat.tree:
        from ..render import tree

        if output is None:
            tree.print_tree(derivation, digits=digits, numbers=numbers)
            return None
        from rich.console import Console

        console = Console(record=True, width=100, file=open(os.devnull, "w"), color_system=None)  # noqa: SIM115
        tree.print_tree(derivation, digits=digits, numbers=numbers, console=console)
        return console.export_text()
    if chosen is GraphFormat.mermaid:
        from ..render import mermaid

        return mermaid.render(derivation, digits=digits, numbers=numbers)
    from ..render import dot

    dot_text = dot.render(derivation, digits=digits, numbers=numbers)
    if chosen is GraphFormat.dot:
        return dot_text
    if chosen is GraphFormat.png and output is None and sys.stdout.isatty():
        raise GradcliError(
            "a PNG is binary and would garble the terminal", hint="write it to a file: -o graph.png"
        )
    from ..render.graphviz import to_image

    return to_image(dot_text, chosen.value, len(derivation.nodes))
