"""Values read from files: `--at W=@w.npy` (also `@p.npz:name`, `@w.json`, `@w.csv`) and
`--at-file params.json|params.npz` for many names at once.

Nothing in a file is ever run: `.npy`/`.npz` are read by numpy's format reader with pickles
refused (an object array is an error, never unpickled), JSON and CSV are read as text. Every
value becomes float64: integers and booleans are converted, complex numbers, strings, dates and
structured records are refused. A value has at most MAX_ELEMENTS elements (checked from the
.npy header before the data is read, so a small compressed .npz cannot unpack into gigabytes);
a .json or .csv file at most MAX_TEXT_BYTES. Errors name the file and, inside a text file, the
line and column.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .errors import GradcliError, Span
from .valuetext import NotNumbers, csv_array, json_array

MAX_ELEMENTS = 2**27  # one value: 1 GiB of float64
MAX_TEXT_BYTES = 2**26  # one .json or .csv file: 64 MiB of text (parsed into lists, it costs ~20x that)
KINDS = (".npy", ".npz", ".json", ".csv")
_KINDS_TEXT = ".npy, .npz (NAME.npz:ARRAY), .json or .csv"
_KEYED = re.compile(r"(?P<path>.+\.(?P<kind>npy|npz|json|csv)):(?P<key>[^:/\\]+)", re.IGNORECASE)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# --- opening files ---


def _opened(path: str) -> tuple[BinaryIO, int]:
    """The file, opened for reading, and its size; only regular files: a folder, a device or a
    pipe is refused (its kind is looked up before opening it, which would wait for a pipe's writer)."""
    import stat

    full = os.path.expanduser(path)
    try:
        if os.path.isdir(full):
            raise GradcliError(f"{path} is a folder, not a file")
        if not stat.S_ISREG(os.stat(full).st_mode):
            raise GradcliError(f"{path} is not a regular file", hint="save the values to a file first")
        file = open(full, "rb")  # noqa: SIM115  (closed by the caller)
    except FileNotFoundError:
        hint = "a relative path starts in the current folder"
        raise GradcliError(f"no such file: {path}", hint=hint) from None
    except OSError as error:
        raise GradcliError(f"cannot read {path}: {error.strerror or error}") from None
    return file, os.fstat(file.fileno()).st_size


def _text(path: str, label: str) -> str:
    file, size = _opened(path)
    with file:
        if size > MAX_TEXT_BYTES:
            raise GradcliError(
                f"{label} is {size:,} bytes; a .json or .csv value file may have at most "
                f"{MAX_TEXT_BYTES:,} (64 MiB)",
                hint="save big arrays with numpy.save (.npy) or numpy.savez (.npz)",
            )
        try:
            data = file.read()
        except OSError as error:
            raise GradcliError(f"cannot read {label}: {error.strerror or error}") from None
    try:
        return data.decode("utf-8-sig")  # -sig: a byte-order mark some editors write
    except UnicodeDecodeError:
        raise GradcliError(f"{label} is not UTF-8 text", hint="save the file as UTF-8") from None


def kind_of(path: str, label: str) -> str:
    """`.npy`, `.npz`, `.json` or `.csv`, from the file's extension."""
    kind = Path(path).suffix.lower()
    if kind not in KINDS:
        raise GradcliError(
            f"cannot tell what {label} holds from its extension {kind or '(none)'}",
            hint=f"values are read from {_KINDS_TEXT}",
        )
    return kind


# --- .npy and .npz ---


def _checked(dtype: np.dtype, shape: tuple[int, ...], label: str) -> None:
    """Refuse what is not a real number (before the data is read) and arrays over the limit."""
    problem = None
    if dtype.hasobject:
        problem = "holds Python objects (a pickle), which gradcli never loads"
    elif dtype.names is not None or dtype.kind == "V":
        problem = "holds structured records, not numbers"
    elif dtype.kind == "c":
        problem = "holds complex numbers; gradcli's values are real"
    elif dtype.kind in "SUa":
        problem = "holds strings, not numbers"
    elif dtype.kind not in "biuf":
        problem = f"holds values of type {dtype}, not numbers"
    if problem is not None:
        raise GradcliError(f"{label} {problem}", hint="save a float array: numpy.save(path, x.astype(float))")
    count = math.prod(shape)
    if count > MAX_ELEMENTS:
        raise GradcliError(
            f"{label} has {count:,} elements (shape {shape}); a value may have at most 2^27",
            hint=f"gradcli reads arrays of up to {MAX_ELEMENTS:,} elements (1 GiB of float64)",
        )


def _npy(file: BinaryIO, label: str) -> np.ndarray:
    """One .npy array (from a file or a .npz member), its header checked before its data is read."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(file)
        if version == (1, 0):
            shape, _, dtype = fmt.read_array_header_1_0(file)
        elif version == (2, 0):
            shape, _, dtype = fmt.read_array_header_2_0(file)
        else:  # 3.0 exists only for structured arrays with non-ASCII field names
            raise GradcliError(f"{label} holds structured records, not numbers")
    except (ValueError, EOFError) as error:
        raise GradcliError(
            f"{label} is not a .npy array ({error})", hint="write it with numpy.save(path, array)"
        ) from None
    _checked(dtype, shape, label)
    try:
        file.seek(0)
        array = fmt.read_array(file, allow_pickle=False)
    except (ValueError, EOFError, OSError) as error:
        raise GradcliError(f"{label} is damaged or cut short ({error})") from None
    return np.asarray(array, dtype=np.float64, order="C")  # 0-d stays 0-d (ascontiguousarray makes it 1-d)


def _npz(path: str, label: str, pick: Callable[[list[str]], list[str]]) -> dict[str, np.ndarray]:
    """The arrays of a .npz file that `pick` chooses from the names it holds, by name."""
    import zipfile

    file, _ = _opened(path)
    with file:
        try:
            archive = zipfile.ZipFile(file)
        except (zipfile.BadZipFile, OSError, EOFError):
            raise GradcliError(
                f"{label} is not a .npz file (a zip of .npy arrays)", hint="write it with numpy.savez"
            ) from None
        members = {name[:-4]: name for name in archive.namelist() if name.endswith(".npy")}
        arrays = {}
        for name in pick(list(members)):
            try:
                with archive.open(members[name]) as stream:
                    arrays[name] = _npy(stream, f"{label}:{name}")
            except (zipfile.BadZipFile, OSError, EOFError) as error:
                raise GradcliError(f"{label}:{name} is damaged ({error})") from None
        return arrays


# --- .json ---


def _json_document(path: str, label: str) -> object:
    """The JSON value of a file; a syntax error points at its line and column."""
    import json

    text = _text(path, label)

    def unique(pairs: list[tuple[str, object]]) -> dict:
        found = dict(pairs)
        if len(found) < len(pairs):
            seen: set[str] = set()
            twice = next(key for key, _ in pairs if key in seen or seen.add(key))
            raise GradcliError(f"{label} gives {twice!r} twice", hint="give each name once")
        return found

    try:
        return json.loads(text, object_pairs_hook=unique)
    except json.JSONDecodeError as error:
        span = Span(error.lineno, error.colno, error.pos, error.pos + 1)
        raise GradcliError(
            f"{label}: not valid JSON: {error.msg}",
            span=span,
            source=text,
            label=label,
            hint="a value is a number or nested lists of numbers ([[1, 2], [3, 4]]); --at-file "
            'reads an object of them ({"W": [[1, 2], [3, 4]], "b": 0.5})',
        ) from None
    except RecursionError:
        raise GradcliError(f"{label}: arrays nested too deeply") from None


def _json_value(value: object, subject: str) -> np.ndarray:
    try:
        return json_array(value)
    except NotNumbers as problem:
        raise GradcliError(
            problem.describe(subject),
            hint='a value is a number (nan, inf as the strings "nan", "inf") or nested lists of numbers',
        ) from None


# --- what --at and --at-file ask for ---


def split_spec(spec: str) -> tuple[str, str | None]:
    """`p.npz:W` -> ("p.npz", "W"); a file whose name has the colon itself is taken whole."""
    match = _KEYED.fullmatch(spec)
    if match is None or os.path.exists(os.path.expanduser(spec)):
        return spec, None
    return match["path"], match["key"]


def _pick(names: list[str], key: str | None, name: str, label: str, what: str) -> str:
    """The entry `key` of a .npz or a JSON object; without a key, the one named like the variable,
    or the only one."""
    if key is not None and key in names:
        return key
    if key is None and (name in names or len(names) == 1):
        return name if name in names else names[0]
    several = {"array": "arrays", "entry": "entries"}[what]
    if not names:
        raise GradcliError(f"{label} holds no {several}")
    listed = ", ".join(names[:20]) + (f" and {len(names) - 20:,} more" if len(names) > 20 else "")
    problem = f"has no {what} named {key!r}" if key is not None else f"holds {several}, none named {name!r}"
    raise GradcliError(f"{label} {problem}", hint=f"pick one with @{label}:NAME; it holds {listed}")


def read_value(spec: str, name: str) -> np.ndarray:
    """The value of `--at NAME=@spec`: `w.npy`, `p.npz` or `p.npz:ARRAY`, `w.json` (a number or
    nested lists; an object's entry by `:KEY`), `w.csv`. `~` is expanded; a relative path starts
    in the current folder. Without `:KEY`, a .npz or JSON object gives the entry named `name`, or
    its only one. Raises GradcliError, naming the file (by its name alone, inside it)."""
    path, key = split_spec(spec)
    label = os.path.basename(path) or path
    kind = kind_of(path, path)
    if key is not None and kind not in (".npz", ".json"):
        raise GradcliError(
            f"{path} holds one value: ':{key}' picks an array of a .npz or an entry of a JSON object",
            hint=f"write @{path}",
        )
    if kind == ".npy":
        file, _ = _opened(path)
        with file:
            return _npy(file, label)
    if kind == ".csv":
        return csv_array(_text(path, label), label)
    if kind == ".npz":
        arrays = _npz(path, label, lambda names: [_pick(names, key, name, path, "array")])
        return next(iter(arrays.values()))
    document = _json_document(path, label)
    if type(document) is dict:
        chosen = _pick(list(document), key, name, path, "entry")
        return _json_value(document[chosen], f"{label}:{chosen}")
    if key is not None:
        raise GradcliError(
            f"{path} holds one value, not a JSON object: ':{key}' picks nothing", hint=f"write @{path}"
        )
    return _json_value(document, label)


def read_values(path: str) -> dict[str, np.ndarray]:
    """The values of `--at-file path`: a JSON object of names and values, or every array of a
    .npz by its name. Raises GradcliError for a name that cannot be a variable's."""
    label = os.path.basename(path) or path
    kind = kind_of(path, path)
    if kind in (".npy", ".csv"):
        raise GradcliError(
            f"{path} holds one value without a name; --at-file reads a .json object or a .npz",
            hint=f"name it with --at NAME=@{path}",
        )
    if kind == ".npz":
        return _npz(path, label, lambda names: _variable_names(names, path))
    document = _json_document(path, label)
    if type(document) is not dict:
        raise GradcliError(
            f"{path} is not a JSON object of names and values",
            hint='write {"W": [[1, 2], [3, 4]], "b": 0.5}, or give one value with --at NAME=@' + path,
        )
    names = _variable_names(list(document), path)
    return {name: _json_value(document[name], f"{label}:{name}") for name in names}


def _variable_names(names: list[str], path: str) -> list[str]:
    for name in names:
        if not _IDENTIFIER.fullmatch(name):
            raise GradcliError(
                f"{path} gives a value named {name!r}, which cannot be a variable's name",
                hint=f"names are letters, digits and '_'; pick that value with --at NAME=@{path}:{name}",
            )
    return names
