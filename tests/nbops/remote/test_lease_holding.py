"""The remote lease as a teammate meets it: who holds it, for how long, what a waiter is
told, and which documents a releasing machine may touch (a file:// remote, no server; the
clock is a fake one where the boundary instants matter)."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import pytest

from nbops.core import RemoteError
from nbops.remote import RemoteStore, open_remote
from nbops.remote._lease import RemoteLease

KEY = "registry/lease.json"


@pytest.fixture()
def remote(tmp_path: Path) -> RemoteStore:
    return open_remote(f"file://{tmp_path / 'bucket'}")


def _doc(remote: RemoteStore) -> dict:
    data = remote.read_versioned(KEY)[0]
    assert data is not None
    return json.loads(data)


def test_the_lease_names_its_holder_and_why_and_lasts_a_minute_by_default(
    remote: RemoteStore,
) -> None:
    lease = RemoteLease(remote, KEY)
    before = time.time()
    lease.acquire()
    doc = _doc(remote)
    assert (doc["holder"], doc["host"], doc["pid"], doc["purpose"]) == (
        lease.token, socket.gethostname(), os.getpid(), "update")
    assert before + 60 <= doc["expires_at"] <= time.time() + 60
    RemoteLease(remote, "other.json", purpose="registry restore").acquire()
    assert json.loads(remote.read_versioned("other.json")[0])["purpose"] == "registry restore"


def test_a_waiter_is_told_who_holds_the_lease_and_when_a_dead_holder_frees_it(
    remote: RemoteStore,
) -> None:
    RemoteLease(remote, KEY, ttl_s=600).acquire()
    waiter = RemoteLease(remote, KEY, ttl_s=30, wait_s=0.2)
    with pytest.raises(RemoteError) as refused:
        waiter.acquire()
    assert refused.value.problem == (
        f"{KEY} on remote {remote.label} is held by {socket.gethostname()} "
        f"(pid {os.getpid()}) for longer than 0s")
    assert refused.value.fix == "retry; a holder that died frees it within 30s"
    assert not waiter.held


@pytest.mark.parametrize("holder_doc, named", [
    ({"holder": "x", "expires_at": 4e9}, "? (pid ?)"),  # a lease written without its host
    ({"holder": "x", "host": "ci-7", "pid": 12, "expires_at": 4e9}, "ci-7 (pid 12)"),
])
def test_a_holder_that_left_out_its_host_is_still_named_as_well_as_it_can_be(
    remote: RemoteStore, holder_doc: dict, named: str,
) -> None:
    assert remote.write_if(KEY, json.dumps(holder_doc).encode(), None)
    with pytest.raises(RemoteError) as refused:
        RemoteLease(remote, KEY, wait_s=0.1).acquire()
    assert f"is held by {named} for longer" in refused.value.problem


class FakeClock:
    """time.monotonic, time.time and time.sleep for the lease: sleeping moves the clock."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> None:
        self.now = 1000.0
        self.wall = time.time()
        self.sleeps = list(sleeps)
        self.polls = 0
        self.pauses: list[float] = []
        monkeypatch.setattr(time, "monotonic", lambda: self.now)
        monkeypatch.setattr(time, "time", lambda: self.wall)
        monkeypatch.setattr(time, "sleep", self.sleep)

    def sleep(self, seconds: float) -> None:
        self.polls += 1
        self.pauses.append(seconds)
        step = self.sleeps.pop(0)  # an IndexError: polled more often than the test allows
        self.now += step
        self.wall += step


def test_a_waiter_keeps_polling_for_exactly_its_default_minute(
    remote: RemoteStore, monkeypatch: pytest.MonkeyPatch,
) -> None:
    RemoteLease(remote, KEY, ttl_s=3600).acquire()
    clock = FakeClock(monkeypatch, [30.0, 30.0, 0.001])
    with pytest.raises(RemoteError, match="for longer than 60s"):
        RemoteLease(remote, KEY).acquire()
    # still polling at 0 s, 30 s and at exactly 60 s; refused just after
    assert clock.polls == 3


def test_a_lease_is_held_up_to_its_expiry_instant_and_free_after_it(
    remote: RemoteStore, monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = FakeClock(monkeypatch, [0.5])
    assert remote.write_if(KEY, json.dumps(
        {"holder": "x", "expires_at": clock.wall + 0.5}).encode(), None)
    with pytest.raises(RemoteError):  # at expires_at - 0.5 and at expires_at: still held
        RemoteLease(remote, KEY, wait_s=0.25).acquire()
    assert clock.polls == 1
    clock.sleeps = [0.001]
    clock.now = clock.wall = clock.wall + 0.001  # a moment after expires_at: free
    lease = RemoteLease(remote, KEY, wait_s=0)
    lease.acquire()
    assert lease.held and _doc(remote)["holder"] == lease.token


@pytest.mark.parametrize("garbage", [b"not json", b"[1, 2]", b'{"expires_at": "soon"}'])
def test_an_unreadable_lease_protects_nothing_and_is_taken(
    remote: RemoteStore, garbage: bytes,
) -> None:
    assert remote.write_if(KEY, garbage, None)
    lease = RemoteLease(remote, KEY, wait_s=0.2)
    lease.acquire()
    assert lease.held and _doc(remote)["holder"] == lease.token


def test_releasing_leaves_a_lease_document_that_is_no_longer_ours_untouched(
    remote: RemoteStore,
) -> None:
    lease = RemoteLease(remote, KEY)
    lease.acquire()
    _, version = remote.read_versioned(KEY)
    assert remote.write_if(KEY, b"rewritten by someone else", version)
    lease.release()
    assert remote.read_versioned(KEY)[0] == b"rewritten by someone else"
    assert not lease.held


def test_a_lease_never_taken_releases_nothing(remote: RemoteStore) -> None:
    other = RemoteLease(remote, KEY, ttl_s=600)
    other.acquire()
    with RemoteLease(remote, "elsewhere.json"):
        pass
    RemoteLease(remote, KEY).release()  # not ours, never taken
    assert _doc(remote)["holder"] == other.token and _doc(remote)["expires_at"] > time.time()


def test_waiters_poll_every_tenth_to_three_tenths_of_a_second_at_random(
    remote: RemoteStore, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # jittered, so that machines waiting for one lease do not all retry at the same instant
    RemoteLease(remote, KEY, ttl_s=3600).acquire()
    clock = FakeClock(monkeypatch, [0.5] * 40)
    with pytest.raises(RemoteError):
        RemoteLease(remote, KEY, wait_s=19.9).acquire()
    assert clock.polls == 40
    assert all(0.1 <= pause <= 0.3 for pause in clock.pauses)
    assert max(clock.pauses) - min(clock.pauses) > 0.1


def test_a_lease_taken_between_a_waiters_read_and_its_write_is_held_by_another_machine(
    remote: RemoteStore, monkeypatch: pytest.MonkeyPatch,
) -> None:
    read = remote.read_versioned
    other = RemoteLease(remote, KEY, ttl_s=600)
    racing_now = [True]

    def racing(key: str) -> tuple[bytes | None, object]:
        data, version = read(key)
        if data is None and racing_now:
            racing_now.clear()
            other.acquire()  # the other machine wins the race after this read
        return data, version

    monkeypatch.setattr(remote, "read_versioned", racing)
    with pytest.raises(RemoteError) as refused:
        RemoteLease(remote, KEY, wait_s=0).acquire()
    assert refused.value.problem == (
        f"{KEY} on remote {remote.label} is held by another machine for longer than 0s")
    assert _doc(remote)["holder"] == other.token
