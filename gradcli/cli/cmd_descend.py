"""`gradcli descend`: gradient descent on a loss program over data, from the command line."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from .common import DebugOpt, FileOpt, SourceArg, app, emit, read_source
from .formats import RenderOptions, choose, format_option, formats_of, render, terminal_or_text
from .progress import ProgressBar, epoch_columns, stderr_is_terminal

if TYPE_CHECKING:
    pass

EXIT_CODES = {"done": 0, "diverged": 3, "interrupted": 130}

# The options, one alias each, so that the command reads as what it does.
DataOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--data",
        "-d",
        help="The samples: inline lists (x=[1,2,3],y=[2,4,6]), or a CSV / JSON Lines file "
        "(as eval --points reads it; '-' for standard input).",
        show_default=False,
    ),
]
ParamsOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--params",
        "-p",
        help="The parameters to learn, with their start values: w=1,b=0.",
        show_default=False,
    ),
]
LrOpt = Annotated[float, typer.Option("--lr", help="The learning rate (step size), > 0.")]
EpochsOpt = Annotated[int, typer.Option("--epochs", help="Passes over the data.")]
BatchOpt = Annotated[
    str, typer.Option("--batch", help="Samples per step: N, or 'all' (the mean loss over all of them).")
]
OptimizerOpt = Annotated[
    str, typer.Option("--optimizer", help="sgd, momentum (0.9) or adam (betas 0.9, 0.999).")
]
EveryOpt = Annotated[int, typer.Option("--every", help="Print a table row every N epochs.")]
ModelOpt = Annotated[
    Optional[str],
    typer.Option(
        "--model",
        help='The model for --predict: an expression ("w*x") or the name of an intermediate of '
        "the loss program (yhat). Default: the last intermediate computed from the parameters "
        "and the --predict names.",
        show_default=False,
    ),
]
PredictOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--predict", help="Evaluate the model at these inputs after training: x=4.", show_default=False
    ),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="One JSON object: params, history, prediction.")]
FORMATS = formats_of("descent")
DescendFormatOpt = format_option(
    "DescendFormat", FORMATS, "rich (default on a terminal), text (default on a pipe) or json."
)
DigitsOpt = Annotated[int, typer.Option(min=1, max=17, help="Significant digits of the numbers shown.")]
SkipBadOpt = Annotated[
    bool, typer.Option("--skip-bad", help="With a data file: skip rows with a missing or bad value.")
]


# Over 60 lines only by its option list and its --help text (the docstring): Typer reads both from
# the signature. What the command does is the short body below them.
@app.command("descend")
def descend_command(
    source: SourceArg = None,
    data: DataOpt = None,
    params: ParamsOpt = None,
    lr: LrOpt = 0.01,
    epochs: EpochsOpt = 40,
    batch: BatchOpt = "1",
    optimizer: OptimizerOpt = "sgd",
    every: EveryOpt = 5,
    model: ModelOpt = None,
    predict: PredictOpt = None,
    json_flag: JsonFlag = False,
    fmt: DescendFormatOpt = None,
    digits: DigitsOpt = 6,
    skip_bad: SkipBadOpt = False,
    file: FileOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Learn parameters by gradient descent on a loss over data.

    The names given by --params are learned; the other names of the loss come
    from --data. With --batch 1 (the default) every sample is a step, in order,
    as in seed 002: gradient, then w -= lr*grad. With --batch N or all, a step
    uses the mean loss over N samples. Every --every epochs the table shows
    the gradients, the loss and the parameters; at the end a loss curve, the
    parameters reached and, with --predict, the model's prediction.

    Exit code 3 when the loss becomes inf or nan (try a smaller --lr), 130 on
    Ctrl-C (the parameters reached are printed), 2 on bad input.

    \b
    Examples:
        gradcli descend "(x*w - y)^2" --data x=[1,2,3],y=[2,4,6] \\
            --params w=1 --predict x=4
        gradcli descend "yhat = w*x + b; (yhat - y)^2" --data data.csv \\
            --params w=0,b=0 --batch all --optimizer adam
    """
    from ..api import descend

    chosen = choose(fmt, json_flag, None, FORMATS, default=terminal_or_text())
    bar = ProgressBar(stderr_is_terminal(), epoch_columns, "descend", epochs)
    try:
        result = descend(
            read_source(source, file),
            data=list(data or []),
            params=list(params or []),
            lr=lr,
            epochs=epochs,
            batch=batch,
            optimizer=optimizer,
            every=every,
            predict=list(predict or []),
            model=model,
            skip_bad=skip_bad,
            on_epoch=bar.update,
        )
    finally:
        bar.stop()
    emit(render("descent", result, chosen, RenderOptions(digits)), None)
    from ..render.descend import stopped_note

    sys.stderr.write(stopped_note(result))
    if EXIT_CODES[result.status]:
        raise typer.Exit(EXIT_CODES[result.status])
