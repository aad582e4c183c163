"""Runs on the team remote carry the team key's signature: push signs, pull verifies, and a
run nobody with the key vouched for is pulled as unverified (a file:// remote, synthetic
runs; tests/integration/test_signed_runs_on_s3.py does the same with real builds on S3)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_push_pull_local import _manifest, _project

from nbops.core import IntegrityError, Project, hash_bytes, new_run_id
from nbops.remote import key_id
from nbops.runs import origin_label, read_pulled, require_verified
from nbops.runs._persist import save_manifest
from nbops.sync import pull_runs, push_runs

KEY = "signed-runs-test-key-" + "s" * 32


@pytest.fixture
def pushed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Project, Project, str,
                                                                      list[str]]:
    """Two runs pushed, signed, from the lead's machine; a teammate's with nothing yet."""
    monkeypatch.setenv("NBOPS_REMOTE_KEY", KEY)
    lead = _project(tmp_path / "lead")
    runs = []
    for _ in range(2):
        manifest = _manifest(lead, new_run_id())
        save_manifest(lead, manifest)
        (lead.run_dir(manifest["run_id"]) / "index.html").write_text("<h1>run</h1>")
        runs.append(manifest["run_id"])
    (tmp_path / "bucket").mkdir()
    url = f"file://{tmp_path / 'bucket'}"
    assert sorted(push_runs(lead, all_runs=True, url=url).pushed) == sorted(runs)
    return lead, _project(tmp_path / "mate"), url, sorted(runs)


def _bucket(url: str) -> Path:
    return Path(url.removeprefix("file://"))


def _index(url: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((_bucket(url) / "runs" / "index.json").read_text())
    return doc


def _put_run(url: str, run_id: str, manifest: dict[str, Any], contents: bytes,
             entry: dict[str, Any]) -> None:
    """Write a run's manifest, a seal that matches it, its contents and an index entry
    that agrees, straight into the bucket (what anyone with bucket credentials can do)."""
    folder = _bucket(url) / "runs" / run_id
    folder.mkdir(exist_ok=True)
    data = json.dumps(manifest).encode()
    (folder / "manifest.json").write_bytes(data)
    (folder / "seal.json").write_text(json.dumps({"schema_version": 1,
                                                  "manifest_hash": hash_bytes(data)}))
    (folder / "contents.json").write_bytes(contents)
    index = _index(url)
    index["runs"][run_id] = {**entry, "run_id": run_id, "manifest_hash": hash_bytes(data),
                             "contents_hash": hash_bytes(contents)}
    (_bucket(url) / "runs" / "index.json").write_text(json.dumps(index))


def _forge(url: str, source: str, env: dict[str, Any]) -> str:
    """A new run made from ``source``'s files with other parameters, never signed."""
    forged = new_run_id()
    manifest = json.loads((_bucket(url) / "runs" / source / "manifest.json").read_text())
    contents = json.loads((_bucket(url) / "runs" / source / "contents.json").read_text())
    _put_run(url, forged, {**manifest, "run_id": forged, "env": env},
             json.dumps({**contents, "run_id": forged}).encode(), _index(url)["runs"][source])
    return forged


def test_push_stores_the_key_id_and_a_mac_beside_each_run_and_never_the_key(pushed) -> None:
    _, _, url, runs = pushed
    for run_id in runs:
        data = (_bucket(url) / "runs" / run_id / "signature.json").read_bytes()
        assert KEY.encode() not in data
        assert json.loads(data)["key_id"] == key_id(KEY.encode())
    assert not any(KEY.encode() in p.read_bytes() for p in _bucket(url).rglob("*")
                   if p.is_file())


