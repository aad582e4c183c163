"""A running ``nbops serve-model`` never runs a model a bucket writer forged (real SeaweedFS,
real server).

The owner's registry lives on the remote (signed with the team key). An attacker who can
write the bucket but holds no key uploads a crafted skops file under its own hash and
moves the champion onto it in ``registry/models.json``. Any command on the owner's machine
then refreshes the registry: it refuses the forgery in one sentence, the local mirror does
not change, so the server keeps answering with the real champion and no payload runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import skops.io as sio
from serving_world import make_project, start_server

from nbops.core._hashing import hash_file
from nbops.registry import _registry_file as registry_file
from nbops.remote._store import RemoteStore

pytestmark = [pytest.mark.integration, pytest.mark.slow]

_PAYLOAD = "open({marker!r}, 'w').close()"


def _crafted(folder: Path) -> tuple[Path, Path]:
    """A skops file that runs Python source through numpy's runstring while it loads."""
    import zipfile

    marker = folder / "payload-ran"
    node = {"__class__": "runstring", "__module__": "numpy.testing._private.utils",
            "__loader__": "ConstructorFromReduceNode",
            "content": {"__class__": "tuple", "__module__": "builtins", "__loader__": "TupleNode",
                        "content": [
                            {"__class__": "str", "__module__": "builtins",
                             "__loader__": "JsonNode", "is_json": True,
                             "content": json.dumps(_PAYLOAD.format(marker=str(marker)))},
                            {"__class__": "dict", "__module__": "builtins",
                             "__loader__": "DictNode", "content": {},
                             "key_types": {"__class__": "list", "__module__": "builtins",
                                           "__loader__": "ListNode", "content": []}}]},
            "protocol": 2, "_skops_version": "0.16.0"}
    path = folder / "champion.skops"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("schema.json", json.dumps(node))
    return path, marker


def test_a_running_server_keeps_the_real_champion_when_the_bucket_is_forged(
        tmp_path: Path, seaweedfs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"s3://{seaweedfs.new_bucket()}/team"
    for key, value in seaweedfs.env(NBOPS_REMOTE=url).items():
        monkeypatch.setenv(key, value)
    root = make_project(tmp_path / "owner")  # churn:1 champion, churn:2, on the remote
    remote = RemoteStore(url)
    assert json.loads(remote.get_bytes(registry_file.REMOTE_KEY))["signature"]["mac"]
    server = start_server(root)
    try:
        evil, marker = _crafted(tmp_path)
        digest = hash_file(evil)
        remote.put_object(evil, digest)
        doc = json.loads(remote.get_bytes(registry_file.REMOTE_KEY))
        model = doc["models"]["churn"]
        forged = {**model["versions"][-1], "version": len(model["versions"]) + 1}
        forged["artifact"] = {**forged["artifact"], "hash": digest,
                              "size": evil.stat().st_size,
                              "trusted_types": sorted(sio.get_untrusted_types(file=evil))}
        model["versions"].append(forged)
        model["history"].append({**model["history"][-1], "from": 1, "to": forged["version"]})
        model["aliases"]["champion"] = forged["version"]
        remote.put_bytes(registry_file.REMOTE_KEY, json.dumps(doc).encode())
        mirror = registry_file.registry_path(root).read_bytes()

        done = subprocess.run([str(Path(sys.executable).with_name("nbops")), "models"],
                              cwd=root, capture_output=True, text=True, timeout=120)
        assert done.returncode == 1
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "refusing registry/models.json on remote" in lines[0]
        assert registry_file.registry_path(root).read_bytes() == mirror
        time.sleep(2)  # the server's watcher polls every 0.25 s
        health = httpx.get(f"{server.url}/healthz", timeout=5).json()
        assert (health["version"], health["swaps"]) == (1, 0)
        answer = httpx.post(f"{server.url}/predict", timeout=30, json={"records": [{}]})
        assert answer.status_code in (200, 422)  # answered by churn:1, never the forgery
        assert not marker.exists(), "the payload ran"
    finally:
        server.stop()
