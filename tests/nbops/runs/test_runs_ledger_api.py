"""The ledger API other features use: list, resolve, load, update, status, index healing."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from nbops.core._errors import IntegrityError, LedgerError
from nbops.runs import list_runs, load_manifest, resolve_run, set_status, update_section


def test_list_runs_summarises_oldest_first(project, add_run) -> None:
    first = add_run(metrics={"auc": 0.8})
    second = add_run(status="failed")
    runs = list_runs(project)
    assert [r["run_id"] for r in runs] == [first["run_id"], second["run_id"]]
    assert runs[0]["metrics"] == {"auc": 0.8} and runs[0]["executed"] == 1
    assert runs[1]["status"] == "failed"


def test_resolve_latest_ids_and_prefixes(project, add_run) -> None:
    runs = [add_run()["run_id"] for _ in range(3)]
    assert resolve_run(project, "latest") == runs[-1]
    assert resolve_run(project, "latest~2") == runs[0]
    assert resolve_run(project, runs[1]) == runs[1]
    assert resolve_run(project, runs[1][:17]) == runs[1]  # unique down to the second
    with pytest.raises(LedgerError, match="matches 3 runs"):
        resolve_run(project, "2026")
    with pytest.raises(LedgerError, match="No run matches"):
        resolve_run(project, "1999")
    with pytest.raises(LedgerError, match="does not name a run"):
        resolve_run(project, "latest~3")


def test_no_runs_is_a_clear_error(project) -> None:
    with pytest.raises(LedgerError, match="run `ploomber build`"):
        resolve_run(project, "latest")
    assert list_runs(project) == []


def test_update_section_is_validated_and_indexed(project, add_run) -> None:
    run_id = add_run()["run_id"]
    update_section(project, run_id, "gates", {"verdict": "passed", "results": []})
    assert load_manifest(project, run_id)["gates"]["verdict"] == "passed"
    with pytest.raises(LedgerError, match="belongs to the run ledger"):
        update_section(project, run_id, "metrics", {})
    with pytest.raises(LedgerError, match="must be a JSON object"):
        update_section(project, run_id, "gates", [1])  # type: ignore[arg-type]
    set_status(project, run_id, "gated")
    assert list_runs(project)[-1]["status"] == "gated"
    with pytest.raises(LedgerError, match="not a final run status"):
        set_status(project, run_id, "running")


def test_index_is_rebuilt_when_lost_or_damaged(project, add_run) -> None:
    runs = [add_run(metrics={"m": i})["run_id"] for i in range(3)]
    project.index_path.unlink()
    assert [r["run_id"] for r in list_runs(project)] == runs
    with open(project.index_path, "a") as handle:
        handle.write('{"truncated": \n')
    assert [r["metrics"]["m"] for r in list_runs(project)] == [0, 1, 2]
    assert all(json.loads(line) for line in project.index_path.read_text().splitlines())


def test_damaged_manifest_is_never_used(project, add_run) -> None:
    run_id = add_run()["run_id"]
    path = project.manifest_path(run_id)
    path.write_text(path.read_text()[:40])
    with pytest.raises(IntegrityError):
        load_manifest(project, run_id)


def test_superseded_index_lines_are_compacted_unless_a_build_holds_the_lock(project,
                                                                            add_run) -> None:
    run_id = add_run()["run_id"]
    add_run()
    for i in range(60):
        update_section(project, run_id, "gates", {"round": i})
    lines = lambda: project.index_path.read_text().splitlines()  # noqa: E731
    assert len(lines()) == 62
    code = ("import time; from nbops.core._locks import ProjectLock; "
            f"ProjectLock({str(project.lock_path)!r}).acquire(run_id={run_id!r}); "
            "print('locked', flush=True); time.sleep(60)")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert len(list_runs(project)) == 2
        assert len(lines()) == 62  # another process may be appending: leave the file alone
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert len(list_runs(project)) == 2
    assert len(lines()) == 2
