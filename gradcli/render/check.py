"""`gradcli check` output: the gradient check and the --perturb nudge, as text, Rich or JSON.

Text is plain (no colour, no box drawing) for pipes and files; Rich colours the verdicts on a
terminal; JSON is one strict RFC 8259 object (non-finite numbers as "nan", "inf", "-inf").
"""

from __future__ import annotations

import json

from ..check import CheckResult, Nudge, Row
from ..numbers import format_number, format_value
from .json_out import SCHEMA, plain

MAX_ROWS = 300  # the Rich tables stop here, as the derivation's do


def _label(result: CheckResult, row: Row) -> str:
    out = result.output_name + _index(row.output_index)
    return f"∂{out}/∂{row.variable}{_index(row.index)}"


def _index(index: tuple[int, ...]) -> str:
    return "[" + ",".join(str(i) for i in index) + "]" if index else ""


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
    total = len(result.rows)
    counts = {v: sum(row.verdict == v for row in result.rows) for v in ("ok", "kink", "FAIL")}
    if total == 0:
        return "check passed: nothing to check"
    if counts["FAIL"]:
        failing = ", ".join(_label(result, row) for row in result.rows if row.verdict == "FAIL")
        return (
            f"check FAILED: {counts['FAIL']} of {total} gradient elements disagree with finite "
            f"differences: {failing}"
        )
    if counts["kink"]:
        convention = "at a kink, where reverse mode gives its convention's value"
        if counts["ok"] == 0:
            return f"check passed: no failure; all {total} gradient elements are {convention}"
        return (
            f"check passed: {counts['ok']} of {total} agree with finite differences; "
            f"{counts['kink']} {convention}"
        )
    return f"check passed: all {total} gradient elements agree with finite differences"


