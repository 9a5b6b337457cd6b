"""Filling a worksheet from its key, as a student copying the answers would (the round trip and
the corpus): the key is `gradcli exercise --answers key.json`, the derivation's JSON, read here
without gradcli's help: node values by name, step k's local/upstream/contribution, a node's
gradient for its sum row, the gradient of each variable."""

from __future__ import annotations

import json

import numpy as np

from gradcli.numbers import format_value
from gradcli.records.grade import sheet_rows


def key_values(key_json: str) -> dict[tuple[str, str, str], np.ndarray]:
    """Every cell's right value, from the key's JSON."""
    data = json.loads(key_json)
    nodes = {node["name"]: node for node in data["nodes"]}
    cells: dict[tuple[str, str, str], np.ndarray] = {}
    for name, node in nodes.items():
        cells[("forward", name, "value")] = np.asarray(node["value"], dtype=float)
        if "grad" in node:
            cells[("backward", f"sum at {name}", "contribution")] = np.asarray(node["grad"], dtype=float)
    for k, step in enumerate(data["steps"], start=1):
        for column in ("local", "upstream", "contribution"):
            if step[column] is not None:
                cells[("backward", str(k), column)] = np.asarray(step[column], dtype=float)
        if step["local"] is None and np.ndim(step["upstream"]) == 0:
            # a loss's step shows its local gradient (p - y): the contribution for upstream 1
            shown = np.asarray(step["contribution"], dtype=float) / float(step["upstream"])
            cells[("backward", str(k), "local")] = shown
    for name, value in data["gradient"].items():
        cells[("gradient", name, "gradient")] = np.asarray(value, dtype=float)
    return cells


def answers_from_key(exercise, key_json: str, digits: int = 4) -> dict[tuple[str, str, str], str]:
    """The texts a student copies into the sheet's empty cells, to `digits` significant digits."""
    values = key_values(key_json)
    answers = {}
    for row in sheet_rows(exercise.key):
        for column in row.asks:
            where = (row.section, row.label, column)
            answers[where] = format_value(values[where], digits)
    return answers
