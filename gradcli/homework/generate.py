"""Random, well-posed exercises, one per (level, seed, number of variables), the same on every
machine: the draws are made here from the raw 64-bit words of numpy's PCG64 bit generator
(whose stream numpy keeps fixed across versions, unlike Generator's methods), and a candidate is
evaluated by gradcli itself and drawn again while a value is too big, an argument sits near a
kink or the edge of a domain, or a number would need more than exp/log to work out by hand.

    level 1   + − × over small integers, one variable used twice (the sum rule at fan-out)
    level 2   exp, log, tanh, sigmoid and division, at halves (−2 … 2)
    level 3   vectors: z = W @ x + b, cross-entropy of softmax(z) with a class
    level 4   programs: named intermediates, a name bound again, an intermediate used twice
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import GradcliError
from ..evaluation import evaluate
from ..numbers import format_value
from ..records import DerivationRecord, NodeRecord
from ..records.grade import Exercise

LEVELS = (1, 2, 3, 4)
NAMES = ("a", "b", "c", "d", "f", "g")  # not e: it is the constant
LIMIT = 1e4  # no value or gradient of an exercise is bigger
TRIES = 2000
UNARY = ("exp", "log", "tanh", "sigmoid")


class _Draws:
    """Whole numbers drawn from PCG64's raw words, by rules written here (so a new numpy that
    changes how `Generator.integers` or `permutation` use the stream changes no sheet)."""

    def __init__(self, seed: list[int]) -> None:
        self.bits = np.random.PCG64(seed)

    def below(self, n: int) -> int:
        """0 <= k < n (n is small: the modulo's bias is below 2**-58)."""
        return int(self.bits.random_raw()) % n

    def integers(self, low: int, high: int | None = None) -> int:
        """low <= k < high, or 0 <= k < low, as numpy's `integers`."""
        low, high = (0, low) if high is None else (low, high)
        return low + self.below(high - low)

    def choice(self, items: list[int]) -> int:
        return items[self.below(len(items))]

    def permutation(self, n: int) -> list[int]:
        order = list(range(n))
        for i in range(n - 1, 0, -1):  # Fisher-Yates
            j = self.below(i + 1)
            order[i], order[j] = order[j], order[i]
        return order

    def array(self, low: int, high: int, shape: tuple[int, ...]) -> np.ndarray:
        values = [self.integers(low, high) for _ in range(int(np.prod(shape)))]
        return np.asarray(values, dtype=float).reshape(shape)


@dataclass(frozen=True)
class _Tree:
    text: str
    precedence: int  # 3 for a name, number or call; 2 for * and /; 1 for + and -


def _leaf(text: str) -> _Tree:
    return _Tree(text, 3)


def _join(op: str, left: _Tree, right: _Tree) -> _Tree:
    level = 2 if op in "*/" else 1
    lhs = left.text if left.precedence >= level else f"({left.text})"
    # the right operand of - and / groups to the left: a - (b + c) keeps its parentheses
    tight = right.precedence > level or (right.precedence == level and op in "+*")
    rhs = right.text if tight else f"({right.text})"
    return _Tree(f"{lhs} {op} {rhs}", level)


def _call(name: str, inner: _Tree) -> _Tree:
    return _Tree(f"{name}({inner.text})", 3)


def _combine(rng: _Draws, leaves: list[_Tree], ops: str) -> _Tree:
    """A random binary tree over the leaves in a random order."""
    trees = [leaves[i] for i in rng.permutation(len(leaves))]
    while len(trees) > 1:
        k = int(rng.integers(len(trees) - 1))
        op = ops[int(rng.integers(len(ops)))]
        trees[k : k + 2] = [_join(op, trees[k], trees[k + 1])]
    return trees[0]


def _level1(rng: _Draws, names: tuple[str, ...]) -> tuple[str, dict]:
    leaves = [_leaf(n) for n in names] + [_leaf(names[int(rng.integers(len(names)))])]
    if rng.integers(2):
        leaves.append(_leaf(str(rng.choice([2, 3]))))
    values = {n: float(rng.choice([-3, -2, -1, 1, 2, 3])) for n in names}
    return _combine(rng, leaves, "+-**").text, values


def _level2(rng: _Draws, names: tuple[str, ...]) -> tuple[str, dict]:
    leaves = [_leaf(n) for n in names] + [_leaf(names[int(rng.integers(len(names)))])]
    order = list(rng.permutation(len(leaves)))
    first = UNARY[int(rng.integers(len(UNARY)))]
    leaves[order[0]] = _call(first, leaves[order[0]])
    tree = _combine(rng, leaves, "+-*/")
    if "/" not in tree.text:
        tree = _join("/", tree, _leaf(names[int(rng.integers(len(names)))]))
    if rng.integers(2):
        tree = _call(UNARY[int(rng.integers(len(UNARY)))], tree)
    values = {n: float(rng.integers(-4, 5)) / 2 for n in names}
    return tree.text, values


def _level3(rng: _Draws, names: tuple[str, ...]) -> tuple[str, dict]:
    size = min(3, max(2, len(names) - 1))
    classes = 2
    values = {
        "W": rng.array(-2, 3, (classes, size)),
        "x": rng.array(-2, 3, (size,)),
        "b": rng.array(-1, 2, (classes,)),
    }
    target = int(rng.integers(classes))
    return f"z = W @ x + b; L = cross_entropy(z, {target})", values


def _level4(rng: _Draws, names: tuple[str, ...]) -> tuple[str, dict]:
    inputs = [_leaf(n) for n in names[:-1]]
    first = _combine(rng, inputs, "+-*")
    again = UNARY[int(rng.integers(len(UNARY)))] if rng.integers(3) else ""
    rebind = _call(again, _leaf("h")) if again else _join("*", _leaf("h"), _leaf(names[0]))
    last = names[-1]
    uses = [_leaf("h"), _leaf("h"), _leaf(last)]
    loss = _combine(rng, uses, "+-*")
    source = f"h = {first.text}; h = {rebind.text}; L = {loss.text}"
    values = {n: float(rng.integers(-4, 5)) / 2 for n in names}
    return source, values


_MAKERS = {1: _level1, 2: _level2, 3: _level3, 4: _level4}


def exercise(level: int = 1, seed: int = 0, variables: int | None = None) -> Exercise:
    """The exercise of this level and seed with `variables` inputs (2 to 6; default 3).
    Raises GradcliError for a level, seed or count out of range."""
    if level not in LEVELS:
        raise GradcliError(f"there is no level {level}", hint="the levels are 1, 2, 3 and 4")
    count = variables if variables is not None else 3
    if not 2 <= count <= 6:
        raise GradcliError(f"--vars {count} is out of range", hint="an exercise has 2 to 6 variables")
    if seed < 0:
        raise GradcliError(f"--seed {seed} is negative", hint="a seed is a whole number from 0 up")
    rng = _Draws([seed, level, count])
    names = NAMES[:count]
    for _ in range(TRIES):
        source, values = _MAKERS[level](rng, names)
        if level != 3 and len(set(values.values())) < 2:
            continue  # a = b = c = 1 hides which value goes where
        at = {name: np.asarray(value, dtype=float) for name, value in values.items()}
        key = _key(source, at)
        if key is not None:
            at_text = ", ".join(f"{name}={format_value(value, 17)}" for name, value in at.items())
            return Exercise(level, seed, source, at_text, key)
    raise AssertionError(f"no exercise found for level {level}, seed {seed}")  # pragma: no cover


def _key(source: str, at: dict[str, np.ndarray]) -> DerivationRecord | None:
    """The derivation, or None when the candidate is not pleasant by hand."""
    try:
        with np.errstate(all="ignore"):
            key = evaluate(source, at)
    except GradcliError:
        return None
    if key.warnings or len(key.steps) < 3 or any(not np.any(g) for g in key.gradient.values()):
        return None
    for node in key.nodes:
        arrays = [node.value] if node.grad is None else [node.value, node.grad]
        if node.kink or any(not np.all(np.isfinite(a)) or np.max(np.abs(a)) > LIMIT for a in arrays):
            return None
        if node.op not in ("var", "const") and node.value.ndim == 0 and node.value == 0:
            return None  # a 0 in the middle: the exercise would have a dead branch (b - b)
        if not _pleasant(key, node):
            return None
    return key


def _pleasant(key: DerivationRecord, node: NodeRecord) -> bool:
    """No argument near the edge of its op's domain, nothing needing exp of a big number."""
    args = [key.nodes[i].value for i in node.inputs]
    if node.op == "log":
        return bool(np.all(args[0] >= 0.25))
    if node.op == "div":
        return bool(np.all(np.abs(args[1]) >= 0.5))
    if node.op == "exp":
        return bool(np.all(args[0] <= 3))
    if node.op in ("tanh", "sigmoid"):
        return bool(np.all(np.abs(args[0]) <= 3))
    if node.op in ("add", "sub") and node.value.ndim == 0:
        # no cancellation: 2 - 1.97 would make the 4 digits kept above wrong by 1% here
        return bool(abs(node.value) >= 0.1 * max(abs(float(a)) for a in args))
    return True
