"""Forward mode's own record: the tangent trace of one seed direction (Baydin et al., "Automatic
Differentiation in Machine Learning: a Survey", JMLR 2018, Table 2).

Each node's tangent is Σ ∂node/∂input · input's tangent, over the inputs that are not constants.
The engine (`forward.tangent_trace`) hands over frozen rows of numbers; this module says what a
renderer may read of them, and builds the tangent formulas (`ẋ1/x1`, `ẋ1 * x2 + ẋ2 * x1`) on
demand from the same partial formulas reverse mode prints.

A tangent is named by its node's name with a dot over the first character (`x1` → `ẋ1`, `v3` →
`v̇3`, `alpha` → `ȧlpha`): U+0307 after the first character, composed where Unicode can.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ..expr import Binary, Expr, Name, Num, Unary, simplify
from .expressions import applied

if TYPE_CHECKING:
    from . import DerivationRecord

DOT = "\u0307"  # combining dot above


def dotted(name: str) -> str:
    """The tangent's name: `x1` → `ẋ1`, `v3` → `v̇3` (a dot over the first character; one
    precomposed character where Unicode has one, as ẋ, so terminals draw it well)."""
    return unicodedata.normalize("NFC", name[:1] + DOT) + name[1:]


class TangentTermRecord(Protocol):
    """One input's part of a node's tangent: product = local × tangent (un-broadcast)."""

    @property
    def of(self) -> int: ...  # the node
    @property
    def wrt(self) -> int: ...  # its input
    @property
    def index(self) -> int: ...  # which input of `of`
    @property
    def local(self) -> np.ndarray | None: ...  # None for a Jacobian-vector product (`@`, softmax)
    @property
    def tangent(self) -> np.ndarray: ...  # the input's tangent
    @property
    def product(self) -> np.ndarray: ...  # this input's part of the node's tangent


class TangentRowRecord(Protocol):
    @property
    def node(self) -> int: ...
    @property
    def tangent(self) -> np.ndarray: ...
    @property
    def terms(self) -> tuple[TangentTermRecord, ...]: ...


@dataclass(frozen=True, eq=False)
class TangentTrace:
    """The tangents of every node up to the output when `variable`'s element `element` is seeded
    with 1 and every other input's tangent is 0: the output's tangent is ∂output/∂variable there."""

    variable: str
    element: tuple[int, ...] | None  # `()` for a number, (0, ...) for an array; None if empty
    rows: tuple[TangentRowRecord, ...]
    wrt: tuple[str, ...]  # every variable differentiated (the trace shows the first)


# Ops linear in each argument: the tangent from input i is the op with input i replaced by its
# tangent (`ẋ @ b`, `sum(ẋ)`). Ops linear in all arguments at once: every input replaced
# (`[ẋ, ẏ]`, `concat([ȧ, 0])`): one formula for the whole tangent.
MULTILINEAR = frozenset(
    {"matmul", "outer", "einsum", "sum", "mean", "cumsum", "expand_dims", "reshape", "transpose"}
    | {"slice", "ravel", "squeeze", "flip", "repeat", "tile", "diag", "triu", "tril", "index"}
)
JOINTLY_LINEAR = frozenset({"stack", "concat", "stack_axis"})

Spell = Callable[[str], str]


def _jacobian(of: str, wrt: str) -> str:
    return f"∂{of}/∂{wrt}"


def _times(local: Expr, tangent: Expr) -> Expr:
    """local · tangent, written as a student would: `ẋ`, `-ẋ`, `ẋ/x`, `-ẋ/g^2`, `ẋ * cos(x)`."""
    if isinstance(local, Num) and local.value in (1.0, -1.0):
        return tangent if local.value == 1.0 else Unary("neg", tangent)
    if isinstance(local, Unary) and local.op == "neg":
        return Unary("neg", _times(local.operand, tangent))
    if isinstance(local, Binary) and local.op == "div" and isinstance(local.left, Num | Unary):
        return Binary("div", _times(local.left, tangent), local.right)
    return Binary("mul", tangent, local)


def term_formula(
    derivation: DerivationRecord,
    term: TangentTermRecord,
    spell: Spell = dotted,
    jacobian: Callable[[str, str], str] = _jacobian,
) -> Expr:
    """One input's part of a node's tangent: `∂v/∂input · input's tangent` as a formula."""
    node, wrt = derivation.nodes[term.of], derivation.nodes[term.wrt]
    tangent = Name(spell(wrt.name))
    linear = node.op in MULTILINEAR and not (node.op == "index" and term.index > 0)  # not x[k]'s k
    if linear and node.inputs.count(term.wrt) == 1:
        args = tuple(tangent if k == term.index else derivation.ref(i) for k, i in enumerate(node.inputs))
        return applied(node, args)
    if term.local is not None:
        return _times(derivation.local_formula(term), tangent)  # type: ignore[arg-type]
    return Binary("mul", Name(jacobian(node.name, wrt.name)), tangent)


def tangent_formula(
    derivation: DerivationRecord,
    row: TangentRowRecord,
    spell: Spell = dotted,
    jacobian: Callable[[str, str], str] = _jacobian,
) -> Expr | None:
    """The node's tangent as Σ local · input's tangent (`ẋ1 * x2 + ẋ2 * x1`); None for an input
    (its tangent is the seed)."""
    node = derivation.nodes[row.node]
    if not node.inputs:
        return None
    if node.op in JOINTLY_LINEAR:
        constant = Num(0.0, "0")
        args = tuple(
            constant if derivation.nodes[i].op == "const" else Name(spell(derivation.nodes[i].name))
            for i in node.inputs
        )
        return applied(node, args)
    terms = [term_formula(derivation, term, spell, jacobian) for term in row.terms]
    if not terms:
        return Num(0.0, "0")
    total = terms[0]
    for term in terms[1:]:
        if isinstance(term, Unary) and term.op == "neg":
            total = Binary("sub", total, term.operand)
        else:
            total = Binary("add", total, term)
    return simplify(total)
