"""Issue 14, the I/O edges: no lost data, no exit 1 from I/O, clear words in the CLI.

Every test here failed on the code before the fix; each runs the real CLI (in-process with
run_cli, or as a process where pipes, signals and files are the point).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli, run_process

import gradcli.cli.points_run as batch
import gradcli.descent as gd
from gradcli.compiled import compile
from gradcli.render import graphviz

LINE_BUFFER_ROWS = 5_000  # far more than one read buffer: the old code truncated after the first one


def _points(path: Path, n: int = LINE_BUFFER_ROWS, bad_at: int | None = None) -> Path:
    rows = [f"{k},{k / 7!r}\n" if k != bad_at else f"{k},oops\n" for k in range(n)]
    path.write_text("id,x\n" + "".join(rows))
    return path


def _names(folder: Path) -> list[str]:
    """Every entry of the folder: a temporary file left behind would show here."""
    return sorted(entry.name for entry in folder.iterdir())


def _closed_pipe_run(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess:
    """`gradcli ARGS | head -0`, without the race: the reading end is closed before gradcli starts."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "gradcli", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            input=stdin.encode() if stdin is not None else None,
            timeout=120,
            env={**os.environ, "NO_COLOR": "1"},
        )
    finally:
        os.close(write_end)


# --- 1. An output never overwrites an input; it appears whole or not at all ----------------------


@pytest.mark.parametrize("link", ["same path", "symlink", "hard link"])
def test_output_that_is_the_points_file_is_refused_before_writing(tmp_path, link):
    points = _points(tmp_path / "same.csv")
    before = points.read_bytes()
    output = points
    if link == "symlink":
        output = tmp_path / "link.csv"
        output.symlink_to(points)
    elif link == "hard link":
        output = tmp_path / "hard.csv"
        os.link(points, output)
    names = _names(tmp_path)
    run = run_cli("eval", "x*2", "--points", str(points), "-o", str(output), "-F", "csv")
    assert run.code == 2, run.err
    assert "is also an input" in run.err and "--points" in run.err and "Traceback" not in run.err
    assert points.read_bytes() == before  # the old code truncated it and exited 0
    assert _names(tmp_path) == names


@pytest.mark.parametrize(
    "args",
    [
        ("eval", "--at", "x=2"),
        ("diff",),
        ("hessian", "--at", "x=2"),
        ("graph", "--at", "x=2"),
    ],
)
def test_output_that_is_the_program_file_is_refused(tmp_path, args):
    program = tmp_path / "program.txt"
    program.write_text("x^3\n")
    run = run_cli(args[0], "-f", str(program), *args[1:], "-o", str(program))
    assert run.code == 2, run.err
    assert "is also an input" in run.err and "--file" in run.err
    assert program.read_text() == "x^3\n"


def test_a_bad_row_leaves_an_existing_output_untouched_and_no_temporary_file(tmp_path):
    # The bad row comes after a whole chunk was written: the old code left a truncated file.
    points = _points(tmp_path / "points.csv", n=300, bad_at=250)
    output = tmp_path / "out.csv"
    output.write_text("precious\n")
    run = run_cli("eval", "x*2", "--points", str(points), "-o", str(output), "--chunk", "100")
    assert run.code == 2 and "line 252" in run.err
    assert output.read_text() == "precious\n"
    assert _names(tmp_path) == ["out.csv", "points.csv"]


def test_a_bad_row_creates_no_output_file(tmp_path):
    points = _points(tmp_path / "points.csv", n=300, bad_at=250)
    run = run_cli("eval", "x*2", "--points", str(points), "-o", str(tmp_path / "new.jsonl"), "--chunk", "100")
    assert run.code == 2
    assert _names(tmp_path) == ["points.csv"]  # not even a header-only file


