"""Each trial adopts a kernel fork server with the preload done: the first trial's started
with it, the later ones' forked from a zygote the trial server keeps.

Real processes: :func:`serve` forks real trials (their body replaced by a probe that
records what it was handed) and starts real kernel fork servers; nothing of them is
left once the server ends.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():  # Ploomber's own import-time deprecation warnings
    warnings.simplefilter("ignore", DeprecationWarning)
    from nbops.engine.executor import NbopsExecutor
    from nbops.runtime import fork_preimports

pytestmark = pytest.mark.integration

PIPELINE = """\
executor:
  dotted_path: nbops.engine.executor.NbopsExecutor
  preload: [colorsys]
tasks: []
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"


def _requests(tmp_path: Path, pipeline: str, trials: int) -> list[str]:
    (tmp_path / "pipeline.yaml").write_text(pipeline)
    lines = []
    for number in range(1, trials + 1):
        request = tmp_path / f"trial-{number}.request.json"
        request.write_text(json.dumps({"root": str(tmp_path), "pipeline": "pipeline.yaml"}))
        lines.append(json.dumps({"request": str(request), "cwd": str(tmp_path),
                                 "log": str(tmp_path / f"trial-{number}.log"),
                                 "env": dict(os.environ)}) + "\n")
    return lines


#: Runs :func:`trial_server.serve` in a fresh interpreter with each trial's body replaced by
#: a probe that records what it was handed. Not in the test's own process: serve refuses
#: to fork from a process with threads, and an earlier test on the same worker may have
#: left one (fsspec's event-loop thread, once any s3fs call ran there). The warm-up the
#: server does during the first trial is left out: it is about what trials import, not
#: about their kernel servers, and is asserted in test_trial_server_warm.py and end to
#: end by the sweep tests (a later trial measures its model in-process).
SERVE_WITH_PROBE = """
import json, os, sys, time
from pathlib import Path

from nbops.runtime import _fork_provisioner as fork_provisioner
from nbops.runtime import trial_server as trial_server


def age_s(pid):
    ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return uptime - ticks / os.sysconf("SC_CLK_TCK")


def probe(request, out):
    started = fork_provisioner.take_handed_over()
    log = Path(request["log"])
    parent = None if started is None else int(
        Path(f"/proc/{started.pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    facts = {"pid": None if started is None else started.pid,
             "preimport": None if started is None else list(started.preimport),
             "trial_server": os.getppid(), "parent": parent,
             "parent_age_s": None if parent is None else age_s(parent)}
    if started is not None:
        server = fork_provisioner.ForkServer(started=started)
        server.wait_ready()
        facts["ready"] = server.ready
        server.close()
    (log.parent / (log.name.split(".")[0] + ".json")).write_text(json.dumps(facts))
    time.sleep(1.0)  # a trial that takes a while: the zygote imports meanwhile
    os._exit(0)


trial_server._child = probe
trial_server.warm_up = lambda request: None
read_fd, write_fd = os.pipe()
# as `python -m nbops.runtime.trial_server --pipeline FILE` does, when a file is given
zygote = trial_server.zygote_for(Path(sys.argv[2])) if len(sys.argv) > 2 else None
trial_server.serve(json.loads(Path(sys.argv[1]).read_text()), write_fd, zygote)
os.close(write_fd)
with os.fdopen(read_fd) as answers:
    sys.stdout.write(answers.read())
"""


def _serve_with_probe(tmp_path: Path, lines: list[str],
                      zygote_for: Path | None = None) -> list[dict]:
    """Run :func:`trial_server.serve` (see :data:`SERVE_WITH_PROBE`); what each trial saw."""
    requests = tmp_path / "lines.json"
    requests.write_text(json.dumps(lines))
    extra = [] if zygote_for is None else [str(zygote_for)]
    done = subprocess.run([sys.executable, "-c", SERVE_WITH_PROBE, str(requests), *extra],
                          capture_output=True, text=True, timeout=300, check=True)
    assert [json.loads(a) for a in done.stdout.splitlines()] == [{"exit": 0}] * len(lines)
    return [json.loads((tmp_path / f"trial-{n}.json").read_text())
            for n in range(1, len(lines) + 1)]


def test_later_trials_adopt_kernel_servers_forked_from_one_zygote(tmp_path):
    facts = _serve_with_probe(tmp_path, _requests(tmp_path, PIPELINE, 3))
    pids = [f["pid"] for f in facts]
    assert None not in pids and len(set(pids)) == 3  # one server per trial, never shared
    assert all(f["preimport"] == ["colorsys"] and f["ready"] for f in facts)
    first, second, third = facts
    assert first["parent"] == first["trial_server"]  # started afresh, with the first trial
    # the later ones were forked by one zygote, itself started during the first trial
    zygote = second["parent"]
    assert third["parent"] == zygote and zygote != second["trial_server"]
    assert second["parent_age_s"] > 0.8 and third["parent_age_s"] > 1.8
    assert (tmp_path / "kernels.log").exists()  # their output has a place to go
    # each server ended with its trial and was reaped; the zygote ended with the server
    assert not any(_alive(pid) for pid in [*pids, zygote])


