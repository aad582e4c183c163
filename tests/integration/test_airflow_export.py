"""``nbops export airflow`` under a real Apache Airflow 3, with SeaweedFS as the team remote.

Airflow lives in its own environment (``.cache/airflow-venv``, installed by
``.ci/install-airflow`` from ``make test``), with a SQLite metadata database in a
temporary ``AIRFLOW_HOME``. The exported DAG's tasks run the project's nbops
(``.venv/bin/nbops``) in the project's checkout; the remote's credentials come from an
Airflow connection (``AIRFLOW_CONN_…``), never from the DAG file, and the workers'
environment holds no AWS variable at all.

One module fixture makes three DAG runs with ``airflow dags test``, after ``airflow db
migrate``, all in one Airflow process (``airflow_cli_session.py``: Airflow's own parser and
command functions, line by line; Airflow starts once instead of four times):

1. the pipeline as committed (``data.rows`` given at trigger time);
2. ``model.max_depth`` changed at trigger time: recorded, and the three tasks upstream of
   ``train`` are skipped (their inputs and code are unchanged), as locally;
3. ``data.target`` naming no column: the first notebook raises, the run fails with that
   cell on its page.

A teammate's fresh clone pulls the runs, verifies them and reproduces the first; a
local build of the same pipeline (the session's reference build) gives the shape a record
must have.
"""

from __future__ import annotations

import ast
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from project_files import ROOT, SMALL_ROWS, build_environment, copy_project_files

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BIN = Path(sys.executable).parent
AIRFLOW = ROOT / ".cache" / "airflow-venv" / "bin" / "airflow"
AIRFLOW_SESSION = Path(__file__).with_name("airflow_cli_session.py")
EXIT_MARK = "@@airflow-exit "
GIT = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
TASKS = ["ingest", "validate", "features", "train", "evaluate"]
ROWS = {"data.rows": SMALL_ROWS}


def _git(repo: Path, *args: str) -> None:
    subprocess.run([*GIT, *args], cwd=repo, check=True, capture_output=True)


def _committed_project(folder: Path) -> Path:
    root = copy_project_files(folder)
    shutil.copytree(ROOT / "src" / "churn", root / "src" / "churn",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "requirements.lock", root / "requirements.lock")
    from importlib.resources import files

    (root / ".gitignore").write_text(
        (files("nbops.scaffold") / "files" / "gitignore.txt").read_text() + "dags/\n")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "project")
    return root


def _worker_env(seaweedfs: Any, url: str, home: Path) -> dict[str, str]:
    """Airflow's environment: the team key and the remote's URL, its credentials only in an
    Airflow connection."""
    env = {k: v for k, v in build_environment().items() if not k.startswith("AWS_")}
    connection = {"conn_type": "aws", "login": seaweedfs.env()["AWS_ACCESS_KEY_ID"],
                  "password": seaweedfs.env()["AWS_SECRET_ACCESS_KEY"],
                  "extra": {"endpoint_url": seaweedfs.endpoint, "region_name": "us-east-1"}}
    return {**env, "NBOPS_REMOTE": url, "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW_CONN_NBOPS_REMOTE": json.dumps(connection),
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
            "AWS_CONFIG_FILE": "/nonexistent/config", "AWS_EC2_METADATA_DISABLED": "true"}


def _nbops(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "nbops"), *args], cwd=root, env=env, capture_output=True,
                          text=True, timeout=1200)


class AirflowSession:
    """One Airflow process running ``airflow`` commands one after the other
    (``airflow_cli_session.py``); each command's output and exit code as a
    ``CompletedProcess`` (stdout and stderr together, in both)."""

    def __init__(self, env: dict[str, str], home: Path) -> None:
        self.process = subprocess.Popen(
            [str(AIRFLOW.with_name("python")), str(AIRFLOW_SESSION)], cwd=home, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)  # the process ended

    def run(self, *argv: str, timeout: float) -> subprocess.CompletedProcess[str]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(argv) + "\n")
        self.process.stdin.flush()
        deadline, output = time.monotonic() + timeout, []
        while True:
            line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            if line is None:
                raise AssertionError("the Airflow process ended: " + "".join(output)[-5000:])
            if line.startswith(EXIT_MARK):
                text = "".join(output)
                return subprocess.CompletedProcess(["airflow", *argv],
                                                   int(line.removeprefix(EXIT_MARK)), text, text)
            output.append(line)

    def close(self) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join(timeout=60)
        self.process.stdout.close()


