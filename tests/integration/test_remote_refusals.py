"""When push or pull refuses something, the rest still moves and the printed fix works.

Against a real S3 server (SeaweedFS): the fix a failed pull prints repairs the remote; one
invalid run id in the remote index, a stray local run folder or one locally edited run
each cost only themselves, named, never every other run.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ledger_helpers import make_project
from remote_commands import build, commands, nbops  # noqa: F401 - commands: autouse

pytestmark = [pytest.mark.integration]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with two finished runs (two real ploomber builds)."""
    root = make_project(tmp_path_factory.mktemp("refusals"))
    build(root)
    build(root, "--env--seed", "8")
    return root


def run_ids(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "reports" / "runs").iterdir()
                  if (p / "manifest.json").is_file())


def clone(source: Path, dest: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(source), str(dest)], check=True)
    return dest


def pushed_bucket(built: Path, seaweedfs: Any) -> tuple[str, dict[str, str]]:
    bucket = seaweedfs.new_bucket()
    remote = dict(seaweedfs.env(NBOPS_REMOTE=f"s3://{bucket}/team"))
    done = nbops(built, "push", "--all", **remote)
    assert done.returncode == 0, done.stderr
    return bucket, remote


def object_key(built: Path, run_id: str) -> str:
    manifest = json.loads((built / "reports/runs" / run_id / "manifest.json").read_text())
    digest = manifest["tasks"]["make_data"]["products"]["data"]["hash"]
    hexdigest = digest.split(":", 1)[1]
    return f"objects/{hexdigest[:2]}/{hexdigest[2:]}"


def printed_command(stderr: str) -> list[str]:
    """The `nbops ...` command a refusal names as its fix."""
    found = re.search(r"`(nbops [^`]+)`", stderr)
    assert found, stderr
    return found.group(1).split()[1:]


@pytest.mark.parametrize("damage", ["object altered", "object deleted", "contents deleted",
                                    "seal deleted"])
def test_the_fix_a_failed_pull_prints_repairs_the_remote(
    built: Path, seaweedfs: Any, tmp_path: Path, damage: str
) -> None:
    bucket, remote = pushed_bucket(built, seaweedfs)
    run_id = run_ids(built)[0]
    fs = seaweedfs.filesystem()
    what, how = damage.split()
    key = {"object": object_key(built, run_id), "contents": f"runs/{run_id}/contents.json",
           "seal": f"runs/{run_id}/seal.json"}[what]
    if how == "altered":
        fs.pipe_file(f"{bucket}/team/{key}", b"forged,rows\n1,2\n")
    else:
        fs.rm_file(f"{bucket}/team/{key}")
    teammate = clone(built, tmp_path / "clone")
    failed = nbops(teammate, "pull", run_id, **remote)
    assert failed.returncode == 1 and len(failed.stderr.strip().splitlines()) == 1, failed.stderr
    fix = printed_command(failed.stderr)
    assert run_id in fix
    repaired = nbops(built, *fix, **remote)  # on the machine that has the run, as it says
    assert repaired.returncode == 0, repaired.stderr
    pulled = nbops(teammate, "pull", run_id, "--json", **remote)
    assert pulled.returncode == 0, pulled.stderr
    assert json.loads(pulled.stdout)["runs_pulled"] == [run_id]
    verified = nbops(teammate, "verify", run_id)
    assert verified.returncode == 0, verified.stdout + verified.stderr


@pytest.mark.parametrize("bad_id", ["../../../outside", "not a run id", "x" * 300])
def test_an_invalid_run_id_in_the_remote_index_skips_only_it(
    built: Path, seaweedfs: Any, tmp_path: Path, bad_id: str
) -> None:
    bucket, remote = pushed_bucket(built, seaweedfs)
    fs = seaweedfs.filesystem()
    index_key = f"{bucket}/team/runs/index.json"
    index = json.loads(fs.cat_file(index_key))
    good = run_ids(built)
    index["runs"][bad_id] = dict(index["runs"][good[0]])
    fs.pipe_file(index_key, json.dumps(index).encode())
    teammate = clone(built, tmp_path / "clone")
    pulled = nbops(teammate, "pull", "--all", "--json", **remote)
    assert pulled.returncode == 0, pulled.stderr
    report = json.loads(pulled.stdout)
    assert report["runs_pulled"] == good
    assert list(report["runs_skipped"]) == [bad_id]
    assert "not a run id" in report["runs_skipped"][bad_id]
    said = nbops(teammate, "pull", "--all", **remote)
    assert said.returncode == 0, said.stderr
    assert repr(bad_id)[:40] in said.stdout + said.stderr
    assert not (tmp_path / "outside").exists()


