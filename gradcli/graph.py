"""AST + values → Graph: nodes in creation order, which is a topological order.

Every literal, constant, variable and operation becomes a node; `name = expr` gives the node the
user's name, and a name assigned again gets a fresh version (`c`, `c_2`). Names for the nodes the
user left unnamed are generated afterwards (`v1`, `v2`, ...) so they count up without gaps and
never clash with a name of the program. The walk over the AST is iterative.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from .errors import GradcliError, Span
from .expr import Array, Assign, Binary, Call, Expr, Index, Name, Num, Program, Unary
from .ops import BINARY_OPS, CONSTANTS, FUNCTION_NAMES, FUNCTIONS, OPS, Op
from .parse import suggest


@dataclass(eq=False, repr=False)
class Node:
    id: int
    op: str  # "var", "const", or a key of OPS
    inputs: tuple[int, ...]
    value: np.ndarray
    name: str = ""
    span: Span | None = None
    user_named: bool = False


@dataclass(eq=False, repr=False)
class Graph:
    nodes: list[Node]
    output: int
    variables: dict[str, int]  # free variable -> its node, in order of first use
    source: str
    warnings: list[str] = field(default_factory=list)


def children(expr: Expr) -> tuple[Expr, ...]:
    if isinstance(expr, Unary):
        return (expr.operand,)
    if isinstance(expr, Binary):
        return (expr.left, expr.right)
    if isinstance(expr, Call):
        return expr.args
    if isinstance(expr, Array):
        return expr.items
    if isinstance(expr, Index):
        return (expr.target, *expr.indices)
    return ()


def walk(expr: Expr) -> Iterator[Expr]:
    """Every node of an expression, in source order (pre-order), without recursion."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(children(node)))


@dataclass
class ProgramNames:
    free: dict[str, Span | None]  # read before assigned, in order of first read
    all: set[str]  # every name the program mentions (variables, assignments, functions)


def program_names(program: Program) -> ProgramNames:
    assigned: set[str] = set()
    free: dict[str, Span | None] = {}
    every: set[str] = set()
    for statement in program.statements:
        value = statement.value if isinstance(statement, Assign) else statement
        for node in walk(value):
            if isinstance(node, Name):
                every.add(node.name)
                if node.name not in assigned and node.name not in free:
                    free[node.name] = node.span
            elif isinstance(node, Call):
                every.add(node.func)
        if isinstance(statement, Assign):
            assigned.add(statement.name)
            every.add(statement.name)
    return ProgramNames(free, every)


