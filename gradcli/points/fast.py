"""Numbers to and from text at I/O speed, for points files: the same texts and the same float64
values as the careful paths (`repr` of each number; `float` of each cell), at a fraction of
their cost, or None when a block needs the careful path (which also names what is wrong).

Both sides use orjson. Its writer and Python's `repr` give the same shortest round-trip digits,
and the same text except for 1e-10 <= |x| < 1e-4 (`1e-05` in Python, `0.00001` or `1e-5` in
orjson): those numbers, and inf and nan (JSON's null to orjson), are written by `repr`. Its
reader rounds correctly, as `float` does, and reads a subset of what `float` reads (no `+1`,
`.5`, `1.`, `inf`, `1_0`), so a cell it reads has the value `float` gives; anything else sends
the block to the careful path. A probe at import checks that the installed orjson still writes
numbers as `repr` does; if it does not, or orjson is missing, every block takes the careful path.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency; the careful paths need nothing
    orjson = None

_DUMP_OPTION = getattr(orjson, "OPT_SERIALIZE_NUMPY", 0)
_TINY_LOW, _TINY_HIGH = 1e-10, 1e-4  # where orjson's text differs from repr's (written by repr)

# What comma-separated JSON numbers may hold: anything else (a letter, a quote, a bracket) is not
# part of a JSON number, so a text holding only these characters parses to numbers or fails.
_NUMBER_BYTES = b"0123456789+-.eE,\t\r "


def _texts(column: np.ndarray) -> list[str]:
    """orjson's text of each element of a 1-D float64 array (non-finite ones as `null`)."""
    if not len(column):
        return []
    dumped = orjson.dumps(np.ascontiguousarray(column), option=_DUMP_OPTION)
    return dumped.decode("ascii")[1:-1].split(",")


def _probe() -> bool:
    """Whether orjson writes these numbers exactly as repr does (outside the range repr writes)."""
    if orjson is None:
        return False
    small = [
        0.0,
        -0.0,
        0.1,
        -1.5,
        1e-4,
        0.00012345,
        9.999999999999999e-11,
        9e-11,
        5e-324,
        2.2250738585072014e-308,
    ]
    big = [1e15, 9999999999999998.0, 1e16, 1.2345678901234568e17, 1e22, 1.7976931348623157e308, 123456.789]
    probe = np.array([*small, *big])
    try:
        return _texts(probe) == list(map(repr, probe.tolist()))
    except (TypeError, ValueError, orjson.JSONEncodeError):
        return False


ENABLED = _probe()


def number_texts(column: np.ndarray, quoted: bool) -> list[str] | None:
    """`repr` of each number of a 1-D float64 array, as one string each; inf, -inf and nan as
    `repr` writes them, or `quoted` ("nan", as JSON strings). None: not a 1-D float64 array."""
    if not ENABLED or column.dtype != np.float64 or column.ndim != 1:
        return None
    texts = _texts(column)
    magnitude = np.abs(column)
    with np.errstate(invalid="ignore"):
        redo = ~np.isfinite(column) | ((magnitude >= _TINY_LOW) & (magnitude < _TINY_HIGH))
    if redo.any():
        indices = np.flatnonzero(redo)
        for i, value in zip(indices.tolist(), column[indices].tolist(), strict=True):
            text = repr(value)
            texts[i] = f'"{text}"' if quoted and text[-1] in "nf" else text
    return texts


def interleave(pieces: list[str], columns: list[list[str]], n: int, rows: int = 8192) -> Iterator[str]:
    """n rows, row i = pieces[0] + columns[0][i] + pieces[1] + ... + columns[-1][i] + pieces[-1],
    `rows` rows a string: joins over a list filled by slice, no Python work per row. (Strings of
    a few MB stay in the caches; one of a whole chunk was 2.5 times slower to make and write.)"""
    width = 2 * len(columns) + 1
    parts = [pieces[0]] * (n * width)
    for j, column in enumerate(columns):
        parts[2 * j + 1 :: width] = column
        parts[2 * j + 2 :: width] = [pieces[j + 1]] * n
    step = rows * width
    for start in range(0, len(parts), step):
        yield "".join(parts[start : start + step])


