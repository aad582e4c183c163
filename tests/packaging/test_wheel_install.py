"""nbops installed as a user installs it: `uv build` (the sdist, then the wheel from it),
then a fresh virtual environment per supported Python, outside the repository, resolved at
the newest versions pyproject.toml allows. In each: no start-up code added, and `nbops new
demo && ploomber build` with nothing calling home; the sdist installs too. On Python 3.11
(the newest end; the lowest is test_lowest_versions.py) also `nbops init` on a plain
Ploomber project + `ploomber build`, `nbops predict`, and the opt-in start-up hooks
(`nbops init --speedups`) take effect and go away again.

Interpreters are looked up on PATH, then under ~/.pyenv/versions (packaging_smoke); a
missing version is reported as skipped, never passed. uv's cache makes an environment a
matter of links. The lowest allowed versions: test_lowest_versions.py. The per-version
tests run here on 3.11 and in test_wheel_install_newer_pythons.py on 3.12 and 3.13.
"""

from __future__ import annotations

import re
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from packaging_smoke import (
    FIXTURE_PROJECT,
    ROOT,
    UserShell,
    check_new_project_run,
    find_python,
    init_project_builds,
    install,
    new_project_builds,
    predict_scores,
)

from nbops.runtime.startup_hooks import HOOKS

pytestmark = [pytest.mark.slow, pytest.mark.integration]

VERSIONS = ("3.11",)  # 3.12 and 3.13: test_wheel_install_newer_pythons.py
NEWEST_END = "3.11"  # the smoke steps beyond `new` + build, and the speedups


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Per-version tests run for the VERSIONS of the module collecting them."""
    if "version" in metafunc.fixturenames:
        metafunc.parametrize("version", metafunc.module.VERSIONS)


def _python(version: str) -> str:
    python = find_python(version)
    if python is None:
        pytest.skip(f"Python {version} is not installed (not on PATH, not under ~/.pyenv)")
    return python


@pytest.fixture(scope="module")
def environments(dist, tmp_path_factory) -> Callable[[str], tuple[UserShell, Path]]:
    """version -> (shell, work folder): a fresh venv with the wheel and its newest
    dependencies, made once per module."""
    made: dict[str, tuple[UserShell, Path]] = {}

    def get(version: str) -> tuple[UserShell, Path]:
        if version not in made:
            python = _python(version)
            home = tmp_path_factory.mktemp(f"py{version}")
            assert not home.resolve().is_relative_to(ROOT)
            started = time.monotonic()
            install(home / "venv", str(dist["wheel"]), python=python)
            sys.stderr.write(f"\nwheel on Python {version}: venv+install "
                             f"{time.monotonic() - started:.1f} s\n")
            made[version] = UserShell(home / "venv", home), home
        return made[version]

    return get


@pytest.fixture(scope="module")
def newest(environments) -> tuple[UserShell, Path]:
    """The newest end, on the repository's Python (the lowest: test_lowest_versions.py)."""
    return environments(NEWEST_END)


@pytest.fixture(scope="module")
def demos(environments) -> Callable[[str], tuple[Path, dict]]:
    """version -> (project, manifest) of `nbops new demo && ploomber build`, built once."""
    built: dict[str, tuple[Path, dict]] = {}

    def get(version: str) -> tuple[Path, dict]:
        if version not in built:
            shell, home = environments(version)
            started = time.monotonic()
            built[version] = new_project_builds(shell, home)
            sys.stderr.write(f"\nPython {version}: nbops new + ploomber build "
                             f"{time.monotonic() - started:.1f} s\n")
        return built[version]

    return get


def test_the_wheel_adds_no_start_up_code_and_no_example(version, environments) -> None:
    shell, home = environments(version)
    site = shell.site_packages()
    assert site.is_relative_to(home / "venv")
    assert not [p.name for p in site.glob("*.pth") if "nbops" in p.name or p.name in HOOKS]
    no_churn = shell("python", "-c", "import churn", cwd=home)
    assert no_churn.returncode != 0 and "No module named 'churn'" in no_churn.stderr


