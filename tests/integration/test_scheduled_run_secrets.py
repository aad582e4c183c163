"""A scheduled run (``nbops run open`` / ``task run`` / ``run close``, what the exported
Airflow DAG runs) puts nothing secret on the team remote.

A small notebook project whose first step takes a secret parameter from env.yaml, run
task by task through a file:// remote as a worker would; then every object in the
remote is searched for the secret, raw and as it appears inside JSON. A teammate's
clone pulls and verifies the run. A step that writes the secret into a data product
fails with one sentence, and that product does not reach the remote either.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from project_files import BIN, build_environment

pytestmark = pytest.mark.integration

SECRET = "tok-s3cr3t-value-123"
GIT = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]

PIPELINE = """\
tasks:
  - source: scripts/load.py
    product:
      nb: output/load.ipynb
      data: output/load.csv
    params:
      api_token: '{{api_token}}'
  - source: scripts/total.py
    product:
      nb: output/total.ipynb
      data: output/total.txt
"""
LOAD = """\
# %% tags=["parameters"]
upstream = None
product = None
api_token = None

# %%
print("calling the service with", api_token)
with open(product["data"], "w") as f:
    f.write("a\\n1\\n2\\n")
"""
TOTAL = """\
# %% tags=["parameters"]
upstream = ["load"]
product = None

# %%
rows = open(upstream["load"]["data"]).read().split()[1:]
open(product["data"], "w").write(str(sum(map(int, rows))))
"""


def _project(folder: Path, load: str) -> Path:
    (folder / "scripts").mkdir(parents=True)
    (folder / "pipeline.yaml").write_text(PIPELINE)
    (folder / "env.yaml").write_text(f"api_token: {SECRET}\n")
    (folder / "scripts" / "load.py").write_text(load)
    (folder / "scripts" / "total.py").write_text(TOTAL)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=folder, check=True)
    init = _nbops(folder, {}, "init")
    assert init.returncode == 0, init.stderr
    subprocess.run([*GIT, "add", "-A"], cwd=folder, check=True)
    subprocess.run([*GIT, "commit", "-qm", "project"], cwd=folder, check=True)
    return folder


def _nbops(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "nbops"), *args], cwd=root, capture_output=True,
                          text=True, env={**build_environment(), **env}, timeout=600)


def _scheduled_run(root: Path, env: dict[str, str]) -> dict[str, subprocess.CompletedProcess[str]]:
    opened = _nbops(root, env, "run", "open", "--json")
    assert opened.returncode == 0, opened.stderr
    run_id = json.loads(opened.stdout)["run_id"]
    done = {name: _nbops(root, env, "task", "run", name, "--run", run_id)
            for name in ("load", "total")}
    done["close"] = _nbops(root, env, "run", "close", "--run", run_id)
    return done


def _objects_holding_the_secret(remote: Path) -> list[str]:
    needles = [SECRET.encode(), json.dumps(SECRET)[1:-1].encode()]
    return [str(path.relative_to(remote)) for path in sorted(remote.rglob("*"))
            if path.is_file() and any(needle in path.read_bytes() for needle in needles)]


@pytest.fixture(scope="module")
def scheduled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    base = tmp_path_factory.mktemp("scheduled")
    remote = base / "remote"
    remote.mkdir()
    env = {"NBOPS_REMOTE": remote.as_uri()}
    root = _project(base / "project", LOAD)
    return {"root": root, "remote": remote, "env": env, "done": _scheduled_run(root, env)}


def test_the_run_succeeds_and_no_object_on_the_remote_holds_the_secret(scheduled) -> None:
    done = scheduled["done"]
    for name, process in done.items():
        assert process.returncode == 0, (name, process.stderr[-3000:])
    assert "succeeded" in done["close"].stdout
    remote: Path = scheduled["remote"]
    assert len(list((remote / "objects").rglob("*"))) > 5  # the notebooks and products went
    assert _objects_holding_the_secret(remote) == []


def test_a_teammate_pulls_and_verifies_the_run_with_the_secret_redacted(scheduled, tmp_path
                                                                       ) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(scheduled["root"]), str(clone)], check=True)
    pulled = _nbops(clone, scheduled["env"], "pull", "--all")
    assert pulled.returncode == 0, pulled.stderr
    verified = _nbops(clone, scheduled["env"], "verify")
    assert verified.returncode == 0 and ": OK (" in verified.stdout, verified.stdout
    (run_dir,) = [p for p in (clone / "reports" / "runs").iterdir() if p.is_dir()]
    notebook = (run_dir / "notebooks" / "load.ipynb").read_text()
    assert SECRET not in notebook and "redacted" in notebook


def test_a_product_holding_the_secret_fails_its_task_in_one_sentence(tmp_path) -> None:
    leaky = LOAD.replace('f.write("a\\n1\\n2\\n")', 'f.write("a\\n1\\n2\\n# " + api_token)')
    assert leaky != LOAD
    remote = tmp_path / "remote"
    remote.mkdir()
    env = {"NBOPS_REMOTE": remote.as_uri()}
    done = _scheduled_run(_project(tmp_path / "project", leaky), env)
    assert done["load"].returncode != 0
    sentence = ("the product output/load.csv holds the value of a secret parameter, and a "
                "scheduled run moves products through the team remote, which never holds "
                "secrets")
    assert sentence in done["load"].stderr + done["load"].stdout
    assert "Traceback" not in done["load"].stderr
    assert done["close"].returncode != 0 and "failed" in done["close"].stdout + \
        done["close"].stderr
    assert _objects_holding_the_secret(remote) == []
    shutil.rmtree(tmp_path / "project")
