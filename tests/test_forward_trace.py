"""Forward mode's own table, the tangent trace (issue 18): Baydin et al., "Automatic
Differentiation in Machine Learning: a Survey" (JMLR 2018), Table 2, and seed 004.

Baydin's nodes are named v−1 .. v5; gradcli names them its own way: v−1 = x1, v0 = x2, v1 = ln x1
(v1), v2 = x1 × x2 (v2), Baydin's v3 = sin x2 is gradcli's v4, Baydin's v4 = v1 + v2 is gradcli's
v3, and v5 = v5 (`-` of sin is one node).
"""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from conftest import compile_latex, run_cli
from rich.console import Console

import gradcli
from gradcli.records.tangents import dotted, tangent_formula, term_formula
from gradcli.render.formula import to_text
from gradcli.render.latex import render as latex_render
from gradcli.render.latex import standalone_document
from gradcli.render.tangents import latex_tangent_section
from gradcli.render.terminal import print_derivation

BAYDIN = "log(x1) + x1*x2 - sin(x2)"
BAYDIN_AT = {"x1": 2.0, "x2": 5.0}
# gradcli's node -> (Baydin's primal value, Baydin's tangent value with ẋ1 = 1, ẋ2 = 0), as the
# paper prints them (3 decimals).
TABLE_2 = {
    "x1": (2, 1),  # v−1
    "x2": (5, 0),  # v0
    "v1": (0.693, 0.5),  # ln v−1;  v̇−1/v−1
    "v2": (10, 5),  # v−1 × v0;  v̇−1 × v0 + v̇0 × v−1
    "v4": (-0.959, 0),  # Baydin's v3 = sin v0;  v̇0 × cos v0
    "v3": (10.693, 5.5),  # Baydin's v4 = v1 + v2;  v̇1 + v̇2
    "v5": (11.652, 5.5),  # v4 − v3;  v̇4 − v̇3; y = v5, ẏ = 5.5
}
SEED_004 = "a = w0*x0; b = w1*x1; c = a + b; d = c + w2; e = -d; f = exp(e); g = 1 + f; h = 1/g"
SEED_004_AT = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}


def _at(values: dict[str, float]) -> str:
    return ",".join(f"{name}={value:g}" for name, value in values.items())


