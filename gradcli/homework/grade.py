"""Marking a filled worksheet the way a good teaching assistant does.

Every cell is recomputed twice: from the right values (is it correct, to the student's
rounding?) and from the student's own values above it (error carried forward: a cell done
right from a wrong value earlier is marked "follows from your step N", with full credit, and
is not wrong again). A wrong cell is matched against the common mistakes (diagnose.py) and the
mistake named, with one sentence of why. A cell right from the student's values that were
each right to their rounding, but more than 1% off the right value, is "rounding too early".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..backprop import unbroadcast
from ..errors import GradcliError
from ..evaluation import evaluate
from ..ops import OPS
from ..ops.row import partial_of
from ..records import DerivationRecord
from ..records.grade import MISTAKES, CellMark, GradeRecord, Row, sheet_rows
from ..values import parse_at
from . import diagnose
from .sheet import FilledSheet

ROUNDING = 0.01  # a value this close (relative) to the right one passes, however it was rounded
DRIFT = 0.05  # a wrong value this close to the student's own computation: rounded too early
# The mistakes that could explain a cell, computed only for a cell that is wrong.
Later = Callable[[], diagnose.Candidates]
CREDIT = {"correct": 1.0, "follows": 1.0, "rounding": 0.5, "wrong": 0.0, "blank": 0.0}


def close(given: np.ndarray, want: np.ndarray, tolerance: np.ndarray) -> bool:
    """Within the student's rounding (and a hair of float error)."""
    want = np.asarray(want, dtype=float)
    if np.shape(given) != np.shape(want) or not np.all(np.isfinite(want)):
        return False
    slack = tolerance + 1e-9 * np.maximum(1.0, np.abs(want))
    return bool(np.all(np.abs(given - want) <= slack))


@dataclass
class _Marker:
    sheet: FilledSheet
    key: DerivationRecord
    marks: list[CellMark] = field(default_factory=list)
    # The student's value of each node, and of each node's gradient, with the cell a wrong one
    # came from ("" when right).
    value: dict[int, tuple[np.ndarray, str]] = field(default_factory=dict)
    grad: dict[int, tuple[np.ndarray, str]] = field(default_factory=dict)
    step: dict[tuple[int, str], tuple[np.ndarray, str]] = field(default_factory=dict)

    def mark(
        self, row: Row, column: str, right: object, own: object, came_from: str, candidates: Later
    ) -> tuple[np.ndarray, str]:
        """Mark one cell; return the value the student carries on with, and its wrong source."""
        right = np.asarray(right, dtype=float)
        with np.errstate(all="ignore"):
            own = np.asarray(own, dtype=float)
        cell = self.sheet.cells.get((row.section, row.label, column))
        label = _label(row, column)
        base = dict(section=row.section, row=row.label, column=column, expected=right)
        if cell is None or cell.answer is None:
            line = cell.line if cell is not None else 0
            note = f"expected {_short(right)}"
            self.marks.append(CellMark(**base, line=line, given="", status="blank", note=note))
            return own, came_from
        given, tolerance = cell.answer.value, cell.answer.tolerance
        here = dict(base, line=cell.line, given=cell.text)
        if given.shape != right.shape:  # carry on from the value it should have been
            note = f"expected {_shape(right)}: {_short(right)}"
            self.marks.append(CellMark(**here, status="wrong", mistake="arithmetic", note=note))
            return own, came_from
        if close(given, right, tolerance) or (
            not came_from and close(given, right, ROUNDING * np.abs(right))
        ):
            self.marks.append(CellMark(**here, status="correct", score=1.0))
            return given, ""
        if close(given, own, tolerance):
            if came_from:
                note = f"the right value is {_short(right)}"
                self.marks.append(CellMark(**here, status="follows", follows=came_from, note=note, score=1.0))
                return given, came_from
            note = f"{_short(right)} from values kept to 4 digits"
            mark = CellMark(
                **here, status="rounding", mistake="rounding", note=note, score=CREDIT["rounding"]
            )
            self.marks.append(mark)
            return given, label
        mistake = self._diagnose(given, tolerance, own, candidates)
        want = own if came_from else right
        note = f"expected {_short(want)}" + (f" from your {came_from}" if came_from else "")
        self.marks.append(CellMark(**here, status="wrong", mistake=mistake, follows=came_from, note=note))
        return given, label

    @staticmethod
    def _diagnose(given: np.ndarray, tolerance: np.ndarray, own: np.ndarray, candidates: Later) -> str:
        with np.errstate(all="ignore"):
            for mistake, value in candidates():
                value = np.asarray(value, dtype=float)
                if not close(own, value, 1e-9) and close(given, value, tolerance):
                    return mistake
            if np.shape(given) == np.shape(own) and np.all(np.abs(given - own) <= DRIFT * np.abs(own)):
                return "rounding"
        return "arithmetic"


def _label(row: Row, column: str) -> str:
    if row.section == "forward":
        return f"value of {row.label}"
    if row.section == "gradient":
        return f"gradient of {row.label}"
    return row.label if row.label.startswith("sum") else f"step {row.label}"


def _shape(value: np.ndarray) -> str:
    if value.ndim == 0:
        return "one number"
    if value.ndim == 1:
        return f"a vector of {value.size}"
    return "an array of shape " + "×".join(str(n) for n in value.shape)


