"""The derivatives as a program: the DAG of a symbolic backward pass written out in gradcli's
language (`gradcli.render.diff` prints it).

A term used more than once, or one whose inlined form would be large or deep, is bound to a name
(`f = exp(-d)`), the rest is inlined. Every expression is at most a few dozen levels deep,
whatever the size of the graph, so the recursive formula printers, `parse_program` and
`hessian`, which evaluates the programs, are safe on it. Everything that walks the graph or the
DAG is a loop.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..ops import CONSTANTS, FUNCTION_NAMES
from ..records.symbolic import Binding, DerivativeProgram
from ..simplify import Terms
from .backward import Accumulation
from .convert import from_term

# A term bound to a name when its inlined form exceeds these: keeps lines readable and the
# printed expressions shallow (the printers recurse once per level).
MAX_INLINE_SIZE = 40
MAX_INLINE_DEPTH = 16
# A shared term is still inlined while it is this small (`x^2`, `tanh(x)`, `1 + f`).
SHARED_INLINE_SIZE = 3


class _Namer:
    def __init__(self, taken: set[str]) -> None:
        self.taken = set(taken)

    def fresh(self, base: str) -> str:
        name, version = base, 1
        while name in self.taken:
            version += 1
            name = f"{base}_{version}"
        self.taken.add(name)
        return name

    def numbered(self, prefix: str) -> str:
        k = 1
        while f"{prefix}{k}" in self.taken:
            k += 1
        self.taken.add(f"{prefix}{k}")
        return f"{prefix}{k}"


def _reachable(terms: Terms, roots: Iterable[int]) -> tuple[list[int], dict[int, int]]:
    """The terms the roots use, in id (topological) order, and how many times each is used."""
    uses: dict[int, int] = {}
    stack = list(roots)
    for root in stack:
        uses[root] = uses.get(root, 0) + 1
    seen = set(stack)
    while stack:
        for child in terms.children(stack.pop()):
            uses[child] = uses.get(child, 0) + 1
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return sorted(seen), uses


def _choose_bound(terms: Terms, order: list[int], uses: dict[int, int]) -> set[int]:
    """Which terms get a name: shared and not tiny, or too big or deep to inline."""
    bound: set[int] = set()
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    for term in order:
        if terms.is_leaf(term) or (terms.kind(term) == "neg" and terms.is_leaf(terms.children(term)[0])):
            size[term] = depth[term] = 1  # `-x` reads as one symbol: exp(-x) is inlined as tanh(x) is
            continue
        s, d = 1, 0
        for child in terms.children(term):
            inline = child not in bound
            s += size[child] if inline else 1
            d = max(d, depth[child] if inline else 1)
        d += 1
        size[term], depth[term] = s, d
        # A shared term is inlined only while it is one small step (`x^2`, `tanh(x)`), so that
        # chains of shared terms (`tanh(tanh(...))`) are named, not repeated.
        small = s <= SHARED_INLINE_SIZE and d <= 2
        if (uses[term] > 1 and not small) or s > MAX_INLINE_SIZE or d > MAX_INLINE_DEPTH:
            bound.add(term)
    return bound


def _term_names(acc: Accumulation) -> tuple[dict[int, str], dict[int, str]]:
    """For each term: the graph node it computes (its name), and the node whose adjoint it is."""
    forward: dict[int, str] = {}
    user_named: set[int] = set()
    for node in acc.graph.nodes:
        if node.op in ("var", "const"):
            continue
        term = acc.forward[node.id]
        if term not in forward or (node.user_named and term not in user_named):
            forward[term] = node.name
            if node.user_named:
                user_named.add(term)
    adjoint: dict[int, str] = {}
    for node in reversed(acc.graph.nodes):  # the first to receive it in the backward pass
        term = acc.adjoint[node.id]
        if term is not None and term not in adjoint and node.op != "var":
            adjoint[term] = node.name
    return forward, adjoint


def _taken_names(acc: Accumulation, program_names: Iterable[str]) -> set[str]:
    graph = acc.graph
    names = {node.name for node in graph.nodes} | set(graph.variables) | set(CONSTANTS) | FUNCTION_NAMES
    return names | set(program_names)


def write_program(acc: Accumulation, wrt: Iterable[str], taken: Iterable[str] = ()) -> DerivativeProgram:
    """The derivatives of the variables `wrt` as one program (shared terms named once); new
    names avoid `taken` (the program's names) as well as the graph's."""
    wrt = tuple(wrt)
    terms = acc.terms
    roots = [acc.roots[name] for name in wrt]
    order, uses = _reachable(terms, roots)
    bound = _choose_bound(terms, order, uses)
    if len(wrt) == 1:
        bound.discard(roots[0])  # the last line is the derivative itself
    forward_names, adjoint_names = _term_names(acc)
    namer = _Namer(_taken_names(acc, taken))
    result_names = {name: namer.fresh(f"d_{name}") for name in wrt} if len(wrt) > 1 else {}
    names: dict[int, str] = {}
    adjoint_of: dict[int, str] = {}
    for term in order:
        if term not in bound:
            continue
        if term in forward_names:
            names[term] = forward_names[term]  # a node of the graph: the name `eval` shows it by
        elif term in adjoint_names:
            names[term] = namer.fresh(f"d_{adjoint_names[term]}")
            adjoint_of[term] = adjoint_names[term]
        else:
            names[term] = namer.numbered("t")
    bindings = tuple(
        Binding(names[t], from_term(terms, t, names, top=True), adjoint_of.get(t))
        for t in order
        if t in bound
    )
    results = tuple(
        (name, result_names.get(name, ""), from_term(terms, acc.roots[name], names)) for name in wrt
    )
    return DerivativeProgram(bindings, results)
