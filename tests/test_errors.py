"""Bad input of every kind: exit code 2, one clear message on stderr, nothing on stdout, no traceback.

Each case names the substring its message must contain, so a vaguer message fails the test.
Messages that are wrong or unclear today are strict xfails that assert the right behaviour.
"""

from __future__ import annotations

import re

import pytest
from conftest import Run, run_cli, run_process

from gradcli.ops import FUNCTIONS


def assert_bad_input(run: Run, *needles: str) -> None:
    assert run.code == 2, f"exit {run.code}, stderr:\n{run.err}"
    assert run.out == "", f"stdout should be empty, got:\n{run.out}"
    assert "Traceback" not in run.err
    assert "internal error" not in run.err
    assert run.err.startswith("error: "), run.err
    for needle in needles:
        assert needle.lower() in run.err.lower(), f"{needle!r} not in stderr:\n{run.err}"


_WHERE = re.compile(r"--> (?:expression|--at), line (\d+), column (\d+)$")
_CARET = re.compile(r"^   \| ( *)(\^+)$")


def caret_target(err: str, source: str) -> str:
    """The character the caret line points at, checked against the 'line L, column C' it states."""
    lines = err.splitlines()
    where = [i for i, line in enumerate(lines) if _WHERE.search(line)]
    assert where, f"no '--> ..., line L, column C' in:\n{err}"
    i = where[0]
    line_no, column = map(int, _WHERE.search(lines[i]).groups())
    shown, caret = lines[i + 1], lines[i + 2]
    match = _CARET.match(caret)
    assert shown.startswith("   | ") and match, f"no caret line under the source in:\n{err}"
    assert len(match.group(1)) == column - 1, "the caret is not at the column the message states"
    text = source.splitlines()[line_no - 1]
    return text[column - 1]


# (id, SOURCE, extra arguments, substrings the message must contain, the character under the caret)
SYNTAX = [
    ("unclosed-paren", "(x+1", ["--at", "x=1"], ["ends too early", "')'", "unclosed"], "1"),
    ("dangling-plus", "x+", ["--at", "x=1"], ["ends too early", "expected an expression"], "+"),
    ("dangling-power", "x^", ["--at", "x=1"], ["ends too early"], "^"),
    ("operator-pair", "x*/y", ["--at", "x=1,y=2"], ["unexpected '/'", "expected an expression"], "/"),
    ("implicit-number-name", "2x", ["--at", "x=1"], ["missing operator before 'x'", "write 2*x"], "x"),
    ("implicit-name-name", "x y", ["--at", "x=1,y=2"], ["missing operator before 'y'", "write x*y"], "y"),
    ("implicit-tab", "x\ty", ["--at", "x=1,y=2"], ["missing operator", "write x*y"], "y"),
    ("implicit-paren", "2(x+1)", ["--at", "x=1"], ["missing operator before '('", "2*("], "("),
    ("close-open", ")(", ["--at", "x=1"], ["unexpected ')'"], ")"),
    ("equals-after-number", "1 = x", ["--at", "x=1"], ["unexpected '='", "name = expression"], "="),
    ("equals-twice", "x = 1 = 2", [], ["unexpected '='"], "="),
    ("only-open-parens", "(((", ["--at", "x=1"], ["ends too early"], "("),
    ("second-line", "a = 1\nb = (2\n", [], ["line 2", "ends too early"], "2"),
    ("stray-dollar", "x $ 1", ["--at", "x=1"], ["unexpected character '$'", "operators are"], "$"),
    ("double-dot", "x..1", ["--at", "x=1"], ["unexpected character '.'"], "."),
    ("nul-byte", "x\x00+1", ["--at", "x=1"], ["NUL byte"], "\x00"),
    ("unicode-minus", "x−1", ["--at", "x=1"], ["unexpected character '−'", "type '-' instead"], "−"),
    ("unicode-times", "2×x", ["--at", "x=1"], ["'×'", "type '*' instead"], "×"),
    ("unicode-dot", "x·y", ["--at", "x=1,y=1"], ["'·'", "type '*' instead"], "·"),
    ("unicode-pi", "π*x", ["--at", "x=1"], ["'π'", "type 'pi' instead"], "π"),
    ("unicode-square", "x²", ["--at", "x=1"], ["'²'", "type '^2' instead"], "²"),
]


