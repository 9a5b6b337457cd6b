"""Values given by name, read whole: NAME=VALUE options (`descend --params`, `--predict`) and the
data columns of `descend --data` (inline NAME=[...] lists, a mapping of arrays, or a CSV / JSON
Lines file read by the points reader, as `eval --points` reads it).

Gradient descent needs finite numbers: an inf or nan in the data or a start value can only
"diverge at epoch 0", which would send the user to the learning rate, so it is named here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Union

import numpy as np

from ..binding import as_array, no_value_error
from ..errors import GradcliError
from ..ops import CONSTANTS
from ..values import AtValue, parse_at
from .columns import stacked
from .evaluate import DEFAULT_CHUNK, Evaluable
from .read import PointsFile, open_points

# NAME=VALUE options as the command line gives them (`w=1,b=0`, repeatable), or values by name.
Given = Union[str, Sequence[str], Mapping[str, object]]


def named_values(given: Given | None, label: str) -> dict[str, object]:
    """NAME=VALUE options read as `--at` reads them, their errors naming `label`; a mapping as it is."""
    if given is None:
        return {}
    if isinstance(given, Mapping):
        return dict(given)
    try:
        return dict(parse_at([given] if isinstance(given, str) else list(given)))
    except GradcliError as error:
        if error.label == "--at":
            error.label = label
        raise


def is_inline(specs: Sequence[str]) -> bool:
    """`x=[1,2,3],y=[2,4,6]` (and more --data options) rather than one file name."""
    if len(specs) != 1:
        return True
    spec = specs[0]
    return spec != "-" and "=" in spec and not os.path.isfile(spec)


def read_data(
    data: Given | None, wanted: set[str], skip_bad: bool = False
) -> tuple[dict[str, np.ndarray], str, bool]:
    """The data columns (samples along the first axis), where they came from, and whether they
    were given inline (every column named then is meant to be read).

    Inline data gives every column named; a file gives those of its columns in `wanted` (the
    others, an `id` say, are ignored)."""
    specs = [] if isinstance(data, Mapping) else [data] if isinstance(data, str) else list(data or [])
    if not data:
        raise GradcliError(
            "no data: give it with --data", hint="--data x=[1,2,3],y=[2,4,6]  or  --data data.csv"
        )
    if isinstance(data, Mapping) or is_inline(specs):
        return _inline_columns(named_values(data, "--data")), "--data", True
    file = open_points(specs[0])
    file.same_shape = True  # descend stacks the samples: one of another shape is a bad row, by line
    try:
        return _file_columns(file, wanted, skip_bad), file.label, False
    except UnicodeDecodeError:
        raise GradcliError(f"{file.label} is not UTF-8 text", hint="save the file as UTF-8") from None
    finally:
        file.close()


def _inline_columns(given: dict[str, object]) -> dict[str, np.ndarray]:
    columns = {}
    for name, value in given.items():
        array = np.asarray(as_array(name, value), dtype=np.float64)
        if array.ndim == 0:
            raise GradcliError(
                f"--data gives {name} one number, not one value per sample",
                hint=f"give a list, e.g. --data {name}=[1,2,3] (parameters go in --params)",
            )
        check_finite(array, lambda index, name=name: f"--data {name}{index_text(index)}")
        columns[name] = array
    lengths = {name: len(column) for name, column in columns.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{name}: {n}" for name, n in lengths.items())
        raise GradcliError(
            f"the --data columns have different numbers of samples ({listed})",
            hint="give every column one value per sample",
        )
    return columns


def _file_columns(file: PointsFile, wanted: set[str], skip_bad: bool) -> dict[str, np.ndarray]:
    needed = [name for name in file.columns if name in wanted]
    parts: dict[str, list[np.ndarray]] = {name: [] for name in needed}
    for chunk in file.chunks(needed, DEFAULT_CHUNK, skip_bad):
        for name in needed:
            column = stacked(chunk.columns[name], len(chunk))
            check_finite(column, lambda i, name=name, lines=chunk.lines: _where(file, lines, i, name))
            parts[name].append(column)
    columns = {}
    for name, pieces in parts.items():
        pieces = [piece for piece in pieces if len(piece)]
        try:
            columns[name] = np.concatenate(pieces) if pieces else np.zeros(0)
        except ValueError:
            raise GradcliError(
                f"the values of {name} in {file.label} do not all have the same shape"
            ) from None
    return columns


def start_params(given: Mapping[str, object], variables: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The parameters to learn and their start values (finite, and read by the loss)."""
    if not given:
        raise GradcliError(
            "no parameters to learn: name them with --params and their start values",
            hint=f"e.g. --params {variables[0] if variables else 'w'}=1",
        )
    for name, value in given.items():
        if name not in variables:
            typed = isinstance(value, AtValue)  # given on the command line: point at it
            raise GradcliError(
                f"--params names {name!r}, which the loss does not read",
                span=value.span if typed else None,
                source=value.text if typed else None,
                label="--params",
                hint=f"the loss reads {', '.join(variables) or 'no variables'}",
            )
    start = {name: np.array(as_array(name, value), dtype=np.float64) for name, value in given.items()}
    for name, value in start.items():
        where = lambda index, name=name: f"--params {name}{index_text(index)}"  # noqa: E731
        check_finite(value, where, hint="start from a finite value")
    return start


