"""A registry edited by hand or by an attacker: every edit is noticed, no unsafe model loads."""

from __future__ import annotations

import json
import os

import pytest
import skops.io as sio
from registry_helpers import GATES
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

import nbops
from nbops.core._errors import RegistryError
from nbops.registry import _artifacts as artifacts
from nbops.registry import _registry_file as registry_file
from nbops.registry import _seal as seal
from nbops.registry._config import parse_registry_config
from nbops.registry._operations import Actor, promote
from nbops.registry._promotion import gate_and_promote

CONFIG = parse_registry_config({"model": "churn"})


@pytest.fixture
def registered(project, make_run):
    gate_and_promote(project, make_run(), CONFIG, GATES)
    return registry_file.registry_path(project)


def _edit(path, change, reseal: bool) -> None:
    """Edit models.json; ``reseal`` plays an attacker who also recomputes the seal."""
    data = json.loads(path.read_text())
    change(data)
    text = json.dumps(data, indent=2).encode()
    path.write_bytes(text)
    if reseal:
        seal.write(path, text, None)


def test_a_champion_metric_changed_by_hand_is_detected(project, registered, capsys):
    def change(data):
        data["models"]["churn"]["versions"][0]["metrics"]["roc_auc"] = 0.999

    _edit(registered, change, reseal=False)
    with pytest.raises(RegistryError, match="modified outside nbops.*models.seal.json"):
        nbops.load_model("churn@champion", root=project)
    with pytest.raises(RegistryError, match="cannot be trusted"):  # nor can it be written
        promote(project, "churn", 1, reason="x", actor=Actor())
    from nbops.cli.main import main

    with pytest.raises(SystemExit) as exit_info:
        main(["verify", "--all", "--project", str(project)])
    out = capsys.readouterr().out
    assert exit_info.value.code == 1 and "registry: models.json was modified outside nbops" in out


def test_widened_trusted_types_never_load_even_with_a_forged_seal(project, registered,
                                                                   tmp_path):
    """The attacker swaps in a model that calls os.system and rewrites hash, types and seal."""
    evil = tmp_path / "evil.skops"
    sio.dump(Pipeline([("f", FunctionTransformer(os.system))]), evil)
    digest = artifacts.store_of(project).put_file(evil).digest
    types = sorted(sio.get_untrusted_types(file=evil))
    assert any("system" in t for t in types)

    def change(data):
        data["models"]["churn"]["versions"][0]["artifact"].update(hash=digest,
                                                                  trusted_types=types)

    _edit(registered, change, reseal=True)
    with pytest.raises(RegistryError, match="types this project does not trust.*system"):
        nbops.load_model("churn@champion", root=project)
    # the project's own policy decides: env.yaml may widen it on purpose, the registry may not
    (project / "env.yaml").write_text("registry:\n  model: churn\n  trusted_types: [x.y]\n")
    with pytest.raises(RegistryError, match="does not trust \\(.*posix.system"):
        nbops.load_model("churn@champion", root=project)


def test_the_seal_survives_a_crash_between_its_two_writes(project, registered):
    before = registered.read_bytes()
    data = json.loads(before)
    data["models"]["churn"]["aliases"] = {}
    data["models"]["churn"]["history"] = []
    new = json.dumps(data).encode()
    seal.write(registered, new, before)  # crashed after widening the seal, before the replace
    assert registry_file.read(project)["models"]["churn"]["aliases"] == {"champion": 1}
    # a completed write accepts only the new content: going back to the old file is an edit
    promote(project, "churn", 1, alias="staging", reason="x", actor=Actor())
    registered.write_bytes(before)
    with pytest.raises(RegistryError, match="modified outside nbops"):
        registry_file.read(project)


def test_a_corrupt_registry_is_one_sentence(project, registered):
    registered.write_bytes(registered.read_bytes().replace(b'"churn"', b'"ch\xffurn"', 1))
    with pytest.raises(RegistryError, match=r"models.json is corrupt \(byte \d+ is not UTF-8\)"):
        nbops.load_model("churn@champion", root=project)


def test_stray_temp_files_are_removed_by_the_next_write(project, registered):
    stray = registered.parent / ".tmp-k2j4-models.json"
    stray.write_text('{"half": ')
    promote(project, "churn", 1, alias="staging", reason="x", actor=Actor())
    assert not stray.exists()
    assert registry_file.read(project)["models"]["churn"]["aliases"]["staging"] == 1


def test_credentials_on_a_command_line_never_reach_the_registry_history(project, registered,
                                                                         monkeypatch):
    monkeypatch.setattr("sys.argv", ["nbops", "promote", "churn", "1", "--reason",
                                     "moved after postgresql://ops:pa55word@db/prod was fixed"])
    promote(project, "churn", 1, alias="staging", actor=Actor.from_process(),
            reason="moved after postgresql://ops:pa55word@db/prod was fixed")
    text = registered.read_text()
    assert "pa55word" not in text
    assert "postgresql://ops:***redacted***@db/prod" in text
