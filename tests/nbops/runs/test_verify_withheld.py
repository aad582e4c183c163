"""nbops.runs._verify: what a pulled run's withheld objects report, and notebooks checked in
every task even after a task that has none."""

from __future__ import annotations

import copy
import json
import os

from nbops.core._store import ContentStore
from nbops.runs._persist import save_manifest
from nbops.runs._verify import verify_run


def test_a_withheld_object_missing_here_is_reported_with_its_reason(project, add_run) -> None:
    run = add_run(products={"data": b"rows " * 50})
    digest = run["tasks"]["a"]["products"]["data"]["hash"]
    store = ContentStore(project.store_dir)
    os.chmod(store.path_for(digest), 0o644)
    store.path_for(digest).unlink()
    (project.run_dir(run["run_id"]) / "withheld.json").write_text(json.dumps(
        {digest: {"what": "task a product data (out/data)", "why": "it printed a token"}}))
    report = verify_run(project, run["run_id"])
    assert report.ok and report.problems == []
    assert report.withheld == [{"what": "task a product data (out/data)", "hash": digest,
                                "why": "it printed a token"}]


def test_a_task_without_a_notebook_does_not_end_the_notebook_checks(project, add_run) -> None:
    run = add_run()
    store = ContentStore(project.store_dir)
    second = copy.deepcopy(run["tasks"]["a"])
    second["notebook"] = {"path": "notebooks/b.ipynb",
                          "hash": store.put_bytes(b'{"cells": []}').digest}
    run["tasks"]["b"] = second
    save_manifest(project, run)
    report = verify_run(project, run["run_id"])
    missing = project.run_dir(run["run_id"]) / "notebooks" / "b.ipynb"
    assert report.problems == [{"what": "task b notebook", "problem": f"{missing} is missing",
                                "kind": "integrity"}]


def test_a_withheld_list_that_is_not_a_mapping_withholds_nothing(project, add_run) -> None:
    run = add_run(products={"data": b"rows " * 50})
    (project.run_dir(run["run_id"]) / "withheld.json").write_text('["not", "a", "mapping"]')
    report = verify_run(project, run["run_id"])
    assert report.ok and report.withheld == [] and report.checked == 2
