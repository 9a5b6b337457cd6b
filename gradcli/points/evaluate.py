"""Evaluating a program at N points: `evaluate_points` (a chunk of a points file, a minibatch of
`descend`) and `evaluate_batch` (`Compiled.batch`, returning a `Batch`).

The N points go through the program in one pass, a batch axis in front of every value. A program
of elementwise operations over numbers is evaluated directly so: each variable is bound to the
1-D array of its N values (a fixed value is broadcast), the graph is built once per chunk and
backpropagated from a seed of ones. Elementwise operations never mix the points, so element k of
every gradient is the gradient at point k, exactly as one evaluation at that point gives it.
Every other program (sum, @, indexing, softmax, losses, array values...) is evaluated at its first
point and that graph lowered to one over all the points (points/batched.py, with the op table's
batching rules): the same numbers again. Only what one pass cannot take goes one point at a
time: values of different shapes at different points, a point whose values an op refuses (it is
then named), and the few cases gradcli/ops/batching.py lists.

The compiled program comes in as an argument (`Evaluable`): this module sits below
`gradcli.compiled`, which calls it for `Compiled.batch`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ..backprop import backprop, needs_grad
from ..binding import as_array, check_values, check_wrt
from ..errors import GradcliError
from ..expr import Program
from ..gcpause import no_gc
from ..graph import ProgramNames, build_graph
from ..numbers import count_of
from ..ops.batching import NotBatched
from .batched import gradients_batched, lower_graph, release_unread, replay_pointwise
from .columns import Column, stacked

if TYPE_CHECKING:
    from ..result import Derivation

DEFAULT_CHUNK = 65_536  # points per pass: ~0.5 MB per array, so a pass stays in cache-sized pieces
# Compiled.batch of an elementwise program over arrays the caller already holds: one pass up to
# 2^20 points (8 MB an array), where gluing 16 chunks back together cost more than the cache won
# (benchmarks/batch.py: seed 004's sigmoid over 10^6 points, ~25% faster).
ELEMENTWISE_CHUNK = 2**20
# From this many points, an elementwise program's graph is built at the first point and replayed
# over all of them, dropping values as it goes (points/batched.py: replay_pointwise); below it,
# the one extra small graph would cost more than the memory it saves.
REPLAY_FROM = 4096


class Evaluable(Protocol):
    """What evaluating at many points needs of a program (`gradcli.compile` makes one)."""

    program: Program
    names: ProgramNames

    @property
    def source(self) -> str:
        """The program's text."""
        ...

    @property
    def variables(self) -> tuple[str, ...]:
        """The free variables, in order of first use."""
        ...

    @property
    def mixing_ops(self) -> tuple[str, ...]:
        """The operations that mix the elements of arrays: none, and the points ride one axis."""
        ...

    def __call__(
        self,
        at: Mapping[str, object] | None = None,
        /,
        *,
        wrt: Iterable[str] | None = None,
        record_steps: bool = True,
    ) -> Derivation: ...


@dataclass
class Results:
    """Values and gradients of N points: (N,) arrays from a vectorised pass, else lists."""

    value: Column
    gradient: dict[str, Column]
    errors: dict[int, GradcliError] = field(default_factory=dict)  # per point, one at a time only

    def first_error(self, where: Callable[[int], str]) -> GradcliError:
        """The error of the first point that failed, its message led by `where(k)` (which point)."""
        k, error = min(self.errors.items())
        return GradcliError(
            f"{where(k)}: {error.message}",
            span=error.span,
            source=error.source,
            hint=error.hint,
            label=error.label,
        )

    def non_finite(self) -> int:
        """How many points have a non-finite value or gradient."""
        columns = [self.value, *self.gradient.values()]
        if all(isinstance(c, np.ndarray) for c in columns):
            finite = np.ones(len(columns[0]), dtype=bool)
            for column in columns:
                finite &= np.isfinite(column).reshape(len(column), -1).all(axis=1)
            return int(len(finite) - finite.sum())
        count = 0
        for k in range(len(columns[0])):
            if not all(np.all(np.isfinite(column[k])) for column in columns):
                count += 1
        return count


def _elementwise(compiled: Evaluable, columns: Mapping[str, Column], fixed: Mapping[str, np.ndarray]) -> bool:
    """Elementwise ops over numbers: the graph takes the N values as they are."""
    return (
        not compiled.mixing_ops
        and all(np.ndim(value) == 0 for value in fixed.values())
        and all(np.ndim(column) == 1 for column in columns.values())
    )


