"""`gradcli descend`: learn parameters by gradient descent on a loss program over data.

The loop is seed 002's: for each sample in order, the loss and its gradient at the current
parameters, then an update (`w -= lr * grad` for sgd). With a batch of N samples (or all of
them) the step uses the mean loss and the mean gradient over the batch. The program is parsed
once (`gradcli.compile`, by the api, which sits above this module and hands the compiled loss
in); every minibatch is evaluated in one vectorised pass, a batch axis in front of every op
(`gradcli.points.evaluate.evaluate_points`; the op table's batching rules).

`gradcli.api.descend` checks the settings (`check_settings`), the parameters and the data
(`gradcli.points.load`) and the model for --predict (`choose_model`, `predictor`), then `run`s:
the result is a frozen `DescendResult` (gradcli.records.descend). A loss that stops being finite
or a Ctrl-C ends the run early, with the parameters reached and a status that says why.
`Trainer.train` yields one `Epoch` record per epoch; `Trainer.params` always holds the
parameters reached, so a run interrupted mid-epoch still has them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

from .binding import as_array
from .errors import GradcliError
from .expr import Assign, Name, Program
from .graph import program_names
from .ops import CONSTANTS
from .points.evaluate import Evaluable, evaluate_points
from .points.load import non_finite_text
from .records.descend import CURVE_KEEP as CURVE_KEEP  # re-exported: how much of a run is kept
from .records.descend import HISTORY_KEEP as HISTORY_KEEP
from .records.descend import DescendResult, Epoch, History, Prediction, Sample, Settings

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
    """Every sample's loss (n,) and the mean gradient over the batch, in one vectorised pass
    (one sample at a time only where evaluate_points says so)."""
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
    if type(value) is np.float64:  # one number already (a step of --batch 1): no array made
        return float(value)
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
                    bad = [name for name, value in self.params.items() if not _all_finite(value)]
                    if bad:
                        raise Diverged(
                            epoch,
                            loss,
                            f"the parameter {bad[0]} became {non_finite_text(self.params[bad[0]])}",
                        )
                mean = total / self.n
                params = {name: np.array(value, copy=True) for name, value in self.params.items()}
                yield Epoch(epoch, mean, params, grads, last, tuple(samples), steps)
            self.epoch = epochs

    def _check(self, epoch: int, loss: float, grads: Mapping[str, np.ndarray], what: str) -> None:
        if not math.isfinite(loss):
            raise Diverged(epoch, loss, f"{what} became {non_finite_text(loss)}")
        for name, grad in grads.items():
            if not _all_finite(grad):
                raise Diverged(
                    epoch, loss, f"the gradient with respect to {name} became {non_finite_text(grad)}"
                )


def _all_finite(value: np.ndarray) -> bool:
    """np.all(np.isfinite(value)), without numpy's reduction for one number (a step's usual case)."""
    if type(value) is np.float64:
        return math.isfinite(value)
    return bool(np.all(np.isfinite(value)))


# --- Checking what a run is given -------------------------------------------------------------


def check_settings(lr: float, epochs: int, batch: int | str | None, optimizer: str, every: int) -> Settings:
    """Every number option checked; --batch as a number of samples (`"all"` or None: all)."""
    if not (lr > 0 and math.isfinite(lr)):
        raise GradcliError(f"--lr must be a positive number, got {lr:g}", hint="e.g. --lr 0.01")
    if epochs < 1:
        raise GradcliError(f"--epochs must be at least 1, got {epochs}")
    if every < 1:
        raise GradcliError(f"--every must be at least 1, got {every}")
    if optimizer not in OPTIMIZERS:
        raise GradcliError(f"unknown optimizer {optimizer!r}", hint=f"use one of {', '.join(OPTIMIZERS)}")
    return Settings(lr, epochs, _batch_size(batch), optimizer, every)


def _batch_size(batch: int | str | None) -> int | None:
    if batch is None or (isinstance(batch, str) and batch.strip().lower() == "all"):
        return None
    try:
        size = int(batch.strip()) if isinstance(batch, str) else int(batch)
    except ValueError:
        raise GradcliError(
            f"--batch must be a number of samples or 'all', got {batch!r}",
            hint="e.g. --batch 1, --batch 32, --batch all",
        ) from None
    if size < 1:
        raise GradcliError(
            f"--batch must be at least 1, got {size}", hint="or --batch all for every sample at once"
        )
    return size


# --- The model for --predict ---------------------------------------------------------------------


def model_program(loss: Program, known: set[str], name: str | None = None) -> tuple[Program | None, str]:
    """The part of the loss program that computes a named intermediate: `name`, or else the last
    one computed from `known` names alone (`yhat` in `yhat = w*x; (yhat - y)^2`)."""
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


def choose_model(
    loss: Program, model: str | None, at: Mapping[str, object], start: Mapping
) -> tuple[Program | str, str]:
    """What --predict evaluates, to be compiled: the --model expression (`w*x`), or the part of
    the loss computing the intermediate it names (or the last one computed from the parameters
    and the --predict names); and what to call it."""
    for name in at:
        if name in start:
            raise GradcliError(f"--predict gives {name!r}, which is a parameter: it is learned, not given")
    if model is not None and not model.strip().isidentifier():
        return model, model.strip()
    name = model.strip() if model else None
    part, label = model_program(loss, set(start) | set(at), name)
    if part is None:
        if name is not None:
            raise GradcliError(
                f"--model {name}: the loss program assigns no intermediate named {name!r}",
                hint='give the model as an expression, e.g. --model "w*x"',
            )
        raise GradcliError(
            "--predict needs the model: the loss program names no intermediate computed from the "
            f"parameters and {', '.join(at) or 'the --predict names'}",
            hint='give it with --model "w*x", or name it in the loss: "yhat = w*x; (yhat - y)^2"',
        )
    return part, label


@dataclass(frozen=True)
class Predictor:
    """The model, checked before training, and the values --predict gives it."""

    model: Evaluable
    label: str
    at: dict[str, np.ndarray]

    def __call__(self, params: Mapping[str, np.ndarray]) -> tuple[Prediction, list[str]]:
        """The prediction with the parameters reached, and the model's warnings."""
        reads = set(self.model.variables)
        point = {**{n: v for n, v in params.items() if n in reads}, **self.at}
        with np.errstate(all="ignore"):
            result = self.model(point, wrt=(), record_steps=False)
        warnings = [f"predict: {warning}" for warning in result.warnings]
        return Prediction(self.label, self.at, result.value), warnings


