"""The one error type of gradcli: a message, where it happened, and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """A place in a source text: 1-based line and column, 0-based offsets [start, end)."""

    line: int
    column: int
    start: int
    end: int


class GradcliError(Exception):
    """Bad input: the CLI prints `render()` to stderr and exits with code 2.

    `source` is the text the span points into (the program, or an `--at` value);
    `label` names it in the message ("expression", "--at").
    """

    def __init__(
        self,
        message: str,
        *,
        span: Span | None = None,
        source: str | None = None,
        hint: str | None = None,
        label: str = "expression",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.source = source
        self.hint = hint
        self.label = label

    def located(self, source: str, label: str = "expression") -> GradcliError:
        """The same error, pointing into `source` (when it had no text of its own)."""
        if self.source is None:
            self.source = source
            self.label = label
        return self

    def render(self) -> str:
        lines = [f"error: {self.message}"]
        if self.span is not None and self.source is not None:
            lines += _caret_lines(self.source, self.span, self.label)
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)


def _caret_lines(source: str, span: Span, label: str) -> list[str]:
    source_lines = source.splitlines() or [""]
    row = min(max(span.line, 1), len(source_lines))
    text = source_lines[row - 1]
    # Long lines (a 100,000-term sum) are cut to a window around the spot.
    start = max(span.column - 1, 0)
    width = max(1, min(span.end - span.start, 60))
    left = max(0, start - 40)
    shown = text[left : start + 60]
    prefix = "…" if left > 0 else ""
    if start + 60 < len(text):
        shown += "…"
    shown = _printable(shown)
    where = f"  --> {label}, line {row}, column {span.column}"
    pad = " " * (len(prefix) + start - left)
    return [where, f"   | {prefix}{shown}", f"   | {pad}{'^' * width}"]


def _printable(text: str) -> str:
    """Control characters (a NUL byte, say) shown as one visible character each, so the caret lines up."""
    return "".join(ch if ch.isprintable() or ch == "\t" else "?" for ch in text)
