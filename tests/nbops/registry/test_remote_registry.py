"""The registry across machines, on a real S3 server (SeaweedFS).

* A fresh clone that has only the remote loads ``churn@champion`` (objects
  fetched on demand and re-hashed); an altered remote object is refused, named.
* Two machines registering at the same moment: no update lost, registry valid
  (on s3:// and on az://, against Azurite).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from registry_helpers import FEATURE_SCHEMA, MakeRun

from nbops.core._errors import RegistryError
from nbops.core._store import ContentStore
from nbops.registry import _api as api
from nbops.registry import _artifacts as artifacts
from nbops.registry import _operations as operations
from nbops.registry import _registry_file as registry_file
from nbops.remote._store import RemoteStore

pytestmark = [pytest.mark.integration]


def _machine(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    root.mkdir()
    (root / "pipeline.yaml").write_text("tasks: []\n")
    return root


@pytest.fixture
def remote_env(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh s3:// remote (az:// when parametrized) in this process's environment."""
    if getattr(request, "param", "s3") == "az":  # children only: PYTHONPATH has the extra
        azurite = request.getfixturevalue("azurite")
        url = f"az://{azurite.new_place()}/team"
        variables = azurite.env(NBOPS_REMOTE=url)
    else:
        seaweedfs = request.getfixturevalue("seaweedfs")
        url = f"s3://{seaweedfs.new_bucket()}/team"
        variables = seaweedfs.env(NBOPS_REMOTE=url)
    for key, value in variables.items():
        monkeypatch.setenv(key, value)
    return url


def _register(root: Path, make_run: MakeRun) -> dict[str, Any]:
    candidate = make_run()
    store = ContentStore(root / ".nbops" / "store")
    stored = store.put_file(candidate.model_file)
    train = store.put_file(candidate.train_data)
    record = {
        "run_id": candidate.run_id,
        "artifact": {"hash": stored.digest, "size": stored.size, "format": "skops",
                     "trusted_types": artifacts.inspect_types(candidate.model_file)},
        "metrics": candidate.metrics,
        "training_data": {"hash": train.digest, "size": train.size}, "test_data": None,
        "feature_schema": FEATURE_SCHEMA,  # the model's own inputs
    }
    number, _ = operations.register_version(root, "churn", record)
    operations.promote(root, "churn", number, reason="first model", actor=operations.Actor())
    return record


def test_a_fresh_clone_loads_the_champion_from_the_remote(
        project: Path, make_run: MakeRun, remote_env: str, tmp_path: Path) -> None:
    record = _register(project, make_run)
    digest = record["artifact"]["hash"]
    remote = RemoteStore(remote_env)
    local = ContentStore(project / ".nbops" / "store")
    for needed in (digest, record["training_data"]["hash"]):  # what `nbops push` uploads
        remote.put_object(local.path_for(needed), needed)

    clone = _machine(tmp_path, "clone")  # nothing local: no registry file, no store
    model = api.load_model("churn@champion", root=clone)
    assert hasattr(model, "predict_proba")
    # what `nbops monitor` reads: the champion's training data, fetched and verified too
    from nbops.monitoring._champion import Champion

    champion = Champion.from_record(clone, "churn", api.get_version("churn@champion", clone),
                                    model)
    assert len(champion.training) > 100
    assert registry_file.read_local(clone) == registry_file.read_local(project)
    assert ContentStore(clone / ".nbops" / "store").has(digest)

    remote.put_bytes(remote.object_key(digest), b"not the model")
    other = _machine(tmp_path, "other")
    with pytest.raises(RegistryError, match="altered") as caught:
        api.load_model("churn@champion", root=other)
    assert digest in str(caught.value)


