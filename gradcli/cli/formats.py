"""The one vocabulary of output formats, and the table of renderers: (what is shown, format) ->
the function that turns that record into that format.

A command offers exactly the formats the table has a renderer for, for the kind of record it
shows (its `--format` choices are built from the table), so a format it cannot write is refused
by the option parser with exit 2. Renderers load on first use: a command pays only for its own.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import GradcliError


class Format(str, Enum):
    rich = "rich"  # Rich tables on the terminal
    text = "text"
    json = "json"
    markdown = "markdown"
    latex = "latex"
    jsonl = "jsonl"  # eval --points: one JSON object a point
    csv = "csv"  # eval --points: one row a point
    tree = "tree"  # graph: the graph as an indented tree
    dot = "dot"
    mermaid = "mermaid"
    svg = "svg"
    png = "png"
    pdf = "pdf"  # the LaTeX document compiled by pdflatex
    html = "html"  # one self-contained page to click through (no network)


# The file name endings of each format (`-o out.md`); a command reads them for its own formats.
SUFFIXES: dict[Format, tuple[str, ...]] = {
    Format.markdown: (".md",),
    Format.latex: (".tex",),
    Format.json: (".json",),
    Format.text: (".txt",),
    Format.csv: (".csv",),
    Format.jsonl: (".jsonl", ".ndjson"),
    Format.dot: (".dot", ".gv"),
    Format.mermaid: (".mmd",),
    Format.svg: (".svg",),
    Format.png: (".png",),
    Format.tree: (".txt",),
    Format.pdf: (".pdf",),
    Format.html: (".html", ".htm"),
}

# Formats whose document is binary: on a terminal they need -o FILE.
BINARY = frozenset({Format.png, Format.pdf})


@dataclass(frozen=True)
class RenderOptions:
    """What the user asked of the output; each renderer reads the options it knows."""

    digits: int = 4
    brief: bool = False
    standalone: bool = False
    paths: bool = False
    numbers: bool = True  # graph: draw the values (False without --at)
    console: object = None  # a Rich console to print to (a recording one, for a file)


# A renderer returns the document (text, or an image's bytes), or None when it printed itself
# to the terminal (Rich).
Renderer = Callable[[object, RenderOptions], "str | bytes | None"]


def _derivation(fmt: Format) -> Renderer:
    def render(record, o: RenderOptions):
        if fmt is Format.rich:
            from ..render import terminal

            terminal.print_derivation(record, digits=o.digits, brief=o.brief, paths=o.paths)
            return None
        if fmt is Format.json:
            from ..render import json_out

            return json_out.render(record, brief=o.brief)
        if fmt is Format.html:
            from ..render import html

            return html.render(record, digits=o.digits, brief=o.brief, paths=o.paths)
        if fmt in (Format.latex, Format.pdf):
            from ..render import latex

            standalone = o.standalone or fmt is Format.pdf
            document = latex.render(
                record, digits=o.digits, brief=o.brief, standalone=standalone, paths=o.paths
            )
            return document if fmt is Format.latex else _pdf(document)
        from ..render import markdown, text

        module = markdown if fmt is Format.markdown else text
        return module.render(record, digits=o.digits, brief=o.brief, paths=o.paths)

    return render


def _drawing(fmt: Format) -> Renderer:
    def render(record, o: RenderOptions):
        if fmt is Format.tree:
            from ..render import tree

            return tree.print_tree(record, digits=o.digits, numbers=o.numbers, console=o.console)
        if fmt is Format.mermaid:
            from ..render import mermaid

            return mermaid.render(record, digits=o.digits, numbers=o.numbers)
        if fmt is Format.html:
            from ..render import html

            return html.render_graph(record, digits=o.digits, numbers=o.numbers)
        from ..render import dot

        dot_text = dot.render(record, digits=o.digits, numbers=o.numbers)
        if fmt is Format.dot:
            return dot_text
        from ..render.graphviz import to_image

        return to_image(dot_text, fmt.value, len(record.nodes))

    return render


def _pdf(document: str) -> bytes:
    from ..render.pdf import to_pdf

    return to_pdf(document)


def _module(module: str, functions: dict[Format, str], with_digits: frozenset[Format]) -> dict:
    """Renderers that are functions of one module of render/: `(record)` or `(record, digits)`,
    latex also `standalone`; pdf is latex's standalone document compiled; rich prints itself."""

    def renderer(fmt: Format, name: str) -> Renderer:
        def render(record, o: RenderOptions):
            from importlib import import_module

            function = getattr(import_module(f"gradcli.render.{module}"), name)
            keywords = {"digits": o.digits} if fmt in with_digits else {}
            if fmt in (Format.latex, Format.pdf):
                keywords["standalone"] = o.standalone or fmt is Format.pdf
            result = function(record, **keywords)
            if fmt is Format.pdf:
                return _pdf(result)
            return None if fmt is Format.rich else result

        return render

    return {fmt: renderer(fmt, name) for fmt, name in functions.items()}


F = Format
_HUMAN = frozenset({Format.rich, Format.text, Format.markdown, Format.latex, Format.pdf})