def predictor(model: Evaluable, label: str, at: Mapping[str, object], start: Mapping) -> Predictor:
    """The model of `choose_model`, compiled: it must read every --predict name, and nothing the
    parameters and those names do not give."""
    reads = set(model.variables)
    unknown = [name for name in at if name not in reads]
    if unknown:
        raise GradcliError(
            f"--predict gives {unknown[0]!r}, but the model {label} does not read it",
            hint=f"the model reads {', '.join(model.variables)}",
        )
    missing = [name for name in model.variables if name not in set(start) | set(at)]
    if missing:
        raise GradcliError(
            f"--predict gives no value for {', '.join(missing)}, which the model {label} reads",
            hint=f"e.g. --predict {missing[0]}=1",
        )
    values = {name: np.asarray(as_array(name, value), dtype=np.float64) for name, value in at.items()}
    return Predictor(model, label, values)


# --- A whole run ----------------------------------------------------------------------------------


def run(
    loss: Evaluable,
    columns: dict[str, np.ndarray],
    start: dict[str, np.ndarray],
    settings: Settings,
    predict: Predictor | None = None,
    on_epoch: Callable[[int], object] | None = None,
) -> DescendResult:
    """Train for `settings.epochs` epochs, calling `on_epoch(done)` after each. A loss that stops
    being finite ends the run with status "diverged", a Ctrl-C (KeyboardInterrupt) during
    training with "interrupted": the parameters reached are in the result either way."""
    s = settings
    trainer = Trainer(loss, columns, start, lr=s.lr, batch=s.batch, optimizer=s.optimizer, every=s.every)
    history = History(s.every)
    status, stopped, stopped_epoch = "done", "", None
    try:
        for done, record in enumerate(trainer.train(s.epochs), 1):
            history.append(record)
            if on_epoch is not None:
                on_epoch(done)
    except Diverged as stop:
        status, stopped_epoch = "diverged", stop.epoch
        stopped = f"diverged at epoch {stop.epoch}: {stop.what}"
    except KeyboardInterrupt:
        status, stopped_epoch = "interrupted", trainer.epoch
        stopped = f"interrupted during epoch {trainer.epoch} (of {s.epochs})"
    warnings: list[str] = []
    prediction = None
    if status == "done":
        first, last = history.first_loss, history.last.loss if history.last else None
        if history.count > 1 and last > first:
            warnings.append(
                f"the mean loss grew from {first:.6g} to {last:.6g}: the learning rate may be too large"
            )
        if predict is not None:
            prediction, more = predict(trainer.params)
            warnings += more
    return DescendResult(
        loss.source,
        settings,
        trainer.n,
        dict(trainer.params),
        history.record(),
        status=status,
        stopped=stopped,
        stopped_epoch=stopped_epoch,
        prediction=prediction,
        warnings=tuple(warnings),
    )