def _trigger(airflow: AirflowSession, home: Path, params: dict[str, Any]
             ) -> subprocess.CompletedProcess[str]:
    done = airflow.run("dags", "test", "nbops_project", "-c", json.dumps(params), timeout=1500)
    (home / f"dags-test-{len(list(home.glob('dags-test-*')))}.log").write_text(done.stdout)
    return done


@pytest.fixture(scope="module")
def airflow(tmp_path_factory: pytest.TempPathFactory, seaweedfs: Any) -> Iterator[dict[str, Any]]:
    """Three DAG runs of the exported DAG, and a teammate's clone that pulled them."""
    assert AIRFLOW.is_file(), "run `bash .ci/install-airflow` (make test does)"
    base = tmp_path_factory.mktemp("airflow")
    home = base / "airflow-home"
    (home / "dags").mkdir(parents=True)
    root = _committed_project(base / "project")
    url = f"s3://{seaweedfs.new_bucket()}/team"
    env = _worker_env(seaweedfs, url, home)
    team = {**build_environment(), **seaweedfs.env(NBOPS_REMOTE=url)}  # a teammate's shell
    exported = _nbops(root, env, "export", "airflow", "-o", str(home / "dags" / "nbops.py"),
                      "--connection", "nbops_remote")
    assert exported.returncode == 0, exported.stderr
    session = AirflowSession(env, home)
    try:
        migrated = session.run("db", "migrate", timeout=600)
        assert migrated.returncode == 0, migrated.stdout[-3000:]
        runs = []
        before = set(_remote_runs(root, team))
        for params in (ROWS, {**ROWS, "model.max_depth": 4}, {**ROWS, "data.target": "no_such"}):
            done = _trigger(session, home, params)
            after = _remote_runs(root, team)
            new = [run for run in after if run not in before]
            assert len(new) == 1, (new, done.stdout[-5000:])
            runs.append((new[0], done))
            before = set(after)
    finally:
        session.close()

    clone = base / "clone"
    subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True)
    pulled = _nbops(clone, team, "pull", "--all")
    assert pulled.returncode == 0, pulled.stderr
    yield {"root": root, "home": home, "clone": clone, "team": team, "runs": runs,
           "dag": (home / "dags" / "nbops.py").read_text(), "seaweedfs": seaweedfs}


def _remote_runs(root: Path, team: dict[str, str]) -> list[str]:
    listed = _nbops(root, team, "runs", "--remote", "--json")
    assert listed.returncode == 0, listed.stderr
    return sorted(row["run_id"] for row in json.loads(listed.stdout))


def _manifest(folder: Path, run_id: str) -> dict[str, Any]:
    return json.loads((folder / "reports" / "runs" / run_id / "manifest.json").read_text())


@pytest.fixture(scope="module")
def local_build(tmp_path_factory: pytest.TempPathFactory, copy_built: Any) -> dict[str, Any]:
    """The same pipeline, env and rows built locally by `ploomber build`: the shape a record
    has (the session's reference build, tests/conftest.py: copy_built)."""
    root = copy_built(tmp_path_factory.mktemp("local") / "project")
    (run,) = [p.name for p in (root / "reports" / "runs").iterdir() if p.is_dir()]
    return _manifest(root, run)


def test_the_dag_follows_the_pipeline_and_holds_no_secret(airflow: dict[str, Any]) -> None:
    source = airflow["dag"]
    tree = ast.parse(source)
    tasks = next(ast.literal_eval(node.value) for node in tree.body
                 if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "TASKS")
    assert {name: set(upstream) for name, (_, upstream) in tasks.items()} == {
        "ingest": set(), "validate": {"ingest"}, "features": {"validate"},
        "train": {"features"}, "evaluate": {"train", "features"}}  # Ploomber's order varies
    assert "model.max_depth" in source and "data.rows" in source  # declared parameters
    env = airflow["seaweedfs"].env()
    for secret in (env["AWS_SECRET_ACCESS_KEY"], env["AWS_ACCESS_KEY_ID"],
                   os.environ["NBOPS_REMOTE_KEY"]):
        assert secret not in source
    # not one env.yaml value either (a project's env may hold one): every param empty
    assert "Param(None" in source and "20000" not in source


