"""Kill a build's close, ``nbops promote``, ``gc`` and ``checkout`` at every named crash point.

The way storage engines test crash safety: each durable step calls
``nbops.core._faults.crash_point(name)``. Every command is first run once with
``NBOPS_CRASH_POINTS_LOG`` to enumerate the points it passes (with their
occurrence numbers), then a fresh copy of the project is killed at each point
in turn, under SIGKILL and under SIGINT (Ctrl-C), and the invariants are
checked:

* no run is ``succeeded`` without its ``gates`` and ``registry`` sections;
* ``verify`` finds nothing wrong, or only the killed run, as interrupted
  (never as altered or forged);
* the champion is unchanged or fully changed (the registry is valid and the
  run that registered the champion records its gates and registry sections);
* the next build succeeds, and afterwards every run verifies clean (after every
  SIGKILL, which leaves the most behind, and after every fourth Ctrl-C: an
  interrupted build runs its clean-up first, and the first three invariants are
  checked after every one; the rebuilds are most of this module's time).

Cheap by construction: the one real build is the session's reference build
(tests/conftest.py: ``copy_built``, which trains churn v1; other modules share
it); every trial copies it with the registry emptied
and runs a no-op ``ploomber build``, whose close gates, registers and promotes
the model again: the whole close runs for real, no notebook does. Commands
are forked from a zygote that imported Ploomber and nbops once
(``crash_zygote.py``), so a trial costs its own work, not Ploomber's import.
"""

from __future__ import annotations

import json
import logging
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from nbops.core._hashing import hash_file
from nbops.core._project import Project
from nbops.core._store import ContentStore
from nbops.runs._index import run_ids_on_disk
from nbops.runs._verify import verify_run
from project_files import SMALL_ROWS, build_environment

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ZYGOTE = Path(__file__).with_name("crash_zygote.py")
REGISTRY = Path(".nbops") / "registry" / "models.json"
BUILD = ["ploomber", "build", "--env--data--rows", str(SMALL_ROWS)]
SIGNALS = ("KILL", "INT")
COSTS: dict[str, float] = {}
CPU: Counter[str] = Counter()  # CPU seconds of the commands run, per test (load-independent)
LOG = logging.getLogger("nbops.tests.crash_points")  # -o log_cli=true shows points and costs


