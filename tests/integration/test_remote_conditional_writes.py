"""The remote's mutable documents on every scheme that has conditional writes.

``file://`` (flock), ``s3://`` (SeaweedFS) and ``az://`` (Azurite), each with
real processes racing: a compare-and-swap that loses returns False, read-modify-
write updates from two processes at once lose nothing, and the lease excludes a
second holder while valid and frees itself when its holder dies. Every check
runs in child processes (the az:// ones need the azure extra on PYTHONPATH,
which the test process itself does not import).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.integration]

SCHEMES = ["file", "s3", "az"]


@pytest.fixture(params=SCHEMES)
def place(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, dict[str, str]]:
    """A fresh remote URL of each scheme, and the environment a child needs to reach it."""
    if request.param == "file":
        (tmp_path / "remote").mkdir()
        return f"file://{tmp_path / 'remote'}", {}
    if request.param == "s3":
        seaweedfs = request.getfixturevalue("seaweedfs")
        return f"s3://{seaweedfs.new_bucket()}/team", seaweedfs.env()
    azurite = request.getfixturevalue("azurite")
    return f"az://{azurite.new_place()}/team", azurite.env()


def child(code: str, url: str, variables: dict[str, str], *args: str,
          wait: bool = True) -> Any:
    """Run ``code`` (with ``url`` and ``args`` in sys.argv) in a fresh interpreter."""
    command = [sys.executable, "-c", code, url, *args]
    environment = {**os.environ, **variables}
    if not wait:
        return subprocess.Popen(command, env=environment, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    done = subprocess.run(command, env=environment, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


_COMPARE_AND_SWAP = """
import json, sys
from nbops.remote import open_remote
remote = open_remote(sys.argv[1])
out = {"absent": remote.read_versioned("doc.json")}
out["create"] = remote.write_if("doc.json", b"one", None)
out["create_again"] = remote.write_if("doc.json", b"two", None)
data, version = remote.read_versioned("doc.json")
out["read"] = data.decode()
out["replace"] = remote.write_if("doc.json", b"three", version)
out["replace_stale"] = remote.write_if("doc.json", b"four", version)
out["final"] = remote.get_bytes("doc.json").decode()
print(json.dumps(out))
"""


def test_a_conditional_write_that_lost_the_race_returns_false(
        place: tuple[str, dict[str, str]]) -> None:
    url, variables = place
    out = json.loads(child(_COMPARE_AND_SWAP, url, variables))
    assert out == {"absent": [None, None], "create": True, "create_again": False,
                   "read": "one", "replace": True, "replace_stale": False, "final": "three"}


_INCREMENT = """
import json, sys, time
from nbops.remote import open_remote
remote = open_remote(sys.argv[1])
me, count, start_at = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
remote.get_bytes("counter.json")  # connected before the start line
def add(current):
    doc = json.loads(current) if current else {"writes": []}
    doc["writes"].append(me)
    time.sleep(0.02)  # widen the read-to-write window: the other writer gets in
    return json.dumps(doc).encode()
time.sleep(max(0.0, start_at - time.time()))  # both start together
for _ in range(count):
    remote.update("counter.json", add)
"""

_READ = """
import sys
from nbops.remote import open_remote
print(open_remote(sys.argv[1]).get_bytes(sys.argv[2]).decode())
"""


def test_two_processes_updating_at_once_lose_no_update(
        place: tuple[str, dict[str, str]]) -> None:
    url, variables = place
    count = 12
    start_at = str(time.time() + 3)  # after both interpreters have started and connected
    workers = [child(_INCREMENT, url, variables, name, str(count), start_at, wait=False)
               for name in ("a", "b")]
    errors = [w.communicate(timeout=180)[1] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], errors
    writes = json.loads(child(_READ, url, variables, "counter.json"))["writes"]
    assert sorted(writes) == ["a"] * count + ["b"] * count


_UNDER_LEASE = """
import json, sys, time
from nbops.remote import RemoteLease, open_remote
remote = open_remote(sys.argv[1])
me, count = sys.argv[2], int(sys.argv[3])
for _ in range(count):
    with RemoteLease(remote, "lease.json", ttl_s=30, wait_s=120):
        # an UNconditional read-modify-write: only the lease keeps the other process out
        current = remote.get_bytes("guarded.json")
        doc = json.loads(current) if current else {"writes": []}
        time.sleep(0.05)
        doc["writes"].append(me)
        remote.put_bytes("guarded.json", json.dumps(doc).encode())
"""

_EXPIRY = """
import json, sys, time
from nbops.core import RemoteError
from nbops.remote import RemoteLease, open_remote
remote = open_remote(sys.argv[1])
# A holder that stops (crashed, laptop closed) never releases: only its expiry frees the lease.
RemoteLease(remote, "lease.json", ttl_s=2).acquire()
started = time.monotonic()
taker = RemoteLease(remote, "lease.json", wait_s=30)
taker.acquire()
out = {"waited": time.monotonic() - started}
taker.release()
RemoteLease(remote, "lease.json", ttl_s=600).acquire()  # a valid lease, never released
try:
    RemoteLease(remote, "lease.json", wait_s=1).acquire()
except RemoteError as exc:
    out["refused"] = str(exc)
print(json.dumps(out))
"""


@pytest.mark.slow
def test_the_lease_excludes_a_second_holder_and_expires_when_its_holder_dies(
        place: tuple[str, dict[str, str]]) -> None:
    url, variables = place
    count = 3
    workers = [child(_UNDER_LEASE, url, variables, name, str(count), wait=False)
               for name in ("a", "b")]
    errors = [w.communicate(timeout=180)[1] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], errors
    writes = json.loads(child(_READ, url, variables, "guarded.json"))["writes"]
    assert sorted(writes) == ["a"] * count + ["b"] * count  # no write lost: mutual exclusion

    out = json.loads(child(_EXPIRY, url, variables))
    assert 1.0 < out["waited"] < 25, out  # taken over once it expired, not before
    assert "lease.json" in out["refused"] and "held by" in out["refused"], out
