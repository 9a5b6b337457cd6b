"""`--format html`: one self-contained page to click through a derivation (issue 19).

The forward table, the backward table and the result, from the rows every format reads
(render/layout.py), formulas as MathML (render/html_math.py), the graph as inline SVG laid out by
gradcli (render/html_graph.py), and a small script (render/html_assets.py) that links the views
and walks the passes one step at a time. Nothing is fetched: no font, script or stylesheet from
elsewhere, and a Content-Security-Policy that forbids it. Every name, number and formula is
escaped; the walk's data is JSON with `<`, `>` and `&` written as escapes.
"""

from __future__ import annotations

import json

import numpy as np

from ..numbers import format_value
from ..records import DerivationRecord
from . import html_assets, html_graph
from .formula import to_text
from .html_math import escape, formula, math, mo, name_ml, partial
from .layout import (
    ForwardRow,
    StepRow,
    SumRow,
    backward_rows,
    feeds_phrase,
    forward_rows,
    kinks,
    no_steps_reason,
    signed_sum,
)

CSP = html_assets.CSP


def _json(data: object) -> str:
    """JSON safe inside a <script> element: no `<`, `>` or `&` can end it or start a comment."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _numbers(digits: int):
    """render/numbers.format_value, once per value: a node's value and gradient are shown in the
    tables, the picture and the walk (the value objects live as long as the page is written)."""
    seen: dict[int, tuple[object, str]] = {}

    def value(v: object) -> str:
        known = seen.get(id(v))
        if known is None or known[0] is not v:
            known = seen[id(v)] = (v, format_value(v, digits))
        return known[1]

    return value


def _alt(content: str, text: str) -> str:
    """A MathML formula with its text form beside it (shown instead by "formulas as text")."""
    return f'{content}<code class="alt">{escape(text)}</code>'


def _forward_table(rows: list[ForwardRow], value, positions: dict[int, int]) -> list[str]:
    out = [
        '<table class="forward"><caption>Forward pass</caption>',
        "<thead><tr><th>node</th><th>definition</th><th>value</th><th></th></tr></thead><tbody>",
    ]
    for row in rows:
        node = row.node
        if row.definition is None:
            definition = escape(node.role)
        else:
            text = to_text(row.definition)
            definition = _alt(formula(row.definition, text), text)
        notes = [note for note, on in (("output", row.is_output), ("kink", bool(node.kink))) if on]
        attrs = f'data-node="{node.id}" tabindex="0"'
        if node.id in positions:
            attrs += f' data-pos="{positions[node.id]}"'
        title = f' title="{escape("kink: " + node.kink)}"' if node.kink else ""
        out.append(
            f'<tr class="{"output" if row.is_output else ""}" {attrs}{title}>'
            f'<th scope="row">{_alt(math(name_ml(node.name)), node.name)}</th>'
            f'<td>{definition}</td><td class="num">{escape(value(node.value))}</td>'
            f"<td>{escape(', '.join(notes))}</td></tr>"
        )
    return [*out, "</tbody></table>"]


def _local_ml(row: StepRow, derivation: DerivationRecord) -> str:
    """`∂h/∂g = -1/g^2`, as layout.local_label says it, in MathML with its text beside it."""
    d = partial(row.of.name, row.wrt.name)
    formula_text = to_text(row.formula)
    body = formula(row.formula, formula_text)
    d_text = f"∂{row.of.name}/∂{row.wrt.name}"
    if row.local is None:
        up = derivation.upstream_name
        head = math(name_ml(up) + mo("·") + d)
        text = f"{up} · {d_text} = {formula_text}"
    elif row.textbook:
        head = math(d + mo("=") + f"<mtext>{escape(row.textbook)}</mtext>")
        text = f"{d_text} = {row.textbook} = {formula_text}"
    else:
        head = math(d)
        text = f"{d_text} = {formula_text}"
    return _alt(f'<span class="eq">{head} <span class="equals">=</span> {body}</span>', text)


def _step_row(row: StepRow, derivation: DerivationRecord, value, position: int) -> str:
    edge = escape(row.edge())
    kink = " (kink)" if row.of.kink else ""
    return (
        f'<tr class="step" data-step="{row.number}" data-of="{row.of.id}" data-wrt="{row.wrt.id}" '
        f'data-index="{row.step.index}" data-pos="{position}" tabindex="0">'
        f'<td class="num">{row.number}</td><td class="edge">{edge}</td>'
        f'<td class="local-formula">{_local_ml(row, derivation)}{escape(kink)}</td>'
        f'<td class="num local">{escape(value(row.local))}</td>'
        f'<td class="num upstream">{escape(value(row.step.upstream))}</td>'
        f'<td class="num contribution">{escape(value(row.step.contribution))}</td></tr>'
    )


def _sum_row(row: SumRow, out: str, value, position: int) -> str:
    terms = signed_sum([value(s.contribution) for s in row.steps])
    feeds = feeds_phrase(row)
    name = row.node.name
    return (
        f'<tr class="sum" data-node="{row.node.id}" data-wrt="{row.node.id}" data-pos="{position}" '
        f'tabindex="0"><td></td><td class="edge">sum at {escape(name)}</td>'
        f'<td colspan="3">{escape(name)} feeds {escape(feeds)}: ∂{escape(out)}/∂{escape(name)} = '
        f'{escape(terms)}</td><td class="num contribution"><strong>{escape(value(row.node.grad))}'
        "</strong></td></tr>"
    )


def _backward_table(derivation: DerivationRecord, rows: list, value, first: int) -> list[str]:
    out = derivation.output_node.name
    start = f'<p class="start" data-pos="{first - 1}">Start: ∂{escape(out)}/∂{escape(out)} = 1.</p>'
    if not rows:
        return [start, f"<p>{escape(no_steps_reason(derivation))}</p>"]
    lines = [
        start,
        '<table class="backward"><caption>Backward pass</caption><thead><tr><th>step</th>'
        "<th>edge</th><th>local derivative</th><th>local</th><th>× upstream</th>"
        "<th>= contribution</th></tr></thead><tbody>",
    ]
    for k, row in enumerate(rows):
        if isinstance(row, StepRow):
            lines.append(_step_row(row, derivation, value, first + k))
        else:
            lines.append(_sum_row(row, out, value, first + k))
    return [*lines, "</tbody></table>"]


def _result(derivation: DerivationRecord, value) -> list[str]:
    out = derivation.output_node.name
    lines = [
        '<section class="result"><h2>Result</h2>',
        f'<p class="value">{math(name_ml(out))} = '
        f'<span class="num">{escape(value(derivation.value))}</span></p>',
    ]
    if derivation.gradient:
        lines.append(
            '<table class="gradients"><thead><tr><th>gradient</th><th>value</th></tr></thead><tbody>'
        )
        for name, grad in derivation.gradient.items():
            node = derivation.variables.get(name, -1)
            label = _alt(math(partial(out, name)), f"∂{out}/∂{name}")
            lines.append(
                f'<tr data-node="{node}" tabindex="0"><th scope="row">{label}'
                f'</th><td class="num" data-gradient="{escape(name)}">{escape(value(grad))}</td></tr>'
            )
        lines.append("</tbody></table>")
    notes = [f"kink at {node.name}: {node.kink}" for node in kinks(derivation)]
    notes += [f"warning: {w}" for w in derivation.warnings]
    if notes:
        lines.append("<ul>" + "".join(f"<li>{escape(n)}</li>" for n in notes) + "</ul>")
    return [*lines, "</section>"]


def _accumulated(derivation: DerivationRecord, rows: list, value) -> list[str]:
    """For each backward row, the gradient of the node it ends in once that row has run: the sum so
    far of the contributions into it (the node's own gradient after its last one)."""
    sums: dict[int, np.ndarray] = {}
    seen: dict[int, int] = {}
    texts = []
    for row in rows:
        if isinstance(row, SumRow):
            texts.append(value(row.node.grad))
            continue
        node = row.wrt
        into = derivation.steps_into[node.id]
        seen[node.id] = seen.get(node.id, 0) + 1
        if seen[node.id] == len(into) and node.grad is not None:
            texts.append(value(node.grad))
            continue
        contribution = np.asarray(row.step.contribution, dtype=float)
        sums[node.id] = sums[node.id] + contribution if node.id in sums else contribution
        texts.append(value(sums[node.id]))
    return texts


def _walk(derivation: DerivationRecord, forward: list[ForwardRow], rows: list, value) -> dict:
    """What the script walks: the forward positions (a node computed), the start of the backward
    pass, each backward row (the gradient it leaves in its node), and the end."""
    positions: list[dict] = [{"k": "in"}]
    for row in forward:
        if row.definition is not None:
            positions.append({"k": "f", "node": row.node.id, "v": value(row.node.value)})
    out = derivation.output_node
    if rows:
        positions.append({"k": "s", "node": out.id, "g": value(np.ones_like(out.value))})
        for row, grad in zip(rows, _accumulated(derivation, rows, value), strict=True):
            if isinstance(row, StepRow):
                positions.append(
                    {
                        "k": "b",
                        "of": row.of.id,
                        "wrt": row.wrt.id,
                        "i": row.step.index,
                        "step": row.number,
                        "edge": row.edge(),
                        "local": value(row.local),
                        "up": value(row.step.upstream),
                        "c": value(row.step.contribution),
                        "g": grad,
                    }
                )
            else:
                positions.append({"k": "sum", "node": row.node.id, "g": grad})
    positions.append({"k": "end"})
    nodes = {
        n.id: {"v": value(n.value), "g": None if n.grad is None else value(n.grad), "leaf": not n.inputs}
        for n in derivation.nodes
    }
    # A box's line as the script rewrites it is clipped as the SVG's was (html_graph._clip).
    return {"positions": positions, "nodes": nodes, "clip": html_graph.MAX_CHARS}


def render(
    derivation: DerivationRecord,
    digits: int = 4,
    brief: bool = False,
    paths: bool = False,
    standalone: bool = True,
    root: str = "gradcli",
) -> str:
    """The page (`standalone`), or the fragment a notebook shows (`root` names it on the page)."""
    value = _numbers(digits)
    forward = forward_rows(derivation)
    rows = [] if derivation.mode == "forward" else backward_rows(derivation)
    walk = _walk(derivation, forward, rows, value)
    positions = {p["node"]: k for k, p in enumerate(walk["positions"]) if p["k"] == "f"}
    first_backward = next((k + 1 for k, p in enumerate(walk["positions"]) if p["k"] == "s"), 0)
    body: list[str] = [f"<h1>{html_assets.TITLE} <code>{escape(derivation.source)}</code></h1>"]
    if not brief:
        body += html_assets.controls()
        body.append('<div class="now" aria-live="polite"></div>')
        body += _picture(derivation, digits, True, value)
        body += _forward_table(forward, value, positions)
        body += _backward_table(derivation, rows, value, first_backward)
    body += _result(derivation, value)
    del paths  # the chain rule along every path: the other formats' (--paths), not the page's yet
    return html_assets.page(root, body, _json(walk), derivation.source, standalone, walk=not brief)


def _picture(derivation: DerivationRecord, digits: int, numbers: bool, value=None) -> list[str]:
    picture = html_graph.svg(derivation, digits, numbers, value)
    if picture is None:
        return [
            f'<p class="no-picture">The graph has {len(derivation.nodes):,} nodes: the picture is left '
            f"out above {html_graph.MAX_PICTURE} (the tables below are complete).</p>"
        ]
    return ['<div class="picture">', picture, "</div>"]


def render_graph(derivation: DerivationRecord, digits: int = 4, numbers: bool = True) -> str:
    """`gradcli graph --format html`: the picture alone, on the same page."""
    body = [f"<h1>{html_assets.TITLE} <code>{escape(derivation.source)}</code></h1>"]
    body += _picture(derivation, digits, numbers)
    empty = _json({"positions": [], "nodes": {}})
    return html_assets.page("gradcli", body, empty, derivation.source, True, walk=False)


__all__ = ["CSP", "render", "render_graph"]