def test_an_airflow_run_is_recorded_as_a_local_build_is(airflow: dict[str, Any],
                                                       local_build: dict[str, Any]) -> None:
    run_id, done = airflow["runs"][0]
    assert done.returncode == 0, done.stderr[-3000:]
    remote = _manifest(airflow["clone"], run_id)
    local = local_build
    assert remote["status"] == local["status"] == "succeeded"
    assert set(remote) == set(local)
    assert list(remote["tasks"]) == list(local["tasks"]) == TASKS
    for name in TASKS:
        ours, theirs = remote["tasks"][name], local["tasks"][name]
        assert ours["status"] == theirs["status"] == "executed"
        assert set(ours) == set(theirs)
        assert {k: (v["path"], set(v)) for k, v in ours["products"].items()} == {
            k: (v["path"], set(v)) for k, v in theirs["products"].items()}
        assert ours["produced_by"] == run_id and ours["notebook"]["path"] == theirs[
            "notebook"]["path"]
    assert remote["params"] == local["params"] and remote["env"] == local["env"]
    # the same data, split and model: the same figures and the same data products
    assert remote["metrics"] == pytest.approx(local["metrics"])
    for name, key in (("features", "train"), ("features", "test"), ("validate", "data")):
        assert remote["tasks"][name]["products"][key]["hash"] == \
            local["tasks"][name]["products"][key]["hash"]
    assert remote["gates"]["verdict"] == local["gates"]["verdict"] == "passed"
    assert [r["name"] for r in remote["gates"]["results"]] == [
        r["name"] for r in local["gates"]["results"]]
    assert remote["registry"]["model"] == "churn" and remote["registry"]["promoted"]
    assert set(remote["card"]) == set(local["card"])
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=airflow["root"], check=True,
                          capture_output=True, text=True).stdout.strip()
    assert remote["provenance"]["git"]["commit"] == head  # the worker's checkout, recorded
    assert remote["provenance"]["git"]["dirty"] is False
    assert (airflow["clone"] / "reports" / "runs" / run_id / "seal.json").is_file()
    assert (airflow["clone"] / "reports" / "runs" / run_id / "index.html").is_file()


def test_a_teammate_pulls_verifies_and_reproduces_the_airflow_run(
        airflow: dict[str, Any]) -> None:
    run_id, _ = airflow["runs"][0]
    clone, team = airflow["clone"], airflow["team"]
    verified = _nbops(clone, team, "verify", "--all", "--json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    reproduced = _nbops(clone, team, "reproduce", run_id, "--json")
    assert reproduced.returncode == 0, reproduced.stdout[-2000:] + reproduced.stderr[-3000:]
    assert json.loads(reproduced.stdout)["verdict"] == "reproduced"


def test_a_trigger_time_parameter_changes_the_run_and_is_recorded(
        airflow: dict[str, Any]) -> None:
    (first, _), (second, done) = airflow["runs"][:2]
    assert done.returncode == 0, done.stderr[-3000:]
    before, after = _manifest(airflow["clone"], first), _manifest(airflow["clone"], second)
    assert before["env"]["model"]["max_depth"] == 3 and after["env"]["model"]["max_depth"] == 4
    assert after["params"]["train"]["max_depth"] == 4
    assert "--env--model--max_depth" in after["command"]
    assert after["metrics"]["roc_auc"] != before["metrics"]["roc_auc"]
    # incremental, as locally: unchanged inputs and code are not executed again
    statuses = {name: after["tasks"][name]["status"] for name in TASKS}
    assert statuses == {"ingest": "skipped", "validate": "skipped", "features": "skipped",
                        "train": "executed", "evaluate": "executed"}
    for name in ("ingest", "validate", "features"):
        assert after["tasks"][name]["produced_by"] == first
        assert after["tasks"][name]["products"] == before["tasks"][name]["products"]
    assert after["status"] == "succeeded"


def test_a_raising_task_fails_the_run_with_its_failed_cell_on_the_page(
        airflow: dict[str, Any]) -> None:
    run_id, done = airflow["runs"][2]
    assert done.returncode != 0  # the DAG run failed too
    manifest = _manifest(airflow["clone"], run_id)
    assert manifest["status"] == "failed"
    failure = manifest["failure"]
    assert failure["task"] in TASKS and failure["cell_index"] is not None, failure
    failed = manifest["tasks"][failure["task"]]
    assert failed["status"] == "failed" and failed["error"]["evalue"]
    later = TASKS[TASKS.index(failure["task"]) + 1:]
    assert all(manifest["tasks"][name]["status"] == "not_run" for name in later)
    page = (airflow["clone"] / "reports" / "runs" / run_id / "index.html").read_text()
    assert failure["task"] in page and failed["error"]["ename"] in page
    task_page = airflow["clone"] / "reports" / "runs" / run_id / "html" / f"{failure['task']}.html"
    assert "no_such" in task_page.read_text()
