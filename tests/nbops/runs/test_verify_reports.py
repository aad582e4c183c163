"""`nbops verify`'s report: each problem's subject, sentence and kind, exactly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from nbops.contracts._manifest_file import write_manifest
from nbops.core._project import Project
from nbops.runs._verify import verify_run

sys.path.insert(0, str(Path(__file__).parents[1] / "core"))
from test_core_schema_manifest import RUN, minimal_manifest  # noqa: E402


def _project(tmp_path: Path, manifest: dict | None = None) -> tuple[Project, Path]:
    (tmp_path / "pipeline.yaml").write_text("tasks: []\n")
    project = Project(tmp_path)
    path = project.manifest_path(RUN)
    path.parent.mkdir(parents=True)
    write_manifest(path, manifest or minimal_manifest())
    return project, path


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_a_run_whose_manifest_was_never_written_is_an_interruption(tmp_path) -> None:
    project, path = _project(tmp_path)
    path.unlink()
    report = verify_run(project, RUN)
    assert report.problems == [{
        "what": "manifest", "kind": "interrupted",
        "problem": f"the build was interrupted before it wrote {path} (only its seal exists)"}]
    assert report.interrupted_only and not report.ok and report.checked == 0


def test_an_unreadable_manifest_is_an_integrity_problem_in_its_own_words(tmp_path) -> None:
    project, path = _project(tmp_path)
    path.write_text('{"status": ')
    report = verify_run(project, RUN)
    assert len(report.problems) == 1
    problem = report.problems[0]
    assert (problem["what"], problem["kind"]) == ("manifest", "integrity")
    assert problem["problem"].startswith(f"Manifest {path} is not valid JSON (")
    assert problem["problem"].endswith(
        "Fix: restore it from a backup or delete the run folder")
    assert not report.interrupted_only


def test_an_interrupted_rewrite_and_a_dead_build_are_interruptions(tmp_path) -> None:
    running = {**minimal_manifest(), "status": "running", "finished_at": None,
               "duration_s": None, "pid": _dead_pid(), "host": "elsewhere"}
    project, path = _project(tmp_path, running)
    first = path.read_bytes()
    digest = json.loads((path.parent / "seal.json").read_text())["manifest_hash"]
    write_manifest(path, {**running, "project": "q"}, previous_hash=digest)
    path.write_bytes(first)  # the write was cut short: the previous version stays
    report = verify_run(project, RUN)
    assert report.problems[:2] == [
        {"what": "manifest", "kind": "interrupted",
         "problem": f"an nbops write to {path} was interrupted (the manifest still holds the "
                    "version before that write)"},
        {"what": "run", "kind": "interrupted",
         "problem": f"interrupted: the run is still running but its build (pid "
                    f"{running['pid']}) is gone; `nbops runs` records it as interrupted"},
    ]
    assert all(p["kind"] == "integrity" for p in report.problems[2:])  # objects not stored


def test_a_finished_run_is_not_an_interruption(tmp_path) -> None:
    project, _ = _project(tmp_path)
    report = verify_run(project, RUN)
    assert all(p["what"] != "run" and p["kind"] == "integrity" for p in report.problems)
