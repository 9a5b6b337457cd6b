"""`--format json`: one strict RFC 8259 object, shaped as CONTRACT.md says. Never rounded."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]

import numpy as np

from ..numbers import plain
from ..records import DerivationRecord

SCHEMA = 1


def _has_non_finite(derivation: DerivationRecord, brief: bool, sections_finite: bool | None = None) -> bool:
    """Whether a number this output writes is nan or ±inf (`--brief` writes no node, so its
    nodes are not read: at 10^5 nodes that check was most of the JSON's time). `sections_finite`:
    the answer for `at` and `gradient` when the caller has it already."""
    arrays = [derivation.value]
    if sections_finite is None:
        arrays += [*derivation.gradient.values(), *derivation.at.values()]
    elif not sections_finite:
        return True
    if not brief:
        arrays += [n.value for n in derivation.nodes]
        arrays += [n.grad for n in derivation.nodes if n.grad is not None]
        if derivation.tangents is not None:  # forward mode's trace (an inf tangent on a cut branch)
            arrays += [row.tangent for row in derivation.tangents.rows]
    return any(not np.all(np.isfinite(a)) for a in arrays)


def _plain_option(value: object) -> object:
    """An option's value for JSON: a tuple as a list, a float that is not finite as the contract's
    strings; None, bools, ints and strings as they are."""
    if isinstance(value, tuple):
        return [_plain_option(item) for item in value]
    if isinstance(value, float):
        return plain(np.float64(value))
    return value


def to_data(derivation: DerivationRecord, brief: bool = False) -> dict:
    at = {name: plain(v) for name, v in derivation.at.items()}
    gradient = {name: plain(g) for name, g in derivation.gradient.items()}
    return _document(derivation, brief, at, gradient, None)


def _document(
    derivation: DerivationRecord, brief: bool, at: object, gradient: object, sections_finite: bool | None
) -> dict:
    """The JSON object, with `at` and `gradient` as given (their data, or render's stand-ins)."""
    from .formula import to_text

    data: dict = {
        "schema": SCHEMA,
        "source": derivation.source,
        "at": at,
        "value": plain(derivation.value),
        "gradient": gradient,
    }
    if not brief:
        nodes = []
        for node in derivation.nodes:
            item: dict = {"id": node.id, "name": node.name, "op": node.op, "inputs": list(node.inputs)}
            definition = derivation.definition(node)
            if definition is not None:
                item["formula"] = to_text(definition)
            if node.options:  # every option of the op, defaults filled in (tuples as lists)
                item["options"] = {name: _plain_option(value) for name, value in node.options}
            item["value"] = plain(node.value)
            if node.grad is not None:
                item["grad"] = plain(node.grad)
            if node.kink:
                item["kink"] = node.kink
            nodes.append(item)
        data["nodes"] = nodes
        data["output"] = derivation.output
        steps = []
        for step in derivation.steps:
            item = {
                "of": step.of,
                "wrt": step.wrt,
                "input": step.index,
                "local_formula": to_text(derivation.local_formula(step)),
                "local": plain(step.local),
                "upstream": plain(step.upstream),
                "contribution": plain(step.contribution),
            }
            kink = derivation.nodes[step.of].kink
            if kink:
                item["kink"] = kink
            if getattr(step, "cut", False):  # 0 passed on where local × upstream was not finite
                item["cut"] = True
            steps.append(item)
        data["steps"] = steps
        if derivation.tangents is not None:  # forward mode: its own table, the tangent trace
            data["tangents"] = _tangents(derivation)
    warnings = list(derivation.warnings)
    said = any("not finite" in w or "non-finite" in w for w in warnings)
    if not said and _has_non_finite(derivation, brief, sections_finite):
        warnings.append('some numbers are not finite: they are written as the strings "nan", "inf", "-inf"')
    data["warnings"] = warnings
    return data


def _tangents(derivation: DerivationRecord) -> dict:
    """`{"wrt": "x1", "element": [], "trace": [{node, tangent, formula, terms}, ...]}`: every node
    up to the output, the seeded variable's element (`[]` for a number, null for an empty
    array), each node's tangent and its terms (local × the tangent of node `wrt`, argument `input`
    of the node as in `steps`, = product; local null for a Jacobian-vector product). Formulas
    name a tangent by its node with a dot: `ẋ1/x1`."""
    from ..records.tangents import tangent_formula, term_formula
    from .formula import to_text

    trace = derivation.tangents
    assert trace is not None
    rows = []
    for row in trace.rows:
        formula = tangent_formula(derivation, row)
        item: dict = {"node": row.node, "tangent": plain(row.tangent)}
        if formula is not None:
            item["formula"] = to_text(formula)
        item["terms"] = [
            {
                "wrt": term.wrt,
                "input": term.index,
                "formula": to_text(term_formula(derivation, term)),
                "local": None if term.local is None else plain(term.local),
                "tangent": plain(term.tangent),
                "product": plain(term.product),
            }
            for term in row.terms
        ]
        rows.append(item)
    element = None if trace.element is None else list(trace.element)
    return {"wrt": trace.variable, "element": element, "trace": rows}


# Arrays of more numbers than this are written by _array_text: json's indenting encoder is pure
# Python (indent= turns the C one off) and took seconds for a 2,000 × 2,000 Jacobian.
_BIG_ARRAY = 1000


def render(derivation: DerivationRecord, brief: bool = False) -> str:
    """json.dumps(to_data(...), indent=2) to the byte, with `at`, `gradient` and a big value
    written apart: the indenting encoder is pure Python (10^5 scalars took a second), so their
    scalars are checked and turned to text all at once (json writes a float as its repr)."""
    token = os.urandom(8).hex()  # a stand-in no user text can contain (secrets costs start-up)
    texts: dict[str, str] = {}

    def stand_in(text: str) -> str:
        key = f"gradcli-text-{token}-{len(texts)}"
        texts[json.dumps(key)] = text
        return key

    at_text, at_finite = _dict_text(derivation.at, 1)
    gradient_text, gradient_finite = _dict_text(derivation.gradient, 1)
    at, gradient = stand_in(at_text), stand_in(gradient_text)
    data = _document(derivation, brief, at, gradient, at_finite and gradient_finite)
    if np.size(derivation.value) > _BIG_ARRAY:
        data["value"] = stand_in(_array_text(np.asarray(derivation.value), 1))
    text = json.dumps(data, allow_nan=False, indent=2)
    for key, part in texts.items():
        text = text.replace(key, part, 1)
    return text + "\n"


_F64 = np.dtype(np.float64)
_NOT_FINITE = {"nan": '"nan"', "inf": '"inf"', "-inf": '"-inf"'}


def _dict_text(arrays: Mapping[str, object], level: int) -> tuple[str, bool]:
    """The text json.dumps gives {name: plain(array)} (indent=2) opened at this indent level, and
    whether all its numbers are finite. Float64 scalars are gathered into one array: one finite
    check, one tolist, repr's text (json's own for a float)."""
    if not arrays:
        return "{}", True
    values = list(arrays.values())
    scalar = [i for i, v in enumerate(values) if getattr(v, "dtype", None) is _F64 and v.ndim == 0]
    texts: list[str] = [""] * len(values)
    numbers = np.array([values[i] for i in scalar], dtype=np.float64)
    finite = bool(np.isfinite(numbers).all())
    words = map(float.__repr__, numbers.tolist())
    if not finite:
        words = (_NOT_FINITE.get(word, word) for word in words)
    for i, word in zip(scalar, words, strict=True):
        texts[i] = word
    done = set(scalar)
    inner = "  " * (level + 1)
    for i, value in enumerate(values):
        if i not in done:
            finite = finite and bool(np.all(np.isfinite(value)))
            texts[i] = _value_text(value, level + 1)
    keys = map(encode_basestring_ascii, arrays)
    lines = [f"{inner}{key}: {text}" for key, text in zip(keys, texts, strict=True)]
    return "{\n" + ",\n".join(lines) + "\n" + "  " * level + "}", finite


def _value_text(value: object, level: int) -> str:
    """json.dumps(plain(value), indent=2) written at this indent level."""
    if np.size(value) > _BIG_ARRAY:
        return _array_text(np.asarray(value), level)
    return json.dumps(plain(value), allow_nan=False, indent=2).replace("\n", "\n" + "  " * level)


def _array_text(array: np.ndarray, level: int) -> str:
    """The text json.dumps(..., indent=2) gives a nested list at this indent level, built from the
    C encoder's compact rows (the recursion is over the array's dimensions: at most 64)."""
    if array.ndim == 0:
        return json.dumps(plain(array), allow_nan=False)
    if len(array) == 0:
        return "[]"
    inner = "\n" + "  " * (level + 1)
    if array.ndim == 1:
        compact = json.dumps(plain(array), allow_nan=False)  # "[1.0, 2.0]": no ", " inside a number
        items = compact[1:-1].replace(", ", "," + inner)
    else:
        items = ("," + inner).join(_array_text(row, level + 1) for row in array)
    return "[" + inner + items + "\n" + "  " * level + "]"
