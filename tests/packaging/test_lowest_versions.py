"""The lower bounds of pyproject.toml are tested, not guessed: an environment resolved at
the lowest versions it allows (uv's ``--resolution lowest-direct``, on Python 3.11) runs
the smoke steps of a new user: `nbops new demo && ploomber build`, `nbops init` on a plain
Ploomber project + `ploomber build`, `nbops predict`. The newest end is
test_wheel_install.py (a fresh resolution per run).

The environment is created once under .cache/packaging/, keyed by a hash of
pyproject.toml's dependencies (packaging_smoke.lowest_environment); a run reinstalls only the wheel.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import pytest
from packaging_smoke import (
    ROOT,
    UserShell,
    check_new_project_run,
    find_python,
    floors,
    init_project_builds,
    lowest_environment,
    new_project_builds,
    normalized,
    predict_scores,
)

pytestmark = [pytest.mark.slow, pytest.mark.integration]

LIST_INSTALLED = (
    "import json, importlib.metadata as m; "
    "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"
)


@pytest.fixture(scope="module")
def lowest(tmp_path_factory, dist) -> tuple[UserShell, Path]:
    python = find_python("3.11")
    if python is None:
        pytest.skip("Python 3.11 is not installed (not on PATH, not under ~/.pyenv)")
    started = time.monotonic()
    venv = lowest_environment(python, dist["wheel"])
    sys.stderr.write(f"\nlowest versions: environment ready in {time.monotonic() - started:.1f} s"
                     f" ({venv.relative_to(ROOT)})\n")
    home = tmp_path_factory.mktemp("lowest")
    return UserShell(venv, home), home


@pytest.fixture(scope="module")
def demo(lowest) -> tuple[Path, dict]:
    shell, home = lowest
    return new_project_builds(shell, home)


def test_every_dependency_is_at_its_lower_bound(lowest) -> None:
    shell, home = lowest
    listed = shell("python", "-c", LIST_INSTALLED, cwd=home)
    installed = {normalized(k): v for k, v in json.loads(listed.stdout).items()}
    assert {name: installed.get(name) for name in floors()} == floors()


def test_a_new_project_builds(lowest, demo) -> None:
    shell, _ = lowest
    project, manifest = demo
    check_new_project_run(manifest, project)
    assert shell.calls_out() == []


def test_predict_scores_with_the_new_champion(lowest, demo) -> None:
    shell, _ = lowest
    project, _ = demo
    header, rows = predict_scores(shell, project)
    assert header[-2:] == ["score", "prediction"] and rows > 100


def test_init_makes_a_plain_ploomber_project_record_runs(lowest) -> None:
    shell, home = lowest
    project = init_project_builds(shell, home)
    assert list((project / "reports" / "runs").glob("*/index.html"))


def test_the_lab_panel_loads_on_the_lowest_jupyterlab(lowest) -> None:
    """pyproject.toml lets nbops install next to JupyterLab 4.1.0, so the prebuilt panel must
    declare shared packages 4.1.0 satisfies: JupyterLab lists it enabled and OK, not 'is not
    compatible with the current JupyterLab' (which it then leaves out of the page)."""
    shell, home = lowest
    labextensions = shell("jupyter", "labextension", "list", cwd=home)
    listing = labextensions.stdout + labextensions.stderr
    assert floors()["jupyterlab"] == "4.1.0"
    assert re.search(r"nbops-lab v[0-9.]+ .*enabled.*OK", listing), listing
    assert "is not compatible" not in listing, listing
