"""Crash safety and races of ``nbops push`` against a real S3 server (SeaweedFS).

* A push killed (SIGKILL) at each of its crash points leaves no partial run
  visible on the remote, and the next push completes, uploading only what is
  still missing.
* Two clones pushing at the same moment: both runs land and the index holds both
  (on s3:// and on az://, against Azurite: the index is updated by conditional writes).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ledger_helpers import BIN, env, make_project
from remote_commands import build, commands, nbops  # noqa: F401 - commands: autouse

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def visible_runs(server: Any, bucket: str) -> list[str]:
    fs = server.filesystem()
    try:
        doc = json.loads(fs.cat_file(f"{bucket}/team/runs/index.json"))
    except FileNotFoundError:
        return []
    return sorted(doc["runs"])


def stored_objects(server: Any, bucket: str) -> int:
    fs = server.filesystem()
    try:
        return len(fs.find(f"{bucket}/team/objects"))
    except FileNotFoundError:
        return 0


@pytest.fixture(scope="module")
def two_clones(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two clones of one repository, each with a run of its own."""
    first = make_project(tmp_path_factory.mktemp("faults"))
    second = tmp_path_factory.mktemp("faults2") / "clone"
    subprocess.run(["git", "clone", "-q", str(first), str(second)], check=True)
    build(first)
    build(second, "--env--seed", "8")
    return first, second


def test_push_killed_at_each_crash_point(two_clones: tuple[Path, Path], seaweedfs: Any,
                                         tmp_path: Path) -> None:
    root = two_clones[0]
    bucket = seaweedfs.new_bucket()
    log = tmp_path / "points.log"
    done = nbops(root, "push", "--json", **seaweedfs.env(
        NBOPS_REMOTE=f"s3://{bucket}/team", NBOPS_CRASH_POINTS_LOG=str(log)))
    assert done.returncode == 0, done.stderr
    total = json.loads(done.stdout)["objects_uploaded"]
    points = log.read_text().split()
    uploads = points.count("push.object_uploaded")
    assert uploads == total and total > 3
    assert points[-4:] == ["push.contents_uploaded", "push.manifest_uploaded",
                           "remote.update_read", "push.index_updated"]

    for target in ("push.object_uploaded#1", f"push.object_uploaded#{uploads}",
                   "push.contents_uploaded", "push.manifest_uploaded", "push.index_updated"):
        fresh = seaweedfs.new_bucket()
        variables = seaweedfs.env(NBOPS_REMOTE=f"s3://{fresh}/team")
        killed = nbops(root, "push", **variables, NBOPS_CRASH_AT=target)
        assert killed.returncode == -9, (target, killed.stderr)
        complete = target == "push.index_updated"
        assert visible_runs(seaweedfs, fresh) == ([] if not complete else visible_runs(
            seaweedfs, bucket)), target
        already = stored_objects(seaweedfs, fresh)
        retry = nbops(root, "push", "--json", **variables)
        assert retry.returncode == 0, (target, retry.stderr)
        report = json.loads(retry.stdout)
        if complete:
            assert report["objects_uploaded"] == 0 and report["runs_up_to_date"]
        else:
            assert report["objects_uploaded"] == total - already, target
        assert visible_runs(seaweedfs, fresh) == visible_runs(seaweedfs, bucket), target


@pytest.mark.parametrize("scheme", ["s3", "az"])
def test_two_clones_push_at_the_same_time(two_clones: tuple[Path, Path], scheme: str,
                                          request: pytest.FixtureRequest,
                                          tmp_path: Path) -> None:
    server = request.getfixturevalue({"s3": "seaweedfs", "az": "azurite"}[scheme])
    place = server.new_bucket() if scheme == "s3" else server.new_place()
    # both pushes read the index and stop before writing it until the other has read it
    # too: their index updates overlap, so a last-writer-wins update would lose a run
    barrier = tmp_path / "barrier"
    variables = env(**server.env(NBOPS_REMOTE=f"{scheme}://{place}/team"),
                    NBOPS_BARRIER_AT="remote.update_read#1", NBOPS_BARRIER_DIR=str(barrier),
                    NBOPS_BARRIER_PARTIES="2")
    procs = [subprocess.Popen([str(BIN / "nbops"), "push", "--json"], cwd=root, env=variables,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for root in two_clones]
    outputs = [proc.communicate(timeout=180) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), outputs
    assert sorted(int(p.name) for p in barrier.iterdir()) == sorted(p.pid for p in procs)
    pushed = sorted(json.loads(out)["runs_pushed"][0] for out, _ in outputs)
    listed = subprocess.run([str(BIN / "nbops"), "runs", "--remote", "--json"],
                            cwd=two_clones[0], env=variables, capture_output=True, text=True,
                            timeout=120)  # the remote's index, as a teammate sees it
    assert listed.returncode == 0, listed.stderr
    assert sorted(r["run_id"] for r in json.loads(listed.stdout)) == pushed
    if scheme == "s3":
        assert visible_runs(server, place) == pushed