def _short(value: np.ndarray) -> str:
    from ..numbers import format_value

    return format_value(value, 4)


def _taint(*sources: str) -> str:
    return next((source for source in sources if source), "")


def grade(sheet: FilledSheet, source: str | None = None, at_text: str | None = None) -> GradeRecord:
    """Mark every cell of `sheet` against its program (or `source` at `at_text`)."""
    source = source or sheet.source
    at_text = sheet.at_text if at_text is None else at_text
    values = {name: item.value for name, item in parse_at([at_text]).items()} if at_text.strip() else {}
    try:
        key = evaluate(source, values)
    except GradcliError as error:
        raise error.located(source, "program") from None
    if np.size(key.value) != 1:
        raise GradcliError("the program's output is not one number: a worksheet needs a loss")
    marker = _Marker(sheet, key)
    for node in key.nodes:
        marker.value[node.id] = (node.value, "")
    for row in sheet_rows(key):
        if row.section == "forward" and row.asks:
            _forward(marker, row)
        elif row.section == "backward" and row.step is not None:
            _step(marker, row)
        elif row.section == "backward":
            _sum(marker, row)
        elif row.section == "gradient":
            _gradient(marker, row)
    return GradeRecord(sheet.name, source, at_text, sheet.level, sheet.seed, tuple(marker.marks))


def _forward(marker: _Marker, row: Row) -> None:
    node = marker.key.nodes[row.node]
    op = OPS[node.op]
    args = [marker.value[i][0] for i in node.inputs]
    came_from = _taint(*(marker.value[i][1] for i in node.inputs))
    options = dict(node.options)
    with np.errstate(all="ignore"):
        own = op.forward(*args, **options)

    def candidates() -> diagnose.Candidates:
        return diagnose.forward(node.op, args, op.forward, options, own)

    marker.value[node.id] = marker.mark(row, "value", node.value, own, came_from, candidates)


def _step(marker: _Marker, row: Row) -> None:
    key = marker.key
    step = key.steps[row.step]
    node = key.nodes[step.of]
    rule = partial_of(OPS[node.op], step.index)
    args = [marker.value[i][0] for i in node.inputs]
    out, out_from = marker.value[node.id]
    arg_from = _taint(*(marker.value[i][1] for i in node.inputs), out_from)
    options = dict(node.options)
    local, local_from = None, ""
    if "local" in row.asks:
        shown = key.shown.get(step)
        right = shown.value if shown is not None else step.local
        with np.errstate(all="ignore"):
            if rule.vjp is None:
                own = rule.local(*args, out, **options)
            else:
                own = rule.vjp(*args, out, np.ones_like(out), **options)

        def local_candidates() -> diagnose.Candidates:
            return diagnose.local(node.op, step.index, args, out, own)

        local, local_from = marker.mark(row, "local", right, own, arg_from, local_candidates)
    if step.of == key.output:
        own_up, up_from = np.ones_like(key.value, dtype=float), ""
    else:
        own_up, up_from = marker.grad[step.of]
    parts = [marker.step[(j, "contribution")][0] for j in key.steps_into.get(step.of, [])]
    upstream, upstream_from = marker.mark(
        row, "upstream", step.upstream, own_up, up_from, lambda: diagnose.gradient(parts, own_up)
    )
    shape = key.nodes[step.wrt].value.shape
    with np.errstate(all="ignore"):
        if local is not None:  # a shown local of a loss (p - y) too: times the upstream number
            own_c = unbroadcast(np.asarray(local * upstream), shape)
        else:
            own_c = unbroadcast(np.asarray(rule.vjp(*args, out, upstream, **options)), shape)
    came_from = _taint(local_from, upstream_from, "" if local is not None else arg_from)

    def contribution_candidates() -> diagnose.Candidates:
        return diagnose.contribution(local, upstream, out, own_c)

    marker.step[(row.step, "contribution")] = marker.mark(
        row, "contribution", step.contribution, own_c, came_from, contribution_candidates
    )
    into = key.steps_into[step.wrt]
    if len(into) == 1:
        marker.grad[step.wrt] = marker.step[(row.step, "contribution")]


def _sum(marker: _Marker, row: Row) -> None:
    node = marker.key.nodes[row.node]
    into = marker.key.steps_into[node.id]
    parts = [marker.step[(j, "contribution")] for j in into]
    own = sum(value for value, _ in parts)
    came_from = _taint(*(source for _, source in parts))
    values = [value for value, _ in parts]
    marker.grad[node.id] = marker.mark(
        row, "contribution", node.grad, own, came_from, lambda: diagnose.gradient(values, own)
    )


def _gradient(marker: _Marker, row: Row) -> None:
    node = marker.key.nodes[row.node]
    into = marker.key.steps_into.get(node.id, [])
    right = marker.key.gradient[row.label]
    own, came_from = marker.grad.get(node.id, (np.zeros_like(right), ""))
    values = [marker.step[(j, "contribution")][0] for j in into]
    marker.mark(row, "gradient", right, own, came_from, lambda: diagnose.gradient(values, own))


__all__ = ["MISTAKES", "close", "grade"]
