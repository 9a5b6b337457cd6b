"""A filled worksheet read back: the program, the point, and what the student wrote in each
cell, with the line it is on.

Two forms, the ones `gradcli exercise` writes: Markdown (`program:` and `at:` lines, then the
tables under headings that say forward, backward and gradient) and CSV (`program,...`,
`at,...`, then one row a table row). Hand-edited tables are read generously: extra spaces,
missing outer pipes, `**bold**` or `$maths$` around a cell, a missing trailing cell (blank).
A cell that holds something which is not a number (answers.py's grammar) is an error with its
line and a caret, as is a sheet without its program.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from ..errors import GradcliError, Span
from .answers import Answer, AnswerError, read_answer

SECTIONS = ("forward", "backward", "gradient")
# The columns of each table and where they are when the header does not say.
DEFAULT_COLUMNS = {
    "forward": {"value": 2},
    "backward": {"local": 2, "upstream": 3, "contribution": 4},
    "gradient": {"gradient": 1},
}
_FIELD = re.compile(r"^\s*[*_]*\s*(program|at|level|seed)\s*[*_]*\s*:\s*(.*?)\s*$", re.IGNORECASE)
_HEADING = re.compile(r"^\s*level\s+(\d+)\D+seed\s+(\d+)", re.IGNORECASE)
_TITLE = re.compile(r"level (\d+), seed (\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class Cell:
    text: str
    line: int  # 1-based
    column: int  # 1-based, where the text starts on its line
    answer: Answer | None  # None: left empty


@dataclass
class FilledSheet:
    name: str
    text: str
    source: str = ""
    at_text: str = ""
    level: int | None = None
    seed: int | None = None
    cells: dict[tuple[str, str, str], Cell] = field(default_factory=dict)


def read_sheet(text: str, name: str = "sheet", digits: int = 2) -> FilledSheet:
    """The filled sheet in `text` (Markdown or CSV). Raises GradcliError, pointing at the line."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    sheet = FilledSheet(name, text)
    if first.lower().startswith(("program,", '"program"')):
        _read_csv(sheet, digits)
    else:
        _read_markdown(sheet, digits)
    if not sheet.source:
        raise GradcliError(
            f"{name}: no `program:` line, so there is nothing to grade against",
            hint="keep the sheet's `program:` and `at:` lines, or give --against SOURCE --at VALUES",
        )
    return sheet


def _read_markdown(sheet: FilledSheet, digits: int) -> None:
    section, header = None, None
    offset = 0
    for number, line in enumerate(sheet.text.splitlines(keepends=True), start=1):
        start, offset = offset, offset + len(line)
        line = line.rstrip("\r\n")
        stripped = line.strip()
        match = _FIELD.match(line)
        if match and "|" not in line:
            _field(sheet, match.group(1).lower(), match.group(2).strip("`").strip())
            continue
        if stripped.startswith("#"):
            title = _TITLE.search(stripped)
            if title:
                sheet.level, sheet.seed = int(title.group(1)), int(title.group(2))
            section = next((s for s in SECTIONS if s in stripped.lower()), section)
            header = None
            continue
        if section is None or "|" not in line or re.fullmatch(r"[\s|:\-]*", stripped):
            continue
        cells = _split(line)
        if header is None:
            header = _header(section, [text for text, _ in cells])
            continue
        _row(sheet, section, header, cells, number, start, line, digits)


def _split(line: str) -> list[tuple[str, int]]:
    """The cells of a table line and the 0-based column each starts at; outer pipes optional."""
    cells, at = [], 0
    parts = line.split("|")
    for k, part in enumerate(parts):
        if k in (0, len(parts) - 1) and not part.strip():
            at += len(part) + 1
            continue
        lead = len(part) - len(part.lstrip())
        cells.append((part.strip(), at + lead))
        at += len(part) + 1
    return cells


def _header(section: str, names: list[str]) -> dict[str, int]:
    columns = dict(DEFAULT_COLUMNS[section])
    lowered = [name.lower() for name in names]
    for column in columns:
        found = [k for k, name in enumerate(lowered) if column in name]
        if found:
            columns[column] = found[0]
    if section == "gradient":
        columns["gradient"] = max(1, min(columns["gradient"], len(names) - 1))
    return columns


def _label(text: str) -> str:
    text = text.strip().strip("*_$` ").strip()
    text = re.sub(r"\s+", " ", text)
    return re.sub(r"^step\s+", "", text, flags=re.IGNORECASE)


def _row(
    sheet: FilledSheet,
    section: str,
    header: dict[str, int],
    cells: list[tuple[str, int]],
    number: int,
    start: int,
    line: str,
    digits: int,
) -> None:
    if not cells:
        return
    label = _label(cells[0][0])
    for column, index in header.items():
        text, at = cells[index] if index < len(cells) else ("", len(line))
        _cell(sheet, (section, label, column), text, number, at, start, line, digits)


def _cell(
    sheet: FilledSheet,
    key: tuple[str, str, str],
    text: str,
    number: int,
    at: int,
    start: int,
    line: str,
    digits: int,
) -> None:
    """Read one cell (`at`: its 0-based column on line `number`, which starts at offset `start`)."""
    if text.strip() in ("—", "-", "–"):
        return  # not asked
    cleaned = text.strip().strip("*").strip()
    try:
        answer = read_answer(cleaned, digits)
    except AnswerError as error:
        column = at + (text.find(cleaned) if cleaned else 0) + error.column
        section, label, name = key
        where = f"{section} table, row {label}, {name}"
        raise GradcliError(
            f"{sheet.name}, line {number}: cannot read {cleaned!r} ({where}): {error}",
            span=Span(number, column + 1, start + column, start + column + 1),
            source=sheet.text,
            label=sheet.name,
            hint="write a number: 0.25, -1/4, −0.25, 2.5e-3, e^-1, or [0.5, -1] for a vector",
        ) from None
    sheet.cells[key] = Cell(cleaned, number, at + 1, answer)


def _field(sheet: FilledSheet, name: str, value: str) -> None:
    if name == "program" and not sheet.source:
        sheet.source = value
    elif name == "at" and not sheet.at_text:
        sheet.at_text = value
    elif name in ("level", "seed") and value.isdigit():
        setattr(sheet, name, int(value))


def _read_csv(sheet: FilledSheet, digits: int) -> None:
    lines = sheet.text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    reader = csv.reader(io.StringIO(sheet.text))
    columns = None
    for row in reader:
        number = reader.line_num
        if not row or not any(cell.strip() for cell in row):
            continue
        kind = row[0].strip().lower()
        if kind in ("program", "at", "level", "seed"):
            _field(sheet, kind, row[1].strip() if len(row) > 1 else "")
            continue
        if kind == "section":
            columns = {name.strip().lower(): k for k, name in enumerate(row)}
            continue
        if kind not in SECTIONS:
            continue
        columns = columns or {"value": 3, "local": 4, "upstream": 5, "contribution": 6}
        wanted = {
            "forward": ("value",),
            "backward": ("local", "upstream", "contribution"),
            "gradient": ("value",),
        }
        for name in wanted[kind]:
            index = columns.get(name, -1)
            text = row[index] if 0 <= index < len(row) else ""
            line = lines[number - 1] if number - 1 < len(lines) else ""
            at = max(line.find(text), 0) if text else len(line.rstrip())
            key = (kind, _label(row[1]) if len(row) > 1 else "", "gradient" if kind == "gradient" else name)
            _cell(sheet, key, text, number, at, starts[number - 1], line.rstrip("\r\n"), digits)
