"""Reading points files: CSV (a header row of names) or JSON Lines (one object a line), told
apart by the first line, read in chunks (so memory stays bounded) with the line number of every
point. `gradcli eval --points` and `gradcli descend --data` both read them here.

A bad row (a missing value, something that is not a number) is an error that names its line,
unless `skip_bad`, which skips such rows and counts them.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..binding import no_value_message
from ..errors import GradcliError
from ..valuetext import NotNumbers, json_array
from .columns import Column
from .fast import csv_block, huge, jsonl_objects
from .rows import BadRow, Chunk, PointsFile

__all__ = ["Chunk", "CsvPoints", "JsonlPoints", "PointsFile", "open_points"]

_ARRAYS_IN_JSONL = 'a CSV cell holds one number; give arrays in JSON Lines: {"x": [1, 2]}'


def _may_be_number(text: str) -> bool:
    # Python's float() reads 1_000 and any script's digits ('١' is 1.0): a data file means
    # neither, so only ASCII without '_' is a number.
    return "_" not in text and text.isascii()


def _number(text: str) -> float:
    if not _may_be_number(text):
        raise ValueError(text)
    return float(text)


def _not_a_number(name: str, cell: str) -> str:
    if not cell.strip():
        return no_value_message([name])
    ascii_hint = "" if cell.isascii() else " (numbers are written with the ASCII digits 0-9)"
    ascii_hint = f" ({_ARRAYS_IN_JSONL})" if cell.lstrip().startswith("[") else ascii_hint
    return f"{name} is not a number: {cell!r}{ascii_hint}"


class CsvPoints(PointsFile):
    kind = "csv"

    def __init__(self, stream, label, lines, raw=None) -> None:
        super().__init__(stream, label, lines, raw)
        self.reader = csv.reader(self._lines)
        try:
            header = next((row for row in self.reader if row), None)
        except csv.Error as error:
            raise GradcliError(f"line {self.reader.line_num} of {label}: {error}") from None
        if header is None:
            raise GradcliError(f"{label} is empty", hint="a CSV file of points starts with a header row")
        self.consumed = self.reader.line_num  # lines read so far
        self.columns = [name.strip() for name in header]
        for name in self.columns:
            if self.columns.count(name) > 1:
                raise GradcliError(
                    f"the header of {label} names the column {name!r} twice",
                    hint="give each column its own name",
                )

    def chunks(self, needed: list[str], size: int, skip_bad: bool) -> Iterator[Chunk]:
        width = len(self.columns)
        index = {name: self.columns.index(name) for name in needed}
        while True:
            block = list(itertools.islice(self._lines, size))
            if not block:
                return
            quoted = '"' in "".join(block)
            read = None if quoted else csv_block(block, width, index)  # numbers at I/O speed
            if read is not None:
                lines = list(range(self.consumed + 1, self.consumed + len(block) + 1))
                self.consumed += len(block)
                yield Chunk(lines, None, read[1], [], texts=read[0])
                continue
            if quoted:
                rows, lines = self._quoted(block)
            else:  # no quoting: a row is a line split at its commas, as csv would split it (faster)
                rows = [line.rstrip("\r\n").split(",") for line in block]
                lines = list(range(self.consumed + 1, self.consumed + len(block) + 1))
                self.consumed += len(block)
            if [""] in rows:  # blank lines are no points
                lines = [line for line, row in zip(lines, rows, strict=True) if row != [""]]
                rows = [row for row in rows if row != [""]]
            yield self._parse(rows, lines, index, width, skip_bad)

    def _quoted(self, block: list[str]) -> tuple[list[list[str]], list[int]]:
        """The rows of a block of lines with quotes, which may hold new lines: the last row may
        go on past the block, and is read to its end."""
        past: list[bool] = []

        def feed():
            yield from block
            past.append(True)
            yield from self._lines

        reader = csv.reader(feed())
        rows, lines = [], []
        try:
            for row in reader:
                rows.append(row or [""])
                lines.append(self.consumed + reader.line_num)
                if past:
                    break
        except csv.Error as error:
            raise GradcliError(f"line {self.consumed + reader.line_num} of {self.label}: {error}") from None
        self.consumed += reader.line_num
        return rows, lines

    def _parse(self, rows, lines, index, width, skip_bad) -> Chunk:
        bad: dict[int, BadRow] = {}
        for i, row in enumerate(rows):
            if len(row) != width:
                split = any(cell.lstrip().startswith("[") for cell in row)  # [1,2] split at its commas
                bad[i] = BadRow(
                    f"the row has {len(row)} fields, the header {width}"
                    + (f" ({_ARRAYS_IN_JSONL})" if split else "")
                )
        columns = {}
        for name, j in index.items():
            cells = [row[j] if j < len(row) else "" for row in rows] if bad else [row[j] for row in rows]
            try:
                joined = "".join(cells)
                if not _may_be_number(joined):  # then cell by cell below, to name the bad one
                    raise ValueError(joined)
                columns[name] = np.fromiter(map(float, cells), np.float64, len(cells))
            except ValueError:
                columns[name] = np.zeros(len(cells))
                for i, cell in enumerate(cells):
                    try:
                        columns[name][i] = _number(cell)
                    except ValueError:
                        if i not in bad:
                            bad[i] = BadRow(_not_a_number(name, cell), j)
        chunk = Chunk(lines, rows, columns, [])

        def text(i: int) -> tuple[str, int, int | None]:
            row, j = rows[i], bad[i].where
            if j is None or j >= len(row):
                return ",".join(row), 0, None
            return ",".join(row), sum(len(cell) + 1 for cell in row[:j]), max(len(row[j]), 1)

        return self._settle(chunk, bad, skip_bad, text)


_MISSING = object()


def _json_value(name: str, value) -> float | np.ndarray:
    kind = type(value)
    if kind is float or kind is int:
        return float(value)
    if value is _MISSING or value is None:
        raise BadRow(no_value_message([name]), f'"{name}"')
    try:  # a number written as a string ("nan", "inf", as gradcli writes them), or nested lists
        array = json_array(value)
    except NotNumbers as problem:
        raise BadRow(problem.describe(name), f'"{name}"') from None
    return float(array) if array.ndim == 0 else array


class JsonlPoints(PointsFile):
    kind = "jsonl"

    def __init__(self, stream, label, lines, raw=None) -> None:
        super().__init__(stream, label, lines, raw)
        self._numbered = (
            (number, text) for number, line in enumerate(self._lines, 1) if (text := line.strip())
        )
        self._decode = json.JSONDecoder().raw_decode
        self._shapes: dict[str, tuple[tuple[int, ...], int]] = {}  # each array field's first shape, its line
        self.same_shape = False  # every point's arrays of one shape (descend stacks them), else bad rows
        self._first: list[tuple[int, str]] = []
        first = None
        for number, text in self._numbered:  # the first object gives the columns
            self._first.append((number, text))
            try:
                first = self._object(text)
                break
            except BadRow:
                continue
        if first is None and self._first:  # not one object in the file: nothing to skip to
            number, text = self._first[0]
            try:
                self._object(text)
            except BadRow as problem:
                raise self.bad_row(number, text, reason=problem.reason) from None
        self.columns = list(first) if first is not None else []

    def _object(self, text: str) -> dict:
        try:
            value, end = self._decode(text)
        except ValueError as error:
            raise BadRow(f"not valid JSON: {getattr(error, 'msg', error)}") from None
        except RecursionError:  # json recurses once per level of nesting
            raise BadRow("not valid here: arrays or objects nested too deeply") from None
        if end != len(text):
            raise BadRow("more than one JSON value on the line (JSON Lines has one object a line)")
        if type(value) is not dict:
            raise BadRow('not a JSON object (JSON Lines points are objects such as {"x": 1})')
        return value

    def chunks(self, needed: list[str], size: int, skip_bad: bool) -> Iterator[Chunk]:
        numbered = itertools.chain(self._first, self._numbered)
        while True:
            batch = list(itertools.islice(numbered, size))
            if not batch:
                return
            yield self._parse(batch, needed, skip_bad)

    def _parse(
        self, batch: list[tuple[int, str]], needed: list[str], skip_bad: bool, fast: bool = True
    ) -> Chunk:
        bad: dict[int, BadRow] = {}
        objects: list = (jsonl_objects([text for _, text in batch], needed) if fast else None) or []
        fast = bool(objects)  # read at I/O speed, else line by line:
        for i, (_, text) in enumerate(batch if not fast else ()):
            try:
                objects.append(self._object(text))
            except BadRow as problem:
                bad[i] = problem
                objects.append({})
        if self.fixed:
            for i, obj in enumerate(objects):
                both = self.fixed.intersection(obj)
                if both:
                    name = sorted(both)[0]
                    raise GradcliError(
                        f"line {batch[i][0]} of {self.label} gives {name!r}, which --at fixes",
                        hint=f"drop {name} from --at, or from the file",
                    )
        columns: dict[str, Column] = {}
        for name in needed:
            cells = [obj.get(name, _MISSING) for obj in objects]
            if not bad and set(map(type, cells)) <= {float, int} and self._shapes.get(name, ((),))[0] == ():
                try:
                    columns[name] = np.array(cells, dtype=np.float64)
                    self._shapes.setdefault(name, ((), batch[0][0]))
                    continue
                except OverflowError:  # an integer beyond float64
                    pass
            columns[name] = self._column(name, cells, batch, bad)
        if fast and any(map(huge, columns.values())):  # maybe an int beyond 64 bits: json keeps it one
            return self._parse(batch, needed, skip_bad, fast=False)
        chunk = Chunk([number for number, _ in batch], objects, columns, [])

        def text(i: int) -> tuple[str, int, int | None]:
            line, key = batch[i][1], bad[i].where
            found = line.find(key) if isinstance(key, str) else -1
            return (line, found, len(key)) if found >= 0 else (line, 0, None)

        return self._settle(chunk, bad, skip_bad, text)

    def _column(self, name: str, cells: list, batch: list[tuple[int, str]], bad: dict[int, BadRow]) -> Column:
        """One variable at the points of a batch: (N, ...) values of one shape, else a list of
        arrays (each point is evaluated alone: shapes need not agree, unless `same_shape`). A bad
        cell makes a bad row, its value zeros of the field's shape."""
        parsed: list = []
        for i, cell in enumerate(cells):
            try:
                value = _json_value(name, cell)
                shape, line = self._shapes.setdefault(name, (np.shape(value), batch[i][0]))
                if self.same_shape and np.shape(value) != shape:
                    seen = f"has shape {np.shape(value)} here, {shape} on line {line}"
                    raise BadRow(f"{name} {seen} (every point's {name} has one shape)", f'"{name}"')
            except (BadRow, OverflowError) as problem:
                bad.setdefault(i, problem if isinstance(problem, BadRow) else BadRow(f"{name} is too large"))
                value = None
            parsed.append(value)
        shapes = {np.shape(value) for value in parsed if value is not None}
        shapes = shapes or {self._shapes.get(name, ((),))[0]}
        filled = [np.zeros(next(iter(shapes))) if value is None else value for value in parsed]
        if len(shapes) > 1:
            return [np.asarray(value, dtype=np.float64) for value in filled]
        return np.array(filled, dtype=np.float64).reshape((len(parsed), *shapes.pop()))