@pytest.mark.parametrize(
    ("source", "extra", "needles", "under_caret"), [c[1:] for c in SYNTAX], ids=[c[0] for c in SYNTAX]
)
def test_syntax_errors(source, extra, needles, under_caret):
    run = run_cli("eval", source, *extra)
    assert_bad_input(run, *needles)
    assert caret_target(run.err, source) == under_caret


# (id, arguments after `eval`, substrings the message must contain)
BAD = [
    ("empty", [""], ["the input is empty", "give an expression"]),
    ("only-spaces", ["   \t "], ["the input is empty"]),
    ("only-semicolon", [";"], ["the input is empty"]),
    ("only-separators", [" ;\n; ;"], ["the input is empty"]),
    ("unknown-function-typo", ["tnah(x)", "--at", "x=1"], ["unknown function 'tnah'", "did you mean 'tanh'"]),
    ("unknown-function-sqr", ["sqr(x)", "--at", "x=1"], ["unknown function 'sqr'", "did you mean 'sqrt'"]),
    ("unknown-function-case", ["Exp(x)", "--at", "x=1"], ["unknown function 'Exp'", "did you mean 'exp'"]),
    ("unknown-function-far", ["qux(x)", "--at", "x=1"], ["unknown function 'qux'", "functions: ", "tanh"]),
    ("unknown-function-in-at", ["x", "--at", "x=foo(1)"], ["unknown function 'foo'", "--at"]),
    ("arity-exp", ["exp(x,y)", "--at", "x=1,y=2"], ["exp() takes 1 argument, not 2"]),
    ("arity-max", ["max(x, x, x)", "--at", "x=1"], ["max() takes 1 or 2 arguments, not 3"]),
    ("arity-zero", ["max()", "--at", "x=1"], ["max() takes 1 or 2 arguments, not 0"]),
    ("arity-sin", ["sin()", "--at", "x=1"], ["sin() takes 1 argument, not 0"]),
    ("arity-dot", ["dot(x)", "--at", "x=[1,2]"], ["dot() takes 2 arguments, not 1"]),
    ("dot-of-numbers", ["dot(x, y)", "--at", "x=1,y=2"], ["two vectors of the same length"]),
    ("matmul-lengths", ["x @ y", "--at", "x=[1,2,3],y=[1,2]"], ["'@'", "(3,)", "(2,)"]),
    ("missing-all", ["x + y*z"], ["no values for x, y, z", "--at x=1,y=1,z=1"]),
    ("missing-one", ["x + y", "--at", "x=1"], ["no value for y", "--at y=1"]),
    ("value-not-read", ["x", "--at", "x=1,y=2"], ["value is given for 'y'", "does not read 'y'", "reads x"]),
    ("value-nothing-read", ["y = 2", "--at", "x=1"], ["does not read 'x'", "no variables"]),
    ("at-no-equals", ["x", "--at", "x"], ["expected NAME=VALUE, got 'x'", "x=1"]),
    ("at-bad-name", ["x", "--at", "1x=2"], ["'1x' is not a variable name"]),
    ("at-no-value", ["x", "--at", "x="], ["no value after x="]),
    ("at-unclosed-array", ["x", "--at", "x=[1,2"], ["ends too early", "--at", "']'"]),
    ("at-extra-bracket", ["x", "--at", "x=[1,2]]"], ["unexpected ']'", "--at"]),
    ("at-name-as-value", ["x", "--at", "x=y"], ["cannot use the name 'y'", "pi/4"]),
    ("at-duplicate", ["x", "--at", "x=1,x=2"], ["'x' is given twice"]),
    ("at-duplicate-options", ["x", "--at", "x=1", "--at", "x=2"], ["'x' is given twice"]),
    ("at-ragged", ["x", "--at", "x=[[1,2],[3]]"], ["different shapes", "(1,)", "(2,)"]),
    ("at-empty-entry", ["x", "--at", "x=1,,y=2"], ["empty entry in --at"]),
    ("at-empty-option", ["x", "--at", "x=1", "--at", ""], ["empty entry in --at"]),
    ("at-two-statements", ["x", "--at", "x=1;2"], ["the value of x must be one expression"]),
    ("at-nul", ["x", "--at", "x=1\x00"], ["NUL byte", "--at"]),
    ("at-unicode-pi", ["x", "--at", "x=π"], ["type 'pi' instead"]),
    ("at-unicode-minus", ["x", "--at", "x=−1"], ["type '-' instead"]),
    ("unknown-option", ["x", "--at", "x=1", "--bogus"], ["no such option", "--bogus", "--help"]),
    ("unknown-command", None, ["no such command", "bogus"]),
    ("unknown-format", ["x", "--at", "x=1", "--format", "bogus"], ["'bogus' is not one of", "json"]),
    ("digits-zero", ["x", "--at", "x=1", "--digits", "0"], ["--digits", "0 is not in the range"]),
    ("digits-too-many", ["x", "--at", "x=1", "--digits", "18"], ["--digits", "18 is not in the range"]),
    ("digits-not-a-number", ["x", "--at", "x=1", "--digits", "abc"], ["--digits", "'abc'"]),
    ("wrt-unknown", ["x", "--at", "x=1", "--wrt", "q"], ["--wrt names 'q'", "the variables are: x"]),
    ("wrt-one-unknown", ["x*y", "--at", "x=1,y=2", "--wrt", "x,q"], ["--wrt names 'q'", "x, y"]),
    ("json-and-format", ["x", "--at", "x=1", "--json", "--format", "text"], ["--json and --format"]),
    (
        "missing-file",
        ["-f", "/nonexistent/gradcli-test.txt", "--at", "x=1"],
        ["no such file", "gradcli-test.txt"],
    ),
    (
        "output-unknown-suffix",
        ["x", "--at", "x=1", "-o", "/nonexistent/out.xyz"],
        ["cannot tell the format", ".json"],
    ),
    ("shapes-add", ["x+y", "--at", "x=[1,2,3],y=[1,2]"], ["shapes (3,) and (2,)", "do not fit", "'+'"]),
    ("shapes-matrix", ["x*y", "--at", "x=[[1,2],[3,4]],y=[1,2,3]"], ["shapes (2, 2) and (3,)", "'*'"]),
    ("shapes-max", ["max(x, y)", "--at", "x=[1,2,3],y=[1,2]"], ["shapes (3,) and (2,)", "'max'"]),
]


