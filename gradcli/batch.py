"""Many points at once: `gradcli eval SOURCE --points FILE`, and `Compiled.batch` in Python.

A program of elementwise operations is evaluated at N points in one pass: each variable is
bound to the 1-D array of its N values (a fixed value is broadcast), the graph is built once
per chunk and backpropagated from a seed of ones. Elementwise operations never mix the points,
so element k of every gradient is the gradient at point k, exactly as one evaluation at that
point gives it. Programs that mix elements (sum, @, indexing, array literals, softmax...) or
that take array values are evaluated one point at a time instead: the same numbers, slower.

Files are read in chunks (so memory stays bounded), with the line number of every point: a bad
row (a missing value, something that is not a number) is an error that names its line, unless
`skip_bad`, which skips such rows and counts them.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Union

import numpy as np

from .errors import GradcliError, Span
from .ops import CONSTANTS
from .render.json_out import plain

if TYPE_CHECKING:
    from .api import Derivation
    from .compiled import Compiled

DEFAULT_CHUNK = 65_536  # points per pass: ~0.5 MB per array, so a pass stays in cache-sized pieces
SLOW_CHUNK = 256  # points per chunk when evaluated one at a time: the progress bar and Ctrl-C stay lively
FORMATS = ("jsonl", "csv")
_SKIP_HINT = "fix the row, or pass --skip-bad to skip bad rows (they are counted on stderr)"
_LISTED = 5  # skipped rows listed by line on stderr; the rest are counted

Column = Union[np.ndarray, list]  # (N,) floats, or one array per point


# --- Evaluation ---------------------------------------------------------------------------------


@dataclass
class Results:
    """Values and gradients of N points: (N,) arrays from a vectorised pass, else lists."""

    value: Column
    gradient: dict[str, Column]
    errors: dict[int, GradcliError] = field(default_factory=dict)  # per point, one at a time only


def vectorisable(compiled: Compiled, columns: Mapping[str, Column], fixed: Mapping[str, np.ndarray]) -> bool:
    """Whether the points can ride along one batch axis: elementwise ops over scalar values."""
    return (
        not compiled.mixing_ops
        and all(np.ndim(value) == 0 for value in fixed.values())
        and all(isinstance(column, np.ndarray) and column.ndim == 1 for column in columns.values())
    )


def evaluate_points(
    compiled: Compiled,
    columns: Mapping[str, Column],
    fixed: Mapping[str, np.ndarray],
    wrt: tuple[str, ...],
    n: int,
) -> Results:
    """Evaluate at n points: `columns` gives each point's values, `fixed` the shared ones."""
    if vectorisable(compiled, columns, fixed):
        return _vectorised(compiled, columns, fixed, wrt, n)
    return _one_by_one(compiled, columns, fixed, wrt, n)


def _vectorised(compiled, columns, fixed, wrt, n) -> Results:
    from .api import _no_gc
    from .backprop import backprop, needs_grad
    from .graph import build_graph

    values = {name: np.broadcast_to(value, (n,)) for name, value in fixed.items()}  # views, no copies
    values.update(columns)
    with _no_gc():
        graph = build_graph(compiled.program, values, compiled.names)
        needs = needs_grad(graph, {graph.variables[name] for name in wrt})
        grads, _ = backprop(graph, needs, record=False)  # seed: ones, one per point
    value = graph.nodes[graph.output].value
    if np.shape(value) != (n,):  # an output that reads no variable
        value = np.broadcast_to(value, (n,))
    gradient = {}
    for name in wrt:
        grad = grads[graph.variables[name]]
        gradient[name] = np.zeros(n) if grad is None else np.broadcast_to(grad, (n,))
    return Results(value, gradient)


