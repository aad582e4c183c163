"""What gc must keep and what checkout must refuse: a live ``running`` run survives gc,
and checkout verifies every stored object before it writes the first one."""

from __future__ import annotations

import json
import os

import pytest

from nbops.core._errors import IntegrityError, LedgerError
from nbops.core._locks import ProjectLock
from nbops.core._store import ContentStore
from nbops.runs import list_runs
from nbops.runs._checkout import checkout_run
from nbops.runs._gc import collect_garbage


def test_gc_keeps_a_run_that_is_still_running(project, add_run) -> None:
    live = add_run(status="running", products={"data": b"half-written run " * 20})
    newer = [add_run(products={"model": f"model {i}".encode() * 20}) for i in range(3)]
    lock = ProjectLock(project.lock_path)
    lock.acquire(timeout=0, run_id=live["run_id"])  # the build of `live` is alive
    try:
        result = collect_garbage(project, keep=1)
        statuses = {r["run_id"]: r["status"] for r in list_runs(project)}
    finally:
        lock.release()
    assert result.kept_runs == [live["run_id"], newer[-1]["run_id"]]
    assert result.deleted_runs == [newer[0]["run_id"], newer[1]["run_id"]]
    assert statuses[live["run_id"]] == "running"
    assert project.run_dir(live["run_id"]).is_dir()
    digest = live["tasks"]["a"]["products"]["data"]["hash"]
    assert ContentStore(project.store_dir).has(digest)  # its objects are kept too


def test_gc_deletes_an_interrupted_run_like_any_other(project, add_run) -> None:
    dead = add_run(status="running")  # nobody holds the lock: it was interrupted
    newer = add_run()
    assert list_runs(project)[0]["status"] == "interrupted"  # listing heals the ledger
    result = collect_garbage(project, keep=1)
    assert result.deleted_runs == [dead["run_id"]]
    assert result.kept_runs == [newer["run_id"]]


def _corrupt(store: ContentStore, digest: str) -> None:
    path = store.path_for(digest)
    os.chmod(path, 0o644)
    path.write_bytes(b"bit rot")


def test_checkout_restores_every_product_of_a_run(project, add_run) -> None:
    run = add_run(products={"data": b"rows " * 50, "model": b"weights " * 50})
    result = checkout_run(project, run["run_id"])
    assert result.restored == ["out/data", "out/model"] and result.skipped == []
    assert project.absolute("out/data").read_bytes() == b"rows " * 50
    assert project.absolute("out/model").read_bytes() == b"weights " * 50


def test_checkout_verifies_every_object_before_it_writes_any(project, add_run) -> None:
    run = add_run(products={"data": b"rows " * 50, "model": b"weights " * 50})
    store = ContentStore(project.store_dir)
    _corrupt(store, run["tasks"]["a"]["products"]["model"]["hash"])  # the second one
    working = project.absolute("out/data")
    working.parent.mkdir(parents=True)
    working.write_bytes(b"my working copy")
    with pytest.raises(IntegrityError, match="corrupt"):
        checkout_run(project, run["run_id"])
    assert working.read_bytes() == b"my working copy"  # nothing was written
    assert not project.absolute("out/model").exists()


def test_checkout_refuses_a_missing_object_and_a_run_without_products(project, add_run) -> None:
    run = add_run(products={"data": b"rows " * 50})
    store = ContentStore(project.store_dir)
    digest = run["tasks"]["a"]["products"]["data"]["hash"]
    os.chmod(store.path_for(digest), 0o644)
    store.path_for(digest).unlink()
    with pytest.raises(IntegrityError, match="missing"):
        checkout_run(project, run["run_id"])
    assert not project.absolute("out/data").exists()
    empty = add_run()
    with pytest.raises(LedgerError, match="recorded no products"):
        checkout_run(project, empty["run_id"])


