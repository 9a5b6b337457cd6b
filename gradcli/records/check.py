"""The frozen results of `gradcli check`: the gradient check's rows and the `--perturb` nudge.

`gradcli.gradcheck` and `gradcli.nudge` build them; `gradcli.render.check` and
`gradcli.render.perturb` read them, and nothing else: whatever a renderer shows is a field here.
The lists are the ones the public API has always handed out; the rows in them are frozen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import DerivationRecord, NodeRecord


def index_label(index: tuple[int, ...] | None) -> str:
    """`[1,2]` for an element of an array; "" for a scalar (`()`) or a whole array (None)."""
    return "" if not index else "[" + ",".join(str(i) for i in index) + "]"


@dataclass(frozen=True)
class Row:
    """One gradient element: reverse mode next to the finite difference, and the verdict."""

    variable: str
    index: tuple[int, ...]  # the element of the variable; () for a scalar
    output_index: tuple[int, ...]  # the element of the output; () for a scalar output
    reverse: float
    fd: float  # the Richardson-extrapolated central difference (one-sided at a domain edge)
    abs_err: float
    rel_err: float
    verdict: str  # "ok", "kink" or "FAIL"
    h: float
    fd_h: float  # D(h)
    fd_h2: float  # D(h/2)
    truncation: float  # |D(h) - D(h/2)|
    noise: float  # the rounding noise estimate of fd
    tolerance: float  # what |reverse - fd| was allowed
    left: float  # one-sided differences
    right: float
    note: str = ""
    kink: tuple[str, ...] = ()  # the conventions of the kinks hit


# eq=False: equality by identity, as for DerivationRecord; field-wise `==` would compare arrays.
@dataclass(frozen=True, eq=False)
class CheckResult:
    """Every element of every variable's gradient checked against finite differences."""

    source: str
    output_name: str
    at: dict[str, np.ndarray]
    value: np.ndarray
    rows: list[Row]
    eps: float
    rtol: float
    atol: float
    warnings: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        """ "FAIL" if any row fails, else "kink" if a row sits at a kink, else "ok"."""
        verdicts = {row.verdict for row in self.rows}
        return "FAIL" if "FAIL" in verdicts else ("kink" if "kink" in verdicts else "ok")

    @property
    def passed(self) -> bool:
        return self.verdict != "FAIL"


@dataclass(frozen=True, eq=False)
class NudgeRow:
    """One node before and after the nudge."""

    node: NodeRecord
    before: np.ndarray
    after: np.ndarray
    change: np.ndarray
    ratio: np.ndarray  # change / h: the finite-difference estimate of ∂node/∂target
    reverse: np.ndarray | None  # ∂node/∂target by reverse mode (None when too costly)


@dataclass(frozen=True, eq=False)
class Nudge:
    """One node moved by h, and every node of the program with its value before and after."""

    derivation: DerivationRecord
    target: NodeRecord
    index: tuple[int, ...] | None  # the element nudged; None: every element
    h: float
    rows: list[NudgeRow]  # one per node, in the derivation's order (rows[i].node.id == i)
    warnings: list[str] = field(default_factory=list)

    @property
    def target_label(self) -> str:
        return self.target.name + index_label(self.index)