def _one_by_one(compiled, columns, fixed, wrt, n) -> Results:
    values: list = [None] * n
    gradient: dict[str, list] = {name: [None] * n for name in wrt}
    errors: dict[int, GradcliError] = {}
    for k in range(n):
        point = {**{name: column[k] for name, column in columns.items()}, **fixed}
        try:
            derivation = compiled(point, wrt=wrt, record_steps=False)
        except GradcliError as error:
            errors[k] = error
            continue
        values[k] = derivation.value
        for name in wrt:
            gradient[name][k] = derivation.gradient[name]
    return Results(values, gradient, errors)


def check_wrt(variables: Iterable[str], wrt: Iterable[str] | None) -> tuple[str, ...]:
    """The variables to differentiate by (default: all), each once."""
    variables = tuple(variables)
    if wrt is None:
        return variables
    chosen = tuple(dict.fromkeys(wrt))
    for name in chosen:
        if name not in variables:
            raise GradcliError(
                f"--wrt names {name!r}, which is not a variable of the program",
                hint=f"the variables are: {', '.join(variables) or 'none'}",
            )
    return chosen


def _no_value(compiled: Compiled, missing: list[str], where: str) -> GradcliError:
    names = ", ".join(missing)
    return GradcliError(
        f"no value for {names}" if len(missing) == 1 else f"no values for {names}",
        span=compiled.names.free[missing[0]],
        source=compiled.source,
        hint=where,
    )


# --- The Python API: Compiled.batch ---------------------------------------------------------------


