"""A bucket writer without the team key cannot subvert the registry (real SeaweedFS).

The attacker can write every object of the bucket (every CI job can) but does not
hold the team key. They upload a crafted skops file under its own hash and
rewrite ``registry/models.json`` so the champion points at it (trusting its
types, with a plausible history entry), or put back an older signed copy of the
file (a rollback). A teammate's fresh clone running ``nbops predict
churn@champion`` refuses in one sentence and runs no payload; the machine that
owns the registry neither adopts nor re-seals the forgery; nothing local is lost.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import skops.io as sio
from hostile_models import ROUTES, build
from registry_helpers import FEATURE_SCHEMA, MakeRun

from nbops.core._errors import RegistryError
from nbops.core._hashing import hash_file
from nbops.core._store import ContentStore
from nbops.registry import _artifacts as artifacts
from nbops.registry import _operations as operations
from nbops.registry import _registry_file as registry_file
from nbops.registry import _remote_trust as trust
from nbops.remote._store import RemoteStore

pytestmark = [pytest.mark.integration]
NBOPS = str(Path(sys.executable).with_name("nbops"))
KEY = os.environ["NBOPS_REMOTE_KEY"]  # the team's (tests/conftest.py)


@pytest.fixture
def remote_env(seaweedfs: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"s3://{seaweedfs.new_bucket()}/team"
    for key, value in seaweedfs.env(NBOPS_REMOTE=url).items():
        monkeypatch.setenv(key, value)
    return url


def _machine(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    root.mkdir()
    (root / "pipeline.yaml").write_text("tasks: []\n")
    return root


def _register(root: Path, make_run: MakeRun, remote: RemoteStore) -> dict[str, Any]:
    """Register and promote a real model on ``root``; upload what a push would."""
    candidate = make_run()
    store = ContentStore(root / ".nbops" / "store")
    stored = store.put_file(candidate.model_file)
    train = store.put_file(candidate.train_data)
    record = {
        "run_id": candidate.run_id,
        "artifact": {"hash": stored.digest, "size": stored.size, "format": "skops",
                     "trusted_types": artifacts.inspect_types(candidate.model_file)},
        "metrics": candidate.metrics,
        "training_data": {"hash": train.digest, "size": train.size}, "test_data": None,
        "feature_schema": FEATURE_SCHEMA,
    }
    number, _ = operations.register_version(root, "churn", record)
    operations.promote(root, "churn", number, reason="a better model", actor=operations.Actor())
    for needed in (stored.digest, train.digest):
        remote.put_object(store.path_for(needed), needed)
    return record


def _forge(remote: RemoteStore, tmp_path: Path, signature: Any = "keep") -> Path:
    """The attack: a crafted model under its own hash, the champion moved onto it."""
    route = next(r for r in ROUTES if r.name == "numpy_runstring")
    evil, marker = build(route, tmp_path / "attacker")
    digest = hash_file(evil)
    remote.put_object(evil, digest)
    doc = json.loads(remote.get_bytes(registry_file.REMOTE_KEY))
    model = doc["models"]["churn"]
    first = model["versions"][0]
    model["versions"].append({**first, "version": len(model["versions"]) + 1, "artifact": {
        **first["artifact"], "hash": digest, "size": evil.stat().st_size,
        "trusted_types": sorted(sio.get_untrusted_types(file=evil))}})
    model["history"].append({**model["history"][-1], "from": model["aliases"]["champion"],
                             "to": len(model["versions"]), "reason": "retrained"})
    model["aliases"]["champion"] = len(model["versions"])
    if signature != "keep":
        doc["signature"] = signature
    remote.put_bytes(registry_file.REMOTE_KEY, json.dumps(doc, indent=2).encode())
    return marker


def _predict(clone: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    (clone / "rows.csv").write_text("tenure,charges,plan\n3.0,70.0,basic\n")
    return subprocess.run([NBOPS, "predict", "churn@champion", "rows.csv", "-o", "out.csv"],
                          cwd=clone, env=env, capture_output=True, text=True, timeout=300)


def _one_sentence(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


@pytest.mark.parametrize("signature", ["keep", None, "other-key"])
def test_a_fresh_clone_refuses_a_forged_champion_and_runs_no_payload(
        project: Path, make_run: MakeRun, remote_env: str, tmp_path: Path,
        signature: Any) -> None:
    remote = RemoteStore(remote_env)
    _register(project, make_run, remote)
    if signature == "other-key":  # signed, but with a key the attacker made up
        os.environ["NBOPS_REMOTE_KEY"] = "attacker-key-" + "a" * 40
        try:
            forged_signature = json.loads(trust.signed(
                {"schema_version": 1, "models": {}}, remote_env))["signature"]
        finally:
            os.environ["NBOPS_REMOTE_KEY"] = KEY
        signature = forged_signature
    marker = _forge(remote, tmp_path, signature)
    clone = _machine(tmp_path, "teammate")
    done = _predict(clone, dict(os.environ))
    line = _one_sentence(done.stderr)
    assert done.returncode == 1
    assert "refusing registry/models.json on remote" in line
    assert ("does not match its content" in line or "not signed with the team key" in line
            or "signed with another key" in line)
    assert "nbops remote restore-registry" in line
    assert not any(marker.iterdir()), "the payload ran"
    assert not (clone / "out.csv").exists()
    assert not registry_file.registry_path(clone).exists()  # nothing forged was adopted


def test_the_owner_neither_adopts_nor_reseals_a_forged_registry(
        project: Path, make_run: MakeRun, remote_env: str, tmp_path: Path) -> None:
    remote = RemoteStore(remote_env)
    _register(project, make_run, remote)
    local = registry_file.registry_path(project)
    before = local.read_bytes(), (local.parent / "models.seal.json").read_bytes()
    marker = _forge(remote, tmp_path)
    forged = remote.get_bytes(registry_file.REMOTE_KEY)
    with pytest.raises(RegistryError, match="does not match its content"):
        registry_file.read(project)
    with pytest.raises(RegistryError, match="does not match its content"):  # nor writes on it
        operations.promote(project, "churn", 1, alias="staging", reason="x",
                           actor=operations.Actor())
    assert (local.read_bytes(), (local.parent / "models.seal.json").read_bytes()) == before
    assert remote.get_bytes(registry_file.REMOTE_KEY) == forged  # not re-signed either
    assert not any(marker.iterdir())
    # the fix the refusal names puts the team's registry back, signed
    done = subprocess.run([NBOPS, "remote", "restore-registry"], cwd=project,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert registry_file.read(project)["models"]["churn"]["aliases"] == {"champion": 1}
    clone = _machine(tmp_path, "teammate")
    assert registry_file.read(clone) == registry_file.read_local(project)


def test_a_rolled_back_remote_registry_is_refused_naming_the_version(
        project: Path, make_run: MakeRun, remote_env: str, tmp_path: Path) -> None:
    remote = RemoteStore(remote_env)
    _register(project, make_run, remote)
    old = remote.get_bytes(registry_file.REMOTE_KEY)  # validly signed, version 1 only
    _register(project, make_run, remote)
    teammate = _machine(tmp_path, "teammate")
    assert registry_file.read(teammate)["models"]["churn"]["aliases"]["champion"] == 2
    remote.put_bytes(registry_file.REMOTE_KEY, old)  # the rollback
    for machine in (project, teammate):
        with pytest.raises(RegistryError, match="churn version 2 is missing there "
                                                "\\(the file was rolled back\\)"):
            registry_file.read(machine)
        assert registry_file.read_local(machine)["models"]["churn"]["aliases"] == {
            "champion": 2}
    done = subprocess.run([NBOPS, "models"], cwd=teammate, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1 and "version 2 is missing there" in _one_sentence(done.stderr)


def test_a_machine_without_the_team_key_trusts_nothing_new(
        project: Path, make_run: MakeRun, remote_env: str, tmp_path: Path) -> None:
    remote = RemoteStore(remote_env)
    _register(project, make_run, remote)
    clone = _machine(tmp_path, "newcomer")
    env = {k: v for k, v in os.environ.items() if k != "NBOPS_REMOTE_KEY"}
    done = _predict(clone, env)
    line = _one_sentence(done.stderr)
    assert done.returncode == 1
    assert "cannot be verified: this machine has no team key" in line
    assert "NBOPS_REMOTE_KEY" in line and KEY not in line
    # with the key set up the way the docs say, the same command works
    subprocess.run([NBOPS, "remote", "set", remote_env, "--key", KEY], cwd=clone, env=env,
                   check=True, capture_output=True, timeout=60)
    done = _predict(clone, env)
    assert done.returncode == 0, done.stderr


def test_the_key_never_reaches_the_bucket_or_the_project(
        project: Path, make_run: MakeRun, remote_env: str) -> None:
    remote = RemoteStore(remote_env)
    _register(project, make_run, remote)
    for key in remote.list_prefix(""):
        data = remote.get_bytes(key) or b""
        assert KEY.encode() not in data, key
    for path in project.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path