def test_verify_checks_every_kind_of_reference_once_and_names_it(project, add_run) -> None:
    from nbops.core._hashing import hash_bytes
    from nbops.runs._persist import save_manifest
    from nbops.runs._verify import verify_run

    store = ContentStore(project.store_dir)
    run = add_run(products={"data": b"rows " * 20, "copy": b"rows " * 20})  # one object
    task = run["tasks"]["a"]
    task["products"]["data"]["metadata_hash"] = store.put_bytes(b"meta").digest
    task["artifacts"] = [{"path": "plot.png", "hash": store.put_bytes(b"png").digest}]
    notebook = b'{"cells": []}'
    task["notebook"] = {"path": "notebooks/a.ipynb", "hash": store.put_bytes(notebook).digest}
    run["provenance"]["git"].update(diff_stored=True,
                                    diff_hash=store.put_bytes(b"diff").digest)
    save_manifest(project, run)
    copy = project.run_dir(run["run_id"]) / "notebooks" / "a.ipynb"
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_bytes(notebook)
    report = verify_run(project, run["run_id"])
    assert report.to_dict() == {"run_id": run["run_id"], "ok": True, "checked": 7,
                                "problems": [], "withheld": [], "unchecked": []}

    def gone(digest: str) -> None:
        os.chmod(store.path_for(digest), 0o644)
        store.path_for(digest).unlink()

    gone(task["products"]["data"]["metadata_hash"])
    gone(task["artifacts"][0]["hash"])
    gone(run["provenance"]["git"]["diff_hash"])
    copy.write_bytes(b"edited")
    report = verify_run(project, run["run_id"])
    assert not report.ok and report.checked == 7
    assert [p["what"] for p in report.problems] == [
        "task a product data metadata", "task a artifact plot.png", "uncommitted git diff",
        "task a notebook"]
    assert report.problems[-1]["problem"] == f"{copy} does not match its recorded hash"
    assert hash_bytes(b"edited") != task["notebook"]["hash"]
    copy.unlink()
    assert verify_run(project, run["run_id"]).problems[-1]["problem"] == f"{copy} is missing"


def test_gc_result_json_form(project, add_run) -> None:
    old = add_run(products={"data": b"old " * 10})
    new = add_run()
    result = collect_garbage(project, keep=1, dry_run=True)
    assert result.to_dict() == {"kept_runs": [new["run_id"]], "deleted_runs": [old["run_id"]],
                                "deleted_objects": 1, "freed_bytes": 40, "dry_run": True}
    assert project.run_dir(old["run_id"]).is_dir()  # a dry run deletes nothing


def test_checkout_restores_metadata_as_private_copies_and_skips_unfinished_tasks(
        project, add_run) -> None:
    import copy as copying

    from nbops.adapters._ploomber_adapter import metadata_path
    from nbops.runs._persist import save_manifest

    store = ContentStore(project.store_dir)
    run = add_run(products={"data": b"rows " * 50})
    task = run["tasks"]["a"]
    task["products"]["data"]["metadata_hash"] = store.put_bytes(b'{"source": "x"}').digest
    reused = copying.deepcopy(task)
    reused["status"] = "skipped"
    reused["products"] = {"model": {"path": "out/model", "hash": store.put_bytes(b"m").digest,
                                    "size": 1}}
    failed = copying.deepcopy(task)
    failed["status"] = "failed"
    failed["products"] = {"plot": {"path": "out/plot", "hash": store.put_bytes(b"p").digest,
                                   "size": 1}}
    unhashed = copying.deepcopy(task)
    unhashed["products"] = {"log": {"path": "out/log", "hash": None, "size": None}}
    run["tasks"].update(b=reused, c=failed, d=unhashed)
    save_manifest(project, run)
    result = checkout_run(project, run["run_id"])
    assert result.restored == ["out/data", "out/model"]
    assert result.skipped == ["c:plot", "d:log"]
    data = project.absolute("out/data")
    meta = metadata_path(data)
    assert meta.read_bytes() == b'{"source": "x"}'
    for restored, digest in ((data, task["products"]["data"]["hash"]),
                             (meta, task["products"]["data"]["metadata_hash"])):
        assert restored.stat().st_ino != store.path_for(digest).stat().st_ino  # a copy
        restored.write_bytes(b"rewritten by the next build")  # writable
        store.verify(digest)  # and the store is untouched
    assert not project.absolute("out/plot").exists()


