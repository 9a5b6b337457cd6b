"""`gradcli eval SOURCE --points FILE`: stream every point's value and gradient to stdout or -o,
chunk by chunk, with a progress bar on a terminal, whole rows only on Ctrl-C, and a quiet stop
when the reader of a pipe has read enough."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..binding import as_array, bind_points, check_wrt
from ..errors import GradcliError
from ..gcpause import no_gc
from ..points.evaluate import DEFAULT_CHUNK, Evaluable, Results, evaluate_points, vectorisable
from ..points.read import Chunk, PointsFile, open_points
from ..points.write import CsvWriter, JsonlWriter
from .common import Format, format_from_suffix, suffixes
from .progress import ProgressBar, stderr_is_terminal

SLOW_CHUNK = 256  # points per chunk when evaluated one at a time: the progress bar and Ctrl-C stay lively
FORMATS = ("jsonl", "csv")
_LISTED = 5  # skipped rows listed by line on stderr; the rest are counted


def points_format(fmt: str | None, output: Path | None) -> str:
    """jsonl (the default) or csv: from --format, else from the extension of -o."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise GradcliError(
                f"--points writes jsonl or csv, not {fmt}",
                hint="--format jsonl (the default) or --format csv; for one point, use --at alone",
            )
        return fmt
    if output is not None:
        by_suffix = suffixes(Format.csv, Format.jsonl)
        return format_from_suffix(output, by_suffix, hint="use .jsonl or .csv, or say --format").value
    return "jsonl"


def _points_columns(total: int | None) -> list:
    """The file's name, the bar, (with a known size) the share read and the time left, the points."""
    from rich.progress import BarColumn, TaskProgressColumn, TextColumn, TimeRemainingColumn

    columns = [TextColumn("{task.description}"), BarColumn()]
    columns += [TaskProgressColumn(), TimeRemainingColumn()] if total else []
    columns.append(TextColumn("{task.fields[points]:,} points"))
    return columns


class _Progress(ProgressBar):
    """The bar of a points run: done is the bytes read when the file's size is known, else the points."""

    def __init__(self, enabled: bool, total: int | None, label: str, console=None) -> None:
        super().__init__(enabled, _points_columns, label, total, console)

    def advance(self, points: int, position: int | None) -> None:
        """`points` written so far, `position` bytes read (None when the file cannot tell)."""
        self.update(position if self.total else points, points=points)


def wants_progress(output: Path | None) -> bool:
    """On a terminal only, and not when the points themselves scroll past on it."""
    stdout_tty = output is None and sys.stdout is not None and sys.stdout.isatty()
    return stderr_is_terminal() and not stdout_tty


@dataclass
class _Run:
    """One points run, bound and checked: what every chunk needs."""

    compiled: Evaluable
    file: PointsFile
    chosen: str  # jsonl or csv
    bound: list[str]
    from_file: list[str]
    fixed: dict[str, np.ndarray]
    wrt: tuple[str, ...]
    size: int
    skip_bad: bool
    bar: _Progress


def run_points(
    source: str,
    points: str,
    at: Mapping[str, object],
    *,
    wrt: Iterable[str] | None = None,
    fmt: str | None = None,
    output: Path | None = None,
    skip_bad: bool = False,
    chunk: int | None = None,
    progress: bool | None = None,
    console=None,
    program_file: Path | None = None,
) -> None:
    """`gradcli eval SOURCE --points FILE`: stream every point's value and gradient to stdout or -o."""
    from ..compiled import compile

    chosen = points_format(fmt, output)
    compiled = compile(source)
    file = open_points(points)
    try:
        bound, from_file, warnings = bind_points(
            compiled.program, compiled.names, file.columns, file.label, at
        )
        for warning in warnings:
            sys.stderr.write(f"warning: {warning}\n")
        file.fixed = {name for name in bound if name not in from_file}
        fixed = {name: as_array(name, at[name]) for name in file.fixed}
        wrt_names = check_wrt(bound, wrt)
        slow = not vectorisable(compiled, {}, fixed)
        if slow and sys.stderr.isatty():
            why = ", ".join(compiled.mixing_ops) or "array values"
            sys.stderr.write(f"note: the program mixes the elements of arrays ({why}): one point at a time\n")
        size = chunk or DEFAULT_CHUNK
        size = min(size, SLOW_CHUNK) if slow else size
        shown = wants_progress(output) if progress is None else progress
        bar = _Progress(shown, _size(points), file.label, console)
        run = _Run(compiled, file, chosen, bound, from_file, fixed, wrt_names, size, skip_bad, bar)
        try:
            # rows are acyclic lists, freed as they go: no need for the collector to scan them
            with no_gc():
                if output is None:
                    _stream(run, sys.stdout, "")
                else:
                    from .outfile import atomic_output

                    inputs = [("--points", points), ("--file", program_file)]
                    with atomic_output(output, inputs, newline="") as out:
                        _stream(run, out, f"; {output} not written")
        finally:
            bar.stop()
    finally:
        file.close()


