"""`gradcli descend`: learn parameters by gradient descent on a loss program over data.

The loop is seed 002's: for each sample in order, the loss and its gradient at the current
parameters, then an update (`w -= lr * grad` for sgd). With a batch of N samples (or all of
them) the step uses the mean loss and the mean gradient over the batch. The program is parsed
once (`gradcli.compile`); minibatches of an elementwise program are evaluated in one vectorised
pass (`gradcli.points.evaluate.evaluate_points`).

`train` yields one `Epoch` record per epoch; `Trainer.params` always holds the parameters
reached, so a caller interrupted mid-epoch (Ctrl-C) can still print them.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

from .errors import GradcliError
from .expr import Assign, Name, Program

OPTIMIZERS = ("sgd", "momentum", "adam")
MOMENTUM = 0.9
BETAS = (0.9, 0.999)  # PyTorch's Adam defaults
EPS = 1e-8


# --- Optimizers: one small function each, updating the parameters in place -------------------------


def sgd(params: dict[str, np.ndarray], grads: Mapping[str, np.ndarray], state: dict, lr: float) -> None:
    for name, grad in grads.items():
        params[name] = params[name] - lr * grad


def momentum(params: dict[str, np.ndarray], grads: Mapping[str, np.ndarray], state: dict, lr: float) -> None:
    """PyTorch's SGD with momentum 0.9 (no dampening): v = 0.9 v + g; w -= lr v."""
    for name, grad in grads.items():
        velocity = state.get(name)
        velocity = grad if velocity is None else MOMENTUM * velocity + grad
        state[name] = velocity
        params[name] = params[name] - lr * velocity


def adam(params: dict[str, np.ndarray], grads: Mapping[str, np.ndarray], state: dict, lr: float) -> None:
    """Adam with PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, bias-corrected moments."""
    beta1, beta2 = BETAS
    t = state["t"] = state.get("t", 0) + 1
    for name, grad in grads.items():
        m, v = state.get(("m", name), 0.0), state.get(("v", name), 0.0)
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad * grad
        state[("m", name)], state[("v", name)] = m, v
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        params[name] = params[name] - lr * m_hat / (np.sqrt(v_hat) + EPS)


STEPS: dict[str, Callable] = {"sgd": sgd, "momentum": momentum, "adam": adam}


# --- Records ------------------------------------------------------------------------------------


@dataclass
class Sample:
    """One sample's step (batch 1, on report epochs): its values, loss and gradient."""

    at: dict[str, np.ndarray]
    loss: float
    grad: dict[str, np.ndarray]


@dataclass
class Epoch:
    epoch: int
    loss: float  # the mean of the per-sample losses met during the epoch
    params: dict[str, np.ndarray]  # after the epoch's last update
    grad: dict[str, np.ndarray]  # the last step's gradient (batch 1: the last sample's)
    last_loss: float | None = None  # batch 1: the last sample's loss (the seed prints it)
    samples: list[Sample] = field(default_factory=list)  # batch 1, report epochs only
    steps: int = 0


HISTORY_KEEP = 500  # records kept at each end of a run: the first epochs, the last report epochs
CURVE_KEEP = 512  # losses kept for the loss curve, evenly spaced over the run


class History:
    """The records a descent keeps, bounded whatever the epoch count (a record with its samples
    is ~0.84 KB, and `--epochs 10000000` must run in constant memory).

    Kept: every epoch of the first HISTORY_KEEP, then the last HISTORY_KEEP of those --every
    shows, and the last epoch; `left_out` counts the others. The mean losses are kept for the
    curve, thinned to every 2nd, 4th, ... epoch when they fill CURVE_KEEP.
    """

    def __init__(self, every: int) -> None:
        self.every = every
        self.head: list[Epoch] = []
        self.tail: deque[Epoch] = deque(maxlen=HISTORY_KEEP)
        self.last: Epoch | None = None
        self.count = 0
        self.first_loss: float | None = None
        self._losses: list[float] = []
        self._stride = 1

    def append(self, record: Epoch) -> None:
        self.count += 1
        self.last = record
        if self.first_loss is None:
            self.first_loss = record.loss
        if len(self.head) < HISTORY_KEEP:
            self.head.append(record)
        elif record.epoch % self.every == 0:
            self.tail.append(record)
        if (self.count - 1) % self._stride == 0:
            self._losses.append(record.loss)
            if len(self._losses) > CURVE_KEEP:
                self._losses = self._losses[::2]
                self._stride *= 2

    def __iter__(self) -> Iterator[Epoch]:
        yield from self.head
        yield from self.tail
        past_head = self.count > len(self.head)
        if self.last is not None and past_head and not (self.tail and self.tail[-1] is self.last):
            yield self.last

    @property
    def left_out(self) -> int:
        """Epochs whose records were not kept."""
        return self.count - sum(1 for _ in self)

    @property
    def rows_left_out(self) -> int:
        """Epochs --every shows whose records were not kept."""
        shown = (self.count - 1) // self.every + 1 if self.count else 0
        return shown - sum(1 for record in self if record.epoch % self.every == 0)

    def losses(self) -> list[float]:
        """The mean losses for the curve: every epoch's, or evenly thinned, the last one included."""
        if self.last is not None and (self.count - 1) % self._stride:
            return [*self._losses, self.last.loss]
        return list(self._losses)


