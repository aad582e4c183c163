"""`nbops init` in Ploomber projects written the way Ploomber's own examples are, then
a plain `ploomber build` records complete runs.

Two fixture projects (tests/fixtures/), written for these tests in the shapes of
Ploomber's public example projects: function tasks (``tasks.data.get`` with
``product``/``upstream`` arguments, ``extract_upstream: false``, 4-space YAML) and
notebook tasks (jupytext scripts with ``upstream``/``product`` in a parameters
cell, products under ``output/``). Each is initialised and built once per module.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from project_files import BIN, build_environment

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).parents[1] / "fixtures"


def nbops(project: Path, *args: str, env: dict[str, str] | None = None,
          ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "nbops"), *args], cwd=project, capture_output=True,
                          text=True, env=env or build_environment(), timeout=120)


def is_subsequence(original: list[str], new: list[str]) -> bool:
    """Every original line is still there, in order (nbops only added lines)."""
    rest = iter(new)
    return all(any(line == other for other in rest) for line in original)


def _initialised(tmp_path_factory: pytest.TempPathFactory, fixture: str,
                 *flags: str) -> dict[str, object]:
    project = tmp_path_factory.mktemp("init") / fixture
    shutil.copytree(FIXTURES / fixture, project)
    before = (project / "pipeline.yaml").read_text()
    first = nbops(project, "init", *flags)
    assert first.returncode == 0, first.stderr
    after = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    second = nbops(project, "init", *flags)
    again = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    build = subprocess.run([str(BIN / "ploomber"), "build"], cwd=project, capture_output=True,
                           text=True, env=build_environment(), timeout=600)
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-4000:]
    return {"project": project, "before": before, "first": first, "second": second,
            "after": after, "again": again}


@pytest.fixture(scope="module")
def functions_project(tmp_path_factory):
    return _initialised(tmp_path_factory, "ploomber_functions")


@pytest.fixture(scope="module")
def notebooks_project(tmp_path_factory):
    return _initialised(tmp_path_factory, "ploomber_notebooks", "--registry", "--executor")


@pytest.mark.parametrize("which", ["functions_project", "notebooks_project"])
def test_init_only_adds_lines_and_a_second_run_changes_nothing(which, request) -> None:
    state = request.getfixturevalue(which)
    project: Path = state["project"]
    new = (project / "pipeline.yaml").read_text()
    assert is_subsequence(state["before"].splitlines(), new.splitlines())
    assert "on_finish: nbops.hooks.on_finish" in new
    assert "wrote pipeline.yaml" in state["first"].stdout
    assert "nothing changed" in state["second"].stdout
    assert state["again"] == state["after"]
    ignored = (project / ".gitignore").read_text().splitlines()
    assert {"reports/*", "!reports/README.md", ".nbops/*"} <= set(ignored)
    assert (project / "reports" / "README.md").is_file()
    settings = json.loads(
        (project / ".jupyter/labconfig/default_setting_overrides.json").read_text())
    viewers = settings["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]
    assert viewers["python"] == "Jupytext Notebook"


@pytest.mark.parametrize("which, tasks", [
    ("functions_project", {"get", "clean", "summarize"}),
    ("notebooks_project", {"load", "clean", "plot"}),
])
def test_plain_ploomber_build_records_a_complete_run(which, tasks, request) -> None:
    project: Path = request.getfixturevalue(which)["project"]
    (run_dir,) = [p for p in (project / "reports" / "runs").iterdir() if p.is_dir()]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "succeeded"
    assert manifest["project"] == project.name
    assert set(manifest["tasks"]) == tasks
    for name, task in manifest["tasks"].items():
        assert task["status"] == "executed", name
        assert task["products"] and all(p["hash"].startswith("blake3:")
                                        for p in task["products"].values()), name
    assert (run_dir / "seal.json").is_file()
    assert (project / "reports" / "index.html").is_file()
    listing = nbops(project, "runs")
    assert run_dir.name in listing.stdout and "succeeded" in listing.stdout


def test_registry_and_executor_flags_are_in_force(notebooks_project) -> None:
    project: Path = notebooks_project["project"]
    pipeline = (project / "pipeline.yaml").read_text()
    assert "dotted_path: nbops.engine.executor.NbopsExecutor" in pipeline
    # the project has no model: --registry writes nothing in force (no env.yaml to break
    # the build, no {{registry}} placeholder) and says what is missing
    assert "'{{registry}}'" not in pipeline and not (project / "env.yaml").exists()
    assert "to do: registry.model_file" in notebooks_project["first"].stdout
    manifest = json.loads(next((project / "reports/runs").glob("*/manifest.json")).read_text())
    assert "registry" not in manifest["env"] and manifest.get("gates") is None
    # the notebooks were executed by papermill in fresh kernels: outputs are there
    notebook = json.loads((project / "output" / "plot.ipynb").read_text())
    assert any(cell.get("outputs") for cell in notebook["cells"])


def _forget_modules_under(folder: Path) -> None:
    """The project's task modules, imported into this process by Ploomber's render, leave
    with it (another fixture project has a ``tasks`` package too)."""
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", None) or "").startswith(str(folder)):
            del sys.modules[name]


@pytest.mark.parametrize("which, edited, change, downstream", [
    ("functions_project", "clean", ("frame.dropna()", "frame.dropna(how='all')"), ["summarize"]),
    ("notebooks_project", "clean", ("df.a > -2", "df.a > -3"), ["plot"]),
])
def test_the_lab_panel_reads_an_initialised_project(which, edited, change, downstream, request,
                                                    tmp_path) -> None:
    """The JupyterLab panel's pipeline (what GET /nbops/api/pipeline answers) on a project
    nbops init set up: states after the build, then after one step's code changed."""
    from nbops.lab._context import LabContext

    project = tmp_path / "project"
    shutil.copytree(request.getfixturevalue(which)["project"], project, symlinks=True)
    lab = LabContext(project)
    request.addfinalizer(lambda: _forget_modules_under(project))
    with warnings.catch_warnings():  # Ploomber's dependencies' import-time deprecations
        warnings.simplefilter("ignore", DeprecationWarning)
        view = lab.pipeline()
    assert view["runs"] == 1 and view["latest_run"]["status"] == "succeeded"
    assert view["build"] is None and view["running_elsewhere"] is None
    for task in view["tasks"]:
        assert (task["state"], task["reasons"]) == ("up to date", []), task
        assert task["last_run"]["status"] == "executed", task
        assert task["path"] and (project / task["path"]).is_file(), task
    source = project / next(t["path"] for t in view["tasks"] if t["name"] == edited)
    assert change[0] in source.read_text()
    source.write_text(source.read_text().replace(*change))
    after = {task["name"]: task for task in lab.pipeline()["tasks"]}
    assert after[edited]["state"] == "out of date" and "code" in after[edited]["reasons"]
    for name in downstream:
        assert after[name]["state"] == "out of date"
        assert after[name]["reasons"] == ["upstream"], after[name]
    untouched = set(after) - {edited, *downstream}
    assert untouched and all(after[name]["state"] == "up to date" for name in untouched)
