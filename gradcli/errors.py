"""The one error type of gradcli: a message, where it happened, and how to fix it."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A message quotes the user's text (a name, a value, a line of source): a 1 MB identifier must
# not come back as a 1 MB message. Runs of text longer than a word are cut in the middle.
_LONG_WORD = re.compile(r"\S{81,}")
_LINE_LIMIT = 240


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
        lines = [f"error: {_clipped(self.message)}"]
        if self.span is not None and self.source is not None:
            lines += _caret_lines(self.source, self.span, self.label)
        if self.hint:
            lines.append(f"hint: {_clipped(self.hint)}")
        return "\n".join(lines)


def clip(text: str, limit: int = 80) -> str:
    """`text`, or its start and end around a '…' when it is longer than `limit` characters."""
    if len(text) <= limit:
        return text
    head = (limit - 1) * 2 // 3
    return text[:head] + "…" + text[len(text) - (limit - 1 - head) :]


def _clipped(text: str) -> str:
    """Every long word cut, then every line: the message stays a few hundred characters."""
    text = _LONG_WORD.sub(lambda match: clip(match.group()), text)
    return "\n".join(clip(line, _LINE_LIMIT) for line in text.split("\n")[:20])


def _caret_lines(source: str, span: Span, label: str) -> list[str]:
    text, row = _source_line(source, span)
    # Long lines (a 100,000-term sum) are cut to a window around the spot.
    start = max(span.column - 1, 0)
    width = max(1, min(span.end - span.start, 60, len(text) - start))
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


def _source_line(source: str, span: Span) -> tuple[str, int]:
    """Line `span.line` of `source` (1-based, clamped), found from the span's offset when it
    is in range, so a 5 MB program is not split into lines to show one."""
    if 0 <= span.start <= len(source) and span.line >= 1:
        begin = source.rfind("\n", 0, span.start) + 1
        end = source.find("\n", span.start)
        return source[begin : len(source) if end < 0 else end].rstrip("\r"), span.line
    lines = source.splitlines() or [""]
    row = min(max(span.line, 1), len(lines))
    return lines[row - 1], row
