"""Writing the values and gradients of many points: JSON Lines (one strict JSON object a point)
or CSV (the input's columns, then `value` and one `d_<name>` column per gradient)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from json.encoder import encode_basestring_ascii  # json.dumps of a str, without its overhead

import numpy as np

from ..errors import GradcliError
from ..numbers import plain
from .columns import Column
from .evaluate import Results
from .fast import interleave, number_texts
from .read import Chunk, PointsFile


def _json_numbers(column: Column) -> list[str]:
    """Each point's number (or array) as JSON text; non-finite numbers as the contract's strings."""
    if isinstance(column, np.ndarray) and column.ndim == 1:
        fast = number_texts(column, quoted=True)
        if fast is not None:
            return fast
        texts = list(map(repr, column.tolist()))
        finite = np.isfinite(column)
        if not finite.all():
            for i in np.flatnonzero(~finite):
                texts[i] = f'"{texts[i]}"'
        return texts
    return [json.dumps(plain(value), allow_nan=False) for value in column]


def _csv_numbers(column: Column) -> list[str]:
    if isinstance(column, np.ndarray) and column.ndim == 1:
        fast = number_texts(column, quoted=False)
        return list(map(repr, column.tolist())) if fast is None else fast  # nan, inf, -inf as such
    return [json.dumps(plain(value), allow_nan=False) for value in column]


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
        # Variables are identifiers: nothing to escape.
        at = ", ".join(f'"{name}": %s' for name in bound)
        grad = ", ".join(f'"{name}": %s' for name in wrt)
        # After the carried-through fields (_prefixes): the pieces between the numbers.
        self.pieces = ('"at": {' + at + '}, "value": %s, "gradient": {' + grad + "}}\n").split("%s")

    def _check(self, names: Iterable[str], line: int | None) -> None:
        clash = sorted(self.RESERVED.intersection(names))
        if clash:
            where = f"line {line} of {self.source.label}" if line else self.source.label
            raise GradcliError(
                f"{where} has a field named {clash[0]!r}, which the JSON Lines output uses for its own",
                hint="rename that column or field (the output has at, value and gradient)",
            )

    def _prefixes(self, chunk: Chunk) -> tuple[list[str], list[list[str]]]:
        """The carried-through fields of each point, the start of its JSON object: the pieces
        between them and their columns of JSON texts (see fast.interleave)."""
        if self.source.kind == "csv":
            if not self.carried:
                return ["{"], []
            rows = chunk.rows()
            pieces = ["{" + self.carried[0][0] + ": "]
            pieces += [f", {key}: " for key, _ in self.carried[1:]]
            pieces.append(", ")
            return pieces, [
                list(map(encode_basestring_ascii, [row[j] for row in rows])) for _, j in self.carried
            ]
        bound = set(self.bound)
        prefixes = []
        for obj, line in zip(chunk.rows(), chunk.lines, strict=True):
            if obj.keys() <= bound:  # nothing to carry (the usual case), found without a loop
                prefixes.append("")
                continue
            extra = {key: value for key, value in obj.items() if key not in bound}
            if not extra:
                prefixes.append("")
                continue
            self._check(extra, line)
            prefixes.append(json.dumps(extra)[1:-1] + ", ")
        return ["{", ""], [prefixes]

    def _at(self, chunk: Chunk, name: str, n: int) -> list[str]:
        if name not in chunk.columns:
            return [self.fixed_text[name]] * n
        return _json_numbers(chunk.columns[name])

    def write(self, chunk: Chunk, results: Results) -> None:
        """One line a point of the chunk."""
        n = len(chunk)
        at = [self._at(chunk, name, n) for name in self.bound]
        grads = [_json_numbers(results.gradient[name]) for name in self.wrt]
        pieces, prefixes = self._prefixes(chunk)
        pieces = [*pieces[:-1], pieces[-1] + self.pieces[0], *self.pieces[1:]]
        columns = [*prefixes, *at, _json_numbers(results.value), *grads]
        for text in interleave(pieces, columns, n):
            self.out.write(text)


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
            return chunk.rows()
        known = set(self.columns)
        rows = []
        for obj, line in zip(chunk.rows(), chunk.lines, strict=True):
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
        """One row a point of the chunk."""
        added = [_csv_numbers(results.value), *(_csv_numbers(results.gradient[name]) for name in self.wrt)]
        if chunk.texts is not None:
            # Rows read without quotes: csv would write their cells back as they were read (no
            # cell holds a comma, quote or line end), so the row is its text, then the numbers.
            pieces = ["", *[","] * len(added), "\n"]
            for text in interleave(pieces, [chunk.texts, *added], len(chunk)):
                self.out.write(text)
            return
        self.writer.writerows(map(list.__add__, self._cells(chunk), map(list, zip(*added, strict=True))))


def _cell(value) -> str:
    if value is None:
        return ""
    if type(value) is str:
        return value
    if type(value) is float:
        return repr(value)
    return json.dumps(value)
