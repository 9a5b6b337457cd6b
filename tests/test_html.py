"""`--format html` without a browser (issue 19): the CLI and API wiring, a self-contained page
under 200 KB for seed 004, well-formed MathML and SVG, escaping, the picture left out of a big
graph, and the layered layout. tests/test_html_browser.py runs the page in Chromium."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from conftest import require_program
from exercises import BY_NAME, EXERCISES

import gradcli
from gradcli.render import html, html_graph

SEED_004 = BY_NAME["neuron"]


def evaluate(exercise):
    return gradcli.evaluate(exercise.source, **exercise.values())


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gradcli", *args], capture_output=True, text=True, timeout=120
    )


def test_eval_writes_one_self_contained_page(tmp_path):
    out = tmp_path / "derivation.html"
    done = run("eval", SEED_004.source, "--at", SEED_004.at, "-o", str(out))
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>\n")
    assert len(page.encode()) < 200_000  # must show 4
    # Nothing from elsewhere: the SVG namespace is the only address, and nothing loads anything.
    assert re.findall(r"https?://[^\s\"']+", page) == ["http://www.w3.org/2000/svg"]
    assert not re.search(r"<link|<img|<iframe|\bsrc=|@import|url\(", page)
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    piped = run("eval", SEED_004.source, "--at", SEED_004.at, "--format", "html")
    assert piped.stdout == page  # the same document on stdout


def test_graph_command_writes_the_picture_page(tmp_path):
    done = run("graph", SEED_004.source, "--at", SEED_004.at, "--format", "html")
    assert done.returncode == 0, done.stderr
    assert '<svg class="graph"' in done.stdout and "<table" not in done.stdout
    bare = run("graph", "a*b + 1", "--format", "html")  # no --at: the structure alone
    assert 'text class="data"' not in bare.stdout and bare.stdout.count('class="node ') == 5
    out = tmp_path / "g.htm"
    assert run("graph", "a*b", "-o", str(out)).returncode == 0 and "<svg" in out.read_text()


def test_brief_and_forward_mode_pages():
    brief = run("eval", SEED_004.source, "--at", SEED_004.at, "--format", "html", "--brief").stdout
    assert "Result" in brief and "Backward pass" not in brief and "<svg" not in brief
    forward = run(
        "eval", SEED_004.source, "--at", SEED_004.at, "--format", "html", "--mode", "forward"
    ).stdout
    assert "No backward steps: forward mode computed the gradients" in forward


def _maths(page: str) -> list[str]:
    return re.findall(r"<math.*?</math>", page, flags=re.S)


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.name)
def test_mathml_and_svg_are_well_formed(exercise):
    page = html.render(evaluate(exercise))
    maths = _maths(page)
    assert maths
    for element in maths:
        ET.fromstring(element)  # raises on a tag left open or text not escaped
    svg = re.search(r"<svg.*?</svg>", page, flags=re.S).group(0)
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")


def test_mathml_spells_names_and_operators():
    from gradcli.parse import parse_expression
    from gradcli.render.html_math import to_mathml

    ml = to_mathml(parse_expression("-x1^2/alpha + y_hat*max(a, b)"))
    assert "<msub><mi>x</mi><mrow><mn>1</mn></mrow></msub>" in ml
    assert "<mi>α</mi>" in ml and "<mfrac>" in ml and "<msup>" in ml
    assert '<mover accent="true"><mi>y</mi><mo>^</mo></mover>' in ml


def _hostile(record):
    """The record with markup in every name, a kink and a warning (the language allows none of
    them in a name, but the renderer must not trust that)."""
    names = {0: "<b>a</b>&\"q'", 1: "<script>alert(1)</script>"}
    nodes = [n._replace(name=names.get(n.id, n.name)) for n in record.nodes]
    nodes[2] = nodes[2]._replace(kink="<i>kink</i> & more")
    gradient = {names.get(record.variables[k], k): v for k, v in record.gradient.items()}
    warnings = ["<img src=x onerror=alert(1)>"]
    return dataclasses.replace(record, nodes=nodes, gradient=gradient, warnings=warnings)


def hostile_page() -> str:
    return html.render(_hostile(gradcli.evaluate("a*b + a", a=2.0, b=3.0)))


def test_hostile_names_are_escaped_everywhere():
    page = hostile_page()
    assert "<b>" not in page and "<img" not in page and "<i>" not in page
    assert page.count("<script") == 2  # the walk's JSON and the page's script
    assert "&lt;b&gt;a&lt;/b&gt;&amp;&quot;q&#x27;" in page  # the tables and the picture
    walk = re.search(r'class="gc-walk">(.*?)</script>', page, flags=re.S).group(1)
    assert "<" not in walk and "&" not in walk.replace("\\u0026", "")
    for element in _maths(page):
        ET.fromstring(element)


def test_a_big_graph_keeps_the_tables_and_leaves_the_picture_out():
    source = "x" + "".join(f" + {k}*x" for k in range(1, 200))
    derivation = gradcli.evaluate(source, x=1.0)
    assert len(derivation.nodes) > html_graph.MAX_PICTURE
    page = html.render(derivation)
    assert "<svg" not in page and "the picture is left out above 300" in page
    assert 'class="backward"' in page


@pytest.mark.parametrize("graphviz", [False, True], ids=["gradcli's layers", "Graphviz"])
def test_the_layout_runs_left_to_right_without_overlaps(graphviz):
    """gradcli's own layered layout, and Graphviz's positions where dot is on PATH (the page
    draws the same boxes either way)."""
    if graphviz:
        require_program("dot")
    derivation = evaluate(BY_NAME["mlp"])
    places, width, height = html_graph.layout(derivation, 4, True, graphviz=graphviz)
    by_id = {p.node.id: p for p in places}
    for place in places:
        assert place.x >= -1e-6 and place.x + place.width <= width + 1e-6
        assert place.y >= -1e-6 and place.y + place.height <= height + 1e-6
        for i in place.node.inputs:  # an input's box ends before the operation's circle starts
            assert by_id[i].x + by_id[i].width < place.x - 2 * html_graph.RADIUS
    for a in places:  # no two boxes (with their circles) overlap
        for b in places:
            if a is not b:
                apart_x = (
                    a.x + a.width <= b.x - html_graph._circle(b) + 1e-6
                    or b.x + b.width <= a.x - html_graph._circle(a) + 1e-6
                )
                apart_y = a.y + a.height <= b.y + 1e-6 or b.y + b.height <= a.y + 1e-6
                assert apart_x or apart_y, (a.node.name, b.node.name)


def test_arrays_show_their_shape_and_a_summary():
    derivation = gradcli.evaluate("sum(tanh(W @ x))", W=np.ones((4, 5)) / 10, x=np.arange(5.0))
    svg = html_graph.svg(derivation)
    assert "shape 4×5" in svg and "&lt;4×5 array:" in svg
    assert max(len(t) for t in re.findall(r">([^<>]*)</text>", svg)) <= html_graph.MAX_CHARS + 12


def test_jupyter_shows_the_page_inline_each_with_its_own_id():
    derivation = evaluate(SEED_004)
    first, second = derivation._repr_html_(), derivation._repr_html_()
    assert "<html" not in first and "<script>" in first and "math" in first
    ids = re.findall(r'<div class="gc" id="(gradcli-[0-9a-f]+)"', first + second)
    assert len(ids) == 2 and ids[0] != ids[1]
    assert f'document.getElementById("{ids[0]}")' in first


def test_the_page_is_the_same_every_time():
    assert html.render(evaluate(SEED_004)) == html.render(evaluate(SEED_004))
