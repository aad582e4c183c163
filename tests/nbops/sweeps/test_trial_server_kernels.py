"""The trial server starts each trial's kernel fork server ahead, during the trial before.

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
    from nbops.engine.executor import fork_preimports

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
#: left one (fsspec's event-loop thread, once any s3fs call ran there).
SERVE_WITH_PROBE = """
import json, os, sys, time
from pathlib import Path

from nbops.engine import _fork_provisioner as fork_provisioner
from nbops.sweeps import _trial_server as trial_server


def age_s(pid):
    ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return uptime - ticks / os.sysconf("SC_CLK_TCK")


def probe(request, out):
    started = fork_provisioner.take_handed_over()
    log = Path(request["log"])
    facts = {"pid": None if started is None else started.pid,
             "preimport": None if started is None else list(started.preimport),
             "age_s": None if started is None else age_s(started.pid)}
    if started is not None:
        server = fork_provisioner.ForkServer(started=started)
        server.wait_ready()
        facts["ready"] = server.ready
        server.close()
    (log.parent / (log.name.split(".")[0] + ".json")).write_text(json.dumps(facts))
    time.sleep(1.0)  # a trial that takes a while: the next server starts meanwhile
    os._exit(0)


trial_server._child = probe
read_fd, write_fd = os.pipe()
trial_server.serve(json.loads(Path(sys.argv[1]).read_text()), write_fd)
os.close(write_fd)
with os.fdopen(read_fd) as answers:
    sys.stdout.write(answers.read())
"""


def _serve_with_probe(tmp_path: Path, lines: list[str]) -> list[dict]:
    """Run :func:`trial_server.serve` (see :data:`SERVE_WITH_PROBE`); what each trial saw."""
    requests = tmp_path / "lines.json"
    requests.write_text(json.dumps(lines))
    done = subprocess.run([sys.executable, "-c", SERVE_WITH_PROBE, str(requests)],
                          capture_output=True, text=True, timeout=300, check=True)
    assert [json.loads(a) for a in done.stdout.splitlines()] == [{"exit": 0}] * len(lines)
    return [json.loads((tmp_path / f"trial-{n}.json").read_text())
            for n in range(1, len(lines) + 1)]


def test_each_trial_adopts_a_kernel_server_started_during_the_trial_before(
        tmp_path):
    facts = _serve_with_probe(tmp_path, _requests(tmp_path, PIPELINE, 3))
    pids = [f["pid"] for f in facts]
    assert None not in pids and len(set(pids)) == 3  # one server per trial, never shared
    assert all(f["preimport"] == ["colorsys"] and f["ready"] for f in facts)
    # trials 2 and 3 got a server that had been importing since the trial before began
    assert facts[1]["age_s"] > 0.8 and facts[2]["age_s"] > 0.8
    assert (tmp_path / "kernels.log").exists()  # its output has a place to go
    assert not any(_alive(pid) for pid in pids)  # each ended with its trial, and was reaped


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