class Diverged(Exception):
    """The loss (or a parameter) became inf or nan."""

    def __init__(self, epoch: int, loss: float, what: str) -> None:
        super().__init__(f"diverged at epoch {epoch}: {what}")
        self.epoch, self.loss, self.what = epoch, loss, what


# --- The loop -----------------------------------------------------------------------------------


def sample_gradients(compiled, point: Mapping[str, object], wrt: tuple[str, ...]) -> tuple[float, dict]:
    """The loss and its gradient at one sample (no backward steps recorded: faster)."""
    derivation = compiled(point, wrt=wrt, record_steps=False)
    return _scalar_loss(compiled, derivation.value), derivation.gradient


def batch_gradients(
    compiled, columns: Mapping[str, np.ndarray], params: Mapping[str, np.ndarray], wrt: tuple[str, ...]
) -> tuple[np.ndarray, dict]:
    """Every sample's loss (n,) and the mean gradient over the batch: one vectorised pass when the
    program is elementwise over scalar parameters, else one sample at a time."""
    from .points.evaluate import evaluate_points

    n = len(next(iter(columns.values())))
    results = evaluate_points(compiled, columns, params, wrt, n)
    if results.errors:
        k, error = min(results.errors.items())
        raise GradcliError(f"sample {k + 1} of the batch: {error.message}", hint=error.hint)
    values = results.value
    if not isinstance(values, np.ndarray):
        values = np.array([_scalar_loss(compiled, v) for v in values])
    elif values.ndim != 1:
        _scalar_loss(compiled, values[0])
    grads = {}
    for name in wrt:
        column = results.gradient[name]
        stacked = column if isinstance(column, np.ndarray) else np.stack([np.asarray(g) for g in column])
        grads[name] = stacked.mean(axis=0)
    return values, grads


def _scalar_loss(compiled, value) -> float:
    array = np.asarray(value)
    if array.size != 1:
        raise GradcliError(
            f"the loss must be one number, but the program gives an array of shape {array.shape}",
            hint=f"sum or average it: mean({compiled.source.strip()})",
        )
    return float(array.reshape(()))


@dataclass
class Trainer:
    """The state of a descent: the parameters reached and the optimizer's memory."""

    compiled: object
    data: dict[str, np.ndarray]  # each column: the samples along the first axis
    params: dict[str, np.ndarray]
    lr: float = 0.01
    batch: int | None = 1  # None: all the samples
    optimizer: str = "sgd"
    every: int = 5
    state: dict = field(default_factory=dict)
    epoch: int = 0  # the epoch running (or the next one)

    @property
    def n(self) -> int:
        return len(next(iter(self.data.values())))

    def train(self, epochs: int) -> Iterator[Epoch]:
        """Run `epochs` epochs, yielding each one's record; raises Diverged when the loss or a
        parameter stops being finite."""
        step = STEPS[self.optimizer]
        wrt = tuple(self.params)
        size = self.n if self.batch is None else min(self.batch, self.n)
        with np.errstate(all="ignore"):
            for epoch in range(epochs):
                self.epoch = epoch
                report = epoch % self.every == 0
                total, last, samples, grads, steps = 0.0, None, [], {}, 0
                for start in range(0, self.n, size):
                    if size == 1:
                        point = {name: column[start] for name, column in self.data.items()}
                        loss, grads = sample_gradients(self.compiled, {**point, **self.params}, wrt)
                        total += loss
                        last = loss
                        if report:
                            samples.append(Sample(point, loss, grads))
                    else:
                        columns = {name: column[start : start + size] for name, column in self.data.items()}
                        losses, grads = batch_gradients(self.compiled, columns, self.params, wrt)
                        loss = float(losses.mean())
                        total += float(losses.sum())
                    self._check(epoch, loss, grads, "the loss")
                    step(self.params, grads, self.state, self.lr)
                    steps += 1
                    bad = [name for name, value in self.params.items() if not np.all(np.isfinite(value))]
                    if bad:
                        raise Diverged(
                            epoch, loss, f"the parameter {bad[0]} became {_non_finite(self.params[bad[0]])}"
                        )
                mean = total / self.n
                params = {name: np.array(value, copy=True) for name, value in self.params.items()}
                yield Epoch(epoch, mean, params, grads, last, samples, steps)
            self.epoch = epochs

    def _check(self, epoch: int, loss: float, grads: Mapping[str, np.ndarray], what: str) -> None:
        if not math.isfinite(loss):
            raise Diverged(epoch, loss, f"{what} became {_non_finite(loss)}")
        for name, grad in grads.items():
            if not np.all(np.isfinite(grad)):
                raise Diverged(epoch, loss, f"the gradient with respect to {name} became {_non_finite(grad)}")


