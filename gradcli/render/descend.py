"""The printout of `gradcli descend`: the table of the report epochs (seed 002's "grad:" and
"process:" lines), a loss curve, the parameters reached and the prediction; or one JSON object."""

from __future__ import annotations

import json
import math

import numpy as np

from ..numbers import count_of, format_number, format_value, plain
from ..records.descend import DescendResult

SPARKS = "▁▂▃▄▅▆▇█"
CURVE_WIDTH = 60
MAX_SAMPLE_ROWS = 12  # batch 1: a report epoch lists the steps of at most this many samples


def _header(result: DescendResult) -> list[str]:
    columns = ["epoch"]
    if result.settings.batch == 1:
        columns.append("sample")
    columns += [f"∂loss/∂{name}" for name in result.params]
    if result.settings.batch == 1:
        columns += ["loss (sample)", "loss (mean)"]
    else:
        columns.append("loss (mean)")
    columns += list(result.params)
    return columns


def rows(result: DescendResult, digits: int) -> list[list[str]]:
    """The table: one row per report epoch; with batch 1 one per sample step before it (the seed's
    "grad:" lines), the last of which carries the epoch's losses and parameters."""
    number = lambda v: format_value(v, digits)  # noqa: E731
    names = list(result.params)
    table: list[list[str]] = []
    for record in result.history.epochs:
        if record.epoch % result.settings.every:
            continue
        after = [number(record.params[name]) for name in names]
        if result.settings.batch == 1:
            samples = record.samples
            shown = samples if len(samples) <= MAX_SAMPLE_ROWS else samples[-1:]
            for k, sample in enumerate(shown):
                last = k == len(shown) - 1
                point = ", ".join(f"{name}={number(value)}" for name, value in sample.at.items())
                if len(shown) < len(samples) and last:
                    point = f"… {point}"
                grads = [number(sample.grad[name]) for name in names]
                tail = [number(record.loss), *after] if last else [""] * (1 + len(names))
                tail.insert(0, number(sample.loss))
                table.append([str(record.epoch) if k == 0 else "", point, *grads, *tail])
        else:
            grads = [number(record.grad[name]) for name in names]
            table.append([str(record.epoch), *grads, number(record.loss), *after])
    return table


