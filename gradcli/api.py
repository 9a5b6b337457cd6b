"""The Python API: the one entry point the CLI calls, one function per thing a command does.

>>> import gradcli
>>> result = gradcli.evaluate("(a+b)*(b+1)", a=2, b=1)
>>> float(result.value), {k: float(v) for k, v in result.gradient.items()}
(6.0, {'a': 2.0, 'b': 5.0})
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from . import evaluation
from .compiled import Compiled, compile
from .derivation import build_derivation
from .errors import GradcliError
from .expr import Program
from .graph import build_graph, program_names
from .ops import CONSTANTS
from .parse import parse_program
from .result import Derivation, Derivatives
from .values import AtValue, parse_at

if TYPE_CHECKING:  # the feature modules load on first call; their types are named here only
    from .points.columns import Column
    from .points.evaluate import Results
    from .points.load import Given
    from .points.run import PointsRun
    from .records.check import CheckResult, Nudge
    from .records.descend import DescendResult
    from .records.hessian import HessianRecord

__all__ = [
    "Compiled",
    "Derivation",
    "Derivatives",
    "GradcliError",
    "check",
    "compile",
    "descend",
    "diff",
    "evaluate",
    "evaluate_points",
    "exercise",
    "grade",
    "hessian",
    "jacobian",
    "open_points_run",
    "outline",
    "parse",
    "parse_at",
    "perturb",
    "read_values",
    "seed_examples",
]


def evaluate(
    source: str | Program,
    at: Mapping[str, object] | None = None,
    /,
    *,
    wrt: Iterable[str] | None = None,
    record_steps: bool = True,
    mode: str = "reverse",
    **values: object,
) -> Derivation:
    """Evaluate `source` at the given values and backpropagate from its output.

    `at` (or keyword arguments) binds the free variables to numbers or arrays; `wrt` limits
    which variables get gradients (default: all). Returns the Derivation: value, gradients,
    every node and every backward step (none if `record_steps` is False: faster, and lighter
    on big arrays). `mode="forward"` computes the gradients by forward mode instead (all the
    tangents of a variable pushed through the graph at once): the same numbers, no backward
    steps. `source` and `at` are positional-only, so variables may be called `source` or `at`.
    Raises GradcliError for bad input.
    """
    given = {**(at or {}), **values}
    return evaluation.evaluate(source, given, wrt, record_steps, mode, record=Derivation)


def jacobian(
    source: str | Program,
    at: Mapping[str, object] | None = None,
    /,
    *,
    wrt: Iterable[str] | None = None,
    mode: str = "reverse",
    **values: object,
) -> dict[str, np.ndarray]:
    """∂output/∂variable for each variable in `wrt` (default: all): an array of the output's
    shape followed by the variable's (a scalar output gives the gradient itself).

    Reverse mode runs one batched backward pass over the one-hot seeds of the output;
    `mode="forward"` pushes every tangent of a variable through the graph at once instead (the
    better choice when the output has more elements than the inputs). Raises GradcliError for
    bad input, or a Jacobian too big to hold in memory.
    """
    given = {**(at or {}), **values}
    result = evaluation.evaluate(source, given, wrt, record_steps=False, mode=mode)
    return dict(result.gradient)


def outline(source: str | Program) -> Derivation:
    """The graph's structure alone, for drawing without values: every free variable is a
    placeholder, so shapes are unknown rather than wrong, and nothing is differentiated."""
    program = parse_program(source) if isinstance(source, str) else source
    names = program_names(program)
    placeholders = {name: np.float64(1.0) for name in names.free if name not in CONSTANTS}
    graph = build_graph(program, placeholders, names, shapes_known=False)
    count = len(graph.nodes)
    return build_derivation(
        graph, placeholders, {}, [None] * count, [], (), [False] * count, [], record=Derivation
    )


# --- gradient check and --perturb ---
# The feature modules load on the first call: at import they would cost every command (eval
# too) several milliseconds of start-up. So the defaults below are written out: they are
# check.Settings' own, and tests/test_arch_check.py keeps the two equal.
def check(
    source: str | Program,
    at: Mapping[str, object] | None = None,
    /,
    *,
    wrt: Iterable[str] | None = None,
    eps: float = 6e-6,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    **values: object,
) -> CheckResult:
    """Check reverse mode against finite differences, element by element, at one point.

    `at` (or keyword arguments) binds the free variables, as for `evaluate`; `wrt` limits the
    check to some variables (default: all). Every element of every checked variable's gradient
    (every entry of the Jacobian, for an array output) gets a Row: the reverse-mode value, the
    Richardson-extrapolated central difference with step h = eps·max(1, |x|), the errors, and a
    verdict, "ok", "kink" (not differentiable there: reverse mode gave its convention's value)
    or "FAIL" (when |reverse − fd| > atol + rtol·max(|reverse|, |fd|) + noise). The result's
    `passed` is False when a row fails. Raises GradcliError for bad input (the program, the
    values, `wrt`, eps outside (0, 1), a negative tolerance), or when the output is not finite
    at the point.
    """
    from . import gradcheck as gradient_check

    given = {**(at or {}), **values}
    settings = gradient_check.Settings(eps, rtol, atol)
    return gradient_check.check(source, given, wrt, settings)


def perturb(
    source: str | Program, at: Mapping[str, object] | None = None, /, *, spec: str, **values: object
) -> Nudge:
    """Nudge one node by h and recompute every node downstream (seed 002's narration).

    `spec` names the node and the nudge: `u` (h = 0.001), `u=0.5`, `x[1]=0.5` for one element of
    an array (every element without an index). `at` (or keyword arguments) binds the free
    variables, as for `evaluate`. Each row of the Nudge holds a node's value before and after,
    the change, change/h (the finite-difference estimate of ∂node/∂target) and the same
    derivative by reverse mode (None when the graph is too big for a backward pass per node).
    Raises GradcliError for a bad spec, a name that is not a node of the program, an element
    that is not there, or bad input.
    """
    from . import nudge as nudging

    given = {**(at or {}), **values}
    return nudging.perturb(source, given, spec)


# --- descend ---


def descend(
    source: str | Program,
    /,
    *,
    data: Given,
    params: Given,
    lr: float = 0.01,
    epochs: int = 40,
    batch: int | str | None = 1,
    optimizer: str = "sgd",
    every: int = 5,
    predict: Given | None = None,
    model: str | None = None,
    skip_bad: bool = False,
    on_epoch: Callable[[int], object] | None = None,
) -> DescendResult:
    """Learn the parameters of the loss `source` by gradient descent over `data`.

    `data` is a mapping of columns (`{"x": [1, 2, 3], "y": [2, 4, 6]}`, the samples along the
    first axis), inline NAME=[...] options as `--data` takes them, or the name of a CSV / JSON
    Lines file (`-`: standard input; with `skip_bad`, rows with a bad value are skipped).
    `params` gives the parameters to learn and their start values (`{"w": 1.0}` or `"w=1,b=0"`).
    Each epoch is a pass over the data in steps of `batch` samples (`"all"` or None: all of them)
    with `optimizer` ("sgd", "momentum" or "adam") at learning rate `lr`; `every` says which
    epochs keep their per-sample steps. `predict` gives inputs for the trained `model` (an
    expression, or the name of an intermediate of the loss; default: the last intermediate
    computed from the parameters and the `predict` names). `on_epoch(done)` is called after
    each epoch (a progress bar).

    A loss that stops being finite ends the run with `status == "diverged"`, a Ctrl-C with
    "interrupted"; `params` holds the parameters reached either way. Raises GradcliError for
    bad input, before any training.
    """
    from . import descent as gd
    from .points.load import check_data, named_values, read_data, start_params

    settings = gd.check_settings(lr, epochs, batch, optimizer, every)
    loss = compile(source)
    start = start_params(named_values(params, "--params"), loss.variables)
    columns, where, inline = read_data(data, set(loss.names.free), skip_bad)
    check_data(loss, columns, where, start, inline)
    predictor = None
    if predict:
        at = named_values(predict, "--predict")
        model_source, label = gd.choose_model(loss.program, model, at, start)
        predictor = gd.predictor(compile(model_source), label, at, start)
    return gd.run(loss, columns, start, settings, predictor, on_epoch)


# --- points ---


def open_points_run(
    source: str | Program,
    points: str,
    at: Mapping[str, object],
    /,
    *,
    wrt: Iterable[str] | None = None,
    chunk: int | None = None,
    skip_bad: bool = False,
    on_warning: Callable[[str], object] | None = None,
) -> PointsRun:
    """`source` compiled and the points file `points` (CSV or JSON Lines; `-`: standard input)
    opened and bound to it: the file gives some variables, `at` fixes the others. `wrt` limits
    the gradients, `chunk` the points per vectorised pass; with `skip_bad` rows with a bad value
    are skipped (and counted). `on_warning` hears of warnings as they come. Use the run as a
    context manager (`with`): it closes the file. Raises GradcliError for bad input.
    """
    from .points.read import open_points
    from .points.run import bind_run

    compiled = compile(source)
    file = open_points(points)
    try:
        return bind_run(compiled, file, at, wrt=wrt, chunk=chunk, skip_bad=skip_bad, on_warning=on_warning)
    except BaseException:
        file.close()
        raise


def evaluate_points(
    compiled: Compiled,
    columns: Mapping[str, Column],
    fixed: Mapping[str, np.ndarray],
    wrt: tuple[str, ...],
    n: int,
) -> Results:
    """Evaluate at `n` points at once: `columns` gives each variable's values at every point,
    `fixed` the values shared by all of them; the gradients by the `wrt` variables. Programs of
    elementwise operations over scalars run in one vectorised pass, others one point at a time
    (a point that fails is an error in `Results.errors`, not raised)."""
    from .points.evaluate import evaluate_points as evaluate

    return evaluate(compiled, columns, fixed, wrt, n)


# --- graph ---


def parse(source: str) -> Program:
    """The program `source` parsed (its syntax checked), to evaluate or draw later without
    parsing it again. Raises GradcliError, pointing at the place, for a syntax error."""
    return parse_program(source)


# --- symbolic derivatives and the Hessian ---


def diff(
    source: str | Program,
    /,
    wrt: Iterable[str] | None = None,
    *,
    at: Mapping[str, object] | None = None,
    **values: object,
) -> Derivatives:
    """The derivative of `source`'s output with respect to each variable in `wrt`, symbolically.

    The backward pass run on formulas instead of numbers (the rules `evaluate` uses), then
    simplified; a subexpression used more than once is named once. Without values, every free
    name except the constants (`pi`, `e`, `inf`, `nan`) is a number. `at` (or keyword
    arguments) gives values: the formulas are written for their shapes (`mean(x)`'s partial
    over six elements is `grad/6`), so arrays and array operations are differentiated too; a
    variable without a value is a number. `wrt` defaults to every variable. Each derivative is
    a program of expressions in its variable's shape (`result.programs[name]`; all of them,
    shared parts once: `result.combined`), written in gradcli's language by
    `gradcli.render.diff`. Raises GradcliError for bad input, a `wrt` name that is not a
    variable, an output of more than one element, and array expressions without values.
    """
    from .symbolic import differentiate

    given = {**(at or {}), **values}
    return differentiate(source, wrt, at=given, record=Derivatives)


def hessian(
    source: str | Program,
    at: Mapping[str, object] | None = None,
    /,
    *,
    wrt: Iterable[str] | None = None,
    **values: object,
) -> HessianRecord:
    """The Hessian of `source`'s output (one number) at the given values (keyword arguments or `at`).

    The rows and columns are the elements of the variables `wrt` (default: all), in order, each
    array's in C order (`result.rows` labels them: `x`, `W[0,1]`). The rows of a variable are
    the derivative of ∂output/∂variable (what `diff` gives) by reverse mode:
    reverse-over-reverse, exact up to rounding, no finite differences. At most 2,000 elements
    in all. `source` and `at` are positional-only, so variables may be called `source` or `at`.
    Raises GradcliError for bad input, an output of more than one element, too many elements,
    and an op whose derivative cannot be differentiated again.
    """
    from . import second_order as _hessian

    return _hessian.hessian(source, {**(at or {}), **values}, wrt=wrt)


# --- examples ---

if TYPE_CHECKING:  # the examples are read when asked for, not at every start-up
    from .records.examples import SeedExamples
    from .records.grade import Exercise, GradeRecord


def seed_examples() -> SeedExamples:
    """The worked examples of the seed notebooks (what `gradcli demo` lists and runs, and
    docs/seeds.md shows): each notebook's title, every example in order (a gradcli command, or
    why there is none), and the one the demo runs by default. Read only when asked for."""
    from .examples import SEED_EXAMPLES

    return SEED_EXAMPLES


# --- values from the command line and from files ---


def read_values(
    at: Iterable[str] = (), files: Iterable[str] = (), /, *, source: str | Program | None = None
) -> dict[str, AtValue]:
    """The values of `--at` options (`["x=1,W=@w.npy"]`) and `--at-file` files (a JSON object
    of names and values, or a .npz of named arrays), by name, ready for `evaluate` and the rest.

    `NAME=@path` reads one value from a file: `.npy`, `.npz` (`p.npz:ARRAY` picks an array; without
    it, the one named NAME or the only one), `.json` (a number or nested lists; an object's entry
    the same way) or `.csv` (rows of numbers: a matrix; one row or column gives a vector). Every
    value is float64. A name given twice, in either, is an error. With `source`, the values of
    files that the program does not read are left out (a file of parameters may hold more than
    one program uses); an `--at` value it does not read stays, and evaluating reports it.
    Raises GradcliError, naming the option or the file and the place in it.
    """
    from .values import add_at_files

    files = list(files)
    values = add_at_files(parse_at(list(at)), files)
    if source is not None and files:
        program = parse_program(source) if isinstance(source, str) else source
        free = program_names(program).free
        values = {name: value for name, value in values.items() if value.label == "--at" or name in free}
    return values


# --- the homework loop ---


def exercise(level: int = 1, seed: int = 0, *, variables: int | None = None) -> Exercise:
    """A random, well-posed backpropagation exercise (what `gradcli exercise` writes).

    Level 1: + − × with a variable used twice; 2: exp, log, tanh, sigmoid and division; 3:
    vectors, `@` and cross-entropy of softmax; 4: programs with named intermediates and a name
    bound again. The point keeps hand arithmetic pleasant (small integers or halves, no kink, no
    value over 1e4). `variables` inputs (2 to 6, default 3). The same (level, seed, variables)
    give the same exercise on every machine. The result holds the program, the point and the
    key (its derivation, for `gradcli.render` or the derivation renderers). Raises GradcliError
    for a level, seed or count out of range.
    """
    from .homework.generate import exercise as make

    return make(level, seed, variables)


def grade(
    sheet: str,
    /,
    *,
    name: str = "sheet",
    against: str | None = None,
    at: str | None = None,
    digits: int = 2,
) -> GradeRecord:
    """Mark the filled worksheet `sheet` (its text: the Markdown or CSV `exercise` writes).

    Every cell is recomputed from the program on the sheet (or `against` at `at`, the point as
    `--at` writes it) and marked: correct within the student's rounding (never demanding more
    than `digits` significant digits), carried forward (right from the student's own wrong value
    above it: full credit, "follows from your step N"), a named mistake with one sentence of
    why, rounding too early, or blank. `name` names the sheet in messages. Raises GradcliError,
    with the line and a caret, when the sheet cannot be read.
    """
    from .homework.grade import grade as mark
    from .homework.sheet import read_sheet

    filled = read_sheet(sheet, name, digits)
    return mark(filled, against, at)
