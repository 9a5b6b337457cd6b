"""`gradcli descend`: gradient descent on a loss program over data, from the command line."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from ..errors import GradcliError
from .common import DebugOpt, FileOpt, SourceArg, app, emit, read_source
from .progress import ProgressBar, stderr_is_terminal


@app.command("descend")
def descend_command(
    source: SourceArg = None,
    data: Annotated[
        Optional[list[str]],
        typer.Option(
            "--data",
            "-d",
            help="The samples: inline lists (x=[1,2,3],y=[2,4,6]), or a CSV / JSON Lines file "
            "(as eval --points reads it; '-' for standard input).",
            show_default=False,
        ),
    ] = None,
    params: Annotated[
        Optional[list[str]],
        typer.Option(
            "--params",
            "-p",
            help="The parameters to learn, with their start values: w=1,b=0.",
            show_default=False,
        ),
    ] = None,
    lr: Annotated[float, typer.Option("--lr", help="The learning rate (step size), > 0.")] = 0.01,
    epochs: Annotated[int, typer.Option("--epochs", help="Passes over the data.")] = 40,
    batch: Annotated[
        str, typer.Option("--batch", help="Samples per step: N, or 'all' (the mean loss over all of them).")
    ] = "1",
    optimizer: Annotated[
        str, typer.Option("--optimizer", help="sgd, momentum (0.9) or adam (betas 0.9, 0.999).")
    ] = "sgd",
    every: Annotated[int, typer.Option("--every", help="Print a table row every N epochs.")] = 5,
    model: Annotated[
        Optional[str],
        typer.Option(
            "--model",
            help='The model for --predict: an expression ("w*x") or the name of an intermediate of '
            "the loss program (yhat). Default: the last intermediate computed from the parameters "
            "and the --predict names.",
            show_default=False,
        ),
    ] = None,
    predict: Annotated[
        Optional[list[str]],
        typer.Option(
            "--predict", help="Evaluate the model at these inputs after training: x=4.", show_default=False
        ),
    ] = None,
    json_flag: Annotated[
        bool, typer.Option("--json", help="One JSON object: params, history, prediction.")
    ] = False,
    digits: Annotated[int, typer.Option(min=1, max=17, help="Significant digits of the numbers shown.")] = 6,
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad", help="With a data file: skip rows with a missing or bad value.")
    ] = False,
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

    Examples:

        gradcli descend "(x*w - y)^2" --data x=[1,2,3],y=[2,4,6] --params w=1 --predict x=4

        gradcli descend "yhat = w*x + b; (yhat - y)^2" --data data.csv --params w=0,b=0 \\
            --batch all --optimizer adam
    """
    from .. import descend as gd
    from ..compiled import compile
    from ..render import descend as renderer

    size = _check_options(lr, epochs, batch, optimizer, every)
    compiled = compile(read_source(source, file))
    variables = compiled.variables
    start = _params(_parse(params, "--params"), variables, compiled.source)
    columns, where = gd.read_data(list(data or []), set(variables) | set(compiled.names.free), skip_bad)
    _check_data(compiled, columns, where, start, inline=gd.is_inline(list(data or [])))
    n = len(next(iter(columns.values())))
    predictor = _predictor(compiled, model, _parse(predict, "--predict"), start, columns) if predict else None

    trainer = gd.Trainer(compiled, columns, start, lr=lr, batch=size, optimizer=optimizer, every=every)
    history = gd.History(every)
    report = renderer.Report(compiled.source, trainer.params, history, every, size, optimizer, lr, epochs, n)
    code = 0
    bar = ProgressBar(stderr_is_terminal(), _epoch_columns, "descend", epochs)
    try:
        for done, record in enumerate(trainer.train(epochs), 1):
            report.history.append(record)
            bar.update(done)
    except gd.Diverged as stop:
        report.status, report.stopped_epoch = "diverged", stop.epoch
        report.stopped = f"diverged at epoch {stop.epoch}: {stop.what}"
        code = 3
    except KeyboardInterrupt:
        report.status, report.stopped_epoch = "interrupted", trainer.epoch
        report.stopped = f"interrupted during epoch {trainer.epoch} (of {epochs})"
        code = 130
    finally:
        bar.stop()
    report.params = trainer.params
    if code == 0:
        first, last = history.first_loss, history.last.loss if history.last else None
        if history.count > 1 and last > first:
            report.warnings.append(
                f"the mean loss grew from {first:.6g} to {last:.6g}: the learning rate may be too large"
            )
        if predictor is not None:
            report.prediction = predictor(trainer.params, report.warnings)
    _print(report, renderer, json_flag, digits)
    if code == 3:
        smaller = f"{lr / 10:g}"
        sys.stderr.write(
            f"error: {report.stopped}\n"
            f"hint: the steps are too large: try a smaller learning rate, e.g. --lr {smaller}\n"
        )
    elif code == 130:
        sys.stderr.write(f"{report.stopped}\n")
    if code:
        raise typer.Exit(code)


def _parse(options: list[str] | None, label: str) -> dict:
    """NAME=VALUE lists as --at reads them, with errors naming this option."""
    from ..values import parse_at

    try:
        return parse_at(options or [])
    except GradcliError as error:
        if error.label == "--at":
            error.label = label
        raise


def _print(report, renderer, json_flag: bool, digits: int) -> None:
    if json_flag:
        emit(renderer.to_json(report), None)
        return
    if sys.stdout.isatty():
        from rich.console import Console

        console = Console()
        if renderer.rows(report, digits):
            console.print(renderer.rich_table(report, digits))
        console.print(renderer.summary(report, digits), end="", highlight=False, markup=False)
        return
    emit(renderer.text_table(report, digits) + renderer.summary(report, digits), None)


