"""AST + values → Graph: nodes in creation order, which is a topological order.

Every literal, constant, variable and operation becomes a node; `name = expr` gives the node the
user's name, and a name assigned again gets a fresh version (`c`, `c_2`). Names for the nodes the
user left unnamed are generated afterwards (`v1`, `v2`, ...) so they count up without gaps and
never clash with a name of the program. The walk over the AST is iterative.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from .errors import GradcliError, Span, clip
from .expr import Array, Assign, Binary, Call, Expr, Index, Name, Num, Program, Slice, Unary
from .graph_messages import about_an_option, give_names, options_text, shape_message
from .ops import BINARY_OPS, CONSTANTS, OPS, Op, Options
from .parse.calls import index_key, plain_index, resolve_call, subscript_at_fault


@dataclass(eq=False, repr=False, slots=True)
class Node:
    """A value in the computation; also the record renderers read (grad and kink set by api)."""

    id: int
    op: str  # "var", "const", or a key of OPS
    inputs: tuple[int, ...]
    value: np.ndarray  # float64 (a 0-d result may be a numpy float64 scalar)
    name: str = ""
    span: Span | None = None
    user_named: bool = False
    grad: np.ndarray | None = None  # None where nothing is differentiated through the node
    kink: str | None = None  # the convention used, when the node is evaluated at a kink
    # The op's options as the call gave them, defaults filled in (`()` for ops without options);
    # every rule of the node is called with `**dict(node.options)`.
    options: Options = ()

    @property
    def role(self) -> str:
        return {"var": "input", "const": "constant"}.get(self.op, "operation")


@dataclass(eq=False, repr=False)
class Graph:
    nodes: list[Node]
    output: int
    variables: dict[str, int]  # free variable -> its node, in order of first use
    source: str
    warnings: list[str] = field(default_factory=list)
    # Nodes whose evaluation raised a floating-point flag (overflow, 0/0, log(0)...): the only
    # places a NaN or an inf can first appear from finite inputs, so the only ones to inspect.
    suspects: list[int] = field(default_factory=list)


def last_uses(graph: Graph) -> list[int]:
    """Per node, the id of the last node that reads it (itself if none does): a pass over the
    graph in order can free what a node holds once that one has it."""
    last = list(range(len(graph.nodes)))
    for node in graph.nodes:
        for input_id in node.inputs:
            last[input_id] = node.id
    return last


def children(expr: Expr) -> tuple[Expr, ...]:
    if isinstance(expr, Unary):
        return (expr.operand,)
    if isinstance(expr, Binary):
        return (expr.left, expr.right)
    if isinstance(expr, Call):
        return (*expr.args, *(keyword.value for keyword in expr.keywords))
    if isinstance(expr, Array):
        return expr.items
    if isinstance(expr, Index):
        return (expr.target, *expr.indices)
    if isinstance(expr, Slice):
        return tuple(part for part in (expr.start, expr.stop, expr.step) if part is not None)
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
    """The program's names; each call read against the op table (an unknown function, a wrong
    arity, an option it does not take are said now), in walk()'s order, with a dispatch on the
    node's type for the common kinds (10^5 names walked twice as fast as through walk())."""
    assigned: set[str] = set()
    free: dict[str, Span | None] = {}
    every: set[str] = set()
    source = program.source
    for statement in program.statements:
        stack = [statement.value if isinstance(statement, Assign) else statement]
        while stack:
            node = stack.pop()
            kind = type(node)
            if kind is Binary:
                stack += (node.right, node.left)
                continue
            if kind is Name:
                name = node.name
                every.add(name)
                if name not in assigned and name not in free:
                    free[name] = node.span
                continue
            if kind is Call:
                resolve_call(node, source)
                every.add(node.func)
            elif kind is Index and not plain_index(node):
                index_key(node, source)
            stack.extend(reversed(children(node)))
        if isinstance(statement, Assign):
            assigned.add(statement.name)
            every.add(statement.name)
    return ProgramNames(free, every)


def program_ops(program: Program) -> Iterator[tuple[Expr, Op]]:
    """Each expression of the program that applies an op, with that op, in source order:
    operators, calls (an unknown function, a wrong arity or options a call does not take raise,
    as parse/calls.py says), array literals, indexing."""
    for statement in program.statements:
        for expr in walk(statement.value if isinstance(statement, Assign) else statement):
            if isinstance(expr, Binary):
                op = BINARY_OPS.get(expr.op)
            elif isinstance(expr, Call):
                op = resolve_call(expr, program.source).op
            elif isinstance(expr, Array):
                op = OPS["stack"]
            elif isinstance(expr, Index):
                op = OPS["index"] if plain_index(expr) else OPS["slice"]
            else:
                continue
            if op is not None:
                yield expr, op


MAX_DIMENSIONS = 64  # numpy's limit on an array's dimensions