def _non_finite(value) -> str:
    array = np.asarray(value, dtype=float).ravel()
    bad = array[~np.isfinite(array)]
    if not len(bad):
        return "finite"
    return "nan" if np.isnan(bad[0]) else ("inf" if bad[0] > 0 else "-inf")


# --- The model for --predict ---------------------------------------------------------------------


def model_program(loss: Program, known: set[str], name: str | None = None) -> tuple[Program | None, str]:
    """The part of the loss program that computes a named intermediate: `name`, or else the last
    one computed from `known` names alone (`yhat` in `yhat = w*x; (yhat - y)^2`)."""
    from .graph import program_names
    from .ops import CONSTANTS

    statements = loss.statements
    chosen = None
    for i, statement in enumerate(statements[:-1]):
        if not isinstance(statement, Assign):
            continue
        if name is not None:
            if statement.name == name:
                chosen = i  # the newest binding before the output
            continue
        part = Program((*statements[: i + 1], Name(statement.name)), loss.source)
        if set(program_names(part).free) - set(CONSTANTS) <= known:
            chosen = i
    if chosen is None:
        return None, ""
    target = statements[chosen].name
    return Program((*statements[: chosen + 1], Name(target)), loss.source), target


# --- Data: inline NAME=[...] lists, or a CSV / JSON Lines file (the reader of `eval --points`) ---------


def is_inline(specs: list[str]) -> bool:
    """`x=[1,2,3],y=[2,4,6]` (and more --data options) rather than one file name."""
    import os

    if len(specs) != 1:
        return True
    spec = specs[0]
    return spec != "-" and "=" in spec and not os.path.isfile(spec)


def read_data(
    specs: list[str], wanted: set[str], skip_bad: bool = False
) -> tuple[dict[str, np.ndarray], str]:
    """The data columns (samples along the first axis) and where they came from.

    Inline data gives every column named; a file gives those of its columns in `wanted` (the
    others, an `id` say, are ignored)."""
    if not specs:
        raise GradcliError(
            "no data: give it with --data", hint="--data x=[1,2,3],y=[2,4,6]  or  --data data.csv"
        )
    if is_inline(specs):
        from .values import parse_at

        try:
            given = parse_at(specs)
        except GradcliError as error:
            if error.label == "--at":
                error.label = "--data"
            raise
        columns = {}
        for name, value in given.items():
            array = np.asarray(value.value, dtype=np.float64)
            if array.ndim == 0:
                raise GradcliError(
                    f"--data gives {name} one number, not one value per sample",
                    hint=f"give a list, e.g. --data {name}=[1,2,3] (parameters go in --params)",
                )
            check_finite(array, lambda index, name=name: f"--data {name}{index_text(index)}")
            columns[name] = array
        lengths = {name: len(column) for name, column in columns.items()}
        if len(set(lengths.values())) > 1:
            listed = ", ".join(f"{name}: {n}" for name, n in lengths.items())
            raise GradcliError(
                f"the --data columns have different numbers of samples ({listed})",
                hint="give every column one value per sample",
            )
        return columns, "--data"
    from .points.columns import stacked
    from .points.evaluate import DEFAULT_CHUNK
    from .points.read import open_points

    file = open_points(specs[0])
    try:
        needed = [name for name in file.columns if name in wanted]
        parts: dict[str, list[np.ndarray]] = {name: [] for name in needed}
        for chunk in file.chunks(needed, DEFAULT_CHUNK, skip_bad):
            for name in needed:
                column = stacked(chunk.columns[name], len(chunk))
                check_finite(column, lambda i, name=name, lines=chunk.lines: _where(file, lines, i, name))
                parts[name].append(column)
        columns = {}
        for name, pieces in parts.items():
            pieces = [piece for piece in pieces if len(piece)]
            try:
                columns[name] = np.concatenate(pieces) if pieces else np.zeros(0)
            except ValueError:
                raise GradcliError(
                    f"the values of {name} in {file.label} do not all have the same shape"
                ) from None
        return columns, file.label
    except UnicodeDecodeError:
        raise GradcliError(f"{file.label} is not UTF-8 text", hint="save the file as UTF-8") from None
    finally:
        file.close()


def index_text(index: tuple[int, ...]) -> str:
    return f"[{', '.join(map(str, index))}]" if index else ""


def _where(file, lines: list[int], index: tuple[int, ...], name: str) -> str:
    """`line 3 of data.csv: x` (`x[1]` for an element of an array value)."""
    return f"line {lines[index[0]]} of {file.label}: {name}{index_text(index[1:])}"


def check_finite(value, what: Callable[[tuple[int, ...]], str], hint: str | None = None) -> None:
    """An error naming the first element that is inf or nan (`what(index)` says where it is):
    descent from it can only "diverge at epoch 0", which would send the user to the learning rate."""
    array = np.asarray(value, dtype=np.float64)
    bad = np.argwhere(~np.isfinite(array))
    if len(bad):
        index = tuple(int(i) for i in bad[0])
        raise GradcliError(
            f"{what(index)} is {_non_finite(array[index])}: gradient descent needs finite numbers",
            hint=hint or "fix or drop that value",
        )