@pytest.mark.parametrize(("args", "needles"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_input(args, needles):
    run = run_cli(*(["bogus"] if args is None else ["eval", *args]))
    assert_bad_input(run, *needles)


def test_there_are_many_distinct_cases():
    cases = [tuple(c[1]) if c[1] else c[0] for c in BAD] + [c[1] for c in SYNTAX]
    assert len(set(cases)) >= 35


@pytest.mark.parametrize(
    ("args", "source", "under_caret"),
    [
        (["x+y", "--at", "x=[1,2,3],y=[1,2]"], "x+y", "+"),
        (["x + foo(x)", "--at", "x=1"], "x + foo(x)", "f"),
        (["exp(x, y)", "--at", "x=1,y=2"], "exp(x, y)", "e"),
        (["x + y", "--at", "x=1"], "x + y", "y"),
    ],
    ids=["shapes", "unknown-function", "arity", "missing-value"],
)
def test_errors_after_parsing_point_at_the_source(args, source, under_caret):
    """Shapes, unknown functions, arity and missing values are located like syntax errors."""
    run = run_cli("eval", *args)
    assert run.code == 2
    assert caret_target(run.err, source) == under_caret


def test_at_errors_point_into_the_at_value():
    run = run_cli("eval", "x", "--at", "x=1,y=[1,2")
    assert_bad_input(run, "--at")
    assert caret_target(run.err, "x=1,y=[1,2") == "2"


def test_empty_standard_input():
    run = run_cli("eval", "-", "--at", "x=1", stdin="")
    assert_bad_input(run, "the input is empty")


def test_source_and_file_together(tmp_path):
    path = tmp_path / "prog.txt"
    path.write_text("x^2\n", encoding="utf-8")
    assert_bad_input(run_cli("eval", "x", "-f", str(path), "--at", "x=1"), "either as SOURCE or with --file")


def test_file_with_a_syntax_error_points_into_the_file(tmp_path):
    path = tmp_path / "prog.txt"
    path.write_text("a = x^2\nb = a +* 2\nb\n", encoding="utf-8")
    run = run_cli("eval", "-f", str(path), "--at", "x=1")
    assert_bad_input(run, "line 2", "unexpected '*'")
    assert caret_target(run.err, path.read_text()) == "*"


def test_file_with_nul_bytes(tmp_path):
    path = tmp_path / "binary.bin"
    path.write_bytes(b"x\x00\x00\x01+1")
    assert_bad_input(run_cli("eval", "-f", str(path), "--at", "x=1"), "NUL byte")


def test_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("x \xb7 2".encode("latin-1"))
    assert_bad_input(run_cli("eval", "-f", str(path), "--at", "x=1"), "cannot read")


def test_syntax_error_in_a_long_line_is_cut_to_a_window():
    source = "+".join(["x"] * 5000) + "+*x"
    run = run_cli("eval", source, "--at", "x=1")
    assert_bad_input(run, "unexpected '*'", f"column {len(source) - 1}")
    assert len(run.err) < 1000
    lines = run.err.splitlines()
    caret = next(i for i, line in enumerate(lines) if _CARET.match(line))
    pad = len(_CARET.match(lines[caret]).group(1))
    assert lines[caret - 1][len("   | ") + pad] == "*"


def test_bad_input_as_a_process():
    """The installed entry point: exit 2 and a message, also outside pytest's process."""
    run = run_process("eval", "tnah(x)", "--at", "x=1")
    assert_bad_input(run, "did you mean 'tanh'")


# --- every function, at every kind of value: a result or a clear error, never a crash ----------

_VALUES = {"number": "1.5", "vector": "[1,2,3]", "matrix": "[[1,2,3],[4,5,6]]"}
# Crashes found by this test and still open (exit 1, "internal error"): strict xfails. (None now.)
_CRASHES: dict[tuple[str, int, str], str] = {}


def _function_cases():
    for name, arity in sorted(FUNCTIONS):
        for kind in _VALUES:
            reason = _CRASHES.get((name, arity, kind))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(name, arity, kind, marks=marks, id=f"{name}/{arity}-{kind}")


@pytest.mark.parametrize(("name", "arity", "kind"), list(_function_cases()))
def test_every_function_at_every_shape_answers_or_explains(name, arity, kind):
    variables = "abc"[:arity]
    source = f"{name}({', '.join(variables)})"
    at = ",".join(f"{v}={_VALUES[kind]}" for v in variables)
    run = run_cli("eval", source, "--at", at, "--json", "--brief")
    assert "internal error" not in run.err and "Traceback" not in run.err, run.err
    if run.code == 0:
        run.json()  # strict JSON
    else:
        assert_bad_input(run, "--> expression, line 1")


# --- a SOURCE that starts with '-' (the contract's decision) ---------------------------------


def _brief(run: Run) -> tuple[float, dict[str, float]]:
    assert run.code == 0, run.err
    data = run.json()
    return data["value"], data["gradient"]


@pytest.mark.parametrize(
    "args",
    [
        ["-x^2", "--at", "x=3"],
        ["--at", "x=3", "-x^2"],
        ["--json", "-x^2", "--brief", "--at", "x=3"],
    ],
    ids=["first", "last", "between-flags"],
)
def test_source_starting_with_minus(args):
    x = 3.0
    value, gradient = _brief(run_cli("eval", *args, "--json", "--brief"))
    assert value == -(x**2)  # -x^2 is -(x^2)
    assert gradient == {"x": -2 * x}


def test_source_starting_with_minus_as_a_process():
    value, gradient = _brief(run_process("eval", "-x^2", "--at", "x=3", "--json", "--brief"))
    assert (value, gradient) == (-9.0, {"x": -6.0})


def test_double_dash_after_the_options():
    f, x = 2.0, 3.0
    value, gradient = _brief(run_cli("eval", "--at", "f=2,x=3", "--json", "--brief", "--", "-f*x"))
    assert value == -f * x
    assert gradient == {"f": -x, "x": -f}


def test_double_dash_before_the_options():
    """The contract's own example: `gradcli eval -- "-f*x" --at f=2,x=3`."""
    f, x = 2.0, 3.0
    value, gradient = _brief(run_cli("eval", "--", "-f*x", "--at", "f=2,x=3", "--json", "--brief"))
    assert value == -f * x
    assert gradient == {"f": -x, "x": -f}


# --- messages that are wrong or unclear today -------------------------------------------------


def test_at_without_a_name():
    assert_bad_input(run_cli("eval", "x", "--at", "=1"), "no name before '='", "x=1")


def test_unexpected_double_star_is_quoted_as_typed():
    assert_bad_input(run_cli("eval", "**x", "--at", "x=1"), "unexpected '**'")


def test_function_name_without_parentheses():
    assert_bad_input(run_cli("eval", "exp x", "--at", "x=1"), "exp(x)")


def test_index_out_of_range_names_the_index():
    run = run_cli("eval", "x[5]", "--at", "x=[1,2]")
    assert_bad_input(run, "index 5")
    assert "index 5" in run.err.splitlines()[0]


def test_invisible_character_is_named():
    run = run_cli("eval", "x\u200b+1", "--at", "x=1")
    assert_bad_input(run, "U+200B")
    assert "\\u200b" not in run.err


def test_unclosed_call_expects_only_its_closer():
    run = run_cli("eval", "sin(x", "--at", "x=1")
    assert_bad_input(run, "ends too early", "')'")
    assert "']'" not in run.err


def test_unmatched_close_paren_says_so():
    assert_bad_input(run_cli("eval", "x)", "--at", "x=1"), "unexpected ')'", "no '(' is open")


def test_expression_read_as_the_file_option_hints_double_dash():
    assert_bad_input(run_cli("eval", "-f*x", "--at", "f=2,x=3"), "no such file", "--")


def test_file_with_a_byte_order_mark(tmp_path):
    """Windows Notepad starts UTF-8 files with a byte-order mark; it is not part of the program."""
    path = tmp_path / "notepad.txt"
    path.write_bytes("\ufeffx^2\n".encode())
    value, gradient = _brief(run_cli("eval", "-f", str(path), "--at", "x=3", "--json", "--brief"))
    assert (value, gradient) == (9.0, {"x": 6.0})


def test_empty_array_value_is_not_a_crash():
    """`x=[]` is an array with no elements: its Jacobian is empty too (no internal error)."""
    run = run_cli("eval", "2*x", "--at", "x=[]", "--json", "--brief")
    assert run.code == 0, run.err
    assert "Traceback" not in run.err
    data = run.json()
    assert data["value"] == [] and data["gradient"] == {"x": []}


def test_a_line_that_ends_early_says_so_in_plain_words():
    run = run_cli("eval", "-", "--at", "x=1,y=2", stdin="x +\ny")
    assert run.code == 2
    assert "the line ends before the expression does" in run.err
    assert "unexpected a new line" not in run.err
