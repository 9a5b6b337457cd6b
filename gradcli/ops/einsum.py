"""einsum, numpy's: `einsum("ij,jk->ik", a, b)`, its subscripts a string written before the arrays.

The subscripts name each axis of each array with a letter (a-z, A-Z): a letter shared by two
arrays multiplies along that axis, a letter missing from the output after `->` is summed over, and
a letter repeated in one array takes its diagonal (`"ii->i"`, the trace `"ii->"`). Without `->`
the output is numpy's implicit one: the letters used once, in alphabetical (ASCII) order.

The gradient of an array is the standard rule: the einsum of the upstream gradient with the other
arrays, whose output is that array's subscripts, `einsum("ik,jk->ij", grad, b)` for a of
`"ij,jk->ik"`. Two cases need more, both written in the formula language too: a letter summed
over in that array alone (`"ij->i"`: the gradient is the same along j) is supplied by a ones
array of its shape, `pow(a, 0)`, as one more operand (1 even at inf and nan; not `a^0`, which a
step's simplifier reads as the number 1); a repeated letter puts the gradient back on the
diagonal with `scatter(..., key="[0, 1, 2], [0, 1, 2]")`.

Limits, each with its own message: one to three arrays (the formulas name the arrays by the row's
parameters a, b, c), no ellipsis `...`, at most one repeated letter per array, and a letter's
axes of one length (numpy would broadcast an axis of length 1; here the lengths must agree).
The message quotes the subscripts with a caret under the letter at fault.
"""

from __future__ import annotations

import string
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

from .row import Array, Op, Partial, lead_axes

Jvp = Callable[..., Array]
PARAMS = ("a", "b", "c")
# The row's default is "" (no subscripts written: an error that says so), but numpy has no default
# and every rule must run without options (the table's generic tests call them so, with the
# row's three parameters): called without options, the rules compute this chain of products.
DEFAULT = "ij,jk,kl->il"


@dataclass(frozen=True)
class Spec:
    inputs: tuple[str, ...]  # each array's letters
    output: str