def evaluate_points(
    compiled: Evaluable,
    columns: Mapping[str, Column],
    fixed: Mapping[str, np.ndarray],
    wrt: tuple[str, ...],
    n: int,
) -> Results:
    """Evaluate at n points: `columns` gives each point's values, `fixed` the shared ones."""
    # One pass needs each variable's values as one array (one shape at every point).
    if n and all(isinstance(column, np.ndarray) for column in columns.values()):
        if _elementwise(compiled, columns, fixed):
            return _vectorised(compiled, columns, fixed, wrt, n)
        try:
            return _lowered(compiled, columns, fixed, wrt, n)
        except (NotBatched, GradcliError):  # one at a time says which point, and why
            pass
    return _one_by_one(compiled, columns, fixed, wrt, n)


def _vectorised(compiled, columns, fixed, wrt, n) -> Results:
    values = {name: np.broadcast_to(value, (n,)) for name, value in fixed.items()}  # views, no copies
    values.update(columns)
    with no_gc():
        replay = n >= REPLAY_FROM  # the graph's shape from the first point, its values dropped as it goes
        at = {name: value[0] for name, value in values.items()} if replay else values
        graph = build_graph(compiled.program, at, compiled.names)
        wanted = {graph.variables[name] for name in wrt}
        needs = needs_grad(graph, wanted)
        if replay:
            graph = replay_pointwise(graph, values, needs)
        else:
            release_unread(graph, needs)
        grads, _ = backprop(graph, needs, record=False, keep=wanted)  # seed: ones, one per point
    value = graph.nodes[graph.output].value
    if np.shape(value) != (n,):  # an output that reads no variable
        value = np.broadcast_to(value, (n,))
    gradient = {}
    for name in wrt:
        grad = grads[graph.variables[name]]
        if grad is None:
            grad = np.zeros(n)
        gradient[name] = grad if np.shape(grad) == (n,) else np.broadcast_to(grad, (n,))  # a view copies
    return Results(value, gradient)


def _lowered(compiled, columns, fixed, wrt, n) -> Results:
    """The first point's graph, lowered to all n points (points/batched.py)."""
    first = {**{name: column[0] for name, column in columns.items()}, **fixed}
    with no_gc():
        graph = build_graph(compiled.program, first, compiled.names)
        lowered = lower_graph(graph, columns, fixed, n)
        try:
            value, gradient = gradients_batched(lowered, wrt, n)
        except (ValueError, IndexError, TypeError) as error:  # a rule that did not expect the batch:
            raise NotBatched(str(error)) from None  # one point at a time still gives the numbers
    return Results(value, gradient)


def _one_by_one(compiled, columns, fixed, wrt, n) -> Results:
    values: list = [None] * n
    gradient: dict[str, list] = {name: [None] * n for name in wrt}
    errors: dict[int, GradcliError] = {}
    for k in range(n):
        point = {**{name: column[k] for name, column in columns.items()}, **fixed}
        try:
            derivation = compiled(point, wrt=wrt, record_steps=False)
        except GradcliError as error:
            errors[k] = error
            continue
        values[k] = derivation.value
        for name in wrt:
            gradient[name][k] = derivation.gradient[name]
    return Results(values, gradient, errors)


# --- The Python API: Compiled.batch ----------------------------------------------------------------


