"""`gradcli eval SOURCE --points FILE`: many points in one vectorised pass, CSV and JSON Lines."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import run_cli, run_process

import gradcli
from gradcli.cli.points_run import run_points
from gradcli.compiled import pointwise
from gradcli.ops import OPS, partial_of

SIGMOID = "1/(1+exp(-(w0*x0+w1*x1+w2)))"  # seed 004
# Most elementwise ops at once, with a rebinding and a kink-free random domain.
MIXED = (
    "y = tanh(a*b) + max(a, c) - relu(b)*log(1 + c^2) + a/b; "
    "y = sigmoid(y) * softplus(c) + abs(a)^1.5 + sqrt(exp(b)); y - sin(a)*cos(c) + atan(b) - min(a, 2)"
)
N = 10_000


def _strict_json(line: str):
    def refuse(constant):
        raise AssertionError(f"non-strict JSON constant {constant} in {line!r}")

    return json.loads(line, parse_constant=refuse)


def _write_points(tmp_path, source: str, n: int = N, seed: int = 7):
    """The same n points as CSV (with an id column carried through) and as JSON Lines."""
    variables = gradcli.compile(source).variables
    rng = np.random.default_rng(seed)
    values = {name: rng.normal(size=n) for name in variables}
    ids = [f"p{k}" for k in range(n)]
    csv_path, jsonl_path = tmp_path / "points.csv", tmp_path / "points.jsonl"
    with open(csv_path, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", *variables])
        writer.writerows([ids[k], *(repr(float(values[v][k])) for v in variables)] for k in range(n))
    with open(jsonl_path, "w") as out:
        for k in range(n):
            out.write(json.dumps({"id": ids[k], **{v: float(values[v][k]) for v in variables}}) + "\n")
    return values, ids, csv_path, jsonl_path


def _single_points(source, values, ids):
    """One evaluation at each point, as `eval` does it (its engine, parsed once)."""
    compiled = gradcli.compile(source)
    expected = []
    for k in range(len(ids)):
        single = compiled({name: column[k] for name, column in values.items()}, record_steps=False)
        gradient = {name: float(g) for name, g in single.gradient.items()}
        expected.append({"id": ids[k], "value": float(single.value), "gradient": gradient})
    return expected


def _check_against_single_points(expected, records):
    """Every point agrees, to the last bit, with one evaluation at that point, in order."""
    assert len(records) == len(expected)
    for record, single in zip(records, expected, strict=True):
        assert record["id"] == single["id"]
        assert record["value"] == single["value"]
        assert record["gradient"] == single["gradient"]
        assert list(record["gradient"]) == list(single["gradient"])


@pytest.mark.parametrize("source", [SIGMOID, MIXED], ids=["sigmoid", "mixed"])
def test_ten_thousand_points_agree_with_eval_at_each_point(tmp_path, source):
    values, ids, csv_path, jsonl_path = _write_points(tmp_path, source)

    from_csv = run_cli("eval", source, "--points", str(csv_path))
    assert from_csv.code == 0, from_csv.err
    records = [_strict_json(line) for line in from_csv.out.splitlines()]
    expected = _single_points(source, values, ids)
    _check_against_single_points(expected, records)
    for k in (0, 4321, N - 1):
        assert records[k]["at"] == {name: float(values[name][k]) for name in values}

    from_jsonl = run_cli("eval", source, "--points", str(jsonl_path), "--format", "csv")
    assert from_jsonl.code == 0, from_jsonl.err
    rows = list(csv.DictReader(io.StringIO(from_jsonl.out)))
    converted = [
        {
            "id": row["id"],
            "value": float(row["value"]),
            "gradient": {name: float(row[f"d_{name}"]) for name in values},
        }
        for row in rows
    ]
    _check_against_single_points(expected, converted)
    # JSON Lines in, JSON Lines out: the same lines as from the CSV file (up to how `at` is written).
    same = run_cli("eval", source, "--points", str(jsonl_path))
    assert [{k: v for k, v in _strict_json(line).items() if k != "at"} for line in same.out.splitlines()] == [
        {k: v for k, v in r.items() if k != "at"} for r in records
    ]


def test_points_agree_with_the_eval_command(tmp_path):
    """A sample of the points, each through the real `eval --json` at that point."""
    values, _, csv_path, _ = _write_points(tmp_path, SIGMOID, n=300, seed=3)
    lines = run_cli("eval", SIGMOID, "--points", str(csv_path)).out.splitlines()
    for k in range(0, 300, 30):
        at = ",".join(f"{name}={float(values[name][k])!r}" for name in values)
        single = run_cli("eval", SIGMOID, "--at", at, "--json", "--brief")
        assert single.code == 0, single.err
        expected = single.json()
        record = _strict_json(lines[k])
        assert record["value"] == expected["value"]
        assert record["gradient"] == expected["gradient"]


def test_csv_output_carries_input_columns_unchanged(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text('id,w0,x0,w1,x1,w2,note\nseed,2,-1,-3,-2,-3,the seed\'s point\nb,1.50,0,0,0,0,"a, b"\n')
    result = run_cli("eval", SIGMOID, "--points", str(path), "--format", "csv")
    assert result.code == 0, result.err
    rows = list(csv.reader(io.StringIO(result.out)))
    assert rows[0] == [
        "id",
        "w0",
        "x0",
        "w1",
        "x1",
        "w2",
        "note",
        "value",
        *(f"d_{v}" for v in ["w0", "x0", "w1", "x1", "w2"]),
    ]
    assert rows[1][:7] == ["seed", "2", "-1", "-3", "-2", "-3", "the seed's point"]
    assert rows[2][:7] == ["b", "1.50", "0", "0", "0", "0", "a, b"]
    assert [round(float(c), 4) for c in rows[1][7:]] == [0.7311, -0.1966, 0.3932, -0.3932, -0.5898, 0.1966]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_chunked_and_unchunked_output_are_identical(tmp_path, kind, fmt):
    _, _, csv_path, jsonl_path = _write_points(tmp_path, MIXED, n=1000, seed=11)
    path = str(csv_path if kind == "csv" else jsonl_path)
    whole = run_cli("eval", MIXED, "--points", path, "--format", fmt, "--chunk", "100000")
    assert whole.code == 0, whole.err
    for size in ("1", "7", "333"):
        chunked = run_cli("eval", MIXED, "--points", path, "--format", fmt, "--chunk", size)
        assert chunked.code == 0, chunked.err
        assert chunked.out == whole.out


def test_at_fixes_what_the_file_does_not_give(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("x0,x1\n-1,-2\n1,1\n")
    result = run_cli("eval", SIGMOID, "--points", str(path), "--at", "w0=2,w1=-3", "--at", "w2=-3")
    assert result.code == 0, result.err
    first = _strict_json(result.out.splitlines()[0])
    assert first["at"] == {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}
    assert round(first["gradient"]["x1"], 4) == -0.5898
    only = run_cli(
        "eval", SIGMOID, "--points", str(path), "--at", "w0=2,w1=-3,w2=-3", "--wrt", "x0", "-F", "csv"
    )
    assert only.out.splitlines()[0] == "x0,x1,value,d_x0"


@pytest.mark.parametrize("chunk", ["1", "2", "3", "100"])
def test_quoted_fields_may_hold_commas_and_new_lines(tmp_path, chunk):
    path = tmp_path / "q.csv"
    path.write_text(
        "id,x,note\n"  # line 1
        'a,1,"one, two"\n'  # 2
        'b,2,"three\nfour"\n'  # 3-4
        '"c",3,plain\n'  # 5
        'd,4,"five\n\nsix, ""seven"""\n'  # 6-8
        "e,x,bad\n"  # 9
        "f,6,\n"  # 10
    )
    result = run_cli("eval", "2*x", "--points", str(path), "--chunk", chunk, "-F", "csv", "--skip-bad")
    assert result.code == 0, result.err
    rows = list(csv.reader(io.StringIO(result.out)))
    assert rows == [
        ["id", "x", "note", "value", "d_x"],
        ["a", "1", "one, two", "2.0", "2.0"],
        ["b", "2", "three\nfour", "4.0", "2.0"],
        ["c", "3", "plain", "6.0", "2.0"],
        ["d", "4", 'five\n\nsix, "seven"', "8.0", "2.0"],
        ["f", "6", "", "12.0", "2.0"],
    ]
    assert "line 9: x is not a number: 'x'" in result.err
    jsonl = run_cli("eval", "2*x", "--points", str(path), "--chunk", chunk, "--skip-bad")
    assert [_strict_json(line)["note"] for line in jsonl.out.splitlines()][3] == 'five\n\nsix, "seven"'


