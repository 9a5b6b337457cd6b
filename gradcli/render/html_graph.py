"""The computation graph as inline SVG for the HTML page.

The picture `gradcli graph` draws: a box per value (name, data, grad; an array's shape), a circle
per operation, edges in the direction data flows, left to right. Where Graphviz's `dot` is on
PATH, it places the boxes (`dot -Tplain`: positions only; the page draws every box, circle and
edge itself, so the linked views work the same). Without it, or if dot fails or is slow, gradcli
lays the graph out itself, in layers: the creation order is topological, so one pass gives each
operation its layer (the longest path from an input), an input or constant sits one layer before
its first user, and two barycentre sweeps order each layer to cut crossings. Every label is
escaped.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..records import DerivationRecord, NodeRecord
from .graphviz import timeout_for
from .html_math import escape
from .symbols import node_fields, op_label

MAX_PICTURE = 300  # nodes; above this the page keeps the tables and says the picture is left out
MAX_CHARS = 34  # of a label line in a box; the whole text is the box's tooltip
CHAR = 7.0  # px per character of the 12px monospace labels
LINE = 16.0
PAD = 8.0
RADIUS = 13.0
GAP = 26.0  # between a box and the next circle, and between boxes in a layer


@dataclass
class Place:
    node: NodeRecord
    lines: list[str]
    layer: int
    x: float = 0.0
    y: float = 0.0
    width: float = 0.0
    height: float = 0.0


def _lines(node: NodeRecord, digits: int, numbers: bool, number: Callable[[object], str] | None) -> list[str]:
    """render/symbols.node_fields (name, data, grad), with the page's memo of formatted numbers."""
    if number is None or not numbers:
        lines = node_fields(node, digits, numbers)
    else:
        lines = [node.name, f"data {number(node.value)}"]
        if node.grad is not None:
            lines.append(f"grad {number(node.grad)}")
    shape = np.shape(node.value)
    if numbers and shape:
        lines.insert(1, "shape " + "×".join(str(n) for n in shape))
    return lines


def _layers(derivation: DerivationRecord) -> list[int]:
    """An operation one past its deepest input; an input or constant just before its first user."""
    nodes = derivation.nodes
    layer = [0] * len(nodes)
    users: list[list[int]] = [[] for _ in nodes]
    for node in nodes:
        for i in node.inputs:
            users[i].append(node.id)
        if node.inputs:
            layer[node.id] = 1 + max(layer[i] for i in node.inputs)
    for node in reversed(nodes):
        if not node.inputs and users[node.id]:
            layer[node.id] = max(0, min(layer[u] for u in users[node.id]) - 1)
    return layer


def _order(places: list[Place], derivation: DerivationRecord) -> list[list[Place]]:
    """Each layer's places, ordered by two barycentre sweeps (down by inputs, up by users)."""
    depth = max(p.layer for p in places) + 1
    columns: list[list[Place]] = [[] for _ in range(depth)]
    for place in places:
        columns[place.layer].append(place)
    users: dict[int, list[int]] = {}
    for node in derivation.nodes:
        for i in node.inputs:
            users.setdefault(i, []).append(node.id)
    rank = {p.node.id: k for column in columns for k, p in enumerate(column)}

    def sweep(column: list[Place], neighbours) -> None:
        def key(place: Place) -> float:
            near = [rank[n] for n in neighbours(place.node)]
            return sum(near) / len(near) if near else rank[place.node.id]

        column.sort(key=key)
        rank.update({p.node.id: k for k, p in enumerate(column)})

    for _ in range(2):
        for column in columns[1:]:
            sweep(column, lambda node: node.inputs)
        for column in reversed(columns[:-1]):
            sweep(column, lambda node: users.get(node.id, ()))
    return columns


def layout(
    derivation: DerivationRecord,
    digits: int,
    numbers: bool,
    number: Callable[[object], str] | None = None,
    graphviz: bool = True,
) -> tuple[list[Place], float, float]:
    """Every node placed (box top-left corner and size), and the picture's width and height:
    by Graphviz where `graphviz` and dot is on PATH, else in gradcli's layers."""
    layers = _layers(derivation)
    places = [Place(n, _lines(n, digits, numbers, number), layers[n.id]) for n in derivation.nodes]
    for place in places:
        longest = max(min(len(line), MAX_CHARS) for line in place.lines)
        place.width = longest * CHAR + 2 * PAD
        place.height = len(place.lines) * LINE + PAD
    placed = _by_graphviz(places) if graphviz else None
    return placed if placed is not None else _in_layers(places, derivation)


def _circle(place: Place) -> float:
    """The room an operation's circle takes left of its box."""
    return 2 * RADIUS + GAP if place.node.inputs else 0.0


