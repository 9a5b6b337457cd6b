"""`diff`'s derivatives as a student writes them: a canonical sum of products.

The backward pass (`backward.py`) builds its terms with `gradcli.simplify`'s local rules, which
see one operation at a time: `2*sin(x)*cos(x) - 2*cos(x)*sin(x)` stays, `x/x^2` stays. This pass
rewrites the finished derivatives once, as a few rules over the term DAG:

- flatten: `+`, `-` and unary minus into one sum; `*` and `/` into one product;
- a product is a coefficient times bases with exponents: `x^2 * x^-1` is `x`, `s*(1-s)/s` is
  `1 - s` (like factors collected: their exponents add, a 0 exponent drops the base);
- a sum is a set of products with coefficients: like terms collected (`a*x - a*x` is 0);
- constants fold; a whole or short decimal coefficient is an exact fraction (`x/3` keeps 1/3,
  `x/(0.3*x)` cancels);
- a power of a product with a whole exponent distributes: `(3*x)^2` is `9 * x^2`, `(x^2)^-1`
  is `x^-2`; with any other exponent it stays whole (`(x^2)^0.5` is |x|, not x).

It assumes, as textbooks and sympy do, that the expression is defined: `x/x` becomes 1 (where x
is 0 the original is nan). Where both are defined the values are equal up to rounding
(tests/test_textbook_derivatives.py checks that on random expressions).

Printing order (`DerivativeProgram` keeps it): in a product the coefficient first, then the
factors by kind (a number, a variable, a function call, a power with a symbolic exponent, a sum,
anything else), each kind by name, numbers in names by value (`2 * x * cos(x^2)`,
`cos(x) * sin(x)`, `w2 * w10`); factors with a negative exponent go under one `/`. In a sum the
positive terms come first, then the negative ones (a sum of negative terms only is written
`-(a + b)`); within each, by descending degree in the variables (`3 * x^2 + 2 * x + 1`), a
constant before the other terms of its degree (`1 + tan(x)^2`), then more factors first
(`2 * x * log(x) + x`), then by the factors' order.

A quotient, a product with a sum, or a sum, used more than once (the writer names it once:
`d_d = f/(1 + f)^2`) stays whole inside another product or sum unless opening it collects
something. A chain of single-use sums or products is opened as it goes, so a sum of 10^5 terms
is one pass, and nothing recurses.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from fractions import Fraction

from ..simplify import Terms

Coefficient = Fraction | float
Monomial = tuple[tuple[int, float], ...]  # (base term, exponent), by base id
Poly = dict[Monomial, Coefficient]  # a sum of coefficient × monomial; () is the constant

SUMS = frozenset(("add", "sub", "neg"))
PRODUCTS = frozenset(("mul", "div"))
# The order of a product's factors by their kind (then by name).
RANK = {"num": 0, "name": 1, "call": 2, "callkw": 2, "pow": 3, "add": 4, "sub": 4, "neg": 4}
SIGNATURE_LENGTH = 80
# A coefficient stays an exact fraction while its denominator is at most this.
MAX_DENOMINATOR = 1000


def _coefficient(value: float) -> Coefficient:
    """A number as an exact fraction of its shortest decimal text when that is a short one (2,
    0.3 as 3/10, so that 1/3 stays 1/3 and x/0.3 cancels), anything else as it is."""
    if not math.isfinite(value):
        return value
    exact = Fraction(repr(value))
    return exact if exact.denominator <= MAX_DENOMINATOR and abs(exact.numerator) < 2**53 else value


def _power(c: Coefficient, n: float) -> Coefficient | None:
    """c^n for a whole n, or None when it does not fold to a finite number."""
    if c == 0 and n < 0:
        return None
    if isinstance(c, Fraction) and abs(n) > 64:
        c = float(c)  # no thousand-digit fractions
    try:
        folded = c ** int(n)
    except (OverflowError, ZeroDivisionError):
        return None
    return folded if isinstance(folded, Fraction) or math.isfinite(folded) else None


def _class(kind: str) -> str:
    return "sum" if kind in SUMS else "product" if kind in PRODUCTS else kind


class Canonical:
    """The canonical forms of the terms of one DAG, each computed once, in id order."""

    def __init__(self, terms: Terms, roots: Iterable[int]) -> None:
        self.terms = terms
        self.forms: dict[int, Poly] = {}
        self.built: dict[int, int] = {}  # term -> its canonical term
        self.signatures: dict[int, str] = {}
        self.sums: dict[int, Poly] = {}  # a built sum -> its form
        order, self.uses, parent = _reachable(terms, roots)
        kinds = terms.keys
        # A single-use sum inside a sum (a product inside a product) is opened by its parent.
        absorbed = {
            t
            for t in order
            if self.uses[t] == 1 and t in parent and _class(kinds[t][0]) == _class(kinds[parent[t]][0])
        }
        absorbed -= {t for t in order if _class(kinds[t][0]) not in ("sum", "product")}
        for term in order:
            if term not in absorbed:
                self.forms[term] = self._form(term)

    def __call__(self, term: int) -> int:
        """The canonical term of `term` (a term the constructor reached and did not absorb)."""
        found = self.built.get(term)
        if found is None:
            found = self.built[term] = self.build(self.forms[term])
            if len(self.forms[term]) > 1:
                self.sums[found] = self.forms[term]
        return found

    # --- forms ----------------------------------------------------------------------------------

    def _form(self, term: int) -> Poly:
        key = self.terms.keys[term]
        kind = key[0]
        if kind == "num":
            c = _coefficient(key[1])
            return {(): c} if c != 0 else {}
        if kind in SUMS:
            return self._sum(term)
        if kind in PRODUCTS:
            return self._product(term)
        if kind == "pow" and self.terms.value(key[2]) is not None:
            return self._pow(self.forms[key[1]], float(self.terms.value(key[2])))
        return {((self._atom(term), 1.0),): Fraction(1)}

    def _atom(self, term: int) -> int:
        """A term the rules do not look into, over the canonical forms of its inputs."""
        terms, key = self.terms, self.terms.keys[term]
        kind = key[0]
        if kind in ("name", "expr", "at", "stack"):
            return term
        if kind == "call":
            return terms.call(key[1], tuple(self(a) for a in key[2:]))
        if kind == "callkw":
            return terms.call(key[1], tuple(self(a) for a in key[3:]), key[2])
        return terms.plain(kind, *(self(a) for a in key[1:]))

    def _pow(self, base: Poly, n: float) -> Poly:
        if n == 0:
            return {(): Fraction(1)}
        if not base and n > 0:
            return {}  # 0^n
        if len(base) == 1:
            ((monomial, c),) = base.items()
            whole = math.isfinite(n) and n == int(n)
            folded = _power(c, n) if whole else (c if c == 1 else None)
            if folded is not None and (whole or (len(monomial) <= 1 and all(e == 1 for _, e in monomial))):
                return {tuple((b, e * n) for b, e in monomial): folded}
        return {((self.build(base), n),): Fraction(1)}

    def _leaves(self, term: int, kinds: frozenset[str]) -> list[tuple[int, int]]:
        """(sign, leaf): the operands of a chain of sums (or products), opened through the
        single-use links; the sign is ±1 (a sum's sign, or a product's exponent)."""
        leaves, stack = [], [(1, term)]
        while stack:
            sign, t = stack.pop()
            key = self.terms.keys[t]
            if key[0] not in kinds or (t != term and t in self.forms):
                leaves.append((sign, t))
            elif key[0] == "neg":
                stack.append((-sign, key[1]))
            else:
                second = -sign if key[0] in ("sub", "div") else sign
                stack += [(second, key[2]), (sign, key[1])]
        return leaves

    def _opened(self, form: Poly) -> Poly:
        """The form with a term that is a sum alone (`1 - s` of `s*(1-s)/s`) opened into it."""
        if not any(len(m) == 1 and m[0][1] == 1 and m[0][0] in self.sums for m in form):
            return form
        total: Poly = {}
        for monomial, c in form.items():
            inner = self.sums.get(monomial[0][0]) if len(monomial) == 1 and monomial[0][1] == 1 else None
            for m, k in inner.items() if inner is not None else ((monomial, Fraction(1)),):
                _add(total, m, c * k)
        return total

    def _sum(self, term: int) -> Poly:
        leaves = [(sign, leaf, self._opened(self.forms[leaf])) for sign, leaf in self._leaves(term, SUMS)]
        counts: dict[Monomial, int] = {}
        for _, _, form in leaves:
            for monomial in form:
                counts[monomial] = counts.get(monomial, 0) + 1
        total: Poly = {}
        for sign, leaf, form in leaves:
            # A shared sum stays whole unless one of its terms has a like term outside it.
            if len(form) > 1 and self.uses[leaf] > 1 and all(counts[m] == 1 for m in form):
                form = {((self(leaf), 1.0),): Fraction(1)}
            for monomial, c in form.items():
                _add(total, monomial, sign * c)
        return total

    def _product(self, term: int) -> Poly:
        leaves = [(sign, leaf, self.forms[leaf]) for sign, leaf in self._leaves(term, PRODUCTS)]
        counts: dict[int, int] = {}  # in how many leaves each base is
        for _, leaf, form in leaves:
            for base in (b for m in form for b, _ in m) if len(form) == 1 else (self(leaf),):
                counts[base] = counts.get(base, 0) + 1
        c: Coefficient = Fraction(1)
        exponents: dict[int, float] = {}
        for sign, leaf, form in leaves:
            if not form and sign == 1:
                return {}  # 0 × anything: 0
            if len(form) == 1:
                ((monomial, k),) = form.items()
                # A shared quotient or product with a sum (f/(1 + f)^2) is worth its name.
                shared = self.uses[leaf] > 1 and len(monomial) > 1
                shared = shared and any(e < 0 or b in self.sums for b, e in monomial)
                if not (shared and all(counts[b] == 1 for b, _ in monomial)):
                    folded = k if sign == 1 else _power(k, -1) if isinstance(k, Fraction) else None
                    if folded is None:  # a decimal under the `/` stays there: x/(0.123 * y)
                        number = self.terms.num(float(k))
                        exponents[number] = exponents.get(number, 0.0) - 1
                        folded = Fraction(1)
                    c *= folded
                    for base, e in monomial:
                        exponents[base] = exponents.get(base, 0.0) + sign * e
                    continue
            base = self(leaf)  # a sum, a shared product, 0 or a decimal under the `/`: whole
            exponents[base] = exponents.get(base, 0.0) + sign
        if c == 0:
            return {}
        return {tuple(sorted((b, e) for b, e in exponents.items() if e != 0)): c}

    # --- terms ----------------------------------------------------------------------------------

    def signature(self, term: int) -> tuple[int, str]:
        """The sort key of a factor: its kind, then its text (cut short; ties are rare and
        broken by the term's id, which is deterministic for one input)."""
        found = self.signatures.get(term)
        if found is None:
            stack = [term]
            while stack:
                t = stack[-1]
                todo = [c for c in self.terms.children(t) if c not in self.signatures]
                if todo:
                    stack += todo
                    continue
                stack.pop()
                key = self.terms.keys[t]
                label = str(key[1]) if key[0] in ("num", "name", "call", "callkw") else key[0]
                if key[0] == "name":  # y2 before y10
                    label = re.sub(r"\d+", lambda m: m.group().zfill(12), label)
                inner = ",".join(self.signatures[c] for c in self.terms.children(t))
                self.signatures[t] = f"{label}({inner})"[:SIGNATURE_LENGTH] if inner else label
            found = self.signatures[term]
        return RANK.get(self.terms.kind(term), 5), found

    def _number(self, c: Coefficient) -> int:
        terms = self.terms
        if isinstance(c, Fraction) and c.denominator != 1:
            return terms.plain("div", terms.num(c.numerator), terms.num(c.denominator))
        return terms.num(float(c))

    def _product_term(self, factors: list[tuple[int, float]]) -> int | None:
        terms, result = self.terms, None
        for base, e in factors:
            factor = base if e == 1 else terms.plain("pow", base, terms.num(e))
            result = factor if result is None else terms.plain("mul", result, factor)
        return result

    def monomial(self, monomial: Monomial, c: Coefficient) -> int:
        """c × the monomial, c ≥ 0: `2 * x * cos(x)`, `x/(2 * y^2)`."""
        terms = self.terms
        ordered = sorted(monomial, key=lambda item: (self.signature(item[0]), item[1]))
        up = [(b, e) for b, e in ordered if e > 0]
        down = [(b, -e) for b, e in ordered if e < 0]
        if isinstance(c, Fraction) and c.denominator != 1:
            down.insert(0, (terms.num(c.denominator), 1.0))
            c = Fraction(c.numerator)
        if c != 1 or not up:
            up.insert(0, (self._number(c), 1.0))
        top = self._product_term(up)
        bottom = self._product_term(down)
        return top if bottom is None else terms.plain("div", top, bottom)  # type: ignore[arg-type]

    def build(self, form: Poly) -> int:
        """The term of a form, in the printing order."""
        terms = self.terms
        if not form:
            return terms.num(0)
        if len(form) > 1 and all(c < 0 for c in form.values()):  # -(a + b), not -a - b
            return terms.plain("neg", self.build({m: -c for m, c in form.items()}))

        def order(item: tuple[Monomial, Coefficient]) -> tuple:
            monomial, c = item
            degree = sum(e for b, e in monomial if terms.kind(b) == "name")
            factors = sorted((self.signature(b), e) for b, e in monomial)
            return (not c >= 0, -degree, len(monomial) > 0, -len(monomial), tuple(factors))

        result = None
        for monomial, c in sorted(form.items(), key=order):
            negative = c < 0
            term = self.monomial(monomial, -c if negative else c)
            if result is None:
                result = terms.plain("neg", term) if negative else term
            else:
                result = terms.plain("sub" if negative else "add", result, term)
        return result  # type: ignore[return-value]


def _add(total: Poly, monomial: Monomial, c: Coefficient) -> None:
    value = total.get(monomial, 0) + c
    if value == 0:
        total.pop(monomial, None)
    else:
        total[monomial] = value


def _reachable(terms: Terms, roots: Iterable[int]) -> tuple[list[int], dict[int, int], dict[int, int]]:
    """The terms the roots use in id (topological) order, how many times each is used (a root
    once more), and the one parent of each term used once."""
    uses: dict[int, int] = {}
    parent: dict[int, int] = {}
    stack = list(dict.fromkeys(roots))
    for root in stack:
        uses[root] = 1
    seen = set(stack)
    while stack:
        term = stack.pop()
        for child in terms.children(term):
            uses[child] = uses.get(child, 0) + 1
            parent[child] = term
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return sorted(seen), uses, parent


def canonical_roots(terms: Terms, roots: dict[str, int]) -> tuple[Canonical, dict[str, int]]:
    """Each derivative in its canonical form (and the forms of the terms it uses)."""
    forms = Canonical(terms, roots.values())
    return forms, {name: forms(term) for name, term in roots.items()}
