"""Every JSON gradcli prints is described by the JSON Schema shipped for its command
(gradcli/schemas/*.json, draft 2020-12), and the schemas are complete.

The shipped schemas allow keys they do not list (the contract: keys may be added, none removed
or renamed), so a renamed or missing key fails them (required keys, types) but a new one does
not. To keep them complete, every output is also validated against a strict copy in which each
object that lists its properties allows no others: a key added to an output without its schema
fails here. (One object is open on purpose, in both copies: a `--points` row carries the input's
other fields through.)

What is validated: the golden JSON files, the JSON of every README example and of every seed
example (`gradcli demo`'s list) re-run with `--json`, random programs (the grammar fuzz's and
the property tests' generators) through the API and the CLI, forward mode, arrays and
Jacobians, non-finite numbers, `--points` rows, and the outputs that come with a non-zero exit
(a failed check, a diverged descent).
"""

from __future__ import annotations

import copy
import importlib.resources
import json
import shlex
import warnings
from pathlib import Path

import jsonschema
import pytest
from conftest import run_cli
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_check import wrong_sin  # noqa: F401 (a fixture: sin's rule made wrong)
from test_fuzz import PROGRAMS, bindings
from test_properties import programs
from test_readme import README, examples, fences, one_command

import gradcli
from gradcli.cli.cmd_demo import runnable
from gradcli.errors import GradcliError

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("eval", "eval-points", "check", "check-perturb", "hessian", "diff", "descend")


def _shipped() -> dict[str, dict]:
    folder = importlib.resources.files("gradcli") / "schemas"
    return {kind: json.loads((folder / f"{kind}.json").read_text(encoding="utf-8")) for kind in KINDS}


SCHEMAS = _shipped()


def strict(schema: object) -> object:
    """A copy of `schema` where every object that lists `properties` and says nothing of other
    keys allows no others."""
    schema = copy.deepcopy(schema)

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "properties" in node and "additionalProperties" not in node:
                node["additionalProperties"] = False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


VALIDATORS = {kind: jsonschema.Draft202012Validator(schema) for kind, schema in SCHEMAS.items()}
STRICT = {kind: jsonschema.Draft202012Validator(strict(schema)) for kind, schema in SCHEMAS.items()}


def errors(kind: str, data: object, validators=VALIDATORS) -> list[str]:
    found = sorted(validators[kind].iter_errors(data), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message[:300]}" for e in found]


def assert_valid(kind: str, text: str, what: str = "") -> None:
    """`text` (one JSON document, or JSON Lines for eval-points) fits the shipped schema of
    `kind` and its strict copy."""
    documents = (
        [json.loads(line) for line in text.splitlines()] if kind == "eval-points" else [json.loads(text)]
    )
    assert documents, f"{what}: no JSON"
    for data in documents:
        shipped = errors(kind, data)
        assert not shipped, f"{what} does not fit schemas/{kind}.json:\n" + "\n".join(shipped)
        unknown = errors(kind, data, STRICT)
        assert not unknown, f"{what} has keys schemas/{kind}.json does not list:\n" + "\n".join(unknown)


# --- the schemas themselves -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_each_schema_is_a_valid_draft_2020_12_schema(kind):
    schema = SCHEMAS[kind]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator.check_schema(strict(schema))
    assert schema["$id"].endswith(f"/schemas/{kind}.json")
    assert schema["title"].startswith("gradcli ") and schema["description"]


def test_the_shared_definitions_agree():
    """Numbers, arrays, values and warnings mean the same in every schema (each file stands
    alone, so they are repeated: this keeps the copies equal)."""
    shared = ("real", "tensor", "values", "warnings", "shape")
    first = SCHEMAS["eval"]["$defs"]
    for kind, schema in SCHEMAS.items():
        for name in shared:
            assert schema["$defs"][name] == first[name], (
                f"{kind}.json's $defs/{name} differs from eval.json's"
            )


def test_the_folder_holds_exactly_these_schemas():
    folder = ROOT / "gradcli" / "schemas"
    assert sorted(path.stem for path in folder.glob("*.json")) == sorted(KINDS + HOMEWORK_KINDS)
    assert not [path for path in folder.iterdir() if path.suffix != ".json"]


def test_non_finite_numbers_are_the_three_strings():
    real = {"$defs": SCHEMAS["eval"]["$defs"], "$ref": "#/$defs/tensor"}
    check = jsonschema.Draft202012Validator(real)
    for good in (1, -2.5, "nan", "inf", "-inf", [[1, "nan"], [0, 2]], []):
        assert check.is_valid(good), good
    for bad in ("NaN", "Infinity", None, True, {"x": 1}, [1, "1"]):
        assert not check.is_valid(bad), bad


