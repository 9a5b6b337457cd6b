"""The records of the homework loop: an exercise (the worksheet and its key) and a graded sheet.

`homework/` fills them in; `render/sheet.py` and `render/grade.py` read them (and nothing of
the engine). A mark holds what the student wrote, the right value, the verdict and, for a
mistake the grader recognises, its name and one sentence of why.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import DerivationRecord

# The mistakes the grader names: key -> (title, why: one sentence a teaching assistant would say).
MISTAKES: dict[str, tuple[str, str]] = {
    "sum_rule": (
        "sum rule missed at fan-out",
        "this node feeds more than one node, so its gradient is the sum of every contribution "
        "into it, not one of them",
    ),
    "sign": ("sign lost", "the size is right but the sign is not: check the minus of the rule"),
    "value_not_local": (
        "value used instead of the local derivative",
        "you wrote the node's value; the step needs the derivative of the node with respect to this input",
    ),
    "added": (
        "local and upstream added",
        "the chain rule multiplies: contribution = local derivative × upstream gradient",
    ),
    "swapped": (
        "operands of * or / swapped",
        "∂(a·b)/∂a is the other factor b, and ∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = −a/b²: the operands "
        "play different roles",
    ),
    "quotient": (
        "quotient rule half-applied",
        "∂(a/b)/∂b = −a/b²: the numerator a stays in the derivative with respect to the denominator",
    ),
    "exp_log": (
        "exp and log derivatives confused",
        "exp(u)' = exp(u) (the node's own value) while log(u)' = 1/u",
    ),
    "tanh_sigmoid": (
        "tanh and sigmoid derivatives confused",
        "tanh' = 1 − tanh² while sigmoid' = σ(1 − σ)",
    ),
    "rounding": (
        "rounding too early",
        "the value drifted from rounded intermediate results: keep 3–4 significant digits until the end",
    ),
    "arithmetic": ("wrong value", "the rule does not give this number from the values above it"),
}

STATUSES = ("correct", "follows", "rounding", "wrong", "blank")


@dataclass(frozen=True, eq=False)
class Exercise:
    """A generated exercise: the program at its point, and the full derivation (the key)."""

    level: int
    seed: int
    source: str
    at_text: str  # the point as `--at` takes it: "a=2, b=-1"
    key: DerivationRecord


@dataclass(frozen=True, eq=False)
class CellMark:
    """One cell of a filled sheet, marked."""

    section: str  # "forward", "backward", "gradient"
    row: str  # the node ("v1"), the step ("3", "sum at b") or the variable
    column: str  # "value", "local", "upstream", "contribution", "gradient"
    line: int  # where it is in the sheet (1-based; 0 if not in a file)
    given: str  # what the student wrote ("" for an empty cell)
    expected: np.ndarray  # the right value
    status: str  # one of STATUSES
    mistake: str | None = None  # a key of MISTAKES
    follows: str = ""  # the cell it carries forward from ("step 3", "v1 in the forward pass")
    note: str = ""  # more about this cell (what the mistake gave, what was expected)
    score: float = 0.0
    max_score: float = 1.0

    @property
    def where(self) -> str:
        if self.section == "forward":
            return f"forward {self.row}"
        if self.section == "gradient":
            return f"gradient {self.row}"
        label = self.row if self.row.startswith("sum") else f"step {self.row}"
        return (
            label
            if self.column == "contribution" and self.row.startswith("sum")
            else f"{label} {self.column}"
        )


@dataclass(frozen=True, eq=False)
class GradeRecord:
    """A filled worksheet, marked cell by cell."""

    sheet: str  # the file's name ("-" for standard input)
    source: str
    at_text: str
    level: int | None
    seed: int | None
    marks: tuple[CellMark, ...]

    @property
    def score(self) -> float:
        return float(sum(mark.score for mark in self.marks))

    @property
    def max_score(self) -> float:
        return float(sum(mark.max_score for mark in self.marks))

    @property
    def passed(self) -> bool:
        return all(mark.status in ("correct", "follows") for mark in self.marks)

    def count(self, status: str) -> int:
        return sum(1 for mark in self.marks if mark.status == status)

    @property
    def mistakes(self) -> dict[str, int]:
        """How often each named mistake was made, in the order of MISTAKES."""
        found: dict[str, int] = {}
        for mark in self.marks:
            if mark.mistake is not None:
                found[mark.mistake] = found.get(mark.mistake, 0) + 1
        return {key: found[key] for key in MISTAKES if key in found}


# --- the cells of a worksheet: what the sheet asks, in the order it asks it ---


@dataclass(frozen=True)
class Row:
    """One row of a worksheet. `node` is the node of a forward row, a sum row or a gradient;
    `step` the index of a backward step; `asks` the columns the student fills in."""

    section: str  # "forward", "backward", "gradient"
    label: str  # node name, step number ("3"), "sum at b", variable name
    asks: tuple[str, ...]
    node: int | None = None
    step: int | None = None


def is_literal(name: str) -> bool:
    """A number written in the program (`2`): the sheets leave it out, as the derivations do."""
    return name[0].isdigit() or name[0] in ".-"


def sheet_rows(key: DerivationRecord) -> list[Row]:
    """Every row of the worksheet of `key`: the forward pass (inputs given, every operation
    asked), each backward step (local, upstream, contribution; no local for a vector-Jacobian
    product without a local to show), a sum row after the last step into a node that feeds
    several, and the gradient of each variable."""
    rows = []
    for node in key.nodes:
        if node.op == "const" and is_literal(node.name):
            continue
        asks = () if node.op in ("var", "const") else ("value",)
        rows.append(Row("forward", node.name, asks, node=node.id))
    for k, step in enumerate(key.steps):
        local = step.local is not None or step in key.shown
        asks = ("local", "upstream", "contribution") if local else ("upstream", "contribution")
        rows.append(Row("backward", str(k + 1), asks, step=k))
        into = key.steps_into[step.wrt]
        if len(into) > 1 and into[-1] == k:
            rows.append(
                Row("backward", f"sum at {key.nodes[step.wrt].name}", ("contribution",), node=step.wrt)
            )
    for name in key.wrt:
        rows.append(Row("gradient", name, ("gradient",), node=key.variables[name]))
    return rows
