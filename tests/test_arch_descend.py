"""`gradcli.api.descend` and `api.open_points_run`: what the CLI calls, called from Python."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from gradcli.api import descend, evaluate_points, open_points_run
from gradcli.errors import GradcliError

LOSS = "yhat = w*x; (yhat - y)^2"
DATA = {"x": [1.0, 2.0, 3.0], "y": [2.0, 4.0, 6.0]}


def test_descend_takes_mappings_and_returns_a_frozen_result():
    result = descend(LOSS, data=DATA, params={"w": 1.0}, predict={"x": 4.0}, epochs=30, lr=0.05)
    assert result.status == "done" and result.stopped == ""
    assert float(result.params["w"]) == pytest.approx(2.0, abs=1e-3)
    assert result.prediction.model == "yhat"
    assert float(result.prediction.value) == pytest.approx(8.0, abs=1e-2)
    assert result.history.last.epoch == 29 and len(result.history.epochs) == 30
    assert result.settings.batch == 1 and result.samples == 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.status = "diverged"


def test_descend_takes_the_command_line_text_too():
    text = descend(LOSS, data="x=[1,2,3],y=[2,4,6]", params="w=1", epochs=5, batch="all")
    mapped = descend(LOSS, data=DATA, params={"w": 1}, epochs=5, batch=None)
    assert float(text.params["w"]) == float(mapped.params["w"])
    assert text.settings.batch is None


def test_divergence_and_ctrl_c_are_statuses_with_the_parameters_reached():
    diverged = descend(LOSS, data=DATA, params={"w": 1}, lr=10, epochs=100)
    assert diverged.status == "diverged" and diverged.stopped.startswith("diverged at epoch")

    def interrupt(done: int) -> None:
        if done == 3:
            raise KeyboardInterrupt

    stopped = descend(LOSS, data=DATA, params={"w": 1}, epochs=10, on_epoch=interrupt)
    assert stopped.status == "interrupted" and stopped.stopped_epoch == 2
    assert len(stopped.history.epochs) == 3 and np.isfinite(stopped.params["w"])


def test_bad_input_is_an_error_before_training():
    seen = []
    with pytest.raises(GradcliError, match="which the loss does not read"):
        descend(LOSS, data=DATA, params={"z": 1}, on_epoch=seen.append)
    with pytest.raises(GradcliError, match="one number, not one value per sample"):
        descend(LOSS, data={"x": 1.0, "y": [1.0]}, params={"w": 1}, on_epoch=seen.append)
    assert seen == []


def test_a_points_run_from_python(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("x,id\n1,a\n2,b\n")
    warnings = []
    with open_points_run("pi*x", str(path), {"pi": 3.0}, on_warning=warnings.append) as run:
        assert run.bound == ["pi", "x"] and run.from_file == ["x"]
        chunks = list(run.chunks())
        results = evaluate_points(run.compiled, chunks[0].columns, run.fixed, run.wrt, len(chunks[0]))
    assert warnings and "pi" in warnings[0]
    assert list(results.value) == [3.0, 6.0] and list(results.gradient["x"]) == [3.0, 3.0]