# --- the checker catches what it is for ---------------------------------------------------------------


def _eval_json(*args: str) -> dict:
    run = run_cli("eval", *args, "--json")
    assert run.code == 0, run.err
    return run.json()


def test_a_renamed_or_missing_key_fails_the_shipped_schema():
    data = _eval_json("x*x", "--at", "x=2")
    assert not errors("eval", data)
    renamed = copy.deepcopy(data)
    renamed["steps"][0]["position"] = renamed["steps"][0].pop("input")
    assert any("'input' is a required property" in e for e in errors("eval", renamed))
    missing = copy.deepcopy(data)
    del missing["gradient"]
    assert errors("eval", missing)
    wrong_type = copy.deepcopy(data)
    wrong_type["nodes"][0]["value"] = "2"
    assert errors("eval", wrong_type)
    brief_half = copy.deepcopy(data)
    del brief_half["steps"]  # nodes without steps: neither full nor --brief
    assert errors("eval", brief_half)


def test_an_added_key_passes_the_shipped_schema_but_not_the_strict_copy():
    data = _eval_json("x*x", "--at", "x=2")
    data["steps"][1]["operand"] = "2nd factor"
    assert not errors("eval", data)  # keys may be added (the contract)
    assert any("'operand' was unexpected" in e for e in errors("eval", data, STRICT))
    with pytest.raises(AssertionError, match="does not list"):
        assert_valid("eval", json.dumps(data), "eval with an extra key")


# --- every JSON output --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted((ROOT / "tests" / "golden").glob("*.json")), ids=lambda p: p.name)
def test_golden_json_files(path):
    assert_valid("eval", path.read_text(encoding="utf-8"), path.name)


def kind_of(argv: list[str]) -> str | None:
    """Which schema the JSON of `gradcli ARGV` follows (None: the command prints no JSON)."""
    command = argv[0]
    if command == "eval":
        return "eval-points" if "--points" in argv else "eval"
    if command == "check":
        return "check-perturb" if any(a.startswith("--perturb") for a in argv) else "check"
    return command if command in ("hessian", "diff", "descend") else None


def as_json(argv: list[str]) -> list[str]:
    """`argv` asking for JSON instead of its format (--points: JSON Lines); -o dropped."""
    out, skip = [], False
    for word in argv:
        if skip:
            skip = False
            continue
        if word in ("--format", "-F", "-o", "--output"):
            skip = True
            continue
        if word.startswith(("--format=", "-o=", "--output=")):
            continue
        out.append(word)
    return [*out, "--format", "jsonl"] if "--points" in argv else [*out, "--json"]


def _validate_command(argv: list[str], what: str, codes: tuple[int, ...] = (0,)) -> None:
    kind = kind_of(argv)
    assert kind is not None, f"{argv[0]} prints no JSON"
    run = run_cli(*as_json(argv))
    assert run.code in codes, f"{what}: exit {run.code}\n{run.err}"
    assert_valid(kind, run.out, what)


def _readme_commands() -> list[str]:
    text = README.read_text(encoding="utf-8")
    found = [example.command for example in examples(text)[0] if not example.console]
    for fence in fences(text):  # commands shown without an output (the course examples)
        command = one_command(fence)
        if command and command not in found and "-o " not in command and "--points" not in command:
            found.append(command)
    return found


def _argv(command: str) -> list[str]:
    return shlex.split(command.split(" | ")[0])[1:]


# `graph` prints no JSON (tree, dot, mermaid, pictures): its examples are not here.
@pytest.mark.parametrize(
    "command", [c for c in _readme_commands() if kind_of(_argv(c))], ids=lambda c: c[:60]
)
def test_readme_examples(command):
    _validate_command(_argv(command), f"README: {command[:80]}")


@pytest.mark.parametrize("example", [e for e in runnable() if kind_of(list(e.argv))], ids=lambda e: e.name)
def test_seed_examples(example):
    _validate_command(list(example.argv), f"seed example {example.name}")


def test_the_readme_jq_example_reads_the_eval_schema():
    run = run_cli("eval", "(a+b)*(b+1)", "--at", "a=2,b=1", "--json", "--brief")
    assert_valid("eval", run.out, "eval --brief")
    assert "nodes" not in run.json() and "steps" not in run.json()


