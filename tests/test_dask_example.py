"""docs/dask_example.py, run as a user runs it: the columns Dask adds are `Compiled.batch`'s.

Needs the `dist` extra (Dask, pyarrow): skipped without it on a developer's machine; in CI
(CI=true), where .ci/run installs the extra, a missing Dask is an error, never a skip.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gradcli

if os.environ.get("CI") != "true":
    pytest.importorskip("dask.distributed")

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "1/(1 + exp(-(w0*x0 + w1*x1 + w2)))"  # the example's program and fixed values
FIXED = {"w0": 2.0, "w1": -3.0, "w2": -3.0}
ROWS = 3000


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The example on 3000 rows it writes itself (4 files): what it prints, the folder it saved."""
    if importlib.util.find_spec("distributed") is None:
        pytest.fail("Dask is not installed, but CI must have it (.ci/run installs the dist extra)")
    out = tmp_path_factory.mktemp("dask") / "out"
    done = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "dask_example.py"), "--rows", str(ROWS), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, out


@pytest.fixture(scope="module")
def written(run):
    """Every row the example saved, with the columns it added."""
    import pandas as pd

    return pd.read_parquet(run[1])


def test_the_summary_names_rows_partitions_and_means(run, written):
    stdout, out = run
    lines = stdout.splitlines()
    assert lines[0] == f"{ROWS} rows in 4 partitions on 2 workers: {SOURCE}"
    assert [line.split()[1] for line in lines[1:]] == ["value", "d_w0", "d_x0", "d_w1", "d_x1", "d_w2"]
    for line in lines[1:]:
        name, mean = line.split()[1:]
        assert float(mean) == pytest.approx(written[name].mean(), abs=1e-6)
    assert len(list(out.glob("*.parquet"))) == 4


def test_every_column_is_batch_on_the_same_rows_to_the_last_bit(written):
    assert len(written) == ROWS
    assert written["x0"].std() > 0.5 and written["x1"].std() > 0.5  # the data, not a constant
    batch = gradcli.compile(SOURCE).batch(
        {"x0": written["x0"].to_numpy(), "x1": written["x1"].to_numpy()}, FIXED
    )
    assert written["value"].dtype == np.float64
    np.testing.assert_array_equal(written["value"].to_numpy(), batch.value, strict=True)
    assert set(batch.gradient) == {"w0", "x0", "w1", "x1", "w2"}
    for name, gradient in batch.gradient.items():
        np.testing.assert_array_equal(written[f"d_{name}"].to_numpy(), gradient, strict=True)


def test_rows_agree_with_evaluate(written):
    for k in (0, 1, ROWS // 2, ROWS - 1):
        row = written.iloc[k]
        result = gradcli.evaluate(SOURCE, x0=row["x0"], x1=row["x1"], **FIXED)
        assert row["value"] == result.value
        for name, gradient in result.gradient.items():
            assert row[f"d_{name}"] == gradient, (k, name)


def test_the_readme_shows_how_to_run_it():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### More rows than one machine: Dask\n", 1)[1].split("\n## ", 1)[0]
    assert 'pip install -e ".[dist]"' in section and "python docs/dask_example.py" in section
