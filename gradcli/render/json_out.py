"""`--format json`: one strict RFC 8259 object, shaped as CONTRACT.md says. Never rounded."""

from __future__ import annotations

import json
import os

import numpy as np

from ..numbers import plain
from ..records import DerivationRecord

SCHEMA = 1


def _has_non_finite(derivation: DerivationRecord, brief: bool) -> bool:
    """Whether a number this output writes is nan or ±inf (`--brief` writes no node, so its
    nodes are not read: at 10^5 nodes that check was most of the JSON's time)."""
    arrays = [derivation.value, *derivation.gradient.values(), *derivation.at.values()]
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
    from .formula import to_text

    data: dict = {
        "schema": SCHEMA,
        "source": derivation.source,
        "at": {name: plain(v) for name, v in derivation.at.items()},
        "value": plain(derivation.value),
        "gradient": {name: plain(g) for name, g in derivation.gradient.items()},
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
    if not said and _has_non_finite(derivation, brief):
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
    data = to_data(derivation, brief)
    big: dict[str, np.ndarray] = {}
    token = os.urandom(8).hex()  # a stand-in no user text can contain (secrets costs start-up)

    def stand_in(array) -> str:
        key = f"gradcli-array-{token}-{len(big)}"
        big[json.dumps(key)] = np.asarray(array)
        return key

    for section, arrays in (("at", derivation.at), ("gradient", derivation.gradient)):
        for name, array in arrays.items():
            if np.size(array) > _BIG_ARRAY:
                data[section][name] = stand_in(array)
    if np.size(derivation.value) > _BIG_ARRAY:
        data["value"] = stand_in(derivation.value)
    text = json.dumps(data, allow_nan=False, indent=2)
    for key, array in big.items():
        start = text.index(key)
        line = text[text.rfind("\n", 0, start) + 1 : start]
        level = (len(line) - len(line.lstrip(" "))) // 2
        text = text.replace(key, _array_text(array, level), 1)
    return text + "\n"


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
