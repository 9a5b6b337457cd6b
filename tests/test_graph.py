"""`gradcli graph` (issue 4): DOT that Graphviz accepts, Mermaid that follows the flowchart
grammar, a tree that fits 80 columns, SVG/PNG through `dot`, and a clean error without it."""

from __future__ import annotations

import re
import subprocess

import pytest
from conftest import require_program, run_cli

SEED_003 = "x1w1 = x1*w1; x2w2 = x2*w2; x1w1_x2w2 = x1w1 + x2w2; n = x1w1_x2w2 + b; o = tanh(n)"
SEED_003_AT = "x1=2,x2=0,w1=-3,w2=1,b=6.8814"
SEED_004 = "a = w0*x0; b = w1*x1; c = a + b; d = c + w2; e = -d; f = exp(e); g = 1 + f; h = 1/g"
SEED_004_AT = "w0=2,x0=-1,w1=-3,x1=-2,w2=-3"
# Odd labels: a literal in scientific notation, pi, non-finite values, arrays, a kink, and
# every record-special character Graphviz knows appears in some label.
ODD = "y = log(x_1 - 1) + 1e-3*pi + relu(z) + sum_ * max(q, q)"
ODD_AT = "x_1=1,z=0,sum_=2,q=3"
CASES = [(SEED_003, SEED_003_AT), (SEED_004, SEED_004_AT), (ODD, ODD_AT), ("(a+b)*(b+1)", None)]


def _graph(source, at, *args):
    extra = ["--at", at] if at else []
    return run_cli("graph", source, *extra, *args)


@pytest.mark.parametrize(("source", "at"), CASES)
def test_dot_is_accepted_by_graphviz(source, at):
    dot = require_program("dot")
    result = _graph(source, at, "--format", "dot")
    assert result.code == 0, result.err
    done = subprocess.run([dot, "-Tsvg"], input=result.out, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "<svg" in done.stdout
    assert "Warning" not in done.stderr and "Error" not in done.stderr


def test_dot_carries_data_and_grad_on_every_value_node():
    out = _graph(SEED_003, SEED_003_AT, "--format", "dot").out
    records = re.findall(r'^  n(\d+) \[shape=record, label="\{ (.*?) \}"', out, re.MULTILINE)
    assert len(records) == 10  # 5 inputs + 5 operations
    for _, label in records:
        assert "data\\ " in label and "grad\\ " in label
    assert "data\\ 0.7071" in out and "grad\\ -1.5" in out  # o, and x1's gradient
    assert out.count("shape=circle") == 5
    assert "rankdir=LR" in out


def test_dot_without_at_has_no_numbers():
    out = _graph("(a+b)*(b+1)", None, "--format", "dot").out
    assert "data\\ " not in out and "grad\\ " not in out
    assert 'label="{ v3 }"' in out


# The statements of a Mermaid flowchart that gradcli writes, one regular expression each.
MERMAID_STATEMENTS = [
    r"flowchart LR",
    r'  (?:n|op)\d+\["[^"]*"\]',  # a value node, quoted label
    r'  op\d+\(\("[^"]*"\)\)',  # an operation node (a circle), quoted label
    r"  (?:n|op)\d+ --> (?:n|op)\d+",  # an edge
    r"  classDef \w+ [\w:#.-]+(?:,[\w:#.-]+)*",
    r"  class (?:n\d+,)*n\d+ \w+",
]
MERMAID_LINE = re.compile("^(?:" + "|".join(MERMAID_STATEMENTS) + ")$")


@pytest.mark.parametrize(("source", "at"), CASES)
def test_mermaid_follows_the_flowchart_grammar(source, at):
    result = _graph(source, at, "--format", "mermaid")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "flowchart LR"
    bad = [line for line in lines if not MERMAID_LINE.match(line)]
    assert bad == []
    defined = set(re.findall(r"^  ((?:n|op)\d+)[\[(]", result.out, re.MULTILINE))
    used = set(re.findall(r"((?:n|op)\d+) --> ", result.out)) | set(
        re.findall(r"--> ((?:n|op)\d+)", result.out)
    )
    assert used <= defined


def test_mermaid_escapes_quotes_and_angle_brackets():
    from gradcli.render.mermaid import escape

    assert escape('a"b<c>&') == "a#quot;b#lt;c#gt;#amp;"


def test_dot_escapes_record_specials():
    from gradcli.render.dot import escape_record

    assert escape_record("{a|b} <c> d") == "\\{a\\|b\\}\\ \\<c\\>\\ d"


def test_tree_fits_80_columns_and_shows_shared_nodes_once():
    import io

    from gradcli.api import evaluate
    from gradcli.render import tree

    derivation = evaluate(SEED_004, {k: float(v) for k, v in (p.split("=") for p in SEED_004_AT.split(","))})
    console = tree.Console(file=io.StringIO(), width=80, color_system=None)
    tree.print_tree(derivation, console=console)
    lines = console.file.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 80
    assert lines[0].startswith("h = 1/g") and "value 0.7311" in lines[0]
    assert len(lines) == 15  # every node once: 13 named, two literals 1

    shared = evaluate("(a+b)*(b+1)", {"a": 2.0, "b": 1.0})
    console = tree.Console(file=io.StringIO(), width=80, color_system=None)
    tree.print_tree(shared, console=console)
    text = console.file.getvalue()
    assert text.count("b  (input)") == 1  # drawn once, referred to the second time
    assert re.search(r"─ b$", text, re.MULTILINE)


def test_tree_of_a_deep_chain_is_capped_not_a_recursion_error():
    result = run_cli("graph", "tanh(" * 3000 + "x" + ")" * 3000, "--at", "x=0.5", "--format", "tree")
    assert result.code == 0, result.err
    assert "more nodes not drawn" in result.out


def test_big_graph_dot_is_still_valid():
    dot = require_program("dot")
    source = "+".join(f"x*{i}" for i in range(1, 60))
    result = _graph(source, "x=1", "--format", "dot")
    done = subprocess.run([dot, "-Tsvg"], input=result.out, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0


@pytest.mark.parametrize(("fmt", "magic"), [("svg", b"<svg"), ("png", b"\x89PNG")])
def test_svg_and_png_through_graphviz(tmp_path, fmt, magic):
    require_program("dot")
    path = tmp_path / f"neuron.{fmt}"
    result = _graph(SEED_003, SEED_003_AT, "-o", str(path))
    assert result.code == 0, result.err
    assert magic in path.read_bytes()[:400]


def test_svg_without_graphviz_is_a_clean_exit_2(monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    result = _graph(SEED_003, SEED_003_AT, "--format", "svg")
    assert result.code == 2
    assert (
        "Graphviz" in result.err and "--format dot" in result.err and "apt-get install graphviz" in result.err
    )
    assert "Traceback" not in result.err


def test_unknown_extension_is_exit_2(tmp_path):
    result = _graph("x", "x=1", "-o", str(tmp_path / "graph.jpeg"))
    assert result.code == 2 and "cannot tell the format" in result.err


def test_big_graph_is_said_to_be_big_and_still_complete():
    source = "+".join(f"x*{i}" for i in range(1, 200))
    result = _graph(source, "x=1", "--format", "mermaid")
    assert result.code == 0
    assert "note: the graph has 597 nodes" in result.err
    assert result.out.count("-->") == 3 * (199 + 198)  # every op: two inputs in, one result out
