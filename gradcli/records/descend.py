"""The records of a gradient descent (`gradcli.descent`): each epoch, the history a run keeps
(`History` collects it, bounded, while the run goes; `EpochHistory` is what it kept, frozen), the
prediction, and the result as a whole. `gradcli.render.descend` reads these and nothing of the
training loop."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Sample:
    """One sample's step (batch 1, on report epochs): its values, loss and gradient."""

    at: dict[str, np.ndarray]
    loss: float
    grad: dict[str, np.ndarray]


@dataclass(frozen=True, eq=False)
class Epoch:
    """One epoch of training, as the table and the JSON history show it."""

    epoch: int
    loss: float  # the mean of the per-sample losses met during the epoch
    params: dict[str, np.ndarray]  # after the epoch's last update
    grad: dict[str, np.ndarray]  # the last step's gradient (batch 1: the last sample's)
    last_loss: float | None = None  # batch 1: the last sample's loss (the seed prints it)
    samples: tuple[Sample, ...] = ()  # batch 1, report epochs only
    steps: int = 0


@dataclass(frozen=True, eq=False)
class EpochHistory:
    """The epochs a run kept (bounded whatever the epoch count: the first `keep` epochs, the last
    `keep` report epochs and the last epoch) and the mean losses of its loss curve."""

    epochs: tuple[Epoch, ...]  # in order
    losses: tuple[float, ...]  # every epoch's mean loss, or evenly thinned, the last one included
    keep: int  # epochs kept at each end of a long run
    left_out: int  # epochs whose records were not kept
    rows_left_out: int  # epochs --every shows whose records were not kept

    @property
    def last(self) -> Epoch | None:
        """The last epoch run."""
        return self.epochs[-1] if self.epochs else None


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

    def record(self) -> EpochHistory:
        """What was kept, frozen for the result."""
        return EpochHistory(
            tuple(self), tuple(self.losses()), HISTORY_KEEP, self.left_out, self.rows_left_out
        )


@dataclass(frozen=True)
class Settings:
    """How a run descends (checked by `gradcli.descent.check_settings`)."""

    lr: float
    epochs: int  # asked for
    batch: int | None  # samples per step; None: all of them
    optimizer: str  # sgd, momentum or adam
    every: int  # the epochs shown: every Nth keeps its per-sample steps


@dataclass(frozen=True, eq=False)
class Prediction:
    """The trained model evaluated at the --predict values."""

    model: str  # the name of the loss's intermediate, or the model's source
    at: dict[str, np.ndarray]
    value: np.ndarray


@dataclass(frozen=True, eq=False)
class DescendResult:
    """A gradient descent run: its settings, the history kept, where it ended and why."""

    source: str
    settings: Settings
    samples: int
    params: dict[str, np.ndarray]  # the parameters reached
    history: EpochHistory
    status: str = "done"  # done | diverged | interrupted
    stopped: str = ""  # why it stopped early, for people
    stopped_epoch: int | None = None
    prediction: Prediction | None = None
    warnings: tuple[str, ...] = ()
