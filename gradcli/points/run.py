"""A points file bound to a program, for `gradcli eval --points`: the variables the file gives and
those `--at` fixes, the gradients asked for, the points per chunk, the writer of the output; and
what becomes of points the program cannot be evaluated at. The CLI streams it (gradcli.cli.points_run).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TextIO

import numpy as np

from ..binding import as_array, bind_points, check_wrt
from ..gcpause import no_gc
from .evaluate import DEFAULT_CHUNK, Evaluable, Results
from .read import Chunk, PointsFile
from .write import CsvWriter, JsonlWriter


@dataclass
class PointsRun:
    """One points run, bound and checked: what every chunk needs.

    Used as a context manager, it closes the file at the end, and pauses the cyclic garbage
    collector meanwhile: the rows are acyclic lists, freed as they go, with nothing for it to find.
    """

    compiled: Evaluable
    file: PointsFile
    bound: list[str]  # every variable with a value, in the program's order
    from_file: list[str]  # those the file gives
    fixed: dict[str, np.ndarray]  # those --at fixes
    wrt: tuple[str, ...]
    size: int  # points per chunk
    skip_bad: bool
    _open: contextlib.ExitStack = field(default_factory=contextlib.ExitStack, repr=False)

    def __enter__(self) -> PointsRun:
        self._open.callback(self.file.close)
        self._open.enter_context(no_gc())
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._open.close()

    def chunks(self) -> Iterator[Chunk]:
        """The points in chunks, the values the program reads parsed (bad rows: see PointsFile)."""
        return self.file.chunks(self.from_file, self.size, self.skip_bad)

    def writer(self, fmt: str, out: TextIO) -> JsonlWriter | CsvWriter:
        """The writer of the output rows: "jsonl" or "csv"."""
        if fmt == "csv":
            return CsvWriter(out, self.file, self.wrt)
        return JsonlWriter(out, self.file, self.bound, self.fixed, self.wrt)

    def drop_failed(self, chunk: Chunk, results: Results, skipped: list[tuple[int, str]]) -> Results:
        """Points whose values do not fit the program (shapes): an error naming the first one's
        line, or (skip_bad) dropped from the chunk and the results, and noted in `skipped`."""
        if not self.skip_bad:
            raise results.first_error(lambda k: f"line {chunk.lines[k]} of {self.file.label}")
        skipped += [(chunk.lines[k], results.errors[k].message) for k in sorted(results.errors)]
        kept = [k for k in range(len(chunk)) if k not in results.errors]
        chunk.keep(kept)
        gradient = {name: [column[k] for k in kept] for name, column in results.gradient.items()}
        return Results([results.value[k] for k in kept], gradient)


def bind_run(
    compiled: Evaluable,
    file: PointsFile,
    at: Mapping[str, object],
    *,
    wrt: Iterable[str] | None = None,
    chunk: int | None = None,
    skip_bad: bool = False,
    on_warning: Callable[[str], object] | None = None,
) -> PointsRun:
    """Bind the file's columns and the `at` values to the program's variables; `on_warning` hears
    of a value given to a constant (`pi`) as soon as it is bound, before any later error."""
    bound, from_file, warnings = bind_points(compiled.program, compiled.names, file.columns, file.label, at)
    for warning in warnings:
        if on_warning is not None:
            on_warning(warning)
    file.fixed = {name for name in bound if name not in from_file}
    fixed = {name: as_array(name, at[name]) for name in file.fixed}
    wrt_names = check_wrt(bound, wrt)
    size = chunk or DEFAULT_CHUNK
    return PointsRun(compiled, file, bound, from_file, fixed, wrt_names, size, skip_bad)