def _numbers(text: str) -> list[float]:
    return [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", text)]


def _baydin(*options: str):
    return run_cli("eval", BAYDIN, "--at", _at(BAYDIN_AT), "--mode", "forward", "--wrt", "x1", *options)


def test_baydin_json_has_every_number_of_table_2():
    data = _baydin("--json").json()
    names = {node["id"]: node["name"] for node in data["nodes"]}
    values = {node["name"]: node["value"] for node in data["nodes"]}
    trace = data["tangents"]
    assert trace["wrt"] == "x1" and trace["element"] == []
    tangents = {names[row["node"]]: row["tangent"] for row in trace["trace"]}
    for name, (primal, tangent) in TABLE_2.items():
        assert round(values[name], 3) == primal, name
        assert round(tangents[name], 3) == tangent, name
    formulas = {names[row["node"]]: row.get("formula") for row in trace["trace"]}
    assert formulas == {
        "x1": None,
        "x2": None,
        "v1": "ẋ1/x1",
        "v2": "ẋ1 * x2 + ẋ2 * x1",
        "v3": "v̇1 + v̇2",
        "v4": "ẋ2 * cos(x2)",
        "v5": "v̇3 - v̇4",
    }
    v2 = next(row for row in trace["trace"] if names[row["node"]] == "v2")
    assert v2["terms"] == [
        {"wrt": 0, "input": 0, "formula": "ẋ1 * x2", "local": 5.0, "tangent": 1.0, "product": 5.0},
        {"wrt": 2, "input": 1, "formula": "ẋ2 * x1", "local": 2.0, "tangent": 0.0, "product": 0.0},
    ]
    assert data["gradient"] == {"x1": 5.5}
    assert data["steps"] == []


def test_baydin_text_prints_the_primal_then_the_tangent_trace():
    out = _baydin("--format", "text", "--digits", "5").out
    primal, tangent = out.split("Tangent trace")
    for name, (value, _) in TABLE_2.items():
        row = next(line for line in primal.splitlines() if line.split()[:1] == [name])
        assert round(_numbers(row.split()[-2 if name == "v5" else -1])[0], 3) == value
    assert tangent.splitlines()[:9] == [
        "   (seed ẋ1 = 1, every other input's tangent 0: v̇5 = ∂v5/∂x1)",
        "  node  tangent                 local × tangent  value",
        "  x1    ẋ1 = seed                                1",
        "  v1    v̇1 = ẋ1/x1              0.5 × 1          0.5",
        "  x2    ẋ2 = 0 (not seeded)                      0",
        "  v2    v̇2 = ẋ1 * x2 + ẋ2 * x1  5 × 1 + 2 × 0    5",
        "  v3    v̇3 = v̇1 + v̇2            1 × 0.5 + 1 × 5  5.5",
        "  v4    v̇4 = ẋ2 * cos(x2)       0.28366 × 0      0",
        "  v5    v̇5 = v̇3 - v̇4            1 × 5.5 - 1 × 0  5.5    output",
    ]
    assert "forward mode computed the gradients" in tangent
    assert "Backward pass" not in out


def _tangent_rows(text: str, marker) -> dict[str, str]:
    """The line of each of Baydin's nodes in a format's tangent table (found by `marker(name)`)."""
    return {name: next(line for line in text.splitlines() if marker(name) in line) for name in TABLE_2}


def test_baydin_markdown():
    out = _baydin("--format", "markdown").out
    assert "### Tangent trace" in out and "### Backward pass" not in out
    assert r"seed $\dot{x}_{1} = 1$" in out
    rows = _tangent_rows(out, lambda name: rf"| $\dot{{{name[0]}}}_{{{name[1:]}}}$ |")
    for name, (_, tangent) in TABLE_2.items():
        cells = [cell.strip() for cell in rows[name].strip("|").split("|")]
        assert float(cells[-1].strip("*")) == tangent, name
    assert r"$\frac{\dot{x}_{1}}{x_{1}}$ | 0.5 × 1 | 0.5" in rows["v1"]
    assert r"$\dot{v}_{3} - \dot{v}_{4}$ | 1 × 5.5 - 1 × 0 | **5.5**" in rows["v5"]


@pytest.mark.parametrize("width", [80, 120])
def test_baydin_rich(width):
    console = Console(width=width, file=io.StringIO(), color_system=None)
    print_derivation(gradcli.evaluate(BAYDIN, BAYDIN_AT, wrt=["x1"], mode="forward"), console=console)
    out = console.file.getvalue()
    assert all(len(line.rstrip()) <= width for line in out.splitlines())
    assert "Tangent trace" in out and "Backward pass" not in out
    rows = _tangent_rows(out, lambda name: f" {dotted(name)} = ")
    for name, (_, tangent) in TABLE_2.items():
        assert _numbers(rows[name].split()[-1])[0] == tangent, name
    assert "ẋ1 * x2 + ẋ2 * x1" in rows["v2"] and "5 × 1 + 2 × 0" in rows["v2"]
    assert "Seed ẋ1 = 1, every other input's tangent 0: v̇5 = ∂v5/∂x1." in out


def test_baydin_latex_section_and_document(tmp_path):
    derivation = gradcli.evaluate(BAYDIN, BAYDIN_AT, wrt=["x1"], mode="forward")
    section = latex_tangent_section(derivation, 5)
    text = "\n".join(section)
    assert section[0].startswith(r"\paragraph{Tangent trace} {\sloppy Forward mode: seed $\dot{x}_{1} = 1$")
    expected = {
        "x1": r"$\dot{x}_{1}$ & seed & $1$ \\",
        "x2": r"$\dot{x}_{2}$ & 0 (not seeded) & $0$ \\",
        "v1": r"$\dot{v}_{1}$ & $\frac{\dot{x}_{1}}{x_{1}} = 0.5 \times 1$ & $0.5$ \\",
        "v2": r"$\dot{v}_{2}$ & $\dot{x}_{1} \cdot x_{2} + \dot{x}_{2} \cdot x_{1} = "
        r"5 \times 1 + 2 \times 0$ & $5$ \\",
        "v3": r"$\dot{v}_{3}$ & $\dot{v}_{1} + \dot{v}_{2} = 1 \times 0.5 + 1 \times 5$ & $5.5$ \\",
        "v4": r"$\dot{v}_{4}$ & $\dot{x}_{2} \cdot \cos\left(x_{2}\right) = 0.28366 \times 0$ & $0$ \\",
        "v5": r"$\dot{v}_{5}$ & $\dot{v}_{3} - \dot{v}_{4} = 1 \times 5.5 - 1 \times 0$ & $\mathbf{5.5}$ \\",
    }
    for name, line in expected.items():
        assert line in section, name
    assert latex_tangent_section(gradcli.evaluate(BAYDIN, BAYDIN_AT), 4) == []  # reverse mode
    # Until latex.py calls it (the lead wires it), put the section after the document's body.
    # and a trace with arrays, a Jacobian-vector product (softmax) and an array literal
    arrays = gradcli.evaluate(
        "sum(W @ x) + softmax(x)[0] + [x[0], 2][1]", {"W": [[1, 2], [3, 4]], "x": [1, 2]}, mode="forward"
    )
    more = "\n".join(latex_tangent_section(arrays, 4))
    assert r"\partial v_{3}/\partial x" in more and "mark" not in more
    body = latex_render(derivation, digits=5) + "\n" + text + "\n" + more
    tex = tmp_path / "trace.tex"
    tex.write_text(standalone_document(body), encoding="utf-8")
    compile_latex(tex)
    log = tex.with_suffix(".log").read_text(encoding="utf-8", errors="replace")
    assert not [p for p in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide", log) if float(p) > 1], log


def test_seed_004_traces_give_reverse_modes_gradient_for_each_variable():
    reverse = gradcli.evaluate(SEED_004, SEED_004_AT)
    for name in SEED_004_AT:
        forward = gradcli.evaluate(SEED_004, SEED_004_AT, wrt=[name], mode="forward")
        trace = forward.tangents
        assert trace is not None and trace.variable == name
        assert trace.rows[-1].node == forward.output
        assert trace.rows[-1].tangent == pytest.approx(float(reverse.gradient[name]), rel=1e-15)
        assert float(forward.gradient[name]) == trace.rows[-1].tangent  # the same arithmetic
        # every node's tangent is its own derivative: central differences of the primal trace
        h = 1e-6
        up = gradcli.evaluate(SEED_004, {**SEED_004_AT, name: SEED_004_AT[name] + h})
        down = gradcli.evaluate(SEED_004, {**SEED_004_AT, name: SEED_004_AT[name] - h})
        for row in trace.rows:
            slope = (float(up.nodes[row.node].value) - float(down.nodes[row.node].value)) / (2 * h)
            assert float(row.tangent) == pytest.approx(slope, abs=1e-8), (name, row.node)


def test_seed_004_text_trace_of_w0():
    out = run_cli("eval", SEED_004, "--at", _at(SEED_004_AT), "--mode", "forward", "--format", "text").out
    assert "Tangent trace   (seed ẇ0 = 1, every other input's tangent 0: ḣ = ∂h/∂w0)" in out
    assert "  h     ḣ = -ġ/g^2             -0.5344 × 0.3679  -0.1966  output" in out
    assert "  e     ė = -ḋ                 -1 × (-1)         1" in out
    assert "The trace follows w0, the first variable differentiated; --wrt x0 shows x0's." in out


def _formula_value(formula: str, derivation, values: dict[int, float]) -> float:
    """A tangent formula evaluated by gradcli itself: tangents renamed to plain names."""
    names = {node.name: node.id for node in derivation.nodes}
    bound: dict[str, float] = {}
    for name, node_id in names.items():
        if re.fullmatch(r"[A-Za-z_]\w*", name):
            bound[name] = float(derivation.nodes[node_id].value)
            bound[f"t_{name}"] = values[node_id]
    source = formula
    for name in sorted(names, key=len, reverse=True):
        source = source.replace(dotted(name), f"t_{name}")
    used = {n: v for n, v in bound.items() if re.search(rf"\b{n}\b", source)}
    return float(gradcli.evaluate(source, used, wrt=[]).value)


@pytest.mark.parametrize(
    "source, at",
    [
        (BAYDIN, BAYDIN_AT),
        (SEED_004, SEED_004_AT),
        ("tanh(w*x + b)^2 / (1 + x^3)", {"w": 0.7, "x": 1.3, "b": -0.2}),
        ("sqrt(x) * log(y) - x/y + exp(-x*y)", {"x": 2.0, "y": 3.0}),
        ("sigmoid(x)^y + abs(x - y)", {"x": 0.3, "y": 1.7}),
    ],
)
def test_tangent_formulas_parse_and_evaluate_to_the_tangents(source, at):
    for name in at:
        derivation = gradcli.evaluate(source, at, wrt=[name], mode="forward")
        values = {row.node: float(row.tangent) for row in derivation.tangents.rows}
        for row in derivation.tangents.rows:
            formula = tangent_formula(derivation, row)
            if formula is None:
                continue
            expected = values[row.node]
            assert _formula_value(to_text(formula), derivation, values) == pytest.approx(expected, abs=1e-12)
            for term in row.terms:
                text = to_text(term_formula(derivation, term))
                value = _formula_value(text, derivation, values)
                assert value == pytest.approx(float(term.product), abs=1e-12), text


def test_an_array_tangent_is_an_array_seeded_at_the_first_element():
    at = {"W": [[0.1, 0.2, 0.3], [0.4, -0.5, 0.6]], "x": [1.0, -1.0, 2.0]}
    source = "sum(tanh(W @ x))"
    derivation = gradcli.evaluate(source, at, wrt=["x"], mode="forward")
    trace = derivation.tangents
    assert trace.element == (0,)
    rows = {derivation.nodes[row.node].name: row for row in trace.rows}
    np.testing.assert_array_equal(rows["x"].tangent, [1, 0, 0])
    np.testing.assert_allclose(rows["v1"].tangent, np.array(at["W"])[:, 0])  # W @ ẋ = W's 1st column
    reverse = gradcli.evaluate(source, at)
    assert float(rows["v3"].tangent) == pytest.approx(reverse.gradient["x"][0], rel=1e-14)
    out = run_cli(
        "eval",
        source,
        "--at",
        "W=[[0.1,0.2,0.3],[0.4,-0.5,0.6]],x=[1,-1,2]",
        "--wrt",
        "x",
        "--mode",
        "forward",
        "--format",
        "text",
    ).out
    assert "(seed ẋ[0] = 1, every other element and input 0: v̇3 = ∂v3/∂x[0])" in out
    assert "  x     ẋ = seed" in out and "[1, 0, 0]" in out
    assert "  v1    v̇1 = Ẇ @ x + W @ ẋ    [0, 0] + [0.1, 0.4]             [0.1, 0.4]" in out
    data = run_cli(
        "eval",
        source,
        "--at",
        "W=[[0.1,0.2,0.3],[0.4,-0.5,0.6]],x=[1,-1,2]",
        "--wrt",
        "x",
        "--mode",
        "forward",
        "--json",
    ).json()
    assert data["tangents"]["element"] == [0]
    assert data["tangents"]["trace"][1]["tangent"] == [1.0, 0.0, 0.0]


def test_formulas_of_ops_without_an_elementwise_derivative():
    at = {"W": [[1.0, 2.0], [3.0, 4.0]], "x": [1.0, 2.0]}
    derivation = gradcli.evaluate("sum(W @ x) + softmax(x)[0] + [x[0], 2][1]", at, mode="forward")
    formulas = {
        derivation.nodes[row.node].name: to_text(f)
        for row in derivation.tangents.rows
        if (f := tangent_formula(derivation, row)) is not None
    }
    assert formulas["v1"] == "Ẇ @ x + W @ ẋ"
    assert formulas["v2"] == "sum(v̇1)"
    assert formulas["v3"] == "∂v3/∂x * ẋ"  # softmax: a Jacobian-vector product
    assert formulas["v4"] == "v̇3[0]"
    assert formulas["v7"] == "[v̇6, 0]"  # an array literal is linear in all its items at once


@pytest.mark.parametrize(
    "source, at",
    [
        ("relu(x) + abs(y)", {"x": 0.0, "y": 0.0}),
        ("max([x, y]) * 3", {"x": 1.0, "y": 1.0}),
        ("where(x > 0, sqrt(x), 0) + y", {"x": -1.0, "y": 2.0}),
        ("sqrt(x^2 + y^2)", {"x": 0.0, "y": 0.0}),
        ("x^0.5 + y", {"x": 0.0, "y": 1.0}),
        ("clip(x, 0, 1) * y", {"x": 1.0, "y": 2.0}),
    ],
)
def test_kinks_and_cuts_the_table_shows_the_gradient(source, at):
    """At a kink the trace's numbers are forward mode's gradient (torch's conventions, as reverse)."""
    reverse = gradcli.evaluate(source, at)
    for name in at:
        forward = gradcli.evaluate(source, at, wrt=[name], mode="forward")
        output = forward.tangents.rows[-1].tangent
        np.testing.assert_array_equal(output, forward.gradient[name])
        if np.isfinite(reverse.gradient[name]):  # forward mode follows reverse mode where finite
            np.testing.assert_array_equal(output, reverse.gradient[name])


def test_relu_at_zero_shows_torchs_local_derivative_zero():
    out = run_cli("eval", "relu(x)*3", "--at", "x=0", "--mode", "forward", "--format", "text").out
    assert "  v1    v̇1 = ẋ * step(x)  0 × 1" in out
    assert "∂v2/∂x = 0" in out


def test_several_wrt_the_trace_follows_the_first():
    data = _baydin("--json").json()  # --wrt x1 only
    assert data["tangents"]["wrt"] == "x1"
    run = run_cli("eval", BAYDIN, "--at", _at(BAYDIN_AT), "--mode", "forward", "--wrt", "x2,x1", "--json")
    data = run.json()
    assert data["tangents"]["wrt"] == "x2"
    assert data["tangents"]["trace"][-1]["tangent"] == pytest.approx(data["gradient"]["x2"], rel=1e-15)
    assert data["gradient"]["x1"] == 5.5
    text = run_cli(
        "eval", BAYDIN, "--at", _at(BAYDIN_AT), "--mode", "forward", "--wrt", "x2,x1", "--format", "text"
    ).out
    assert "The trace follows x2, the first variable differentiated; --wrt x1 shows x1's." in text


def test_the_trace_changes_no_gradient_and_appears_only_in_forward_mode():
    for source, at in [(BAYDIN, BAYDIN_AT), (SEED_004, SEED_004_AT)]:
        with_trace = gradcli.evaluate(source, at, mode="forward")
        without = gradcli.evaluate(source, at, mode="forward", record_steps=False)
        assert without.tangents is None
        for name, grad in with_trace.gradient.items():
            assert float(grad) == float(without.gradient[name])
    assert gradcli.evaluate(BAYDIN, BAYDIN_AT).tangents is None
    assert "tangents" not in run_cli("eval", BAYDIN, "--at", _at(BAYDIN_AT), "--json").json()
    assert "tangents" not in _baydin("--json", "--brief").json()


FAMILIES = [
    ("sum(x * y) + max(x)", {"x": [1.0, 3.0, 2.0], "y": [2.0, 1.0, 0.5]}),
    ("sum(softmax(x) * [1, 2, 3]) + logsumexp(x)", {"x": [0.1, -0.4, 0.9]}),
    ("mean(sum(X, axis=1) ^ 2) + norm(X)", {"X": [[1.0, 2.0], [-0.5, 0.3]]}),
    ('sum(einsum("ij,j->i", A, x))', {"A": [[1.0, 2.0], [3.0, 4.0]], "x": [0.5, -1.0]}),
    ("sum(concat([x, y * 2]) * [1, 2, 3, 4])", {"x": [1.0, 2.0], "y": [3.0, 4.0]}),
    ("sum(cumprod(x)) + sum(x[::-1] * x) + x[-1]", {"x": [0.5, 2.0, -1.5]}),
    ("cross_entropy(Z, [0, 2])", {"Z": [[0.2, -0.3, 0.9], [1.1, 0.0, -0.4]]}),
    ("sum(where(x > 0, sqrt(x), 0) + transpose(W) @ x)", {"x": [-1.0, 4.0], "W": [[1.0, 2.0], [3.0, 4.0]]}),
    ("var(x) + std(x, ddof=1) + prod(x)", {"x": [1.0, 2.0, 4.0]}),
    ("tanh(w @ x + b)", {"w": [[0.1, 0.2]], "x": [1.0, -1.0], "b": [0.3]}),
]


def _array_formula_value(formula: str, derivation, tangents: dict[int, np.ndarray]) -> np.ndarray:
    bound: dict[str, object] = {}
    source = formula
    for node in sorted(derivation.nodes, key=lambda n: len(n.name), reverse=True):
        if re.fullmatch(r"[A-Za-z_]\w*", node.name) and node.id in tangents:
            source = source.replace(dotted(node.name), f"t_{node.name}")
            bound[node.name] = np.asarray(node.value).tolist()
            bound[f"t_{node.name}"] = np.asarray(tangents[node.id]).tolist()
    used = {n: v for n, v in bound.items() if re.search(rf"\b{n}\b", source)}
    return np.asarray(gradcli.evaluate(source, used, wrt=[]).value)


@pytest.mark.parametrize("source, at", FAMILIES)
def test_every_family_traces_renders_and_its_formulas_evaluate(source, at):
    """The trace of every op family: the output's tangent is forward mode's gradient at the
    seeded element (exactly: the same pushes), every format renders it, and each formula that
    names no Jacobian evaluates (by gradcli) to the numbers the table shows."""
    for name in at:
        derivation = gradcli.evaluate(source, at, wrt=[name], mode="forward")
        trace = derivation.tangents
        gradient = np.asarray(derivation.gradient[name])
        element = trace.element
        expected = gradient[(..., *element)] if np.size(derivation.value) > 1 else gradient[element]
        np.testing.assert_array_equal(
            trace.rows[-1].tangent, np.reshape(expected, np.shape(trace.rows[-1].tangent))
        )
        tangents = {row.node: row.tangent for row in trace.rows}
        for row in trace.rows:
            for term in row.terms:
                text = to_text(term_formula(derivation, term))
                if "∂" in text:
                    continue
                value = _array_formula_value(text, derivation, tangents)
                value = np.broadcast_to(value, np.shape(term.product))
                # where a formula multiplies nan by 0 the table shows the engine's 0 (a cut branch)
                finite = np.isfinite(value)
                np.testing.assert_allclose(
                    value[finite], np.asarray(term.product)[finite], rtol=1e-12, atol=1e-12, err_msg=text
                )
        for render in (derivation.to_text, derivation.to_markdown, derivation.to_json):
            assert "angent" in render()
        assert latex_tangent_section(derivation, 4)


def test_readme_shows_what_the_command_prints():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    command = 'gradcli eval "log(x1) + x1*x2 - sin(x2)" --at x1=2,x2=5 --mode forward --wrt x1 --format text'
    assert command in readme
    block = re.search(r"```\n\n```\n(.*?)```", readme.split(command, 1)[1], re.S).group(1)
    out = run_cli(
        "eval", BAYDIN, "--at", "x1=2,x2=5", "--mode", "forward", "--wrt", "x1", "--format", "text"
    ).out
    assert block == out and "\nTangent trace" in block


def test_a_non_finite_tangent_on_a_cut_branch_is_written_as_json_says():
    """sqrt at 0 has an infinite tangent; where() cuts it, so the gradient is finite (torch: nan)."""
    data = run_cli("eval", "where(x > 0, sqrt(x), 0)", "--at", "x=0", "--mode", "forward", "--json").json()
    assert data["gradient"] == {"x": 0.0}
    tangents = [row["tangent"] for row in data["tangents"]["trace"]]
    assert "inf" in tangents and tangents[-1] == 0.0
    assert any('"inf"' in warning for warning in data["warnings"])


def test_the_eight_exercises_in_forward_mode_compile_without_overfull_boxes(tmp_path):
    """Issue 18's eight textbook exercises, traced in forward mode: every format has the trace and
    its output tangent is the gradient's first element; the LaTeX of all eight compiles with no
    box over 1 pt too wide (long formulas wrap in their column)."""
    from exercises import EXERCISES

    sections = []
    for exercise in EXERCISES:
        derivation = gradcli.evaluate(exercise.source, exercise.values(), mode="forward")
        trace = derivation.tangents
        first = np.ravel(derivation.gradient[trace.variable])[0]
        assert float(np.ravel(trace.rows[-1].tangent)[0]) == first, exercise.name
        assert "Tangent trace" in derivation.to_text() and "### Tangent trace" in derivation.to_markdown()
        sections += [
            rf"\section*{{{exercise.name.replace('_', ' ')}}}",
            *latex_tangent_section(derivation, 4),
        ]
    tex = tmp_path / "exercises.tex"
    tex.write_text(standalone_document("\n".join(sections) + "\n"), encoding="utf-8")
    compile_latex(tex)
    log = tex.with_suffix(".log").read_text(encoding="utf-8", errors="replace")
    assert not [p for p in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide", log) if float(p) > 1], log
