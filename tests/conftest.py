"""Fixtures shared by every test area.

* ``project_copy``: a temporary copy of the reference project (pipeline.yaml,
  env.yaml, notebooks/) to build in, so tests never touch the checkout.
* ``copy_project``: a session fixture returning ``copy_project_files(dest)``,
  for module-scoped fixtures (use it with ``tmp_path_factory``).
* ``copy_built(dest)``: a copy of the reference project as built once per session
  (2,400 rows, champion churn:1), for modules that start from a built project.
* ``run_build(project_dir, *args, check=True)``: run ``.venv/bin/ploomber build``
  there as a subprocess (telemetry off, a small ``--env--data--rows`` unless
  given) and return the ``CompletedProcess``.

Notebooks import ``churn`` and ``nbops`` from the editable install of ``src/``.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from project_files import (  # noqa: F401 - re-exported for older imports
    BIN,
    PROJECT_FILES,
    ROOT,
    SMALL_ROWS,
    build_environment,
    copy_project_files,
    run_build_process,
)

#: Every test machine holds the same team key (docs/remote.md), so remote registries written
#: by one test process verify in its children; tests of a missing or wrong key unset it.
#: Keys that `nbops remote set` writes go to a throwaway config folder, never ~/.config.
os.environ.setdefault("NBOPS_REMOTE_KEY", "test-team-key-" + "k" * 32)
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="nbops-test-config-")
#: Models a service verified and kept for its next start (docs/serving.md): a throwaway
#: folder too, never ~/.cache.
os.environ["NBOPS_MODEL_CACHE"] = tempfile.mkdtemp(prefix="nbops-test-model-cache-")


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A fresh copy of the reference project in a temporary folder."""
    return copy_project_files(tmp_path / "project")


@pytest.fixture(scope="session")
def copy_project() -> Callable[[Path], Path]:
    """The :func:`copy_project_files` helper, as a fixture (usable from any scope)."""
    return copy_project_files


@pytest.fixture(scope="session")
def run_build() -> Callable[..., subprocess.CompletedProcess[str]]:
    """The :func:`run_build_process` helper, as a fixture."""
    return run_build_process


@pytest.fixture(scope="session")
def copy_built(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], Path]:
    """``copy_built(dest)``: a copy of the reference project built once per test session,
    by whichever test process needs it first (project_files.built_reference: monitoring
    pipeline, nbops' .gitignore, committed to git, champion churn:1)."""
    from project_files import copy_built_reference, session_folder

    shared = session_folder(tmp_path_factory.getbasetemp())
    return lambda dest: copy_built_reference(shared, dest)


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One real SeaweedFS S3 server for the whole session (see tests/seaweed_server.py)."""
    from seaweed_server import running_seaweedfs

    with running_seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One real Azurite blob server for the whole session (see tests/azurite_server.py)."""
    from azurite_server import running_azurite

    with running_azurite(tmp_path_factory.mktemp("azurite")) as server:
        yield server


#: The longest modules, longest first (test-seconds in CI, 2026-12-07): each starts before
#: any other, so that no worker is left alone with one of them at the end of the suite.
#: pytest-xdist hands modules out in this order only with ``--no-loadscope-reorder`` (its
#: default re-sorts them by number of tests: these few-test modules went last).
LONGEST = (
    "tests/integration/test_airflow_export.py",
    "tests/integration/test_crash_points.py",
    "tests/integration/test_monitoring.py",
    "tests/integration/test_team_remote.py",
    "tests/integration/test_dask_cluster.py",
    "tests/browser/test_lab_panel.py",
    "tests/integration/test_sweeps.py",
    "tests/integration/test_settings_read_once.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest modules first (:data:`LONGEST`), then the other end-to-end modules
    (slow, integration, browser), then the rest; each module's tests kept together and in
    order.

    ``make test`` hands whole modules to the workers (``--dist loadfile
    --no-loadscope-reorder``) in this order; the long end-to-end modules going first and
    the many quick unit modules filling the gaps at the end keeps one worker from
    finishing the suite alone.
    """
    missing = [module for module in LONGEST if not (config.rootpath / module).is_file()]
    assert not missing, f"tests/conftest.py LONGEST names modules that do not exist: {missing}"
    heavy = {item.nodeid.split("::")[0] for item in items
             if any(item.get_closest_marker(m) for m in ("slow", "integration", "browser"))}

    def rank(item: pytest.Item) -> tuple[int, bool]:
        module = item.nodeid.split("::")[0]
        first = LONGEST.index(module) if module in LONGEST else len(LONGEST)
        return first, module not in heavy

    items.sort(key=rank)
