"""Issue 16, values from files: `--at W=@w.npy` (also `.npz[:name]`, `.json`, `.csv`) and
`--at-file params.json|params.npz`, through the real CLI; the errors (exit 2, one message naming
the file and the place, never a traceback) and the limits."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli, run_process

import gradcli
from gradcli import valuefiles
from gradcli.api import read_values
from gradcli.errors import GradcliError


def _bad(*args: str) -> str:
    """Run the CLI, expect bad input: exit 2, one `error:` message, no traceback; the message."""
    result = run_cli(*args)
    assert result.code == 2, (result.code, result.out, result.err)
    assert result.err.startswith("error: ") and result.err.count("error: ") == 1, result.err
    assert "Traceback" not in result.err and result.out == ""
    return result.err


def _brief(*args: str) -> dict:
    result = run_cli("eval", *args, "--brief", "--json")
    assert result.code == 0, result.err
    return result.json()


# --- the must-show: a 256×256 weight matrix from .npy -------------------------------------------


def test_a_256_by_256_weight_matrix_from_npy_through_the_cli(tmp_path):
    rng = np.random.default_rng(16)
    W, x = rng.normal(size=(256, 256)) / 16, rng.normal(size=256)
    np.save(tmp_path / "w.npy", W)
    np.save(tmp_path / "x.npy", x)
    at = f"W=@{tmp_path / 'w.npy'},x=@{tmp_path / 'x.npy'}"
    result = run_process("eval", "sum(tanh(W @ x))", "--at", at, "--brief", "--json")
    assert result.code == 0, result.err
    found = json.loads(result.out)
    t = np.tanh(W @ x)
    assert found["value"] == pytest.approx(t.sum(), rel=1e-12)
    # d/dW sum(tanh(Wx)) = (1 - t^2) x^T ; d/dx = W^T (1 - t^2)
    np.testing.assert_allclose(
        np.array(found["gradient"]["W"]), np.outer(1 - t**2, x), rtol=1e-12, atol=1e-15
    )
    np.testing.assert_allclose(np.array(found["gradient"]["x"]), W.T @ (1 - t**2), rtol=1e-12, atol=1e-15)
    assert np.array(found["at"]["W"]).shape == (256, 256)


def test_the_python_api_takes_numpy_arrays_of_any_size():
    rng = np.random.default_rng(1)
    W, x = rng.normal(size=(300, 200)) / 20, rng.normal(size=200)
    result = gradcli.evaluate("sum(tanh(W @ x))", W=W, x=x, record_steps=False)
    t = np.tanh(W @ x)
    np.testing.assert_allclose(result.gradient["W"], np.outer(1 - t**2, x), rtol=1e-12, atol=1e-15)


# --- each kind of file --------------------------------------------------------------------------


def test_npy_values_are_float64_from_floats_integers_and_booleans(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # paths are relative to the current folder
    np.save("f32.npy", np.array([[1.5, 2]], dtype=np.float32))
    np.save("i.npy", np.arange(3, dtype=np.int16))
    np.save("b.npy", np.array([True, False]))
    np.save("f.npy", np.asfortranarray(np.arange(6.0).reshape(2, 3)))
    np.save("s.npy", np.float64(2.5))
    found = _brief(
        "sum(A) + sum(B) + sum(C) + sum(D) + s", "--at", "A=@f32.npy,B=@i.npy,C=@b.npy,D=@f.npy,s=@s.npy"
    )
    assert found["value"] == 3.5 + 3 + 1 + 15 + 2.5
    assert found["gradient"]["A"] == [[1.0, 1.0]] and found["gradient"]["D"] == [[1.0] * 3] * 2
    assert found["gradient"]["s"] == 1.0


def test_a_path_with_tilde_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    np.save(tmp_path / "w.npy", np.array([1.0, 2.0]))
    assert _brief("sum(w^2)", "--at", "w=@~/w.npy")["gradient"]["w"] == [2.0, 4.0]


def test_a_path_with_brackets_ends_at_the_comma(tmp_path):
    folder = tmp_path / "runs[2]"
    folder.mkdir()
    np.save(folder / "w.npy", np.array([1.0, 2.0]))
    found = _brief("sum(w)*b", "--at", f"w=@{folder / 'w.npy'},b=3")
    assert found["value"] == 9.0 and found["gradient"]["b"] == 3.0


def test_npz_by_name_by_the_variable_name_and_the_only_array(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    np.savez("p.npz", W=np.eye(2), b=np.array([1.0, 2.0]), other=np.zeros(3))
    np.savez_compressed("one.npz", np.array([4.0, 5.0]))  # stored as arr_0
    found = _brief("sum(W @ v) + sum(b) + sum(u)", "--at", "W=@p.npz,v=@p.npz:b,b=@p.npz:b,u=@one.npz")
    assert found["value"] == 3 + 3 + 9
    err = _bad("eval", "sum(W)", "--at", "W=@p.npz:nope")
    assert "p.npz has no array named 'nope'" in err and "it holds W, b, other" in err
    err = _bad("eval", "sum(Q)", "--at", "Q=@p.npz")
    assert "p.npz holds arrays, none named 'Q'" in err and "@p.npz:NAME" in err


def test_json_values_numbers_nested_lists_non_finite_and_object_entries(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("w.json").write_text("[[1, 2.5], [3e2, -4]]")
    Path("n.json").write_text("7")
    Path("f.json").write_text('[1, "inf", "nan", NaN]')
    Path("o.json").write_text('{"a": [1, 2], "b": 3}')
    found = _brief("sum(W) + n + a[1] * b", "--at", "W=@w.json,n=@n.json,a=@o.json,b=@o.json")
    assert found["value"] == 1 + 2.5 + 300 - 4 + 7 + 6
    assert found["gradient"]["W"] == [[1.0, 1.0], [1.0, 1.0]]
    assert _brief("a", "--at", "a=@o.json:b")["value"] == 3.0
    inf = _brief("f[0] + f[1]", "--at", "f=@f.json")
    assert inf["value"] == "inf" and inf["warnings"], "non-finite values get the usual warning"


@pytest.mark.parametrize(
    ("text", "shape", "total"),
    [
        ("1,2,3\n4,5,6\n", (2, 3), 21),
        ("1, 2, 3\n", (3,), 6),  # one row: a vector, as numpy.loadtxt(ndmin=1)
        ("1\n2\n3\n", (3,), 6),  # one column: a vector
        ("5\n", (1,), 5),
        ("# written by numpy.savetxt\n1.0e+00 2.0e+00\n3.0e+00 4.0e+00\n\n", (2, 2), 10),  # spaces
        ('"1","2"\r\n"3","inf"\r\n', (2, 2), np.inf),  # quoted cells, Windows line ends
    ],
)
def test_csv_values_are_matrices_and_one_row_or_column_is_a_vector(tmp_path, text, shape, total):
    path = tmp_path / "m.csv"
    path.write_text(text, newline="")
    array = read_values([f"M=@{path}"])["M"].value
    assert array.shape == shape and array.dtype == np.float64 and array.sum() == total
    np.testing.assert_array_equal(
        array, np.loadtxt(path, delimiter="," if "," in text else None, quotechar='"', ndmin=1)
    )


# --- --at-file ----------------------------------------------------------------------------------


def test_at_file_json_and_npz_give_many_values_and_names_not_read_are_ignored(tmp_path):
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"w": [1, 2], "b": 0.5, "unused": 9, "pi": 3}))
    np.savez(tmp_path / "data.npz", x=np.array([3.0, 4.0]), y=np.float64(2.0), also_unused=np.ones(2))
    found = _brief("(dot(w, x) + b - y)^2", "--at-file", str(params), "--at-file", str(tmp_path / "data.npz"))
    assert found["value"] == (3 + 8 + 0.5 - 2) ** 2
    assert set(found["gradient"]) == {"w", "x", "b", "y"}
    assert found["gradient"]["w"] == [2 * 9.5 * 3, 2 * 9.5 * 4]


def test_at_and_at_file_together_and_a_name_given_twice_is_an_error(tmp_path):
    params = tmp_path / "params.json"
    params.write_text('{"w": 2, "b": 1}')
    assert _brief("w*x + b", "--at", "x=3", "--at-file", str(params))["value"] == 7.0
    err = _bad("eval", "w*x + b", "--at", "x=3,w=1", "--at-file", str(params))
    assert "'w' is given twice: by --at and by --at-file" in err and "x=3,w=1" in err
    err = _bad("eval", "w*x + b", "--at", "x=3", "--at-file", str(params), "--at-file", str(params))
    assert "is given twice: by --at-file" in err


def test_at_file_errors(tmp_path):
    np.save(tmp_path / "w.npy", np.ones(2))
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "dotted.json").write_text('{"fc1.weight": 1}')
    (tmp_path / "dup.json").write_text('{"w": 1, "w": 2}')
    err = _bad("eval", "w", "--at-file", str(tmp_path / "w.npy"))
    assert "holds one value without a name" in err and "--at NAME=@" in err
    assert "is not a JSON object of names and values" in _bad(
        "eval", "w", "--at-file", str(tmp_path / "list.json")
    )
    err = _bad("eval", "w", "--at-file", str(tmp_path / "dotted.json"))
    assert "'fc1.weight', which cannot be a variable's name" in err and ":fc1.weight" in err
    assert "gives 'w' twice" in _bad("eval", "w", "--at-file", str(tmp_path / "dup.json"))
    err = _bad("eval", "w", "--at-file", str(tmp_path / "missing.npz"))
    assert "no such file" in err and "--> --at-file" in err


def test_an_entry_picked_by_a_key_that_is_not_a_name(tmp_path):
    (tmp_path / "sd.json").write_text('{"fc1.weight": [1, 2]}')
    np.savez(tmp_path / "sd.npz", **{"fc1.weight": np.array([3.0])})
    found = _brief(
        "sum(w) + sum(v)", "--at", f"w=@{tmp_path / 'sd.json'}:fc1.weight,v=@{tmp_path / 'sd.npz'}:fc1.weight"
    )
    assert found["value"] == 6.0


@pytest.mark.parametrize("command", ["check", "hessian", "graph"])
def test_every_command_that_takes_at_takes_at_file(tmp_path, command):
    (tmp_path / "p.json").write_text('{"w": 1.5, "x": 2}')
    result = run_cli(
        command,
        "sin(w*x)",
        "--at-file",
        str(tmp_path / "p.json"),
        "--format",
        "text" if command != "graph" else "dot",
    )
    assert result.code == 0, result.err
    assert "1.5" in result.out or "0.141" in result.out or command != "graph"


def test_points_with_values_from_files(tmp_path):
    np.save(tmp_path / "w.npy", np.array([1.0, -2.0, 0.5]))
    (tmp_path / "p.jsonl").write_text('{"x": [1, 2, 3]}\n{"x": [0, 1, 0]}\n')
    result = run_cli(
        "eval", "dot(w, x)", "--at", f"w=@{tmp_path / 'w.npy'}", "--points", str(tmp_path / "p.jsonl")
    )
    assert result.code == 0, result.err
    assert [json.loads(line)["value"] for line in result.out.splitlines()] == [-1.5, -2.0]


# --- errors: exit 2, the file and the place --------------------------------------------------


def test_a_missing_file_a_folder_an_unknown_kind_and_no_file(tmp_path):
    err = _bad("eval", "w", "--at", f"w=@{tmp_path / 'nope.npy'}")
    assert "no such file" in err and "--> --at, line 1, column 3" in err and "^^^" in err
    (tmp_path / "d.npy").mkdir()
    assert "is a folder" in _bad("eval", "w", "--at", f"w=@{tmp_path / 'd.npy'}")
    (tmp_path / "w.txt").write_text("1")
    err = _bad("eval", "w", "--at", f"w=@{tmp_path / 'w.txt'}")
    assert "from its extension .txt" in err and ".npy, .npz" in err
    assert "no file after w=@" in _bad("eval", "w", "--at", "w=@")
    np.save(tmp_path / "w.npy", np.ones(2))
    assert "holds one value: ':k' picks" in _bad("eval", "w", "--at", f"w=@{tmp_path / 'w.npy'}:k")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_pipe_is_not_read(tmp_path):
    os.mkfifo(tmp_path / "w.npy")
    assert "is not a regular file" in _bad("eval", "w", "--at", f"w=@{tmp_path / 'w.npy'}")


def test_bad_json_points_at_the_line_and_column(tmp_path):
    (tmp_path / "w.json").write_text("[[1, 2],\n [3, 4,]]\n")
    err = _bad("eval", "sum(w)", "--at", f"w=@{tmp_path / 'w.json'}")
    assert "w.json: not valid JSON: Expecting value" in err
    assert "w.json, line 2, column 8" in err
    assert err.splitlines()[2] == "   |  [3, 4,]]" and err.splitlines()[3] == "   |        ^"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[1, 2], [3]]", "w.json[1] has 1 element, where w.json[0] has 2"),
        ("[[1, 2], 3]", "w.json[1] is 3, where w.json[0] is a list of 2"),
        ('[[1, "a"], [3, 4]]', 'w.json[0, 1] is not a number: "a"'),
        ("[true, 1]", "w.json[0] is not a number: true"),
        ("[1, null]", "w.json[1] is not a number: null"),
        ("1" + "0" * 400, "w.json is too large for float64"),
        ('"1.5"', 'w.json is not a number: "1.5"'),
        ("[1, １]", "not valid JSON"),  # numbers are ASCII
        ("[" * 100_000 + "]" * 100_000, "w.json: arrays nested too deeply"),
    ],
)
def test_json_that_is_not_numbers_is_named_by_its_index(tmp_path, text, message):
    (tmp_path / "w.json").write_text(text, encoding="utf-8")
    assert message in _bad("eval", "sum(w)", "--at", f"w=@{tmp_path / 'w.json'}")


@pytest.mark.parametrize(
    ("text", "message", "caret"),
    [
        ("1,2,3\n4,x,6\n", "m.csv, line 2, cell 2: not a number: 'x'", "   |   ^"),
        ("# c\n1,2,3\n\n4,5\n", "m.csv, line 4: 2 cells, but line 2 has 3", "   | ^^^"),
        ("1,2\n3,\n", "m.csv, line 2, cell 2: an empty cell", "   |   ^"),
        ("1,2\n3,١\n", "not a number: '١' (numbers are written with the ASCII digits 0-9)", "   |   ^"),
        ("1,1_000\n", "not a number: '1_000'", "   |   ^^^^^"),
        ("a,b\n1,2\n", "m.csv, line 1, cell 1: not a number: 'a'", "   | ^"),
        ("# nothing\n\n", "m.csv holds no numbers", None),
    ],
)
def test_csv_errors_name_the_line_and_the_cell(tmp_path, text, message, caret):
    (tmp_path / "m.csv").write_text(text, encoding="utf-8")
    err = _bad("eval", "sum(M)", "--at", f"M=@{tmp_path / 'm.csv'}")
    assert message in err
    if caret is not None:
        assert caret in err.splitlines()


def test_text_that_is_not_utf8(tmp_path):
    (tmp_path / "w.json").write_bytes(b"[1, 2, \xff]")
    assert "w.json is not UTF-8 text" in _bad("eval", "sum(w)", "--at", f"w=@{tmp_path / 'w.json'}")


def test_npy_files_that_are_not_real_numbers_are_refused(tmp_path):
    np.save(tmp_path / "c.npy", np.ones(2) + 1j)
    np.save(tmp_path / "s.npy", np.array(["a", "b"]))
    np.save(tmp_path / "t.npy", np.array(["2024-01-01"], dtype="datetime64[D]"))
    np.save(tmp_path / "r.npy", np.zeros(2, dtype=[("a", "f8"), ("b", "i4")]))
    cases = {"c": "complex numbers", "s": "strings", "t": "not numbers", "r": "structured records"}
    for name, words in cases.items():
        assert words in _bad("eval", "sum(w)", "--at", f"w=@{tmp_path / name}.npy")


class _Trap:
    """Unpickling this would create the file `path`: the proof that a pickle was loaded."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_a_pickled_object_array_is_never_unpickled(tmp_path):
    trap = tmp_path / "unpickled"
    np.save(tmp_path / "o.npy", np.array([_Trap(str(trap))], dtype=object), allow_pickle=True)
    np.savez(tmp_path / "o.npz", W=np.array([_Trap(str(trap))], dtype=object))
    assert "holds Python objects (a pickle), which gradcli never loads" in _bad(
        "eval", "sum(w)", "--at", f"w=@{tmp_path / 'o.npy'}"
    )
    assert "never loads" in _bad("eval", "sum(W)", "--at-file", str(tmp_path / "o.npz"))
    assert not trap.exists()