def test_ctrl_c_leaves_an_existing_output_untouched(tmp_path, monkeypatch):
    points = _points(tmp_path / "points.csv", n=300)
    output = tmp_path / "out.jsonl"
    output.write_text("precious\n")
    calls = {"n": 0}
    real = batch.evaluate_points

    def interrupted_on_the_third_chunk(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(batch, "evaluate_points", interrupted_on_the_third_chunk)
    run = run_cli("eval", "x*2", "--points", str(points), "-o", str(output), "--chunk", "100")
    assert run.code == 130
    assert "out.jsonl" in run.err and "not written" in run.err
    assert output.read_text() == "precious\n"
    assert _names(tmp_path) == ["out.jsonl", "points.csv"]


def test_ctrl_c_with_points_to_stdout_prints_only_whole_rows(tmp_path):
    points = _points(tmp_path / "points.csv", n=400_000)
    command = [sys.executable, "-m", "gradcli", "eval", "x*2", "--points", str(points), "--chunk", "1000"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        process.stdout.readline()  # it is running, and blocked writing to the full pipe
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        out, err = process.stdout.read(), process.stderr.read()
        process.wait(timeout=60)
    lines = out.decode().splitlines()
    assert process.returncode == 130, err
    for line in lines:
        json.loads(line)  # every line printed is a whole JSON object
    assert out.endswith(b"\n")
    assert f"interrupted: {len(lines) + 1:,} points written".encode() in err  # the count is true


def test_a_successful_write_replaces_the_file_keeping_its_mode_and_links(tmp_path):
    target = tmp_path / "answer.json"
    target.write_text("old\n")
    target.chmod(0o640)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    run = run_cli("eval", "x^2", "--at", "x=3", "--json", "-o", str(link))
    assert run.code == 0, run.err
    assert json.loads(target.read_text())["gradient"] == {"x": 6.0}
    assert link.is_symlink() and (target.stat().st_mode & 0o777) == 0o640
    assert _names(tmp_path) == ["answer.json", "link.json"]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize(
    "args",
    [
        ("eval", "x*2", "--points", "{points}", "-F", "csv"),
        ("eval", "x^2", "--at", "x=3", "--json"),
        ("graph", "x^2", "-F", "dot"),
        ("diff", "x^2", "-F", "text"),
        ("hessian", "x*y", "--at", "x=1,y=2", "-F", "text"),
    ],
)
def test_a_full_disk_is_exit_2_with_a_message(tmp_path, args):
    points = _points(tmp_path / "points.csv", n=10)
    run = run_cli(*(arg.format(points=points) for arg in args), "-o", "/dev/full")
    assert run.code == 2, run.err
    assert "cannot write /dev/full" in run.err and "No space left" in run.err


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize(
    "args",
    [("eval", "x*2", "--points", "{points}"), ("eval", "x^2", "--at", "x=3", "--json"), ("diff", "x^2")],
)
def test_a_full_standard_output_is_exit_2_with_a_message(tmp_path, args):
    points = _points(tmp_path / "points.csv", n=10)
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "gradcli", *(arg.format(points=points) for arg in args)],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2, done.stderr
    assert "standard output" in done.stderr and "No space left" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_device_is_written_directly(tmp_path):
    run = run_process("eval", "x^2", "--at", "x=3", "--json", "-o", "/dev/stdout")
    assert run.code == 0, run.err
    assert json.loads(run.out)["value"] == 9.0


def test_a_folder_or_a_missing_folder_as_output_is_exit_2(tmp_path):
    run = run_cli("eval", "x", "--at", "x=1", "--json", "-o", str(tmp_path))
    assert run.code == 2 and "cannot write" in run.err
    run = run_cli("eval", "x", "--at", "x=1", "--json", "-o", str(tmp_path / "no" / "such.json"))
    assert run.code == 2 and "cannot write" in run.err


# --- 2. A closed standard output ends any command quietly with 0 ---------------------------------

FORMATS = ("rich", "text", "json", "markdown", "latex")
DESCEND = ("descend", "(x*w - y)^2", "--data", "x=[1,2,3],y=[2,4,6]", "--params", "w=1", "--epochs", "3")


@pytest.mark.parametrize(
    "args",
    [
        *(("eval", "x*y", "--at", "x=1,y=2", "-F", fmt) for fmt in FORMATS),
        ("eval", "x*y", "--at", "x=1,y=2", "--brief"),
        ("graph", "x*y"),
        ("graph", "x*y", "-F", "tree"),
        ("graph", "x*y", "-F", "mermaid"),
        ("check", "sin(x)", "--at", "x=1"),
        ("check", "sin(x)", "--at", "x=1", "--json"),
        ("diff", "sin(x)*y"),
        ("hessian", "x*y", "--at", "x=1,y=2"),
        ("demo",),
        ("demo", "--list"),
        DESCEND,
        (*DESCEND, "--json"),
        ("--help",),
        ("eval", "--help"),
        ("--version",),
    ],
    ids=lambda args: " ".join(args[:1] + args[-2:]),
)
def test_a_closed_stdout_exits_quietly_with_0(args):
    done = _closed_pipe_run(list(args))
    assert (done.returncode, done.stderr.decode()) == (0, "")


def test_a_closed_stdout_with_points_from_stdin_exits_quietly():
    done = _closed_pipe_run(["eval", "x*2", "--points", "-"], stdin="x\n1\n2\n")
    assert (done.returncode, done.stderr.decode()) == (0, "")


# --- 3. Points files: deep JSON, and numbers in ASCII only ------------------------------------------


def test_a_100000_deep_json_array_is_a_bad_row_with_its_line(tmp_path):
    path = tmp_path / "deep.jsonl"
    deep = "[" * 100_000 + "]" * 100_000
    path.write_text('{"x": [1, 2]}\n{"x": ' + deep + "}\n")
    run = run_cli("eval", "sum(x)", "--points", str(path))
    assert run.code == 2, run.err
    assert "line 2 of deep.jsonl" in run.err and "nested too deeply" in run.err
    assert "Recursion" not in run.err


def test_a_deep_json_array_as_the_first_line_is_exit_2(tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_text('{"x": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    run = run_cli("eval", "sum(x)", "--points", str(path))
    assert run.code == 2 and "line 1 of deep.jsonl" in run.err


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("\u0661", "'\u0661'"),  # Arabic-Indic 1: float() reads it as 1.0
        ("\uff12", "'\uff12'"),  # full-width 2
        ("1\u0662", "'1\u0662'"),
        ("\u0661.5e\u0662", None),
    ],
)
def test_csv_numbers_must_be_ascii(tmp_path, cell, shown):
    path = tmp_path / "points.csv"
    path.write_text(f"x,y\n1,2\n3,{cell}\n", encoding="utf-8")
    run = run_cli("eval", "x*y", "--points", str(path))
    assert run.code == 2, run.out
    assert "line 3 of points.csv: y is not a number" in run.err
    assert "ASCII" in run.err
    if shown:
        assert shown in run.err
    assert run.out == ""


def test_csv_numbers_must_be_ascii_with_skip_bad(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("x\n1\n\u0662\n3\n", encoding="utf-8")
    run = run_cli("eval", "x*2", "--points", str(path), "--skip-bad")
    assert run.code == 0
    assert [json.loads(line)["value"] for line in run.out.splitlines()] == [2.0, 6.0]
    assert "skipped 1 bad row" in run.err and "line 3" in run.err


def test_descend_data_numbers_must_be_ascii(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("x,y\n1,2\n\u0662,4\n", encoding="utf-8")
    run = run_cli("descend", "(x*w - y)^2", "--data", str(path), "--params", "w=1")
    assert run.code == 2 and "line 3 of data.csv" in run.err


# --- 4. graph through Graphviz: bounded in size and time, failures said plainly ---------------------


def _fake_dot(tmp_path: Path, script: str) -> str:
    path = tmp_path / "dot"
    path.write_text("#!/bin/sh\n" + textwrap.dedent(script))
    path.chmod(0o755)
    return str(path)


def test_a_graph_too_big_to_draw_is_refused_up_front(monkeypatch):
    monkeypatch.setattr(graphviz.shutil, "which", lambda name: pytest.fail("dot must not be run"))
    source = "+".join(f"sin(x*{k})" for k in range(1, 2001))  # x, then 4 a term, less one +
    run = run_cli("graph", source, "-F", "svg")
    assert run.code == 2
    assert "8,000 nodes" in run.err and "--format dot" in run.err and "dot -Tsvg" in run.err


def test_a_failing_dot_is_exit_2_with_its_message(tmp_path, monkeypatch):
    fake = _fake_dot(tmp_path, 'echo "Error: syntax error in line 1" >&2\necho "second line" >&2\nexit 1\n')
    monkeypatch.setattr(graphviz.shutil, "which", lambda name: fake)
    run = run_cli("graph", "x*y", "-F", "svg")
    assert run.code == 2, run.err
    assert "Graphviz's dot failed" in run.err and "syntax error in line 1" in run.err
    assert "internal error" not in run.err


def test_a_dot_that_runs_too_long_is_stopped(tmp_path, monkeypatch):
    fake = _fake_dot(tmp_path, "exec sleep 60\n")
    monkeypatch.setattr(graphviz.shutil, "which", lambda name: fake)
    monkeypatch.setattr(graphviz, "timeout_for", lambda nodes: 0.5)
    started = time.perf_counter()
    run = run_cli("graph", "x*y", "-F", "png", "-o", str(tmp_path / "g.png"))
    assert time.perf_counter() - started < 10
    assert run.code == 2, run.err
    assert "did not finish" in run.err and "(3 nodes)" in run.err and "--format dot" in run.err
    assert not (tmp_path / "g.png").exists()


def test_the_timeout_grows_with_the_graph():
    assert 5 <= graphviz.timeout_for(10) < graphviz.timeout_for(4000) <= 120


# --- 5. descend: bounded memory, and non-finite input named ---------------------------------------


def test_descend_keeps_a_bounded_history():
    data = {"x": np.array([1.0]), "y": np.array([2.0])}
    trainer = gd.Trainer(compile("(x*w - y)^2"), data, {"w": np.array(0.0)})
    history = gd.History(every=5)
    for record in trainer.train(30_000):
        history.append(record)
    kept = list(history)
    assert len(kept) <= 2 * gd.HISTORY_KEEP + 1
    assert history.count == 30_000 and history.last.epoch == 29_999
    assert kept[-1].epoch == 29_999 and all(record.epoch % 5 == 0 for record in kept[gd.HISTORY_KEEP : -1])
    assert len(history.losses()) <= 2 * gd.CURVE_KEEP + 1


def _peak_rss_kb(epochs: int) -> int:
    """The whole process's peak memory after `descend --epochs N` on a one-sample model."""
    script = (
        "import resource, sys\n"
        "from gradcli.cli import main\n"
        f"code = main(['descend', '(x*w - y)^2', '--data', 'x=[1],y=[2]', '--params', 'w=0', "
        f"'--lr', '0.1', '--epochs', '{epochs}', '--every', '1', '--json'])\n"
        "sys.stdout.flush()\n"
        "sys.stderr.write(f'{code} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    code, peak = done.stderr.split()[-2:]
    assert code == "0", done.stderr
    data = json.loads(done.stdout)
    assert len(data["history"]) <= 2 * gd.HISTORY_KEEP + 1
    assert data["history_left_out"] == max(0, epochs - len(data["history"]))
    return int(peak)


def test_descend_memory_does_not_grow_with_the_epochs():
    # Measured before the fix: 47 MB at 2,000 epochs, 106 MB at 20,000 (about 3 KB an epoch).
    small, large = _peak_rss_kb(2_000), _peak_rss_kb(30_000)
    assert large - small < 8_000, (small, large)


def test_descend_shows_how_many_rows_were_left_out():
    run = run_cli(*DESCEND[:-1], "5000", "--every", "1")
    assert run.code == 0, run.err
    assert "rows left out" in run.out
    epochs = [int(line.split()[0]) for line in run.out.splitlines()[1:] if line[:1].isdigit()]
    assert epochs[0] == 0 and epochs[-1] == 4999 and len(epochs) <= 2 * gd.HISTORY_KEEP + 1


def test_descend_nan_in_a_data_file_names_the_line_and_column(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("x,y\n1,2\nnan,4\n")
    run = run_cli("descend", "(x*w - y)^2", "--data", str(path), "--params", "w=1")
    assert run.code == 2, run.err
    assert "line 3 of data.csv" in run.err and "x is nan" in run.err
    assert "learning rate" not in run.err


def test_descend_inf_in_inline_data_names_the_element():
    run = run_cli("descend", "(x*w - y)^2", "--data", "x=[1,2],y=[2,1/0]", "--params", "w=1")
    assert run.code == 2, run.err
    assert "y[1]" in run.err and "inf" in run.err and "learning rate" not in run.err


def test_descend_nan_start_names_the_parameter():
    run = run_cli("descend", "(x*w - y)^2 + b", "--data", "x=[1,2],y=[2,4]", "--params", "w=1,b=0/0")
    assert run.code == 2, run.err
    assert "--params" in run.err and "b is nan" in run.err and "learning rate" not in run.err


# --- 6. Clear words for usage mistakes --------------------------------------------------------------


def test_an_option_the_command_does_not_take_lists_its_options():
    run = run_cli("check", "x", "--at", "x=1", "-o", "out.txt")
    assert run.code == 2
    assert "no such option for check: -o" in run.err
    assert "--json" in run.err and "--eps" in run.err and "--perturb" in run.err
    assert "unexpected extra" not in run.err
    assert "> out.txt" in run.err  # check prints to stdout: redirect it


def test_an_unknown_option_lists_the_options():
    run = run_cli("eval", "x", "--at", "x=1", "--bogus")
    assert run.code == 2
    assert "no such option for eval: --bogus" in run.err and "--wrt" in run.err and "--format" in run.err


def test_an_expression_starting_with_minus_still_works():
    run = run_cli("eval", "-x^2", "--at", "x=3", "--json")
    assert run.code == 0 and run.json()["value"] == -9.0


@pytest.mark.parametrize(
    "at",
    [("x", "=", "2"), ("x", "=2"), ("x=", "2")],
    ids=["x = 2", "x =2", "x= 2"],
)
def test_spaces_around_the_equals_sign_get_an_at_hint(at):
    run = run_cli("eval", "x*y", "--at", *at, "--at", "y=3")
    assert run.code == 2
    assert "--at x=2" in run.err and "without spaces" in run.err
    assert "unexpected extra" not in run.err


def test_bindings_separated_by_a_space_get_an_at_hint():
    run = run_cli("eval", "x*y", "--at", "x=2 y=3")
    assert run.code == 2
    assert "x=2,y=3" in run.err and "2*y" not in run.err
    assert "--at" in run.err