def text_table(result: DescendResult, digits: int) -> str:
    """Plain text, aligned, no colour or box drawing: stable for diffs."""
    header = _header(result)
    body = rows(result, digits)
    if not body:
        return ""
    widths = [max(len(row[j]) for row in [header, *body]) for j in range(len(header))]
    lines = []
    for row in [header, *body]:
        cells = [
            cell.ljust(width) if j < 2 else cell.rjust(width)
            for j, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def rich_table(result: DescendResult, digits: int):
    from rich.table import Table

    table = Table(title=_title(result), title_justify="left")
    for j, name in enumerate(_header(result)):
        table.add_column(name, justify="left" if j < (2 if result.settings.batch == 1 else 1) else "right")
    for row in rows(result, digits):
        table.add_row(*row)
    return table


def _title(result: DescendResult) -> str:
    batch = "all" if result.settings.batch is None else str(result.settings.batch)
    return (
        f"descend {result.source.strip()}: {count_of(result.samples, 'sample')}, batch {batch}, "
        f"{result.settings.optimizer}, lr {format_number(result.settings.lr, 6)}"
    )


def sparkline(losses: list[float], width: int = CURVE_WIDTH) -> tuple[str, bool]:
    """A loss curve in block characters (log scale when the losses span decades); and whether log."""
    values = [v for v in losses if math.isfinite(v)]
    if not values:
        return "", False
    if len(losses) > width:  # evenly spaced epochs, the last one included
        picks = np.linspace(0, len(losses) - 1, width).round().astype(int)
        losses = [losses[i] for i in picks]
    low, high = min(values), max(values)
    log = low > 0 and high / low > 100
    scale = (lambda v: math.log10(v)) if log else (lambda v: v)
    lo, hi = scale(low), scale(high)
    marks = []
    for value in losses:
        if not math.isfinite(value):
            marks.append("!")
            continue
        level = 0 if hi == lo else round((scale(value) - lo) / (hi - lo) * (len(SPARKS) - 1))
        marks.append(SPARKS[level])
    return "".join(marks), log


def summary(result: DescendResult, digits: int) -> str:
    """The loss curve, the parameters reached, the prediction."""
    lines = []
    losses = result.history.losses
    if losses:
        curve, log = sparkline(losses)
        first, last = format_number(losses[0], 4), format_number(losses[-1], 4)
        span = f"epochs 0–{result.history.last.epoch}" if len(losses) > 1 else "epoch 0"
        scale = ", log scale" if log else ""
        lines.append(f"loss  {curve}  {first} → {last}  (mean loss, {span}{scale})")
    left_out, keep = result.history.rows_left_out, result.history.keep
    if left_out:
        lines.append(
            f"note: {left_out:,} rows left out: the table shows the first {keep:,} epochs and "
            f"the last {keep:,} rows (a larger --every shows fewer, further apart)"
        )
    reached = "parameters reached" if result.status != "done" else "parameters"
    lines.append(
        f"{reached}: " + ", ".join(f"{n} = {format_value(v, digits)}" for n, v in result.params.items())
    )
    if result.prediction is not None:
        at = ", ".join(f"{n}={format_value(v, digits)}" for n, v in result.prediction.at.items())
        value = format_value(result.prediction.value, digits)
        lines.append(f"predict {result.prediction.model} at {at}: {value}")
    lines += [f"warning: {warning}" for warning in result.warnings]
    return "\n".join(lines) + "\n"


def text_report(result: DescendResult, digits: int) -> str:
    """The epochs as a plain-text table, then the summary (a pipe's output)."""
    return text_table(result, digits) + summary(result, digits)


def _params(params: dict[str, np.ndarray]) -> dict:
    return {name: plain(value) for name, value in params.items()}


def to_json(result: DescendResult) -> str:
    """One strict JSON object: params, history (every epoch of a run of up to HISTORY_KEEP
    epochs; of a longer one the first epochs and the last report epochs, with `history_left_out`
    counting the others), prediction, warnings."""
    history = []
    for record in result.history.epochs:
        item: dict = {"epoch": record.epoch, "loss": plain(record.loss)}
        if record.last_loss is not None:
            item["last_loss"] = plain(record.last_loss)
        item["grad"] = _params(record.grad)
        item["params"] = _params(record.params)
        if record.samples:
            item["samples"] = [
                {"at": _params(s.at), "loss": plain(s.loss), "grad": _params(s.grad)} for s in record.samples
            ]
        history.append(item)
    prediction = None
    if result.prediction is not None:
        prediction = {
            "model": result.prediction.model,
            "at": _params(result.prediction.at),
            "value": plain(result.prediction.value),
        }
    data = {
        "schema": 1,
        "source": result.source,
        "optimizer": result.settings.optimizer,
        "lr": result.settings.lr,
        "batch": "all" if result.settings.batch is None else result.settings.batch,
        "epochs": result.settings.epochs,
        "samples": result.samples,
        "status": result.status,
        "stopped": {"epoch": result.stopped_epoch, "reason": result.stopped}
        if result.status != "done"
        else None,
        "params": _params(result.params),
        "history": history,
        "history_left_out": result.history.left_out,
        "prediction": prediction,
        "warnings": list(result.warnings),
    }
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


def print_terminal(result: DescendResult, digits: int, console=None) -> None:
    """For a person at a terminal: the table drawn by Rich, then the summary as plain text."""
    from rich.console import Console

    console = console or Console()
    if rows(result, digits):
        console.print(rich_table(result, digits))
    console.print(summary(result, digits), end="", highlight=False, markup=False)


def stopped_note(result: DescendResult) -> str:
    """For stderr: why a run stopped early, and (diverged) what to try; empty when it ran through."""
    if result.status == "diverged":
        smaller = f"{result.settings.lr / 10:g}"
        return (
            f"error: {result.stopped}\n"
            f"hint: the steps are too large: try a smaller learning rate, e.g. --lr {smaller}\n"
        )
    return f"{result.stopped}\n" if result.status == "interrupted" else ""
