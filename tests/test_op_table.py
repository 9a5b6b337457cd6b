"""The op table is assembled from one module per kind of op (gradcli/ops/*.py): every row of
every module is in the table, under a name no other row has, so a row added to a module (or a
module added to the package) cannot be left out of the table silently."""

from __future__ import annotations

import importlib
import pkgutil

import gradcli.ops
from gradcli.ops import OPS, Op

# Modules of the package that hold no rows.
_NOT_ROWS = {"row"}


def _row_modules() -> list[str]:
    names = [info.name for info in pkgutil.iter_modules(gradcli.ops.__path__)]
    return sorted(name for name in names if name not in _NOT_ROWS)


def test_every_module_of_rows_is_in_the_table():
    rows = []
    for name in _row_modules():
        module = importlib.import_module(f"gradcli.ops.{name}")
        assert all(isinstance(op, Op) for op in module.ROWS), name
        rows += module.ROWS
    names = [op.name for op in rows]
    assert len(names) == len(set(names)), "two rows share a name"
    assert set(names) == set(OPS)
    assert all(OPS[op.name] is op for op in rows)
