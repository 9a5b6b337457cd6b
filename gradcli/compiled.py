"""`gradcli.compile(source)`: parse once, evaluate many times, at one point or at many at once.

>>> import gradcli
>>> neuron = gradcli.compile("1/(1 + exp(-(w*x + b)))")
>>> neuron.variables
('w', 'x', 'b')
>>> result = neuron(w=2, x=-1, b=0.5)  # a Derivation, as gradcli.evaluate returns
>>> round(float(result.value), 4), round(float(result.gradient["w"]), 4)
(0.1824, -0.1491)
>>> batch = neuron.batch({"x": [-1.0, 0.0, 1.0]}, {"w": 2, "b": 0.5})  # three points at once
>>> batch.value.round(4).tolist()
[0.1824, 0.6225, 0.9241]
>>> batch.gradient["x"].round(4).tolist()
[0.2983, 0.47, 0.1402]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING

from .errors import GradcliError
from .expr import Program
from .graph import program_names, program_ops
from .ops import CONSTANTS, Op
from .result import Derivation

if TYPE_CHECKING:
    from .points.evaluate import Batch
    from .records import DerivationRecord
    from .scalar import Tape


def pointwise(op: Op) -> bool:
    """An op that works on each element alone, so N points can ride along a batch axis: the
    op table's row says so (`Op.pointwise`)."""
    return op.pointwise


_SHOWN = {"stack": "[...]", "index": "x[i]", "slice": "x[i:j]"}


class Compiled:
    """A program parsed once: call it like `gradcli.evaluate` (without the parsing), or give
    `batch` many points to evaluate them in one vectorised pass.

    Variables named `wrt` or `record_steps` are given in the mapping: `f({"wrt": 1})`.
    """

    def __init__(self, program: Program) -> None:
        self.program = program
        self.names = program_names(program)  # raises for unknown functions and wrong arity
        # The scalar fast path's tape, made at the first point of plain numbers (None: not yet;
        # False: the program has an op the tape does not run).
        self._tape: Tape | bool | None = None

    @property
    def source(self) -> str:
        return self.program.source

    @property
    def variables(self) -> tuple[str, ...]:
        """The free variables, in order of first use (`pi` and `e` count only when given)."""
        return tuple(name for name in self.names.free if name not in CONSTANTS)

    @cached_property
    def mixing_ops(self) -> tuple[str, ...]:
        """The operations of the program that mix the elements of arrays (sum, @, x[0], ...)."""
        found: dict[str, None] = {}
        for _, op in program_ops(self.program):
            if not pointwise(op):
                found[_SHOWN.get(op.name, op.symbol)] = None
        return tuple(found)

    def __call__(
        self,
        at: Mapping[str, object] | None = None,
        /,
        *,
        wrt: Iterable[str] | None = None,
        record_steps: bool = True,
        **values: object,
    ) -> Derivation:
        """Evaluate at one point and backpropagate: exactly `gradcli.evaluate`, minus the parsing.

        At a point of plain numbers, a program of pointwise ops takes the scalar fast path
        (gradcli/scalar.py): the same numbers, and the nodes and steps made only when read."""
        given = {**(at or {}), **values}
        wrt = None if wrt is None else tuple(wrt)
        fast = self._fast(given, wrt, record_steps)
        if fast is not None:
            return fast
        from .evaluation import evaluate_program
        from .gcpause import no_gc

        with no_gc():
            return evaluate_program(
                self.program, given, wrt, record_steps, names=self.names, record=Derivation
            )

    def _fast(
        self, given: dict[str, object], wrt: tuple[str, ...] | None, record_steps: bool
    ) -> Derivation | None:
        """The scalar fast path's result, or None where the full path must run (see scalar.py)."""
        tape = self._tape if self._tape is not None else self._first_tape(given)
        arrays = tape.point(given) if tape else None
        if arrays is None:
            return None
        wrt_names = tuple(arrays) if wrt is None else wrt
        if not set(wrt_names) <= arrays.keys():
            return None  # the full path names the stranger
        found = tape.run(arrays, wrt_names)
        if found is None:
            return None
        program, names = self.program, self.names

        def full() -> DerivationRecord:
            from .evaluation import evaluate_program

            return evaluate_program(program, dict(arrays), wrt_names, record_steps, names=names)

        value, gradient = found
        return Derivation.deferred(self.source, arrays, value, gradient, tape.output, wrt_names, full)

    def _first_tape(self, given: dict[str, object]) -> Tape | bool | None:
        """The tape, made at the first point of plain numbers (kept: False if the program has an
        op the tape does not run); None before such a point, or if the program cannot be built
        at it (the full path raises the error)."""
        from .scalar import Tape, scalar_point, variables_of

        arrays = scalar_point(given, variables_of(self.names))
        if arrays is None:
            return None
        try:
            self._tape = Tape.of(self.program, self.names, arrays) or False
        except GradcliError:
            return None
        return self._tape

    def batch(
        self,
        points: Mapping[str, object] | Iterable[Mapping[str, object]],
        at: Mapping[str, object] | None = None,
        /,
        *,
        wrt: Iterable[str] | None = None,
        chunk: int | None = None,
    ) -> Batch:
        """Evaluate at N points at once; return their values and gradients, a batch axis in front.

        `points` maps each variable to its N values (a sequence of numbers, or an array whose
        first axis counts the points), or is a sequence of N mappings, one a point. `at` fixes
        the variables that are the same at every point. `wrt` limits the gradients; `chunk`
        bounds how many points one pass holds in memory. Every op runs over all the points of a
        chunk in one vectorised pass, a batch axis in front, with the numbers one evaluation at
        each point gives (gradcli/ops/batching.py); only values of different shapes at different
        points, and the few cases batching.py lists, go one point at a time.
        """
        from .points.evaluate import evaluate_batch

        return evaluate_batch(self, points, at or {}, wrt=wrt, chunk=chunk)

    def __getstate__(self) -> dict[str, object]:
        """Pickled (to Dask's workers, say) without the fast path's tape: it holds rules of the op
        table, which pickle cannot name, and is made again at the first point."""
        return {**self.__dict__, "_tape": None}

    def __repr__(self) -> str:
        return f"gradcli.compile({self.source!r})"


def compile(source: str | Program) -> Compiled:
    """Parse `source` once; the result evaluates it at any values without parsing it again.

    Raises GradcliError for a syntax error, an unknown function or a wrong number of arguments.
    """
    from .parse import parse_program

    program = parse_program(source) if isinstance(source, str) else source
    try:
        return Compiled(program)
    except GradcliError as error:
        raise error.located(program.source) from None