def test_a_signed_run_is_pulled_verified_and_its_record_is_never_pushed(pushed) -> None:
    _, mate, url, runs = pushed
    result = pull_runs(mate, all_runs=True, url=url)
    assert result.pulled == runs and result.unverified == {}
    record = read_pulled(mate.run_dir(runs[0]))
    assert record is not None and record["signature"] == "verified"
    assert record["key_id"] == key_id(KEY.encode())
    assert origin_label(mate.run_dir(runs[0])) == (
        f"pulled, signature verified (from {result.remote})")
    require_verified(mate, runs[0], "run the code it records")  # no refusal
    sealed = mate.manifest_path(runs[0]).read_bytes()
    assert hash_bytes(sealed) == _index(url)["runs"][runs[0]]["manifest_hash"]  # untouched
    contents = json.loads((_bucket(url) / "runs" / runs[0] / "contents.json").read_text())
    assert "pulled.json" not in contents["files"]


def test_a_forged_run_is_pulled_unverified_and_refused_by_code_and_parameter_commands(
        pushed) -> None:
    _, mate, url, runs = pushed
    forged = _forge(url, runs[0], {"seed": 666})
    result = pull_runs(mate, all_runs=True, url=url)
    assert sorted(result.pulled) == sorted([*runs, forged]) and not result.refused
    assert list(result.unverified) == [forged]
    assert "carries no team-key signature" in result.unverified[forged]
    assert origin_label(mate.run_dir(forged)) == (
        f"pulled, unverified: {result.unverified[forged]} (from {result.remote})")
    with pytest.raises(IntegrityError) as refused:
        require_verified(mate, forged, "write its parameters into env.yaml")
    assert refused.value.problem.startswith(f"Run {forged} was pulled from the team remote "
                                            "unverified")
    assert f"`nbops push {forged}`" in (refused.value.fix or "")
    assert "--trust-unsigned" in (refused.value.fix or "")
    require_verified(mate, forged, "run the code it records", trust_unsigned=True)


def test_a_signed_run_whose_manifest_was_altered_is_refused_and_the_others_pulled(
        pushed) -> None:
    _, mate, url, (first, second) = pushed
    manifest = json.loads((_bucket(url) / "runs" / first / "manifest.json").read_text())
    contents = (_bucket(url) / "runs" / first / "contents.json").read_bytes()
    _put_run(url, first, {**manifest, "env": {"seed": 666}}, contents,
             _index(url)["runs"][first])  # seal recomputed, index agrees: only the MAC tells
    result = pull_runs(mate, all_runs=True, url=url)
    assert result.pulled == [second] and list(result.refused) == [first]
    assert str(result.refused[first]) == (
        f"Run {first} on remote {result.remote} was not pulled: its manifest, seal or contents "
        "list no longer match the team key's signature, so someone without the key changed it "
        f"after it was pushed. Fix: ask who can write the bucket what happened, then run "
        f"`nbops push {first} --repair` on a machine that has the run and the team key, and "
        "pull again")
    assert not mate.run_dir(first).exists()


def test_the_fix_for_an_altered_signed_run_works(pushed) -> None:
    lead, mate, url, (first, _) = pushed
    manifest = json.loads((_bucket(url) / "runs" / first / "manifest.json").read_text())
    _put_run(url, first, {**manifest, "env": {"seed": 666}},
             (_bucket(url) / "runs" / first / "contents.json").read_bytes(),
             _index(url)["runs"][first])
    assert list(pull_runs(mate, [first], url=url).refused) == [first]
    assert push_runs(lead, [first], url=url, repair=True).pushed == [first]
    again = pull_runs(mate, [first], url=url)
    assert again.pulled == [first] and again.unverified == {}


def test_a_run_signed_with_another_key_is_refused(pushed, monkeypatch) -> None:
    _, mate, url, (first, _) = pushed
    monkeypatch.setenv("NBOPS_REMOTE_KEY", "the-new-team-key-" + "n" * 32)
    result = pull_runs(mate, [first], url=url)
    assert "is signed with another team key" in str(result.refused[first])


def test_on_a_machine_without_the_key_every_run_is_pulled_unverified(pushed, monkeypatch) -> None:
    _, mate, url, runs = pushed
    monkeypatch.delenv("NBOPS_REMOTE_KEY")
    result = pull_runs(mate, all_runs=True, url=url)
    assert result.pulled == runs
    assert result.unverified == {run: "this machine has no team key to check its signature "
                                 "with" for run in runs}
    with pytest.raises(IntegrityError):
        require_verified(mate, runs[0], "run the code it records")