CASES = {
    "forward mode": ["eval", "sin(x)*y", "--at", "x=1,y=2", "--mode", "forward"],
    "forward mode brief": ["eval", "sin(x)*y", "--at", "x=1,y=2", "--mode", "forward", "--brief"],
    "forward mode arrays": ["eval", "tanh(W @ x)", "--at", "W=[[1,2],[3,4]],x=[1,-1]", "--mode", "forward"],
    "a Jacobian": ["eval", "tanh(W @ X + B)", "--at", "W=[[0.1,0.2],[0.4,0.5]],X=[1,2],B=[0.1,-0.2]"],
    "options": ["eval", "sum(softmax(W, axis=1) * W, axis=0, keepdims=1)", "--at", "W=[[1,2],[3,4]]"],
    "a vjp step": ["eval", "sum(W @ x)", "--at", "W=[[1,2],[3,4]],x=[1,1]"],
    "kinks": ["eval", "relu(x) + abs(y) + max(x, y)", "--at", "x=0,y=0"],
    "a cut step": ["eval", "sqrt(relu(x))", "--at", "x=-1"],
    "non-finite numbers": ["eval", "log(x) + 1/y", "--at", "x=0,y=0"],
    "nan brief": ["eval", "x/y", "--at", "x=0,y=0", "--brief"],
    "a string option": ["eval", 'gelu(x, approximate="tanh")', "--at", "x=0.5"],
    "indexing": ["eval", "sum(x[[0, 2, 0]]) * x[-1]", "--at", "x=[1,2,3]"],
    "losses": ["eval", "cross_entropy(z, [2, 0])", "--at", "z=[[1,2,3],[0,0,1]]"],
    "check of arrays": ["check", "sum(tanh(W @ x))", "--at", "W=[[1,2],[3,4]],x=[1,-1]"],
    "check of a Jacobian": ["check", "sin(x) * y", "--at", "x=[1,2],y=3"],
    "check at kinks": ["check", "abs(x-1) + max(a,b)", "--at", "x=1,a=2,b=2"],
    "perturb an element": ["check", "sum(x*x)", "--at", "x=[1,2]", "--perturb", "x[1]=0.01"],
    "hessian of arrays": ["hessian", "sum(tanh(W @ x))", "--at", "W=[[0.1,0.2],[0.3,-0.4]],x=[1,-1]"],
    "hessian nan": ["hessian", "prod(x)", "--at", "x=[0,0,2]"],
    "diff of arrays": ["diff", "sum(tanh(W @ x + b))", "--at", "W=[[1,2],[3,4]],x=[1,1],b=[0,1]"],
    "diff of a program": ["diff", "a = x*y; b = sin(a); a*b"],
    "descend, every option": [
        "descend", "(x*w + b - y)^2", "--data", "x=[1,2,3],y=[2,4,6]", "--params", "w=1,b=0",
        "--optimizer", "adam", "--batch", "2", "--epochs", "5", "--predict", "x=4", "--model", "w*x + b",
    ],
    "descend, batch all": [
        "descend", "(x*w - y)^2", "--data", "x=[1,2],y=[2,4]", "--params", "w=1", "--batch", "all",
        "--epochs", "3",
    ],
    "descend, long history": [
        "descend", "(x*w - y)^2", "--data", "x=[1,2],y=[2,4]", "--params", "w=1", "--lr", "0.001",
        "--epochs", "1200",
    ],
}  # fmt: skip


@pytest.mark.parametrize("name", CASES)
def test_outputs_of_every_shape(name):
    _validate_command(CASES[name], name)


@pytest.mark.usefixtures("wrong_sin")
def test_outputs_that_come_with_a_failing_exit():
    """A failed check (exit 3) and a diverged descent (exit 3) still print their JSON."""
    failed = run_cli("check", "sin(x)*y", "--at", "x=1,y=2", "--json")
    assert failed.code == 3 and failed.json()["verdict"] == "FAIL", failed.err
    assert_valid("check", failed.out, "a failed check")
    diverged = ["descend", "(x*w - y)^2", "--data", "x=[1,2,3],y=[2,4,6]", "--params", "w=1", "--lr", "10"]
    run = run_cli(*as_json(diverged))
    assert run.code == 3 and run.json()["status"] == "diverged"
    assert_valid("descend", run.out, "a diverged descent")


def test_points_rows(tmp_path):
    points = tmp_path / "points.csv"
    points.write_text("id,x0,x1,note\np1,-1,-2,a\np2,1,nan,b\np3,0,inf,c\n", encoding="utf-8")
    source = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
    run = run_cli("eval", source, "--points", str(points), "--at", "w0=2,w1=-3,w2=-3")
    assert run.code == 0, run.err
    assert_valid("eval-points", run.out, "--points CSV")
    assert json.loads(run.out.splitlines()[0])["id"] == "p1"  # carried through: allowed
    lines = '{"x": [1, 2], "tag": {"k": 1}}\n{"x": [0, -1], "tag": null}\n'
    run = run_cli("eval", "tanh(x)", "--points", "-", stdin=lines)
    assert run.code == 0, run.err
    assert_valid("eval-points", run.out, "--points JSON Lines of arrays")


