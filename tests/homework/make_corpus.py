"""Write the corpus of filled worksheets with planted mistakes (tests/homework/corpus/).

A simulated student fills each sheet from the exercise, writing 4 significant digits and going
on from what they wrote, so that a mistake planted in one cell flows into the cells after it
(error carried forward, which the grader must not mark wrong again). Each sheet has one or two
planted mistakes; manifest.json says which cell holds which mistake. A plant is used only
where it is unambiguous: its number differs by more than 10% from the right one (by 1.5-4.5%
for rounding too early) and from what every other mistake would give in that cell.

    python tests/homework/make_corpus.py        # rewrites corpus/ and manifest.json
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from gradcli.backprop import unbroadcast
from gradcli.homework.answers import read_answer
from gradcli.homework.generate import exercise
from gradcli.ops import OPS
from gradcli.ops.row import partial_of
from gradcli.records.grade import sheet_rows
from gradcli.render.sheet import to_csv, to_markdown

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
KINDS = (
    "sum_rule",
    "sign",
    "value_not_local",
    "added",
    "swapped",
    "quotient",
    "exp_log",
    "tanh_sigmoid",
    "rounding",
)
PER_KIND = 5


def _student(value: np.ndarray) -> str:
    """How the simulated student writes a number: 4 significant digits, by hand (not in
    gradcli's number style, which may change: the corpus must not)."""
    if value.ndim:
        return "[" + ", ".join(_student(item) for item in value) + "]"
    text = f"{float(value):.4g}"
    return "0" if text in ("0", "-0") else text


def _written(value) -> tuple[str, np.ndarray]:
    text = _student(np.asarray(value, dtype=float))
    return text, read_answer(text).value


def _two_digits(value):
    return np.vectorize(lambda v: float(f"{v:.2g}"))(np.asarray(value, dtype=float))


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def mistakes_at(cell: str, ctx: dict) -> dict[str, np.ndarray]:
    """What each mistake gives in this cell, from the student's values (`ctx`)."""
    found: dict[str, np.ndarray] = {}
    if cell == "local":
        op, index, args, out, own = ctx["op"], ctx["index"], ctx["args"], ctx["out"], ctx["own"]
        found["value_not_local"] = out
        found["sign"] = -own
        if op == "mul":
            found["swapped"] = args[index]
        if op == "div":
            a, b = args
            found["swapped"] = -b / a**2 if index == 0 else 1 / a
            if index == 1:
                found["quotient"] = -1 / b**2
        if op == "exp":
            found["exp_log"] = 1 / args[0]
        if op == "log":
            found["exp_log"] = np.exp(args[0])
        if op == "tanh":
            found["tanh_sigmoid"] = out * (1 - out)
        if op == "sigmoid":
            found["tanh_sigmoid"] = 1 - out**2
        if op in ("tanh", "sigmoid"):  # the derivative from the node's value rounded to 2 digits
            r = _two_digits(out)
            found["rounding"] = 1 - r**2 if op == "tanh" else r * (1 - r)
    elif cell == "contribution" and ctx.get("local") is not None:
        found["added"] = ctx["local"] + ctx["upstream"]
        found["sign"] = -ctx["own"]
        found["rounding"] = _two_digits(ctx["local"]) * _two_digits(ctx["upstream"])
    elif cell == "sum":
        found["sum_rule"] = ctx["parts"][-1]
        found["sign"] = -ctx["own"]
    return found


def _usable(kind: str, found: dict[str, np.ndarray], own: np.ndarray) -> bool:
    value = np.asarray(found[kind], dtype=float)
    if value.shape != np.shape(own) or not np.all(np.isfinite(value)):
        return False
    scale = np.maximum(np.abs(own), 1e-3)
    off = np.max(np.abs(value - own) / scale)
    if kind == "rounding":
        if not 0.015 < off < 0.045:
            return False
    elif off < 0.1:
        return False
    others = [v for k, v in found.items() if k != kind]
    return all(np.max(np.abs(np.asarray(v) - value)) > 0.05 * np.max(scale) for v in others)


class Student:
    """Fills a sheet in order, writing 4 digits and going on from what was written; at the
    cells in `plants` ((section, row, column) -> mistake) writes what that mistake gives."""

    def __init__(self, made, plants: dict, choose: Callable | None = None) -> None:
        self.key = made.key
        self.plants = plants
        self.choose = choose  # (where, found, own) -> mistake to plant here, or None
        self.answers: dict[tuple[str, str, str], str] = {}
        self.planted: dict[tuple[str, str, str], str] = {}
        self.value = {node.id: node.value for node in self.key.nodes}
        self.grad: dict[int, np.ndarray] = {}
        self.contribution: dict[int, np.ndarray] = {}

    def write(self, where, own, cell: str, ctx: dict) -> np.ndarray:
        kind = self.plants.get(where)
        found = mistakes_at(cell, {**ctx, "own": own}) if (kind or self.choose) else {}
        if kind is None and self.choose is not None and not self.planted:
            kind = self.choose(where, found, own)
        if kind is not None and kind in found and _usable(kind, found, own):
            own = found[kind]
            self.planted[where] = kind
        text, value = _written(own)
        if "rounding" in self.planted.values() and np.ndim(own) == 0 and text != "0":
            # after rounding too early, four digits shown (-1.200, not -1.2), so the value reads as
            # meant precisely and what follows from it is carried forward
            text = f"{float(own):#.4g}".rstrip(".")
        self.answers[where] = text
        return value

    def fill(self) -> Student:
        key = self.key
        with np.errstate(all="ignore"):
            for row in sheet_rows(key):
                if row.section == "forward" and row.asks:
                    node = key.nodes[row.node]
                    own = OPS[node.op].forward(*(self.value[i] for i in node.inputs), **dict(node.options))
                    self.value[node.id] = self.write(("forward", row.label, "value"), own, "value", {})
                elif row.section == "backward" and row.step is not None:
                    self._step(row)
                elif row.section == "backward":
                    parts = [self.contribution[j] for j in key.steps_into[row.node]]
                    own = sum(parts)
                    where = ("backward", row.label, "contribution")
                    self.grad[row.node] = self.write(where, own, "sum", {"parts": parts})
                elif row.section == "gradient":
                    node = key.variables[row.label]
                    self.write(("gradient", row.label, "gradient"), self.grad[node], "gradient", {})
        return self

    def _step(self, row) -> None:
        key = self.key
        step = key.steps[row.step]
        node = key.nodes[step.of]
        rule = partial_of(OPS[node.op], step.index)
        args = [self.value[i] for i in node.inputs]
        out, options = self.value[node.id], dict(node.options)
        local = None
        if "local" in row.asks:
            own = (
                rule.local(*args, out, **options)
                if rule.vjp is None
                else rule.vjp(*args, out, np.ones_like(out), **options)
            )
            ctx = {"op": node.op, "index": step.index, "args": args, "out": out}
            local = self.write(("backward", row.label, "local"), own, "local", ctx)
        upstream_own = np.ones_like(key.value) if step.of == key.output else self.grad[step.of]
        upstream = self.write(("backward", row.label, "upstream"), upstream_own, "upstream", {})
        shape = key.nodes[step.wrt].value.shape
        if local is not None:
            own = unbroadcast(np.asarray(local * upstream), shape)
        else:
            own = unbroadcast(np.asarray(rule.vjp(*args, out, upstream, **options)), shape)
        ctx = {"local": local, "upstream": upstream}
        self.contribution[row.step] = self.write(
            ("backward", row.label, "contribution"), own, "contribution", ctx
        )
        if len(key.steps_into[step.wrt]) == 1:
            self.grad[step.wrt] = self.contribution[row.step]


LEVELS_OF = {
    "sum_rule": (1, 2, 4),
    "sign": (1, 2, 3, 4),
    "value_not_local": (1, 2, 4),
    "added": (1, 2, 3, 4),
    "swapped": (1, 2, 4),
    "quotient": (2,),
    "exp_log": (2, 4),
    "tanh_sigmoid": (2, 4),
    "rounding": (2, 4),
}


def _messy(text: str, number: int) -> str:
    """What people do to tables: no outer pipes, extra spaces, − for minus."""
    lines = []
    for line in text.splitlines():
        if line.startswith("|") and number % 2 == 0:
            line = line.strip("|").replace(" | ", "  |  ")
        lines.append(line.replace("| -", "| −") if number % 3 == 0 else line)
    return "\n".join(lines) + "\n"


def plant(kind: str, level: int, start: int, skip: int = 0):
    """The first exercise from seed `start` on where `kind` can be planted unambiguously
    (the `skip`-th usable cell of it, when it has that many)."""
    for seed in range(start, start + 500):
        made = exercise(level, seed)
        seen = []

        def choose(where, found, own, seen=seen):
            if kind in found and _usable(kind, found, own):
                seen.append(where)
                return kind if len(seen) > skip else None
            return None

        student = Student(made, {}, choose).fill()
        if student.planted:
            return made, student
    raise RuntimeError(f"no place for {kind} at level {level}")


def build() -> list[dict]:
    manifest = []
    number = 0
    for i, kind in enumerate(KINDS):
        levels = LEVELS_OF[kind]
        for k in range(PER_KIND):
            level = levels[k % len(levels)]
            made, student = plant(kind, level, start=100 * k + 7 + 11 * i)
            number += 1
            form = "csv" if number % 4 == 0 else "md"
            name = f"{number:02d}-{kind}-level{level}.{form}"
            if form == "csv":
                text = to_csv(made, student.answers)
            else:
                text = _messy(to_markdown(made, student.answers), number)
            (CORPUS / name).write_text(text, encoding="utf-8")
            planted = [
                {"section": w[0], "row": w[1], "column": w[2], "mistake": m}
                for w, m in student.planted.items()
            ]
            manifest.append({"file": name, "level": level, "seed": made.seed, "planted": planted})
    return manifest


def main() -> int:
    CORPUS.mkdir(exist_ok=True)
    for old in CORPUS.glob("*"):
        if old.suffix in (".md", ".csv"):
            old.unlink()
    manifest = build()
    (CORPUS / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    print(f"{len(manifest)} sheets in {CORPUS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