def check_data(
    loss: Evaluable, columns: Mapping[str, np.ndarray], where: str, start: Mapping, inline: bool
) -> None:
    """The data and the parameters give every name the loss reads, once; `where` names the data
    (`--data` or its file); data given `inline` must not give a name the loss does not read."""
    free = loss.names.free
    for name in columns:
        if name in start:
            raise GradcliError(
                f"{name!r} is both a parameter (--params) and a column of the data ({where})",
                hint=f"learn {name} or read it from the data, not both: drop it from one of them",
            )
        if inline and name not in free:
            raise GradcliError(
                f"--data gives {name!r}, but the loss does not read it",
                hint=f"the loss reads {', '.join(loss.variables)}",
            )
    missing = [name for name in free if name not in CONSTANTS and name not in columns and name not in start]
    if missing:
        if inline:
            hint = (
                "give " + ", ".join(missing) + " in --data (one value per sample), or learn it with --params"
            )
        else:
            hint = f"add a column {missing[0]} to {where}, or learn it with --params {missing[0]}=0"
        raise no_value_error(missing, loss.names, loss.source, hint)
    if not columns:
        raise GradcliError(
            "the loss reads no data: every variable is a parameter",
            hint="give the data's names in --data, e.g. --data x=[1,2,3],y=[2,4,6]",
        )
    if len(next(iter(columns.values()))) == 0:
        raise GradcliError(f"no samples: {where} gives no data", hint="give at least one sample")


def index_text(index: tuple[int, ...]) -> str:
    """`[1, 2]` for an element of an array, nothing for a number."""
    return f"[{', '.join(map(str, index))}]" if index else ""


def _where(file: PointsFile, lines: list[int], index: tuple[int, ...], name: str) -> str:
    """`line 3 of data.csv: x` (`x[1]` for an element of an array value)."""
    return f"line {lines[index[0]]} of {file.label}: {name}{index_text(index[1:])}"


def non_finite_text(value) -> str:
    """How the first element of `value` that is not finite prints: nan, inf or -inf."""
    array = np.asarray(value, dtype=float).ravel()
    bad = array[~np.isfinite(array)]
    if not len(bad):
        return "finite"
    return "nan" if np.isnan(bad[0]) else ("inf" if bad[0] > 0 else "-inf")


def check_finite(value, what: Callable[[tuple[int, ...]], str], hint: str | None = None) -> None:
    """An error naming the first element that is inf or nan (`what(index)` says where it is)."""
    array = np.asarray(value, dtype=np.float64)
    bad = np.argwhere(~np.isfinite(array))
    if len(bad):
        index = tuple(int(i) for i in bad[0])
        raise GradcliError(
            f"{what(index)} is {non_finite_text(array[index])}: gradient descent needs finite numbers",
            hint=hint or "fix or drop that value",
        )
