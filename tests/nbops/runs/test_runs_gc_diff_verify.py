"""Retention (gc), diff and verify on synthetic runs."""

from __future__ import annotations

import json
import os

import pytest

from nbops.core._errors import LedgerError
from nbops.core._store import ContentStore
from nbops.runs import list_runs
from nbops.runs._diff import diff_runs
from nbops.runs._gc import collect_garbage, write_pins
from nbops.runs._verify import verify_run


def test_gc_keeps_newest_pinned_and_registered_runs_and_shared_objects(project, add_run) -> None:
    shared = b"unchanged data" * 100
    runs = [add_run(products={"data": shared, "model": f"model {i}".encode() * 50})
            for i in range(6)]
    ids = [r["run_id"] for r in runs]
    write_pins(project, {ids[0]})
    project.registry_dir.mkdir(parents=True)
    (project.registry_dir / "models.json").write_text(json.dumps(
        {"schema_version": 1, "models": {"churn": {"versions": [{"run_id": ids[1]}]}}}))
    store = ContentStore(project.store_dir)
    before = set(store.iter_digests())

    dry = collect_garbage(project, keep=2, dry_run=True)
    assert dry.deleted_runs == ids[2:4] and set(store.iter_digests()) == before

    result = collect_garbage(project, keep=2)
    assert result.deleted_runs == ids[2:4]
    assert result.kept_runs == [ids[0], ids[1], ids[4], ids[5]]
    assert result.deleted_objects == 2 and result.freed_bytes == 2 * len(b"model 2" * 50)
    assert [r["run_id"] for r in list_runs(project)] == result.kept_runs
    for run_id in result.kept_runs:
        assert verify_run(project, run_id).ok  # nothing a kept run needs was deleted


def test_gc_refuses_to_delete_everything(project, add_run) -> None:
    add_run()
    with pytest.raises(LedgerError, match="keep at least 1"):
        collect_garbage(project, keep=0)


def test_diff_reports_sources_params_packages_metrics_and_reexecuted_tasks(add_run) -> None:
    a = add_run(metrics={"auc": 0.8, "gone": 1.0})
    b_tasks = json.loads(json.dumps(a["tasks"]))
    b_tasks["a"]["source"]["hash"] = "blake3:" + "11" * 32
    b = add_run(metrics={"auc": 0.85, "new": 2.0}, params={"a": {"seed": 2}},
                tasks=b_tasks,
                provenance={**a["provenance"], "packages": {"numpy": "2.1"},
                            "sources": {"a": "blake3:" + "11" * 32}})
    diff = diff_runs(a, b)
    assert diff["executed_in_b"] == ["a"]
    assert diff["params"] == {"a.seed": {"a": 1, "b": 2}}
    assert diff["packages"] == {"numpy": {"a": "2.0", "b": "2.1"}}
    assert list(diff["sources"]) == ["a"]
    assert diff["metrics"]["auc"]["delta"] == pytest.approx(0.05)
    assert diff["metrics"]["gone"] == {"a": 1.0, "b": None, "delta": None}
    assert diff_runs(a, a)["metrics"] == {} and diff_runs(a, a)["params"] == {}


def test_verify_reports_tampered_objects_and_manifest(project, add_run) -> None:
    run = add_run(products={"data": b"x" * 1000})
    run_id = run["run_id"]
    assert verify_run(project, run_id).ok
    digest = run["tasks"]["a"]["products"]["data"]["hash"]
    target = ContentStore(project.store_dir).path_for(digest)
    os.chmod(target, 0o644)
    target.write_bytes(b"x" * 999)
    report = verify_run(project, run_id)
    assert not report.ok and "corrupt" in report.problems[0]["problem"]
    path = project.manifest_path(run_id)
    edited = json.loads(path.read_text())
    edited["metrics"] = {"auc": 1.0}
    path.write_text(json.dumps(edited))
    problems = [p["problem"] for p in verify_run(project, run_id).problems]
    assert any("modified outside nbops" in p for p in problems)
    path.write_text(path.read_text()[:100])
    problems = [p["problem"] for p in verify_run(project, run_id).problems]
    assert len(problems) == 1 and "not valid JSON" in problems[0]


def test_gc_removes_leftovers_of_interrupted_snapshots(project, add_run) -> None:
    add_run(products={"data": b"kept"})
    store = ContentStore(project.store_dir)
    store.tmp.mkdir(parents=True, exist_ok=True)
    (store.tmp / "in-crashed").write_bytes(b"x" * 100)
    result = collect_garbage(project, keep=1)
    assert result.freed_bytes == 100 and not list(store.tmp.iterdir())
    assert len(list(store.iter_digests())) == 1
