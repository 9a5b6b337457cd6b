"""`Derivation`: what `gradcli.evaluate` returns. The frozen record (value, gradients, nodes,
steps) with its outputs in each format; it sits above the renderers it calls, so that they
import only the record.
"""

from __future__ import annotations

from .records import DerivationRecord
from .records.symbolic import DerivativesRecord


class Derivation(DerivationRecord):
    """The frozen record (value, gradients, nodes, steps) and its outputs in each format."""

    def to_json(self, brief: bool = False) -> str:
        from .render import json_out

        return json_out.render(self, brief=brief)

    def to_text(self, digits: int = 4, brief: bool = False, paths: bool = False) -> str:
        from .render import text

        return text.render(self, digits=digits, brief=brief, paths=paths)

    def to_markdown(self, digits: int = 4, brief: bool = False, paths: bool = False) -> str:
        from .render import markdown

        return markdown.render(self, digits=digits, brief=brief, paths=paths)

    def to_latex(
        self, digits: int = 4, brief: bool = False, standalone: bool = False, paths: bool = False
    ) -> str:
        from .render import latex

        return latex.render(self, digits=digits, brief=brief, standalone=standalone, paths=paths)

    def _repr_markdown_(self) -> str:
        """Jupyter shows a result as its worked derivation."""
        return self.to_markdown()


class Derivatives(DerivativesRecord):
    """What `diff` returns: the derivatives as programs of expressions, and their JSON (the
    other formats are `gradcli.render.diff`'s, which the CLI calls)."""

    def to_json(self) -> str:
        """What `gradcli diff --json` prints."""
        from .render import diff as render_diff

        return render_diff.to_json(self)