def test_nbops_predict_scores_with_the_remote_champion_in_a_fresh_folder(
        project: Path, make_run: MakeRun, remote_env: str, tmp_path: Path) -> None:
    """The command a teammate runs: nothing local but the remote's address."""
    import pandas as pd

    record = _register(project, make_run)
    remote = RemoteStore(remote_env)
    local = ContentStore(project / ".nbops" / "store")
    for needed in (record["artifact"]["hash"], record["training_data"]["hash"]):
        remote.put_object(local.path_for(needed), needed)
    clone = _machine(tmp_path, "teammate")
    rows = pd.read_parquet(local.path_for(record["training_data"]["hash"])).head(25)
    rows.drop(columns=["churned"]).to_csv(clone / "customers.csv", index=False)
    done = subprocess.run([str(Path(sys.executable).with_name("nbops")), "predict",
                           "churn@champion", "customers.csv", "-o", "scores.csv", "--json"],
                          cwd=clone, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    scores = pd.read_csv(clone / "scores.csv")
    assert len(scores) == 25 and scores["score"].between(0, 1).all()
    assert set(scores["prediction"]) <= {0, 1}


_REGISTRAR = """
import sys
from pathlib import Path
from nbops.core import ContentStore
from nbops.registry import _operations as operations
root, machine, count = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
for n in range(count):
    model = ContentStore(root / ".nbops" / "store").put_bytes(f"m{machine} {n}".encode())
    record = {"run_id": f"m{machine}-{n}",  # the model file is there: promotion re-hashes it
              "artifact": {"hash": model.digest, "size": model.size,
                           "format": "skops", "trusted_types": []},
              "metrics": {"roc_auc": 0.5}, "test_data": None,
              "training_data": {"hash": "blake3:" + "ab" * 32, "size": 1},
              "feature_schema": {"features": [{"name": "x", "dtype": "float"}]}}
    version, _ = operations.register_version(root, "churn", record)
    operations.promote(root, "churn", version, reason=f"m{machine} {n}",
                       actor=operations.Actor())
"""


_READ_REGISTRY = """
import json, sys
from pathlib import Path
from nbops.registry import _registry_file as registry_file
print(json.dumps(registry_file.read(Path(sys.argv[1]))))
"""


@pytest.mark.parametrize("remote_env", ["s3", "az"], indirect=True)
def test_two_machines_registering_at_once_lose_nothing(remote_env: str, tmp_path: Path) -> None:
    import json
    import os

    def read(root: Path) -> dict[str, Any]:  # refreshed from the remote, then validated
        done = subprocess.run([sys.executable, "-c", _READ_REGISTRY, str(root)],
                              env=dict(os.environ), capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        data: dict[str, Any] = json.loads(done.stdout)
        return data

    machines = [_machine(tmp_path, f"m{i}") for i in (1, 2)]
    count = 4
    workers = [subprocess.Popen([sys.executable, "-c", _REGISTRAR, str(root), str(i + 1),
                                 str(count)], env=dict(os.environ), stderr=subprocess.PIPE,
                                text=True)
               for i, root in enumerate(machines)]
    errors = [w.communicate(timeout=240)[1] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], errors
    data = read(machines[0])
    model = data["models"]["churn"]
    assert sorted(v["run_id"] for v in model["versions"]) == sorted(
        f"m{i}-{n}" for i in (1, 2) for n in range(count))
    assert len(model["history"]) == 2 * count
    assert read(machines[1]) == data


def test_a_passing_model_whose_remote_registry_is_down_fails_the_build(
        project: Path, make_run: MakeRun, monkeypatch: pytest.MonkeyPatch) -> None:
    from registry_helpers import GATES

    from nbops.registry._config import parse_registry_config
    from nbops.registry._promotion import gate_and_promote

    for key, value in {"NBOPS_REMOTE": "s3://some-bucket/team", "AWS_ACCESS_KEY_ID": "k",
                       "AWS_SECRET_ACCESS_KEY": "s", "AWS_DEFAULT_REGION": "us-east-1",
                       "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}.items():  # nothing listens
        monkeypatch.setenv(key, value)
    outcome = gate_and_promote(project, make_run(), parse_registry_config({"model": "churn"}),
                               GATES)
    assert outcome.passed  # the gates passed, but the model is not registered: the build fails
    error = outcome.error()
    assert isinstance(error, RegistryError)
    assert "passed its gates but was not registered" in error.problem
    assert "remote s3://some-bucket/team is unreachable" in error.problem
    assert outcome.registry["registration_error"]["kind"] == "unreachable"
    decision = outcome.registry["decision"]
    assert decision.startswith("not registered") and "unreachable" in decision
    assert registry_file.read_local(project)["models"] == {}  # nothing half-written
