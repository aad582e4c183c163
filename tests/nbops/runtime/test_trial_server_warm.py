"""What a trial server prepares once for all its trials, and what it starts ahead.

Real processes: the warm-up runs in a fresh interpreter (what it imports shows in
its ``sys.modules``), and trial servers are real ``python -m nbops.runtime.trial_server``
processes.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from nbops.sweeps import _launchers as launchers

pytestmark = pytest.mark.integration

PIPELINE = """\
tasks:
  - source: step.py
    name: step
    product:
      nb: out/step.ipynb
    params:
      value: '{{value}}'
"""
STEP = ("# %% tags=['parameters']\nupstream = None\nproduct = None\nvalue = None\n"
        "# %%\nprint(value)\n")

PROBE = """
import json, sys
from nbops.runtime import trial_server as trial_server
from nbops.reports import _notebook_page as notebook_page, _templates_env as templates_env
modules = set(sys.modules)
trial_server.warm_up({"request": sys.argv[1]})
pages = templates_env.environment()
print(json.dumps({
    "new": sorted(set(sys.modules) - modules),
    "exporters": sorted(notebook_page._exporters),
    "compiled": sorted(name for name in pages.list_templates()
                       if any(key[1] == name for key in pages.cache)),
    "templates": sorted(pages.list_templates()),
}))
"""


def test_the_warm_up_imports_compiles_and_renders_what_every_trial_would(tmp_path: Path):
    from nbops.registry._measure_helper import WARM_IMPORTS

    (tmp_path / "pipeline.yaml").write_text(PIPELINE)
    (tmp_path / "env.yaml").write_text("value: 1\n")
    (tmp_path / "step.py").write_text(STEP)
    request = tmp_path / "trial-1.request.json"
    request.write_text(json.dumps({"root": str(tmp_path), "pipeline": "pipeline.yaml",
                                   "overrides": {"value": "2"}}))
    done = subprocess.run([sys.executable, "-c", PROBE, str(request)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, check=True)
    facts = json.loads(done.stdout.splitlines()[-1])
    # gating's libraries: a trial forked afterwards measures its model without a helper
    assert set(WARM_IMPORTS) <= set(facts["new"])
    # notebook pages (both kinds) and every report page template, compiled once
    assert facts["exporters"] == [False, True]
    assert facts["compiled"] == facts["templates"] and facts["templates"]
    assert "nbdime.diffing.notebooks" in facts["new"]
    # the trial's DAG was rendered (jupytext read its script); nothing was built
    assert "jupytext" in facts["new"]
    assert not (tmp_path / "out").exists() and not (tmp_path / "reports").exists()
    assert done.stderr == ""  # quiet: the sweep's terminal is the trial server's stderr


def test_trials_that_measure_no_model_get_no_measuring_libraries(tmp_path: Path):
    """A sweep of a pipeline without a registry: section: its trials never gate a model,
    so the warm-up leaves out what gating needs (3.5-4 s of CPU no trial would use)."""
    (tmp_path / "pipeline.yaml").write_text(PIPELINE)
    (tmp_path / "env.yaml").write_text("value: 1\n")
    (tmp_path / "step.py").write_text(STEP)
    request = tmp_path / "trial-1.request.json"
    request.write_text(json.dumps({"root": str(tmp_path), "pipeline": "pipeline.yaml",
                                   "overrides": {"value": "2"}, "later_trials": 3,
                                   "measures_model": False}))
    done = subprocess.run([sys.executable, "-c", PROBE, str(request)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, check=True)
    facts = json.loads(done.stdout.splitlines()[-1])
    assert not {"sklearn.metrics", "skops.io"} & set(facts["new"])
    # the rest of the warm-up as before: pages compiled, the DAG rendered
    assert facts["compiled"] == facts["templates"] and "jupytext" in facts["new"]
    assert done.stderr == ""


@pytest.mark.parametrize(("plan", "worth"), [
    ({"later_trials": 0}, False),  # the sweep's last trial: no trial would use a warm-up
    ({"later_trials": 1}, True),
    ({}, True),  # a request that does not say
    (None, True),  # no readable request: the trial says what is wrong; warming is harmless
])
def test_a_warm_up_is_only_worth_it_with_trials_after_this_one(
        tmp_path: Path, plan: dict | None, worth: bool) -> None:
    from nbops.runtime.trial_server import worth_warming_up

    request = tmp_path / "trial-1.request.json"
    if plan is not None:
        request.write_text(json.dumps({"root": str(tmp_path), **plan}))
    assert worth_warming_up({"request": str(request)}) is worth


def test_servers_started_ahead_are_taken_by_trials_and_unused_ones_killed():
    launchers.start_servers(2)
    try:
        spare = list(launchers._SPARE)
        assert len(spare) == 2 and all(s.proc.poll() is None for s in spare)
        taken = launchers._server()  # the sweep's first trial takes one: no new process
        assert taken is spare[0] and taken.ready and launchers._SPARE == [spare[1]]
    finally:
        launchers.close_servers()
        launchers._SERVERS.server = None
    assert taken.proc.wait(30) == 0  # a used server ends when its stdin closes
    # the unused one is not waited for (it may still be importing): killed
    assert spare[1].proc.wait(30) == -signal.SIGKILL
    assert launchers._ALL == [] and launchers._SPARE == []


def test_the_warm_up_leaves_the_environment_kernels_are_started_from_as_it_was():
    # scikit-learn sets KMP_* variables when imported: kernel servers must not inherit them
    probe = ("import json, os; from nbops.runtime import trial_server as trial_server;"
             " before = dict(os.environ);"
             " trial_server.warm_up({'request': '/nonexistent/request.json'});"
             " print(json.dumps([before == dict(os.environ), 'sklearn' in __import__('sys')"
             ".modules]))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=300, check=True)
    assert json.loads(done.stdout.splitlines()[-1]) == [True, True]
    # the DAG render could not read its request: said, not swallowed; the rest warmed up
    assert ("the trial server's warm-up failed (FileNotFoundError" in done.stderr
            and "only slower" in done.stderr)


def test_a_released_server_is_the_next_one_taken():
    # the sweep's first trial runs alone in its own thread; its warmed-up server then
    # goes to the first worker thread instead of idling
    import threading

    launchers.start_servers(1)
    try:
        mine = launchers._server()
        launchers.release_server()
        taken: list = []
        worker = threading.Thread(target=lambda: taken.append(launchers._server()))
        worker.start()
        worker.join()
        assert taken == [mine] and len(launchers._ALL) == 1
    finally:
        launchers.close_servers()
        launchers._SERVERS.server = None
