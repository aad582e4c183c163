"""Reuse restores a task's products only from a run made on this Python with these exact
package versions: a run built with other versions is never reused."""

from __future__ import annotations

import pytest

from nbops.adapters import TaskInfo
from nbops.core import hash_file
from nbops.runs import _provenance as provenance
from nbops.runs._reuse import plan_reuse


@pytest.fixture
def task(project) -> TaskInfo:
    source = project.root / "make.py"
    source.write_text("data = 1\n")
    return TaskInfo(name="a", status="not_run", will_run=True, source_path=source,
                    products={"data": project.root / "out" / "data",
                              "model": project.root / "out" / "model"},
                    notebook_key=None, params={"seed": 1})


def _run(add_run, project, packages: dict[str, str], python: str | None = None) -> str:
    here, _ = provenance.interpreter()
    manifest = add_run(products={"data": b"d", "model": b"m"})
    manifest["provenance"]["python"] = python or here
    manifest["provenance"]["packages"] = packages
    manifest["tasks"]["a"]["source"]["hash"] = hash_file(project.root / "make.py")
    from nbops.runs._persist import save_manifest

    save_manifest(project, manifest)
    return manifest["run_id"]


def test_a_run_with_the_same_environment_is_reused(project, add_run, task: TaskInfo) -> None:
    run_id = _run(add_run, project, provenance.installed_packages())
    plan = plan_reuse(project, [task])
    assert (plan.run_id, plan.tasks, plan.needed) == (run_id, ["a"], True)


@pytest.mark.parametrize("change", ["other version", "one package more", "one package less",
                                    "other python"])
def test_a_run_built_with_other_packages_or_python_is_not_reused(
    project, add_run, task: TaskInfo, change: str
) -> None:
    packages = dict(provenance.installed_packages())
    name = sorted(packages)[0]
    python = None
    if change == "other version":
        packages[name] = packages[name] + ".post1"
    elif change == "one package more":
        packages["a-package-not-installed"] = "1.0"
    elif change == "one package less":
        del packages[name]
    else:
        python = "2.7.18"
    _run(add_run, project, packages, python)
    plan = plan_reuse(project, [task])
    assert plan.run_id is None and plan.tasks == []