class Zygote:
    """The forking command runner (see crash_zygote.py)."""

    def __init__(self) -> None:
        self.test = ""
        self.proc = subprocess.Popen([sys.executable, str(ZYGOTE)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=build_environment())
        assert self.proc.stdout is not None
        ready = self.proc.stdout.readline()
        assert json.loads(ready) == {"ready": True}, ready

    def run(self, argv: list[str], cwd: Path, **env: str) -> dict[str, int]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        request = {"tool": argv[0], "argv": argv, "cwd": str(cwd), "log": str(cwd / "cmd.log"),
                   "env": {**build_environment(), **env}}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        assert "pid" in json.loads(self.proc.stdout.readline())
        answer: dict[str, float] = json.loads(self.proc.stdout.readline())
        CPU[self.test] += answer.pop("cpu_s")
        return {key: int(value) for key, value in answer.items()}

    def close(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        self.proc.stdout.close()


@pytest.fixture(scope="module")
def zygote():
    runner = Zygote()
    yield runner
    runner.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory, copy_built):
    """The reference project after one real build (churn v1 registered and champion): a
    copy of the session's build, not a build of this module's own."""
    return copy_built(tmp_path_factory.mktemp("crash") / "built")


@pytest.fixture(scope="module")
def template(built, tmp_path_factory):
    """The built project with an empty registry: a no-op build registers and promotes."""
    root = tmp_path_factory.mktemp("crash") / "template"
    shutil.copytree(built, root, symlinks=True)
    (root / REGISTRY).unlink()
    return root


def _copy(source: Path, dest: Path) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(source, dest, symlinks=True)
    (dest / "cmd.log").unlink(missing_ok=True)
    return dest


def _points(zygote: Zygote, source: Path, dest: Path, argv: list[str]) -> list[str]:
    """Run ``argv`` once in a copy of ``source``; the points it passed, as ``name#k``."""
    root = _copy(source, dest)
    log = root / "points.log"
    answer = zygote.run(argv, root, NBOPS_CRASH_POINTS_LOG=str(log))
    assert answer == {"exit": 0}, (root / "cmd.log").read_text()[-3000:]
    seen: Counter[str] = Counter()
    points = []
    for name in log.read_text().split():
        seen[name] += 1
        points.append(f"{name}#{seen[name]}")
    shutil.rmtree(root)
    return points


def _kill(zygote: Zygote, root: Path, argv: list[str], point: str, sig: str) -> None:
    answer = zygote.run(argv, root, NBOPS_CRASH_AT=point, NBOPS_CRASH_SIGNAL=sig)
    log = (root / "cmd.log").read_text()
    if sig == "KILL":
        assert answer == {"signal": signal.SIGKILL}, (point, answer, log[-3000:])
    else:
        assert answer != {"exit": 0} or "KeyboardInterrupt" in log, (point, answer, log[-3000:])
        assert "signal" not in answer, (point, answer, log[-3000:])


def _manifests(root: Path) -> dict[str, dict]:
    found = {}
    for run_id in run_ids_on_disk(Project(root)):
        path = root / "reports" / "runs" / run_id / "manifest.json"
        if path.is_file():
            found[run_id] = json.loads(path.read_text())
    return found


def _check_ledger(root: Path, killed: set[str], where: str) -> None:
    """No run shown finished before it is; verify flags only the killed runs, as interrupted."""
    for run_id, manifest in _manifests(root).items():
        if manifest["status"] == "succeeded":
            assert "gates" in manifest and "registry" in manifest, (where, run_id)
        _check_live_view(root / "reports" / "runs" / run_id, manifest, where)
    project = Project(root)
    for run_id in run_ids_on_disk(project):
        report = verify_run(project, run_id)
        if report.ok:
            continue
        assert run_id in killed and report.interrupted_only, (where, run_id, report.problems)


def _check_live_view(run_dir: Path, manifest: dict, where: str) -> None:
    """The live page and live.json may lag behind the ledger, never run ahead of it: a
    page that stopped refreshing, or a final live.json, belongs to a final run (the
    same verdict)."""
    unfinished = manifest["status"] in ("running", "closing")
    page = run_dir / "index.html"
    if page.is_file() and unfinished:
        assert "<!--nbops:live-->" in page.read_text(), (where, "page final too early")
    live = run_dir / "live.json"
    if live.is_file():
        status = json.loads(live.read_text())
        if status["final"]:
            assert status["state"] == manifest["status"], (where, status["state"], manifest)


def _check_champion(root: Path, where: str) -> None:
    """The registry is valid; a champion's registering run records its gates and registry."""
    from nbops.registry import _registry_file as registry_file

    if not (root / REGISTRY).exists():
        return
    data = registry_file.read(root)  # validates
    model = data["models"].get("churn")
    if model is None or "champion" not in model["aliases"]:
        return
    version = next(v for v in model["versions"] if v["version"] == model["aliases"]["champion"])
    run = _manifests(root)[version["registered_by_run"]]
    assert run["gates"]["verdict"] == "passed", where
    assert run["registry"]["model"] == "churn", where


def _report(what: str, points: list[str], started: float) -> None:
    COSTS[what] = time.perf_counter() - started
    LOG.warning("%s: %d points x %d signals, %.1f s wall, %.1f s CPU in commands: %s", what,
                len(points), len(SIGNALS), COSTS[what], CPU[what], ", ".join(points))


def _kill_everywhere(zygote: Zygote, source: Path, argv: list[str], points: list[str],
                     tmp_path: Path, check: Callable[[Path, str, str, int], None]) -> list[str]:
    """Kill ``argv`` at every point under every signal, each time in a fresh copy of
    ``source``, then ``check(root, point, signal, index)``; the failures, one line each."""
    failures = []
    for index, point in enumerate(points):
        for sig in SIGNALS:
            root = _copy(source, tmp_path / "trial")
            try:
                _kill(zygote, root, argv, point, sig)
                check(root, point, sig, index)
            except AssertionError as exc:
                failures.append(f"{point} {sig}: {exc}")
    return failures


def test_build_close_survives_a_kill_at_every_point(zygote, template, tmp_path):
    started = time.perf_counter()
    zygote.test = "build close"
    points = _points(zygote, template, tmp_path / "enumerate", BUILD)
    names = {p.split("#")[0] for p in points}
    # every durable step of the close is named, each post-close step included
    for expected in ("close.manifest_written", "close.step.registry.finished",
                     "close.section.gates", "close.section.registry", "registry.replaced",
                     "close.step.monitoring.finished", "close.step.reports.finished",
                     "manifest.seal_written", "manifest.replaced", "index.appended",
                     "close.finished"):
        assert expected in names, (expected, points)
    template_runs = set(run_ids_on_disk(Project(template)))

    def check(root: Path, point: str, sig: str, index: int) -> None:
        where = f"{point} {sig}"
        killed = set(run_ids_on_disk(Project(root))) - template_runs
        _check_ledger(root, killed, where)
        _check_champion(root, where)
        if sig == "INT" and index % 4:  # see the module docstring
            return
        answer = zygote.run(BUILD, root)  # the next build succeeds ...
        assert answer == {"exit": 0}, (where, (root / "cmd.log").read_text()[-3000:])
        _check_ledger(root, set(), where + " then rebuilt")  # ... and heals
        _check_champion(root, where + " then rebuilt")
        after = _manifests(root)
        for run_id in killed:  # finished, or recorded as interrupted; a run killed
            if run_id not in after:  # before its first manifest left no folder
                assert not (root / "reports" / "runs" / run_id).exists(), where
                continue
            assert after[run_id]["status"] in ("interrupted", "succeeded"), where

    failures = _kill_everywhere(zygote, template, BUILD, points, tmp_path, check)
    _report("build close", points, started)
    assert not failures, "\n".join(failures[:10])


def test_promote_survives_a_kill_at_every_point(zygote, built, tmp_path):
    started = time.perf_counter()
    zygote.test = "promote"
    argv = ["nbops", "promote", "churn", "1", "--alias", "challenger", "--reason", "crash test"]
    points = _points(zygote, built, tmp_path / "enumerate", argv)
    assert "registry.replaced#1" in points, points
    before = json.loads((built / REGISTRY).read_text())

    def check(root: Path, point: str, sig: str, index: int) -> None:
        from nbops.registry import _registry_file as registry_file

        after = registry_file.read(root)
        moved = after["models"]["churn"]["aliases"].get("challenger")
        if moved is None:
            assert after == before, point
        else:  # fully changed: the alias and its history entry together
            assert moved == 1 and after["models"]["churn"]["history"][-1]["to"] == 1
        _check_ledger(root, set(), f"{point} {sig}")

    failures = _kill_everywhere(zygote, built, argv, points, tmp_path, check)
    _report("promote", points, started)
    assert not failures, "\n".join(failures)


@pytest.fixture(scope="module")
def two_runs(zygote, template, tmp_path_factory):
    """The template after one more (no-op) build, with the registry emptied: gc can delete."""
    root = _copy(template, tmp_path_factory.mktemp("crash") / "two_runs")
    zygote.test = "gc"
    assert zygote.run(BUILD, root) == {"exit": 0}, (root / "cmd.log").read_text()[-3000:]
    (root / REGISTRY).unlink()
    store = ContentStore(Project(root).store_dir)
    store.put_bytes(b"an object no run references")  # gc deletes it ...
    store.tmp.mkdir(parents=True, exist_ok=True)
    (store.tmp / "left-by-a-killed-snapshot").write_bytes(b"x")  # ... and this leftover
    return root


def test_gc_survives_a_kill_at_every_point(zygote, two_runs, tmp_path):
    started = time.perf_counter()
    zygote.test = "gc"
    argv = ["nbops", "gc", "--keep", "1"]
    points = _points(zygote, two_runs, tmp_path / "enumerate", argv)
    assert {"gc.run_folder_removed#1", "gc.index_rewritten#1", "gc.object_deleted#1",
            "gc.leftover_removed#1"} <= set(points), points

    def check(root: Path, point: str, sig: str, index: int) -> None:
        _check_ledger(root, set(), f"{point} {sig}")
        assert zygote.run(argv, root) == {"exit": 0}, (root / "cmd.log").read_text()
        _check_ledger(root, set(), f"{point} {sig} then gc again")
        assert len(run_ids_on_disk(Project(root))) == 1

    failures = _kill_everywhere(zygote, two_runs, argv, points, tmp_path, check)
    _report("gc", points, started)
    assert not failures, "\n".join(failures)


def test_checkout_survives_a_kill_at_every_point(zygote, built, tmp_path):
    started = time.perf_counter()
    zygote.test = "checkout"
    run_id = run_ids_on_disk(Project(built))[-1]
    manifest = _manifests(built)[run_id]
    products = {p["path"]: p["hash"] for task in manifest["tasks"].values()
                for p in task["products"].values() if p.get("hash")}
    source = _copy(built, tmp_path / "emptied")
    for path in products:
        (source / path).unlink()
    argv = ["nbops", "checkout", run_id]
    points = _points(zygote, source, tmp_path / "enumerate", argv)
    assert points.count("checkout.product_restored#1") == 1 and len(points) >= 2, points

    def check(root: Path, point: str, sig: str, index: int) -> None:
        for path, digest in products.items():  # each product absent or whole
            assert not (root / path).exists() or hash_file(root / path) == digest, path
        _check_ledger(root, set(), f"{point} {sig}")
        assert zygote.run(argv, root) == {"exit": 0}, (root / "cmd.log").read_text()
        assert all(hash_file(root / path) == digest for path, digest in products.items())

    failures = _kill_everywhere(zygote, source, argv, points, tmp_path, check)
    _report("checkout", points, started)
    assert not failures, "\n".join(failures)

