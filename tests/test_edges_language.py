"""Issue 14, the language's edges: empty arrays, unused statements, huge or odd numbers, deep
nesting, long quoted text, programs without variables, and the parser tables that must never run
planted code. Every case here failed (wrong value, exit 1, or planted code run) before its fix.
"""

from __future__ import annotations

import os
import pickle
import re
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from conftest import Run, run_cli

import gradcli
from gradcli.errors import GradcliError


def assert_bad_input(run: Run, *needles: str) -> None:
    assert run.code == 2, f"exit {run.code}, stderr:\n{run.err}"
    assert "Traceback" not in run.err and "internal error" not in run.err, run.err
    assert run.err.startswith("error: "), run.err
    for needle in needles:
        assert needle.lower() in run.err.lower(), f"{needle!r} not in stderr:\n{run.err}"


def caret_text(err: str) -> str:
    """The source text the caret line underlines (the `   | ` line above it, cut to the carets)."""
    lines = err.splitlines()
    i = next(k for k, line in enumerate(lines) if re.fullmatch(r"   \| *\^+", line)) - 1
    shown, caret = lines[i][5:], lines[i + 1][5:]
    start = len(caret) - len(caret.lstrip(" "))
    return shown[start : len(caret)]


def eval_json(*args: str) -> dict:
    run = run_cli("eval", *args, "--json", "--brief")
    assert run.code == 0, run.err
    return run.json()


# --------------------------------------------------------------------------------------------
# 1. Array literals with empty arrays have numpy's shapes, or a shape error; never a wrong value
# --------------------------------------------------------------------------------------------


def test_scalar_beside_an_empty_array_is_a_shape_error_naming_the_empty_array():
    """numpy refuses np.array([3, []]) (inhomogeneous); gradcli printed [[3]]."""
    run = run_cli("eval", "[x, []]", "--at", "x=3")
    assert_bad_input(run, "one shape", "() and (0,)", "item 2 is []")
    assert caret_text(run.err) == "[x, []]"


@pytest.mark.parametrize(
    ("source", "shape"),
    [("[[], []]", (2, 0)), ("[[[]], [[]]]", (2, 1, 0)), ("[]", (0,)), ("[[]]", (1, 0))],
)
def test_empty_arrays_get_numpys_shape(source, shape):
    assert np.array(eval(source)).shape == shape  # the truth: numpy's own reading of the literal
    assert np.shape(gradcli.evaluate(source).value) == shape
    assert np.shape(eval_json("y", "--at", f"y={source}")["at"]["y"]) == shape
    assert np.array(eval_json("y", "--at", f"y={source}")["at"]["y"]).shape == shape


def test_number_plus_empty_array_is_empty():
    data = eval_json("1 + []")
    assert data["value"] == []


def test_empty_array_inside_a_larger_program_does_not_steal_earlier_values():
    """`[]` took every value computed before it (results[-0:] is the whole list)."""
    data = eval_json("a = x*2; [a, x] + sum([])", "--at", "x=3")
    assert data["value"] == [6.0, 3.0]


def test_at_rows_of_empty_arrays():
    assert np.array(eval_json("y", "--at", "y=[[],[]]")["at"]["y"]).shape == (2, 0)
    run = run_cli("eval", "y", "--at", "y=[1, []]")
    assert_bad_input(run, "shape")


# --------------------------------------------------------------------------------------------
# 2. Every statement but the last must be an assignment
# --------------------------------------------------------------------------------------------


def test_an_unused_expression_statement_is_an_error_with_a_caret_on_it():
    run = run_cli("eval", "(a+b)*(b+1)\n+ 1", "--at", "a=2,b=1")
    assert_bad_input(run, "line 1", "join the lines", "=")
    assert caret_text(run.err) == "(a+b)*(b+1)"


def test_an_unused_statement_after_semicolon():
    run = run_cli("eval", "x; y = x*2; y", "--at", "x=1")
    assert_bad_input(run, "never used")
    assert caret_text(run.err) == "x"


def test_assignments_then_an_output_still_work():
    assert float(gradcli.evaluate("y = x*2\ny + 1", x=3.0).value) == 7.0


# --------------------------------------------------------------------------------------------
# 3. Overflowing literals, odd indices, deep nesting: exit 2 with a message, never exit 1
# --------------------------------------------------------------------------------------------

OVERFLOW = [
    ("eval", "z ** 1e400", "--at", "z=2"),
    ("eval", "1e400/x", "--at", "x=2"),
    ("diff", "y + 1e400"),
    ("hessian", "1e400^x", "--at", "x=1"),
    ("eval", "x[1e400]", "--at", "x=[1,2]"),
    ("eval", "x[-1e400]", "--at", "x=[1,2]"),
    ("eval", "x", "--at", "x=1e400"),
]


