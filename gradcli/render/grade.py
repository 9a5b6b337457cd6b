"""`gradcli grade` output: the marked sheet as text, Rich, Markdown, JSON, and Gradescope's
autograder `results.json` (score, max_score, one test a cell; gradcli/schemas/gradescope.json).

Every format says the same of a cell: where it is (the line of the sheet, the table cell), what
the student wrote, and the verdict: correct, "follows from your step N" (error carried forward,
full credit), or the mistake's name and one sentence of why, with the value expected.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..numbers import format_number, format_value, plain
from ..records.grade import MISTAKES, CellMark, GradeRecord

SCHEMA = 1
VERDICTS = {
    "correct": "correct",
    "follows": "carried forward",
    "rounding": "rounding",
    "wrong": "wrong",
    "blank": "blank",
}


def _points(value: float) -> str:
    return format_number(value, 4)


def verdict(mark: CellMark) -> str:
    """One line about a cell: what is right or wrong with it, and why."""
    if mark.status == "correct":
        return "correct"
    if mark.status == "follows":
        return f"follows from your {mark.follows} ({mark.note})"
    if mark.status == "blank":
        return f"not filled in ({mark.note})"
    title, why = MISTAKES[mark.mistake or "arithmetic"]
    return f"{title}: {why} ({mark.note})"


def summary(record: GradeRecord) -> str:
    counts = ", ".join(f"{VERDICTS[s]} {record.count(s)}" for s in VERDICTS if record.count(s))
    return f"score {_points(record.score)}/{_points(record.max_score)} ({counts})"


def _mistake_lines(record: GradeRecord) -> list[str]:
    return [f"{MISTAKES[key][0]} ×{n}" for key, n in record.mistakes.items()]


@dataclass(frozen=True)
class Line:
    """One line of a human report: a cell with something to say, or a group of cells."""

    line: str  # "line 31", or "" for a group
    cell: str
    given: str
    text: str
    status: str


def report_lines(record: GradeRecord) -> list[Line]:
    """The wrong cells one by one; the cells carried forward grouped by the cell they follow
    from (full credit), and the empty ones in one line, after them."""
    lines, groups, blank = [], {}, []
    for mark in record.marks:
        where = f"{mark.where} (line {mark.line})" if mark.line else mark.where
        if mark.status in ("wrong", "rounding"):
            lines.append(
                Line(
                    f"line {mark.line}" if mark.line else "",
                    mark.where,
                    mark.given,
                    verdict(mark),
                    mark.status,
                )
            )
        elif mark.status == "follows":
            groups.setdefault(mark.follows, []).append(where)
        elif mark.status == "blank":
            blank.append(where)
    for source, cells in groups.items():
        text = f"right from your {source}, so full credit: " + ", ".join(cells)
        lines.append(Line("", "carried forward", "", text, "follows"))
    if blank:
        lines.append(Line("", "not filled in", "", ", ".join(blank), "blank"))
    return lines


def to_text(record: GradeRecord) -> str:
    lines = [
        f"Graded {record.sheet}: {summary(record)}",
        f"program: {record.source}   at: {record.at_text}",
        "",
    ]
    report = report_lines(record)
    if not report:
        lines.append("Every cell is right.")
    for item in report:
        if item.line:
            lines.append(f"  {item.line}  {item.cell}: {item.given} — {item.text}")
        else:
            lines.append(f"  {item.cell}: {item.text}")
    mistakes = _mistake_lines(record)
    if mistakes:
        lines += ["", "Mistakes: " + "; ".join(mistakes)]
    return "\n".join(lines) + "\n"


def print_rich(record: GradeRecord) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    console.print(f"[bold]Graded {record.sheet}[/bold]: {summary(record)}")
    console.print(Text(f"program: {record.source}   at: {record.at_text}"))
    report = report_lines(record)
    if not report:
        console.print("[green]Every cell is right.[/green]")
        return
    table = Table(show_edge=False, pad_edge=False)
    for column in ("line", "cell", "given", "verdict"):
        table.add_column(column, overflow="fold")
    colour = {"follows": "yellow", "rounding": "yellow", "wrong": "red", "blank": "red"}
    for item in report:
        table.add_row(item.line, item.cell, item.given, Text(item.text, style=colour[item.status]))
    console.print(table)
    mistakes = _mistake_lines(record)
    if mistakes:
        console.print("Mistakes: " + "; ".join(mistakes))


def _md(text: str) -> str:
    return text.replace("|", r"\|")


def to_markdown(record: GradeRecord) -> str:
    lines = [f"## Graded {_md(record.sheet)}", "", f"**{summary(record)}**", ""]
    lines += [f"program: `{record.source}`", "", f"at: `{record.at_text}`", ""]
    report = report_lines(record)
    if not report:
        return "\n".join([*lines, "Every cell is right."]) + "\n"
    lines += ["| line | cell | given | verdict |", "|---|---|---|---|"]
    for item in report:
        lines.append(f"| {item.line} | {item.cell} | {_md(item.given)} | {_md(item.text)} |")
    mistakes = _mistake_lines(record)
    if mistakes:
        lines += ["", "Mistakes: " + "; ".join(mistakes)]
    return "\n".join(lines) + "\n"


def _cell_data(mark: CellMark) -> dict:
    item: dict = {
        "section": mark.section,
        "row": mark.row,
        "column": mark.column,
        "line": mark.line,
        "given": mark.given,
        "expected": plain(mark.expected),
        "status": mark.status,
        "score": mark.score,
        "max_score": mark.max_score,
    }
    if mark.mistake is not None:
        title, why = MISTAKES[mark.mistake]
        item.update(mistake=mark.mistake, title=title, why=why)
    if mark.follows:
        item["follows"] = mark.follows
    if mark.note:
        item["note"] = mark.note
    return item


def to_json(record: GradeRecord) -> str:
    data = {
        "schema": SCHEMA,
        "sheet": record.sheet,
        "program": record.source,
        "at": record.at_text,
        "level": record.level,
        "seed": record.seed,
        "score": record.score,
        "max_score": record.max_score,
        "passed": record.passed,
        "counts": {status: record.count(status) for status in VERDICTS},
        "mistakes": record.mistakes,
        "cells": [_cell_data(mark) for mark in record.marks],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def to_gradescope(record: GradeRecord) -> str:
    """Gradescope's autograder results.json: the total, and one test a cell of the sheet."""
    tests = []
    for mark in record.marks:
        given = mark.given or "(empty)"
        expected = format_value(mark.expected, 4)
        output = f"you wrote {given}; {verdict(mark)}" + (
            "" if mark.status != "correct" else f" ({expected})"
        )
        tests.append(
            {
                "name": f"{mark.where} (line {mark.line})" if mark.line else mark.where,
                "score": mark.score,
                "max_score": mark.max_score,
                "status": "passed" if mark.status in ("correct", "follows") else "failed",
                "output": output,
            }
        )
    mistakes = _mistake_lines(record)
    output = summary(record) + (". Mistakes: " + "; ".join(mistakes) if mistakes else "")
    data = {
        "score": record.score,
        "max_score": record.max_score,
        "output": output,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