@dataclass(eq=False, repr=False)
class Batch:
    """The values and gradients of a program at N points, the batch axis in front.

    `value` has shape (N, ...) and each `gradient[name]` shape (N, ...) + the variable's shape;
    `points` holds the per-point values given (N, ...: read-only views of the caller's float64
    arrays, not copies), `fixed` those shared by every point.
    `derivation(k)` is the whole worked derivation at point k. In Jupyter, a Batch shows itself
    as a Markdown table of its first points.
    """

    source: str
    points: dict[str, np.ndarray]
    fixed: dict[str, np.ndarray]
    value: np.ndarray
    gradient: dict[str, np.ndarray]
    wrt: tuple[str, ...]
    _compiled: Evaluable

    def __len__(self) -> int:
        return len(self.value)

    def __repr__(self) -> str:
        return f"<gradcli Batch of {count_of(len(self), 'point')} of {self.source!r}>"

    def at(self, k: int) -> dict[str, np.ndarray]:
        """The values of every variable at point k, in the program's order."""
        given = {**{name: column[k] for name, column in self.points.items()}, **self.fixed}
        return {name: given[name] for name in self._compiled.names.free if name in given}

    def derivation(self, k: int) -> Derivation:
        """The worked derivation at point k (evaluated again, with every step)."""
        return self._compiled(self.at(k), wrt=self.wrt)

    def to_markdown(self, digits: int = 4, limit: int = 20) -> str:
        """A table of the first `limit` points: the values given, the value, the gradients."""
        from ..numbers import format_value

        given = list(self.points)
        header = ["#", *given, "value", *(f"∂/∂{name}" for name in self.wrt)]
        lines = [f"**{count_of(len(self), 'point')}** of `{self.source}`"]
        if self.fixed:
            shared = ", ".join(f"{name} = {format_value(v, digits)}" for name, v in self.fixed.items())
            lines[0] += f", with {shared}"
        lines += ["", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for k in range(min(len(self), limit)):
            cells = [str(k), *(format_value(self.points[name][k], digits) for name in given)]
            cells.append(format_value(self.value[k], digits))
            cells += [format_value(self.gradient[name][k], digits) for name in self.wrt]
            lines.append("| " + " | ".join(cells) + " |")
        if len(self) > limit:
            lines += ["", f"… and {len(self) - limit} more points"]
        return "\n".join(lines) + "\n"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def _point_columns(points: Mapping[str, object] | Iterable[Mapping[str, object]]) -> dict[str, np.ndarray]:
    if isinstance(points, Mapping):
        # The caller's float64 arrays as they are (read-only views: 10^6 points need no copy).
        columns = {name: _read_only(as_array(name, values)) for name, values in points.items()}
    else:
        rows = list(points)
        names = list(rows[0]) if rows else []
        for k, row in enumerate(rows):
            if list(row) != names:
                raise GradcliError(
                    f"point {k} gives {', '.join(row) or 'nothing'}, but point 0 gives {', '.join(names)}",
                    hint="give every point the same variables, or fix shared ones with `at`",
                )
        columns = {name: as_array(name, [row[name] for row in rows]) for name in names}
    for name, column in columns.items():
        if column.ndim == 0:
            raise GradcliError(
                f"{name!r} is one number, not one value per point",
                hint=f"give {name} in `at` to use it at every point",
            )
    lengths = {name: len(column) for name, column in columns.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{name}: {n}" for name, n in lengths.items())
        raise GradcliError(f"the variables give different numbers of points ({listed})")
    if not columns:
        raise GradcliError("no points: `points` gives no variable", hint="e.g. f.batch({'x': [1, 2, 3]})")
    return columns


def evaluate_batch(
    compiled: Evaluable,
    points: Mapping[str, object] | Iterable[Mapping[str, object]],
    at: Mapping[str, object],
    *,
    wrt: Iterable[str] | None = None,
    chunk: int | None = None,
) -> Batch:
    """`Compiled.batch` (gradcli.compiled): see there."""
    columns = _point_columns(points)
    both = [name for name in columns if name in at]
    if both:
        raise GradcliError(f"{both[0]!r} is given both per point and in `at`", hint="give it once")
    check_values(compiled.program, compiled.names, {**columns, **at}, [])
    fixed = {name: as_array(name, value) for name, value in at.items()}
    bound = [name for name in compiled.names.free if name in columns or name in fixed]
    wrt_names = check_wrt(bound, wrt)
    n = len(next(iter(columns.values())))
    size = chunk or (ELEMENTWISE_CHUNK if _elementwise(compiled, columns, fixed) else DEFAULT_CHUNK)
    values: list[np.ndarray] = []
    gradients: dict[str, list[np.ndarray]] = {name: [] for name in wrt_names}
    for start in range(0, max(n, 1), size):
        stop = min(start + size, n)
        part = {name: column[start:stop] for name, column in columns.items()}
        results = evaluate_points(compiled, part, fixed, wrt_names, stop - start)
        if results.errors:
            raise results.first_error(lambda k, start=start: f"at point {start + k}")
        values.append(stacked(results.value, stop - start))
        for name in wrt_names:
            gradients[name].append(stacked(results.gradient[name], stop - start))
    seen: set[int] = set()
    value = _own(values, seen)
    gradient = {name: _own(gradients[name], seen) for name in wrt_names}
    return Batch(compiled.source, columns, fixed, value, gradient, wrt_names, compiled)


def _read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


def _own(parts: list[np.ndarray], seen: set[int]) -> np.ndarray:
    """One array of its own: not a view of the input (the program `x`), not shared with another
    gradient (`x + y` passes one array to both), not a read-only broadcast."""
    array = np.concatenate(parts) if len(parts) > 1 else parts[0]
    if id(array) in seen or array.base is not None or not array.flags.writeable:
        array = array.copy()
    seen.add(id(array))
    return array
