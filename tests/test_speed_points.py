"""The fast paths of `eval --points` (gradcli/points/fast.py) give the careful paths' bytes.

Numbers are written by orjson instead of repr() and CSV blocks are read by orjson instead of
float() cell by cell: every test here runs both ways (fast.ENABLED on and off) and compares the
output byte for byte, or compares the fast functions with repr() and float() directly. No test
here times anything.
"""

from __future__ import annotations

import random
from decimal import Decimal, getcontext

import numpy as np
import pytest
from conftest import run_cli

from gradcli.points import fast

pytestmark = pytest.mark.skipif(not fast.ENABLED, reason="orjson is missing: only the careful paths run")

SIGMOID = "1/(1+exp(-(w0*x0+w1*x1+w2)))"


def _boundaries() -> np.ndarray:
    """Numbers at and beside every power of ten (where repr changes notation), their neighbours,
    subnormals, the largest and smallest, signed zeros."""
    powers = 10.0 ** np.arange(-30, 30)
    near = [np.nextafter(powers, 0), powers, np.nextafter(powers, np.inf)]
    values = np.concatenate([*near, 9.5 * powers, 0.99999 * powers])
    extremes = [0.0, -0.0, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 0.1, 1 / 3]
    values = np.concatenate([values, extremes])
    return np.concatenate([values, -values])


def _random_doubles(n: int, seed: int) -> np.ndarray:
    bits = np.random.default_rng(seed).integers(0, 2**64, size=n, dtype=np.uint64)
    values = bits.view(np.float64)
    return values[np.isfinite(values)]


@pytest.mark.parametrize("quoted", [False, True])
def test_number_texts_are_repr(quoted):
    short = np.round(np.random.default_rng(1).normal(size=20_000) * 1000, 3)
    for column in (_boundaries(), _random_doubles(200_000, 2), short, np.array([])):
        assert fast.number_texts(column, quoted) == list(map(repr, column.tolist()))


def test_non_finite_texts():
    column = np.array([1.0, np.nan, np.inf, -np.inf, -np.nan, 2e-5])
    assert fast.number_texts(column, quoted=False) == ["1.0", "nan", "inf", "-inf", "nan", "2e-05"]
    assert fast.number_texts(column, quoted=True) == ["1.0", '"nan"', '"inf"', '"-inf"', '"nan"', "2e-05"]


def test_other_columns_take_the_careful_path():
    assert fast.number_texts(np.arange(3), quoted=False) is None  # integers
    assert fast.number_texts(np.ones((2, 2)), quoted=False) is None  # arrays per point
    strided = np.arange(10.0)[::3]
    assert fast.number_texts(strided, quoted=False) == ["0.0", "3.0", "6.0", "9.0"]


def _cell_strings(seed: int) -> list[str]:
    """Number texts as people and programs write them: shortest repr, 17 and 25 digits,
    integers of every size, exact halfway points between two doubles (rounding to even)."""
    rng = random.Random(seed)
    doubles = _random_doubles(20_000, seed).tolist()
    cells = [repr(x) for x in doubles] + [f"{x:.17e}" for x in doubles[:3000]]
    cells += [f"{x:.25g}" for x in doubles[:3000]]
    getcontext().prec = 1200
    for x in doubles[:2000]:
        if x != 0:
            above = float(np.nextafter(x, np.inf))
            cells.append(format((Decimal(x) + Decimal(above)) / 2, "e"))
    for _ in range(5000):
        digits = str(rng.randint(1, 10 ** rng.randint(1, 30)))
        sign = "-" if rng.random() < 0.5 else ""
        fraction = f".{rng.randint(0, 10**8)}" if rng.random() < 0.5 else ""
        exponent = f"e{rng.randint(-330, 300)}" if rng.random() < 0.5 else ""
        cells.append(sign + digits + fraction + exponent)
    cells += ["0", "-0", "-0.0", "0e0", "-0e5", "18446744073709551615", "18446744073709551616"]
    cells += ["9007199254740993", "-9223372036854775809", "1E+05", " 7", "8 ", "\t-2.5\r", "1e-400"]
    return [cell for cell in cells if abs(float(cell)) < 1.7e308]  # 1e400 is float's inf: careful path


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.all(a.view(np.uint64) == b.view(np.uint64)))