def _by_graphviz(places: list[Place]) -> tuple[list[Place], float, float] | None:
    """The boxes where `dot` puts them (each a fixed-size box, its circle included), or None."""
    program = shutil.which("dot")
    if program is None:
        return None
    text = [
        "digraph g {",
        "rankdir=LR; nodesep=0.3; ranksep=0.35;",
        'node [shape=box, fixedsize=true, label=""];',
    ]
    for p in places:
        text.append(f"n{p.node.id} [width={(p.width + _circle(p)) / 72:.3f}, height={p.height / 72:.3f}];")
    text += [f"n{i} -> n{p.node.id};" for p in places for i in p.node.inputs]
    try:
        done = subprocess.run(
            [program, "-Tplain"],
            input="\n".join([*text, "}"]),
            capture_output=True,
            text=True,
            timeout=timeout_for(len(places)),
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    centres, size = {}, None
    for line in done.stdout.splitlines() if done.returncode == 0 else ():
        fields = line.split()
        if fields[:1] == ["graph"]:
            size = float(fields[2]) * 72, float(fields[3]) * 72
        elif fields[:1] == ["node"]:
            centres[int(fields[1][1:])] = float(fields[2]) * 72, float(fields[3]) * 72
    if size is None or len(centres) != len(places):
        return None
    for p in places:
        x, y = centres[p.node.id]
        p.x = PAD + x - (p.width + _circle(p)) / 2 + _circle(p)
        p.y = PAD + (size[1] - y) - p.height / 2  # dot's y grows upwards
    return places, size[0] + 2 * PAD, size[1] + 2 * PAD


def _in_layers(places: list[Place], derivation: DerivationRecord) -> tuple[list[Place], float, float]:
    """gradcli's own layered layout (the module's docstring)."""
    columns = _order(places, derivation)
    heights = [sum(p.height for p in column) + GAP * (len(column) - 1) for column in columns]
    height = max(heights) + 2 * PAD
    x = PAD
    for column, column_height in zip(columns, heights, strict=True):
        has_op = any(p.node.inputs for p in column)
        x += (2 * RADIUS + GAP) if has_op else 0
        y = (height - column_height) / 2
        for place in column:
            place.x, place.y = x, y
            y += place.height + GAP
        x += max(p.width for p in column) + GAP
    return places, x - GAP + PAD, height


def _clip(line: str) -> str:
    return line if len(line) <= MAX_CHARS else line[: MAX_CHARS - 1] + "…"


def _box(place: Place, derivation: DerivationRecord) -> list[str]:
    node = place.node
    kind = {"var": "input", "const": "constant"}.get(node.op, "operation")
    classes = (
        f"node {kind}" + (" output" if node.id == derivation.output else "") + (" kink" if node.kink else "")
    )
    tip = "\n".join(place.lines) + (f"\nkink: {node.kink}" if node.kink else "")
    out = [
        f'<g class="{classes}" data-node="{node.id}" tabindex="0" role="button" '
        f'aria-label="{escape(" ".join(place.lines))}">',
        f"<title>{escape(tip)}</title>",
        f'<rect x="{place.x:.1f}" y="{place.y:.1f}" width="{place.width:.1f}" '
        f'height="{place.height:.1f}" rx="4"/>',
    ]
    for k, line in enumerate(place.lines):
        role = "name" if k == 0 else line.split(" ", 1)[0]
        ty = place.y + PAD / 2 + LINE * (k + 0.75)
        out.append(f'<text class="{role}" x="{place.x + PAD:.1f}" y="{ty:.1f}">{escape(_clip(line))}</text>')
    if node.inputs:
        cx, cy = place.x - GAP / 2 - RADIUS, place.y + place.height / 2
        out.append(f'<path class="link" d="M{cx + RADIUS:.1f} {cy:.1f}H{place.x:.1f}"/>')
        out.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{RADIUS}"/>')
        label = op_label(node.op)
        word = " word" if len(label) > 1 else ""  # a function's name, in smaller type
        out.append(f'<text class="op{word}" x="{cx:.1f}" y="{cy + 4:.1f}">{escape(label)}</text>')
    out.append("</g>")
    return out


def _edges(place: Place, by_id: dict[int, Place]) -> list[str]:
    """The edges into an operation's circle, one per input (`x*x` has two, drawn apart)."""
    node = place.node
    cx, cy = place.x - GAP / 2 - 2 * RADIUS, place.y + place.height / 2
    out = []
    count = len(node.inputs)
    for index, source in enumerate(node.inputs):
        start = by_id[source]
        sx, sy = start.x + start.width, start.y + start.height / 2
        ey = cy + (index - (count - 1) / 2) * min(8.0, 2 * RADIUS / max(count, 1))
        bend = max((cx - sx) / 2, 10.0)
        out.append(
            f'<path class="edge" data-of="{node.id}" data-index="{index}" data-wrt="{source}" '
            f'd="M{sx:.1f} {sy:.1f}C{sx + bend:.1f} {sy:.1f} {cx - bend:.1f} {ey:.1f} {cx:.1f} {ey:.1f}"/>'
        )
    return out


def svg(
    derivation: DerivationRecord,
    digits: int = 4,
    numbers: bool = True,
    number: Callable[[object], str] | None = None,
) -> str | None:
    """The graph as an <svg> element, or None above MAX_PICTURE nodes. `number` formats a value
    (format_value at `digits`, remembered by the page)."""
    if len(derivation.nodes) > MAX_PICTURE:
        return None
    places, width, height = layout(derivation, digits, numbers, number)
    by_id = {p.node.id: p for p in places}
    edges = [line for p in places if p.node.inputs for line in _edges(p, by_id)]
    boxes = [line for p in places for line in _box(p, derivation)]
    return "\n".join(
        [
            f'<svg class="graph" xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" '
            f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
            f'aria-label="the computation graph">',
            '<g class="edges">',
            *edges,
            "</g>",
            *boxes,
            "</svg>",
        ]
    )
