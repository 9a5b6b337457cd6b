"""The one simplifier: hash-consed terms, simplified as each one is made.

A term is an int; its key is ("num", value) | ("num", value, text) | ("name", text) | ("neg", a)
| (binary op, a, b) | ("call", function, *args) | ("callkw", function, options, *args) (a call
with options: ((name, value), ...) as the source gave them) | ("at", key, a) (`a[key]`, the key
as the source writes it: `0`, `1:3`, `:, 0`) | ("stack", *items) (an array literal) | ("expr",
an AST node kept whole). Children always have smaller ids, so id order is topological and
nothing here recurses.

Two callers, two rule sets over the same code:

- a step's formula in a derivation (`expr.simplify`, `full=False`): literals fold (`2*3` is 6)
  and identities drop (`1*x`, `x^1`, `x+0`, `0*x`, `--x`), and nothing else, so a formula still
  reads as the op table writes it; a literal keeps the text it was written with (`1e3`).
- `gradcli diff` (`full=True`, the default): also like terms (`x + x` is `2*x`), signs moved out
  of products and sums (`a + (-y)` is `a - y`), numbers first in products, `0/x` is 0; literals
  fold only to finite numbers.

Division and powers of literals never fold (`1/3` stays exact and readable).

`diff` also carries `where` through its adjoints: where(c, g, 0) × r is where(c, g*r, 0) (the
cut branch gets no product, as backprop gives it none), -where(c, p, q) is where(c, -p, -q) when
a branch is 0, and where(c, p, q) + where(c, s, t) is where(c, p + s, q + t).
"""

from __future__ import annotations

import math

# The binary operators the rules know; any other (`@`) is kept as it is.
ARITHMETIC = frozenset(("add", "sub", "mul", "div", "pow"))


class Terms:
    """Hash-consed expressions with the simplifications applied as each term is made."""

    def __init__(self, full: bool = True) -> None:
        self.full = full
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
        return self.keys[term][0] in ("num", "name", "expr")

    def children(self, term: int) -> tuple[int, ...]:
        key = self.keys[term]
        kind = key[0]
        if kind in ("num", "name", "expr"):
            return ()
        if kind == "call":
            return key[2:]
        if kind == "callkw":
            return key[3:]
        if kind == "at":
            return key[2:]
        return key[1:]

    # --- leaves ---------------------------------------------------------------------------------

    def num(self, value: float) -> int:
        return self._intern(("num", float(value) + 0.0))  # + 0.0: one zero, not two

    def literal(self, value: float, text: str) -> int:
        """A number as the source wrote it: a derivation's formula keeps `1e3`; `diff` writes
        every number its shortest way, so that equal numbers are one term."""
        return self.num(value) if self.full else self._intern(("num", value, text))

    def name(self, text: str) -> int:
        return self._intern(("name", text))

    def opaque(self, node: object) -> int:
        """An AST node the rules do not look into (an array literal, an index)."""
        return self._intern(("expr", node))

    def at(self, key: str, a: int) -> int:
        """`a[key]`: an element, a row, a range or a list of elements of an array."""
        return self._intern(("at", key, a))

    def stack(self, items: tuple[int, ...]) -> int:
        """`[a, b, c]`: an array literal of terms of one shape."""
        return self._intern(("stack", *items))

    def plain(self, op: str, *args: int) -> int:
        """`a op b` (or `op(a, ...)`) exactly as written, unsimplified: a node whose simplified
        form would lose its shape (`x * 0` is an array of zeros, not the number 0)."""
        return self._intern((op, *args))

    def ones(self, a: int) -> int:
        """`a^0`: ones in a's shape (1 even where a is inf or nan), unsimplified, so that a
        gradient can be broadcast to an array's shape in gradcli's language."""
        return self._intern(("pow", a, self.num(0)))

    def _fold(self, value: float) -> int | None:
        return self.num(value) if math.isfinite(value) or not self.full else None

    # --- operations -----------------------------------------------------------------------------

    def binary(self, op: str, a: int, b: int) -> int:
        if op in ARITHMETIC:
            return getattr(self, op)(a, b)
        return self._intern((op, a, b))

    def call(self, function: str, args: tuple[int, ...], options: tuple = ()) -> int:
        """`function(*args)`, with its options (name, value) pairs when it has any."""
        if options:
            return self._intern(("callkw", function, tuple(options), *args))
        if self.full and function == "where" and len(args) == 3 and args[1] == args[2]:
            return args[1]  # where(c, x, x) is x
        return self._intern(("call", function, *args))

    def _where(self, term: int) -> tuple[int, int, int] | None:
        """(c, a, b) of a term where(c, a, b) with a branch that is 0 (an adjoint's), else None."""
        key = self.keys[term]
        if (
            key[0] == "call"
            and key[1] == "where"
            and len(key) == 5
            and 0 in (self.value(key[3]), self.value(key[4]))
        ):
            return key[2], key[3], key[4]
        return None

    def neg(self, a: int) -> int:
        key = self.keys[a]
        if key[0] == "num":
            return self.num(-key[1])
        if key[0] == "neg":
            return key[1]
        if self.full and (parts := self._where(a)) is not None:
            c, p, q = parts
            return self.call("where", (c, self.neg(p), self.neg(q)))
        if self.full and key[0] == "sub":  # -(x - y) = y - x, exactly
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
        if not self.full:
            return self._intern(("add" if sign == 1 else "sub", a, b))
        wa, wb = self._where(a), self._where(b)
        if wa is not None and wb is not None and wa[0] == wb[0]:
            return self.call("where", (wa[0], self._sum(wa[1], wb[1], sign), self._sum(wa[2], wb[2], sign)))
        # Like terms: x + x = 2*x, 2*x + x = 3*x, x - x = 0 (500 x's summed are 500*x, not 500 lines).
        ca, za = self._coefficient(a)
        cb, zb = self._coefficient(b)
        cb *= sign
        if za == zb and self.kind(za) != "num" and math.isfinite(ca + cb):
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
            if z == zb and math.isfinite(sign * c + cb):
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
        if not self.full:
            return self._intern(("mul", a, b))
        for w, r in ((a, b), (b, a)):  # where(c, g, 0) * r = where(c, g*r, 0): no product on the cut side
            if (parts := self._where(w)) is not None:
                c, p, q = parts
                return self.call("where", (c, self.mul(p, r), self.mul(q, r)))
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
        if va is not None and inner is not None and math.isfinite(va * inner):  # 2*(3*x) = 6*x
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
        if not self.full:
            return self._intern(("div", a, b))
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
