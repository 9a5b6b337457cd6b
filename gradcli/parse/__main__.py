"""`python -m gradcli.parse --write-tables`: rebuild grammars/expr.tables.json after the grammar
(or Lark) changed."""

import sys

from . import write_tables

if sys.argv[1:] == ["--write-tables"]:
    print(f"wrote {write_tables()}")
