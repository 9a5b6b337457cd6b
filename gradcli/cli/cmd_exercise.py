"""`gradcli exercise`: a random backpropagation exercise as a blank worksheet, and its key."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import DebugOpt, app, emit
from .formats import Format, RenderOptions, choose, format_option, formats_of, from_suffix, render

FORMATS = formats_of("sheet")
KEY_FORMATS = formats_of("derivation")
SheetFormatOpt = format_option(
    "SheetFormat", FORMATS, "The worksheet's format (default: markdown; from the extension with -o)."
)


@app.command("exercise")
def exercise_command(
    level: Annotated[
        int,
        typer.Option(
            min=1,
            max=4,
            help="1: + − × with fan-out; 2: exp log tanh sigmoid and /; 3: vectors, @, "
            "cross-entropy; 4: programs with named intermediates and rebinding.",
        ),
    ] = 1,
    seed: Annotated[
        Optional[int],
        typer.Option(
            min=0,
            help="The same seed gives the same sheet everywhere (default: a random one).",
            show_default=False,
        ),
    ] = None,
    variables: Annotated[int, typer.Option("--vars", min=2, max=6, help="How many input variables.")] = 3,
    fmt: SheetFormatOpt = None,
    output: Annotated[
        Optional[Path],
        typer.Option(
            "--output", "-o", help="Write the sheet to FILE (.md .csv .tex .pdf .json).", show_default=False
        ),
    ] = None,
    answers: Annotated[
        Optional[Path],
        typer.Option(
            "--answers",
            help="Also write the key, the full derivation, to FILE (.md .tex .pdf .json .txt).",
            show_default=False,
        ),
    ] = None,
    debug: DebugOpt = False,
) -> None:
    """Write a random backpropagation exercise: a blank worksheet to fill in by hand.

    The forward table gives the inputs and asks every value; the backward table asks each
    step's local derivative, upstream gradient and contribution, and the sum where a node feeds
    several; then the gradient. Fill in the Markdown or CSV sheet and mark it with `gradcli
    grade`.

    \b
    Examples:
        gradcli exercise --level 2 --seed 7 -o sheet.md --answers key.md
        gradcli exercise --level 3 --seed 1 --format latex
    """
    from .. import api

    chosen = choose(fmt, False, output, FORMATS, default=Format.markdown)
    key_format = from_suffix(answers, KEY_FORMATS) if answers is not None else None
    if seed is None:
        import random

        seed = random.SystemRandom().randrange(10_000)
    made = api.exercise(level, seed, variables=variables)
    emit(render("sheet", made, chosen, RenderOptions(standalone=True)), output)
    if answers is not None:
        emit(render("derivation", made.key, key_format, RenderOptions(standalone=True)), answers)