def test_a_modified_manifest_is_one_manifest_problem_and_bad_pins_are_refused(
        project, add_run) -> None:
    import json

    from nbops.core._errors import LedgerError
    from nbops.runs._gc import write_pins
    from nbops.runs._verify import verify_run

    run = add_run()
    path = project.manifest_path(run["run_id"])
    edited = json.loads(path.read_text())
    edited["metrics"] = {"auc": 1.0}
    path.write_text(json.dumps(edited))
    problems = verify_run(project, run["run_id"]).problems
    assert [p["what"] for p in problems] == ["manifest"]
    assert "modified outside nbops" in problems[0]["problem"]
    with pytest.raises(LedgerError) as caught:
        write_pins(project, {"not-a-run"})
    assert caught.value.problem == "Cannot pin ['not-a-run']: not run ids"
    assert caught.value.fix == "pin runs by their id"


def test_gc_refusals_say_what_is_wrong_and_how_to_fix_it(project, add_run) -> None:
    from nbops.core._errors import LedgerError

    run = add_run()
    with pytest.raises(LedgerError) as zero:
        collect_garbage(project, keep=0)
    assert (zero.value.problem, zero.value.fix) == ("--keep 0 would delete every run",
                                                    "keep at least 1 run")
    project.pins_path.parent.mkdir(parents=True, exist_ok=True)
    for content, problem in (("{not json", "is not valid JSON"),
                             ('{"schema_version": 1, "runs": ["x"]}', "is invalid")):
        project.pins_path.write_text(content)
        with pytest.raises(LedgerError) as pins:
            collect_garbage(project, keep=1)
        assert pins.value.problem.startswith(f"{project.pins_path} {problem}")
        assert pins.value.fix == "fix or delete it; gc refuses to guess what is pinned"
    project.pins_path.unlink()
    project.registry_dir.mkdir(parents=True, exist_ok=True)
    bad = project.registry_dir / "models.json"
    bad.write_text("{broken")
    with pytest.raises(LedgerError) as registry:
        collect_garbage(project, keep=1)
    assert registry.value.problem.startswith(f"Registry file {bad} is not valid JSON (")
    assert registry.value.fix == "fix it first; gc must know which runs models need"
    bad.unlink()
    project.manifest_path(run["run_id"]).write_text("{truncated")
    with pytest.raises(LedgerError) as kept:
        collect_garbage(project, keep=1)
    assert kept.value.problem.startswith(f"Kept run {run['run_id']} has an unreadable manifest")
    assert kept.value.fix == (f"run `nbops verify {run['run_id']}`, fix or delete it, then gc "
                              "again")


def test_gc_counts_each_leftover_once_and_keeps_the_index(project, add_run) -> None:
    import json

    runs = [add_run() for _ in range(3)]
    store = ContentStore(project.store_dir)
    store.tmp.mkdir(parents=True, exist_ok=True)
    (store.tmp / "in-a").write_bytes(b"x")
    result = collect_garbage(project, keep=2)
    assert result.deleted_objects == 1 and result.freed_bytes == 1
    lines = project.index_path.read_text().splitlines()  # rewritten: one line per kept run
    assert [json.loads(line)["run_id"] for line in lines] == [r["run_id"] for r in runs[1:]]
    assert [r["run_id"] for r in list_runs(project)] == [r["run_id"] for r in runs[1:]]


@pytest.mark.parametrize("command", ["gc", "checkout"])
def test_gc_and_checkout_name_themselves_as_the_lock_holder(project, add_run, monkeypatch,
                                                            command: str) -> None:
    """A build that waits for the lock is told which command holds it (found by mutmut)."""
    from nbops.core._locks import read_holder

    runs = [add_run(products={"data": f"rows {i}".encode() * 20}) for i in range(2)]
    holders = []
    module = f"nbops.runs._{command}"
    monkeypatch.setattr(f"{module}.crash_point",
                        lambda name: holders.append(read_holder(project.lock_path)))
    if command == "gc":
        collect_garbage(project, keep=1)
    else:
        checkout_run(project, runs[0]["run_id"])
    assert holders and all(h["purpose"] == command for h in holders)
    assert all(h["pid"] == os.getpid() for h in holders)