def _bad_csv(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "x,y,id\n"  # line 1
        "1,2,a\n"  # 2
        "3,abc,b\n"  # 3: not a number
        "5,6,c\n"  # 4
        ",8,d\n"  # 5: missing
        "\n"  # 6: blank, not a point
        "9,10\n"  # 7: too few fields
        "11,12,e\n"  # 8
    )
    return path


def test_a_bad_row_is_an_error_naming_its_line(tmp_path):
    result = run_cli("eval", "x*y", "--points", str(_bad_csv(tmp_path)))
    assert result.code == 2
    assert "line 3 of bad.csv: y is not a number: 'abc'" in result.err
    assert "   | 3,abc,b\n   |   ^^^" in result.err
    assert "--skip-bad" in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize("chunk", ["1", "2", "65536"])
def test_skip_bad_skips_and_counts_bad_rows(tmp_path, chunk):
    result = run_cli("eval", "x*y", "--points", str(_bad_csv(tmp_path)), "--skip-bad", "--chunk", chunk)
    assert result.code == 0, result.err
    records = [_strict_json(line) for line in result.out.splitlines()]
    assert [r["id"] for r in records] == ["a", "c", "e"]
    assert [r["value"] for r in records] == [2.0, 30.0, 132.0]
    assert "skipped 3 bad rows of bad.csv (3 points written)" in result.err
    assert "line 3: y is not a number: 'abc'" in result.err
    assert "line 5: no value for x" in result.err
    assert "line 7: the row has 2 fields, the header 3" in result.err


