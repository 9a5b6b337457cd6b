"""`gradcli eval`: the value, the gradients and the worked derivation."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import GradcliError
from .common import (
    AtFileOpt,
    AtOpt,
    DebugOpt,
    DigitsOpt,
    FileOpt,
    JsonOpt,
    SourceArg,
    WrtOpt,
    app,
    at_values,
    emit,
    program_and_values,
    read_source,
    wrt_list,
)
from .formats import Format, RenderOptions, choose, format_option, formats_of, render
from .plain import collector_paused


class Mode(str, Enum):
    reverse = "reverse"
    forward = "forward"


# The options, one alias each, so that the command reads as what it does.
DOCUMENTS = formats_of("derivation")
EvalFormatOpt = format_option(
    "EvalFormat",
    (*DOCUMENTS, Format.jsonl, Format.csv),
    "Output format (default: rich; from the extension with -o). With --points: jsonl (the default) or csv.",
)
BriefOpt = Annotated[bool, typer.Option("--brief", help="The result alone: value and gradients.")]
OutputOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--output",
        "-o",
        help="Write the document to FILE (.md .tex .json .txt; with --points .jsonl .csv).",
        show_default=False,
    ),
]
StandaloneOpt = Annotated[bool, typer.Option(help="With --format latex: a whole document for pdflatex.")]
PathsOpt = Annotated[
    bool, typer.Option("--paths", help="Also write each gradient as a sum over paths (the chain rule).")
]
PointsOpt = Annotated[
    Optional[str],
    typer.Option(
        "--points",
        metavar="FILE",
        help="Evaluate at every point of FILE, in one vectorised pass: CSV with a header row of "
        "variable names, or JSON Lines (one object a point); - reads standard input. --at fixes "
        "the variables the file does not give. Writes one line a point (--format jsonl or csv).",
        show_default=False,
    ),
]
SkipBadOpt = Annotated[
    bool,
    typer.Option(
        "--skip-bad", help="With --points: skip rows with a missing or bad value, counted on stderr."
    ),
]
ChunkOpt = Annotated[
    Optional[int],
    typer.Option(
        min=1,
        metavar="N",
        help="With --points: points per vectorised pass (default 65536); memory grows with N.",
        show_default=False,
    ),
]
ModeOpt = Annotated[
    Mode,
    typer.Option(
        help="reverse: backpropagation, with the backward table. forward: tangents pushed "
        "forward, one sweep per variable element (a second engine: the same numbers, no steps).",
    ),
]


# Over 60 lines only by its option list and its --help text (the docstring): Typer reads both from
# the signature. What the command does is the short body below them.
@app.command("eval")
def eval_command(
    source: SourceArg = None,
    at: AtOpt = None,
    at_file: AtFileOpt = None,
    wrt: WrtOpt = None,
    fmt: EvalFormatOpt = None,
    json_flag: JsonOpt = False,
    brief: BriefOpt = False,
    digits: DigitsOpt = 4,
    file: FileOpt = None,
    output: OutputOpt = None,
    standalone: StandaloneOpt = False,
    paths: PathsOpt = False,
    points: PointsOpt = None,
    skip_bad: SkipBadOpt = False,
    chunk: ChunkOpt = None,
    mode: ModeOpt = Mode.reverse,
    debug: DebugOpt = False,
) -> None:
    """Evaluate an expression, backpropagate, and show the worked derivation.

    Shows the forward pass (every node, its definition and value), the backward pass (every edge:
    local derivative × upstream = contribution, and the sum rule where a node is used twice) and
    the result.

    \b
    Examples:
        gradcli eval "(a+b)*(b+1)" --at a=2,b=1
        gradcli eval "(a+b)*(b+1)" --at a=2,b=1 -o answer.pdf
        gradcli eval "1/(1+exp(-(w*x+b)))" --points data.csv --format csv
    """
    from ..api import evaluate

    wrt_names = wrt_list(wrt)
    fmt = None if fmt is None else Format(fmt.value)
    if points is not None or skip_bad or chunk is not None or fmt in (Format.jsonl, Format.csv):
        from .points_run import run_points

        _check_points_options(points, source, fmt, json_flag, skip_bad, chunk, paths, standalone)
        text = read_source(source, file)
        values = at_values(at, at_file, text)
        fmt_name = fmt.value if fmt is not None else None
        run_points(
            text,
            points,
            values,
            wrt=wrt_names,
            fmt=fmt_name,
            output=output,
            skip_bad=skip_bad,
            chunk=chunk,
            program_file=file,
        )
        return
    text, values = program_and_values(read_source(source, file), at, at_file)
    chosen = choose(fmt, json_flag, output, DOCUMENTS, default=Format.rich)
    if chosen in (Format.jsonl, Format.csv):
        raise GradcliError(
            f"--format {chosen.value} goes with --points",
            hint=f'gradcli eval "x*y" --points points.csv --format {chosen.value}',
        )
    if output is not None and chosen is Format.rich:
        chosen = Format.text
    options = RenderOptions(digits=digits, brief=brief, standalone=standalone, paths=paths)
    with collector_paused():
        derivation = evaluate(text, values, wrt=wrt_names, record_steps=not brief, mode=mode.value)
        emit(render("derivation", derivation, chosen, options), output, file)


def _check_points_options(points, source, fmt, json_flag, skip_bad, chunk, paths, standalone) -> None:
    if points is None:
        given = "--skip-bad" if skip_bad else "--chunk" if chunk is not None else f"--format {fmt.value}"
        raise GradcliError(
            f"{given} goes with --points", hint='gradcli eval "x*y" --points points.csv (one line a point)'
        )
    if points == "-" and source == "-":
        raise GradcliError(
            "SOURCE and --points cannot both read standard input",
            hint="give the program as SOURCE or with -f FILE, and pipe the points",
        )
    for flag, used in (("--json", json_flag), ("--paths", paths), ("--standalone", standalone)):
        if used:
            raise GradcliError(
                f"{flag} does not go with --points",
                hint="--points writes --format jsonl (the default) or csv",
            )
