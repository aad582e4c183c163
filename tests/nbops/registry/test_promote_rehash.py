"""`nbops promote` re-hashes the model file it is asked to promote, as the docs say: a
corrupt or missing file is one sentence, and the champion stays where it was."""

import os
import shutil
import stat

import pytest
from registry_helpers import register_two_versions

from nbops.cli.main import main
from nbops.registry import _artifacts as artifacts
from nbops.registry import _registry_file as registry_file


@pytest.fixture(scope="module")
def template(tmp_path_factory, datasets):
    return register_two_versions(tmp_path_factory.mktemp("template"), datasets)


@pytest.fixture
def project(template, tmp_path, monkeypatch):
    root = tmp_path / "project"
    shutil.copytree(template, root)
    monkeypatch.chdir(root)
    return root


def _damage(path, how):
    if how == "missing":
        path.unlink()
        return
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    data = path.read_bytes()
    path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]) if how == "flipped" else data[:100])


@pytest.mark.parametrize("command", ["promote", "rollback"])
@pytest.mark.parametrize("how", ["flipped", "truncated", "missing"])
def test_promote_refuses_a_version_whose_model_file_is_damaged(project, capsys, how, command):
    before = registry_file.read(project)["models"]["churn"]
    record = before["versions"][0]
    _damage(artifacts.store_of(project).path_for(record["artifact"]["hash"]), how)
    code = 0
    try:
        main(["promote", "churn", "1", "--reason", "roll back to v1"] if command == "promote"
             else ["rollback", "churn", "--reason", "v2 misbehaves"])
    except SystemExit as exc:
        code = exc.code or 0
    out, err = capsys.readouterr()
    assert code == 1, out + err
    assert "churn:1" in err and ("missing" in err if how == "missing" else "modified" in err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    after = registry_file.read(project)["models"]["churn"]
    assert after["aliases"] == {"champion": 2} and after["history"] == before["history"]
