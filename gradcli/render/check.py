"""`gradcli check` output: the gradient check as text, Rich or JSON (render/perturb.py: --perturb).

Text is plain (no colour, no box drawing) for pipes and files; Rich colours the verdicts on a
terminal; JSON is one strict RFC 8259 object (non-finite numbers as "nan", "inf", "-inf"). The
table helpers at the end serve the --perturb narration too.
"""

from __future__ import annotations

import json

from ..numbers import count_of, format_number
from ..records.check import CheckResult, Row, index_label
from .json_out import SCHEMA, plain

MAX_ROWS = 300  # the Rich tables stop here, as the derivation's do


def _label(result: CheckResult, row: Row) -> str:
    out = result.output_name + index_label(row.output_index)
    return f"∂{out}/∂{row.variable}{index_label(row.index)}"


def _small(value: float) -> str:
    return format_number(value, 2)


_CHECK_HEADER = [
    "gradient",
    "reverse",
    "finite diff.",
    "abs err",
    "rel err",
    "h",
    "truncation",
    "noise",
    "verdict",
]


def _check_cells(result: CheckResult, row: Row, digits: int) -> list[str]:
    return [
        _label(result, row),
        format_number(row.reverse, digits),
        format_number(row.fd, digits),
        _small(row.abs_err),
        _small(row.rel_err),
        _small(row.h),
        _small(row.truncation),
        _small(row.noise),
        row.verdict,
    ]


def _title(result: CheckResult) -> str:
    return f"Gradient check of {result.output_name}: reverse mode vs. central finite differences"


def _settings(result: CheckResult) -> list[str]:
    return [
        f"step h = eps·max(1, |x|) with eps = {format_number(result.eps, 3)}; "
        "fd = Richardson over h and h/2: (4·D(h/2) − D(h))/3",
        "pass: |reverse − fd| ≤ atol + rtol·max(|reverse|, |fd|) + noise, "
        f"with rtol = {format_number(result.rtol, 3)}, atol = {format_number(result.atol, 3)}",
    ]


def _notes(result: CheckResult) -> list[str]:
    return [f"{_label(result, row)}: {row.note}" for row in result.rows if row.note]


def summary(result: CheckResult) -> str:
    """The last line: passed or FAILED, and how many rows agree, sit at a kink or fail."""
    total = len(result.rows)
    counts = {v: sum(row.verdict == v for row in result.rows) for v in ("ok", "kink", "FAIL")}
    if total == 0:
        return "check passed: nothing to check"
    if counts["FAIL"]:
        failing = ", ".join(_label(result, row) for row in result.rows if row.verdict == "FAIL")
        verb = "disagrees" if counts["FAIL"] == 1 else "disagree"
        return (
            f"check FAILED: {counts['FAIL']} of {_elements(total)} {verb} with finite differences: {failing}"
        )
    if counts["kink"]:
        convention = "at a kink, where reverse mode gives its convention's value"
        if counts["ok"] == 0:
            return f"check passed: no failure; {_all(total)} {'is' if total == 1 else 'are'} {convention}"
        return (
            f"check passed: {counts['ok']} of {total} agree with finite differences; "
            f"{counts['kink']} {'is' if counts['kink'] == 1 else 'are'} {convention}"
        )
    return f"check passed: {_all(total)} {'agrees' if total == 1 else 'agree'} with finite differences"


def _elements(n: int) -> str:
    return count_of(n, "gradient element")


def _all(n: int) -> str:
    """`the 1 gradient element`, `all 3 gradient elements`."""
    return f"the {_elements(n)}" if n == 1 else f"all {_elements(n)}"


def check_text(result: CheckResult, digits: int = 6) -> str:
    """The check as plain text: the settings, one row per gradient element, the notes, the summary."""
    lines = [_title(result), *("  " + line for line in _settings(result)), ""]
    if result.rows:
        lines += pad_columns(_CHECK_HEADER, [_check_cells(result, row, digits) for row in result.rows])
    notes = _notes(result)
    if notes:
        lines += ["", *notes]
    lines += [f"warning: {w}" for w in result.warnings]
    lines += ["", summary(result)]
    return "\n".join(lines) + "\n"


_VERDICT_STYLE = {"ok": "green", "kink": "yellow", "FAIL": "bold red"}


