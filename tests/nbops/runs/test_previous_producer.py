"""Which earlier run produced a task's products: found newest first, reading only what it needs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nbops.core._ids import new_run_id
from nbops.runs import _snapshot
from nbops.runs._snapshot import Snapshotter


def _entry(manifest: dict) -> dict:
    return {"products": manifest["tasks"]["a"]["products"]}


def _later_run_id() -> str:
    return new_run_id(datetime(2027, 1, 1, tzinfo=UTC) + timedelta(seconds=1))


def _counting_reads(monkeypatch) -> list[str]:
    read = []
    real = _snapshot.read_sealed_manifest

    def counted(path):
        read.append(path.parent.name)
        return real(path)

    monkeypatch.setattr(_snapshot, "read_sealed_manifest", counted)
    return read


def test_the_run_before_answers_without_reading_the_older_ones(project, add_run, monkeypatch):
    for data in (b"v1", b"v2", b"v3"):
        add_run(products={"data": data})
    newest = add_run(products={"data": b"v4"})
    read = _counting_reads(monkeypatch)

    snapshotter = Snapshotter(project, _later_run_id())

    assert snapshotter._producer("a", _entry(newest)) == newest["run_id"]
    assert read == [newest["run_id"]]


def test_an_older_producer_is_still_found_and_each_manifest_read_once(project, add_run,
                                                                     monkeypatch):
    oldest = add_run(products={"data": b"v1"})
    middle = add_run(products={"data": b"v2"})
    newest = add_run(products={"data": b"v3"})
    read = _counting_reads(monkeypatch)
    snapshotter = Snapshotter(project, _later_run_id())

    assert snapshotter._producer("a", _entry(oldest)) == oldest["run_id"]
    assert snapshotter._producer("a", _entry(middle)) == middle["run_id"]
    assert snapshotter._producer("a", {"products": {"data": {"hash": "blake3:" + "11" * 32}}}) \
        is None
    assert read == [newest["run_id"], middle["run_id"], oldest["run_id"]]


def test_a_reused_task_reads_its_producers_manifest_not_every_run_since(project, add_run,
                                                                       monkeypatch):
    """A series of no-op builds: each one's reused notebook comes from the run that
    produced it, read directly, however many no-op runs came in between."""
    producer = add_run(products={"data": b"v1"})
    for _ in range(3):
        add_run(products={"data": b"v2"})
    read = _counting_reads(monkeypatch)
    snapshotter = Snapshotter(project, _later_run_id())

    assert snapshotter._task_in(producer["run_id"], "a") == producer["tasks"]["a"]
    assert snapshotter._task_in(producer["run_id"], "a") == producer["tasks"]["a"]
    assert snapshotter._task_in(_later_run_id(), "a") is None  # never a later run
    assert read == [producer["run_id"]]
