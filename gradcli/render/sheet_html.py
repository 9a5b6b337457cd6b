"""The worksheet as one self-contained page (`gradcli exercise --format html`, `-o sheet.html`):
the three tables with a box in every cell to fill, and a button that saves the filled sheet as the
Markdown `gradcli grade` reads.

The page does not write that Markdown itself: it carries render/sheet.py's own Markdown with a
marker (`⟦k⟧`) in blank k, and the script only puts each box's text in place of its marker, so
the file it saves is the Markdown sheet, filled, byte for byte. Offline, no request: styles and
the script are inline (a Content-Security-Policy forbids anything else); every text is escaped.
"""

from __future__ import annotations

from html import escape

from ..records.grade import Exercise, sheet_rows
from .sheet import COLUMNS, INSTRUCTIONS, NOT_ASKED, _definition, _edge, _given, to_markdown


def _blank(k: int, label: str) -> str:
    return f'<input data-k="{k}" aria-label="{escape(label)}" autocomplete="off" size="9">'


def _markers(exercise: Exercise) -> dict[tuple[str, str, str], str]:
    """Every cell the sheet asks for, in the order of the page, with its marker."""
    cells = [(r.section, r.label, c) for r in sheet_rows(exercise.key) for c in r.asks]
    return {cell: f"⟦{k}⟧" for k, cell in enumerate(cells)}


def _rows(exercise: Exercise, markers: dict[tuple[str, str, str], str]) -> dict[str, list[str]]:
    """The table rows of each section, a box wherever a marker is."""
    key = exercise.key
    number = {cell: int(marker[1:-1]) for cell, marker in markers.items()}

    def cell(section: str, label: str, column: str, asks: tuple[str, ...]) -> str:
        if column not in asks:
            return f"<td>{NOT_ASKED}</td>"
        return f"<td>{_blank(number[(section, label, column)], f'{label} {column}')}</td>"

    rows: dict[str, list[str]] = {"forward": [], "backward": [], "gradient": []}
    for r in sheet_rows(key):
        name = f"<th>{escape(r.label)}</th>"
        if r.section == "forward":
            value = (
                cell("forward", r.label, "value", r.asks) if r.asks else f"<td>{escape(_given(key, r))}</td>"
            )
            rows["forward"].append(f"<tr>{name}<td>{escape(_definition(key, r))}</td>{value}</tr>")
        elif r.section == "backward":
            cells = "".join(cell("backward", r.label, c, r.asks) for c in COLUMNS)
            rows["backward"].append(f"<tr>{name}<td>{escape(_edge(key, r))}</td>{cells}</tr>")
        else:
            rows["gradient"].append(f"<tr>{name}{cell('gradient', r.label, 'gradient', r.asks)}</tr>")
    return rows


def to_html(exercise: Exercise) -> str:
    markers = _markers(exercise)
    template = to_markdown(exercise, markers)
    rows = _rows(exercise, markers)
    out = exercise.key.output_node.name
    title = f"Backpropagation exercise (level {exercise.level}, seed {exercise.seed})"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">",
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title>",
            f"<style>{_STYLE}</style></head><body>",
            f"<h1>{escape(title)}</h1>",
            f"<p>{escape(INSTRUCTIONS)}</p>",
            f"<p>program: <code>{escape(exercise.source)}</code><br>",
            f"at: <code>{escape(exercise.at_text)}</code></p>",
            "<h2>Forward pass</h2>",
            "<table><tr><th>node</th><th>definition</th><th>value</th></tr>",
            *rows["forward"],
            "</table>",
            "<h2>Backward pass</h2>",
            f"<p>Start: ∂{escape(out)}/∂{escape(out)} = 1. contribution = local × upstream; a node "
            "that feeds several others adds their contributions (the sum row).</p>",
            "<table><tr><th>step</th><th>edge</th><th>local</th><th>upstream</th><th>contribution</th></tr>",
            *rows["backward"],
            "</table>",
            "<h2>Gradient</h2>",
            f"<table><tr><th>variable</th><th>∂{escape(out)}/∂variable</th></tr>",
            *rows["gradient"],
            "</table>",
            '<p class="save"><button type="button" id="save">Save the filled sheet (sheet.md)</button> '
            "then: <code>gradcli grade sheet.md</code></p>",
            f'<textarea id="template" hidden>{escape(template)}</textarea>',
            f"<script>{_SCRIPT}</script>",
            "</body></html>",
            "",
        ]
    )


_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#111;background:#fff}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}
th,td{border:1px solid #bbb;padding:.25rem .5rem;text-align:left}
input{font:inherit;width:7rem}code{font-size:.95em}
@media (prefers-color-scheme:dark){body{color:#eee;background:#161616}th,td{border-color:#555}
input{background:#222;color:#eee;border:1px solid #666}}
@media print{.save{display:none}input{border:none;border-bottom:1px solid #000}}
"""

# Each box's text in place of its marker in the sheet's own Markdown, saved as a file.
_SCRIPT = """
document.getElementById('save').addEventListener('click', function () {
  var boxes = {};
  document.querySelectorAll('input[data-k]').forEach(function (box) { boxes[box.dataset.k] = box; });
  var text = document.getElementById('template').value.replace(/\\u27e6(\\d+)\\u27e7/g, function (m, k) {
    return boxes[k].value.replace(/[|\\n]/g, ' ').trim();
  });
  var link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([text], {type: 'text/markdown'}));
  link.download = 'sheet.md';
  link.click();
});
"""
