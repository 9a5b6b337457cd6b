"""The numbers behind the terms: what each term of a symbolic backward pass evaluates to at the
point the graph was built at.

Formulas over arrays depend on shapes: a gradient that reached a broadcast input is summed back
over the broadcast axes (`sum(x * d, axis=0)`), a vector-Jacobian product needs its upstream
gradient in the output's exact shape (`outer(grad, b)` does not take a number), and the
simplifier makes terms smaller than their node where it can (`sum(x)`'s gradient is `1`, not an
array of ones). So every term's value is computed here (with the op table's forward rules, each
term once), and the shapes read from them.

The values also check each step of the backward pass: the contribution written as a formula
must equal the op's numeric rule (the vjp, or local × upstream) at this point. A formula that
disagrees where both are finite is refused naming the op (a row whose formula does not say
what its rule computes cannot be differentiated twice); one that is not finite where the rule
is (a kink: prod's `out/x` at a zero) gives a warning.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..backprop import times, unbroadcast
from ..errors import GradcliError
from ..graph import Graph, Node
from ..ops import BINARY_OPS, CONSTANTS, OPS, partial_of
from ..ops.shapes import index_key, take
from ..simplify import Terms
from .convert import function_op

NO_SYMBOLIC = "this op cannot be differentiated symbolically (diff, hessian); gradcli eval gives its gradient"


class Unwritable(Exception):
    """A term that cannot be evaluated: the formula does not fit its inputs' shapes."""


class TermValues:
    """term -> its value (a float64 array), computed on demand, each term once."""

    def __init__(self, terms: Terms, names: dict[str, np.ndarray]) -> None:
        self.terms = terms
        self.names = names
        self.memo: dict[int, np.ndarray] = {}

    def __call__(self, term: int) -> np.ndarray:
        if term in self.memo:
            return self.memo[term]
        todo, stack = set(), [term]
        while stack:  # the terms still to compute (children have smaller ids)
            t = stack.pop()
            if t not in self.memo and t not in todo:
                todo.add(t)
                stack.extend(self.terms.children(t))
        with np.errstate(all="ignore"):
            for t in sorted(todo):
                self.memo[t] = self._compute(t)
        return self.memo[term]

    def shape(self, term: int) -> tuple[int, ...]:
        return np.shape(self(term))

    def _compute(self, term: int) -> np.ndarray:
        key = self.terms.keys[term]
        kind = key[0]
        if kind == "num":
            return np.float64(key[1])
        if kind == "name":
            found = self.names.get(key[1])
            if found is None and key[1] not in CONSTANTS:
                raise Unwritable(f"a name with no value: {key[1]}")
            return np.float64(CONSTANTS[key[1]]) if found is None else found
        if kind == "expr":
            raise Unwritable(f"an expression it cannot evaluate: {key[1]!r}")
        args = [self.memo[child] for child in self.terms.children(term)]
        try:
            if kind == "neg":
                return -args[0]
            if kind == "at":
                return take(np.asarray(args[0]), index_key(key[1]))
            if kind == "stack":
                return np.stack(args)
            if kind in ("call", "callkw"):
                op = function_op(key[1], len(args))
                if op is None:
                    raise Unwritable(f"no function {key[1]} of {len(args)} inputs")
                options = op.fill(dict(key[2])) if kind == "callkw" else op.fill({})
                problem = op.check(*args, **dict(options)) if op.check is not None else None
                if problem is not None:
                    raise Unwritable(problem)
                return np.asarray(op.forward(*args, **dict(options)), dtype=np.float64)
            return np.asarray(BINARY_OPS[kind].forward(*args), dtype=np.float64)
        except (ValueError, IndexError, TypeError) as error:
            raise Unwritable(str(error)) from None


# --- shapes in formulas ----------------------------------------------------------------------


def _sum(terms: Terms, term: int, axes: list[int], keepdims: bool = False) -> int:
    axis: object = axes[0] if len(axes) == 1 else tuple(axes)
    options: list[tuple[str, object]] = [("axis", axis)]
    if keepdims:
        options.append(("keepdims", True))
    return terms.call("sum", (term,), tuple(options))


