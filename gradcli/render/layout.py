"""What a worked derivation shows, row by row, before any format spells it out.

Every human format (rich, text, markdown, latex) takes its rows from here, so they carry the
same facts: a renderer only decides how a row looks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..expr import Expr
from ..records import DerivationRecord, NodeRecord, StepRecord


@dataclass(frozen=True)
class ForwardRow:
    node: NodeRecord
    definition: Expr | None  # None for an input or a named constant
    is_output: bool

    def digits(self, digits: int) -> int | None:
        """The digits to show the row's value with: an input's value exactly as given (None)."""
        return None if self.node.op == "var" else digits


@dataclass(frozen=True)
class StepRow:
    number: int  # 1-based, in the order backpropagation ran
    step: StepRecord
    of: NodeRecord
    wrt: NodeRecord
    formula: Expr  # the local partial ∂of/∂wrt (the shown local's, where there is one)
    operand: str = ""  # which argument of `of` the step goes into, where `wrt` is two of them
    # The local derivative shown: the step's own, or for a vector-Jacobian step the one computed
    # to be shown (a loss's gradient, softmax's Jacobian: records.ShownLocal), else None.
    local: np.ndarray | None = None
    textbook: str = ""  # the textbook's name for it (`p - y`), said beside the formula

    def edge(self, spell: Callable[[str], str] = str, arrow: str = " → ") -> str:
        """`v3 → v1`; `v1 → x (2nd factor)` where x is two arguments of v1 (`x*x`)."""
        text = f"{spell(self.of.name)}{arrow}{spell(self.wrt.name)}"
        return f"{text} ({self.operand})" if self.operand else text


# What an argument is called in the words of its operation, for telling apart two steps into one
# node (`x*x`: the 1st factor and the 2nd); other operations say "1st argument", "2nd argument".
ARGUMENT_NAMES = {
    "mul": ("1st factor", "2nd factor"),
    "matmul": ("left factor", "right factor"),
    "dot": ("1st factor", "2nd factor"),
    "outer": ("1st factor", "2nd factor"),
    "add": ("1st term", "2nd term"),
    "sub": ("1st term", "2nd term"),
    "div": ("numerator", "denominator"),
    "pow": ("base", "exponent"),
}


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def operand_name(derivation: DerivationRecord, step: StepRecord) -> str:
    """Which argument a step goes into, when its input is more than one argument of the node
    (`x*x`, `x/x`, `f(x, x)`); "" otherwise, where the edge alone says it."""
    node = derivation.nodes[step.of]
    if node.inputs.count(step.wrt) < 2:
        return ""
    names = ARGUMENT_NAMES.get(node.op, ())
    return names[step.index] if step.index < len(names) else f"{ordinal(step.index + 1)} argument"


@dataclass(frozen=True)
class SumRow:
    """The sum rule at a node that feeds several others: its gradient adds their contributions."""

    node: NodeRecord
    steps: tuple[StepRecord, ...]
    feeds: tuple[str, ...]  # the names of the nodes it feeds, one per contribution


def local_label(
    row: StepRow, partial: Callable[[str, str], str], formula: str, grad_times: str = "grad · "
) -> str:
    """`∂h/∂g = -1/g^2`; for an op that is not elementwise (`@`, softmax), the rule is a
    vector-Jacobian product and is written with `grad` for the upstream gradient."""
    d = partial(row.of.name, row.wrt.name)
    if row.local is None:
        return f"{grad_times}{d} = {formula}"
    return f"{d} = {row.textbook} = {formula}" if row.textbook else f"{d} = {formula}"


def no_steps_reason(derivation: DerivationRecord) -> str:
    """Why a derivation has no backward steps, said the same way in every format."""
    if derivation.mode == "forward":
        return "No backward steps: forward mode computed the gradients (--mode reverse shows the table)."
    if np.size(derivation.output_node.value) > 1:
        return "No backward steps: the output is an array; its Jacobian is computed one row at a time."
    if not derivation.wrt:
        return "No backward steps: nothing is differentiated."
    if derivation.output_node.op == "var":
        return "No backward steps: the output is itself an input."
    return "No backward steps: the output depends on no variable it is differentiated by."


def forward_rows(derivation: DerivationRecord) -> list[ForwardRow]:
    """Every node but plain literals (a `2` in the source explains itself)."""
    rows = []
    for node in derivation.nodes:
        if node.op == "const" and (node.name[0].isdigit() or node.name[0] in ".-"):
            continue
        rows.append(ForwardRow(node, derivation.definition(node), node.id == derivation.output))
    return rows


def backward_rows(derivation: DerivationRecord) -> list[StepRow | SumRow]:
    """The steps in the order they ran, each sum row right after the last step into its node."""
    last_into = {steps[-1]: node for node, steps in derivation.steps_into.items() if len(steps) > 1}
    rows: list[StepRow | SumRow] = []
    for k, step in enumerate(derivation.steps):
        shown = derivation.shown.get(step)
        rows.append(
            StepRow(
                k + 1,
                step,
                derivation.nodes[step.of],
                derivation.nodes[step.wrt],
                derivation.shown_formula(step) if shown else derivation.local_formula(step),
                operand_name(derivation, step),
                shown.value if shown else step.local,
                derivation.textbook(step) if shown else "",
            )
        )
        if k in last_into:
            node = derivation.nodes[last_into[k]]
            into = [derivation.steps[i] for i in derivation.steps_into[node.id]]
            rows.append(SumRow(node, tuple(into), tuple(derivation.nodes[s.of].name for s in into)))
    return rows


def signed_sum(terms: list[str]) -> str:
    """`3 + 2`, and `3 - 2` rather than `3 + -2`: a term's own minus sign becomes the operator."""
    text = terms[0] if terms else "0"
    for term in terms[1:]:
        text += f" - {term[1:]}" if term.startswith("-") else f" + {term}"
    return text


