"""What ``nbops push`` uploads, skips and refuses, run by run, and what it records on the
remote (a file:// remote, synthetic runs; no server, no build)."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

import pytest
from test_push_pull_local import _manifest, _project

from nbops.core import ContentStore, IntegrityError, LedgerError, Project, hash_bytes, new_run_id
from nbops.runs._persist import save_manifest
from nbops.sync import push_runs
from nbops.sync._push import PushResult, run_files


def _run(project: Project, status: str = "succeeded", **change: Any) -> str:
    manifest = _manifest(project, new_run_id())
    manifest["status"] = status
    if status == "running":
        manifest["finished_at"] = manifest["duration_s"] = None
    manifest.update(change)
    save_manifest(project, manifest)
    (project.run_dir(manifest["run_id"]) / "index.html").write_text("<h1>run</h1>")
    return str(manifest["run_id"])


@pytest.fixture
def here(tmp_path: Path) -> Project:
    return _project(tmp_path / "here")


@pytest.fixture
def url(tmp_path: Path) -> str:
    (tmp_path / "bucket").mkdir()
    return f"file://{tmp_path / 'bucket'}"


def _bucket(url: str) -> Path:
    return Path(url.removeprefix("file://"))


def _object(url: str, digest: str) -> Path:
    hexdigest = digest.split(":", 1)[1]
    return _bucket(url) / "objects" / hexdigest[:2] / hexdigest[2:]


def test_a_pushed_run_is_listed_with_its_hashes_and_where_it_came_from(
    here: Project, url: str,
) -> None:
    run = _run(here)
    result = push_runs(here, url=url)
    data = f"rows of {run}".encode()
    assert (result.pushed, result.objects_uploaded, result.objects_present) == ([run], 2, 0)
    assert result.bytes_uploaded == len(data) + len("<h1>run</h1>")
    entry = json.loads((_bucket(url) / "runs" / "index.json").read_text())["runs"][run]
    manifest = here.manifest_path(run).read_bytes()
    contents = (_bucket(url) / "runs" / run / "contents.json").read_bytes()
    assert (entry["manifest_hash"], entry["contents_hash"], entry["pushed_from"]) == (
        hash_bytes(manifest), hash_bytes(contents), socket.gethostname())
    assert entry["status"] == "succeeded" and entry["pushed_at"].startswith("20")
    assert json.loads(contents) == {
        "schema_version": 1, "run_id": run, "withheld": {},
        "files": {"index.html": {"hash": hash_bytes(b"<h1>run</h1>"), "size": 12}}}
    assert (_bucket(url) / "runs" / run / "manifest.json").read_bytes() == manifest
    assert (_bucket(url) / "runs" / run / "seal.json").read_bytes() == (
        here.run_dir(run) / "seal.json").read_bytes()
    assert _object(url, hash_bytes(data)).read_bytes() == data


def test_a_run_already_there_costs_nothing_and_repair_uploads_it_all_again(
    here: Project, url: str,
) -> None:
    run = _run(here)
    push_runs(here, url=url)
    again = push_runs(here, [run], url=url)
    assert (again.pushed, again.up_to_date, again.objects_uploaded) == ([], [run], 0)
    _object(url, hash_bytes(f"rows of {run}".encode())).unlink()
    repaired = push_runs(here, [run], url=url, repair=True)
    assert (repaired.pushed, repaired.objects_uploaded, repaired.objects_present) == (
        [run], 2, 0)
    assert _object(url, hash_bytes(f"rows of {run}".encode())).is_file()


def test_objects_the_remote_has_are_counted_not_uploaded(here: Project, url: str) -> None:
    first = _run(here)
    push_runs(here, url=url)
    second = _run(here)  # same page, other data
    result = push_runs(here, [second], url=url)
    assert (result.objects_uploaded, result.objects_present) == (1, 1)
    assert result.bytes_uploaded == len(f"rows of {second}")
    assert first != second


def test_unfinished_runs_and_stray_folders_are_skipped_and_said_so(
    here: Project, url: str,
) -> None:
    running = _run(here, status="running")
    stray = here.run_dir(new_run_id())
    stray.mkdir(parents=True)
    done = _run(here)
    result = push_runs(here, all_runs=True, url=url)
    assert result.pushed == [done]
    assert result.skipped == {running: "still running",
                              stray.name: "no manifest.json (not a run nbops finished)"}
    assert result.to_dict()["runs_skipped"] == result.skipped


@pytest.mark.parametrize("status", ["failed", "gated", "interrupted"])
def test_every_finished_status_is_pushed(here: Project, url: str, status: str) -> None:
    run = _run(here, status=status,
               failure={"task": "a", "type": "E", "message": "m", "traceback": ""}
               if status in ("failed", "interrupted") else None)
    assert push_runs(here, url=url).pushed == [run]


def test_an_edited_run_and_a_run_missing_an_object_are_refused_in_one_sentence_each(
    here: Project, url: str,
) -> None:
    edited, missing, fine = _run(here), _run(here), _run(here)
    manifest = here.manifest_path(edited)
    manifest.chmod(0o644)
    manifest.write_text(manifest.read_text().replace('"succeeded"', '"succeeded" ', 1))
    digest = hash_bytes(f"rows of {missing}".encode())
    stored = ContentStore(here.store_dir).path_for(digest)
    os.chmod(stored.parent, 0o755)
    stored.unlink()
    result = push_runs(here, all_runs=True, url=url)
    assert result.pushed == [fine] and sorted(result.refused) == sorted([edited, missing])
    assert result.refused[edited].problem.startswith(f"Run {edited} cannot be pushed: ")
    assert result.refused[edited].fix == (
        f"run `nbops verify {edited}`; restore the manifest first")
    assert (result.refused[missing].problem, result.refused[missing].fix) == (
        f"Run {missing} cannot be pushed: its task a product data (out/data) ({digest}) is "
        "missing from the local store", f"run `nbops verify {missing}`; rebuild or pull it first")
    assert not (_bucket(url) / "runs" / edited).exists()
    assert result.to_dict()["runs_refused"] == {k: str(v) for k, v in result.refused.items()}


def test_a_corrupt_local_object_is_never_published_under_its_name(
    here: Project, url: str,
) -> None:
    run = _run(here)
    digest = hash_bytes(f"rows of {run}".encode())
    stored = ContentStore(here.store_dir).path_for(digest)
    stored.chmod(0o644)
    stored.write_bytes(b"rotten")
    result = push_runs(here, url=url)
    assert list(result.refused) == [run] and isinstance(result.refused[run], IntegrityError)
    assert result.refused[run].problem.startswith(f"Stored object {stored} is corrupt")
    assert not _object(url, digest).exists() and not (_bucket(url) / "runs" / run).exists()


def test_the_run_folder_travels_without_its_temp_files(here: Project) -> None:
    run = _run(here)
    folder = here.run_dir(run)
    (folder / ".tmp-123-page.html").write_text("half")
    (folder / ".pull-x").write_text("half")
    (folder / "sub").mkdir()
    (folder / "sub" / "log.txt").write_text("log")
    assert [p.relative_to(folder).as_posix() for p in run_files(folder)] == [
        "index.html", "sub/log.txt"]


def test_inputs_the_store_still_holds_travel_with_the_run(here: Project, url: str) -> None:
    digest = ContentStore(here.store_dir).put_bytes(b"raw customers").digest
    run = _run(here)
    path = here.manifest_path(run)
    manifest = json.loads(path.read_text())
    manifest["provenance"]["inputs"] = {"customers.csv": digest,
                                        "gone.csv": hash_bytes(b"not stored")}
    path.chmod(0o644)
    save_manifest(here, manifest)
    result = push_runs(here, url=url)
    assert result.pushed == [run] and _object(url, digest).read_bytes() == b"raw customers"


def test_the_json_view_names_every_count() -> None:
    result = PushResult("file:///b", pushed=["r"], objects_uploaded=2, bytes_uploaded=5,
                        objects_present=1, objects_withheld=3, registry="shared")
    assert result.to_dict() == {
        "remote": "file:///b", "runs_pushed": ["r"], "runs_up_to_date": [],
        "runs_skipped": {}, "runs_refused": {}, "objects_uploaded": 2, "bytes_uploaded": 5,
        "objects_already_there": 1, "objects_withheld": 3, "registry": "shared"}


def test_a_file_changed_while_pushed_is_refused(here: Project, url: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    run = _run(here)
    from nbops.sync import _push

    hash_file = _push.hash_file
    seen: list[Path] = []

    def changing(path: Path) -> str:  # the page is rewritten between listing and upload
        digest = hash_file(path)
        if Path(path).name == "index.html":
            if seen:
                return "blake3:" + "0" * 64
            seen.append(Path(path))
        return digest

    monkeypatch.setattr(_push, "hash_file", changing)
    refused = push_runs(here, [run], url=url).refused[run]
    assert isinstance(refused, LedgerError) and (refused.problem, refused.fix) == (
        f"{here.run_dir(run) / 'index.html'} changed while it was being pushed",
        "push again once nothing writes to the run folder")


def test_push_and_pull_pass_their_durable_steps_in_the_documented_order(
    here: Project, url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the crash harness kills a push or pull at each of these names: they must be passed,
    # in this order, for its kills to mean what docs/ledger.md says
    run = _run(here)
    log = tmp_path / "points.log"
    monkeypatch.setenv("NBOPS_CRASH_POINTS_LOG", str(log))
    push_runs(here, url=url)
    pushed = log.read_text().split()
    assert pushed[:2] == ["push.object_uploaded"] * 2
    assert pushed[2:] == ["push.contents_uploaded", "push.manifest_uploaded",
                          "remote.update_read", "push.index_updated"]
    log.unlink()
    from nbops.sync import pull_runs

    there = _project(tmp_path / "there")
    assert pull_runs(there, [run], url=url).pulled == [run]
    assert log.read_text().split() == ["pull.object_downloaded", "pull.run_installed"]