# (kind of record, format) -> renderer, in the order `--help` lists the formats.
RENDERERS: dict[str, dict[Format, Renderer]] = {
    "derivation": {
        fmt: _derivation(fmt)
        for fmt in (
            Format.rich,
            Format.text,
            Format.json,
            Format.markdown,
            Format.latex,
            Format.pdf,
            Format.html,
        )
    },
    "drawing": {
        fmt: _drawing(fmt)
        for fmt in (Format.tree, Format.dot, Format.mermaid, Format.svg, Format.png, Format.html)
    },
    "derivatives": _module(
        "diff",
        {
            Format.text: "to_text",
            Format.markdown: "to_markdown",
            Format.latex: "to_latex",
            Format.json: "to_json",
            Format.pdf: "to_latex",
        },
        frozenset(),
    ),
    "hessian": _module(
        "hessian",
        {
            Format.rich: "print_rich",
            Format.text: "to_text",
            Format.json: "to_json",
            Format.markdown: "to_markdown",
            Format.latex: "to_latex",
            Format.pdf: "to_latex",
        },
        _HUMAN,
    ),
    "check": _module(
        "check", {Format.rich: "print_check", Format.text: "check_text", Format.json: "check_json"}, _HUMAN
    ),
    "nudge": _module(
        "perturb", {Format.rich: "print_nudge", Format.text: "nudge_text", Format.json: "nudge_json"}, _HUMAN
    ),
    "descent": _module(
        "descend", {Format.rich: "print_terminal", Format.text: "text_report", Format.json: "to_json"}, _HUMAN
    ),
    # gradcli exercise: the blank worksheet (markdown and csv are what `grade` reads back)
    "sheet": _module(
        "sheet",
        {
            Format.markdown: "to_markdown",
            Format.csv: "to_csv",
            Format.latex: "to_latex",
            Format.pdf: "to_latex",
            Format.json: "to_json",
        },
        frozenset(),
    )
    | _module("sheet_html", {Format.html: "to_html"}, frozenset()),
    # gradcli grade: the marked sheet; --gradescope: Gradescope's results.json
    "grade": _module(
        "grade",
        {
            Format.rich: "print_rich",
            Format.text: "to_text",
            Format.markdown: "to_markdown",
            Format.json: "to_json",
        },
        frozenset(),
    ),
    "gradescope": _module("grade", {Format.json: "to_gradescope"}, frozenset()),
}


def formats_of(*kinds: str, extra: tuple[Format, ...] = ()) -> tuple[Format, ...]:
    """The formats with a renderer for every one of `kinds` (and `extra`), in the table's order."""
    found = [fmt for fmt in RENDERERS[kinds[0]] if all(fmt in RENDERERS[kind] for kind in kinds)]
    return (*found, *extra)


def choices(name: str, formats: tuple[Format, ...]) -> type[Enum]:
    """The `--format` choices of one command: the names of the vocabulary it can write (Typer
    lists them in --help and refuses any other with exit 2)."""
    return Enum(name, {fmt.name: fmt.value for fmt in formats}, type=str)


def format_option(name: str, formats: tuple[Format, ...], help: str):
    """A command's `--format`/`-F` option, offering exactly `formats`."""
    option = typer.Option("--format", "-F", help=help, show_default=False)
    return Annotated[Optional[choices(name, formats)], option]


def by_suffix(formats: tuple[Format, ...]) -> dict[str, Format]:
    return {suffix: fmt for fmt in formats for suffix in SUFFIXES.get(fmt, ())}


def from_suffix(output: Path, formats: tuple[Format, ...]) -> Format:
    """The format a file name asks for (`-o out.md`), or a clear error listing the known ones."""
    known = by_suffix(formats)
    suffix = output.suffix.lower()
    if suffix not in known:
        raise GradcliError(
            f"cannot tell the format from the file name {output.name!r}",
            hint=f"use one of {', '.join(known)}, or say --format",
        )
    return known[suffix]


def choose(
    given: Enum | None, json_flag: bool, output: Path | None, formats: tuple[Format, ...], default: Format
) -> Format:
    """--json, else --format, else the extension of -o FILE, else the command's default."""
    fmt = None if given is None else Format(given.value)
    if json_flag:
        if fmt not in (None, Format.json):
            raise GradcliError("--json and --format disagree: give one of them")
        return Format.json
    if fmt is not None:
        _refuse_binary_on_terminal(fmt, output)
        return fmt
    if output is not None:
        return from_suffix(output, formats)
    return default


def _refuse_binary_on_terminal(fmt: Format, output: Path | None) -> None:
    if fmt in BINARY and output is None and sys.stdout.isatty():
        raise GradcliError(
            f"a {fmt.value.upper()} is binary and would garble the terminal",
            hint=f"write it to a file: -o out.{fmt.value}",
        )


def terminal_or_text() -> Format:
    """Rich tables on a terminal, plain text on a pipe (check, descend)."""
    return Format.rich if sys.stdout.isatty() else Format.text


def render(kind: str, record, fmt: Format, options: RenderOptions):
    """The document of `record` in `fmt`, or None when it went to the terminal (Rich)."""
    return RENDERERS[kind][fmt](record, options)
