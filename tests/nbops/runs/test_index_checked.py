"""The run index is checked against its schema once per line, and damage is still found."""

from __future__ import annotations

import json
import subprocess
import sys

import nbops.runs._index as index_module
from nbops.runs import list_runs
from nbops.runs._index_checked import checked_path


def _count_checks(monkeypatch) -> list[str]:
    checked: list[str] = []
    real = index_module.schema_errors

    def counting(document, name, *args):
        checked.append(document.get("run_id", "?") if isinstance(document, dict) else "?")
        return real(document, name, *args)

    monkeypatch.setattr(index_module, "schema_errors", counting)
    return checked


def test_lines_checked_once_are_not_checked_again(project, add_run, monkeypatch) -> None:
    runs = [add_run(metrics={"m": i})["run_id"] for i in range(3)]
    assert [r["run_id"] for r in list_runs(project)] == runs
    checked = _count_checks(monkeypatch)
    assert [r["run_id"] for r in list_runs(project)] == runs
    assert checked == []  # every line was checked by the first listing
    newest = add_run(metrics={"m": 3})["run_id"]
    assert [r["run_id"] for r in list_runs(project)][-1] == newest
    assert newest in checked and not set(runs) & set(checked)  # only the appended lines


def test_a_line_damaged_after_its_check_is_still_found(project, add_run, monkeypatch) -> None:
    runs = [add_run(metrics={"m": i})["run_id"] for i in range(3)]
    list_runs(project)
    lines = project.index_path.read_text().splitlines()
    damaged = json.loads(lines[-2])
    damaged["status"] = "done"  # same length or not, not a status: the schema refuses it
    lines[-2] = json.dumps(damaged, separators=(",", ":"))
    project.index_path.write_text("\n".join(lines) + "\n")
    checked = _count_checks(monkeypatch)
    listed = list_runs(project)
    assert len(checked) >= len(lines)  # another index than the one checked: checked in full
    assert [r["run_id"] for r in listed] == runs
    assert all(r["status"] != "done" for r in listed)  # summarised from its manifest again


def test_remembered_damaged_lines_stay_skipped(project, add_run) -> None:
    runs = [add_run(metrics={"m": i})["run_id"] for i in range(2)]
    list_runs(project)
    before = len(project.index_path.read_bytes().split(b"\n")) - 1
    with open(project.index_path, "a") as handle:  # valid JSON, not a valid index line
        handle.write(json.dumps({"run_id": runs[0], "status": "forged"}) + "\n")
    # a build holds the lock (another process), so the damaged line is not compacted away
    code = ("import time; from nbops.core._locks import ProjectLock; "
            f"ProjectLock({str(project.lock_path)!r}).acquire(run_id={runs[0]!r}); "
            "print('locked', flush=True); time.sleep(60)")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        for _ in range(2):  # the second listing trusts the remembered check
            listed = list_runs(project)
            assert [r["status"] for r in listed] == ["succeeded", "succeeded"]
        remembered = json.loads(checked_path(project).read_text())
        assert remembered["damaged"] == [before]
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


def test_an_unreadable_check_file_means_a_full_check(project, add_run, monkeypatch) -> None:
    runs = [add_run()["run_id"] for _ in range(2)]
    list_runs(project)
    checked_path(project).write_text("{not json")
    checked = _count_checks(monkeypatch)
    assert [r["run_id"] for r in list_runs(project)] == runs
    assert sorted(checked) == sorted(runs)
