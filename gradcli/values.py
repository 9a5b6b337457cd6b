"""`--at NAME=VALUE,...` → values: numbers, constant expressions (`pi/4`), arrays (`[[1,2],[3,4]]`),
and values read from files (`W=@w.npy`; `--at-file params.npz` for many: gradcli.valuefiles).

Values go through the expression grammar like everything else the user types: nothing is
ever run as Python.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable

import numpy as np

from .errors import GradcliError, Span
from .expr import Assign, Expr, Program
from .ops import CONSTANTS
from .parse import parse_program

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LABEL = "--at"
# A plain number as the grammar reads one (an optional sign, then its NUMBER token, ASCII digits
# only), with the blanks it skips around it. float() reads exactly these, to the value the parser
# and the graph give (a sign is exact), so such a value skips the parser: 10^5 values in --at
# took seconds there. Anything else (pi/4, [1,2], 1_0, 1e400, '١') goes through the parser.
_NUMBER = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_PLAIN_NUMBER = re.compile(rf"[ \t\f\r]*({_NUMBER})[ \t\f\r]*")
_PLAIN_PAIR = re.compile(rf"([A-Za-z_][A-Za-z0-9_]*)=({_NUMBER})")  # x=1.5, nothing around it


class AtValue:
    """A value given on the command line, with where it was given (for error messages).

    A small class rather than a frozen dataclass: 10^5 values in `--at` make 10^5 of them, and
    the span of each is made only when a message asks for it."""

    __slots__ = ("_span", "label", "text", "value")

    def __init__(
        self, value: np.ndarray, text: str, span: Span | tuple[int, int], label: str = _LABEL
    ) -> None:
        self.value = value  # a float64 array, or a numpy float64 scalar
        self.text = text  # the whole --at argument (for --at-file: the file's path)
        self.label = label  # the option that gave it: --at or --at-file
        self._span = span  # the NAME=VALUE pair within the text, or its (start, end) on line 1

    @property
    def span(self) -> Span:
        if type(self._span) is tuple:
            start, end = self._span
            self._span = Span(1, start + 1, start, end)
        return self._span

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AtValue):
            return NotImplemented
        mine, theirs = (
            (self.value, self.text, self.span, self.label),
            (other.value, other.text, other.span, other.label),
        )
        return mine == theirs

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"AtValue(value={self.value!r}, text={self.text!r}, span={self.span!r}, label={self.label!r})"


def _split_top_level(text: str) -> list[tuple[int, str]]:
    """Split at commas outside (...) and [...]; return (offset, piece) pairs. A file's path
    (`W=@runs[2]/w.npy`) ends at the next comma, whatever brackets it holds."""
    if "(" not in text and "[" not in text and "@" not in text:  # no brackets: every comma splits
        split = text.split(",")
        return list(
            zip(itertools.accumulate([len(piece) + 1 for piece in split[:-1]], initial=0), split, strict=True)
        )
    pieces, depth, start, path = [], 0, 0, False
    for i, char in enumerate(text):
        if path and char != ",":
            continue
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(depth - 1, 0)
        elif char == "@" and depth == 0 and text[start:i].rstrip().endswith("="):
            path = True
        elif char == "," and depth == 0:
            pieces.append((start, text[start:i]))
            start, path = i + 1, False
    pieces.append((start, text[start:]))
    return pieces


def _shifted(error: GradcliError, text: str, offset: int) -> GradcliError:
    span = error.span
    if span is not None and span.line == 1:
        span = Span(1, span.column + offset, span.start + offset, span.end + offset)
    return GradcliError(error.message, span=span, source=text, hint=error.hint, label=_LABEL)


def constant_value(expr: Expr, source: str) -> np.ndarray:
    """The value of an expression without variables: a number, `pi/4`, or a nested array.

    Arrays go through the graph builder like any expression: it is iterative (1,200 nested
    brackets do not recurse) and gives array literals numpy's shapes, or a shape error.
    """
    from .graph import build_graph, program_names

    program = Program((expr,), source)
    names = program_names(program)
    unknown = [name for name in names.free if name not in CONSTANTS]
    if unknown:
        raise GradcliError(
            f"a value cannot use the name {unknown[0]!r}",
            span=names.free[unknown[0]],
            source=source,
            hint="a value is a number, a constant expression such as pi/4, or an array such as [1,2,3]",
        )
    graph = build_graph(program, {})
    return graph.nodes[graph.output].value


def parse_at(options: list[str]) -> dict[str, AtValue]:
    """Every `--at` option, in order; a name given twice is an error."""
    values: dict[str, AtValue] = {}
    for text in options:
        plain = _plain_pairs(text)
        if plain is not None and values.keys().isdisjoint(plain):
            values.update(plain)
            continue  # else a name given twice: the careful path below says where
        for offset, piece in _split_top_level(text):
            name, value = _parse_pair(text, offset, piece)
            if name in values:
                raise GradcliError(
                    f"{name!r} is given twice",
                    span=value.span,
                    source=text,
                    label=_LABEL,
                    hint="give each variable one value",
                )
            values[name] = value
    return values


def _plain_pairs(text: str) -> dict[str, AtValue] | None:
    """An option of plain `name=number` pairs only (`w0=2,x0=-1.5`, nothing around them), each
    name once, read at once: what _parse_pair gives each of them. None for anything else (the
    careful path, which names a name given twice)."""
    if "(" in text or "[" in text or "@" in text:
        return None
    pairs: dict[str, AtValue] = {}
    start, fullmatch, isfinite = 0, _PLAIN_PAIR.fullmatch, math.isfinite
    pieces = text.split(",")
    for piece in pieces:
        pair = fullmatch(piece)
        if pair is None:
            return None
        name, number_text = pair.groups()
        number = float(number_text)
        if not isfinite(number):
            return None
        end = start + len(piece)
        pairs[name] = AtValue(np.float64(number), text, (start, end))
        start = end + 1
    return pairs if len(pairs) == len(pieces) else None


def _parse_pair(text: str, offset: int, piece: str) -> tuple[str, AtValue]:
    pair = _PLAIN_PAIR.fullmatch(piece)
    if pair is not None:  # the usual x=1.5: what the checks below would find, at once
        number = float(pair.group(2))
        if math.isfinite(number):
            span = Span(1, offset + 1, offset, offset + len(piece))
            return pair.group(1), AtValue(np.float64(number), text, span)
    stripped = piece.strip()
    lead = offset + len(piece) - len(piece.lstrip())
    span = Span(1, lead + 1, lead, lead + max(len(stripped), 1))
    if not stripped:
        raise GradcliError(
            "empty entry in --at",
            span=span,
            source=text,
            label=_LABEL,
            hint="write NAME=VALUE pairs separated by commas: --at x=1,y=2",
        )
    if "=" not in stripped:
        raise GradcliError(
            f"expected NAME=VALUE, got {stripped!r}",
            span=span,
            source=text,
            label=_LABEL,
            hint=f"write {stripped}=1 (pairs are separated by commas: --at x=1,y=2)",
        )
    name, _, value_text = stripped.partition("=")
    name = name.strip()
    if not name:
        raise GradcliError(
            "no name before '='",
            span=span,
            source=text,
            label=_LABEL,
            hint=f"write NAME=VALUE, e.g. x={value_text.strip() or 1}",
        )
    if not _IDENTIFIER.fullmatch(name):
        raise GradcliError(
            f"{name!r} is not a variable name",
            span=Span(1, lead + 1, lead, lead + max(len(name), 1)),
            source=text,
            label=_LABEL,
            hint="names are letters, digits and '_', not starting with a digit",
        )
    value_offset = lead + stripped.index("=") + 1
    if not value_text.strip():
        raise GradcliError(
            f"no value after {name}=",
            span=Span(1, value_offset + 1, value_offset, value_offset + 1),
            source=text,
            label=_LABEL,
            hint=f"write {name}=1, {name}=pi/4 or {name}=[1,2,3]",
        )
    if value_text.lstrip().startswith("@"):
        return name, _file_value(name, text, value_offset, value_text, span)
    plain = _PLAIN_NUMBER.fullmatch(value_text)
    if plain is not None:
        number = float(plain.group(1))
        if math.isfinite(number):  # 1e400: the parser says what is wrong
            return name, AtValue(np.float64(number), text, span)
    try:
        program = parse_program(value_text, unused_is_error=False)  # "must be one expression" below
        single = len(program.statements) == 1 and not isinstance(program.statements[0], Assign)
        value = constant_value(program.statements[0], value_text) if single else None
    except GradcliError as error:
        raise _shifted(error, text, value_offset) from None
    if value is None:
        raise GradcliError(
            f"the value of {name} must be one expression",
            span=span,
            source=text,
            label=_LABEL,
            hint="commas inside [...] or (...) belong to the value; others separate pairs",
        )
    return name, AtValue(value, text, span)


def _file_value(name: str, text: str, offset: int, value_text: str, span: Span) -> AtValue:
    """`NAME=@path`: the value read from a file (gradcli.valuefiles); an error about the file as a
    whole (no such file, a missing .npz array) points at the path in the --at text."""
    from .valuefiles import read_value

    lead = offset + len(value_text) - len(value_text.lstrip())
    spec = value_text.strip()[1:].strip()
    where = Span(1, lead + 1, lead, lead + len(value_text.strip()))
    if not spec:
        hint = f"write {name}=@weights.npy"
        raise GradcliError(f"no file after {name}=@", span=where, source=text, label=_LABEL, hint=hint)
    try:
        value = read_value(spec, name)
    except GradcliError as error:
        if error.source is None:
            error.span, error.source, error.label = where, text, _LABEL
        raise
    return AtValue(value, text, span)


def add_at_files(values: dict[str, AtValue], files: Iterable[str]) -> dict[str, AtValue]:
    """`values` (from --at) and those of each `--at-file` (a JSON object or a .npz), in order;
    a name given twice, in either, is an error."""
    for path in files:
        from .valuefiles import read_values  # here: loading it costs every eval without --at-file

        try:
            read = read_values(path)
        except GradcliError as error:
            if error.source is None:  # about the file as a whole: point at the option
                error.span, error.source, error.label = Span(1, 1, 0, max(len(path), 1)), path, "--at-file"
            raise
        for name, array in read.items():
            if name in values:
                raise _given_twice(name, values[name], path)
            values[name] = AtValue(array, path, Span(1, 1, 0, max(len(path), 1)), label="--at-file")
    return values


def _given_twice(name: str, first: AtValue, path: str) -> GradcliError:
    if first.label == "--at-file":
        return GradcliError(
            f"{name!r} is given twice: by --at-file {first.text} and by --at-file {path}",
            hint=f"give {name} one value: drop it from one of the files",
        )
    return GradcliError(
        f"{name!r} is given twice: by --at and by --at-file {path}",
        span=first.span,
        source=first.text,
        label=_LABEL,
        hint=f"give {name} one value: drop it from --at, or from {path}",
    )
