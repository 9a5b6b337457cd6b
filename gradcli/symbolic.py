"""Symbolic derivatives: reverse accumulation over the graph with formulas in place of numbers.

The backward pass is the one backprop runs, over the same op table: walking the nodes newest
first, each node's adjoint is the sum over its users of (user's adjoint) × (the user's partial
formula with the inputs' expressions put in). The expressions live in one hash-consed DAG (a
subexpression built twice is one term), so `tanh(x)` in `1 - tanh(x)^2` is the forward node
itself, and a subexpression shared by several derivatives is visibly shared.

Printing turns the DAG into a small program in gradcli's language: a term used more than once,
or one whose inlined form would be large or deep, is bound to a name (`f = exp(-d)`), the rest
is inlined. Every printed expression is at most a few dozen levels deep, whatever the size of the
graph, so the recursive formula printers and `parse_program` are safe on it. Everything that
walks the graph or the DAG is a loop.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from .backprop import needs_grad
from .errors import GradcliError
from .expr import (
    Array,
    Assign,
    Binary,
    Call,
    Expr,
    Index,
    Name,
    Num,
    Program,
    Unary,
    number,
    simplify,
    substitute,
)
from .graph import Graph, build_graph, program_names, walk
from .ops import BINARY_OPS, CONSTANTS, FUNCTION_NAMES, FUNCTIONS, OPS, Op
from .parse import parse_program
from .templates import partial_template

# A term bound to a name when its inlined form exceeds these: keeps lines readable and the
# printed expressions shallow (the printers recurse once per level).
MAX_INLINE_SIZE = 40
MAX_INLINE_DEPTH = 16
# A shared term is still inlined while it is this small (`x^2`, `tanh(x)`, `1 + f`).
SHARED_INLINE_SIZE = 3

SCALAR_ONLY = "diff supports scalar expressions for now"

_BINARY = frozenset(("add", "sub", "mul", "div", "pow"))


# --- the term DAG -----------------------------------------------------------------------------
# A term is an int; its key is ("num", value) | ("name", text) | ("neg", a) | (binary op, a, b)
# | ("call", function, *args). Children always have smaller ids: id order is topological.


class Terms:
    """Hash-consed expressions with the simplifications applied as each term is made."""

    def __init__(self) -> None:
        self.keys: list[tuple] = []
        self._ids: dict[tuple, int] = {}

    def _intern(self, key: tuple) -> int:
        found = self._ids.get(key)
        if found is None:
            found = self._ids[key] = len(self.keys)
            self.keys.append(key)
        return found

    def kind(self, term: int) -> str:
        return self.keys[term][0]

    def value(self, term: int) -> float | None:
        key = self.keys[term]
        return key[1] if key[0] == "num" else None

    def is_leaf(self, term: int) -> bool:
        return self.keys[term][0] in ("num", "name")

    def children(self, term: int) -> tuple[int, ...]:
        key = self.keys[term]
        kind = key[0]
        if kind in ("num", "name"):
            return ()
        if kind == "call":
            return key[2:]
        return key[1:]

    def num(self, value: float) -> int:
        return self._intern(("num", float(value) + 0.0))  # + 0.0: one zero, not two

    def name(self, text: str) -> int:
        return self._intern(("name", text))

    def _fold(self, value: float) -> int | None:
        return self.num(value) if np.isfinite(value) else None

    def neg(self, a: int) -> int:
        key = self.keys[a]
        if key[0] == "num":
            return self.num(-key[1])
        if key[0] == "neg":
            return key[1]
        if key[0] == "sub":  # -(x - y) = y - x, exactly
            return self._intern(("sub", key[2], key[1]))
        return self._intern(("neg", a))

    def add(self, a: int, b: int) -> int:
        return self._sum(a, b, 1)

    def sub(self, a: int, b: int) -> int:
        return self._sum(a, b, -1)

    def _sum(self, a: int, b: int, sign: int) -> int:
        """a + b (sign 1) or a - b (sign -1)."""
        va, vb = self.value(a), self.value(b)
        if va is not None and vb is not None and (folded := self._fold(va + sign * vb)) is not None:
            return folded
        if vb == 0:
            return a
        if va == 0:
            return b if sign == 1 else self.neg(b)
        # Like terms: x + x = 2*x, 2*x + x = 3*x, x - x = 0 (500 x's summed are 500*x, not 500 lines).
        ca, za = self._coefficient(a)
        cb, zb = self._coefficient(b)
        cb *= sign
        if za == zb and self.kind(za) != "num" and np.isfinite(ca + cb):
            return self.mul(self.num(ca + cb), za)
        merged = self._merge_into_sum(a, cb, zb)
        if merged is not None:
            return merged
        # Signs read as a textbook writes them: a + (-y) = a - y, a - (-2) = a + 2, -x + b = b - x.
        if self.kind(b) == "neg":
            return self._sum(a, self.keys[b][1], -sign)
        if vb is not None and vb < 0:
            return self._sum(a, self.num(-vb), -sign)
        if sign == 1 and self.kind(a) == "neg":
            return self._sum(b, self.keys[a][1], -1)
        return self._intern(("add" if sign == 1 else "sub", a, b))

    def _coefficient(self, term: int) -> tuple[float, int]:
        """`3*x` as (3, x), `-x` as (-1, x), a number c as (c, 1); anything else as (1, itself)."""
        key = self.keys[term]
        if key[0] == "num":
            return key[1], self.num(1)
        sign = 1.0
        if key[0] == "neg":
            sign, term = -1.0, key[1]
            key = self.keys[term]
        if key[0] == "mul" and self.keys[key[1]][0] == "num":
            return sign * self.keys[key[1]][1], key[2]
        return sign, term

    def _merge_into_sum(self, a: int, cb: float, zb: int) -> int | None:
        """(p + y) - 1 + y → p - 1 + 2*y: adjoints accumulate as left-nested sums, so a like
        term of cb*zb is looked for among the last few terms of `a` (a few: a 10^5-term sum
        stays linear)."""
        terms: list[tuple[int, int]] = []  # (sign, term), newest first
        head = a
        while self.kind(head) in ("add", "sub") and len(terms) < 8:
            terms.append((1 if self.kind(head) == "add" else -1, self.keys[head][2]))
            head = self.keys[head][1]
        if not terms:
            return None
        terms.append((1, head))
        terms.reverse()  # the sum is ± terms[0] ± terms[1] ± ...
        for k, (sign, term) in enumerate(terms):
            c, z = self._coefficient(term)
            if z == zb and np.isfinite(sign * c + cb):
                terms[k] = (1, self.mul(self.num(sign * c + cb), z))
                total = terms[0][1] if terms[0][0] == 1 else self.neg(terms[0][1])
                for sign_k, rest in terms[1:]:
                    total = self._sum(total, rest, sign_k)
                return total
        return None

    def mul(self, a: int, b: int) -> int:
        va, vb = self.value(a), self.value(b)
        if va is not None and vb is not None and (folded := self._fold(va * vb)) is not None:
            return folded
        if va == 0 or vb == 0:
            return self.num(0)
        if va == 1:
            return b
        if vb == 1:
            return a
        if va == -1:
            return self.neg(b)
        if vb == -1:
            return self.neg(a)
        # Numbers first, then names: `2*x`, `x0*t`. Products commute exactly in floating point.
        if vb is not None or (self.kind(b) == "name" and not self.is_leaf(a)):
            a, b, va, vb = b, a, vb, va
        # The sign goes outside the product (the printer writes it on the first factor).
        if self.kind(a) == "neg":
            return self.neg(self.mul(self.keys[a][1], b))
        if self.kind(b) == "neg":
            return self.neg(self.mul(a, self.keys[b][1]))
        if va is not None and va < 0:
            return self.neg(self.mul(self.num(-va), b))
        inner = self.value(self.keys[b][1]) if self.kind(b) == "mul" else None
        if va is not None and inner is not None and np.isfinite(va * inner):  # 2*(3*x) = 6*x
            return self.mul(self.num(va * inner), self.keys[b][2])
        if self.kind(b) == "div" and self.value(self.keys[b][1]) == 1:  # a*(1/q) = a/q
            return self.div(a, self.keys[b][2])
        if self.kind(a) == "div" and self.value(self.keys[a][1]) == 1:
            return self.div(b, self.keys[a][2])
        if a == b:
            return self.pow(a, self.num(2))
        return self._intern(("mul", a, b))

    def div(self, a: int, b: int) -> int:
        va, vb = self.value(a), self.value(b)
        if vb == 1:
            return a
        if va == 0:
            return self.num(0)
        if self.kind(a) == "neg":
            return self.neg(self.div(self.keys[a][1], b))
        if self.kind(b) == "neg":
            return self.neg(self.div(a, self.keys[b][1]))
        if va is not None and va < 0:
            return self.neg(self.div(self.num(-va), b))
        if vb is not None and vb < 0:
            return self.neg(self.div(a, self.num(-vb)))
        return self._intern(("div", a, b))

    def pow(self, a: int, b: int) -> int:
        vb = self.value(b)
        if vb == 1:
            return a
        if vb == 0:
            return self.num(1)
        return self._intern(("pow", a, b))

    def call(self, function: str, args: tuple[int, ...]) -> int:
        return self._intern(("call", function, *args))

    def apply(self, op_name: str, args: tuple[int, ...]) -> int:
        """The term for op `op_name` applied to `args`, as a graph node of that op computes it."""
        if op_name == "neg":
            return self.neg(*args)
        if op_name in _BINARY:
            return getattr(self, op_name)(*args)
        op = OPS[op_name]
        if op.infix:
            raise GradcliError(f"diff cannot write the operator {op.symbol!r} yet")
        return self.call(op.symbol, args)

    def from_expr(self, expr: Expr, slots: dict[str, int]) -> int:
        """A small formula (an op's partial, a few levels deep) as a term; `slots` maps names."""
        if isinstance(expr, Num):
            return self.num(expr.value)
        if isinstance(expr, Name):
            return slots[expr.name] if expr.name in slots else self.name(expr.name)
        if isinstance(expr, Unary):
            inner = self.from_expr(expr.operand, slots)
            return self.neg(inner) if expr.op == "neg" else inner
        if isinstance(expr, Binary):
            return self.apply(expr.op, (self.from_expr(expr.left, slots), self.from_expr(expr.right, slots)))
        if isinstance(expr, Call):
            args = tuple(self.from_expr(a, slots) for a in expr.args)
            op = FUNCTIONS.get((expr.func, len(args)))
            return self.apply(op.name, args) if op is not None else self.call(expr.func, args)
        raise GradcliError(SCALAR_ONLY)


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


def _array_op(op: Op) -> bool:
    """An op meant for arrays (`@`, softmax, sum, indexing, literals): the op table's row says
    so (`Op.pointwise` is False)."""
    return not op.pointwise


def check_program(program: Program, message: str = SCALAR_ONLY) -> None:
    """Refuse array syntax and array ops before anything is evaluated: without values, a
    program such as `sum(W @ x)` would otherwise fail with a puzzling shape error."""
    for statement in program.statements:
        for expr in walk(statement.value if isinstance(statement, Assign) else statement):
            op = None
            if isinstance(expr, Binary):
                op = BINARY_OPS.get(expr.op)
            elif isinstance(expr, Call):
                op = FUNCTIONS.get((expr.func, len(expr.args)))
            if isinstance(expr, (Array, Index)) or (op is not None and _array_op(op)):
                raise GradcliError(message, span=expr.span, source=program.source, hint=_ARRAYS_HINT)


def check_scalar(graph: Graph, message: str = SCALAR_ONLY) -> None:
    """Formulas are written for scalars: an array value, or an op whose partial is a
    vector-Jacobian product (not elementwise), is refused."""
    for node in graph.nodes:
        op = OPS.get(node.op)
        if np.ndim(node.value) != 0 or (op is not None and (not op.elementwise or op.variadic)):
            raise GradcliError(message, span=node.span, source=graph.source, hint=_ARRAYS_HINT)


def _partial(terms: Terms, graph: Graph, forward: list[int], node_id: int, index: int) -> int:
    """∂node/∂(its input `index`) as a term: the op's formula with the inputs' terms put in."""
    node = graph.nodes[node_id]
    op = OPS[node.op]
    slots: dict[str, int] = {}
    mapping: dict[str, Expr] = {}
    pairs = [*zip(op.params, (forward[i] for i in node.inputs), strict=True), ("out", forward[node_id])]
    for param, term in pairs:
        value = terms.value(term)
        if value is not None:  # a literal, so that `simplify` folds `2*a^(2-1)` to `2*a`
            mapping[param] = Unary("neg", number(-value)) if value < 0 else number(value)
        else:
            slot = f"#{term}"  # not a name anything can spell: it never meets a real one
            mapping[param], slots[slot] = Name(slot), term
    values = [graph.nodes[i].value for i in node.inputs]
    formula = simplify(substitute(partial_template(node.op, index, *values), mapping))
    return terms.from_expr(formula, slots)


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
            forward.append(terms.apply(node.op, tuple(forward[i] for i in node.inputs)))
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
            contribution = terms.mul(upstream, _partial(terms, graph, forward, node.id, index))
            previous = adjoint[input_id]
            adjoint[input_id] = contribution if previous is None else terms.add(previous, contribution)
    roots = {}
    for name in wrt:
        found = adjoint[graph.variables[name]]
        roots[name] = terms.num(0) if found is None else found
    return Accumulation(terms, graph, forward, adjoint, roots)


# --- from the DAG to a program ----------------------------------------------------------------


@dataclass(eq=False, repr=False)
class Binding:
    name: str
    expr: Expr
    adjoint_of: str | None = None  # `d_c = ...` is ∂output/∂c


@dataclass(eq=False, repr=False)
class DerivativeProgram:
    """Named subexpressions, then one derivative per variable: gradcli source when printed."""

    bindings: list[Binding]
    results: list[tuple[str, str, Expr]]  # (variable, its name `d_x` in a combined program, expr)

    def text(self) -> str:
        """The program. With one variable its last line is the derivative itself (so `gradcli
        eval` gives its value); with several, the last lines are `d_x = ...`, one per variable."""
        from .render.formula import to_text

        lines = [f"{b.name} = {to_text(b.expr)}" for b in self.bindings]
        if len(self.results) == 1:
            lines.append(to_text(self.results[0][2]))
        else:
            lines += [f"{name} = {to_text(expr)}" for _, name, expr in self.results]
        return "\n".join(lines)


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


def _negated(expr: Expr) -> Expr:
    """-(a*b/c) written -a*b/c: the sign on the first factor, as a textbook writes it (exact)."""
    if isinstance(expr, Binary) and expr.op in ("mul", "div"):
        return Binary(expr.op, _negated(expr.left), expr.right)
    return Unary("neg", expr)


def _to_expr(terms: Terms, term: int, names: dict[int, str], top: bool = False) -> Expr:
    """The expression of `term`, with named terms as names. Recursion is bounded: an inlined
    expression is at most MAX_INLINE_DEPTH deep (deeper ones were given names)."""
    if not top and term in names:
        return Name(names[term])
    key = terms.keys[term]
    kind = key[0]
    if kind == "num":
        return Unary("neg", number(-key[1])) if key[1] < 0 else number(key[1])
    if kind == "name":
        return Name(key[1])
    if kind == "neg":
        return _negated(_to_expr(terms, key[1], names))
    if kind == "call":
        return Call(key[1], tuple(_to_expr(terms, a, names) for a in key[2:]))
    return Binary(kind, _to_expr(terms, key[1], names), _to_expr(terms, key[2], names))


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
    bindings = [
        Binding(names[t], _to_expr(terms, t, names, top=True), adjoint_of.get(t)) for t in order if t in bound
    ]
    results = [(name, result_names.get(name, ""), _to_expr(terms, acc.roots[name], names)) for name in wrt]
    return DerivativeProgram(bindings, results)


# --- the API ----------------------------------------------------------------------------------


@dataclass(eq=False, repr=False)
class Derivatives:
    """What `gradcli diff` prints: each derivative as gradcli source that parses back."""

    source: str
    output: str  # the output node's name
    wrt: tuple[str, ...]
    combined: DerivativeProgram  # all derivatives, shared parts once
    programs: dict[str, str]  # variable -> a standalone program ending with its derivative
    warnings: list[str] = field(default_factory=list)

    def text(self) -> str:
        return self.combined.text()

    def to_text(self) -> str:
        return self.text() + "\n"

    def to_json(self) -> str:
        data = {
            "schema": 1,
            "source": self.source,
            "output": self.output,
            "wrt": dict(self.programs),
            "program": self.text(),
            "warnings": list(self.warnings),
        }
        return json.dumps(data, indent=2, allow_nan=False) + "\n"

    def _latex_lines(self) -> list[tuple[str, str]]:
        """(left side, right side) pairs in LaTeX: named terms, then ∂output/∂x."""
        from .render.formula import latex_name, to_latex

        out = latex_name(self.output)

        def partial(of: str) -> str:
            return rf"\frac{{\partial {out}}}{{\partial {latex_name(of)}}}"

        # Adjoint names (`d_c`) read as what they are, ∂h/∂c: printed through placeholder names
        # no program uses, then swapped for the LaTeX.
        special = {b.name: partial(b.adjoint_of) for b in self.combined.bindings if b.adjoint_of}
        used = {b.name for b in self.combined.bindings} | set(self.wrt)
        mapping: dict[str, Expr] = {}
        replace: dict[str, str] = {}
        for k, (name, latex) in enumerate(special.items()):
            slot = "gradcliadjoint" + "".join(chr(ord("a") + int(d)) for d in str(k))
            while slot in used:
                slot += "z"
            mapping[name] = Name(slot)
            replace[rf"\mathit{{{slot}}}"] = latex

        def show(expr: Expr) -> str:
            text = to_latex(substitute(expr, mapping) if mapping else expr)
            for placeholder, latex in replace.items():
                text = text.replace(placeholder, latex)
            return text

        lines = []
        for binding in self.combined.bindings:
            left = special.get(binding.name) or latex_name(binding.name)
            lines.append((left, show(binding.expr)))
        lines += [(partial(variable), show(expr)) for variable, _, expr in self.combined.results]
        return lines

    def to_latex(self, standalone: bool = False) -> str:
        rows = " \\\\\n".join(f"{left} &= {right}" for left, right in self._latex_lines())
        body = "\\begin{align*}\n" + rows + "\n\\end{align*}\n"
        if self.warnings:
            body += "".join(f"% warning: {w}\n" for w in self.warnings)
        if not standalone:
            return body
        from .render.latex import standalone_document

        return standalone_document(body)

    def to_markdown(self) -> str:
        lines = ["### Derivatives", "", *markdown_source(self.source), ""]
        lines += [f"- ${left} = {right}$" for left, right in self._latex_lines()]
        lines += ["", "In gradcli's language (`gradcli eval` reads it back):", "", "```", self.text(), "```"]
        lines += [f"- warning: {w}" for w in self.warnings]
        return "\n".join(lines) + "\n"


def markdown_source(source: str) -> list[str]:
    """The source as inline code, or as a code block when it has several lines or a backtick."""
    if "\n" in source.strip() or "`" in source:
        return ["Source:", "", "```", source.strip(), "```"]
    return [f"Source: `{source}`"]


def differentiate(
    source: str | Program,
    wrt: Iterable[str] | None = None,
    variables: dict[str, object] | None = None,
    refusal: str = "symbolic derivatives support scalar variables and elementwise operations for now",
) -> Derivatives:
    """Differentiate the output of `source` with respect to each variable in `wrt`, symbolically.

    `variables` maps the free names that are variables to scalar values (the graph is built at
    them; the formulas do not depend on them). By default every free name except the constants
    `pi` and `e` is a variable, and array operations (`sum`, `@`, ...) are refused, since
    nothing says the variables are scalars. `wrt` defaults to every variable. Raises GradcliError
    for bad input, for a name in `wrt` that is not a variable, and for array expressions
    (`refusal` is the message when `variables` are given).
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
    wrt_names = tuple(graph.variables) if wrt is None else tuple(dict.fromkeys(wrt))
    for name in wrt_names:
        if name not in graph.variables:
            listed = ", ".join(graph.variables) or "none"
            raise GradcliError(
                f"--wrt names {name!r}, which is not a variable of the program",
                hint=f"the variables are: {listed}",
            )
    acc = accumulate(graph, wrt_names, message)
    warnings = [
        f"the output does not depend on {name!r}: its derivative is 0"
        for name in wrt_names
        if acc.adjoint[graph.variables[name]] is None
    ]
    programs = {name: write_program(acc, (name,), names.all).text() for name in wrt_names}
    combined = write_program(acc, wrt_names, names.all)
    return Derivatives(
        source=graph.source,
        output=graph.nodes[graph.output].name,
        wrt=wrt_names,
        combined=combined,
        programs=programs,
        warnings=warnings,
    )


__all__ = [
    "Accumulation",
    "DerivativeProgram",
    "Derivatives",
    "Terms",
    "accumulate",
    "differentiate",
    "write_program",
]