@pytest.mark.parametrize("stray", ["same id as a remote run", "another id"])
def test_a_stray_run_folder_without_a_manifest_does_not_fail_pulls(
    built: Path, seaweedfs: Any, tmp_path: Path, stray: str
) -> None:
    _, remote = pushed_bucket(built, seaweedfs)
    good = run_ids(built)
    teammate = clone(built, tmp_path / "clone")
    name = good[0] if stray == "same id as a remote run" else "20200101T000000000000Z-abcdef"
    folder = teammate / "reports" / "runs" / name
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("left by a killed command")
    pulled = nbops(teammate, "pull", "--all", "--json", **remote)
    assert pulled.returncode == 0, pulled.stderr
    assert json.loads(pulled.stdout)["runs_pulled"] == good
    for run_id in good:
        assert nbops(teammate, "verify", run_id).returncode == 0
    kept = list((teammate / "reports" / "runs").glob(f"*{name}*/notes.txt")) + list(
        (teammate / ".nbops").rglob("notes.txt"))
    assert [p.read_text() for p in kept] == ["left by a killed command"]  # nothing lost


def test_one_edited_run_does_not_block_push_all(
    built: Path, seaweedfs: Any, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(built, copy, symlinks=True)
    edited, other = run_ids(copy)
    manifest = copy / "reports/runs" / edited / "manifest.json"
    manifest.chmod(0o644)
    manifest.write_text(manifest.read_text().replace('"succeeded"', '"succeeded" ', 1))
    stray = copy / "reports/runs/20200101T000000000000Z-abcdef"  # no manifest: not a run
    stray.mkdir()
    bucket = seaweedfs.new_bucket()
    remote = dict(seaweedfs.env(NBOPS_REMOTE=f"s3://{bucket}/team"))
    done = nbops(copy, "push", "--all", **remote)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Pushed 1 run(s)" in done.stdout
    assert f"not pushed {stray.name}: no manifest.json" in done.stdout
    assert edited in done.stderr and other not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    index = json.loads(seaweedfs.filesystem().cat_file(f"{bucket}/team/runs/index.json"))
    assert sorted(index["runs"]) == [other]
    as_json = nbops(copy, "push", "--all", "--json", **remote)
    assert as_json.returncode == 1
    report = json.loads(as_json.stdout)
    assert report["runs_up_to_date"] == [other] and list(report["runs_refused"]) == [edited]


def test_a_forged_contents_entry_cannot_write_outside_the_run_folder(
    built: Path, seaweedfs: Any, tmp_path: Path
) -> None:
    """A bucket writer adds ../../../escape.txt to a run's contents list (and rewrites the
    index to match): pull resolves every listed path and refuses the run."""
    from nbops.core import hash_bytes

    bucket, remote = pushed_bucket(built, seaweedfs)
    run_id = run_ids(built)[0]
    fs = seaweedfs.filesystem()
    contents_key = f"{bucket}/team/runs/{run_id}/contents.json"
    contents = json.loads(fs.cat_file(contents_key))
    some = next(iter(contents["files"].values()))
    for escape in ("../../../escape.txt", "html/../../../../escape2.txt"):
        contents["files"][escape] = dict(some)
    forged = json.dumps(contents).encode()
    fs.pipe_file(contents_key, forged)
    index_key = f"{bucket}/team/runs/index.json"
    index = json.loads(fs.cat_file(index_key))
    index["runs"][run_id]["contents_hash"] = hash_bytes(forged)
    fs.pipe_file(index_key, json.dumps(index).encode())
    teammate = clone(built, tmp_path / "clone")
    pulled = nbops(teammate, "pull", run_id, **remote)
    assert pulled.returncode == 1, pulled.stdout + pulled.stderr
    assert "outside its folder" in pulled.stderr
    assert not list(tmp_path.rglob("escape*.txt"))
    assert not (teammate / "reports" / "runs" / run_id).exists()