def _check_options(lr: float, epochs: int, batch: str, optimizer: str, every: int) -> int | None:
    """The batch size (None: all), after checking every number option."""
    import math

    from ..descend import OPTIMIZERS

    if not (lr > 0 and math.isfinite(lr)):
        raise GradcliError(f"--lr must be a positive number, got {lr:g}", hint="e.g. --lr 0.01")
    if epochs < 1:
        raise GradcliError(f"--epochs must be at least 1, got {epochs}")
    if every < 1:
        raise GradcliError(f"--every must be at least 1, got {every}")
    if optimizer not in OPTIMIZERS:
        raise GradcliError(f"unknown optimizer {optimizer!r}", hint=f"use one of {', '.join(OPTIMIZERS)}")
    text = batch.strip().lower()
    if text == "all":
        return None
    try:
        size = int(text)
    except ValueError:
        raise GradcliError(
            f"--batch must be a number of samples or 'all', got {batch!r}",
            hint="e.g. --batch 1, --batch 32, --batch all",
        ) from None
    if size < 1:
        raise GradcliError(
            f"--batch must be at least 1, got {size}", hint="or --batch all for every sample at once"
        )
    return size


def _params(given: dict, variables: tuple[str, ...], source: str) -> dict:
    import numpy as np

    if not given:
        raise GradcliError(
            "no parameters to learn: name them with --params and their start values",
            hint=f"e.g. --params {variables[0] if variables else 'w'}=1",
        )
    for name, value in given.items():
        if name not in variables:
            reads = ", ".join(variables) or "no variables"
            raise GradcliError(
                f"--params names {name!r}, which the loss does not read",
                span=value.span,
                source=value.text,
                label="--params",
                hint=f"the loss reads {reads}",
            )
    start = {name: np.array(value.value, dtype=np.float64) for name, value in given.items()}
    from ..descend import check_finite, index_text

    for name, value in start.items():
        where = lambda index, name=name: f"--params {name}{index_text(index)}"  # noqa: E731
        check_finite(value, where, hint="start from a finite value")
    return start


def _check_data(compiled, columns: dict, where: str, start: dict, inline: bool) -> None:
    from ..binding import no_value_error

    for name in columns:
        if name in start:
            raise GradcliError(
                f"{name!r} is both a parameter (--params) and a column of the data ({where})",
                hint=f"learn {name} or read it from the data, not both: drop it from one of them",
            )
        if inline and name not in compiled.names.free:
            raise GradcliError(
                f"--data gives {name!r}, but the loss does not read it",
                hint=f"the loss reads {', '.join(compiled.variables)}",
            )
    from ..ops import CONSTANTS

    missing = [name for name in compiled.names.free if name not in CONSTANTS and name not in columns]
    missing = [name for name in missing if name not in start]
    if missing:
        if inline:
            hint = (
                "give " + ", ".join(missing) + " in --data (one value per sample), or learn it with --params"
            )
        else:
            hint = f"add a column {missing[0]} to {where}, or learn it with --params {missing[0]}=0"
        raise no_value_error(missing, compiled.names, compiled.source, hint)
    if not columns:
        raise GradcliError(
            "the loss reads no data: every variable is a parameter",
            hint="give the data's names in --data, e.g. --data x=[1,2,3],y=[2,4,6]",
        )
    n = len(next(iter(columns.values())))
    if n == 0:
        raise GradcliError(f"no samples: {where} gives no data", hint="give at least one sample")


def _predictor(compiled, model: str | None, at: dict, start: dict, columns: dict):
    """A function (params, warnings) -> the prediction record, checked now, before training."""
    import numpy as np

    from ..compiled import compile
    from ..descend import model_program

    known = set(start) | set(at)
    for name in at:
        if name in start:
            raise GradcliError(f"--predict gives {name!r}, which is a parameter: it is learned, not given")
    if model is not None and not model.strip().isidentifier():
        program, label = compile(model), model.strip()
    else:
        name = model.strip() if model else None
        part, label = model_program(compiled.program, known, name)
        if part is None:
            if name is not None:
                raise GradcliError(
                    f"--model {name}: the loss program assigns no intermediate named {name!r}",
                    hint='give the model as an expression, e.g. --model "w*x"',
                )
            raise GradcliError(
                "--predict needs the model: the loss program names no intermediate computed from the "
                f"parameters and {', '.join(at) or 'the --predict names'}",
                hint='give it with --model "w*x", or name it in the loss: "yhat = w*x; (yhat - y)^2"',
            )
        program = compile(part)
    reads = set(program.variables)
    unknown = [name for name in at if name not in reads]
    if unknown:
        raise GradcliError(
            f"--predict gives {unknown[0]!r}, but the model {label} does not read it",
            hint=f"the model reads {', '.join(program.variables)}",
        )
    missing = [name for name in program.variables if name not in known]
    if missing:
        raise GradcliError(
            f"--predict gives no value for {', '.join(missing)}, which the model {label} reads",
            hint=f"e.g. --predict {missing[0]}=1",
        )
    values = {name: np.asarray(value.value, dtype=np.float64) for name, value in at.items()}

    def predicted(params: dict, warnings: list[str]) -> dict:
        point = {**{n: v for n, v in params.items() if n in reads}, **values}
        with np.errstate(all="ignore"):
            result = program(point, wrt=(), record_steps=False)
        warnings += [f"predict: {warning}" for warning in result.warnings]
        return {"model": label, "at": values, "value": result.value}

    return predicted


def _epoch_columns(total: int | None) -> list:
    """`epochs`, the bar, done of total, the time left."""
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn

    return [TextColumn("epochs"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