def _numbers(joined: str, count: int) -> np.ndarray | None:
    """The `count` comma-separated numbers of `joined` (JSON numbers only), else None."""
    if joined.encode().translate(None, _NUMBER_BYTES):
        return None  # a letter, a quote, a bracket: not JSON numbers
    try:
        values = orjson.loads("[" + joined + "]")
    except orjson.JSONDecodeError:
        return None
    if len(values) != count:
        return None
    array = np.fromiter(values, np.float64, count)
    zeros = [i for i in np.flatnonzero(array == 0).tolist() if type(values[i]) is int]
    if zeros:  # JSON's -0 is the integer 0, where float("-0") is -0.0
        cells = joined.split(",")
        for i in zeros:
            array[i] = -0.0 if cells[i].strip().startswith("-") else 0.0
    return array


def csv_block(block: list[str], width: int, index: dict[str, int]) -> tuple[list[str], dict] | None:
    """A block of CSV lines without quotes: each line's text (no line end) and the `index`ed
    columns' values; None when any cell needs the careful path (a blank line, a row of another
    width, a cell that is not a JSON number)."""
    if not ENABLED or not block:
        return None
    text = "".join(block)
    if "\r" in text:
        texts = [line.rstrip("\r\n") for line in block]
        body = "\n".join(texts)
    else:
        body = text[:-1] if text.endswith("\n") else text
        texts = body.split("\n")
    n = len(texts)
    if n != len(block) or "" in texts:
        return None
    if not _widths_agree(body, n, width):
        return None
    columns: dict[str, np.ndarray] = {}
    if set(index.values()) == set(range(width)):
        flat = _numbers(body.replace("\n", ","), n * width)
        if flat is not None:
            table = flat.reshape(n, width)
            return texts, {name: np.ascontiguousarray(table[:, j]) for name, j in index.items()}
    rows = [line.split(",") for line in texts]
    for name, j in index.items():
        column = _numbers(",".join([row[j] for row in rows]), n)
        if column is None:
            return None
        columns[name] = column
    return texts, columns


def jsonl_objects(texts: list[str], needed: list[str]) -> list[dict] | None:
    """Each text's JSON object as json.loads reads it, or None when any needs the careful path:
    one that is not an object, or not JSON (orjson and json refuse the same texts, but json reads
    NaN, Infinity and lone surrogates). An integer beyond 64 bits is a float to orjson, an int to
    json: the same value, but printed otherwise where a writer copies the field, so a field
    holding a float that big takes the careful path too (the `needed` ones, read into columns,
    are checked there at once: `huge`)."""
    if not ENABLED:
        return None
    loads = orjson.loads
    try:
        objects = [loads(text) for text in texts]
    except orjson.JSONDecodeError:
        return None
    if not all(type(value) is dict for value in objects):
        return None
    read = set(needed)
    for value in objects:
        if not value.keys() <= read and _huge_float([v for k, v in value.items() if k not in read]):
            return None
    return objects


def huge(column: np.ndarray | list) -> bool:
    """Whether a column of numbers (or of arrays, one a point) holds one of 2^63 or more in
    magnitude: maybe an integer beyond 64 bits, which json reads as an int (see jsonl_objects)."""
    arrays = [column] if isinstance(column, np.ndarray) else column
    with np.errstate(invalid="ignore"):
        return any(bool(np.any(np.abs(np.asarray(array, dtype=np.float64)) >= 2.0**63)) for array in arrays)


def _huge_float(values: list) -> bool:
    """Whether nested lists and objects hold a float of 2^63 or more in magnitude."""
    stack = list(values)
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is float and abs(value) >= 2.0**63:
            return True
        if kind is list:
            stack.extend(value)
        elif kind is dict:
            stack.extend(value.values())
    return False


def _widths_agree(body: str, n: int, width: int) -> bool:
    """Every one of the n lines of `body` has width - 1 commas."""
    data = np.frombuffer(body.encode(), np.uint8)
    commas = np.flatnonzero(data == 44)
    if len(commas) != n * (width - 1):
        return False
    if width == 1 or n == 1:
        return True
    ends = np.flatnonzero(data == 10)  # the n - 1 line ends between the lines
    per_line = np.diff(np.searchsorted(commas, ends), prepend=0, append=len(commas))
    return bool(np.all(per_line == width - 1))
