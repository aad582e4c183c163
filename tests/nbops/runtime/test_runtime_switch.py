"""``NBOPS_RUNTIME=plain`` turns the speed machinery off and changes nothing a run records.

The reference project is built twice from scratch, once as usual and once with the switch
off. Both runs must record the same tasks, the same product hashes (notebooks aside: they
carry execution times) and the same metrics; while each build runs, the processes the
machinery starts (the kernel fork server, the measuring helper) are watched for in
``/proc``: seen in the usual build, never in the plain one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from nbops.core import ConfigError
from nbops.runtime import RUNTIME_ENV, speedups_off
from project_files import copy_project_files, run_build_process

MACHINERY = ("nbops.runtime._forkserver", "nbops.registry._measure_helper")


def test_the_switch_reads_plain_fast_and_refuses_anything_else(monkeypatch) -> None:
    monkeypatch.delenv(RUNTIME_ENV, raising=False)
    assert speedups_off() is False
    monkeypatch.setenv(RUNTIME_ENV, " Plain ")
    assert speedups_off() is True
    monkeypatch.setenv(RUNTIME_ENV, "fast")
    assert speedups_off() is False
    monkeypatch.setenv(RUNTIME_ENV, "off")
    with pytest.raises(ConfigError, match="NBOPS_RUNTIME is 'off', which is neither") as err:
        speedups_off()
    assert "NBOPS_RUNTIME=plain" in str(err.value.fix)


def _machinery_under(root: Path) -> set[str]:
    """Which of :data:`MACHINERY` run right now with ``root`` as their working directory."""
    seen = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        names = {part.decode(errors="replace") for part in argv}
        if Path(cwd).resolve().is_relative_to(root.resolve()):
            seen |= names & set(MACHINERY)
    return seen


def _build_watched(root: Path, monkeypatch: pytest.MonkeyPatch, plain: bool) -> set[str]:
    """Build ``root`` (with the switch off if ``plain``); the machinery seen meanwhile."""
    seen: set[str] = set()
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.05):
            seen.update(_machinery_under(root))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with monkeypatch.context() as patch:
            if plain:  # build_environment() keeps no NBOPS_ variable: pass it in argv's env
                patch.setattr("project_files.build_environment",
                              _with_plain(__import__("project_files").build_environment))
            run_build_process(root)
    finally:
        done.set()
        watcher.join()
    return seen


def _with_plain(make_env: Any) -> Any:
    return lambda: {**make_env(), RUNTIME_ENV: "plain"}


def _record(root: Path) -> dict[str, Any]:
    """What the run must record the same either way."""
    runs = sorted(p for p in (root / "reports" / "runs").iterdir() if p.is_dir())
    assert len(runs) == 1
    manifest = json.loads((runs[0] / "manifest.json").read_text())
    return {
        "status": manifest["status"],
        "tasks": {name: task["status"] for name, task in manifest["tasks"].items()},
        "products": {f"{name}.{key}": product.get("hash")
                     for name, task in manifest["tasks"].items()
                     for key, product in task["products"].items()
                     if not str(product["path"]).endswith(".ipynb")},
        "metrics": manifest["metrics"],
    }


@pytest.mark.integration
def test_a_plain_build_records_what_the_fast_one_does(tmp_path, monkeypatch) -> None:
    records, machinery = {}, {}
    for mode in ("fast", "plain"):
        root = copy_project_files(tmp_path / mode)
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
        machinery[mode] = _build_watched(root, monkeypatch, plain=mode == "plain")
        records[mode] = _record(root)
    assert machinery["fast"] == set(MACHINERY), "the watcher sees the machinery when it runs"
    assert machinery["plain"] == set()
    assert records["fast"]["products"], "the reference project's products are compared"
    assert records["plain"] == records["fast"]


def test_a_plain_sweep_starts_no_trial_server(monkeypatch, tmp_path) -> None:
    from nbops.sweeps import _launchers as launchers

    monkeypatch.setenv(RUNTIME_ENV, "plain")
    launchers.start_servers(2, tmp_path / "pipeline.yaml")
    try:
        assert launchers._ALL == [] and launchers._SPARE == []
    finally:
        launchers.close_servers()


@pytest.mark.parametrize(("mode", "installed"), [("plain", "False"), ("fast", "True")])
def test_the_lazy_grammar_hook_follows_the_switch(mode, installed) -> None:
    code = ("import sys; from nbops.runtime import lazy_grammar; lazy_grammar.install(); "
            "print(any(isinstance(f, lazy_grammar.LazyGrammarFinder) for f in sys.meta_path))")
    env = {**os.environ, RUNTIME_ENV: mode}
    done = subprocess.run([sys.executable, "-c", code], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == installed, done.stderr