@pytest.mark.parametrize("args", OVERFLOW, ids=[" ".join(a) for a in OVERFLOW])
def test_an_overflowing_literal_says_too_large_and_suggests_inf(args):
    run = run_cli(*args)
    assert_bad_input(run, "too large", "inf")
    assert caret_text(run.err) == "1e400"


def test_inf_and_nan_are_constants():
    data = eval_json("x + inf", "--at", "x=1")
    assert data["value"] == "inf"
    data = eval_json("x * nan", "--at", "x=1")
    assert data["value"] == "nan"
    assert eval_json("x", "--at", "x=-inf")["at"]["x"] == "-inf"


def test_diff_of_a_program_with_inf_prints_inf():
    run = run_cli("diff", "y * inf")
    assert run.code == 0, run.err
    assert run.out.strip().splitlines()[-1] == "inf"


@pytest.mark.parametrize("index", ["0/0", "1/0", "-1/0"])
def test_onehot_with_a_non_finite_index(index):
    run = run_cli("eval", f"onehot(x, {index})", "--at", "x=[1,2]")
    assert_bad_input(run, "index")


def nested(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


def test_64_nested_brackets_are_fine():
    assert np.ndim(gradcli.evaluate(nested(64)).value) == 64


def test_65_nested_brackets_in_source():
    run = run_cli("eval", nested(65))
    assert_bad_input(run, "64 dimensions")


def test_65_nested_brackets_in_at():
    run = run_cli("eval", "x", "--at", f"x={nested(65)}")
    assert_bad_input(run, "64 dimensions")


def test_1200_nested_brackets_in_at():
    """values.constant_value recursed: RecursionError, exit 1."""
    run = run_cli("eval", "x", "--at", f"x={nested(1200)}")
    assert_bad_input(run, "64 dimensions")


# --------------------------------------------------------------------------------------------
# 4. Numbers are ASCII
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("digit", ["１", "١", "५"])
def test_non_ascii_digits_in_at_are_an_error(digit):
    run = run_cli("eval", "x", "--at", f"x={digit}")
    assert_bad_input(run, "digit", "ASCII")


def test_non_ascii_digits_in_source_are_an_error():
    run = run_cli("eval", "x + ２", "--at", "x=1")
    assert_bad_input(run, "ASCII", "'2'")
    assert caret_text(run.err) == "２"


def test_non_ascii_digit_after_ascii_digits():
    run = run_cli("eval", "x + 2２", "--at", "x=1")
    assert_bad_input(run, "ASCII")


# --------------------------------------------------------------------------------------------
# 5. Nothing to differentiate; a graph without values
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["2", "pi", "a = 2; a * e"])
def test_diff_without_variables_says_nothing_to_differentiate(source):
    run = run_cli("diff", source)
    assert_bad_input(run, "nothing to differentiate")


@pytest.mark.parametrize("source", ["W @ x", "sum(W @ x + b)", "x[1] * y", "[a, b] @ M"])
def test_graph_without_at_draws_an_array_program(source):
    run = run_cli("graph", source, "--format", "dot")
    assert run.code == 0, run.err
    assert "digraph" in run.out
    assert "@" in run.out or "[" in run.out or "index" in run.out


def test_graph_with_at_still_checks_shapes():
    run = run_cli("graph", "W @ x", "--at", "W=[[1,2]],x=[1,2,3]", "--format", "dot")
    assert_bad_input(run, "(1, 2)", "(3,)")


# --------------------------------------------------------------------------------------------
# 6. Messages quote at most a couple of hundred characters of the user's text
# --------------------------------------------------------------------------------------------

HUGE = "a" * 1_000_000


@pytest.mark.parametrize(
    "args",
    [
        ("eval", f"{HUGE} + 1"),  # no value for the name: the name is in message and hint
        ("eval", f"{HUGE}(x)", "--at", "x=1"),  # unknown function
        ("eval", "x", "--at", f"{HUGE}=1,x=1"),  # a value for no variable
        ("eval", f"x + 1 {HUGE}", "--at", "x=1"),  # a syntax error
        ("eval", f"{HUGE}\n+ 1"),  # an unused statement
    ],
    ids=["no-value", "unknown-function", "value-for-nothing", "syntax", "unused-statement"],
)
def test_messages_quote_a_bounded_amount_of_text(args):
    run = run_cli(*args)
    assert_bad_input(run)
    assert len(run.err) < 1200, f"{len(run.err):,} characters of stderr"
    for line in run.err.splitlines():
        assert len(line) <= 260, line[:300]


def test_render_clips_every_part():
    error = GradcliError("no value for " + repr(HUGE), hint=f"give it with --at {HUGE}=1")
    assert len(error.render()) < 600


