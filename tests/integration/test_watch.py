"""``nbops watch`` follows builds started by another process, from the ledger alone."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from collections.abc import Iterator

import pytest
from ledger_helpers import BIN, env, make_project, manifests, wait_until_sleeping

pytestmark = pytest.mark.integration

EVENT = re.compile(r"^\d\d:\d\d:\d\d  (\S+)\s+(.*)$")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return make_project(tmp_path_factory.mktemp("watch"))


def _start(cmd: list[str], root, **extra: str) -> subprocess.Popen:
    # Ctrl-C as a terminal sends it: a shell that runs jobs in the background (nohup, `&`)
    # starts them with SIGINT ignored, and Python then installs no KeyboardInterrupt handler
    return subprocess.Popen(cmd, cwd=root, env=env(**extra), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen]]:
    """The processes a test starts, ended if the test fails half-way: a build left running
    would hold the project and fail the module's next test too."""
    procs: list[subprocess.Popen] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def _events(stdout: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in map(EVENT.match, stdout.splitlines()) if m]


def test_watch_follows_a_build_task_by_task_and_ends_with_its_verdict(
        project, tmp_path, started) -> None:
    # the build holds once its manifest says closing, until this test saw the watcher say so
    # (a close shorter than the watcher's poll would otherwise pass unseen)
    held = tmp_path / "barrier"
    build = _start([str(BIN / "ploomber"), "build", "--env--sleep_s", "3"], project,
                   NBOPS_BARRIER_AT="close.manifest_written", NBOPS_BARRIER_DIR=str(held),
                   NBOPS_BARRIER_PARTIES="2")
    started.append(build)
    wait_until_sleeping(project)
    watcher = _start([str(BIN / "nbops"), "watch"], project)
    quitter = _start([str(BIN / "nbops"), "watch"], project)  # Ctrl-C'd mid-build
    started.extend((watcher, quitter))
    assert quitter.stdout is not None
    assert quitter.stdout.readline().startswith("Watching run ")
    quitter.send_signal(signal.SIGINT)
    q_out, q_err = quitter.communicate(timeout=60)
    assert watcher.stdout is not None
    seen = []
    for line in watcher.stdout:  # ends early only if the watcher ends
        seen.append(line)
        if "notebooks done; closing" in line:
            held.mkdir(exist_ok=True)
            (held / "test").touch()  # the build goes on
            break
    rest, err = watcher.communicate(timeout=300)
    out = "".join(seen) + rest
    build.communicate(timeout=300)
    assert build.returncode == 0
    run = manifests(project)[-1]
    assert run["status"] == "succeeded"  # Ctrl-C in a watcher stopped only the watcher
    assert quitter.returncode == 130 and "Stopped watching run" in q_err and "Traceback" \
        not in q_err
    assert watcher.returncode == 0, err
    assert out.splitlines()[0] == f"Watching run {run['run_id']} (Ctrl-C stops watching; " \
        "the build goes on)"
    events = _events(out)
    names = [name for name, _ in events]
    assert events[0] == ("make_data", "started")
    for task in ("make_data", "train", "evaluate"):
        finished = [what for name, what in events if name == task and what != "started"]
        assert len(finished) == 1 and re.fullmatch(r"executed in \d+\.\d s", finished[0]), events
        assert names.index(task) == min(i for i, n in enumerate(names) if n == task)
    assert names.index("train") > names.index("make_data")
    assert any("notebooks done; closing" in line for line in out.splitlines())
    assert f"nbops: run {run['run_id']} succeeded" in out  # the verdict block
    assert f"run page: reports/runs/{run['run_id']}/index.html" in out


def test_watch_exits_non_zero_for_a_failed_build(project, started) -> None:
    build = _start([str(BIN / "ploomber"), "build", "--env--sleep_s", "2", "--env--fail",
                    "true"], project)
    started.append(build)
    wait_until_sleeping(project)
    watched = subprocess.run([str(BIN / "nbops"), "watch"], cwd=project, env=env(),
                             capture_output=True, text=True, timeout=300)
    build.communicate(timeout=300)
    assert build.returncode != 0
    run = manifests(project)[-1]
    assert run["status"] == "failed"
    assert watched.returncode == 1, watched.stderr
    assert ("train", "failed") in [(n, w.split(" in ")[0]) for n, w in _events(watched.stdout)]
    assert f"nbops: run {run['run_id']} failed" in watched.stdout


def test_watch_without_a_running_build_says_so_in_one_sentence(project) -> None:
    started = time.monotonic()
    done = subprocess.run([str(BIN / "nbops"), "watch"], cwd=project, env=env(),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and time.monotonic() - started < 30
    assert done.stderr.strip() == ("Error: No build is running in this project. Fix: start one "
                                   "(`ploomber build`), or name a run: `nbops watch RUN`")
