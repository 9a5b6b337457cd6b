"""The one progress bar of the CLI (`eval --points`, `descend`): Rich, on stderr, shown only on a
terminal and only once a run takes a while, gone when done."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable


def stderr_is_terminal() -> bool:
    """Whether a bar on stderr would be seen (a terminal that can redraw a line)."""
    return sys.stderr is not None and sys.stderr.isatty() and os.environ.get("TERM") != "dumb"


class ProgressBar:
    """A bar that appears after DELAY seconds if `enabled`; `update` sets how much is done.
    `columns(total)` gives the Rich columns (imported only when a bar is shown)."""

    DELAY = 0.5  # seconds before a bar appears: short runs stay quiet

    def __init__(
        self,
        enabled: bool,
        columns: Callable[[int | None], list],
        label: str,
        total: int | None,
        console=None,
    ) -> None:
        self.enabled, self.columns, self.label, self.total = enabled, columns, label, total
        self.console = console
        self.started = time.perf_counter()
        self.bar = None

    def update(self, completed: int, **fields: object) -> None:
        """`completed` of `total` done; `fields` feed the columns (`points` for points_columns)."""
        if not self.enabled:
            return
        if self.bar is None:
            if time.perf_counter() - self.started < self.DELAY:
                return
            self._start(fields)
        self.bar.update(self.task, completed=completed, **fields)

    def _start(self, fields: dict) -> None:
        from rich.console import Console
        from rich.progress import Progress

        console = self.console or Console(stderr=True)
        # redirect_stdout=False: what goes to stdout is plain text, never through Rich.
        self.bar = Progress(
            *self.columns(self.total),
            console=console,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self.task = self.bar.add_task(self.label, total=self.total, **{name: 0 for name in fields})
        self.bar.start()

    def stop(self) -> None:
        """Take the bar off the terminal (it is transient)."""
        if self.bar is not None:
            self.bar.stop()


def epoch_columns(total: int | None) -> list:
    """`epochs`, the bar, done of total, the time left (`descend`)."""
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn

    return [TextColumn("epochs"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]


def points_columns(total: int | None) -> list:
    """The file's name, the bar, (with a known size) the share read and the time left, the points
    (`eval --points`)."""
    from rich.progress import BarColumn, TaskProgressColumn, TextColumn, TimeRemainingColumn

    columns = [TextColumn("{task.description}"), BarColumn()]
    columns += [TaskProgressColumn(), TimeRemainingColumn()] if total else []
    columns.append(TextColumn("{task.fields[points]:,} points"))
    return columns