def test_a_server_told_its_pipeline_forks_every_trials_server_from_a_zygote_started_first(
        tmp_path):
    lines = _requests(tmp_path, PIPELINE, 3)
    facts = _serve_with_probe(tmp_path, lines, zygote_for=tmp_path / "pipeline.yaml")
    pids = [f["pid"] for f in facts]
    assert None not in pids and len(set(pids)) == 3
    assert all(f["preimport"] == ["colorsys"] and f["ready"] for f in facts)
    # the first trial's server too: one zygote, started before any request
    zygote = facts[0]["parent"]
    assert all(f["parent"] == zygote != f["trial_server"] for f in facts)
    assert facts[2]["parent_age_s"] > 1.8  # it served the two trials before
    assert not any(_alive(pid) for pid in [*pids, zygote])


def test_the_zygote_started_first_is_replaced_when_the_preload_differs(tmp_path):
    lines = _requests(tmp_path, PIPELINE, 2)
    other = tmp_path / "other.yaml"
    other.write_text(PIPELINE.replace("[colorsys]", "[json]"))
    facts = _serve_with_probe(tmp_path, lines, zygote_for=other)
    # the trials' pipeline preloads colorsys: never served by a zygote that imported json
    assert all(f["preimport"] == ["colorsys"] and f["ready"] for f in facts)
    assert facts[0]["parent"] == facts[0]["trial_server"]  # started afresh instead
    assert not any(_alive(f["pid"]) for f in facts)


def test_when_the_zygote_cannot_fork_each_trial_starts_its_server_afresh(
        tmp_path, monkeypatch):
    # a preload module that starts a thread: no process that imported it may fork
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "nbops_starts_a_thread.py").write_text(
        "import threading, time\n"
        "threading.Thread(target=time.sleep, args=(600,), daemon=True).start()\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        p for p in (str(lib), os.environ.get("PYTHONPATH")) if p))
    pipeline = PIPELINE.replace("[colorsys]", "[nbops_starts_a_thread]")
    facts = _serve_with_probe(tmp_path, _requests(tmp_path, pipeline, 3))
    # every trial still got a server of its own, started afresh (its kernels then start
    # the ordinary way, and the trial's log says why)
    assert all(f["pid"] is not None and f["parent"] == f["trial_server"] for f in facts)
    assert len({f["pid"] for f in facts}) == 3
    assert not any(f["ready"] for f in facts)


def test_a_pipeline_that_forks_no_kernels_gets_no_server(tmp_path):
    other = "executor: serial\ntasks: []\n"
    facts = _serve_with_probe(tmp_path, _requests(tmp_path, other, 2))
    assert [f["pid"] for f in facts] == [None, None]


@pytest.mark.parametrize("executor, expected", [
    ({"dotted_path": "nbops.engine.executor.NbopsExecutor", "preload": ["pandas"]},
     ("pandas",)),
    ({"dotted_path": "nbops.engine.executor.NbopsExecutor"}, ()),
    ({"dotted_path": "nbops.engine.executor.NbopsExecutor", "preload": "pandas"},
     ("pandas",)),
    ({"dotted_path": "nbops.engine.executor.NbopsExecutor", "fork": False}, None),
    ({"dotted_path": "nbops.engine.executor.NbopsExecutor", "preload": "{{x}}"}, ("{{x}}",)),
    ({"dotted_path": "nbops.engine.executor.NbopsExecutor", "preload": [1]}, None),
    ({"dotted_path": "nbops.engine.dask_executor.DaskExecutor"}, None),
    ("parallel", None),
])
def test_which_pipelines_fork_kernels_and_what_they_preimport(executor, expected):
    assert fork_preimports({"executor": executor, "tasks": []}) == expected


def test_the_preload_list_is_read_without_ploomber_for_the_executor_that_forks():
    # read by the trial server before it imports anything heavy: the class name is a string
    from nbops.runtime._preimports import EXECUTOR_CLASS

    assert EXECUTOR_CLASS == NbopsExecutor.__name__
    probe = ("import sys; from nbops.runtime import fork_preimports; "
             "print(fork_preimports({'executor': {'dotted_path': "
             "'nbops.engine.executor.NbopsExecutor', 'preload': ['pandas']}}), "
             "'ploomber' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["('pandas',)", "False"]
