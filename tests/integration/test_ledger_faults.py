"""Faults: a failing cell, two builds at once, kill -9 mid-build, tampering."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from ledger_helpers import BIN, build, env, make_project, manifests, nbops, wait_until_sleeping

from nbops.core._project import Project
from nbops.runs import list_runs

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return make_project(tmp_path_factory.mktemp("faults"))


def test_failing_cell_fails_the_run_and_keeps_the_partial_notebook(root) -> None:
    done = build(root, "--env--fail", "true", check=False)
    assert done.returncode != 0
    run = manifests(root)[-1]
    assert run["status"] == "failed"
    assert run["failure"]["task"] == "train"
    assert run["failure"]["ename"] == "ValueError"
    assert run["failure"]["evalue"] == "training diverged on purpose"
    assert isinstance(run["failure"]["cell_index"], int)
    assert "train" in run["failure"]["message"]
    tasks = run["tasks"]
    assert [tasks[t]["status"] for t in ("make_data", "train", "evaluate")] == [
        "executed", "failed", "not_run"]
    assert tasks["train"]["error"]["cell_index"] == run["failure"]["cell_index"]
    assert tasks["train"]["metrics"]["train_mean"] > 0  # logged before the failing cell
    partial = root / "reports" / "runs" / run["run_id"] / tasks["train"]["notebook"]["path"]
    cells = json.loads(partial.read_text())["cells"]
    assert any(o.get("ename") == "ValueError" for c in cells for o in c.get("outputs", []))


def test_concurrent_build_waits_then_stops_and_kill_9_leaves_an_interrupted_run(root) -> None:
    first = subprocess.Popen([str(BIN / "ploomber"), "build", "--env--sleep_s", "120"],
                             cwd=root, env=env(), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        running = None
        while time.monotonic() < deadline and running is None:
            time.sleep(0.5)
            runs = [r for r in list_runs(Project(root)) if r["status"] == "running"]
            running = runs[0]["run_id"] if runs else None
        assert running, "the first build never opened its run"

        second = build(root, check=False, NBOPS_LOCK_TIMEOUT="1")
        assert second.returncode != 0
        assert "holds the project lock" in second.stdout + second.stderr
        assert running in second.stdout + second.stderr
        assert [r["status"] for r in list_runs(Project(root))][-1] == "running"

        os.kill(first.pid, signal.SIGKILL)  # kill -9 the build, not its kernel
        first.wait(timeout=30)
    finally:
        try:
            os.killpg(first.pid, signal.SIGKILL)  # reap the orphaned kernel
        except ProcessLookupError:
            pass
        first.wait(timeout=30)

    listed = nbops(root, "runs", "--json")
    statuses = {r["run_id"]: r["status"] for r in json.loads(listed.stdout)}
    assert statuses[running] == "interrupted"
    interrupted = [m for m in manifests(root) if m["run_id"] == running][0]
    assert interrupted["finished_at"] is None and "reason" in interrupted["interrupted"]


def _as_from_a_terminal() -> None:
    """Let SIGINT interrupt the build even when these tests run in the background.

    A non-interactive shell starts background jobs (``make test &``, CI runners) with
    SIGINT ignored; the build would inherit that and sleep through the Ctrl-C.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_marks_the_run_interrupted_as_the_build_exits(root) -> None:
    build_ = subprocess.Popen([str(BIN / "ploomber"), "build", "--env--sleep_s", "90"],
                              cwd=root, env=env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True,
                              preexec_fn=_as_from_a_terminal)
    try:
        deadline = time.monotonic() + 120
        running = None
        while time.monotonic() < deadline and running is None:
            time.sleep(0.5)
            runs = [m for m in manifests(root) if m["status"] == "running"]
            running = runs[0]["run_id"] if runs else None
        assert running, "the build never opened its run"
        # inside the cell, not while the kernel starts: asyncio code in jupyter_client
        # that swallows the cancellation a Ctrl-C becomes could lose the interrupt
        wait_until_sleeping(root)
        os.killpg(build_.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends
        build_.wait(timeout=120)
    finally:
        if build_.poll() is None:
            os.killpg(build_.pid, signal.SIGKILL)
            build_.wait(timeout=30)
    run = [m for m in manifests(root) if m["run_id"] == running][0]
    assert run["status"] == "interrupted"  # at once, not only when someone looks
    assert "exited before the run closed" in run["interrupted"]["reason"]


def test_tampered_object_and_manifest_are_reported_by_verify(root) -> None:
    run = [m for m in manifests(root) if m["status"] == "failed"][0]
    assert nbops(root, "verify", run["run_id"]).returncode == 0
    digest = run["tasks"]["make_data"]["products"]["data"]["hash"]
    obj = root / ".nbops" / "store" / "objects" / digest[7:9] / digest[9:]
    os.chmod(obj, 0o644)
    obj.write_text("x\n1\n")
    out = nbops(root, "verify", run["run_id"])
    assert out.returncode == 1
    assert "corrupt" in out.stdout and "make_data" in out.stdout
    manifest = root / "reports" / "runs" / run["run_id"] / "manifest.json"
    manifest.write_text(manifest.read_text()[:200])
    out = nbops(root, "verify", run["run_id"])
    assert out.returncode == 1 and "not valid JSON" in out.stdout