def test_bad_json_lines_are_reported_by_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"x": 1, "y": 2}\n'  # 1
        '{"x": true, "y": 2}\n'  # 2: not a number
        "\n"  # 3: blank
        '{"x": 1 "y": 2}\n'  # 4: not JSON
        '{"y": 3}\n'  # 5: missing
        "[1, 2]\n"  # 6: not an object
        '{"x": "inf", "y": null}\n'  # 7: null is no value
        '{"x": "-inf", "y": 2, "id": [1, {"k": "v"}]}\n'  # 8: fine, and carries its id
    )
    result = run_cli("eval", "x*y", "--points", str(path))
    assert result.code == 2
    assert "line 2 of bad.jsonl: x is not a number: true" in result.err
    skipped = run_cli("eval", "x*y", "--points", str(path), "--skip-bad", "--chunk", "2")
    assert skipped.code == 0, skipped.err
    records = [_strict_json(line) for line in skipped.out.splitlines()]
    assert records == [
        {"at": {"x": 1.0, "y": 2.0}, "value": 2.0, "gradient": {"x": 2.0, "y": 1.0}},
        {
            "id": [1, {"k": "v"}],
            "at": {"x": "-inf", "y": 2.0},
            "value": "-inf",
            "gradient": {"x": 2.0, "y": "-inf"},
        },
    ]
    assert "skipped 5 bad rows of bad.jsonl (2 points written)" in skipped.err
    for line in ("line 2:", "line 4: not valid JSON", "line 5: no value for x", "line 6: not a JSON object"):
        assert line in skipped.err
    assert "and 0 more" not in skipped.err
    assert 'written as "nan", "inf" or "-inf"' in skipped.err


def test_points_from_standard_input_and_the_installed_script(tmp_path):
    result = run_process("eval", "x*y", "--points", "-", "--format", "csv", stdin="x,y\n1,2\n3,4\n")
    assert result.code == 0, result.err
    assert result.out == "x,y,value,d_x,d_y\n1,2,2.0,2.0,1.0\n3,4,12.0,4.0,3.0\n"
    output = tmp_path / "out.jsonl"
    written = run_process(
        "eval", "-f", str(_program(tmp_path)), "--points", "-", "-o", str(output), stdin="x,y\n1,2\n"
    )
    assert written.code == 0, written.err
    assert written.out == ""
    assert _strict_json(output.read_text()) == {
        "at": {"x": 1, "y": 2},
        "value": 2.0,
        "gradient": {"x": 2.0, "y": 1.0},
    }