def test_a_run_pushed_before_signing_is_unverified_until_a_key_holder_pushes_it_again(
        pushed) -> None:
    lead, mate, url, (first, second) = pushed
    (_bucket(url) / "runs" / first / "signature.json").unlink()  # as pushed before this change
    result = pull_runs(mate, all_runs=True, url=url)
    assert result.pulled == [first, second] and list(result.unverified) == [first]
    pulled_at = read_pulled(mate.run_dir(first))["pulled_at"]
    assert push_runs(lead, all_runs=True, url=url).pushed == [first]  # the unsigned one only
    again = pull_runs(mate, all_runs=True, url=url)
    assert again.verified_now == [first] and again.unverified == {}
    record = read_pulled(mate.run_dir(first))
    assert record["signature"] == "verified" and record["key_id"] == key_id(KEY.encode())
    assert record["pulled_at"] == pulled_at  # when it came, not when it was checked again
    require_verified(mate, first, "run the code it records")
    assert pull_runs(mate, all_runs=True, url=url).verified_now == []  # checked once


def test_a_push_without_the_key_leaves_no_stale_signature(pushed, monkeypatch) -> None:
    lead, mate, url, (first, _) = pushed
    monkeypatch.delenv("NBOPS_REMOTE_KEY")
    manifest = lead.manifest_path(first)
    doc = json.loads(manifest.read_text())
    save_manifest(lead, {**doc, "tags": {"reviewed": "yes"}})  # a new version of the run
    assert push_runs(lead, [first], url=url).pushed == [first]
    assert not (_bucket(url) / "runs" / first / "signature.json").exists()
    monkeypatch.setenv("NBOPS_REMOTE_KEY", KEY)
    result = pull_runs(mate, [first], url=url)
    assert result.pulled == [first] and "no team-key signature" in result.unverified[first]


def test_a_key_holder_never_signs_a_run_it_pulled_unverified(pushed, tmp_path) -> None:
    _, mate, url, runs = pushed
    forged = _forge(url, runs[0], {"seed": 666})
    pull_runs(mate, all_runs=True, url=url)
    other = f"file://{tmp_path / 'other-bucket'}"
    (tmp_path / "other-bucket").mkdir()
    assert forged in push_runs(mate, all_runs=True, url=other).pushed
    assert not (tmp_path / "other-bucket" / "runs" / forged / "signature.json").exists()
    assert (tmp_path / "other-bucket" / "runs" / runs[0] / "signature.json").exists()
    assert push_runs(mate, all_runs=True, url=url).pushed == []  # nor on the remote it came from
    assert not (_bucket(url) / "runs" / forged / "signature.json").exists()


def test_a_contents_list_cannot_bring_its_own_pull_record(pushed) -> None:
    _, mate, url, runs = pushed
    forged = new_run_id()
    source = _bucket(url) / "runs" / runs[0]
    contents = json.loads((source / "contents.json").read_text())
    contents["files"]["pulled.json"] = contents["files"]["index.html"]  # any stored object
    manifest = json.loads((source / "manifest.json").read_text())
    _put_run(url, forged, {**manifest, "run_id": forged}, json.dumps(contents).encode(),
             _index(url)["runs"][runs[0]])
    assert pull_runs(mate, [forged], url=url).pulled == [forged]
    record = read_pulled(mate.run_dir(forged))
    assert record is not None and record["signature"] == "unverified"


def test_a_key_kept_in_the_remotes_key_file_verifies_a_pull(pushed, monkeypatch,
                                                            tmp_path: Path) -> None:
    from nbops.remote import store_team_key

    _, mate, url, runs = pushed
    monkeypatch.delenv("NBOPS_REMOTE_KEY")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    store_team_key(url, KEY)  # `nbops remote set URL --key KEY`: this remote's key file
    result = pull_runs(mate, all_runs=True, url=url)
    assert result.pulled == runs and result.unverified == {}
    record = read_pulled(mate.run_dir(runs[0]))
    assert record["signature"] == "verified" and record["key_id"] == key_id(KEY.encode())