_DETAIL = (5, 6, 7)  # h, truncation, noise: left out of a Rich table narrower than WIDE
WIDE = 110


def print_check(result: CheckResult, digits: int = 6, console=None) -> None:
    """The check on a terminal, verdicts in colour; h, truncation and noise only when it is wide."""
    from rich.console import Console, Group
    from rich.text import Text

    console = console or Console(highlight=False)
    keep = [i for i in range(len(_CHECK_HEADER)) if console.width >= WIDE or i not in _DETAIL]
    header = [_CHECK_HEADER[i] for i in keep]
    width = max((len(_label(result, row)) for row in result.rows), default=8)
    table = rich_table(header, right=set(range(1, len(header) - 1)), fold=0, min_width=min(width, 24))
    for row in result.rows[:MAX_ROWS]:
        cells = [_check_cells(result, row, digits)[i] for i in keep]
        style = _VERDICT_STYLE[row.verdict]
        table.add_row(Text(cells[0], "cyan"), *(Text(c) for c in cells[1:-1]), Text(cells[-1], style))
    cut_rows(table, len(result.rows) - MAX_ROWS)
    settings = _settings(result)
    if len(keep) < len(_CHECK_HEADER):
        settings.append("h, truncation and noise of each row: a wider terminal, a pipe or --json")
    parts = [Text(_title(result), "bold"), Text("\n".join(settings), "dim")]
    if result.rows:
        parts.append(table)
    for row in result.rows:
        if row.note:
            parts.append(Text(f"{_label(result, row)}: {row.note}", _VERDICT_STYLE[row.verdict]))
    parts += [Text(f"warning: {w}", "red") for w in result.warnings]
    parts.append(Text(summary(result), "bold " + _VERDICT_STYLE[result.verdict].replace("bold ", "")))
    console.print(Group(*parts))


def check_data(result: CheckResult) -> dict:
    """The check as the JSON object `gradcli check --json` writes (non-finite numbers as strings)."""
    rows = []
    for row in result.rows:
        item = {
            "variable": row.variable,
            "index": list(row.index),
            "output_index": list(row.output_index),
        }
        for key in ("reverse", "fd", "abs_err", "rel_err"):
            item[key] = plain(getattr(row, key))
        item["verdict"] = row.verdict
        for key in ("h", "fd_h", "fd_h2", "truncation", "noise", "tolerance", "left", "right"):
            item[key] = plain(getattr(row, key))
        if row.note:
            item["note"] = row.note
        if row.kink:
            item["kink"] = list(row.kink)
        rows.append(item)
    return {
        "schema": SCHEMA,
        "source": result.source,
        "at": {name: plain(v) for name, v in result.at.items()},
        "output": result.output_name,
        "value": plain(result.value),
        "eps": result.eps,
        "rtol": result.rtol,
        "atol": result.atol,
        "verdict": result.verdict,
        "passed": result.passed,
        "rows": rows,
        "warnings": list(result.warnings),
    }


def check_json(result: CheckResult) -> str:
    """`check_data` as strict RFC 8259 JSON."""
    return json.dumps(check_data(result), allow_nan=False, indent=2) + "\n"


# --- tables, shared with render/perturb.py ------------------------------------------------------


def pad_columns(header: list[str], rows: list[list[str]], indent: str = "  ") -> list[str]:
    """A plain-text table: each column as wide as its widest cell, two spaces between columns."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return [
        (indent + "  ".join(cell.ljust(width) for cell, width in zip(r, widths, strict=True))).rstrip()
        for r in [header, *rows]
    ]


def rich_table(columns: list[str], right: set[int], fold: int, min_width: int = 0):
    """Numbers never wrap; the one column `fold` (a label, a definition) folds when it must."""
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1))
    for i, column in enumerate(columns):
        table.add_column(
            column,
            overflow="fold",
            no_wrap=i != fold,
            justify="right" if i in right else "left",
            min_width=min_width if i == fold else None,
        )
    return table


def cut_rows(table, left_out: int) -> None:
    """Say in the table's last row how many rows were left out (past MAX_ROWS), if any."""
    from rich.text import Text

    if left_out > 0:
        note = Text(f"… {left_out} more rows: --json or a pipe (plain text) prints them all", "dim")
        table.add_row(note, *([Text("")] * (len(table.columns) - 1)))