def test_damaged_npy_and_npz_files(tmp_path):
    np.save(tmp_path / "w.npy", np.arange(100.0))
    data = (tmp_path / "w.npy").read_bytes()
    (tmp_path / "cut.npy").write_bytes(data[:300])
    (tmp_path / "text.npy").write_text("hello")
    (tmp_path / "text.npz").write_text("hello")
    assert "cut.npy is damaged or cut short" in _bad("eval", "sum(w)", "--at", f"w=@{tmp_path / 'cut.npy'}")
    assert "text.npy is not a .npy array" in _bad("eval", "sum(w)", "--at", f"w=@{tmp_path / 'text.npy'}")
    assert "text.npz is not a .npz file" in _bad("eval", "sum(w)", "--at", f"w=@{tmp_path / 'text.npz'}")


# --- limits -------------------------------------------------------------------------------------


def test_an_array_over_the_limit_is_refused_from_its_header_before_reading(tmp_path):
    """A header that claims 2^28 float64 (2 GiB) with no data: refused for its size, not read."""
    path = tmp_path / "huge.npy"
    with open(path, "wb") as file:
        np.lib.format.write_array_header_1_0(
            file, {"descr": "<f8", "fortran_order": False, "shape": (2**14, 2**14)}
        )
    err = _bad("eval", "sum(w)", "--at", f"w=@{path}")
    assert "huge.npy has 268,435,456 elements (shape (16384, 16384)); a value may have at most 2^27" in err
    np.savez_compressed(tmp_path / "zeros.npz", W=np.zeros(1000))  # small on disk, big unpacked
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(valuefiles, "MAX_ELEMENTS", 999)
        assert "zeros.npz:W has 1,000 elements" in _bad(
            "eval", "sum(W)", "--at-file", str(tmp_path / "zeros.npz")
        )