# --------------------------------------------------------------------------------------------
# 7. The parser tables cannot run planted code, and nothing is written to a cache folder
# --------------------------------------------------------------------------------------------

_CHILD = textwrap.dedent(
    """
    from gradcli.parse import parse_program
    assert len(parse_program("y = x^2; y + 1").statements) == 2
    print("parsed")
    """
)


class _Planted:
    """Unpickling this creates the marker file: the proof that a planted pickle ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def run_parser(env_changes: dict[str, str], cwd: Path | None = None, timeout: float = 30) -> str:
    """Parse a program in a fresh process (fresh parser, no in-memory cache) with this environment."""
    env = {**os.environ, **env_changes}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stderr
    assert "parsed" in done.stdout
    return done.stderr


def cache_names(folder: Path) -> list[Path]:
    """Every name the old cache used or a cache could use, under `folder/gradcli`."""
    import hashlib

    from gradcli import __version__
    from gradcli.parse import grammar_text

    digest = hashlib.sha256(grammar_text().encode()).hexdigest()[:16]
    names = [f"expr-{__version__}-{digest}.lark-cache", "expr.lark-cache", "tables.json"]
    return [folder / "gradcli" / name for name in names]


@pytest.fixture
def shared_folder(tmp_path):
    """A cache folder another user could write to (mode 0777)."""
    folder = tmp_path / "shared"
    (folder / "gradcli").mkdir(parents=True)
    os.chmod(folder, 0o777)
    os.chmod(folder / "gradcli", 0o777)
    return folder


def test_a_planted_pickle_is_never_loaded(shared_folder, tmp_path):
    marker = tmp_path / "pwned"
    # Lark reads a hash line, then unpickles the next object before it compares the hash.
    payload = b"0" * 64 + b"\n" + pickle.dumps(_Planted(marker))
    for path in cache_names(shared_folder):
        path.write_bytes(payload)
        os.chmod(path, 0o600)
    run_parser({"XDG_CACHE_HOME": str(shared_folder)})
    assert not marker.exists(), "a planted pickle ran"


def test_a_planted_pickle_in_our_own_folder_is_never_loaded(tmp_path):
    """Even a file in a folder we own is data: the tables are never read from a pickle."""
    folder = tmp_path / "mine"
    (folder / "gradcli").mkdir(parents=True, mode=0o700)
    marker = tmp_path / "pwned"
    for path in cache_names(folder):
        path.write_bytes(b"0" * 64 + b"\n" + pickle.dumps(_Planted(marker)))
        os.chmod(path, 0o600)
    run_parser({"XDG_CACHE_HOME": str(folder)})
    assert not marker.exists()


def test_a_symlink_at_the_cache_name_is_not_written_through(shared_folder, tmp_path):
    target = tmp_path / "victim.txt"
    target.write_text("precious")
    for path in cache_names(shared_folder):
        path.symlink_to(target)
    run_parser({"XDG_CACHE_HOME": str(shared_folder)})
    assert target.read_text() == "precious"


def test_a_fifo_at_the_cache_name_does_not_hang(shared_folder):
    for path in cache_names(shared_folder):
        os.mkfifo(path)
    run_parser({"XDG_CACHE_HOME": str(shared_folder)}, timeout=20)
    assert all(stat.S_ISFIFO(os.lstat(p).st_mode) for p in cache_names(shared_folder))


def test_an_endless_file_at_the_cache_name_is_not_read(shared_folder):
    """A link to /dev/zero (or a huge file) at the cache name: neither read nor followed."""
    for path in cache_names(shared_folder):
        path.symlink_to("/dev/zero")
    run_parser({"XDG_CACHE_HOME": str(shared_folder)}, timeout=20)


def test_a_relative_xdg_cache_home_is_ignored(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    run_parser({"XDG_CACHE_HOME": "relative-cache", "HOME": str(home)}, cwd=tmp_path)
    assert not (tmp_path / "relative-cache").exists()


def test_nothing_is_written_under_home_or_xdg(tmp_path):
    home, xdg = tmp_path / "home", tmp_path / "xdg"
    home.mkdir()
    xdg.mkdir()
    run_parser({"XDG_CACHE_HOME": str(xdg), "HOME": str(home)})
    assert list(home.iterdir()) == [] and list(xdg.iterdir()) == []


def test_an_empty_home_writes_nothing(tmp_path):
    env = {"HOME": "", "XDG_CACHE_HOME": ""}
    run_parser(env, cwd=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_shipped_tables_match_the_grammar():
    """The LALR tables ship as JSON data beside the grammar; regenerate them when it changes:
    `python -m gradcli.parse --write-tables`."""
    from gradcli import parse

    assert parse.shipped_tables_current(), "run: python -m gradcli.parse --write-tables"