def test_block_numbers_are_float_of_each_cell():
    cells = _cell_strings(3)
    cells = cells[: len(cells) // 4 * 4]
    block = [",".join(cells[i : i + 4]) + "\n" for i in range(0, len(cells), 4)]
    read = fast.csv_block(block, 4, {"a": 0, "b": 1, "c": 2, "d": 3})
    assert read is not None
    texts, columns = read
    assert texts == [line[:-1] for line in block]
    for name, j in {"a": 0, "b": 1, "c": 2, "d": 3}.items():
        expected = np.array([float(cell) for cell in cells[j::4]])
        assert _same_bits(columns[name], expected), name


def test_negative_zero_integer_keeps_its_sign():
    _, columns = fast.csv_block(["-0,0,5\n", "0,-0,-0\n"], 3, {"a": 0, "b": 1, "c": 2})
    assert [np.signbit(columns[n]).tolist() for n in "abc"] == [[True, False], [False, True], [False, True]]


@pytest.mark.parametrize(
    "cell",
    [
        "+1",
        ".5",
        "1.",
        "nan",
        "inf",
        "-inf",
        "1_0",
        "١",
        "",
        " ",
        "0x10",
        "true",
        "null",
        "--1",
        "00",
        "1e400",
    ],
)
def test_cells_json_does_not_read_take_the_careful_path(cell):
    assert fast.csv_block([f"1,{cell}\n", "2,3\n"], 2, {"a": 0, "b": 1}) is None
    assert fast.csv_block([f"1,{cell}\n", "2,3\n"], 2, {"a": 0}) is not None  # a column not read


def test_rows_of_other_widths_and_blank_lines_take_the_careful_path():
    index = {"a": 0, "b": 1}
    assert fast.csv_block(["1,2\n", "3\n", "4,5,6\n"], 2, index) is None  # same count of commas overall
    assert fast.csv_block(["1,2\n", "\n", "3,4\n"], 2, index) is None
    texts, columns = fast.csv_block(["1,2\r\n", "3,4"], 2, index)  # CRLF, no end on the last line
    assert (
        texts == ["1,2", "3,4"]
        and columns["a"].tolist() == [1.0, 3.0]
        and columns["b"].tolist() == [2.0, 4.0]
    )


def _both_ways(monkeypatch, *args: str) -> tuple:
    """The CLI's exit code, stdout and stderr with the fast paths on, then off."""
    runs = []
    for enabled in (True, False):
        monkeypatch.setattr(fast, "ENABLED", enabled)
        run = run_cli(*args)
        runs.append((run.code, run.out, run.err))
    return runs[0], runs[1]


FILES = {
    "plain": "w0,x0,w1,x1,w2\n1,2,3,4,5\n-0.5,1e-7,3.25,-0,2e300\n",
    "crlf, no last line end": "w0,x0,w1,x1,w2\r\n1,2,3,4,5\r\n0.25,-1,2,1e-5,7",
    "id column of words": "id,w0,x0,w1,x1,w2\nalpha,1,2,3,4,5\nbeta,0.5,0.25,-3,2,1\n",
    "numeric id, spaces in a cell": "n,w0,x0,w1,x1,w2\n17, 1 ,2,3,4,5\n18,0.5,0.25 ,-3,2,1\n",
    "blank lines": "w0,x0,w1,x1,w2\n1,2,3,4,5\n\n0.5,0.25,-3,2,1\n\n",
    "quoted cells": 'w0,x0,w1,x1,w2,note\n1,2,3,4,5,"a, b"\n0.5,0.25,-3,2,1,plain\n',
    "cells float reads but JSON does not": "w0,x0,w1,x1,w2\n+1,.5,1.,inf,-nan\n1e400,2,3,4,5\n",
    "tiny and huge results": "w0,x0,w1,x1,w2\n30,1,0,0,0\n-30,1,0,0,0\n1e-6,1e-6,0,0,0\n",
    "unicode and odd characters carried": "id,w0,x0,w1,x1,w2\nπ é\t'#,1,2,3,4,5\n\x0bx,1,1,1,1,1\n",
}


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
@pytest.mark.parametrize("name", list(FILES))
def test_cli_output_is_the_careful_paths(tmp_path, monkeypatch, name, fmt):
    path = tmp_path / "points.csv"
    path.write_bytes(FILES[name].encode())
    fast_run, careful = _both_ways(monkeypatch, "eval", SIGMOID, "--points", str(path), "--format", fmt)
    assert fast_run == careful
    assert fast_run[0] == 0, fast_run


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_many_chunks_with_a_fixed_value_and_wrt(tmp_path, monkeypatch, fmt):
    rng = np.random.default_rng(5)
    values = rng.normal(size=(3000, 4)) * 10.0 ** rng.integers(-12, 12, size=(3000, 4))
    lines = ["k,w0,x0,x1,w2"] + [f"{k}," + ",".join(map(repr, row)) for k, row in enumerate(values.tolist())]
    path = tmp_path / "points.csv"
    path.write_text("\n".join(lines) + "\n")
    args = ("eval", SIGMOID, "--points", str(path), "--at", "w1=-3", "--wrt", "w0,x1", "--format", fmt)
    fast_run, careful = _both_ways(monkeypatch, *args, "--chunk", "700")
    assert fast_run == careful and fast_run[0] == 0


@pytest.mark.parametrize(
    "row",
    ["1,2,3,4,abc", "1,2,3,4", "1,2,3,4,5,6", "1,2,3,4,", "1,2,3,4,١", "1,2,3,4,1_0", "1,2,3,4,[1]"],
)
@pytest.mark.parametrize("skip", [False, True])
def test_bad_rows_are_told_as_before(tmp_path, monkeypatch, row, skip):
    path = tmp_path / "points.csv"
    path.write_text("w0,x0,w1,x1,w2\n1,2,3,4,5\n" + row + "\n6,7,8,9,10\n")
    extra = ("--skip-bad",) if skip else ()
    fast_run, careful = _both_ways(monkeypatch, "eval", SIGMOID, "--points", str(path), *extra)
    assert fast_run == careful
    assert fast_run[0] == (0 if skip else 2)


def test_jsonl_input_with_carried_fields(tmp_path, monkeypatch):
    path = tmp_path / "points.jsonl"
    rows = [
        '{"id": "a\\u00e9", "w0": 1, "x0": 2.5, "w1": -3, "x1": 1e-5, "w2": 0, "tag": [1, 2]}',
        '{"id": "b", "w0": -0.0, "x0": 2, "w1": 3, "x1": 4, "w2": "nan", "tag": null}',
    ]
    path.write_text("\n".join(rows) + "\n")
    for fmt in ("jsonl", "csv"):
        fast_run, careful = _both_ways(monkeypatch, "eval", SIGMOID, "--points", str(path), "--format", fmt)
        assert fast_run == careful and fast_run[0] == 0


JSONL_LINES = [
    '{"w0": 1, "x0": 2.5, "w1": -3, "x1": 1e-5, "w2": 0}',
    '{"w0": -0, "x0": -0.0, "w1": 1E5, "x1": 12345678901234567890123, "w2": 0.1}',
    '{"id": 123456789012345678901234567890, "w0": 1, "x0": 2, "w1": 3, "x1": 4, "w2": 5}',
    '{"id": [1, {"deep": -98765432109876543210}], "w0": 1, "x0": 2, "w1": 3, "x1": 4, "w2": 5}',
    '{"id": 1e19, "w0": 1, "x0": 2, "w1": 3, "x1": 4, "w2": 5}',
    '{"id": "a\\u00e9\\ud83d\\ude00", "w0": 1, "x0": 2, "w1": 3, "x1": 4, "w2": 5, "id": "dup"}',
    '{"w0": NaN, "x0": Infinity, "w1": -Infinity, "x1": 4, "w2": 5}',
    '{"id": "\\ud800", "w0": 1, "x0": 2, "w1": 3, "x1": 4, "w2": 5}',
    '{"w0": 1e400, "x0": 2, "w1": 3, "x1": 4, "w2": 5}',
    '{"w0": "nan", "x0": "inf", "w1": "-inf", "x1": 4, "w2": 5}',
]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
@pytest.mark.parametrize("line", JSONL_LINES)
def test_jsonl_lines_read_as_json_reads_them(tmp_path, monkeypatch, line, fmt):
    path = tmp_path / "points.jsonl"
    first = '{"id": "first", "w0": 1, "x0": 2, "w1": 3, "x1": 4, "w2": 5}'
    path.write_text(f"{first}\n{line}\n{first}\n")
    fast_run, careful = _both_ways(monkeypatch, "eval", SIGMOID, "--points", str(path), "--format", fmt)
    assert fast_run == careful


@pytest.mark.parametrize(
    "line", ["[1, 2]", '{"w0": 1} {"w0": 2}', '{"w0": 1,}', '{"w0": }', "{", '{"w0": 1}x', '"text"']
)
def test_jsonl_bad_lines_are_told_as_before(tmp_path, monkeypatch, line):
    path = tmp_path / "points.jsonl"
    good = '{"w0": 1, "x0": 2, "w1": 3, "x1": 4, "w2": 5}'
    path.write_text(f"{good}\n{line}\n{good}\n")
    for extra in ((), ("--skip-bad",)):
        fast_run, careful = _both_ways(monkeypatch, "eval", SIGMOID, "--points", str(path), *extra)
        assert fast_run == careful
        assert fast_run[0] == (0 if extra else 2)


def test_jsonl_objects():
    assert fast.jsonl_objects(['{"a": 1, "b": [1.5, -0]}'], ["a"]) == [{"a": 1, "b": [1.5, 0]}]
    assert fast.jsonl_objects(['{"a": 123456789012345678901234567890}'], ["a"]) is not None  # a number read
    assert fast.jsonl_objects(['{"a": 1, "b": 123456789012345678901234567890}'], ["a"]) is None  # carried
    assert fast.jsonl_objects(['{"a": NaN}'], ["a"]) is None
    assert fast.jsonl_objects(["[1]"], ["a"]) is None


def test_points_from_standard_input(monkeypatch):
    text = "w0,x0,w1,x1,w2\r\n1,2,3,4,5\r\n-0.5,1e-7,3.25,-0,2e300\r\n"
    runs = []
    for enabled in (True, False):
        monkeypatch.setattr(fast, "ENABLED", enabled)
        run = run_cli("eval", SIGMOID, "--points", "-", "--format", "csv", stdin=text)
        runs.append((run.code, run.out, run.err))
    assert runs[0] == runs[1] and runs[0][0] == 0


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_descend_reads_its_data_as_before(tmp_path, monkeypatch, suffix):
    rng = np.random.default_rng(3)
    x1, x2, noise = rng.normal(size=(3, 300)).tolist()
    samples = [(a, b, 2 * a - b + 0.5 + 0.01 * e) for a, b, e in zip(x1, x2, noise, strict=True)]
    path = tmp_path / f"data.{suffix}"
    if suffix == "csv":
        rows = [f"s{k},{a!r},{b!r},{c!r}" for k, (a, b, c) in enumerate(samples)]
        path.write_text("id,x1,x2,y\n" + "\n".join(rows) + "\n")
    else:
        rows = [f'{{"x1": {a!r}, "x2": {b!r}, "y": {c!r}}}' for a, b, c in samples]
        path.write_text("\n".join(rows) + "\n")
    args = ("descend", "(w1*x1 + w2*x2 + b - y)^2", "--data", str(path), "--params", "w1=0,w2=0,b=0")
    fast_run, careful = _both_ways(monkeypatch, *args, "--batch", "32", "--epochs", "5", "--json")
    assert fast_run == careful and fast_run[0] == 0