@dataclass(eq=False, repr=False)
class Batch:
    """The values and gradients of a program at N points, the batch axis in front.

    `value` has shape (N, ...) and each `gradient[name]` shape (N, ...) + the variable's shape;
    `points` holds the per-point values given (N, ...), `fixed` those shared by every point.
    `derivation(k)` is the whole worked derivation at point k. In Jupyter, a Batch shows itself
    as a Markdown table of its first points.
    """

    source: str
    points: dict[str, np.ndarray]
    fixed: dict[str, np.ndarray]
    value: np.ndarray
    gradient: dict[str, np.ndarray]
    wrt: tuple[str, ...]
    _compiled: Compiled

    def __len__(self) -> int:
        return len(self.value)

    def __repr__(self) -> str:
        return f"<gradcli Batch of {len(self)} points of {self.source!r}>"

    def at(self, k: int) -> dict[str, np.ndarray]:
        """The values of every variable at point k, in the program's order."""
        given = {**{name: column[k] for name, column in self.points.items()}, **self.fixed}
        return {name: given[name] for name in self._compiled.names.free if name in given}

    def derivation(self, k: int) -> Derivation:
        """The worked derivation at point k (evaluated again, with every step)."""
        return self._compiled(self.at(k), wrt=self.wrt)

    def to_markdown(self, digits: int = 4, limit: int = 20) -> str:
        """A table of the first `limit` points: the values given, the value, the gradients."""
        from .render.numbers import format_value

        given = list(self.points)
        header = ["#", *given, "value", *(f"∂/∂{name}" for name in self.wrt)]
        lines = [f"**{len(self)} points** of `{self.source}`"]
        if self.fixed:
            shared = ", ".join(f"{name} = {format_value(v, digits)}" for name, v in self.fixed.items())
            lines[0] += f", with {shared}"
        lines += ["", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for k in range(min(len(self), limit)):
            cells = [str(k), *(format_value(self.points[name][k], digits) for name in given)]
            cells.append(format_value(self.value[k], digits))
            cells += [format_value(self.gradient[name][k], digits) for name in self.wrt]
            lines.append("| " + " | ".join(cells) + " |")
        if len(self) > limit:
            lines += ["", f"… and {len(self) - limit} more points"]
        return "\n".join(lines) + "\n"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def _point_columns(points: Mapping[str, object] | Iterable[Mapping[str, object]]) -> dict[str, np.ndarray]:
    from .api import _as_array

    if isinstance(points, Mapping):
        columns = {name: np.array(_as_array(name, values)) for name, values in points.items()}
    else:
        rows = list(points)
        names = list(rows[0]) if rows else []
        for k, row in enumerate(rows):
            if list(row) != names:
                raise GradcliError(
                    f"point {k} gives {', '.join(row) or 'nothing'}, but point 0 gives {', '.join(names)}",
                    hint="give every point the same variables, or fix shared ones with `at`",
                )
        columns = {name: _as_array(name, [row[name] for row in rows]) for name in names}
    for name, column in columns.items():
        if column.ndim == 0:
            raise GradcliError(
                f"{name!r} is one number, not one value per point",
                hint=f"give {name} in `at` to use it at every point",
            )
    lengths = {name: len(column) for name, column in columns.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{name}: {n}" for name, n in lengths.items())
        raise GradcliError(f"the variables give different numbers of points ({listed})")
    if not columns:
        raise GradcliError("no points: `points` gives no variable", hint="e.g. f.batch({'x': [1, 2, 3]})")
    return columns


def evaluate_batch(
    compiled: Compiled,
    points: Mapping[str, object] | Iterable[Mapping[str, object]],
    at: Mapping[str, object],
    *,
    wrt: Iterable[str] | None = None,
    chunk: int | None = None,
) -> Batch:
    """`Compiled.batch`: see there."""
    from .api import _as_array, _check_values

    columns = _point_columns(points)
    both = [name for name in columns if name in at]
    if both:
        raise GradcliError(f"{both[0]!r} is given both per point and in `at`", hint="give it once")
    _check_values(compiled.program, compiled.names, {**columns, **at}, [])
    fixed = {name: _as_array(name, value) for name, value in at.items()}
    bound = [name for name in compiled.names.free if name in columns or name in fixed]
    wrt_names = check_wrt(bound, wrt)
    n = len(next(iter(columns.values())))
    size = chunk or DEFAULT_CHUNK
    values: list[np.ndarray] = []
    gradients: dict[str, list[np.ndarray]] = {name: [] for name in wrt_names}
    for start in range(0, max(n, 1), size):
        stop = min(start + size, n)
        part = {name: column[start:stop] for name, column in columns.items()}
        results = evaluate_points(compiled, part, fixed, wrt_names, stop - start)
        if results.errors:
            k, error = min(results.errors.items())
            raise GradcliError(
                f"at point {start + k}: {error.message}",
                span=error.span,
                source=error.source,
                hint=error.hint,
                label=error.label,
            )
        values.append(_stacked(results.value, stop - start))
        for name in wrt_names:
            gradients[name].append(_stacked(results.gradient[name], stop - start))
    seen: set[int] = set()
    value = _own(values, seen)
    gradient = {name: _own(gradients[name], seen) for name in wrt_names}
    return Batch(compiled.source, columns, fixed, value, gradient, wrt_names, compiled)


def _own(parts: list[np.ndarray], seen: set[int]) -> np.ndarray:
    """One array of its own: not a view of the input (the program `x`), not shared with another
    gradient (`x + y` passes one array to both), not a read-only broadcast."""
    array = np.concatenate(parts) if len(parts) > 1 else parts[0]
    if id(array) in seen or array.base is not None or not array.flags.writeable:
        array = array.copy()
    seen.add(id(array))
    return array


def _stacked(column: Column, n: int) -> np.ndarray:
    if isinstance(column, np.ndarray):
        return column
    return np.stack(column) if n else np.zeros(0)


# --- Reading points files -------------------------------------------------------------------------


class _Bad(Exception):
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
    records: list  # CSV: the row's cells (list of str); JSON Lines: the object (dict)
    columns: dict[str, Column]
    skipped: list[tuple[int, str]]  # (line, reason) of the bad rows skipped

    def __len__(self) -> int:
        return len(self.lines)

    def keep(self, indices: list[int]) -> None:
        self.lines = [self.lines[i] for i in indices]
        self.records = [self.records[i] for i in indices]
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
        if self.raw is not None:
            self.stream.close()

    def bad_row(
        self, line: int, text: str, start: int = 0, width: int | None = None, *, reason: str
    ) -> GradcliError:
        """`line 4 of points.csv: x is not a number: 'abc'`, with the row and a caret under the cell."""
        width = len(text) if width is None else width
        span = Span(line, start + 1, start, start + max(width, 1))
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

    def _settle(self, chunk: Chunk, bad: dict[int, _Bad], skip_bad: bool, text) -> Chunk:
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


def _number(text: str) -> float:
    # Python's float() reads 1_000 and any script's digits ('١' is 1.0): a data file means
    # neither, so only ASCII without '_' is a number.
    if "_" in text or not text.isascii():
        raise ValueError(text)
    return float(text)


def _not_a_number(name: str, cell: str) -> str:
    if not cell.strip():
        return f"no value for {name}"
    ascii_hint = "" if cell.isascii() else " (numbers are written with the ASCII digits 0-9)"
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
            if '"' in "".join(block):
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
        bad: dict[int, _Bad] = {}
        for i, row in enumerate(rows):
            if len(row) != width:
                bad[i] = _Bad(f"the row has {len(row)} fields, the header {width}")
        columns = {}
        for name, j in index.items():
            cells = [row[j] if j < len(row) else "" for row in rows] if bad else [row[j] for row in rows]
            try:
                joined = "".join(cells)
                if "_" in joined or not joined.isascii():
                    raise ValueError(joined)
                columns[name] = np.fromiter(map(float, cells), np.float64, len(cells))
            except ValueError:
                columns[name] = np.zeros(len(cells))
                for i, cell in enumerate(cells):
                    try:
                        columns[name][i] = _number(cell)
                    except ValueError:
                        if i not in bad:
                            bad[i] = _Bad(_not_a_number(name, cell), j)
        chunk = Chunk(lines, rows, columns, [])

        def text(i: int) -> tuple[str, int, int | None]:
            row, j = rows[i], bad[i].where
            if j is None or j >= len(row):
                return ",".join(row), 0, None
            return ",".join(row), sum(len(cell) + 1 for cell in row[:j]), max(len(row[j]), 1)

        return self._settle(chunk, bad, skip_bad, text)


_MISSING = object()
_NON_FINITE = {"nan": np.nan, "inf": np.inf, "-inf": -np.inf}  # as gradcli's JSON writes them


def _json_value(name: str, value) -> float | np.ndarray:
    kind = type(value)
    if kind is float or kind is int:
        return float(value)
    if value is _MISSING or value is None:
        raise _Bad(f"no value for {name}", f'"{name}"')
    if kind is str and value in _NON_FINITE:
        return _NON_FINITE[value]
    if kind is list:
        try:
            array = np.array(value)
        except ValueError:  # ragged
            array = None
        if array is not None and array.dtype.kind in "fi":  # not bools, strings or objects
            return array.astype(np.float64)
    shown = json.dumps(value)
    raise _Bad(f"{name} is not a number: {shown if len(shown) < 40 else shown[:37] + '...'}", f'"{name}"')


class JsonlPoints(PointsFile):
    kind = "jsonl"

    def __init__(self, stream, label, lines, raw=None) -> None:
        super().__init__(stream, label, lines, raw)
        self._numbered = (
            (number, text) for number, line in enumerate(self._lines, 1) if (text := line.strip())
        )
        self._decode = json.JSONDecoder().raw_decode
        self._first: list[tuple[int, str]] = []
        first = None
        for number, text in self._numbered:  # the first object gives the columns
            self._first.append((number, text))
            try:
                first = self._object(text)
                break
            except _Bad:
                continue
        if first is None and self._first:  # not one object in the file: nothing to skip to
            number, text = self._first[0]
            try:
                self._object(text)
            except _Bad as problem:
                raise self.bad_row(number, text, reason=problem.reason) from None
        self.columns = list(first) if first is not None else []

    def _object(self, text: str) -> dict:
        try:
            value, end = self._decode(text)
        except ValueError as error:
            raise _Bad(f"not valid JSON: {getattr(error, 'msg', error)}") from None
        except RecursionError:  # json recurses once per level of nesting
            raise _Bad("not valid here: arrays or objects nested too deeply") from None
        if end != len(text):
            raise _Bad("more than one JSON value on the line (JSON Lines has one object a line)")
        if type(value) is not dict:
            raise _Bad('not a JSON object (JSON Lines points are objects such as {"x": 1})')
        return value

    def chunks(self, needed: list[str], size: int, skip_bad: bool) -> Iterator[Chunk]:
        numbered = itertools.chain(self._first, self._numbered)
        while True:
            batch = list(itertools.islice(numbered, size))
            if not batch:
                return
            yield self._parse(batch, needed, skip_bad)

    def _parse(self, batch: list[tuple[int, str]], needed: list[str], skip_bad: bool) -> Chunk:
        bad: dict[int, _Bad] = {}
        objects: list = []
        for i, (_, text) in enumerate(batch):
            try:
                objects.append(self._object(text))
            except _Bad as problem:
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
            if not bad and set(map(type, cells)) <= {float, int}:
                try:
                    columns[name] = np.array(cells, dtype=np.float64)
                    continue
                except OverflowError:  # an integer beyond float64
                    pass
            parsed: list = []
            for i, cell in enumerate(cells):
                try:
                    parsed.append(_json_value(name, cell))
                except (_Bad, OverflowError) as problem:
                    if i not in bad:
                        bad[i] = problem if isinstance(problem, _Bad) else _Bad(f"{name} is too large")
                    parsed.append(0.0)
            if all(type(v) is float for v in parsed):
                columns[name] = np.array(parsed, dtype=np.float64)
            else:
                columns[name] = [np.asarray(v, dtype=np.float64) for v in parsed]
        chunk = Chunk([number for number, _ in batch], objects, columns, [])

        def text(i: int) -> tuple[str, int, int | None]:
            line, key = batch[i][1], bad[i].where
            found = line.find(key) if isinstance(key, str) else -1
            return (line, found, len(key)) if found >= 0 else (line, 0, None)

        return self._settle(chunk, bad, skip_bad, text)


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


# --- Writing --------------------------------------------------------------------------------------


def _json_numbers(column: Column) -> list[str]:
    """Each point's number (or array) as JSON text; non-finite numbers as the contract's strings."""
    if isinstance(column, np.ndarray) and column.ndim == 1:
        texts = list(map(repr, column.tolist()))
        finite = np.isfinite(column)
        if not finite.all():
            for i in np.flatnonzero(~finite):
                texts[i] = f'"{texts[i]}"'
        return texts
    return [json.dumps(plain(value), allow_nan=False) for value in column]


def _csv_numbers(column: Column) -> list[str]:
    if isinstance(column, np.ndarray) and column.ndim == 1:
        return list(map(repr, column.tolist()))  # nan, inf, -inf as such
    return [json.dumps(plain(value), allow_nan=False) for value in column]


def _non_finite(results: Results) -> int:
    """How many points have a non-finite value or gradient."""
    columns = [results.value, *results.gradient.values()]
    if all(isinstance(c, np.ndarray) and c.ndim == 1 for c in columns):
        finite = np.ones(len(columns[0]), dtype=bool)
        for column in columns:
            finite &= np.isfinite(column)
        return int(len(finite) - finite.sum())
    count = 0
    for k in range(len(columns[0])):
        if not all(np.all(np.isfinite(column[k])) for column in columns):
            count += 1
    return count


class JsonlWriter:
    """One strict JSON object a line: the fields carried through, `at`, `value`, `gradient`."""

    RESERVED = frozenset({"at", "value", "gradient"})

    def __init__(self, out, source: PointsFile, bound: list[str], fixed: dict[str, np.ndarray], wrt) -> None:
        self.out, self.source, self.bound, self.wrt = out, source, bound, wrt
        self.fixed_text = {name: json.dumps(plain(value), allow_nan=False) for name, value in fixed.items()}
        if source.kind == "csv":
            carried = [(j, name) for j, name in enumerate(source.columns) if name not in bound]
            self._check([name for _, name in carried], None)
            self.carried = [(json.dumps(name), j) for j, name in carried]
        # Variables are identifiers: no '%' or '"' to escape in the template.
        at = ", ".join(f'"{name}": %s' for name in bound)
        grad = ", ".join(f'"{name}": %s' for name in wrt)
        self.template = '{%s"at": {' + at + '}, "value": %s, "gradient": {' + grad + "}}\n"

    def _check(self, names: Iterable[str], line: int | None) -> None:
        clash = sorted(self.RESERVED.intersection(names))
        if clash:
            where = f"line {line} of {self.source.label}" if line else self.source.label
            raise GradcliError(
                f"{where} has a field named {clash[0]!r}, which the JSON Lines output uses for its own",
                hint="rename that column or field (the output has at, value and gradient)",
            )

    def _prefixes(self, chunk: Chunk) -> list[str]:
        """The carried-through fields of each point, as the start of its JSON object."""
        if self.source.kind == "csv":
            if not self.carried:
                return [""] * len(chunk)
            dumps, carried = json.dumps, self.carried
            return ["".join(f"{key}: {dumps(row[j])}, " for key, j in carried) for row in chunk.records]
        bound = set(self.bound)
        prefixes = []
        for obj, line in zip(chunk.records, chunk.lines, strict=True):
            extra = {key: value for key, value in obj.items() if key not in bound}
            if not extra:
                prefixes.append("")
                continue
            self._check(extra, line)
            prefixes.append(json.dumps(extra)[1:-1] + ", ")
        return prefixes

    def _at(self, chunk: Chunk, name: str, n: int) -> list[str]:
        if name not in chunk.columns:
            return [self.fixed_text[name]] * n
        return _json_numbers(chunk.columns[name])

    def write(self, chunk: Chunk, results: Results) -> None:
        n = len(chunk)
        at = [self._at(chunk, name, n) for name in self.bound]
        grads = [_json_numbers(results.gradient[name]) for name in self.wrt]
        rows = zip(self._prefixes(chunk), *at, _json_numbers(results.value), *grads, strict=True)
        template = self.template
        self.out.write("".join([template % row for row in rows]))


class CsvWriter:
    """The input columns as they were, then `value` and one `d_<name>` column per gradient."""

    def __init__(self, out, source: PointsFile, wrt) -> None:
        self.out, self.source, self.wrt = out, source, wrt
        self.columns = list(source.columns)
        added = ["value", *(f"d_{name}" for name in wrt)]
        clash = [name for name in added if name in self.columns]
        if clash:
            raise GradcliError(
                f"{source.label} has a column named {clash[0]!r}, which the CSV output adds",
                hint="rename that column, or use --format jsonl",
            )
        self.writer = csv.writer(out, lineterminator="\n")
        self.writer.writerow(self.columns + added)

    def _cells(self, chunk: Chunk) -> list[list[str]]:
        if self.source.kind == "csv":
            return chunk.records
        known = set(self.columns)
        rows = []
        for obj, line in zip(chunk.records, chunk.lines, strict=True):
            extra = [key for key in obj if key not in known]
            if extra:
                raise GradcliError(
                    f"line {line} of {self.source.label} has the field {extra[0]!r}, which its first object "
                    "has not: the CSV output has the first object's fields as columns",
                    hint="give every object the same fields, or use --format jsonl",
                )
            rows.append([_cell(obj.get(name)) for name in self.columns])
        return rows

    def write(self, chunk: Chunk, results: Results) -> None:
        added = [_csv_numbers(results.value), *(_csv_numbers(results.gradient[name]) for name in self.wrt)]
        self.writer.writerows(map(list.__add__, self._cells(chunk), map(list, zip(*added, strict=True))))


def _cell(value) -> str:
    if value is None:
        return ""
    if type(value) is str:
        return value
    if type(value) is float:
        return repr(value)
    return json.dumps(value)


# --- The command: gradcli eval SOURCE --points FILE -----------------------------------------------


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
        by_suffix = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
        suffix = output.suffix.lower()
        if suffix not in by_suffix:
            raise GradcliError(
                f"cannot tell the format from the file name {output.name!r}",
                hint="use .jsonl or .csv, or say --format",
            )
        return by_suffix[suffix]
    return "jsonl"


def _bind(compiled: Compiled, source: PointsFile, at: Mapping[str, object]) -> tuple[list[str], list[str]]:
    """The variables, in the program's order, and those the file gives; checks every value is given once."""
    from .api import _check_values

    free = compiled.names.free
    from_file = [name for name in source.columns if name in free]
    both = [name for name in from_file if name in at]
    if both:
        raise GradcliError(
            f"{both[0]!r} is given both by --at and by a column of {source.label}",
            hint=f"drop {both[0]} from --at, or from the file",
        )
    missing = [name for name in free if name not in CONSTANTS and name not in at and name not in from_file]
    if missing:
        example = ",".join(f"{name}=1" for name in missing)
        columns = f"a column {missing[0]}" if len(missing) == 1 else f"columns {', '.join(missing)}"
        it = "it" if len(missing) == 1 else "them"
        where = f"add {columns} to {source.label}, or fix {it} for every point with --at {example}"
        raise _no_value(compiled, missing, where)
    warnings: list[str] = []
    _check_values(compiled.program, compiled.names, {**at, **dict.fromkeys(from_file)}, warnings)
    for warning in warnings:
        sys.stderr.write(f"warning: {warning}\n")
    bound = [name for name in free if name in at or name in from_file]
    return bound, from_file


class _Progress:
    """A Rich progress bar on stderr, shown only on a terminal, and only once a run takes a while."""

    DELAY = 0.5  # seconds before a bar appears: short runs stay quiet

    def __init__(self, enabled: bool, total: int | None, label: str, console=None) -> None:
        self.enabled, self.total, self.label, self.console = enabled, total, label, console
        self.started = time.perf_counter()
        self.bar = None

    def update(self, points: int, position: int | None) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            if time.perf_counter() - self.started < self.DELAY:
                return
            self._start()
        completed = position if self.total else points
        self.bar.update(self.task, completed=completed, points=points)

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

        console = self.console or Console(stderr=True)
        columns = [TextColumn("{task.description}"), BarColumn()]
        columns += [TaskProgressColumn(), TimeRemainingColumn()] if self.total else []
        columns.append(TextColumn("{task.fields[points]:,} points"))
        # redirect_stdout=False: the points go to stdout as plain text, never through Rich.
        self.bar = Progress(
            *columns, console=console, transient=True, redirect_stdout=False, redirect_stderr=False
        )
        self.task = self.bar.add_task(self.label, total=self.total, points=0)
        self.bar.start()

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _wants_progress(output: Path | None) -> bool:
    """On a terminal only, and not when the points themselves scroll past on it."""
    stderr_tty = sys.stderr is not None and sys.stderr.isatty()
    stdout_tty = output is None and sys.stdout is not None and sys.stdout.isatty()
    return stderr_tty and not stdout_tty and os.environ.get("TERM") != "dumb"


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
    from .api import _as_array, _no_gc
    from .compiled import compile

    chosen = points_format(fmt, output)
    compiled = compile(source)
    file = open_points(points)
    try:
        bound, from_file = _bind(compiled, file, at)
        file.fixed = {name for name in bound if name not in from_file}
        fixed = {name: _as_array(name, at[name]) for name in file.fixed}
        wrt_names = check_wrt(bound, wrt)
        slow = not vectorisable(compiled, {}, fixed)
        if slow and sys.stderr.isatty():
            why = ", ".join(compiled.mixing_ops) or "array values"
            sys.stderr.write(f"note: the program mixes the elements of arrays ({why}): one point at a time\n")
        size = chunk or DEFAULT_CHUNK
        size = min(size, SLOW_CHUNK) if slow else size
        shown = _wants_progress(output) if progress is None else progress
        bar = _Progress(shown, _size(points), file.label, console)
        stream = (compiled, file, chosen, bound, from_file, fixed, wrt_names, size, skip_bad, bar)
        try:
            # rows are acyclic lists, freed as they go: no need for the collector to scan them
            with _no_gc():
                if output is None:
                    _stream(*stream, sys.stdout, "")
                else:
                    from .outfile import atomic_output

                    inputs = [("--points", points), ("--file", program_file)]
                    with atomic_output(output, inputs, newline="") as out:
                        _stream(*stream, out, f"; {output} not written")
        finally:
            bar.stop()
    finally:
        file.close()


def _size(path: str) -> int | None:
    try:
        return os.path.getsize(path) if path != "-" and os.path.isfile(path) else None
    except OSError:
        return None


def _stream(
    compiled, file, chosen, bound, from_file, fixed, wrt, size, skip_bad, bar, out, unwritten
) -> None:
    """Every point's line to `out`; `unwritten` says what Ctrl-C leaves unwritten (an -o file)."""
    if chosen == "csv":
        writer: JsonlWriter | CsvWriter = CsvWriter(out, file, wrt)
    else:
        writer = JsonlWriter(out, file, bound, fixed, wrt)
    written, skipped, non_finite, last_line = 0, [], 0, 0
    try:
        for chunk in file.chunks(from_file, size, skip_bad):
            skipped += chunk.skipped
            results = evaluate_points(compiled, chunk.columns, fixed, wrt, len(chunk))
            if results.errors:
                results = _drop_failed(file, chunk, results, skip_bad, skipped)
            with _whole_rows(out is sys.stdout):
                writer.write(chunk, results)
                out.flush()
                written += len(chunk)
                last_line = chunk.lines[-1] if chunk.lines else last_line
            non_finite += _non_finite(results) if len(chunk) else 0
            bar.update(written, file.position())
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
        k, error = min(results.errors.items())
        raise GradcliError(
            f"line {chunk.lines[k]} of {file.label}: {error.message}",
            span=error.span,
            source=error.source,
            hint=error.hint,
            label=error.label,
        )
    skipped += [(chunk.lines[k], results.errors[k].message) for k in sorted(results.errors)]
    kept = [k for k in range(len(chunk)) if k not in results.errors]
    chunk.keep(kept)
    gradient = {name: [column[k] for k in kept] for name, column in results.gradient.items()}
    return Results([results.value[k] for k in kept], gradient)


def _summary(file: PointsFile, written: int, skipped: list[tuple[int, str]], non_finite: int) -> None:
    if skipped:
        listed = "; ".join(f"line {line}: {reason}" for line, reason in skipped[:_LISTED])
        more = f"; and {len(skipped) - _LISTED:,} more" if len(skipped) > _LISTED else ""
        plural = "s" if len(skipped) != 1 else ""
        sys.stderr.write(
            f"skipped {len(skipped):,} bad row{plural} of {file.label} "
            f"({written:,} points written): {listed}{more}\n"
        )
    elif written == 0:
        sys.stderr.write(f"warning: {file.label} has no points\n")
    if non_finite:
        sys.stderr.write(
            f"warning: {non_finite:,} point{'s have' if non_finite != 1 else ' has'} a non-finite value or "
            'gradient (written as "nan", "inf" or "-inf")\n'
        )