def _program(tmp_path):
    path = tmp_path / "program.txt"
    path.write_text("x*y\n")
    return path


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["-", "--points", "-"], "x*y", "SOURCE and --points cannot both read standard input"),
        (["x*y", "--at", "x=1,y=2", "--format", "jsonl"], None, "--format jsonl goes with --points"),
        (["x*y", "--at", "x=1,y=2", "-F", "csv"], None, "--format csv goes with --points"),
        (["x*y", "--at", "x=1,y=2", "--skip-bad"], None, "--skip-bad goes with --points"),
        (["x*y", "--points", "{p}", "--format", "json"], None, "--points writes jsonl or csv, not json"),
        (["x*y", "--points", "{p}", "--json"], None, "--json does not go with --points"),
        (
            ["x*y", "--points", "{p}", "-o", "{tmp}/out.txt"],
            None,
            "cannot tell the format from the file name",
        ),
        (["x*y*z", "--points", "{p}"], None, "no value for z"),
        (
            ["x*y", "--points", "{p}", "--at", "x=1"],
            None,
            "'x' is given both by --at and by a column of p.csv",
        ),
        (
            ["x*y", "--points", "{p}", "--at", "q=1"],
            None,
            "a value is given for 'q', but the program does not read",
        ),
        (["x*y", "--points", "{p}", "--wrt", "q"], None, "--wrt names 'q', which is not a variable"),
        (["x*y", "--points", "{tmp}/missing.csv"], None, "no such file"),
        (["x*y", "--points", "{tmp}/empty.csv"], None, "empty.csv is empty"),
        (["x*y", "--points", "{tmp}/twice.csv"], None, "names the column 'x' twice"),
        (["x*y", "--points", "{tmp}/value.csv", "-F", "csv"], None, "has a column named 'value'"),
        (["x*y", "--points", "{tmp}/at.jsonl"], None, "has a field named 'at'"),
        (["x*y", "--points", "{p}", "--chunk", "0"], None, "0"),
        (["x*y", "--points", "{tmp}/latin.csv"], None, "latin.csv is not UTF-8 text"),
    ],
)
def test_usage_errors_exit_2(tmp_path, args, stdin, message):
    (tmp_path / "p.csv").write_text("x,y\n1,2\n")
    (tmp_path / "empty.csv").write_text("\n\n")
    (tmp_path / "twice.csv").write_text("x,x,y\n1,2,3\n")
    (tmp_path / "value.csv").write_text("x,y,value\n1,2,3\n")
    (tmp_path / "at.jsonl").write_text('{"x": 1, "y": 2, "at": 3}\n')
    (tmp_path / "latin.csv").write_bytes("x,y\n1,2\nr\u00e9sum\u00e9,3\n".encode("latin-1"))
    args = [a.format(p=tmp_path / "p.csv", tmp=tmp_path) for a in args]
    result = run_cli("eval", *args, stdin=stdin)
    assert result.code == 2, result.out
    assert message in result.err
    assert "Traceback" not in result.err


def test_output_file_format_from_its_extension(tmp_path):
    (tmp_path / "p.csv").write_text("x,y\n1,2\n")
    result = run_cli("eval", "x*y", "--points", str(tmp_path / "p.csv"), "-o", str(tmp_path / "out.csv"))
    assert result.code == 0, result.err
    assert (tmp_path / "out.csv").read_text() == "x,y,value,d_x,d_y\n1,2,2.0,2.0,1.0\n"


def test_a_header_only_file_has_no_points(tmp_path):
    (tmp_path / "p.csv").write_text("x,y\n")
    result = run_cli("eval", "x*y", "--points", str(tmp_path / "p.csv"), "-F", "csv")
    assert result.code == 0
    assert result.out == "x,y,value,d_x,d_y\n"
    assert "has no points" in result.err


