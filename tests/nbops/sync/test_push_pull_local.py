"""push and pull against a file:// remote (a folder; no server, no build): the checks that
decide what moves. Runs are synthetic ledgers; SeaweedFS tests cover the same on S3."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

import pytest

from nbops.core import ContentStore, IntegrityError, Project, hash_bytes, new_run_id
from nbops.runs._persist import save_manifest
from nbops.sync import pull_runs, push_runs


def _manifest(project: Project, run_id: str) -> dict[str, Any]:
    data = f"rows of {run_id}".encode()
    digest = ContentStore(project.store_dir).put_bytes(data).digest
    task = {"status": "executed", "duration_s": 1.0, "upstream": [],
            "source": {"path": "make.py", "hash": hash_bytes(b"src")},
            "products": {"data": {"path": "out/data", "hash": digest, "size": len(data)}},
            "notebook": None, "produced_by": run_id, "metrics": {}, "artifacts": [],
            "error": None}
    return {
        "schema_version": 1, "run_id": run_id, "project": "p", "status": "succeeded",
        "started_at": "2026-01-01T00:00:00.000000Z", "finished_at": "2026-01-01T00:00:02.000000Z",
        "duration_s": 2.0, "command": ["ploomber", "build"], "host": socket.gethostname(),
        "pid": os.getpid(), "params": {"a": {}}, "env": {}, "tasks": {"a": task}, "metrics": {},
        "provenance": {"git": {"commit": "c1", "branch": "main", "dirty": False,
                               "diff_hash": None},
                       "python": "3.11", "platform": "linux", "packages": {},
                       "lock_hash": None, "sources": {}, "inputs": {}, "seeds": {}},
        "failure": None,
    }


def _project(root: Path) -> Project:
    root.mkdir(parents=True)
    (root / "pipeline.yaml").write_text("tasks:\n  - source: make.py\n    product:\n"
                                        "      data: out/data\n")
    return Project(root)


@pytest.fixture
def world(tmp_path: Path) -> tuple[Project, Project, str, list[str]]:
    here, there = _project(tmp_path / "here"), _project(tmp_path / "there")
    runs = []
    for _ in range(2):
        manifest = _manifest(here, new_run_id())
        save_manifest(here, manifest)
        (here.run_dir(manifest["run_id"]) / "index.html").write_text("<h1>run</h1>")
        runs.append(manifest["run_id"])
    (tmp_path / "bucket").mkdir()
    return here, there, f"file://{tmp_path / 'bucket'}", runs


def test_a_run_round_trips_and_an_edited_run_is_refused_alone(world) -> None:
    here, there, url, (edited, other) = world
    manifest = here.manifest_path(edited)
    manifest.chmod(0o644)
    manifest.write_text(manifest.read_text().replace('"succeeded"', '"succeeded" ', 1))
    result = push_runs(here, all_runs=True, url=url)
    assert result.pushed == [other] and list(result.refused) == [edited]
    assert "seal" in str(result.refused[edited]) or "manifest" in str(result.refused[edited])
    pulled = pull_runs(there, all_runs=True, url=url)
    assert pulled.pulled == [other] and not pulled.refused
    assert (there.run_dir(other) / "index.html").read_text() == "<h1>run</h1>"


def _remote_file(url: str, key: str) -> Path:
    return Path(url.removeprefix("file://")) / key


@pytest.mark.parametrize("damage", ["seal deleted", "seal of another run", "manifest edited"])
def test_pull_refuses_a_run_whose_seal_does_not_match(world, damage: str) -> None:
    here, there, url, (first, second) = world
    push_runs(here, all_runs=True, url=url)
    seal = _remote_file(url, f"runs/{first}/seal.json")
    if damage == "seal deleted":
        seal.unlink()
    elif damage == "seal of another run":
        seal.write_bytes(_remote_file(url, f"runs/{second}/seal.json").read_bytes())
    else:  # the manifest and the index's hash of it, rewritten together
        key = _remote_file(url, f"runs/{first}/manifest.json")
        forged = key.read_bytes().replace(b'"succeeded"', b'"succeeded" ', 1)
        key.write_bytes(forged)
        index = _remote_file(url, "runs/index.json")
        doc = json.loads(index.read_text())
        doc["runs"][first]["manifest_hash"] = hash_bytes(forged)
        index.write_text(json.dumps(doc))
    pulled = pull_runs(there, all_runs=True, url=url)
    assert pulled.pulled == [second] and list(pulled.refused) == [first]
    assert isinstance(pulled.refused[first], IntegrityError)
    assert f"nbops push {first} --repair" in pulled.refused[first].fix
    assert not there.run_dir(first).exists()


def test_a_forged_contents_entry_never_writes_outside_the_run_folder(world, tmp_path) -> None:
    here, there, url, (first, _) = world
    push_runs(here, all_runs=True, url=url)
    key = _remote_file(url, f"runs/{first}/contents.json")
    contents = json.loads(key.read_text())
    contents["files"]["../../../../escape.html"] = next(iter(contents["files"].values()))
    forged = json.dumps(contents).encode()
    key.write_bytes(forged)
    index = _remote_file(url, "runs/index.json")
    doc = json.loads(index.read_text())
    doc["runs"][first]["contents_hash"] = hash_bytes(forged)
    index.write_text(json.dumps(doc))
    _remote_file(url, f"runs/{first}/signature.json").unlink()  # a writer without the key
    pulled = pull_runs(there, [first], url=url)
    assert "outside its folder" in str(pulled.refused[first])
    assert not list(tmp_path.rglob("escape.html"))


def test_repair_uploads_a_damaged_object_again(world) -> None:
    here, there, url, (first, _) = world
    push_runs(here, all_runs=True, url=url)
    digest = json.loads(here.manifest_path(first).read_text())["tasks"]["a"]["products"][
        "data"]["hash"]
    hexdigest = digest.split(":", 1)[1]
    damaged = _remote_file(url, f"objects/{hexdigest[:2]}/{hexdigest[2:]}")
    damaged.chmod(0o644)
    damaged.write_bytes(b"forged")
    assert list(pull_runs(there, [first], url=url).refused) == [first]
    assert push_runs(here, [first], url=url).up_to_date == [first]  # by name: looks fine
    repaired = push_runs(here, [first], url=url, repair=True)
    assert repaired.pushed == [first] and repaired.objects_uploaded >= 1
    assert pull_runs(there, [first], url=url).pulled == [first]
