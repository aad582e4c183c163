"""Which earlier run a build restores tasks from, and which tasks: every condition of "the
same task" (status, source, parameters, product paths and hashes, upstream, run status)
decides on its own, and a restore forgets what Ploomber knew of the tasks below."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nbops.adapters import TaskInfo, metadata_path
from nbops.core import Project, hash_file
from nbops.runs import _provenance as provenance
from nbops.runs._persist import save_manifest
from nbops.runs._reuse import ReusePlan, plan_reuse, restore


@pytest.fixture
def tasks(project: Project) -> list[TaskInfo]:
    """``a`` makes data and model; ``b`` reads them and makes a report; ``c`` reads b."""
    (project.root / "pipeline.yaml").write_text(
        "tasks:\n  - source: make.py\n    product:\n      data: out/data\n"
        "      model: out/model\n  - source: report.py\n    product: out/report\n"
        "  - source: publish.py\n    product: out/site\n")
    for name in ("make.py", "report.py", "publish.py"):
        (project.root / name).write_text(f"# {name}\n")
    out = project.root / "out"
    return [
        TaskInfo(name="a", status="not_run", will_run=True, source_path=project.root / "make.py",
                 products={"data": out / "data", "model": out / "model"}, notebook_key=None,
                 params={"seed": 1}),
        TaskInfo(name="b", status="not_run", will_run=False,
                 source_path=project.root / "report.py", products={"product": out / "report"},
                 notebook_key=None, params={}, upstream=["a"]),
        TaskInfo(name="c", status="not_run", will_run=True,
                 source_path=project.root / "publish.py", products={"product": out / "site"},
                 notebook_key=None, params={}, upstream=["b"]),
    ]


def _record(project: Project, add_run: Any, status: str = "succeeded",
            change: Any = None) -> str:
    """An earlier run of a, b and c on this Python and these packages; ``change`` edits it."""
    manifest = add_run(status=status, products={"data": b"d", "model": b"m"})
    a = manifest["tasks"]["a"]
    a["source"]["hash"] = hash_file(project.root / "make.py")
    for name, source, upstream, key in (("b", "report.py", ["a"], "report"),
                                        ("c", "publish.py", ["b"], "site")):
        manifest["tasks"][name] = {**a, "upstream": upstream,
                                   "source": {"path": source,
                                              "hash": hash_file(project.root / source)},
                                   "products": {"product": {**a["products"]["data"],
                                                            "path": f"out/{key}"}}}
        manifest["params"][name] = {}
    manifest["provenance"]["python"] = provenance.interpreter()[0]
    manifest["provenance"]["packages"] = provenance.installed_packages()
    if change:
        change(manifest)
    save_manifest(project, manifest)
    return str(manifest["run_id"])


def test_every_unchanged_task_is_planned_from_the_run_and_restore_is_needed(
    project: Project, add_run: Any, tasks: list[TaskInfo],
) -> None:
    run_id = _record(project, add_run)
    plan = plan_reuse(project, tasks)
    assert (plan.run_id, plan.tasks, plan.needed, plan.downstream) == (
        run_id, ["a", "b", "c"], True, [])


@pytest.mark.parametrize("change, reused", [
    (lambda m: m["tasks"]["b"].update(status="failed"), ["a"]),
    (lambda m: m["tasks"]["b"].update(status="not_run"), ["a"]),
    (lambda m: m["tasks"]["b"].update(status="skipped"), ["a", "b", "c"]),
    (lambda m: m["tasks"]["b"]["source"].update(hash="blake3:" + "1" * 64), ["a"]),
    (lambda m: m["params"]["a"].update(seed=2), []),
    (lambda m: m["params"].pop("a"), []),
    (lambda m: m["tasks"]["b"]["products"]["product"].update(path="elsewhere/report"), ["a"]),
    (lambda m: m["tasks"]["b"]["products"]["product"].update(hash=None), ["a"]),
    (lambda m: m["tasks"]["a"]["products"].pop("model"), []),
    (lambda m: m["tasks"]["a"]["products"].update(
        extra={"path": "out/x", "hash": "blake3:" + "2" * 64, "size": 1}), []),
    (lambda m: m["tasks"].pop("b"), ["a"]),
])
def test_a_task_that_differs_is_not_restored_nor_anything_below_it(
    project: Project, add_run: Any, tasks: list[TaskInfo], change: Any, reused: list[str],
) -> None:
    run_id = _record(project, add_run, change=change)
    plan = plan_reuse(project, tasks)
    assert plan.tasks == reused and plan.run_id == (run_id if reused else None)
    below = {"a": ["b", "c"], "b": ["c"]}
    expected = [] if not reused or reused == ["a", "b", "c"] else below[reused[-1]]
    products = {"b": [project.root / "out" / "report"], "c": [project.root / "out" / "site"]}
    assert plan.downstream == [p for name in expected for p in products[name]]


def test_a_task_without_a_source_file_is_never_restored(
    project: Project, add_run: Any, tasks: list[TaskInfo],
) -> None:
    _record(project, add_run)
    tasks[0].source_path = None
    assert plan_reuse(project, tasks).tasks == []


def test_secret_parameters_never_match_even_when_equal(
    project: Project, add_run: Any, tasks: list[TaskInfo],
) -> None:
    _record(project, add_run, change=lambda m: m["params"]["a"].update(password="hunter2"))
    tasks[0].params = {"seed": 1, "password": "hunter2"}
    assert plan_reuse(project, tasks).tasks == []


@pytest.mark.parametrize("status, considered", [
    ("succeeded", True), ("gated", True), ("failed", True), ("interrupted", False),
    ("running", False),
])
def test_only_finished_runs_are_reuse_sources(
    project: Project, add_run: Any, tasks: list[TaskInfo], status: str, considered: bool,
) -> None:
    run_id = _record(project, add_run, status=status)
    assert plan_reuse(project, tasks).run_id == (run_id if considered else None)


def test_the_run_giving_the_most_tasks_wins_and_the_newest_of_equals(
    project: Project, add_run: Any, tasks: list[TaskInfo],
) -> None:
    best = _record(project, add_run)
    _record(project, add_run, change=lambda m: m["tasks"]["c"].update(status="failed"))
    assert plan_reuse(project, tasks).run_id == best
    newest = _record(project, add_run)
    assert plan_reuse(project, tasks).run_id == newest


def test_nothing_is_needed_when_no_restored_task_would_run(
    project: Project, add_run: Any, tasks: list[TaskInfo],
) -> None:
    _record(project, add_run, change=lambda m: m["tasks"]["c"].update(status="failed"))
    for info in tasks:
        info.will_run = info.name == "c"
    plan = plan_reuse(project, tasks)
    assert plan.tasks == ["a", "b"] and plan.needed is False
    assert restore(project, plan) == []
    assert not (project.root / "out" / "data").exists()


def test_restore_puts_products_back_and_forgets_what_ploomber_knew_below(
    project: Project, add_run: Any, tasks: list[TaskInfo],
) -> None:
    _record(project, add_run, change=lambda m: m["tasks"]["c"].update(status="failed"))
    plan = plan_reuse(project, tasks)
    site = project.root / "out" / "site"
    site.parent.mkdir(parents=True, exist_ok=True)
    site.write_text("built from other inputs")
    metadata_path(site).write_text("{}")
    assert restore(project, plan) == ["a", "b"]
    assert (project.root / "out" / "data").read_bytes() == b"d"
    assert not metadata_path(site).exists()
    assert site.read_text() == "built from other inputs"  # only the planned tasks restored


def test_restoring_when_ploomber_knows_nothing_below_is_fine(
    project: Project, add_run: Any, tasks: list[TaskInfo],
) -> None:
    _record(project, add_run, change=lambda m: m["tasks"]["c"].update(status="failed"))
    plan = plan_reuse(project, tasks)
    assert plan.downstream == [project.root / "out" / "site"]
    assert restore(project, plan) == ["a", "b"]
    assert not (project.root / "out" / "site").exists()


@pytest.mark.parametrize("change", [
    lambda m: m["tasks"]["b"].update(status="failed"),
    lambda m: m["tasks"]["b"]["source"].update(hash="blake3:" + "1" * 64),
    lambda m: m["params"]["b"].update(x=1),
    lambda m: m["tasks"]["b"]["products"]["product"].update(path="elsewhere/report"),
])
def test_a_changed_task_listed_first_does_not_hide_the_unchanged_ones_after_it(
    project: Project, add_run: Any, tasks: list[TaskInfo], change: Any,
) -> None:
    run_id = _record(project, add_run, change=change)
    plan = plan_reuse(project, [tasks[1], tasks[0]])  # b before a
    assert (plan.run_id, plan.tasks) == (run_id, ["a"])


def test_no_run_no_restore(project: Project, tasks: list[TaskInfo]) -> None:
    plan = plan_reuse(project, tasks)
    assert plan == ReusePlan() and restore(project, plan) == []
    assert restore(project, ReusePlan(run_id=None, tasks=["a"], needed=True)) == []
    assert not Path(project.root / "out").exists()


def test_a_task_changed_since_the_run_keeps_its_current_product(
    project: Project, add_run: Any, tasks: list[TaskInfo],
) -> None:
    _record(project, add_run)
    (project.root / "publish.py").write_text("# publish.py, edited since\n")
    plan = plan_reuse(project, tasks)
    assert plan.tasks == ["a", "b"]
    site = project.root / "out" / "site"
    site.parent.mkdir(parents=True, exist_ok=True)
    site.write_text("the current site")
    assert restore(project, plan) == ["a", "b"]
    assert site.read_text() == "the current site"  # c is rebuilt, never restored


def test_a_change_reaches_every_task_above_it_whatever_their_names(
    project: Project, add_run: Any, tasks: list[TaskInfo],
) -> None:
    # the chain runs against the names' order: a reads b, b reads c; only c changed, so
    # dropping b must then drop a (the upstream check is repeated until nothing changes)
    import dataclasses

    _record(project, add_run,
            change=lambda m: m["tasks"]["c"]["source"].update(hash="blake3:" + "1" * 64))
    reversed_chain = [dataclasses.replace(tasks[0], upstream=["b"]),
                      dataclasses.replace(tasks[1], upstream=["c"]),
                      dataclasses.replace(tasks[2], upstream=[])]
    plan = plan_reuse(project, reversed_chain)
    assert (plan.run_id, plan.tasks) == (None, [])


def test_a_newer_run_from_another_environment_does_not_end_the_search(
    project: Project, add_run: Any, tasks: list[TaskInfo],
) -> None:
    older = _record(project, add_run)
    _record(project, add_run, change=lambda m: m["provenance"].update(packages={"numpy": "0"}))
    plan = plan_reuse(project, tasks)
    assert (plan.run_id, plan.tasks) == (older, ["a", "b", "c"])
