"""One vocabulary of formats for every command: each offers exactly the formats the renderer
table has for what it shows, refuses the others with exit 2, and renders through the table."""

from __future__ import annotations

import json

import pytest
from conftest import run_cli

from gradcli.cli.formats import RENDERERS, SUFFIXES, Format, formats_of

# command line -> the kind of record it shows
COMMANDS = {
    ("eval", "x*y", "--at", "x=2,y=3"): "derivation",
    ("graph", "x*y", "--at", "x=2,y=3"): "drawing",
    ("diff", "x*y"): "derivatives",
    ("hessian", "x*y", "--at", "x=2,y=3"): "hessian",
    ("check", "x*y", "--at", "x=2,y=3"): "check",
    ("descend", "(w*x - y)^2", "--data", "x=[1,2],y=[2,4]", "--params", "w=1", "--epochs", "2"): "descent",
}


def test_every_renderer_is_named_in_the_one_vocabulary():
    for kind, renderers in RENDERERS.items():
        assert set(renderers) <= set(Format), kind
    assert {fmt for renderers in RENDERERS.values() for fmt in renderers} | {Format.jsonl, Format.csv} == set(
        Format
    )
    assert set(SUFFIXES) <= set(Format)


@pytest.mark.parametrize("command", list(COMMANDS), ids=lambda c: c[0])
def test_a_command_refuses_a_format_it_has_no_renderer_for(command):
    kind = COMMANDS[command]
    offered = set(formats_of(kind)) | ({Format.jsonl, Format.csv} if kind == "derivation" else set())
    for fmt in set(Format) - offered:
        run = run_cli(*command, "--format", fmt.value)
        assert run.code == 2, (command, fmt, run.out)
        assert f"'{fmt.value}' is not one of" in run.err
        assert "Traceback" not in run.err


@pytest.mark.parametrize("command", list(COMMANDS), ids=lambda c: c[0])
def test_every_offered_text_format_renders(command):
    kind = COMMANDS[command]
    for fmt in formats_of(kind):
        if fmt in (Format.rich, Format.tree, Format.svg, Format.png, Format.pdf):
            continue  # the terminal's, Graphviz's (tests/test_graph.py), pdflatex's (test_pdf.py)
        run = run_cli(*command, "--format", fmt.value)
        assert run.code == 0, (command, fmt, run.err)
        assert run.out.strip(), (command, fmt)
        if fmt is Format.json:
            json.loads(run.out)


@pytest.mark.parametrize(
    "command", [c for c, kind in COMMANDS.items() if kind in ("check", "descent")], ids=str
)
def test_format_json_is_the_json_flag(command):
    flag, option = run_cli(*command, "--json"), run_cli(*command, "--format", "json")
    assert flag.code == option.code == 0
    by_flag, by_option = json.loads(flag.out), json.loads(option.out)
    by_flag.pop("timing", None), by_option.pop("timing", None)
    assert by_flag.keys() == by_option.keys()


def test_json_and_format_must_agree():
    run = run_cli("check", "x*y", "--at", "x=2,y=3", "--json", "--format", "text")
    assert run.code == 2 and "--json and --format disagree" in run.err
