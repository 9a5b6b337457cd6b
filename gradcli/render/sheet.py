"""The blank worksheet of an exercise (`gradcli exercise`): the forward table with the inputs
given and every operation's value to fill in, the backward table (local, upstream,
contribution per step; a sum row where a node feeds several), and the gradient.

Markdown and CSV are the forms `gradcli grade` reads back (its parser is homework/sheet.py: the
labels here, `program:`, `at:`, the section titles and the first column, are what it looks
for); LaTeX (and the PDF compiled from it) is for paper; JSON for other tools.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping

from ..numbers import format_value, plain
from ..records import DerivationRecord
from ..records.grade import Exercise, Row, sheet_rows
from .formula import to_latex as formula_latex
from .formula import to_text
from .latex import standalone_document
from .symbols import tex_names

NOT_ASKED = "—"
INSTRUCTIONS = (
    "Work out the forward pass, then the backward pass, then the gradient. Fill in every empty "
    "cell; keep 3–4 significant digits (fractions like -1/4 and powers like e^-1 are fine)."
)
BACKWARD_NOTE = (
    "local = ∂node/∂input at this step's edge; contribution = local × upstream, where upstream "
    "is ∂{out}/∂node; a node that feeds several others adds their contributions (the sum row)."
)
COLUMNS = ("local", "upstream", "contribution")


def _definition(key: DerivationRecord, row: Row, latex: bool = False) -> str:
    node = key.nodes[row.node]
    formula = key.definition(node)
    if formula is None:
        return "input" if node.op == "var" else "constant"
    return formula_latex(formula) if latex else to_text(formula)


def _edge(key: DerivationRecord, row: Row, arrow: str = " → ", spell: Callable[[str], str] = str) -> str:
    if row.step is None:
        node = key.nodes[row.node]
        feeds = [key.nodes[key.steps[i].of].name for i in key.steps_into[node.id]]
        return f"{spell(node.name)} feeds {', '.join(spell(f) for f in feeds)}"
    step = key.steps[row.step]
    return f"{spell(key.nodes[step.of].name)}{arrow}{spell(key.nodes[step.wrt].name)}"


# What a filled sheet holds: (section, row, column) -> the text in that cell.
Answers = Mapping[tuple[str, str, str], str]


def _cells(row: Row, columns: tuple[str, ...], answers: Answers | None = None) -> list[str]:
    answers = answers or {}
    return [answers.get((row.section, row.label, c), "") if c in row.asks else NOT_ASKED for c in columns]


def _given(key: DerivationRecord, row: Row, answers: Answers | None = None) -> str:
    if row.asks:
        return (answers or {}).get((row.section, row.label, "value"), "")
    return format_value(key.nodes[row.node].value, 17)


def to_markdown(exercise: Exercise, answers: Answers | None = None) -> str:
    """The sheet in Markdown; with `answers`, those cells filled in (tests, the corpus)."""
    key = exercise.key
    out = key.output_node.name
    rows = sheet_rows(key)
    lines = [
        f"# Backpropagation exercise (level {exercise.level}, seed {exercise.seed})",
        "",
        INSTRUCTIONS,
        "",
        f"program: `{exercise.source}`",
        "",
        f"at: `{exercise.at_text}`",
        "",
        "## Forward pass",
        "",
        "| node | definition | value |",
        "|---|---|---|",
    ]
    lines += [
        f"| {r.label} | {_definition(key, r)} | {_given(key, r, answers)} |"
        for r in rows
        if r.section == "forward"
    ]
    lines += ["", "## Backward pass", "", f"Start: ∂{out}/∂{out} = 1. " + BACKWARD_NOTE.format(out=out), ""]
    lines += ["| step | edge | local | upstream | contribution |", "|---|---|---|---|---|"]
    for r in rows:
        if r.section == "backward":
            lines.append(f"| {r.label} | {_edge(key, r)} | " + " | ".join(_cells(r, COLUMNS, answers)) + " |")
    lines += ["", "## Gradient", "", f"| variable | ∂{out}/∂variable |", "|---|---|"]
    lines += [
        f"| {r.label} | {_cells(r, ('gradient',), answers)[0]} |" for r in rows if r.section == "gradient"
    ]
    return "\n".join(lines) + "\n"


def to_csv(exercise: Exercise, answers: Answers | None = None) -> str:
    """The sheet as CSV (one row a table row; a spreadsheet opens it); `answers` as for Markdown."""
    key = exercise.key
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["program", exercise.source])
    writer.writerow(["at", exercise.at_text])
    writer.writerow(["section", "row", "definition", "value", *COLUMNS])
    for r in sheet_rows(key):
        if r.section == "forward":
            writer.writerow(["forward", r.label, _definition(key, r), _given(key, r, answers), "", "", ""])
        elif r.section == "backward":
            writer.writerow(["backward", r.label, _edge(key, r), NOT_ASKED, *_cells(r, COLUMNS, answers)])
        else:
            gradient = _cells(r, ("gradient",), answers)[0]
            writer.writerow(
                ["gradient", r.label, f"∂{key.output_node.name}/∂{r.label}", gradient, "", "", ""]
            )
    return buffer.getvalue()


def to_json(exercise: Exercise) -> str:
    key = exercise.key
    data: dict = {
        "schema": 1,
        "kind": "worksheet",
        "level": exercise.level,
        "seed": exercise.seed,
        "program": exercise.source,
        "at": {name: plain(value) for name, value in key.at.items()},
        "output": key.output_node.name,
        "forward": [],
        "backward": [],
        "gradient": [],
    }
    for r in sheet_rows(key):
        item: dict = {"row": r.label, "asks": list(r.asks)}
        if r.section == "forward":
            item["definition"] = _definition(key, r)
            if not r.asks:
                item["value"] = plain(key.nodes[r.node].value)
        elif r.section == "backward":
            item["edge"] = _edge(key, r)
        data[r.section].append(item)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def to_latex(exercise: Exercise, standalone: bool = False) -> str:
    key = exercise.key
    names = tex_names(node.name for node in key.nodes)

    def spell(name: str) -> str:
        return f"${names.get(name, name)}$"

    out = names[key.output_node.name]
    rows = sheet_rows(key)
    blank = r"\rule{0pt}{4ex}"
    lines = [
        rf"\section*{{Backpropagation exercise (level {exercise.level}, seed {exercise.seed})}}",
        _escape(INSTRUCTIONS),
        "",
        rf"Program: \texttt{{{_escape(exercise.source)}}} \quad at \texttt{{{_escape(exercise.at_text)}}}",
        "",
        r"\paragraph{Forward pass}",
        "",
        r"\begin{tabular}{|l|l|p{3cm}|}\hline",
        r"node & definition & value \\ \hline",
    ]
    for r in rows:
        if r.section == "forward":
            definition = _definition(key, r, latex=True) if r.asks else _definition(key, r)
            shown = f"${definition}$" if r.asks else definition
            lines.append(rf"{spell(r.label)} & {shown} & {_given(key, r) or blank} \\ \hline")
    lines += [
        r"\end{tabular}",
        "",
        r"\paragraph{Backward pass}",
        rf"Start: $\partial {out}/\partial {out} = 1$.",
        "",
    ]
    lines += [r"\begin{tabular}{|l|l|p{2.4cm}|p{2.4cm}|p{2.4cm}|}\hline"]
    lines += [r"step & edge & local & upstream & contribution \\ \hline"]
    for r in rows:
        if r.section == "backward":
            cells = [c or blank for c in _cells(r, COLUMNS)]
            edge = _edge(key, r, " $\\to$ ", spell)
            label = r.label if r.step is not None else f"sum at {spell(key.nodes[r.node].name)}"
            lines.append(rf"{label} & {edge} & " + " & ".join(cells) + r" \\ \hline")
    lines += [r"\end{tabular}", "", r"\paragraph{Gradient}", ""]
    lines += [r"\begin{tabular}{|l|p{3cm}|}\hline", rf"variable & $\partial {out}/\partial\cdot$ \\ \hline"]
    lines += [rf"{spell(r.label)} & {blank} \\ \hline" for r in rows if r.section == "gradient"]
    lines += [r"\end{tabular}", ""]
    body = "\n".join(lines)
    return standalone_document(body) if standalone else body


_ESCAPES = {
    "\\": r"\textbackslash{}",
    "_": r"\_",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "^": r"\^{}",
    "~": r"\~{}",
    "{": r"\{",
    "}": r"\}",
    "–": "--",
    "−": "-",
    "∂": r"$\partial$",
    "×": r"$\times$",
}


def _escape(text: str) -> str:
    return "".join(_ESCAPES.get(char, char) for char in text)
