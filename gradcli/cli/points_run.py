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
from pathlib import Path
from typing import TYPE_CHECKING

from ..api import evaluate_points, open_points_run
from ..errors import GradcliError
from .formats import Format, from_suffix
from .progress import ProgressBar, points_columns, stderr_is_terminal

if TYPE_CHECKING:
    from ..api import PointsRun

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
        return from_suffix(output, (Format.csv, Format.jsonl)).value
    return "jsonl"


class _Progress(ProgressBar):
    """The bar of a points run: done is the bytes read when the file's size is known, else the points."""

    def __init__(self, enabled: bool, total: int | None, label: str, console=None) -> None:
        super().__init__(enabled, points_columns, label, total, console)

    def advance(self, points: int, position: int | None) -> None:
        """`points` written so far, `position` bytes read (None when the file cannot tell)."""
        self.update(position if self.total else points, points=points)


def wants_progress(output: Path | None) -> bool:
    """On a terminal only, and not when the points themselves scroll past on it."""
    stdout_tty = output is None and sys.stdout is not None and sys.stdout.isatty()
    return stderr_is_terminal() and not stdout_tty


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
    chosen = points_format(fmt, output)
    run = open_points_run(source, points, at, wrt=wrt, chunk=chunk, skip_bad=skip_bad, on_warning=_warn)
    with run:
        shown = wants_progress(output) if progress is None else progress
        bar = _Progress(shown, _size(points), run.file.label, console)
        try:
            if output is None:
                _stream(run, chosen, bar, sys.stdout, "")
            else:
                from .outfile import atomic_output

                inputs = [("--points", points), ("--file", program_file)]
                with atomic_output(output, inputs, newline="") as out:
                    _stream(run, chosen, bar, out, f"; {output} not written")
        finally:
            bar.stop()


def _warn(warning: str) -> None:
    sys.stderr.write(f"warning: {warning}\n")


def _size(path: str) -> int | None:
    """The size of a points file in bytes, for the bar; None for standard input or a pipe."""
    try:
        return os.path.getsize(path) if path != "-" and os.path.isfile(path) else None
    except OSError:
        return None


def _stream(run: PointsRun, chosen: str, bar: _Progress, out, unwritten: str) -> None:
    """Every point's line to `out` in the `chosen` format; `unwritten` says what Ctrl-C leaves
    unwritten (an -o file)."""
    file, wrt = run.file, run.wrt
    writer = run.writer(chosen, out)
    written, skipped, non_finite, last_line = 0, [], 0, 0
    try:
        for chunk in run.chunks():
            skipped += chunk.skipped
            results = evaluate_points(run.compiled, chunk.columns, run.fixed, wrt, len(chunk))
            if results.errors:
                results = run.drop_failed(chunk, results, skipped)
            with _whole_rows(out is sys.stdout):
                writer.write(chunk, results)
                out.flush()
                written += len(chunk)
                last_line = chunk.lines[-1] if chunk.lines else last_line
            non_finite += results.non_finite() if len(chunk) else 0
            bar.advance(written, file.position())
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
    _summary(file.label, written, skipped, non_finite)


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


def _summary(label: str, written: int, skipped: list[tuple[int, str]], non_finite: int) -> None:
    """The end of a run on stderr: the bad rows skipped (or that there were no points), and how
    many points have a non-finite number."""
    notes = []
    if skipped:
        listed = "; ".join(f"line {line}: {reason}" for line, reason in skipped[:_LISTED])
        more = f"; and {len(skipped) - _LISTED:,} more" if len(skipped) > _LISTED else ""
        plural = "s" if len(skipped) != 1 else ""
        notes.append(
            f"skipped {len(skipped):,} bad row{plural} of {label} "
            f"({written:,} points written): {listed}{more}\n"
        )
    elif written == 0:
        notes.append(f"warning: {label} has no points\n")
    if non_finite:
        has = "s have" if non_finite != 1 else " has"
        notes.append(
            f"warning: {non_finite:,} point{has} a non-finite value or "
            'gradient (written as "nan", "inf" or "-inf")\n'
        )
    for note in notes:
        sys.stderr.write(note)
