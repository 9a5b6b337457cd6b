"""`--format json`: one strict RFC 8259 object, shaped as CONTRACT.md says. Never rounded."""

from __future__ import annotations

import json
import math

import numpy as np

from ..derivation import Derivation

SCHEMA = 1


def plain(value):
    """A float, or nested lists of floats; NaN and ±inf become "nan", "inf", "-inf"."""
    data = np.asarray(value).tolist()
    return _strict(data)


def _strict(data):
    if isinstance(data, list):
        return [_strict(item) for item in data]
    if isinstance(data, float) and not math.isfinite(data):
        return "nan" if math.isnan(data) else ("inf" if data > 0 else "-inf")
    return data


def _has_non_finite(derivation: Derivation) -> bool:
    arrays = [derivation.value, *derivation.gradient.values(), *derivation.at.values()]
    arrays += [n.value for n in derivation.nodes] + [n.grad for n in derivation.nodes if n.grad is not None]
    return any(not np.all(np.isfinite(a)) for a in arrays)


def to_data(derivation: Derivation, brief: bool = False) -> dict:
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
                "local_formula": to_text(derivation.local_formula(step)),
                "local": plain(step.local),
                "upstream": plain(step.upstream),
                "contribution": plain(step.contribution),
            }
            kink = derivation.nodes[step.of].kink
            if kink:
                item["kink"] = kink
            steps.append(item)
        data["steps"] = steps
    warnings = list(derivation.warnings)
    if _has_non_finite(derivation) and not any("not finite" in w or "non-finite" in w for w in warnings):
        warnings.append('some numbers are not finite: they are written as the strings "nan", "inf", "-inf"')
    data["warnings"] = warnings
    return data


def render(derivation: Derivation, brief: bool = False) -> str:
    return json.dumps(to_data(derivation, brief), allow_nan=False, indent=2) + "\n"
