"""The homework loop (issue 20): `gradcli exercise` writes a sheet, `gradcli grade` marks it.

- the corpus (tests/homework/corpus, written by make_corpus.py): every planted mistake is found
  and named, no other cell is marked wrong, and errors carried forward are "follows";
- the round trip: 200 seeds × every level, exercise → fill from the key → grade = full marks,
  never at a kink, no value over 1e4;
- the same seed gives the same sheet (golden files), the commands' exit codes and messages, the
  JSON and the Gradescope file against their schemas.

    GRADCLI_UPDATE_GOLDEN=1 pytest tests/test_homework.py     # rewrite the golden sheets
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from conftest import compile_latex, run_cli
from homework.fill import answers_from_key

import gradcli.api as api
from gradcli.homework import generate
from gradcli.records.grade import MISTAKES
from gradcli.render import json_out, sheet

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "homework" / "corpus"
GOLDEN = HERE / "homework" / "golden"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
SCHEMAS = Path(__file__).resolve().parent.parent / "gradcli" / "schemas"
# Every seed in CI; locally GRADCLI_HOMEWORK_SEEDS=50 (say) for a quicker run.
SEEDS = 200 if os.environ.get("CI") == "true" else int(os.environ.get("GRADCLI_HOMEWORK_SEEDS", "200"))


def _schema(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8")))


def _filled(level: int, seed: int, form: str = "md", digits: int = 4) -> str:
    made = api.exercise(level, seed)
    answers = answers_from_key(made, json_out.render(made.key), digits)
    return sheet.to_csv(made, answers) if form == "csv" else sheet.to_markdown(made, answers)


# --- the corpus -----------------------------------------------------------------------------------


def test_the_corpus_has_every_mistake_three_times_at_several_levels():
    assert len(MANIFEST) >= 40
    planted = [(p["mistake"], entry["level"]) for entry in MANIFEST for p in entry["planted"]]
    kinds = Counter(kind for kind, _ in planted)
    named = set(MISTAKES) - {"arithmetic"}
    assert set(kinds) == named and min(kinds.values()) >= 3, kinds
    assert len({level for _, level in planted}) >= 3
    assert {entry["file"].rsplit(".", 1)[1] for entry in MANIFEST} == {"md", "csv"}


@pytest.mark.parametrize("entry", MANIFEST, ids=[entry["file"] for entry in MANIFEST])
def test_the_grader_names_every_planted_mistake_and_no_more(entry):
    record = api.grade((CORPUS / entry["file"]).read_text(encoding="utf-8"), name=entry["file"])
    planted = {(p["section"], p["row"], p["column"]): p["mistake"] for p in entry["planted"]}
    for mark in record.marks:
        where = (mark.section, mark.row, mark.column)
        if where in planted:
            assert mark.status in ("wrong", "rounding") and mark.mistake == planted[where], (mark.where, mark)
        else:
            assert mark.status in ("correct", "follows"), (mark.where, mark.given, mark.note)
    assert not record.passed and record.score < record.max_score


def test_errors_carried_forward_are_marked_as_following_from_the_step():
    follows = []
    for entry in MANIFEST:
        record = api.grade((CORPUS / entry["file"]).read_text(encoding="utf-8"), name=entry["file"])
        follows += [mark for mark in record.marks if mark.status == "follows"]
    assert len(follows) >= 40
    assert all(mark.score == mark.max_score and mark.follows for mark in follows)
    assert any(mark.follows.startswith("step ") for mark in follows)


def test_the_corpus_is_what_make_corpus_writes(tmp_path, monkeypatch):
    from homework import make_corpus

    monkeypatch.setattr(make_corpus, "CORPUS", tmp_path)
    manifest = make_corpus.build()
    assert manifest == MANIFEST
    for entry in manifest:
        assert (tmp_path / entry["file"]).read_text(encoding="utf-8") == (CORPUS / entry["file"]).read_text(
            encoding="utf-8"
        ), entry["file"]


# --- the round trip -------------------------------------------------------------------------------


@pytest.mark.parametrize("level", generate.LEVELS)
def test_round_trip_full_marks_for_every_seed(level):
    for seed in range(SEEDS):
        made = api.exercise(level, seed)
        for node in made.key.nodes:
            assert node.kink is None, (seed, made.source)
            assert np.max(np.abs(node.value)) <= 1e4 and (
                node.grad is None or np.max(np.abs(node.grad)) <= 1e4
            )
        answers = answers_from_key(made, json_out.render(made.key))
        for text, name in (
            (sheet.to_markdown(made, answers), "s.md"),
            (sheet.to_csv(made, answers), "s.csv"),
        ):
            record = api.grade(text, name=name)
            assert record.passed and record.score == record.max_score, (level, seed, made.source)


@pytest.mark.parametrize("digits", [2, 3])
def test_two_or_three_significant_digits_pass(digits):
    for level in generate.LEVELS:
        for seed in range(20):
            record = api.grade(_filled(level, seed, digits=digits))
            assert record.passed, (level, seed, [m for m in record.marks if m.status != "correct"])


def test_the_same_seed_gives_the_same_sheet():
    for level in generate.LEVELS:
        for form, render in (("md", sheet.to_markdown), ("csv", sheet.to_csv)):
            path = GOLDEN / f"level{level}-seed5.{form}"
            text = render(api.exercise(level, 5))
            if os.environ.get("GRADCLI_UPDATE_GOLDEN") == "1":
                path.parent.mkdir(exist_ok=True)
                path.write_text(text, encoding="utf-8")
            assert path.read_text(encoding="utf-8") == text, (
                f"{path.name}: GRADCLI_UPDATE_GOLDEN=1 rewrites it"
            )


def test_levels_differ_as_the_issue_says():
    ops = {
        level: {n.op for s in range(30) for n in api.exercise(level, s).key.nodes}
        for level in generate.LEVELS
    }
    assert ops[1] - {"var", "const"} <= {"add", "sub", "mul"}
    assert {"div"} <= ops[2] and len(ops[2] & {"exp", "log", "tanh", "sigmoid"}) == 4
    assert {"matmul", "cross_entropy"} <= ops[3]
    assert all(
        ";" in api.exercise(4, s).source and api.exercise(4, s).source.count("h =") == 2 for s in range(10)
    )
    fan_out = [api.exercise(1, s).key for s in range(30)]
    assert all(any(len(into) > 1 for into in key.steps_into.values()) for key in fan_out)


# --- the commands ---------------------------------------------------------------------------------


def test_exercise_writes_the_sheet_and_the_key(tmp_path):
    run = run_cli(
        "exercise",
        "--level",
        "2",
        "--seed",
        "3",
        "-o",
        str(tmp_path / "s.md"),
        "--answers",
        str(tmp_path / "k.json"),
    )
    assert run.code == 0, run.err
    assert (tmp_path / "s.md").read_text(encoding="utf-8") == sheet.to_markdown(api.exercise(2, 3))
    key = json.loads((tmp_path / "k.json").read_text(encoding="utf-8"))
    assert key["source"] == api.exercise(2, 3).source and key["steps"]
    shown = run_cli("exercise", "--level", "1", "--seed", "3", "--answers", str(tmp_path / "k.md"))
    assert shown.out.startswith("# Backpropagation exercise (level 1, seed 3)")
    assert "### Backward pass" in (tmp_path / "k.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["markdown", "csv", "latex", "json"])
def test_exercise_formats(fmt):
    run = run_cli("exercise", "--level", "3", "--seed", "1", "--format", fmt)
    assert run.code == 0, run.err
    if fmt == "json":
        data = json.loads(run.out)
        assert data["kind"] == "worksheet" and data["backward"] and data["program"].startswith("z = W @ x")


def test_the_latex_sheet_compiles(tmp_path):
    tex = tmp_path / "sheet.tex"
    for level in generate.LEVELS:
        tex.write_text(sheet.to_latex(api.exercise(level, 2), standalone=True), encoding="utf-8")
        compile_latex(tex)


def test_exercise_refuses_what_it_cannot_do():
    assert run_cli("exercise", "--level", "5").code == 2
    assert run_cli("exercise", "--vars", "9").code == 2
    run = run_cli("exercise", "--seed", "1", "--answers", "key.xyz")
    assert run.code == 2 and "cannot tell the format" in run.err


def test_grade_exit_codes(tmp_path):
    good = tmp_path / "good.md"
    good.write_text(_filled(2, 4), encoding="utf-8")
    run = run_cli("grade", str(good))
    assert run.code == 0 and "Every cell is right" in run.out, run.out
    entry = MANIFEST[0]
    run = run_cli("grade", str(CORPUS / entry["file"]))
    assert run.code == 3 and MISTAKES[entry["planted"][0]["mistake"]][0] in run.out
    blank = tmp_path / "blank.md"
    blank.write_text(sheet.to_markdown(api.exercise(1, 1)), encoding="utf-8")
    assert run_cli("grade", str(blank)).code == 3


def test_an_unreadable_sheet_exits_2_with_the_line_and_a_caret(tmp_path):
    text = _filled(1, 2).splitlines()
    row = next(k for k, line in enumerate(text) if line.startswith("| 2 |"))
    cells = text[row].split("|")
    cells[3] = " 0.5x "
    text[row] = "|".join(cells)
    bad = tmp_path / "bad.md"
    bad.write_text("\n".join(text) + "\n", encoding="utf-8")
    run = run_cli("grade", str(bad))
    assert run.code == 2 and "Traceback" not in run.err
    assert f"line {row + 1}" in run.err and "'x' is not part of a number" in run.err and "^" in run.err
    caret = run.err.splitlines()
    shown = next(line for line in caret if line.startswith("   | ") and "0.5x" in line)
    mark = caret[caret.index(shown) + 1]
    assert shown[mark.index("^")] == "x"
    missing = tmp_path / "nothing.md"
    missing.write_text("| a | b |\n", encoding="utf-8")
    run = run_cli("grade", str(missing))
    assert run.code == 2 and "no `program:` line" in run.err
    assert run_cli("grade", str(tmp_path / "absent.md")).code == 2
    (tmp_path / "sheet.pdf").write_bytes(b"%PDF-1.5\n\xd0\xd4\xc5\xd8")
    run = run_cli("grade", str(tmp_path / "sheet.pdf"))
    assert run.code == 2 and "not a text file" in run.err


def test_grade_against_another_program(tmp_path):
    made = api.exercise(1, 8)
    path = tmp_path / "s.md"
    path.write_text(
        _filled(1, 8).replace(f"program: `{made.source}`", "program: `a + b + c`"), encoding="utf-8"
    )
    assert run_cli("grade", str(path)).code == 3
    at = made.at_text.replace(" ", "")
    assert run_cli("grade", str(path), "--against", made.source, "--at", at).code == 0
    assert run_cli("grade", str(path), "--against", made.source).code == 2


def test_grade_json_and_gradescope_fit_their_schemas(tmp_path):
    grade_schema, gradescope_schema = _schema("grade"), _schema("gradescope")
    for entry in MANIFEST[::5]:
        path = str(CORPUS / entry["file"])
        run = run_cli("grade", path, "--json")
        assert run.code == 3
        errors = list(grade_schema.iter_errors(json.loads(run.out)))
        assert not errors, errors[0].message
        run = run_cli("grade", path, "--gradescope")
        assert run.code == 3
        data = json.loads(run.out)
        errors = list(gradescope_schema.iter_errors(data))
        assert not errors, errors[0].message
        assert data["score"] == sum(test["score"] for test in data["tests"]) < data["max_score"]
        assert any(test["status"] == "failed" for test in data["tests"])


def test_the_gradescope_schema_rejects_what_gradescope_would():
    schema = _schema("gradescope")
    assert schema.is_valid({"score": 1, "tests": [{"name": "a", "score": 1, "max_score": 1, "output": ""}]})
    assert not schema.is_valid({"tests": []})
    assert not schema.is_valid({"score": "1", "tests": []})
    assert not schema.is_valid({"score": 1, "visibility": "sometimes", "tests": []})
    assert not schema.is_valid({"score": 1, "tests": [{"score": 1}]})


@pytest.mark.parametrize("fmt", ["text", "markdown", "rich"])
def test_grade_reports_in_each_format(fmt):
    entry = next(e for e in MANIFEST if e["planted"][0]["mistake"] == "sum_rule")
    run = run_cli("grade", str(CORPUS / entry["file"]), "--format", fmt)
    assert run.code == 3
    assert "sum rule missed at fan-out" in run.out and "right from your sum at" in run.out
    assert "score " in run.out


def test_the_readme_shows_the_grading_of_its_sheet():
    """README's Homework section: the filled sheet it shows is corpus sheet 01, and the report
    under it is what `gradcli grade sheet.md` prints for that sheet."""
    from gradcli.render.grade import to_text

    readme = (HERE.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Homework: `gradcli exercise` and `gradcli grade`", 1)[1]
    blocks = section.split("```\n")
    filled = next(block for block in blocks if block.startswith("| 1 | "))
    report = next(block for block in blocks if block.startswith("Graded sheet.md"))
    corpus = (CORPUS / "01-sum_rule-level1.md").read_text(encoding="utf-8")
    assert all(line in corpus.splitlines() for line in filled.strip().splitlines() if line)
    assert report == to_text(api.grade(corpus, name="sheet.md"))
    assert f"gradcli exercise --level 1 --seed {MANIFEST[0]['seed']}\n" in section


@pytest.mark.parametrize("command", ["exercise", "grade"])
def test_help_of_the_homework_commands_reads_well(command):
    """tests/test_help.py's checks (80 columns, examples on lines of their own) for the two
    commands it does not list."""
    import test_help

    test_help.test_help_reads_well_at_80_columns(command)
    test_help.test_examples_are_whole_commands_on_lines_of_their_own(command)


def test_grade_reads_standard_input_and_writes_a_file(tmp_path):
    text = (CORPUS / MANIFEST[0]["file"]).read_text(encoding="utf-8")
    run = run_cli("grade", "-", stdin=text)
    assert run.code == 3 and run.out.startswith("Graded <stdin>: score")
    run = run_cli("grade", "-", "--json", "-o", str(tmp_path / "g.json"), stdin=text)
    assert (
        run.code == 3 and json.loads((tmp_path / "g.json").read_text(encoding="utf-8"))["sheet"] == "<stdin>"
    )
    strict = run_cli("grade", "-", "--digits", "3", stdin=_filled(2, 6, digits=2))
    assert strict.code == 3 and "rounding too early" in strict.out  # 2 digits where 3 are asked
    assert run_cli("grade", "-", "--digits", "2", stdin=_filled(2, 6, digits=2)).code == 0