def test_a_run_building_in_a_sweep_slot_is_live_while_the_slot_lock_is_held(project,
                                                                          add_run) -> None:
    """A parallel trial builds under its slot's lock, not the project's: still alive."""
    live = add_run(status="running")
    slot_state = (project.state_dir / "sweeps" / "s" / "slots" / "1" / project.name
                  / project.state_dir.name)
    slot_state.mkdir(parents=True)
    lock = ProjectLock(slot_state / project.lock_path.name)
    lock.acquire(timeout=0, run_id=live["run_id"])
    try:
        assert {r["run_id"]: r["status"] for r in list_runs(project)}[live["run_id"]] == \
            "running"
    finally:
        lock.release()
    assert {r["run_id"]: r["status"] for r in list_runs(project)}[live["run_id"]] == \
        "interrupted"  # its build is gone: the next listing says so


def test_no_half_opened_run_is_removed_while_a_sweep_slot_builds(project) -> None:
    from nbops.contracts._manifest_file import seal_path
    from nbops.runs._stale import discard_unwritten_runs

    opening = project.run_dir("20261128T235925514774Z-w6ngld")  # sealed, not yet written
    opening.mkdir(parents=True)
    seal_path(opening / "manifest.json").write_text(
        '{"schema_version": 1, "manifest_hash": "blake3:' + "0" * 64 + '", '
        '"written_at": "2026-11-28T23:59:25Z"}')
    slot_state = (project.state_dir / "sweeps" / "s" / "slots" / "0" / project.name
                  / project.state_dir.name)
    slot_state.mkdir(parents=True)
    with ProjectLock(slot_state / project.lock_path.name):
        assert discard_unwritten_runs(project) == [] and opening.is_dir()
    assert discard_unwritten_runs(project) == [opening.name] and not opening.exists()


def test_gc_and_manifest_writes_pass_their_named_crash_points_in_order(
        project, add_run, tmp_path, monkeypatch) -> None:
    """The names the crash harness kills at (tests/integration/test_crash_points.py), in a
    fast test: a renamed or dropped point would leave a durable step untested."""
    log = tmp_path / "points.log"
    monkeypatch.setenv("NBOPS_CRASH_POINTS_LOG", str(log))
    add_run("succeeded")
    newest = add_run("succeeded")
    log.write_text("")
    collect_garbage(project, keep=1)
    assert log.read_text().split() == ["gc.run_folder_moved", "gc.run_folder_removed",
                                       "gc.index_rewritten"]
    log.write_text("")
    from nbops.contracts._manifest_file import write_manifest

    run = project.manifest_path(newest["run_id"])
    manifest = json.loads(run.read_text())
    write_manifest(run, manifest)
    assert log.read_text().split() == ["manifest.seal_written", "manifest.replaced"]


def test_checkout_names_sql_tables_as_products_nbops_does_not_store(project, add_run) -> None:
    from click.testing import CliRunner

    from nbops.cli._runs import checkout_command
    from nbops.runs._persist import save_manifest

    run = add_run(products={"data": b"rows " * 50})
    run["tasks"]["a"]["products"]["table"] = {  # what the ledger records for a SQL table
        "path": "doubled (table)", "hash": None, "size": None, "kind": "external"}
    save_manifest(project, run)
    result = checkout_run(project, run["run_id"])
    assert result.restored == ["out/data"] and result.skipped == []
    assert result.not_stored == ["a:table (doubled (table))"]
    said = CliRunner().invoke(checkout_command, [run["run_id"], "--project", str(project.root)])
    assert said.exit_code == 0, said.output
    assert "not produced by that run" not in said.output
    assert ("Not restored (tables and other products that are not files, which nbops does "
            "not store): a:table (doubled (table))") in said.output
