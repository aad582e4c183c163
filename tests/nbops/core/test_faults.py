"""The crash-point switch: silent by default, enumerates, kills where told."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = (
    "from nbops.core._faults import crash_point\n"
    "crash_point('a.first')\n"
    "crash_point('b.second')\n"
    "crash_point('b.second')\n"
    "print('finished')\n"
)


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    import os

    full = {k: v for k, v in os.environ.items() if not k.startswith("NBOPS_CRASH")}
    full.update(env)
    return subprocess.run([sys.executable, "-c", SCRIPT], env=full, capture_output=True,
                          text=True, timeout=60)


def test_points_do_nothing_unless_asked() -> None:
    done = _run({})
    assert done.returncode == 0 and done.stdout.strip() == "finished"


def test_points_are_enumerated_in_order(tmp_path: Path) -> None:
    log = tmp_path / "points.log"
    done = _run({"NBOPS_CRASH_POINTS_LOG": str(log)})
    assert done.returncode == 0
    assert log.read_text().split() == ["a.first", "b.second", "b.second"]


def test_sigkill_at_a_named_occurrence(tmp_path: Path) -> None:
    log = tmp_path / "points.log"
    done = _run({"NBOPS_CRASH_AT": "b.second#2", "NBOPS_CRASH_POINTS_LOG": str(log)})
    assert done.returncode == -9
    assert "finished" not in done.stdout
    assert log.read_text().split() == ["a.first", "b.second", "b.second"]


def test_sigint_raises_keyboard_interrupt() -> None:
    done = _run({"NBOPS_CRASH_AT": "a.first", "NBOPS_CRASH_SIGNAL": "INT"})
    assert done.returncode != 0
    assert "KeyboardInterrupt" in done.stderr
    assert "finished" not in done.stdout


def test_a_barrier_holds_each_process_until_all_have_reached_it(tmp_path: Path) -> None:
    import os
    import time

    script = ("import time\nfrom nbops.core._faults import crash_point\n"
              "crash_point('b.second')\nprint(time.monotonic())\n")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("NBOPS_")},
           "NBOPS_BARRIER_AT": "b.second#1", "NBOPS_BARRIER_DIR": str(tmp_path / "b"),
           "NBOPS_BARRIER_PARTIES": "2"}
    first = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE,
                             text=True)
    time.sleep(1.5)  # the first waits at the barrier meanwhile
    assert first.poll() is None
    started = time.monotonic()
    second = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE,
                              text=True)
    passed = [float(p.communicate(timeout=60)[0]) for p in (first, second)]
    assert all(at >= started for at in passed)  # the first went on only once the second came
    assert sorted(int(p.name) for p in (tmp_path / "b").iterdir()) == sorted(
        (first.pid, second.pid))
