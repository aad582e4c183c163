import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nbops.core import ContentStore, hash_bytes
from nbops.core import _secrets as secrets
from nbops.core._errors import RegistryError
from nbops.registry import _operations as operations
from nbops.registry import _registry_file as registry_file
from nbops.registry._operations import Actor

HASH = "blake3:" + "ab" * 32


def _model_bytes(n: int) -> bytes:
    return f"model {n}".encode()  # stands for a model file: promotion re-hashes it


def _record(n: int) -> dict:
    return {
        "run_id": f"run-{n}",
        "artifact": {"hash": hash_bytes(_model_bytes(n)), "size": len(_model_bytes(n)),
                     "format": "skops", "trusted_types": []},
        "metrics": {"roc_auc": 0.7 + n / 100},
        "training_data": {"hash": HASH, "size": 1},
        "test_data": None,
        "feature_schema": {"features": [{"name": "x", "dtype": "float"}]},
    }


def _seed(root: Path, versions: int) -> None:
    store = ContentStore(root / ".nbops" / "store")
    for n in range(1, versions + 1):
        store.put_bytes(_model_bytes(n))
        operations.register_version(root, "churn", _record(n))


def test_empty_project_has_empty_registry(project):
    assert registry_file.read(project) == {"schema_version": 1, "models": {}}
    assert not registry_file.registry_path(project).exists()


def test_register_promote_rollback_and_history(project):
    _seed(project, 3)
    assert operations.register_version(project, "churn", _record(2)) == (2, False)
    actor = Actor(run_id="r", command=("nbops", "promote"))
    for version in (1, 2, 3):
        operations.promote(project, "churn", version, reason=f"v{version}", actor=actor)
    assert operations.rollback(project, "churn", reason="bad", actor=actor) == (3, 2)
    assert operations.rollback(project, "churn", reason="worse", actor=actor) == (2, 1)
    with pytest.raises(RegistryError, match="no earlier version"):
        operations.rollback(project, "churn", reason="again", actor=actor)

    data = json.loads(registry_file.registry_path(project).read_text())
    assert data["schema_version"] == 1
    model = data["models"]["churn"]
    assert model["aliases"] == {"champion": 1}
    moves = [(m["from"], m["to"], m["action"]) for m in model["history"]]
    assert moves == [(None, 1, "promote"), (1, 2, "promote"), (2, 3, "promote"),
                     (3, 2, "rollback"), (2, 1, "rollback")]
    assert model["history"][0]["by"]["command"] == ["nbops", "promote"]
    assert model["history"][3]["reason"] == "bad"
    assert [v["version"] for v in model["versions"]] == [1, 2, 3]


def test_promote_errors(project):
    _seed(project, 1)
    actor = Actor()
    with pytest.raises(RegistryError, match="no version 7"):
        operations.promote(project, "churn", 7, reason="x", actor=actor)
    with pytest.raises(RegistryError, match="no model named 'nope'.*known: churn"):
        operations.promote(project, "nope", 1, reason="x", actor=actor)
    with pytest.raises(RegistryError, match="needs a reason"):
        operations.promote(project, "churn", 1, reason="  ", actor=actor)
    operations.promote(project, "churn", 1, reason="x", actor=actor)
    with pytest.raises(RegistryError, match="already points to version 1"):
        operations.promote(project, "churn", 1, reason="x", actor=actor)
    with pytest.raises(operations.AliasMoved, match="moved to version 1"):
        operations.promote(project, "churn", 1, "other", reason="x", actor=actor, expect=None)
        operations.promote(project, "churn", 1, reason="x", actor=actor, expect=None)


def test_failed_transaction_writes_nothing(project):
    _seed(project, 1)
    before = registry_file.registry_path(project).read_bytes()
    with pytest.raises(RuntimeError):
        with registry_file.transaction(project) as data:
            data["models"]["churn"]["aliases"]["champion"] = 1
            raise RuntimeError("crash in the middle")
    assert registry_file.registry_path(project).read_bytes() == before


