"""The nbops executor keeps every notebook in its own fresh kernel process.

Real ``ploomber build``s of the fixture notebooks in ``tests/notebooks/engine_project``
through :class:`nbops.engine.executor.NbopsExecutor`: nothing leaks from one
notebook to the next, a notebook that kills its own kernel fails only its task
with an error naming the cell, and no kernel process outlives the build.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).parents[1] / "notebooks" / "engine_project"


def marked_processes(name: str, value: str) -> list[int]:
    """Live processes (other than this one) whose environment has ``name=value``."""
    needle = f"{name}={value}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:  # the process ended while we looked, or is not ours
            continue
        if needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def _project(
    tmp_path: Path, tasks: dict[str, list[str]], executor: dict[str, object],
    hooks: bool = False,
) -> Path:
    for name in tasks:
        shutil.copy(FIXTURES / f"{name}.py", tmp_path / f"{name}.py")
    spec: dict[str, object] = {
        "executor": {"dotted_path": "nbops.engine.executor.NbopsExecutor", **executor},
    }
    if hooks:  # the nbops run ledger
        spec.update({f"on_{h}": f"nbops.hooks.on_{h}" for h in ("render", "finish", "failure")})
    spec["tasks"] = [
            {"source": f"{name}.py",
             "product": {"nb": f"out/{name}.ipynb",
                         **({"facts": f"out/{name}.json"} if products else {})}}
            for name, products in tasks.items()
    ]
    (tmp_path / "pipeline.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return tmp_path


def _user_environment() -> dict[str, str]:
    """This environment as a user's shell has it: without what importing Papermill set here."""
    return {k: v for k, v in os.environ.items() if k != "PYDEVD_DISABLE_FILE_VALIDATION"}


def _build(project: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``ploomber build --force`` in ``project``, exactly as a user would run it."""
    ploomber = Path(sys.executable).parent / "ploomber"
    return subprocess.run(
        [str(ploomber), "build", "--force"], cwd=project, capture_output=True, text=True,
        env={**_user_environment(), "PLOOMBER_STATS_ENABLED": "false", **env}, timeout=300,
    )


def _mark() -> dict[str, str]:
    """A unique environment: every process of the build inherits it."""
    value = uuid.uuid4().hex
    return {"NBOPS_TEST_MARK": value, "NBOPS_RUN_ID": f"run-{value[:8]}"}


@pytest.fixture(scope="module")
def isolation_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    env = _mark()
    project = _project(
        tmp_path_factory.mktemp("isolation"), {"leak": ["facts"], "probe": ["facts"]},
        {"workers": 1, "ahead": 2},
    )
    result = _build(project, env)
    assert result.returncode == 0, result.stderr
    return {
        "leak": json.loads((project / "out/leak.json").read_text()),
        "probe": json.loads((project / "out/probe.json").read_text()),
        "left_over": marked_processes("NBOPS_TEST_MARK", env["NBOPS_TEST_MARK"]),
        "run_id": env["NBOPS_RUN_ID"],
        "stderr": result.stderr,
    }


def test_a_variable_set_in_one_notebook_is_not_visible_in_the_next(isolation_run):
    assert isolation_run["probe"]["leaked_variable"] is False


def test_an_import_in_one_notebook_is_not_visible_in_the_next(isolation_run):
    assert isolation_run["probe"]["colorsys_bound"] is False
    assert isolation_run["probe"]["colorsys_imported"] is False


def test_each_notebook_gets_its_own_kernel_process(isolation_run):
    probe = isolation_run["probe"]
    assert probe["pid"] != probe["upstream_pid"] == isolation_run["leak"]["pid"]
    assert os.getpid() not in (probe["pid"], probe["upstream_pid"])


def test_kernels_started_ahead_see_the_builds_environment(isolation_run):
    assert isolation_run["leak"]["run_id"] == isolation_run["run_id"]
    assert isolation_run["probe"]["run_id"] == isolation_run["run_id"]


def test_kernels_print_no_debugger_warnings(isolation_run):
    # forked kernels skip the interpreter start-up where Papermill's CLI would have
    # silenced debugpy's frozen-modules check; every build printed it on stderr
    assert "frozen modules" not in isolation_run["stderr"]


def test_no_kernel_outlives_a_successful_build(isolation_run):
    assert isolation_run["left_over"] == []


def test_a_kernel_crash_fails_only_its_task_with_a_clear_error(tmp_path):
    env = _mark()
    project = _project(
        tmp_path, {"crash": [], "after_crash": [], "independent": ["facts"]}, {"workers": 2}
    )
    result = _build(project, env)
    assert result.returncode != 0
    message = result.stderr
    assert "DeadKernelError" in message
    assert "died while running cell" in message
    assert "exit code 1" in message
    # the independent task ran in its own kernel and finished
    assert json.loads((project / "out/independent.json").read_text())["pid"] > 0
    # the downstream task never ran; the partial notebook names the failing cell
    assert not (project / "out/after_crash.ipynb").exists()
    failed = json.loads((project / "out/crash.ipynb").read_text())
    outputs = [o for c in failed["cells"] for o in c.get("outputs", ())]
    errors = [o for o in outputs if o["output_type"] == "error"]
    assert [e["ename"] for e in errors] == ["DeadKernelError"]
    # and the failed build left no kernel behind either
    assert marked_processes("NBOPS_TEST_MARK", env["NBOPS_TEST_MARK"]) == []


def test_independent_tasks_run_side_by_side_and_the_ledger_records_both(tmp_path):
    env = _mark()
    del env["NBOPS_RUN_ID"]  # the ledger's on_render hook opens the run
    project = _project(
        tmp_path, {"metric_a": ["facts"], "metric_b": ["facts"]}, {"workers": 2}, hooks=True
    )
    result = _build(project, env)
    assert result.returncode == 0, result.stderr
    a, b = (json.loads((project / f"out/metric_{x}.json").read_text()) for x in "ab")
    assert a["started"] < b["ended"] and b["started"] < a["ended"]  # they overlapped
    (manifest_path,) = (project / "reports" / "runs").glob("*/manifest.json")
    manifest = json.loads(manifest_path.read_text())
    assert manifest["status"] == "succeeded"
    assert manifest["tasks"]["metric_a"]["metrics"] == {"value_a": 1.0}
    assert manifest["tasks"]["metric_b"]["metrics"] == {"value_b": 1.0}
    assert marked_processes("NBOPS_TEST_MARK", env["NBOPS_TEST_MARK"]) == []
