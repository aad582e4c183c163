"""``closing`` runs, the seal's write order, typed sections and the self-healing index."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nbops.contracts import GATES
from nbops.contracts._manifest_file import check_seal, seal_path, seal_state, write_manifest
from nbops.core._atomic import atomic_write_json
from nbops.core._errors import IntegrityError, LedgerError
from nbops.runs import RunContext, list_runs, load_manifest, set_status, update_section
from nbops.runs._verify import verify_run


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_closing_run_of_a_dead_build_becomes_interrupted_while_closing(project,
                                                                         add_run) -> None:
    run_id = add_run(status="closing", pid=_dead_pid())["run_id"]
    report = verify_run(project, run_id)  # before anyone heals it: interrupted, not altered
    assert report.interrupted_only, report.problems
    assert "still closing" in report.problems[0]["problem"]
    assert list_runs(project)[-1]["status"] == "interrupted"
    manifest = load_manifest(project, run_id)
    assert manifest["interrupted"]["phase"] == "closing"
    assert "post-close step" in manifest["interrupted"]["reason"]
    assert verify_run(project, run_id).ok


def test_a_write_cut_between_seal_and_manifest_reads_as_interrupted(project, add_run) -> None:
    run_id = add_run()["run_id"]
    path = project.manifest_path(run_id)
    old = seal_state(path)
    assert old.kind == "ok"
    # what write_manifest does first: the seal names the new bytes and the version they replace
    atomic_write_json(seal_path(path), {"schema_version": 1, "manifest_hash": "blake3:" + "1" * 64,
                                        "previous_hash": old.digest})
    state = seal_state(path)
    assert state.kind == "interrupted" and "was interrupted" in (state.problem or "")
    assert check_seal(path) is None  # the manifest on disk is one nbops wrote
    report = verify_run(project, run_id)
    assert report.interrupted_only and report.problems[0]["kind"] == "interrupted"
    set_status(project, run_id, "gated")  # the next write heals it
    assert seal_state(path).kind == "ok" and verify_run(project, run_id).ok


def test_a_first_write_cut_after_its_seal_is_interrupted_not_missing(project) -> None:
    run_dir = project.runs_dir / "20260101T000000000000Z-aaaaaa"
    run_dir.mkdir(parents=True)
    atomic_write_json(run_dir / "seal.json", {"schema_version": 1,
                                              "manifest_hash": "blake3:" + "1" * 64})
    report = verify_run(project, run_dir.name)
    assert report.interrupted_only, report.problems


def test_a_forged_manifest_is_never_sealed_again(project, add_run) -> None:
    run_id = add_run()["run_id"]
    path = project.manifest_path(run_id)
    forged = json.loads(path.read_text())
    forged["metrics"] = {"roc_auc": 0.99}
    path.write_text(json.dumps(forged))
    for amend in (lambda: update_section(project, run_id, "notes", {"x": 1}),
                  lambda: set_status(project, run_id, "gated")):
        with pytest.raises(IntegrityError, match="never seals a record it did not write"):
            amend()
    assert "modified outside nbops" in (check_seal(path) or "")
    assert seal_state(path).kind == "tampered"


def test_the_index_heals_when_a_manifest_says_otherwise(project, add_run) -> None:
    run_id = add_run()["run_id"]
    assert list_runs(project)[-1]["status"] == "succeeded"
    manifest = load_manifest(project, run_id)
    manifest["status"] = "gated"  # written as a crash before the index append leaves it
    write_manifest(project.manifest_path(run_id), manifest, seal_state(
        project.manifest_path(run_id)).digest)
    assert list_runs(project)[-1]["status"] == "gated"
    lines = project.index_path.read_text().splitlines()
    assert json.loads(lines[-1])["status"] == "gated"  # healed on disk, not just in memory


def test_run_context_keeps_memory_and_disk_in_step_and_checks_sections(project,
                                                                       add_run) -> None:
    manifest = add_run(status="closing")
    path = project.manifest_path(manifest["run_id"])
    context = RunContext(project, manifest["run_id"], manifest, "succeeded",
                         seal_state(path).digest)
    context.update(GATES, {"verdict": "passed", "results": []})
    on_disk = json.loads(Path(path).read_text())
    assert on_disk == context.manifest and on_disk["status"] == "closing"
    assert seal_state(path).kind == "ok"
    with pytest.raises(LedgerError, match="invalid 'gates' section"):
        context.update(GATES, {"verdict": "maybe", "results": []})  # type: ignore[typeddict-item]
    context.set_outcome("gated")
    assert load_manifest(project, manifest["run_id"])["status"] == "closing"
    context.finish()
    assert load_manifest(project, manifest["run_id"])["status"] == "gated"
    assert list_runs(project)[-1]["status"] == "gated"
    assert verify_run(project, manifest["run_id"]).ok


def test_a_failure_message_from_ploombers_traceback_masks_credentials() -> None:
    from nbops.runs._lifecycle import _failure

    manifest = {"tasks": {"load": {"error": None}}}
    text = ("Traceback ...\nOperationalError: could not connect to "
            "postgresql://etl:hunter2secret@db.example/prod")
    failure = _failure(manifest, "load", text)
    assert "hunter2secret" not in failure["message"]
    assert "postgresql://etl:" in failure["message"]
