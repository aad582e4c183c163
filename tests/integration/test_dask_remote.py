"""Dask without a shared folder: task inputs and products travel through the remote.

A LocalCluster runs in its own process from a scratch folder, its two workers
each with a working folder of their own; the project has a remote (a real
SeaweedFS bucket). The workers must build every task in their own folders,
get the upstream product from the remote by hash, and the build must get the
products back, verified, into the project. The second task takes a secret parameter:
its executed notebook holds it, so it comes back with the task's result, never through
the bucket.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SECRET = "pw-s3cr3t-for-the-db"

FIRST = '''# %% tags=["parameters"]
upstream = None
product = None

# %%
import json, os
from pathlib import Path
Path(product["data"]).write_text("made on a worker\\n")
Path(product["facts"]).write_text(json.dumps({"data": os.path.abspath(product["data"]),
                                              "cwd": os.getcwd()}))
'''

SECOND = '''# %% tags=["parameters"]
upstream = ["first"]
product = None
db_password = None

# %%
print("connecting with", db_password)
import json, os
from pathlib import Path
source = upstream["first"]["data"]
Path(product["facts"]).write_text(json.dumps({"read": Path(source).read_text(),
                                              "from": os.path.abspath(source)}))
'''

CLUSTER = """
import sys
from distributed import LocalCluster
cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                       dashboard_address=None, local_directory=sys.argv[1])
print(cluster.scheduler_address, flush=True)
sys.stdin.read()
cluster.close()
"""


def test_workers_without_the_project_folder_exchange_products_through_the_remote(
        tmp_path: Path, seaweedfs: Any) -> None:
    bucket = seaweedfs.new_bucket()
    remote = seaweedfs.env(NBOPS_REMOTE=f"s3://{bucket}/team")
    scratch = tmp_path / "workers"
    scratch.mkdir()
    cluster = subprocess.Popen([sys.executable, "-c", CLUSTER, str(scratch)], cwd=scratch,
                               env={**os.environ, **remote}, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        address = cluster.stdout.readline().strip()  # type: ignore[union-attr]
        assert address.startswith("tcp://127.0.0.1:"), address
        project = tmp_path / "project"
        project.mkdir()
        (project / "first.py").write_text(FIRST)
        (project / "second.py").write_text(SECOND)
        spec = {"executor": {"dotted_path": "nbops.engine.dask_executor.DaskExecutor",
                             "address": address},
                "tasks": [{"source": "first.py", "product": {"nb": "out/first.ipynb",
                                                              "data": "out/first.txt",
                                                              "facts": "out/first.json"}},
                          {"source": "second.py", "product": {"nb": "out/second.ipynb",
                                                               "facts": "out/second.json"},
                           "params": {"db_password": SECRET}}]}
        (project / "pipeline.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
        done = subprocess.run([str(Path(sys.executable).parent / "ploomber"), "build"],
                              cwd=project, capture_output=True, text=True, timeout=400,
                              env={**os.environ, **remote, "PLOOMBER_STATS_ENABLED": "false"})
        assert done.returncode == 0, done.stderr[-4000:]
    finally:
        cluster.stdin.close()  # type: ignore[union-attr]
        cluster.wait(timeout=60)
        cluster.stdout.close()  # type: ignore[union-attr]

    first = json.loads((project / "out/first.json").read_text())
    second = json.loads((project / "out/second.json").read_text())
    assert (project / "out/first.txt").read_text() == "made on a worker\n"
    assert (project / "out/first.ipynb").is_file() and (project / "out/second.ipynb").is_file()
    # both tasks ran inside a worker's own folder, never in the project
    for where in (first["data"], first["cwd"], second["from"]):
        assert Path(where).is_relative_to(scratch), where
        assert not Path(where).is_relative_to(project), where
    assert second["read"] == "made on a worker\n"  # the input came by hash from the remote

    from nbops.core._hashing import hash_file

    digest = hash_file(project / "out/first.txt").split(":", 1)[1]


    fs = seaweedfs.filesystem()
    assert fs.exists(f"{bucket}/team/objects/{digest[:2]}/{digest[2:]}")
    # the secret reached the project's own notebook, byte for byte, and no object in the bucket
    assert SECRET in (project / "out/second.ipynb").read_text()
    objects = fs.find(f"{bucket}/team")
    assert len(objects) >= 4
    assert [key for key in objects if SECRET.encode() in fs.cat(key)] == []