def test_the_wheel_installs_the_lab_panel(version, environments) -> None:
    """With only the wheel (no Node.js, no repository), JupyterLab lists the prebuilt panel
    and jupyter_server enables the API behind it."""
    shell, home = environments(version)
    labextensions = shell("jupyter", "labextension", "list", cwd=home)
    listing = labextensions.stdout + labextensions.stderr
    assert re.search(r"nbops-lab v[0-9.]+ .*enabled.*OK", listing), listing
    server = shell("jupyter", "server", "extension", "list", cwd=home)
    listing = server.stdout + server.stderr
    assert re.search(r"nbops\.lab .*enabled", listing), listing


def test_a_new_project_builds_and_calls_no_one(version, environments, demos) -> None:
    shell, _ = environments(version)
    project, manifest = demos(version)
    check_new_project_run(manifest, project)
    assert manifest["provenance"]["python"].startswith(version)
    # Ploomber 0.23.3 sends no telemetry from `ploomber build`, and without nbops' start-up
    # hooks nothing else does: no process of the build reached another machine
    assert shell.calls_out() == []


def test_predict_scores_with_the_new_champion(newest, demos) -> None:
    shell, _ = newest
    project, _ = demos(NEWEST_END)
    header, rows = predict_scores(shell, project)
    assert header[-2:] == ["score", "prediction"] and rows > 100


def test_init_makes_a_plain_ploomber_project_record_runs(newest) -> None:
    shell, home = newest
    project = init_project_builds(shell, home)
    assert list((project / "reports" / "runs").glob("*/index.html"))
    assert shell.calls_out() == []


def test_the_sdist_installs(version, dist, tmp_path) -> None:
    """pip/uv build the wheel from the sdist themselves (hatchling, isolated)."""
    python = _python(version)
    install(tmp_path / "venv", str(dist["sdist"]), python=python)
    shell = UserShell(tmp_path / "venv", tmp_path)
    shown = shell("nbops", "--version", cwd=tmp_path)
    assert shown.returncode == 0 and "0.1.0" in shown.stdout, shown.stdout + shown.stderr
    assert not list(shell.site_packages().glob("nbops*.pth"))


PROBE = (
    "import os, sys; import ploomber.env.envdict as e; "
    "from nbops.runtime.lazy_grammar import LazyGrammarFinder; "
    "print(os.environ.get('PLOOMBER_STATS_ENABLED'), "
    "any(isinstance(f, LazyGrammarFinder) for f in sys.meta_path), "
    "getattr(e.load_from_source, '_nbops_checked', False))"
)
BROKEN_ENV = "data:\n  rows: [1\nseed: 1\n"


def test_speedups_are_opt_in_and_can_be_removed(newest, tmp_path) -> None:
    shell, _ = newest
    site = shell.site_packages()
    project = tmp_path / "broken"
    shutil.copytree(FIXTURE_PROJECT, project)
    (project / "env.yaml").write_text(BROKEN_ENV)
    try:
        on = shell("nbops", "init", "--speedups", cwd=shutil.copytree(FIXTURE_PROJECT,
                                                                       tmp_path / "plain"))
        assert on.returncode == 0, on.stderr
        assert {p.name for p in site.glob("nbops_*.pth")} == set(HOOKS)
        assert shell("python", "-c", PROBE, cwd=tmp_path).stdout.split() == [
            "false", "True", "True"]
        build = shell("ploomber", "build", cwd=project)
        assert build.returncode == 1 and "Traceback" not in build.stderr, build.stderr
        last = build.stderr.strip().splitlines()[-1]
        assert "env.yaml is not valid YAML at line" in last and "Fix: correct the env.yaml" in last
    finally:
        off = shell("nbops", "init", "--remove-speedups", cwd=project)
    assert off.returncode == 0 and "removed" in off.stdout, off.stdout + off.stderr
    assert not list(site.glob("nbops_*.pth"))
    assert shell("python", "-c", PROBE, cwd=tmp_path).stdout.split() == [
        "None", "False", "False"]
    # without the hooks, Ploomber reports the broken env.yaml its own way
    build = shell("ploomber", "build", cwd=project)
    assert build.returncode == 1 and "env.yaml is not valid YAML" not in build.stderr
