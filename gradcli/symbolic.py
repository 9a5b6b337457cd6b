"""Symbolic derivatives: reverse accumulation over the graph with formulas in place of numbers.

The backward pass is the one backprop runs, over the same op table: walking the nodes newest
first, each node's adjoint is the sum over its users of (user's adjoint) × (the user's partial
formula with the inputs' expressions put in). The expressions live in one hash-consed DAG (a
subexpression built twice is one term), so `tanh(x)` in `1 - tanh(x)^2` is the forward node
itself, and a subexpression shared by several derivatives is visibly shared.

The program writer turns the DAG into a small program of expressions (`gradcli.render.diff`
prints it in gradcli's language): a term used more than once, or one whose inlined form would be
large or deep, is bound to a name (`f = exp(-d)`), the rest is inlined. Every expression is at
most a few dozen levels deep, whatever the size of the graph, so the recursive formula printers,
`parse_program` and `hessian`, which evaluates the programs, are safe on it. Everything that walks
the graph or the DAG is a loop. The simplification rules are `gradcli.simplify`'s.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from .backprop import needs_grad
from .binding import check_wrt
from .errors import GradcliError
from .expr import (
    Array,
    Assign,
    Binary,
    Call,
    Expr,
    Index,
    Name,
    Program,
    from_term,
    literal,
    simplify,
    substitute,
    to_term,
)
from .graph import Graph, build_graph, call_op, program_names, walk
from .ops import BINARY_OPS, CONSTANTS, FUNCTION_NAMES, OPS, Op, Options, partial_of
from .parse import parse_program
from .records.symbolic import Binding, DerivativeProgram, DerivativesRecord
from .simplify import Terms
from .templates import parse_template, partial_template

# A term bound to a name when its inlined form exceeds these: keeps lines readable and the
# printed expressions shallow (the printers recurse once per level).
MAX_INLINE_SIZE = 40
MAX_INLINE_DEPTH = 16
# A shared term is still inlined while it is this small (`x^2`, `tanh(x)`, `1 + f`).
SHARED_INLINE_SIZE = 3

SCALAR_ONLY = "diff supports scalar expressions for now"

# --- the backward pass over formulas -----------------------------------------------------------


@dataclass(eq=False, repr=False)
class Accumulation:
    """The DAG after the symbolic backward pass: a term per node and per adjoint."""

    terms: Terms
    graph: Graph
    forward: list[int]  # node id -> its term
    adjoint: list[int | None]  # node id -> the term of ∂output/∂node (None: nothing flowed)
    roots: dict[str, int]  # variable -> the term of its derivative


_ARRAYS_HINT = "array variables and array operations are differentiated by `gradcli eval`"


def check_program(program: Program, message: str = SCALAR_ONLY) -> None:
    """Refuse array syntax and array ops before anything is evaluated: without values, a
    program such as `sum(W @ x)` would otherwise fail with a puzzling shape error."""
    for statement in program.statements:
        for expr in walk(statement.value if isinstance(statement, Assign) else statement):
            op = None
            if isinstance(expr, Binary):
                op = BINARY_OPS.get(expr.op)
            elif isinstance(expr, Call):
                op = call_op(expr, program.source)
            # An op meant for arrays (`@`, softmax, sum) says so in its row: `pointwise` is False.
            if isinstance(expr, (Array, Index)) or (op is not None and not op.pointwise):
                raise GradcliError(message, span=expr.span, source=program.source, hint=_ARRAYS_HINT)


def check_scalar(graph: Graph, message: str = SCALAR_ONLY) -> None:
    """Formulas are written for scalars: an array value, or an op whose partial is a
    vector-Jacobian product (not elementwise), is refused."""
    for node in graph.nodes:
        op = OPS.get(node.op)
        if np.ndim(node.value) != 0 or (op is not None and (not op.elementwise or op.variadic)):
            raise GradcliError(message, span=node.span, source=graph.source, hint=_ARRAYS_HINT)


def _node_term(terms: Terms, op: Op, args: tuple[int, ...], options: Options = ()) -> int:
    """The term for a node of `op` over the terms `args`, written as the source writes it (the
    options that differ from their defaults as `name=value`)."""
    if op.infix:
        return terms.binary(op.name, *args)
    if op.name == "neg":  # the one prefix operator
        return terms.neg(*args)
    defaults = dict(op.options)
    given = tuple((k, v) for k, v in options if not (type(v) is type(defaults[k]) and v == defaults[k]))
    return terms.call(op.symbol, args, given)


def _contribution(
    terms: Terms, graph: Graph, forward: list[int], node_id: int, index: int, upstream: int
) -> int:
    """(the node's adjoint `upstream`) × ∂node/∂(its input `index`), as a term: the op's partial
    formula with the inputs' terms put in, or its `adjoint` formula with `grad` the upstream
    (where's `where(c, grad, 0)`: the cut branch gets no product at all)."""
    node = graph.nodes[node_id]
    if partial_of(OPS[node.op], index).adjoint is None:
        return terms.mul(upstream, _partial(terms, graph, forward, node_id, index))
    return _partial(terms, graph, forward, node_id, index, upstream)


def _partial(
    terms: Terms, graph: Graph, forward: list[int], node_id: int, index: int, upstream: int | None = None
) -> int:
    """∂node/∂(its input `index`) as a term: the op's formula with the inputs' terms put in (or,
    given the `upstream` term, the partial's adjoint formula with it as `grad`)."""
    node = graph.nodes[node_id]
    op = OPS[node.op]
    slots: dict[str, int] = {}
    mapping: dict[str, Expr] = {}
    pairs = [*zip(op.params, (forward[i] for i in node.inputs), strict=True), ("out", forward[node_id])]
    if upstream is not None:
        pairs.append(("grad", upstream))
    for param, term in pairs:
        value = terms.value(term)
        if value is not None:  # a literal, so that `simplify` folds `2*a^(2-1)` to `2*a`
            mapping[param] = literal(value)
        else:
            slot = f"#{term}"  # not a name anything can spell: it never meets a real one
            mapping[param], slots[slot] = Name(slot), term
    values = [graph.nodes[i].value for i in node.inputs]
    adjoint = partial_of(op, index).adjoint
    if upstream is not None and adjoint is not None:
        template = parse_template(adjoint)
    else:
        template = partial_template(node.op, index, *values, **dict(node.options))
    formula = simplify(substitute(template, mapping))
    return to_term(terms, formula, slots)


def accumulate(graph: Graph, wrt: Iterable[str], message: str = SCALAR_ONLY) -> Accumulation:
    """The symbolic backward pass: for every node, newest first, each input's adjoint gets
    (this node's adjoint) × (the partial formula). The same rules, order and sums as backprop.
    `message` is the error for a graph that is not scalar."""
    check_scalar(graph, message)
    wrt = tuple(wrt)
    terms = Terms()
    nodes = graph.nodes
    forward: list[int] = []
    for node in nodes:
        if node.op == "var":
            forward.append(terms.name(node.name))
        elif node.op == "const":
            by_name = node.name in CONSTANTS and float(node.value) == CONSTANTS[node.name]
            forward.append(terms.name(node.name) if by_name else terms.num(float(node.value)))
        else:
            args = tuple(forward[i] for i in node.inputs)
            forward.append(_node_term(terms, OPS[node.op], args, node.options))
    needs = needs_grad(graph, {graph.variables[name] for name in wrt})
    adjoint: list[int | None] = [None] * len(nodes)
    if needs[graph.output]:
        adjoint[graph.output] = terms.num(1)
    for node in reversed(nodes[: graph.output + 1]):
        upstream = adjoint[node.id]
        if upstream is None or not node.inputs:
            continue
        for index, input_id in enumerate(node.inputs):
            if not needs[input_id]:
                continue
            contribution = _contribution(terms, graph, forward, node.id, index, upstream)
            previous = adjoint[input_id]
            adjoint[input_id] = contribution if previous is None else terms.add(previous, contribution)
    roots = {}
    for name in wrt:
        found = adjoint[graph.variables[name]]
        roots[name] = terms.num(0) if found is None else found
    return Accumulation(terms, graph, forward, adjoint, roots)


# --- from the DAG to a program ----------------------------------------------------------------


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
        if terms.is_leaf(term):
            size[term] = depth[term] = 1
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


# --- the feature ------------------------------------------------------------------------------

R = TypeVar("R", bound=DerivativesRecord)


def differentiate(
    source: str | Program,
    wrt: Iterable[str] | None = None,
    variables: dict[str, object] | None = None,
    refusal: str = "symbolic derivatives support scalar variables and elementwise operations for now",
    *,
    record: type[R] = DerivativesRecord,
) -> R:
    """Differentiate the output of `source` with respect to each variable in `wrt`, symbolically.

    `variables` maps the free names that are variables to scalar values (the graph is built at
    them; the formulas do not depend on them). By default every free name except the constants
    `pi` and `e` is a variable, and array operations (`sum`, `@`, ...) are refused, since
    nothing says the variables are scalars. `wrt` defaults to every variable. Raises GradcliError
    for bad input, for a name in `wrt` that is not a variable, and for array expressions
    (`refusal` is the message when `variables` are given). Returns a `record` (the API's own
    class adds the output methods).
    """
    program = parse_program(source) if isinstance(source, str) else source
    names = program_names(program)
    if variables is None:
        check_program(program)
        values = {name: np.float64(1.0) for name in names.free if name not in CONSTANTS}
        message = SCALAR_ONLY
    else:
        values = {name: np.asarray(value, dtype=np.float64) for name, value in variables.items()}
        message = refusal
    graph = build_graph(program, values, names)
    if not graph.variables:
        raise GradcliError(
            "nothing to differentiate: the program has no variables",
            hint='a derivative needs a variable, as in diff "x^2"; pi, e, inf and nan are constants',
        )
    wrt_names = check_wrt(graph.variables, wrt)
    acc = accumulate(graph, wrt_names, message)
    warnings = [
        f"the output does not depend on {name!r}: its derivative is 0"
        for name in wrt_names
        if acc.adjoint[graph.variables[name]] is None
    ]
    return record(
        source=graph.source,
        output=graph.nodes[graph.output].name,
        wrt=wrt_names,
        combined=write_program(acc, wrt_names, names.all),
        programs={name: write_program(acc, (name,), names.all) for name in wrt_names},
        warnings=warnings,
    )


__all__ = [
    "SCALAR_ONLY",
    "Accumulation",
    "Terms",
    "accumulate",
    "check_program",
    "differentiate",
    "write_program",
]