def fit(terms: Terms, values: TermValues, c: int, full: tuple[int, ...], shape: tuple[int, ...]) -> int:
    """The contribution `c` to an input of `shape`, where c stands for an array of the node's
    shape `full` (c may be smaller: it broadcasts): summed over the axes the input was
    broadcast along (numpy's rules), as `sum(c, axis=0)`, `sum(c, axis=1, keepdims=1)`, or a
    count times c where c itself is constant along such an axis."""
    sc = values.shape(c)
    nd = len(full)
    offset, lead = nd - len(sc), nd - len(shape)
    if offset < 0 or lead < 0:
        raise Unwritable(f"a gradient of shape {sc} for an input of shape {shape} (the node's: {full})")
    padded = (1,) * lead + tuple(shape)
    drop: list[int] = []  # c's axes that the input does not have
    keep: list[int] = []  # c's axes, after the dropped ones, where the input has length 1
    factor = 1
    for k in range(nd):
        if not (k < lead or (padded[k] == 1 and full[k] != 1)):
            continue
        has = k >= offset and sc[k - offset] == full[k]
        if k < lead and k >= offset:
            drop.append(k - offset)
        elif has:
            keep.append(k - max(offset, lead))
        if not has:
            factor *= full[k]
    if drop and len(drop) == len(sc) and not shape:
        c = terms.call("sum", (c,))
    elif drop:
        c = _sum(terms, c, drop)
    if keep:
        c = _sum(terms, c, keep, keepdims=True)
    return terms.mul(terms.num(factor), c) if factor != 1 else c


def exact(terms: Terms, values: TermValues, u: int, ones_of: int) -> int:
    """`u` in the exact shape of the term `ones_of` (`u * v^0`), when it is smaller."""
    if values.shape(u) == values.shape(ones_of):
        return u
    return terms.mul(u, terms.ones(ones_of))


# --- each step checked against the op's rule -------------------------------------------------


def rule_contribution(graph: Graph, node: Node, index: int, upstream: np.ndarray) -> np.ndarray:
    """What backprop passes to input `index` of `node` for this upstream gradient."""
    op = OPS[node.op]
    rule = partial_of(op, index)
    args = [graph.nodes[i].value for i in node.inputs]
    out = np.asarray(node.value)
    options = dict(node.options)
    g = np.broadcast_to(upstream, np.shape(out)).astype(np.float64)
    with np.errstate(all="ignore"):
        if rule.vjp is not None:
            found = rule.vjp(*args, out, g, **options)
        else:
            assert rule.local is not None
            found = times(rule, rule.local(*args, out, **options), g, args, out, **options)
        return unbroadcast(found, np.shape(args[index]))


Warn = Callable[[str, str], None]


def check_step(
    graph: Graph, node: Node, index: int, upstream: np.ndarray, got: np.ndarray, warn: Warn
) -> None:
    """Refuse a formula that disagrees with its rule where both are finite; warn (through
    `warn(op name, message)`) where only the rule is finite."""
    op = OPS[node.op]
    shape = np.shape(graph.nodes[node.inputs[index]].value)
    ref = rule_contribution(graph, node, index, upstream)
    try:
        got = np.broadcast_to(got, shape)
    except ValueError:
        raise Unwritable(f"its formula gives shape {np.shape(got)} for an input of shape {shape}") from None
    both = np.isfinite(ref) & np.isfinite(got)
    scale = float(np.max(np.abs(ref[both]), initial=0.0)) + float(np.max(np.abs(got[both]), initial=0.0))
    with np.errstate(invalid="ignore"):  # inf - inf where the two are not both finite
        close = np.abs(got - ref) <= 1e-4 * np.maximum(np.abs(ref), np.abs(got)) + 1e-10 * scale
    inputs = [graph.nodes[i].value for i in node.inputs]
    # At a nan or inf input a formula may read the convention differently from its rule (max's
    # `(1 + sign(a - b))/2` at nan, hardtanh's steps): a warning there, not a refusal.
    inputs_finite = all(np.all(np.isfinite(value)) for value in inputs)
    if not np.all(close[both]) and not inputs_finite:
        warn(op.name, f"the derivative formula of {op.symbol} differs from its rule at a nan or inf input")
    elif not np.all(close[both]):
        formula = partial_of(op, index).formula_text(*inputs, **dict(node.options))
        raise GradcliError(
            f"cannot write the derivative of {op.symbol}: its formula `{formula}` does not give what its "
            "rule computes at this point",
            span=node.span,
            source=graph.source,
            hint=NO_SYMBOLIC,
        )
    if np.any(np.isfinite(ref) & ~np.isfinite(got)):
        where = f" ({op.convention})" if op.convention else ""
        warn(
            op.name,
            f"the derivative formula of {op.symbol} is not finite at this point where its rule is{where}: "
            "what depends on it there (second derivatives) is nan or inf",
        )