@pytest.mark.parametrize(
    ("source", "lines"),
    [
        ("k*sum(x^2)", ['{"x": [1, 2, 3], "k": 2}', '{"x": [0, 0, 5], "k": 1}', '{"x": [1], "k": 3}']),
        ("sum([a, b] * [a, 2])", ['{"a": 1, "b": 2}', '{"a": -3, "b": 0.5}']),
        ("[a, b] * a", ['{"a": 1, "b": 2}', '{"a": -3, "b": 0.5}']),  # an array output: Jacobians
    ],
)
def test_programs_that_mix_elements_are_evaluated_point_by_point(tmp_path, source, lines):
    path = tmp_path / "p.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = run_cli("eval", source, "--points", str(path))
    assert result.code == 0, result.err
    for line, out in zip(lines, result.out.splitlines(), strict=True):
        single = gradcli.evaluate(source, json.loads(line), record_steps=False)
        record = _strict_json(out)
        assert record["value"] == np.asarray(single.value).tolist()
        assert record["gradient"] == {k: np.asarray(g).tolist() for k, g in single.gradient.items()}


def test_array_values_that_do_not_fit_are_bad_rows(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"x": [1, 2, 3]}\n{"x": [1, 2]}\n{"x": [0, 1, 0]}\n')
    result = run_cli("eval", "dot(w, x)", "--points", str(path), "--at", "w=[1,2,3]")
    assert result.code == 2
    assert "line 2 of p.jsonl: shapes (3,) and (2,) do not fit in 'dot'" in result.err
    skipped = run_cli("eval", "dot(w, x)", "--points", str(path), "--at", "w=[1,2,3]", "--skip-bad")
    assert [_strict_json(line)["value"] for line in skipped.out.splitlines()] == [14.0, 2.0]
    assert "skipped 1 bad row of p.jsonl" in skipped.err


def test_the_pointwise_ops_work_on_each_element_alone():
    """The batch axis is only safe through ops that never mix elements: check each one the
    table calls pointwise, forward and partials, on a vector against element by element."""
    rng = np.random.default_rng(0)
    found = set()
    for op in OPS.values():
        if not pointwise(op):
            continue
        found.add(op.name)
        low, high = op.domain
        args = [rng.uniform(low, high, size=5) for _ in range(op.arity)]
        out = op.forward(*args)
        for k in range(5):
            assert np.array_equal(op.forward(*(a[k] for a in args)), out[k]), op.name
        for index in range(op.arity):
            local = partial_of(op, index).local
            whole = np.broadcast_to(local(*args, out), (5,))
            for k in range(5):
                assert np.array_equal(local(*(a[k] for a in args), out[k]), whole[k]), op.name
    assert {"add", "mul", "div", "pow", "exp", "sigmoid", "relu", "max", "min"} <= found
    assert not found & {
        "sum",
        "mean",
        "amax",
        "norm",
        "dot",
        "matmul",
        "softmax",
        "logsumexp",
        "index",
        "stack",
    }


def test_progress_bar_goes_to_stderr_and_leaves_stdout_alone(tmp_path, monkeypatch, capsys):
    from rich.console import Console

    from gradcli.cli import points_run as batch

    _, _, csv_path, _ = _write_points(tmp_path, SIGMOID, n=50)
    run_points(SIGMOID, str(csv_path), {}, progress=False)
    plain = capsys.readouterr().out
    monkeypatch.setattr(batch._Progress, "DELAY", 0.0)
    terminal = io.StringIO()
    console = Console(file=terminal, force_terminal=True, width=100)
    run_points(SIGMOID, str(csv_path), {}, chunk=10, progress=True, console=console)
    assert capsys.readouterr().out == plain
    assert "points.csv" in terminal.getvalue()
    assert "50 points" in terminal.getvalue()


def test_a_reader_that_stops_early_ends_the_run_quietly(tmp_path):
    _, _, csv_path, _ = _write_points(tmp_path, SIGMOID, n=N)
    command = [sys.executable, "-m", "gradcli", "eval", SIGMOID, "--points", str(csv_path), "--chunk", "100"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        first = process.stdout.readline()
        process.stdout.close()  # as `| head -1` does
        err = process.stderr.read()
        code = process.wait(timeout=60)
    assert _strict_json(first)["at"]["w0"] is not None
    assert (code, err) == (0, "")


def test_no_progress_bar_on_a_pipe(tmp_path):
    _, _, csv_path, _ = _write_points(tmp_path, SIGMOID, n=20)
    result = run_process("eval", SIGMOID, "--points", str(csv_path), "--chunk", "3")
    assert result.code == 0
    assert result.err == ""
    assert len(result.out.splitlines()) == 20
