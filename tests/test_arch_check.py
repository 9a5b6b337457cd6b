"""The gradient check and the --perturb nudge through the public API, and their frozen records."""

from __future__ import annotations

import dataclasses
import inspect
import subprocess
import sys

import numpy as np
import pytest

from gradcli import api
from gradcli.errors import GradcliError
from gradcli.records import NodeRecord


def test_check_takes_values_as_a_mapping_or_as_keywords():
    by_mapping = api.check("sin(x)*y^2", {"x": 1.0, "y": 2.0})
    by_keywords = api.check("sin(x)*y^2", x=1.0, y=2.0)
    assert [row.reverse for row in by_mapping.rows] == [row.reverse for row in by_keywords.rows]
    assert by_mapping.passed and by_mapping.verdict == "ok"


def test_source_and_at_are_positional_only_so_they_may_name_variables():
    result = api.check("source * at", source=2.0, at=3.0)
    assert {row.variable for row in result.rows} == {"source", "at"}


def test_check_wrt_checks_only_those_variables():
    result = api.check("sin(x)*y^2", {"x": 1.0, "y": 2.0}, wrt=["y"])
    assert [row.variable for row in result.rows] == ["y"]
    assert result.rows[0].reverse == pytest.approx(np.sin(1.0) * 4.0)


def test_check_wrt_must_name_a_variable():
    with pytest.raises(GradcliError, match="not a variable"):
        api.check("x*y", {"x": 1.0, "y": 2.0}, wrt=["z"])


def test_check_settings_are_validated():
    with pytest.raises(GradcliError, match="--rtol must be"):
        api.check("x", {"x": 1.0}, rtol=-1.0)


def test_perturb_takes_the_spec_by_keyword():
    nudge = api.perturb("u = b*c; v = a + u; J = 3*v", {"a": 5, "b": 3, "c": 2}, spec="u")
    assert nudge.target_label == "u" and nudge.h == 0.001
    assert float(nudge.rows[-1].after) == pytest.approx(33.003)
    assert float(nudge.rows[-1].reverse) == 3.0


def test_results_are_frozen_records_of_records():
    result = api.check("relu(x) + y", {"x": 0.0, "y": 1.0})
    nudge = api.perturb("x*x", {"x": np.array([1.0, 2.0])}, spec="x[1]")
    for record in (result, result.rows[0], nudge, nudge.rows[0]):
        with pytest.raises(dataclasses.FrozenInstanceError):
            record.note = "changed"  # type: ignore[misc]
    assert isinstance(nudge.target, NodeRecord)
    assert all(isinstance(row.node, NodeRecord) for row in nudge.rows)
    assert nudge.target_label == "x[1]"


def test_the_api_defaults_are_the_checks_own():
    # api.check writes its defaults out so that `import gradcli.api` does not load the check.
    from gradcli.gradcheck import Settings

    parameters = inspect.signature(api.check).parameters
    defaults = Settings()
    assert [parameters[name].default for name in ("eps", "rtol", "atol")] == [
        defaults.eps,
        defaults.rtol,
        defaults.atol,
    ]


def test_importing_the_api_does_not_load_the_check():
    code = (
        "import sys, gradcli.api; "
        "print(sorted(m for m in ('gradcli.gradcheck', 'gradcli.nudge') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