def _size(path: str) -> int | None:
    """The size of a points file in bytes, for the bar; None for standard input or a pipe."""
    try:
        return os.path.getsize(path) if path != "-" and os.path.isfile(path) else None
    except OSError:
        return None


def _stream(run: _Run, out, unwritten: str) -> None:
    """Every point's line to `out`; `unwritten` says what Ctrl-C leaves unwritten (an -o file)."""
    file, wrt = run.file, run.wrt
    if run.chosen == "csv":
        writer: JsonlWriter | CsvWriter = CsvWriter(out, file, wrt)
    else:
        writer = JsonlWriter(out, file, run.bound, run.fixed, wrt)
    written, skipped, non_finite, last_line = 0, [], 0, 0
    try:
        for chunk in file.chunks(run.from_file, run.size, run.skip_bad):
            skipped += chunk.skipped
            results = evaluate_points(run.compiled, chunk.columns, run.fixed, wrt, len(chunk))
            if results.errors:
                results = _drop_failed(file, chunk, results, run.skip_bad, skipped)
            with _whole_rows(out is sys.stdout):
                writer.write(chunk, results)
                out.flush()
                written += len(chunk)
                last_line = chunk.lines[-1] if chunk.lines else last_line
            non_finite += results.non_finite() if len(chunk) else 0
            run.bar.advance(written, file.position())
        out.flush()
    except KeyboardInterrupt:
        out.flush()
        where = f", up to line {last_line} of {file.label}" if last_line else ""
        done = "computed" if unwritten else "written"
        sys.stderr.write(f"interrupted: {written:,} points {done}{where}{unwritten}\n")
        raise
    except UnicodeDecodeError:
        after = f" (after line {last_line})" if last_line else ""
        raise GradcliError(f"{file.label} is not UTF-8 text{after}", hint="save the file as UTF-8") from None
    except BrokenPipeError:
        if out is not sys.stdout:
            raise
        from .outfile import silence_stdout

        silence_stdout()  # `| head` has read enough: stop quietly
        return
    _summary(file, written, skipped, non_finite)


@contextlib.contextmanager
def _whole_rows(enabled: bool) -> Iterator[None]:
    """Hold a Ctrl-C that comes while a chunk's rows go to stdout until they are all written, then
    raise it: the reader never gets half a row, and the count of rows written stays true.

    Two holds are needed: a Python handler that notes the signal (the default one raises between
    any two bytecodes), and the signal blocked in this thread, because a write to a pipe cut by
    the signal (EINTR) loses the rest of its buffer. numpy's threads may still take the signal;
    the handler then runs here all the same, between bytecodes.
    """
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        signal.signal(signal.SIGINT, previous)
    if held:
        raise KeyboardInterrupt


def _drop_failed(file: PointsFile, chunk: Chunk, results: Results, skip_bad: bool, skipped: list) -> Results:
    """Points whose values do not fit the program (shapes): an error naming the line, or skipped."""
    if not skip_bad:
        raise results.first_error(lambda k: f"line {chunk.lines[k]} of {file.label}")
    skipped += [(chunk.lines[k], results.errors[k].message) for k in sorted(results.errors)]
    kept = [k for k in range(len(chunk)) if k not in results.errors]
    chunk.keep(kept)
    gradient = {name: [column[k] for k in kept] for name, column in results.gradient.items()}
    return Results([results.value[k] for k in kept], gradient)


def _summary(file: PointsFile, written: int, skipped: list[tuple[int, str]], non_finite: int) -> None:
    """The end of a run on stderr: the bad rows skipped (or that there were no points), and how
    many points have a non-finite number."""
    notes = []
    if skipped:
        listed = "; ".join(f"line {line}: {reason}" for line, reason in skipped[:_LISTED])
        more = f"; and {len(skipped) - _LISTED:,} more" if len(skipped) > _LISTED else ""
        plural = "s" if len(skipped) != 1 else ""
        notes.append(
            f"skipped {len(skipped):,} bad row{plural} of {file.label} "
            f"({written:,} points written): {listed}{more}\n"
        )
    elif written == 0:
        notes.append(f"warning: {file.label} has no points\n")
    if non_finite:
        has = "s have" if non_finite != 1 else " has"
        notes.append(
            f"warning: {non_finite:,} point{has} a non-finite value or "
            'gradient (written as "nan", "inf" or "-inf")\n'
        )
    for note in notes:
        sys.stderr.write(note)