def _pad(header: list[str], rows: list[list[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return [
        (indent + "  ".join(cell.ljust(width) for cell, width in zip(r, widths, strict=True))).rstrip()
        for r in [header, *rows]
    ]


def check_text(result: CheckResult, digits: int = 6) -> str:
    lines = [_title(result), *("  " + line for line in _settings(result)), ""]
    if result.rows:
        lines += _pad(_CHECK_HEADER, [_check_cells(result, row, digits) for row in result.rows])
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
    from rich.console import Console, Group
    from rich.text import Text

    console = console or Console(highlight=False)
    keep = [i for i in range(len(_CHECK_HEADER)) if console.width >= WIDE or i not in _DETAIL]
    header = [_CHECK_HEADER[i] for i in keep]
    width = max((len(_label(result, row)) for row in result.rows), default=8)
    table = _rich_table(header, right=set(range(1, len(header) - 1)), fold=0, min_width=min(width, 24))
    for row in result.rows[:MAX_ROWS]:
        cells = [_check_cells(result, row, digits)[i] for i in keep]
        style = _VERDICT_STYLE[row.verdict]
        table.add_row(Text(cells[0], "cyan"), *(Text(c) for c in cells[1:-1]), Text(cells[-1], style))
    _cut(table, len(result.rows) - MAX_ROWS)
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


def _rich_table(columns: list[str], right: set[int], fold: int, min_width: int = 0):
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


def _cut(table, left_out: int) -> None:
    from rich.text import Text

    if left_out > 0:
        note = Text(f"… {left_out} more rows: --json or a pipe (plain text) prints them all", "dim")
        table.add_row(note, *([Text("")] * (len(table.columns) - 1)))


def check_data(result: CheckResult) -> dict:
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
    return json.dumps(check_data(result), allow_nan=False, indent=2) + "\n"


# --- --perturb ---------------------------------------------------------------------------------


def _nudge_header(nudge: Nudge) -> list[str]:
    by = f"∂node/∂{nudge.target_label}"  # by reverse mode, as the introduction says
    return ["node", "definition", "before", "after", "change", "change/h", by]


def _nudge_rows(nudge: Nudge):
    from .layout import forward_rows

    shown = {row.node.id: row for row in forward_rows(nudge.derivation)}
    return [(row, shown[row.node.id]) for row in nudge.rows if row.node.id in shown]


def _nudge_cells(nudge: Nudge, row, forward, digits: int) -> list[str]:
    from .formula import to_text

    definition = to_text(forward.definition) if forward.definition is not None else row.node.role
    return [
        row.node.name,
        definition,
        format_value(row.before, digits),
        format_value(row.after, digits),
        format_value(row.change, digits),
        format_value(row.ratio, digits),
        "" if row.reverse is None else format_value(row.reverse, digits),
    ]


def _nudge_intro(nudge: Nudge, digits: int) -> list[str]:
    target = nudge.rows[nudge.target.id]
    label = nudge.target_label
    what = "every element of " + label if nudge.index is None and target.before.ndim else label
    return [
        f"Nudging {what} by h = {format_number(nudge.h, digits)}: {nudge.target.name} goes from "
        f"{format_value(target.before, digits)} to {format_value(target.after, digits)}.",
        f"The nodes that do not depend on {nudge.target.name} keep their values; the ones downstream move. "
        f"change/h estimates ∂node/∂{label}; the last column is that derivative by reverse mode.",
    ]


def _nudge_outro(nudge: Nudge, digits: int) -> str:
    out = nudge.rows[nudge.derivation.output]
    name, target = out.node.name, nudge.target_label
    line = (
        f"{name}: {format_value(out.before, digits)} → {format_value(out.after, digits)}, so "
        f"∂{name}/∂{target} ≈ {format_value(out.change, digits)} / {format_number(nudge.h, digits)} = "
        f"{format_value(out.ratio, digits)}"
    )
    if out.reverse is not None:
        line += f" (reverse mode: {format_value(out.reverse, digits)})"
    return line


def nudge_text(nudge: Nudge, digits: int = 6) -> str:
    lines = [*_nudge_intro(nudge, digits), ""]
    lines += _pad(_nudge_header(nudge), [_nudge_cells(nudge, r, f, digits) for r, f in _nudge_rows(nudge)])
    lines += [f"warning: {w}" for w in nudge.warnings]
    lines += ["", _nudge_outro(nudge, digits)]
    return "\n".join(lines) + "\n"


def print_nudge(nudge: Nudge, digits: int = 6, console=None) -> None:
    import numpy as np
    from rich.console import Console, Group
    from rich.text import Text

    console = console or Console(highlight=False)
    table = _rich_table(_nudge_header(nudge), right={2, 3, 4, 5, 6}, fold=1, min_width=8)
    rows = _nudge_rows(nudge)
    for row, forward in rows[:MAX_ROWS]:
        cells = _nudge_cells(nudge, row, forward, digits)
        moved = bool(np.any(row.change != 0))
        style = "bold green" if forward.is_output else ("bold" if moved else "dim")
        table.add_row(Text(cells[0], "cyan"), Text(cells[1]), *(Text(c, style) for c in cells[2:]))
    _cut(table, len(rows) - MAX_ROWS)
    parts = [Text("\n".join(_nudge_intro(nudge, digits))), table]
    parts += [Text(f"warning: {w}", "red") for w in nudge.warnings]
    parts.append(Text(_nudge_outro(nudge, digits), "bold"))
    console.print(Group(*parts))


def nudge_data(nudge: Nudge) -> dict:
    from .formula import to_text

    nodes = []
    for row in nudge.rows:
        node = row.node
        item: dict = {"id": node.id, "name": node.name, "op": node.op, "inputs": list(node.inputs)}
        definition = nudge.derivation.definition(node)
        if definition is not None:
            item["formula"] = to_text(definition)
        item["before"] = plain(row.before)
        item["after"] = plain(row.after)
        item["change"] = plain(row.change)
        item["ratio"] = plain(row.ratio)
        if row.reverse is not None:
            item["reverse"] = plain(row.reverse)
        nodes.append(item)
    return {
        "schema": SCHEMA,
        "source": nudge.derivation.source,
        "at": {name: plain(v) for name, v in nudge.derivation.at.items()},
        "perturb": {
            "name": nudge.target.name,
            "id": nudge.target.id,
            "index": None if nudge.index is None else list(nudge.index),
            "h": nudge.h,
        },
        "output": nudge.derivation.output,
        "nodes": nodes,
        "warnings": list(nudge.warnings),
    }


def nudge_json(nudge: Nudge) -> str:
    return json.dumps(nudge_data(nudge), allow_nan=False, indent=2) + "\n"