def test_api_json_is_eval_json():
    result = gradcli.evaluate("(a+b)*(b+1)", a=2, b=1)
    assert_valid("eval", result.to_json(), "Derivation.to_json()")
    assert_valid("eval", result.to_json(brief=True), "Derivation.to_json(brief=True)")


# --- random programs ------------------------------------------------------------------------------------

RANDOM = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


@RANDOM
@given(st.data())
def test_random_programs_of_the_grammar(data):
    """Programs the grammar generates (the fuzz's), with scalars, arrays, inf and nan bound: the
    JSON of every one that evaluates, both modes, full and brief."""
    source = data.draw(PROGRAMS, label="source")
    values = bindings(data.draw, source)
    mode = data.draw(st.sampled_from(("reverse", "forward")), label="mode")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = gradcli.evaluate(source, values, mode=mode)
        except GradcliError:
            assume(False)
    assert_valid("eval", result.to_json(), f"eval of {source!r}")
    assert_valid("eval", result.to_json(brief=True), f"eval --brief of {source!r}")


@settings(RANDOM, max_examples=25)
@given(st.data())
def test_random_programs_through_every_command(data):
    """The property tests' scalar programs through eval, check, hessian and diff (the CLI)."""
    source, point = data.draw(programs(), label="program")
    at = ",".join(f"{name}={value!r}" for name, value in point.items())
    for command in ("eval", "check", "hessian", "diff"):
        argv = [command, source, "--at", at, "--json"]
        run = run_cli(*argv)
        assert run.code in (0, 2, 3), f"{command} {source!r}: exit {run.code}\n{run.err}"
        if run.code == 2:  # bad input (check needs a finite value): no JSON, an error on stderr
            assert not run.out and run.err.startswith("error: ")
            continue
        assert_valid(command, run.out, f"{command} of {source!r} at {at}")


def test_the_readme_names_every_schema():
    text = README.read_text(encoding="utf-8")
    section = text.split("## JSON for scripts", 1)[1].split("\n## ", 1)[0]
    for kind in KINDS:
        assert f"`{kind}.json`" in section, kind
    assert "importlib.resources" in section and "draft 2020-12" in section


@pytest.mark.parametrize(
    "example", [e for e in runnable() if kind_of(list(e.argv)) == "eval"], ids=lambda e: e.name
)
def test_demo_json(example):
    """`gradcli demo NAME --format json` prints eval's JSON, one document on stdout that fits
    eval.json; the command it runs (`$ gradcli ...`) goes to stderr."""
    run = run_cli("demo", example.name, "--format", "json")
    assert run.code == 0, run.err
    assert run.err.startswith("$ gradcli ")
    assert_valid("eval", run.out, f"gradcli demo {example.name} --format json")


# --- the homework loop: grade --json, and Gradescope's results.json --------------------------------

# Not in KINDS: gradescope.json describes Gradescope's format, not gradcli's, so it shares none of
# gradcli's $defs; grade.json is checked here the same way as the others.
HOMEWORK_KINDS = ("exercise", "grade", "gradescope")


@pytest.mark.parametrize("kind", HOMEWORK_KINDS)
def test_the_homework_schemas_are_valid_and_strict_outputs_fit(kind):
    folder = importlib.resources.files("gradcli") / "schemas"
    schema = json.loads((folder / f"{kind}.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"].endswith(f"/schemas/{kind}.json") and schema["title"].startswith("gradcli ")
    shipped = jsonschema.Draft202012Validator(schema)
    closed = jsonschema.Draft202012Validator(strict(schema))
    if kind == "exercise":
        for level in (1, 2, 3, 4):
            run = run_cli("exercise", "--level", str(level), "--seed", "3", "--format", "json")
            assert run.code == 0, run.err
            for validator in (shipped, closed):
                found = [e.message for e in validator.iter_errors(json.loads(run.out))]
                assert not found, f"exercise --level {level} --format json: {found[:3]}"
        return
    corpus = ROOT / "tests" / "homework" / "corpus"
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    flag = "--json" if kind == "grade" else "--gradescope"
    for entry in manifest[::9]:
        run = run_cli("grade", str(corpus / entry["file"]), flag)
        assert run.code == 3, run.err
        data = json.loads(run.out)
        for validator in (shipped, closed):
            found = [e.message for e in validator.iter_errors(data)]
            assert not found, f"{entry['file']} {flag}: {found[:3]}"
