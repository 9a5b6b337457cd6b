"""`Derivation`: what `gradcli.evaluate` returns. The frozen record (value, gradients, nodes,
steps) with its outputs in each format; it sits above the renderers it calls, so that they
import only the record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .records import DerivationRecord
from .records.symbolic import DerivativesRecord

if TYPE_CHECKING:
    import numpy as np

# What a result of the scalar fast path makes only when asked: the full path's nodes and steps
# (and the locals shown for its steps, which are keyed by them).
DEFERRED = ("nodes", "steps", "shown")


class Derivation(DerivationRecord):
    """The frozen record (value, gradients, nodes, steps) and its outputs in each format."""

    @classmethod
    def deferred(
        cls,
        source: str,
        at: dict[str, np.ndarray],
        value: np.ndarray,
        gradient: dict[str, np.ndarray],
        output: int,
        wrt: tuple[str, ...],
        full: Callable[[], DerivationRecord],
    ) -> Derivation:
        """A result whose value and gradients are known (the scalar fast path: no warnings) and
        whose nodes and steps are the full path's, `full()`'s, made the first time one is read."""
        result = cls.__new__(cls)
        result.__dict__.update(
            source=source,
            at=at,
            value=value,
            gradient=gradient,
            output=output,
            wrt=wrt,
            warnings=[],
            mode="reverse",
            _full=full,
        )
        return result

    def __getattr__(self, name: str) -> object:
        # Python asks only for an attribute not set: a deferred result's nodes or steps.
        full = self.__dict__.get("_full") if name in DEFERRED else None
        if full is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        record = full()
        self.__dict__.update({deferred: getattr(record, deferred) for deferred in DEFERRED})
        self.__dict__.pop("_full", None)  # (another thread may have made them too: the same)
        return self.__dict__[name]

    def __getstate__(self) -> dict[str, object]:
        """Pickled and copied whole: the deferred nodes and steps made first."""
        for name in DEFERRED:
            getattr(self, name)
        return dict(self.__dict__)

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

    def _repr_html_(self) -> str:
        """Jupyter shows a result as the page to click through (`--format html`), inline: its
        own id on the notebook's page, its style and script scoped to it."""
        import uuid

        from .render import html

        return html.render(self, standalone=False, root=f"gradcli-{uuid.uuid4().hex[:12]}")

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