def feeds_phrase(row: SumRow, spell=str) -> str:
    """`v1 and v2`; `v1 twice` for `x*x`; `v2 and v1 twice` for `x*x*exp(x)`: one edge per
    contribution summed. `spell` writes a name in the format at hand."""
    counts: dict[str, int] = {}
    for name in row.feeds:
        counts[name] = counts.get(name, 0) + 1
    times = {1: "", 2: " twice"}
    names = [spell(name) + times.get(n, f" {n} times") for name, n in counts.items()]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def kinks(derivation: DerivationRecord) -> list[NodeRecord]:
    return [node for node in derivation.nodes if node.kink]


@dataclass(frozen=True)
class PathSum:
    """∂out/∂variable as a sum over the paths from the output down to the variable."""

    variable: NodeRecord
    paths: tuple[tuple[StepRecord, ...], ...]  # each path: its steps, from the output down
    total_paths: int  # how many there are (may exceed the ones listed)


def path_sums(derivation: DerivationRecord, limit: int = 16) -> list[PathSum]:
    """The chain rule written out along every path (seed 000's style), at most `limit` per variable.

    Paths can be exponentially many (`x` used twice at each of n levels gives 2^n), so they are
    counted by dynamic programming and only the first `limit` are spelled out.
    """
    edges: dict[int, list[StepRecord]] = {}
    for step in derivation.steps:
        edges.setdefault(step.of, []).append(step)
    result = []
    for name in derivation.wrt:
        target = derivation.variables[name]
        counts = [0] * len(derivation.nodes)
        counts[target] = 1
        for node in derivation.nodes:  # creation order: inputs are counted before their users
            for step in edges.get(node.id, ()):
                counts[node.id] += counts[step.wrt]
        found: list[tuple[StepRecord, ...]] = []
        stack: list[tuple[int, tuple[StepRecord, ...]]] = [(derivation.output, ())]
        while stack and len(found) < limit:
            node_id, path = stack.pop()
            if node_id == target:
                found.append(path)
                continue
            for step in reversed(edges.get(node_id, ())):
                if counts[step.wrt]:
                    stack.append((step.wrt, (*path, step)))
        result.append(PathSum(derivation.nodes[target], tuple(found), counts[derivation.output]))
    return result


@dataclass(frozen=True)
class PathLine:
    variable: str
    symbolic: str  # ∂h/∂g · ∂g/∂f + ...
    numeric: str  # -0.5344 · 1 + ...
    gradient: str


def path_lines(
    derivation: DerivationRecord,
    partial: Callable[[str, str], str],
    number: Callable[[object], str],
    dot: str = " · ",
    more: Callable[[int], str] = lambda n: f" + … ({n} more paths)",
    mark: Callable[[str, str], str] = lambda partial, operand: f"{partial} [{operand}]",
) -> list[PathLine]:
    """`path_sums` spelled in a format's own notation: `partial(top, bottom)` writes ∂top/∂bottom,
    `number` a value; negative factors of a product are parenthesised, as seed 000 writes them.
    A partial into one of two arguments that are the same node (`x*x`) is marked with which
    (`mark(partial, "1st factor")`), so the two paths through it read apart."""

    def factor(value) -> str:
        text = number(value)
        return f"({text})" if text.startswith("-") else text

    def symbol(step: StepRecord) -> str:
        text = partial(derivation.nodes[step.of].name, derivation.nodes[step.wrt].name)
        operand = operand_name(derivation, step)
        return mark(text, operand) if operand else text

    lines = []
    for item in path_sums(derivation):
        tail = more(item.total_paths - len(item.paths)) if item.total_paths > len(item.paths) else ""
        symbolic = " + ".join(dot.join(symbol(s) for s in p) for p in item.paths)
        numeric = " + ".join(dot.join(factor(s.local) for s in p) for p in item.paths)
        lines.append(
            PathLine(
                item.variable.name,
                (symbolic or "0") + tail,
                (numeric or "0") + tail,
                number(derivation.gradient[item.variable.name]),
            )
        )
    return lines
