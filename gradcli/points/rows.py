"""What every points file reader shares: a chunk of points (their lines, records and parsed
columns), the file read in chunks, and a bad row told with its line and a caret under the cell.
The readers themselves are in gradcli.points.read.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..errors import GradcliError, Span
from .columns import Column

_SKIP_HINT = "fix the row, or pass --skip-bad to skip bad rows (they are counted on stderr)"


class BadRow(Exception):
    """A row that cannot be a point: the reason, and where in the row (for the caret): a CSV cell's
    index, or the text to point at."""

    def __init__(self, reason: str, where: int | str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.where = where


@dataclass
class Chunk:
    """Points read from a file: each point's line, its record as read, the variables' values."""

    lines: list[int]
    records: list | None  # CSV: the row's cells (list of str); JSON Lines: the object (dict)
    columns: dict[str, Column]
    skipped: list[tuple[int, str]]  # (line, reason) of the bad rows skipped
    texts: list[str] | None = None  # CSV rows without quotes, as read (records: None until asked)

    def __len__(self) -> int:
        return len(self.lines)

    def rows(self) -> list:
        """The records: each CSV row's cells (split from its text when first asked), or objects."""
        if self.records is None:
            self.records = [text.split(",") for text in self.texts or []]
        return self.records

    def keep(self, indices: list[int]) -> None:
        """Keep only the points at `indices` (the others are skipped)."""
        self.lines = [self.lines[i] for i in indices]
        self.records = None if self.records is None else [self.records[i] for i in indices]
        self.texts = None if self.texts is None else [self.texts[i] for i in indices]
        for name, column in self.columns.items():
            if isinstance(column, np.ndarray):
                self.columns[name] = column[indices]
            else:
                self.columns[name] = [column[i] for i in indices]


class PointsFile:
    """A CSV or JSON Lines file of points, read in chunks. `columns` are the names the file gives:
    CSV's header, or the keys of the first JSON object."""

    kind: str
    columns: list[str]

    def __init__(self, stream: io.TextIOBase, label: str, lines: list[str], raw=None) -> None:
        self.stream, self.label, self.raw = stream, label, raw
        self.fixed: set[str] = set()
        self._lines = itertools.chain(lines, stream)

    def position(self) -> int | None:
        """Bytes read so far (for the progress bar), when the file can tell."""
        try:
            return self.raw.tell() if self.raw is not None else None
        except (OSError, ValueError):
            return None

    def close(self) -> None:
        """Close the file (standard input stays open)."""
        if self.raw is not None:
            self.stream.close()

    def bad_row(
        self, line: int, text: str, start: int = 0, width: int | None = None, *, reason: str
    ) -> GradcliError:
        """`line 4 of points.csv: x is not a number: 'abc'`, with the row and a caret under the cell."""
        width = len(text) if width is None else width
        offset = line - 1 + start  # into the source below: the line after line - 1 new lines
        span = Span(line, start + 1, offset, offset + max(width, 1))
        return GradcliError(
            f"line {line} of {self.label}: {reason}",
            span=span,
            source="\n" * (line - 1) + text,  # the caret printer finds the line by its number
            hint=_SKIP_HINT,
            label=self.label,
        )

    def chunks(self, needed: list[str], size: int, skip_bad: bool) -> Iterator[Chunk]:
        """The points in chunks of `size`, with the values of the `needed` variables parsed."""
        raise NotImplementedError

    def _settle(self, chunk: Chunk, bad: dict[int, BadRow], skip_bad: bool, text) -> Chunk:
        """Raise for the first bad row (`text(i)`: row i as written, and where its bad cell is), or
        (skip_bad) drop them all and note them."""
        if not bad:
            return chunk
        if not skip_bad:
            i = min(bad)
            raise self.bad_row(chunk.lines[i], *text(i), reason=bad[i].reason)
        chunk.skipped = [(chunk.lines[i], bad[i].reason) for i in sorted(bad)]
        chunk.keep([i for i in range(len(chunk)) if i not in bad])
        return chunk