def test_invalid_change_is_refused(project):
    _seed(project, 1)
    before = registry_file.registry_path(project).read_bytes()
    with pytest.raises(RegistryError, match="points to version 5, which does not exist"):
        with registry_file.transaction(project) as data:
            data["models"]["churn"]["aliases"]["champion"] = 5
    assert registry_file.registry_path(project).read_bytes() == before


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d.update(schema_version=2), "schema_version 2"),
        (lambda d: d["models"]["churn"]["versions"][0].pop("artifact"), "missing required key"),
        (lambda d: d["models"]["churn"]["aliases"].update(champion=9), "does not exist"),
        (lambda d: d["models"]["churn"]["history"].pop(), "disagree with their history"),
    ],
)
def test_hand_edits_are_detected_on_read(project, edit, message):
    _seed(project, 1)
    operations.promote(project, "churn", 1, reason="x", actor=Actor())
    path = registry_file.registry_path(project)
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))
    with pytest.raises(RegistryError, match=message):
        registry_file.read(project)


def test_truncated_file_is_detected(project):
    _seed(project, 1)
    path = registry_file.registry_path(project)
    path.write_text(path.read_text()[:40])
    with pytest.raises(RegistryError, match="not valid JSON.*Fix: restore it from git"):
        registry_file.read(project)


_PROMOTER = """
import sys
from pathlib import Path
from nbops.registry import _operations as operations
root, worker, rounds = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
actor = operations.Actor(command=("worker", str(worker)))
(root / f"ready{worker}").touch()
while not (root / "go").exists():  # start both at the same instant
    pass
moved = 0
for i in range(rounds):
    try:
        operations.promote(root, "churn", 1 + (i + worker) % 3, reason=f"w{worker} {i}",
                           actor=actor)
        moved += 1
    except operations.RegistryError as exc:
        if "already points" not in str(exc):
            raise
print(moved)
"""


def test_two_processes_promoting_at_once_never_corrupt_it(project):
    _seed(project, 3)
    rounds = 30
    workers = [
        subprocess.Popen([sys.executable, "-c", _PROMOTER, str(project), str(w), str(rounds)],
                         stdout=subprocess.PIPE, text=True)
        for w in (0, 1)
    ]
    deadline = time.monotonic() + 120
    while not all((project / f"ready{w}").exists() for w in (0, 1)):
        assert time.monotonic() < deadline, "workers did not start"
        time.sleep(0.05)
    (project / "go").touch()
    outputs = [w.communicate(timeout=300)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0]
    moved = sum(int(out) for out in outputs)
    data = registry_file.read(project)  # validates schema, aliases and the history chain
    history = data["models"]["churn"]["history"]
    assert len(history) == moved > rounds  # every successful move recorded, none lost
    assert {m["by"]["command"][1] for m in history} == {"0", "1"}
    assert data["models"]["churn"]["aliases"]["champion"] == history[-1]["to"]


_WRITER = """
import sys
from pathlib import Path
from nbops.registry import _operations as operations
root = Path(sys.argv[1])
actor = operations.Actor()
n = 0
while True:
    n += 1
    operations.promote(root, "churn", 1 + n % 2, reason=f"round {n}", actor=actor)
"""


def test_kill_9_while_writing_leaves_a_valid_registry(project):
    _seed(project, 2)
    operations.promote(project, "churn", 1, reason="start", actor=Actor())
    for delay in (0.3, 0.45, 0.6):
        writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(project)])
        time.sleep(delay)
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        data = registry_file.read(project)
        assert data["models"]["churn"]["aliases"]["champion"] in (1, 2)
    # the lock died with its holder: a new change goes through at once
    operations.promote(project, "churn", 3 - data["models"]["churn"]["aliases"]["champion"],
                       reason="after crash", actor=Actor())


def test_secret_options_never_reach_the_history():
    argv = ["ploomber", "build", "--env--db--password", "hunter2", "--api-key=abc",
            "--env--model--max_iter", "5"]
    assert secrets.redact_argv(argv) == [
        "ploomber", "build", "--env--db--password", "***redacted***", "--api-key=***redacted***",
        "--env--model--max_iter", "5"]