class _Builder:
    def __init__(self, program: Program, values: dict[str, np.ndarray]) -> None:
        self.program = program
        self.values = values
        self.nodes: list[Node] = []
        self.env: dict[str, int] = {}
        self.variables: dict[str, int] = {}

    def add(self, op: str, inputs: tuple[int, ...], value, span: Span | None, name: str = "") -> int:
        node = Node(len(self.nodes), op, inputs, np.asarray(value, dtype=np.float64), name, span)
        self.nodes.append(node)
        return node.id

    def error(self, message: str, span: Span | None, hint: str | None = None) -> GradcliError:
        return GradcliError(message, span=span, source=self.program.source, hint=hint)

    def read(self, expr: Name) -> int:
        if expr.name in self.env:
            return self.env[expr.name]
        if expr.name in self.values:
            node = self.add("var", (), self.values[expr.name], expr.span, expr.name)
            self.nodes[node].user_named = True
            self.env[expr.name] = self.variables[expr.name] = node
            return node
        if expr.name in CONSTANTS:
            return self.add("const", (), CONSTANTS[expr.name], expr.span, expr.name)
        # The API checks for missing values before building; this is the last line of defence.
        raise self.error(f"no value for {expr.name!r}", expr.span, f"give it with --at {expr.name}=...")

    def apply(self, op: Op, inputs: tuple[int, ...], span: Span | None) -> int:
        args = [self.nodes[i].value for i in inputs]
        try:
            value = op.forward(*args)
        except ValueError:
            shapes = " and ".join(str(tuple(np.shape(a))) for a in args)
            raise self.error(
                f"shapes {shapes} do not fit together in {op.symbol!r}",
                span,
                "elementwise operations need equal shapes, or shapes numpy can broadcast",
            ) from None
        return self.add(op.name, inputs, value, span)

    def call_op(self, expr: Call) -> Op:
        op = FUNCTIONS.get((expr.func, len(expr.args)))
        if op is not None:
            return op
        if expr.func in FUNCTION_NAMES:
            counts = sorted(n for name, n in FUNCTIONS if name == expr.func)
            wanted = " or ".join(str(n) for n in counts)
            plural = "s" if counts[-1] != 1 else ""
            raise self.error(
                f"{expr.func}() takes {wanted} argument{plural}, not {len(expr.args)}", expr.span
            )
        near = suggest(expr.func, FUNCTION_NAMES)
        hint = f"did you mean {near!r}?" if near else "functions: " + ", ".join(sorted(FUNCTION_NAMES))
        raise self.error(f"unknown function {expr.func!r}", expr.span, hint)

    def evaluate(self, root: Expr) -> int:
        """Post-order over the AST with an explicit stack; returns the root's node."""
        results: list[int] = []
        stack: list[tuple[Expr, bool]] = [(root, False)]
        while stack:
            expr, ready = stack.pop()
            if isinstance(expr, Num):
                results.append(self.add("const", (), expr.value, expr.span, expr.text))
            elif isinstance(expr, Name):
                results.append(self.read(expr))
            elif isinstance(expr, (Array, Index)):
                raise self.error(
                    "array literals and indexing are not supported in expressions yet",
                    expr.span,
                    "give arrays as values: --at x=[1,2,3]",
                )
            elif not ready:
                stack.append((expr, True))
                stack.extend((child, False) for child in reversed(children(expr)))
            elif isinstance(expr, Unary):
                if expr.op == "neg":
                    results.append(self.apply(OPS["neg"], (results.pop(),), expr.span))
                # unary plus is the identity: no node.
            elif isinstance(expr, Binary):
                right, left = results.pop(), results.pop()
                if expr.op not in BINARY_OPS:
                    raise self.error(f"the operator {expr.op!r} is not supported yet", expr.span)
                results.append(self.apply(BINARY_OPS[expr.op], (left, right), expr.span))
            elif isinstance(expr, Call):
                op = self.call_op(expr)
                args = tuple(results[len(results) - len(expr.args) :])
                del results[len(results) - len(expr.args) :]
                results.append(self.apply(op, args, expr.span))
        (result,) = results
        return result

    def build(self) -> Graph:
        output = None
        for statement in self.program.statements:
            first_new = len(self.nodes)
            if isinstance(statement, Assign):
                output = self.evaluate(statement.value)
                node = self.nodes[output]
                if output >= first_new and not node.user_named:
                    node.name, node.user_named = statement.name, True
                self.env[statement.name] = output
            else:
                output = self.evaluate(statement)
        assert output is not None
        graph = Graph(self.nodes, output, self.variables, self.program.source)
        _give_names(graph, program_names(self.program).all)
        return graph


def _give_names(graph: Graph, program_names: set[str]) -> None:
    """Distinct display names that parse and clash with nothing in the program."""
    taken = set(program_names) | set(CONSTANTS) | FUNCTION_NAMES
    used: set[str] = set()
    for node in graph.nodes:
        if node.op == "const":
            continue  # a literal's name is its text; `pi` and `e` are their own names.
        if node.user_named:
            base, version = node.name, 1
            while node.name in used or (version > 1 and node.name in taken):
                version += 1
                node.name = f"{base}_{version}"
            used.add(node.name)
    counter = 0
    for node in graph.nodes:
        if node.op != "const" and not node.user_named:
            counter += 1
            while f"v{counter}" in taken or f"v{counter}" in used:
                counter += 1
            node.name = f"v{counter}"
            used.add(node.name)
    # A constant whose name a user's node also took (`e` read, then `e = ...`) is shown by value.
    for node in graph.nodes:
        if node.op == "const" and node.name in used:
            node.name = repr(float(node.value))


def build_graph(program: Program, values: dict[str, np.ndarray]) -> Graph:
    """Evaluate `program` with the free variables bound to `values`, recording every node."""
    with np.errstate(all="ignore"):
        return _Builder(program, values).build()