def open_points(path: str) -> PointsFile:
    """Open a points file (`-`: standard input) and tell CSV from JSON Lines by its first line."""
    if path == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise GradcliError("--points is '-' but nothing is piped to standard input")
        stream, label, raw = sys.stdin, "standard input", None
    else:
        try:
            raw = open(path, "rb")  # noqa: SIM115  (closed by PointsFile.close)
        except FileNotFoundError:
            raise GradcliError(f"no such file: {path}") from None
        except OSError as error:
            raise GradcliError(f"cannot read {path}: {error.strerror or error}") from None
        stream, label = io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""), Path(path).name
    lines: list[str] = []
    try:
        for line in stream:
            lines.append(line.removeprefix("\ufeff") if not lines else line)
            if line.strip():
                break
        first = lines[-1].strip() if lines else ""
        if not first:
            raise GradcliError(
                f"{label} is empty",
                hint="give CSV with a header row of variable names, or JSON Lines: one object a line",
            )
        kind = JsonlPoints if first.startswith("{") else CsvPoints
        return kind(stream, label, lines, raw)
    except UnicodeDecodeError:
        if raw is not None:
            raw.close()
        raise GradcliError(f"{label} is not UTF-8 text", hint="save the file as UTF-8") from None
    except GradcliError:
        if raw is not None:
            raw.close()
        raise
