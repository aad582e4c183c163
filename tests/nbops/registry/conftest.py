"""Fixtures: a tiny project with real skops models, data files and feature schemas."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from registry_helpers import MakeRun, make_data, run_writer


@pytest.fixture(scope="session")
def datasets() -> tuple[pd.DataFrame, pd.DataFrame]:
    return make_data(1500, seed=1), make_data(800, seed=2)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pipeline.yaml").write_text("tasks: []\n")
    return tmp_path


@pytest.fixture
def make_run(project: Path, datasets: tuple[pd.DataFrame, pd.DataFrame]) -> MakeRun:
    """Write one run's products into the test's project and return its Candidate."""
    return run_writer(project, datasets)
