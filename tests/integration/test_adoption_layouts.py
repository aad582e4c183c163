"""Projects laid out as teams lay them out, adopted with `nbops init` and built with a
plain `ploomber build` from the repository root (real kernels, one project per fixture).

* ``packaged_project``: ``setup.py`` + ``src/pkgproj/pipeline.yaml`` (Ploomber's packaged
  layout), a second ``pipeline.other.yaml``, the project's own DAG ``on_finish`` hook (with
  a parameter) and a task-level hook;
* ``factory_project``: the pipeline is a Python factory, ``--entry-point
  factproj.pipeline.make``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from project_files import BIN, build_environment

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FIXTURES = Path(__file__).parents[1] / "fixtures"


def _run(project: Path, *argv: str, env: dict[str, str] | None = None,
         ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / argv[0]), *argv[1:]], cwd=project, capture_output=True,
                          text=True, env=env or build_environment(), timeout=600)


def _manifests(project: Path) -> list[dict]:
    found = [json.loads(p.read_text()) for p in (project / "reports/runs").glob("*/manifest.json")]
    return sorted(found, key=lambda m: m["run_id"])


@pytest.fixture(scope="module")
def packaged(tmp_path_factory) -> dict[str, object]:
    project = tmp_path_factory.mktemp("layouts") / "packaged"
    shutil.copytree(FIXTURES / "packaged_project", project)
    init = _run(project, "nbops", "init")
    assert init.returncode == 0, init.stderr
    main = _run(project, "ploomber", "build")
    assert main.returncode == 0, main.stdout[-2000:] + main.stderr[-3000:]
    other = _run(project, "ploomber", "build", "-e", "src/pkgproj/pipeline.other.yaml")
    assert other.returncode == 0, other.stdout[-2000:] + other.stderr[-3000:]
    task = _run(project, "ploomber", "task", "make", "--force")
    (project / "build_script.py").write_text(
        "from ploomber.spec import DAGSpec\n\n"
        "spec = DAGSpec('src/pkgproj/pipeline.yaml', env={'scale': 5})\n"
        "spec.to_dag().build(force=True)\n")
    script = _run(project, "python", "build_script.py")
    assert script.returncode == 0, script.stdout[-2000:] + script.stderr[-3000:]
    return {"project": project, "init": init, "task": task}


def test_packaged_layout_is_found_from_the_root_and_reports_go_there(packaged) -> None:
    project: Path = packaged["project"]
    assert "wrote src/pkgproj/pipeline.yaml" in packaged["init"].stdout
    assert (project / "reports/index.html").is_file() and (project / ".nbops/store").is_dir()
    assert not (project / "src/pkgproj/reports").exists()
    assert not (project / "src/pkgproj/.nbops").exists()
    runs = _manifests(project)[:2]  # the two ploomber build commands
    assert [m["build"]["pipeline"] for m in runs] == ["src/pkgproj/pipeline.yaml",
                                                      "src/pkgproj/pipeline.other.yaml"]
    assert all(m["status"] == "succeeded" for m in runs)
    assert runs[0]["env"] == {"scale": 3} and runs[0]["build"]["env_file"] == "src/pkgproj/env.yaml"
    for folder in (project, project / "src/pkgproj/scripts"):
        listing = _run(folder, "nbops", "runs")
        assert listing.returncode == 0, listing.stderr
        assert all(m["run_id"] in listing.stdout for m in runs)


def test_a_second_pipeline_file_is_recorded_with_its_own_tasks(packaged) -> None:
    other = _manifests(packaged["project"])[1]
    assert set(other["tasks"]) == {"other"} and other["tasks"]["other"]["status"] == "executed"


def test_the_projects_own_hooks_still_run(packaged) -> None:
    project: Path = packaged["project"]
    assert (project / "output/built.txt").read_text() == "2 tasks\n"  # DAG hook, its parameter
    assert (project / "output/numbers.csv.done").is_file()  # task-level hook


def test_ploomber_task_says_once_why_it_is_not_recorded(packaged) -> None:
    task = packaged["task"]
    assert task.returncode == 0, task.stderr[-2000:]
    said = (task.stdout + task.stderr).count("ploomber task is not recorded")
    assert said == 1
    runs = _manifests(packaged["project"])  # two ploomber build commands and the script
    assert len(runs) == 3 and not any("task" in m["command"] for m in runs)


def test_an_env_passed_from_a_python_script_is_the_one_recorded(packaged) -> None:
    project: Path = packaged["project"]
    scripted = _manifests(project)[-1]
    assert scripted["env"] == {"scale": 5} and scripted["status"] == "succeeded"
    assert scripted["build"]["pipeline"] == "src/pkgproj/pipeline.yaml"
    assert (project / "output/numbers.csv").read_text().split()[1:3] == ["0", "5"]


def test_no_word_of_the_reference_project_in_a_foreign_projects_runs(packaged) -> None:
    project: Path = packaged["project"]
    for path in [*(project / "reports").rglob("*"), *(project / "src").rglob("*.yaml")]:
        if path.is_file() and path.suffix in {".html", ".json", ".jsonl", ".yaml", ".md"}:
            text = path.read_text(errors="replace")
            for word in ("embedded generator", "max_iter", "churn", "docs/"):
                assert word not in text, (word, path)


@pytest.fixture(scope="module")
def factory(tmp_path_factory) -> dict[str, object]:
    project = tmp_path_factory.mktemp("layouts") / "factory"
    shutil.copytree(FIXTURES / "factory_project", project)
    env = {**build_environment(), "PYTHONPATH": os.pathsep.join(
        [str(project / "src"), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    init = _run(project, "nbops", "init", "--entry-point", "factproj.pipeline.make", env=env)
    assert init.returncode == 0, init.stderr
    build = _run(project, "ploomber", "build", "-e", "factproj.pipeline.make", env=env)
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-3000:]
    return {"project": project, "init": init}


def test_a_factory_entry_point_is_recorded_at_the_root(factory) -> None:
    project: Path = factory["project"]
    assert "factproj.pipeline.make, which nbops cannot edit" in factory["init"].stdout
    assert (project / "reports/README.md").is_file() and (project / ".gitignore").is_file()
    (run,) = _manifests(project)
    assert run["status"] == "succeeded" and set(run["tasks"]) == {"numbers", "total"}
    assert run["build"]["pipeline"] == "factproj.pipeline.make"
    listing = _run(project, "nbops", "runs")
    assert listing.returncode == 0 and run["run_id"] in listing.stdout