class SubscriptError(ValueError):
    """Bad subscripts: the message and the position (in the text) of the character at fault."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.message, self.position = message, position


@cache
def parse(text: str) -> Spec:
    """The arrays' letters and the output's; raises SubscriptError (spaces are ignored)."""
    if text.count("->") > 1:
        raise SubscriptError("the subscripts have one -> at most", text.index("->", text.index("->") + 2))
    left, arrow, right = text.partition("->")
    if "." in text:
        raise SubscriptError(
            "the ellipsis ... is not supported: name every axis with a letter", text.index(".")
        )
    for position, char in enumerate(text):
        arrow_part = (
            text[position : position + 2] == "->" or text[max(position - 1, 0) : position + 1] == "->"
        )
        if char not in string.ascii_letters and char not in ", " and not arrow_part:
            raise SubscriptError(f"{char!r} is not a letter: axes are named with a-z and A-Z", position)
    inputs = tuple(term.replace(" ", "") for term in left.split(","))
    if not arrow:
        once = Counter("".join(inputs))
        return Spec(inputs, "".join(sorted(c for c, n in once.items() if n == 1)))
    output = right.replace(" ", "")
    for offset, char in enumerate(right):
        where = len(left) + 2 + offset
        if char != " " and right[:offset].count(char):
            raise SubscriptError(f"{char!r} appears twice in the output", where)
        if char != " " and char not in left:
            raise SubscriptError(f"the output's {char!r} names no axis of the arrays", where)
    return Spec(inputs, output)


def _term_start(text: str, k: int) -> int:
    """Where the letters of array k start in the text."""
    position = 0
    for _ in range(k):
        position = text.index(",", position) + 1
    return position


def pointed(text: str, error: SubscriptError) -> str:
    """The message, then the subscripts with a caret under the character at fault."""
    return f'{error.message}\n    "{text}"\n     {" " * error.position}^'


def _sizes(spec: Spec, operands: tuple[Array, ...]) -> dict[str, int]:
    return {
        c: n
        for term, x in zip(spec.inputs, operands, strict=True)
        for c, n in zip(term, np.shape(x), strict=True)
    }


def _problem(text: str, operands: tuple[Array, ...]) -> SubscriptError | None:
    spec = parse(text)
    if len(spec.inputs) != len(operands):
        given = f"{len(operands)} {'is' if len(operands) == 1 else 'are'} given"
        return SubscriptError(
            f"the subscripts name {len(spec.inputs)} array{'s' * (len(spec.inputs) != 1)}, and {given}",
            0,
        )
    if len(operands) > len(PARAMS):
        return SubscriptError(
            f"einsum takes 1 to {len(PARAMS)} arrays here: split a longer product in two", 0
        )
    seen: dict[str, int] = {}
    for k, (term, x) in enumerate(zip(spec.inputs, operands, strict=True)):
        start = _term_start(text, k)
        if len(term) != np.ndim(x):
            return SubscriptError(
                f"array {k + 1} has {np.ndim(x)} dimension{'s' * (np.ndim(x) != 1)} (shape "
                f"{np.shape(x)}), and its subscripts {term!r} name {len(term)}",
                start,
            )
        repeated = [c for c, n in Counter(term).items() if n > 1]
        if len(repeated) > 1:
            return SubscriptError(
                f"array {k + 1} repeats {len(repeated)} letters: one repeated letter (a diagonal) "
                "is supported",
                start + text[start:].index(repeated[1]),
            )
        for c, n in zip(term, np.shape(x), strict=True):
            if seen.setdefault(c, n) != n:
                return SubscriptError(
                    f"{c!r} names axes of lengths {seen[c]} and {n}: one letter, one length",
                    start + text[start:].index(c),
                )
    return None


def _check(*operands: Array, subscripts: str = DEFAULT) -> str | None:
    if not subscripts.strip():
        return 'einsum needs its subscripts, a string before the arrays: einsum("ij,jk->ik", a, b)'
    try:
        problem = _problem(subscripts, operands)
    except SubscriptError as error:
        problem = error
    return None if problem is None else pointed(subscripts, problem)


def _einsum(*operands: Array, subscripts: str = DEFAULT) -> Array:
    spec = parse(subscripts)
    return _product(f"{','.join(spec.inputs)}->{spec.output}", *operands)


def _product(subscripts: str, *operands: Array) -> Array:
    """np.einsum; with two arrays or more in pairwise products (BLAS: a 256 × 256 product is 4
    times faster than einsum's own loop), the order numpy's optimizer picks."""
    return np.einsum(subscripts, *operands, optimize=len(operands) > 1)


def _free_letter(spec: Spec) -> str:
    used = set("".join(spec.inputs))
    return next(c for c in string.ascii_letters if c not in used)


# --- the gradient of array k ---------------------------------------------------------------------


def _repeated(term: str) -> str | None:
    found = [c for c, n in Counter(term).items() if n > 1]
    return found[0] if found else None


def _gradient_letters(term: str) -> str:
    """The letters of the einsum that gives array k's gradient before it goes back on a diagonal:
    the term's letters once each, in the order numpy's indexing x[..., [0, 1], ..., [0, 1]] gives
    (a repeated letter where it first stands if its axes are side by side, else first)."""
    unique = "".join(dict.fromkeys(term))
    c = _repeated(term)
    if c is None:
        return unique
    positions = [i for i, letter in enumerate(term) if letter == c]
    if positions == list(range(positions[0], positions[0] + len(positions))):
        return unique
    return c + unique.replace(c, "")


def _vjp(k: int) -> Callable[..., Array]:
    def vjp(*args: Array, subscripts: str = DEFAULT) -> Array:
        operands, out, grad = args[:-2], args[-2], args[-1]
        spec, lead = parse(subscripts), lead_axes(grad, out)
        g = np.reshape(grad, (-1, *np.shape(out)))
        z, term = _free_letter(spec), spec.inputs[k]
        unique = "".join(dict.fromkeys(term))
        others = [j for j in range(len(operands)) if j != k]
        there = set(spec.output).union(*(spec.inputs[j] for j in others))
        made = "".join(c for c in unique if c in there)
        subs = ",".join([z + spec.output, *(spec.inputs[j] for j in others)])
        partial = _product(f"{subs}->{z}{made}", g, *(operands[j] for j in others))
        sizes = _sizes(spec, operands)
        # Letters summed in array k alone: the gradient is the same along them (a broadcast).
        spread = np.reshape(partial, (len(g), *(sizes[c] if c in made else 1 for c in unique)))
        spread = np.broadcast_to(spread, (len(g), *(sizes[c] for c in unique)))
        if _repeated(term) is None:
            return np.reshape(spread, lead + np.shape(operands[k])).copy()
        result = np.zeros((len(g), *np.shape(operands[k])))
        grids = np.indices([sizes[c] for c in unique], sparse=True)
        result[(slice(None), *(grids[unique.index(c)] for c in term))] = spread
        return np.reshape(result, lead + np.shape(operands[k]))

    return vjp


def _formula(k: int) -> Callable[..., str]:
    def formula(*operands: Array, subscripts: str = DEFAULT) -> str:
        spec = parse(subscripts)
        term = spec.inputs[k]
        others = [j for j in range(len(operands)) if j != k]
        subs, names = [spec.output, *(spec.inputs[j] for j in others)], ["grad", *(PARAMS[j] for j in others)]
        if set(term) - set(spec.output).union(*(spec.inputs[j] for j in others)):
            subs.append(term)  # ones in x's shape: they supply the letters summed in x alone
            names.append(f"pow({PARAMS[k]}, 0)")
        text = f'einsum("{",".join(subs)}->{_gradient_letters(term)}", {", ".join(names)})'
        c = _repeated(term)
        if c is None:
            return text
        size = np.shape(operands[k])[term.index(c)]
        diagonal = "[" + ", ".join(str(i) for i in range(size)) + "]"
        key = ", ".join(diagonal if letter == c else ":" for letter in term)
        return f'scatter({text}, {PARAMS[k]}, key="{key}")'

    return formula


def _partial(k: int) -> Partial:
    return Partial(_formula(k), vjp=_vjp(k))


def _jvp(index: int, args: list, out: Array, tangent: Array, subscripts: str = DEFAULT) -> Array:
    """d out = the einsum with array `index` replaced by its tangent (one more letter: the batch)."""
    spec = parse(subscripts)
    z = _free_letter(spec)
    subs = [z + term if j == index else term for j, term in enumerate(spec.inputs)]
    operands = [tangent if j == index else x for j, x in enumerate(args)]
    return _product(f"{','.join(subs)}->{z}{spec.output}", *operands)


ROWS = [
    # einsum("ij,jk->ik", a, b): products summed over the letters the output leaves out.
    Op(
        "einsum",
        PARAMS,
        _einsum,
        tuple(_partial(k) for k in range(len(PARAMS))),
        "einsum",
        check=_check,
        variadic=True,
        item_partial=_partial,
        shapes=((2, 3), (3, 4), (4, 2)),
        pointwise=False,
        options=(("subscripts", ""),),
        leading=("subscripts",),
        shape_hint='einsum("ij,jk->ik", a, b): one letter per axis of each array, one length per letter',
    ),
]

JVPS: dict[str, Jvp] = {"einsum": _jvp}