def test_a_text_file_over_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(valuefiles, "MAX_TEXT_BYTES", 10)
    (tmp_path / "w.json").write_text("[1, 2, 3, 4, 5]")
    err = _bad("eval", "sum(w)", "--at", f"w=@{tmp_path / 'w.json'}")
    assert "w.json is 15 bytes; a .json or .csv value file may have at most 10" in err and ".npy" in err


def test_the_limits_are_the_documented_ones():
    assert valuefiles.MAX_ELEMENTS == 2**27 and valuefiles.MAX_TEXT_BYTES == 64 * 2**20
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert "2^27 elements" in readme and "64 MiB" in readme


# --- the Python API ------------------------------------------------------------------------------


def test_read_values_leaves_out_file_values_the_program_does_not_read(tmp_path):
    np.savez(tmp_path / "p.npz", w=np.ones(2), unused=np.zeros(2))
    given = read_values(["x=[1,2]"], [str(tmp_path / "p.npz")], source="dot(w, x)")
    assert sorted(given) == ["w", "x"] and given["w"].label == "--at-file"
    assert float(gradcli.evaluate("dot(w, x)", given).value) == 3.0
    assert sorted(read_values([], [str(tmp_path / "p.npz")])) == ["unused", "w"]
    with pytest.raises(GradcliError, match="'w' is given twice"):
        read_values(["w=1"], [str(tmp_path / "p.npz")])


def test_points_with_fixed_values_from_at_file(tmp_path):
    np.savez(tmp_path / "p.npz", w=np.array([1.0, -2.0, 0.5]), unused=np.zeros(2))
    (tmp_path / "p.jsonl").write_text('{"x": [1, 2, 3]}\n{"x": [0, 1, 0]}\n')
    args = ["eval", "dot(w, x)", "--at-file", str(tmp_path / "p.npz"), "--points", str(tmp_path / "p.jsonl")]
    result = run_cli(*args)
    assert result.code == 0, result.err
    assert [json.loads(line)["value"] for line in result.out.splitlines()] == [-1.5, -2.0]


def test_descend_data_and_params_from_files(tmp_path):
    np.save(tmp_path / "x.npy", np.array([1.0, 2.0, 3.0]))
    np.save(tmp_path / "y.npy", np.array([2.0, 4.0, 6.0]))
    data = f"x=@{tmp_path / 'x.npy'},y=@{tmp_path / 'y.npy'}"
    result = run_cli(
        "descend", "(w*x - y)^2", "--data", data, "--params", "w=0", "--epochs", "60", "--lr", "0.05"
    )
    assert result.code == 0, result.err
    assert "w = 2" in result.out