class _Builder:
    def __init__(self, program: Program, values: dict[str, np.ndarray], shapes_known: bool = True) -> None:
        self.program = program
        self.values = values
        self.shapes_known = shapes_known
        self.nodes: list[Node] = []
        self.env: dict[str, int] = {}
        self.variables: dict[str, int] = {}
        self.flagged = False
        self.suspects: list[int] = []

    def floating_point_flag(self, kind: str, flag: int) -> None:
        """numpy calls this when an operation overflows, divides by zero or is invalid."""
        self.flagged = True

    def add(
        self,
        op: str,
        inputs: tuple[int, ...],
        value,
        span: Span | None,
        name: str = "",
        options: Options = (),
    ) -> int:
        node_id = len(self.nodes)
        self.nodes.append(Node(node_id, op, inputs, value, name, span, False, None, None, options))
        return node_id

    def error(self, message: str, span: Span | None, hint: str | None = None) -> GradcliError:
        return GradcliError(message, span=span, source=self.program.source, hint=hint)

    def read(self, expr: Name) -> int:
        name = expr.name
        node = self.env.get(name)
        if node is not None:
            return node
        if name in self.values:
            node = len(self.nodes)
            value = np.asarray(self.values[name], np.float64)
            self.nodes.append(Node(node, "var", (), value, name, expr.span, True))
            self.env[name] = self.variables[name] = node
            return node
        if expr.name in CONSTANTS:
            return self.add("const", (), np.float64(CONSTANTS[expr.name]), expr.span, expr.name)
        # The API checks for missing values before building; this is the last line of defence.
        raise self.error(f"no value for {expr.name!r}", expr.span, f"give it with --at {expr.name}=...")

    def apply(
        self,
        op: Op,
        inputs: tuple[int, ...],
        span: Span | None,
        items: tuple[Expr, ...] = (),
        options: Options = (),
    ) -> int:
        nodes = self.nodes
        args = [nodes[i].value for i in inputs]
        if op.name == "stack":
            self.check_stack(args, span, items)
        given = dict(options) if options else {}
        problem = op.check(*args, **given) if op.check is not None else None
        if problem is None:
            try:
                value = op.forward(*args, **given) if options else op.forward(*args)
            except ValueError:
                problem = op.shape_hint
            except TypeError:  # an option of the wrong kind that the row's check let through
                if not options:
                    raise
                problem = f"these options do not fit {op.symbol}(): {options_text(options)}"
        if problem is not None and not self.shapes_known:
            # Placeholder values (a graph drawn without --at): the shapes are unknown, not wrong.
            return self.add(op.name, inputs, np.float64(np.nan), span, options=options)
        if problem is not None:
            if op.name in ("index", "slice"):  # the index is at fault, not a shape: say which
                hint = f"the array has shape {tuple(np.shape(args[0]))}; indices count from 0, -1 is the last"
                # Underlined from the bracket to the index at fault: `x[0, 7`.
                at_fault = subscript_at_fault(op, args, items, self.program.source)
                end = extent(at_fault) if at_fault is not None else None
                if span is not None and end is not None:
                    span = Span(span.line, span.column, span.start, max(span.end, end.end))
                raise self.error(problem, span, hint)
            if about_an_option(op, problem):  # `axis 3 is out of range ...`: that is the error
                names = " and ".join(name for name, _ in op.options)
                about_input = problem.split(" ", 1)[0] in op.params
                raise self.error(
                    problem, span, None if about_input else f"the options of {op.symbol}(): {names}"
                )
            raise self.error(shape_message(op, args), span, problem)
        node = self.add(op.name, inputs, value, span, options=options)
        if self.flagged:
            self.flagged = False
            self.suspects.append(node)
        return node

    def apply_binary(self, op: Op, a: int, b: int, span: Span | None) -> int:
        """apply() for an operator without options or shape check (`+ - * /`: most nodes of a
        big program), without its bookkeeping; a failure goes through apply() for its message."""
        nodes = self.nodes
        try:
            value = op.forward(nodes[a].value, nodes[b].value)
        except ValueError:
            return self.apply(op, (a, b), span)
        node = len(nodes)
        nodes.append(Node(node, op.name, (a, b), value, "", span))
        if self.flagged:
            self.flagged = False
            self.suspects.append(node)
        return node

    def check_stack(self, args: list[np.ndarray], span: Span | None, items: tuple[Expr, ...]) -> None:
        """An array literal's items share one shape (as np.array demands; the message names the
        first item that differs), and the result has at most numpy's 64 dimensions."""
        if args and np.ndim(args[0]) >= MAX_DIMENSIONS:
            raise self.error(
                f"an array has at most {MAX_DIMENSIONS} dimensions (numpy's limit); this one would have more",
                span,
                "use fewer nested brackets",
            )
        if not self.shapes_known:
            return
        first = np.shape(args[0]) if args else ()
        for position, (arg, item) in enumerate(zip(args, items, strict=True), start=1):
            if np.shape(arg) != first:
                shown = clip(self.text(item), 40)
                raise self.error(
                    f"the items of an array literal must have one shape: items 1 and {position} have "
                    f"different shapes, {first} and {np.shape(arg)} (item {position} is {shown})",
                    span,
                    "every item of an array needs the same shape (numbers, or rows of one length)",
                )

    def text(self, expr: Expr) -> str:
        """The source text of an expression, as the user typed it."""
        found = extent(expr)
        return self.program.source[found.start : found.end] if found else "?"

    def evaluate(self, root: Expr) -> int:
        """Post-order over the AST with an explicit stack; returns the root's node.

        The stack holds expressions still to visit and, pushed before their operands,
        (op, argument count, span) entries that apply an op once the operands are done.
        """
        results: list[int] = []
        stack: list = [root]
        while stack:
            item = stack.pop()
            kind = type(item)
            if kind is tuple:
                op, count, span, items, options = item
                if count == 2 and op.check is None and not options:
                    results.append(self.apply_binary(op, results.pop(-2), results.pop(), span))
                    continue
                # Not results[-count:]: for count 0 (`[]`) that is the whole list.
                first = len(results) - count
                args = tuple(results[first:])
                del results[first:]
                results.append(self.apply(op, args, span, items, options))
            elif kind is Num:
                results.append(self.add("const", (), np.float64(item.value), item.span, item.text))
            elif kind is Name:
                results.append(self.read(item))
            elif kind is Binary:
                if item.op not in BINARY_OPS:
                    raise self.error(f"the operator {item.op!r} is not supported yet", item.span)
                stack += ((BINARY_OPS[item.op], 2, item.span, (), ()), item.right, item.left)
            elif kind is Unary and item.op == "neg" and type(item.operand) is Num:
                # `-1` is one constant, as a reader sees it: steps then say ∂y/∂x = -1, not v1.
                value = -item.operand.value
                results.append(self.add("const", (), np.float64(value), item.span, f"-{item.operand.text}"))
            elif kind is Unary:
                if item.op == "neg":
                    stack.append((NEG, 1, item.span, (), ()))
                stack.append(item.operand)  # unary plus is the identity: no node
            elif kind is Call:
                call = resolve_call(item, self.program.source)
                stack.append((call.op, len(call.inputs), item.span, (), call.options))
                stack.extend(reversed(call.inputs))
            elif kind is Array:
                stack.append((OPS["stack"], len(item.items), item.span, item.items, ()))
                stack.extend(reversed(item.items))
            else:
                assert kind is Index
                self.push_index(item, stack)
        (result,) = results
        return result

    def push_index(self, item: Index, stack: list) -> None:
        """`x[1, 2]`: an `index` node over the numbers' constant nodes; ranges and integer lists
        (`x[1:3]`, `x[[0, 2]]`): one `slice` node, its key an option."""
        if not plain_index(item):
            key = index_key(item, self.program.source)
            stack += ((OPS["slice"], 1, item.span, item.indices, (("key", key),)), item.target)
            return
        for index in item.indices:
            literal = index.operand if type(index) is Unary and index.op == "neg" else index
            if type(literal) is not Num:
                raise self.error(
                    "an index must be a whole number written in the source",
                    first_span(index) or item.span,
                    "write x[0] or W[1, 2]; indices count from 0, and -1 is the last",
                )
        stack.append((OPS["index"], 1 + len(item.indices), item.span, item.indices, ()))
        stack.extend(reversed((item.target, *item.indices)))

    def build(self, names: ProgramNames) -> Graph:
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
        graph = Graph(self.nodes, output, self.variables, self.program.source, suspects=self.suspects)
        give_names(graph.nodes, names.all)
        return graph


NEG = OPS["neg"]


def first_span(expr: Expr) -> Span | None:
    return next((node.span for node in walk(expr) if node.span is not None), None)


def extent(expr: Expr) -> Span | None:
    """From the leftmost to the rightmost position the expression's nodes record.

    A binary node's span is its operator, so the leftmost operand's span gives the start; an
    array's span covers its brackets."""
    spans = [node.span for node in walk(expr) if node.span is not None]
    if not spans:
        return None
    first = min(spans, key=lambda span: span.start)
    end = max(span.end for span in spans)
    return Span(first.line, first.column, first.start, end)


def build_graph(
    program: Program,
    values: dict[str, np.ndarray],
    names: ProgramNames | None = None,
    shapes_known: bool = True,
) -> Graph:
    """Evaluate `program` with the free variables bound to `values`, recording every node.

    `shapes_known=False` says the values are placeholders (the graph's structure alone is
    wanted): an op whose inputs do not fit then gets a nan value instead of a shape error.
    """
    builder = _Builder(program, values, shapes_known)
    with np.errstate(all="call", call=builder.floating_point_flag):
        return builder.build(names or program_names(program))
