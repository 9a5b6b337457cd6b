"""Issue 16: `--points` JSON Lines fields may be arrays. Each point's value and gradients are
checked against `gradcli eval` at that point; bad array fields are bad rows naming their line;
CSV stays one number a cell, with a clear word when a cell looks like an array."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import run_cli

from gradcli.errors import GradcliError
from gradcli.points.columns import stacked
from gradcli.points.read import open_points


def _strict(line: str) -> dict:
    def refuse(constant):
        raise AssertionError(f"non-strict JSON constant {constant} in {line!r}")

    return json.loads(line, parse_constant=refuse)


def _at(values: dict) -> str:
    return ",".join(f"{name}={json.dumps(value).replace(' ', '')}" for name, value in values.items())


def _points(tmp_path, records: list[dict]):
    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


def _eval_at(source: str, values: dict) -> dict:
    result = run_cli("eval", source, "--at", _at(values), "--brief", "--json")
    assert result.code == 0, result.err
    return result.json()


@pytest.mark.parametrize("chunk", [None, "2"])
def test_array_fields_agree_with_eval_at_each_point(tmp_path, chunk):
    rng = np.random.default_rng(16)
    source = "k * sum(tanh(W @ x + b))"
    records = [
        {
            "id": f"p{i}",
            "W": rng.normal(size=(3, 4)).round(3).tolist(),
            "x": rng.normal(size=4).round(3).tolist(),
            "k": i + 0.5,
        }
        for i in range(5)
    ]
    np.save(tmp_path / "b.npy", np.array([0.1, -0.2, 0.3]))
    args = ["eval", source, "--points", str(_points(tmp_path, records)), "--at", f"b=@{tmp_path / 'b.npy'}"]
    result = run_cli(*args, *(["--chunk", chunk] if chunk else []))
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert len(lines) == len(records)
    for record, line in zip(records, lines, strict=True):
        out = _strict(line)
        assert out["id"] == record["id"] and out["at"]["W"] == record["W"]
        single = _eval_at(
            source, {"W": record["W"], "x": record["x"], "k": record["k"], "b": [0.1, -0.2, 0.3]}
        )
        assert out["value"] == single["value"]
        assert out["gradient"] == single["gradient"]
        t = np.tanh(np.array(record["W"]) @ np.array(record["x"]) + [0.1, -0.2, 0.3])
        np.testing.assert_allclose(
            out["gradient"]["W"], record["k"] * np.outer(1 - t**2, record["x"]), rtol=1e-12
        )


def test_array_fields_with_non_finite_elements_as_gradcli_writes_them(tmp_path):
    path = _points(tmp_path, [{"x": [1, "inf", 3]}, {"x": [1, 2, "nan"]}, {"x": [1, 2, "-inf"]}])
    result = run_cli("eval", "x[0] * 2", "--points", str(path))
    assert result.code == 0, result.err
    assert [_strict(line)["at"]["x"] for line in result.out.splitlines()] == [
        [1.0, "inf", 3.0],
        [1.0, 2.0, "nan"],
        [1.0, 2.0, "-inf"],
    ]
    assert [_strict(line)["value"] for line in result.out.splitlines()] == [2.0, 2.0, 2.0]


def test_array_fields_in_csv_output_are_json_cells(tmp_path):
    path = _points(tmp_path, [{"x": [1, 2]}, {"x": [3, 4]}])
    result = run_cli("eval", "sum(x^2)", "--points", str(path), "-F", "csv")
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "x,value,d_x",
        '"[1, 2]",5.0,"[2.0, 4.0]"',
        '"[3, 4]",25.0,"[6.0, 8.0]"',
    ]


def test_points_whose_arrays_differ_in_shape_are_each_evaluated_alone(tmp_path):
    records = [{"x": [1, 2, 3]}, {"x": [4]}, {"x": [[1, 2], [3, 4]]}]
    result = run_cli("eval", "sum(x^2)", "--points", str(_points(tmp_path, records)))
    assert result.code == 0, result.err
    for record, line in zip(records, result.out.splitlines(), strict=True):
        single = _eval_at("sum(x^2)", record)
        assert _strict(line)["value"] == single["value"] and _strict(line)["gradient"] == single["gradient"]


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("[1, true]", "line 2 of p.jsonl: x[1] is not a number: true"),
        ('[1, "a"]', 'line 2 of p.jsonl: x[1] is not a number: "a"'),
        ("[[1, 2], [3]]", "line 2 of p.jsonl: x[1] has 1 element, where x[0] has 2"),
        ("[[1, 2], 3]", "line 2 of p.jsonl: x[1] is 3, where x[0] is a list of 2"),
        ("[1, null]", "line 2 of p.jsonl: x[1] is not a number: null"),
        ('{"a": 1}', 'line 2 of p.jsonl: x is not a number: {"a": 1}'),
    ],
)
def test_a_bad_array_field_is_a_bad_row_with_its_line(tmp_path, field, message):
    path = tmp_path / "p.jsonl"
    path.write_text('{"x": [1, 2]}\n{"x": ' + field + '}\n{"x": [5, 6]}\n')
    result = run_cli("eval", "sum(x)", "--points", str(path))
    assert result.code == 2 and message in result.err, result.err
    assert "--> p.jsonl, line 2" in result.err and "Traceback" not in result.err
    skipped = run_cli("eval", "sum(x)", "--points", str(path), "--skip-bad")
    assert skipped.code == 0
    assert [_strict(line)["value"] for line in skipped.out.splitlines()] == [3.0, 11.0]
    assert "skipped 1 bad row of p.jsonl" in skipped.err


def test_same_shape_makes_a_point_of_another_shape_a_bad_row_naming_both_lines(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"x": [1, 2]}\n{"x": [3, 4]}\n{"x": 5}\n{"x": [6, 7, 8]}\n{"x": [9, 10]}\n')
    file = open_points(str(path))
    file.same_shape = True
    try:
        with pytest.raises(GradcliError) as error:
            list(file.chunks(["x"], 2, skip_bad=False))
    finally:
        file.close()
    assert "line 3 of p.jsonl: x has shape () here, (2,) on line 1" in error.value.message
    file = open_points(str(path))
    file.same_shape = True
    with file.stream:
        chunks = list(file.chunks(["x"], 2, skip_bad=True))
    assert [line for chunk in chunks for line, _ in chunk.skipped] == [3, 4]
    assert np.concatenate([stacked(chunk.columns["x"], len(chunk)) for chunk in chunks]).tolist() == [
        [1, 2],
        [3, 4],
        [9, 10],
    ]


def test_array_columns_of_one_shape_are_stacked_along_the_first_axis(tmp_path):
    path = _points(tmp_path, [{"W": [[1, 2], [3, 4]]}, {"W": [[5, 6], [7, 8]]}])
    file = open_points(str(path))
    with file.stream:
        (chunk,) = file.chunks(["W"], 10, skip_bad=False)
    column = chunk.columns["W"]
    assert isinstance(column, np.ndarray) and column.shape == (2, 2, 2) and column.dtype == np.float64


def test_descend_data_whose_arrays_differ_in_shape_is_exit_2(tmp_path):
    path = _points(tmp_path, [{"x": [1, 2], "y": 5}, {"x": [0, 1, 3], "y": 2}])
    result = run_cli("descend", "(sum(w*x) - y)^2", "--data", str(path), "--params", "w=0", "--epochs", "2")
    assert result.code == 2, result.err
    # descend stacks the samples, so the sample of another shape is a bad row, named by its line
    assert "line 2 of p.jsonl: x has shape (3,) here, (2,) on line 1" in result.err


def test_descend_learns_from_array_fields(tmp_path):
    path = _points(tmp_path, [{"x": [1, 2], "y": 5}, {"x": [0, 1], "y": 2}, {"x": [1, 0], "y": 1}])
    args = ["descend", "(dot(w, x) - y)^2", "--data", str(path), "--params", "w=[0,0]"]
    result = run_cli(*args, "--epochs", "300", "--lr", "0.05", "--batch", "all", "--format", "json")
    assert result.code == 0, result.err
    np.testing.assert_allclose(result.json()["params"]["w"], [1.0, 2.0], atol=1e-6)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('x,y\n1,"[1,2]"\n', "line 2 of p.csv: y is not a number: '[1,2]' (a CSV cell holds one number"),
        (
            "x,y\n1,2\n3,4\n1,[1,2]\n",
            "line 4 of p.csv: the row has 3 fields, the header 2 (a CSV cell holds one number",
        ),
    ],
)
def test_csv_cells_that_look_like_arrays_get_a_clear_error(tmp_path, text, message):
    (tmp_path / "p.csv").write_text(text)
    result = run_cli("eval", "x*sum(y)", "--points", str(tmp_path / "p.csv"))
    assert result.code == 2 and message in result.err, result.err
    assert 'JSON Lines: {"x": [1, 2]}' in result.err
    row = text.splitlines()[-1].replace('"', "")  # the row as read: cells joined by commas
    assert f"   | {row}" in result.err.splitlines(), "the caret is under the bad row itself"
