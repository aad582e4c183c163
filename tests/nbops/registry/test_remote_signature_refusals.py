"""What a clone says when it refuses the remote registry, sentence by sentence, and exactly
which documents a signature covers (pure functions: no server)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from nbops.core import RegistryError, RemoteError
from nbops.registry import _remote_trust as trust
from nbops.remote import key_id, mac

URL = "s3://team-bucket/churn"
KEY = "k" * 40
WHERE = "the registry on remote s3://team-bucket/churn"
RESTORE = ("nothing on this machine was changed; ask who can write the bucket what "
           "happened, then run `nbops remote restore-registry` on a machine whose registry "
           "is right")
NO_KEY_FIX = ("set NBOPS_REMOTE_KEY to the team key (`nbops remote key` prints it on a "
              "machine that has it), or run `nbops remote set s3://team-bucket/churn --key KEY`")


@pytest.fixture(autouse=True)
def key(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("NBOPS_REMOTE_KEY", KEY)


def _registry(versions: int, moves: list[int]) -> dict[str, Any]:
    history = [{"alias": "champion", "from": prev, "to": to, "at": f"t{i}"}
               for i, (prev, to) in enumerate(zip([None, *moves], moves, strict=False))]
    return {"schema_version": 1, "models": {"churn": {
        "versions": [{"version": n, "artifact": {"hash": f"h{n}"}}
                     for n in range(1, versions + 1)],
        "history": history, "aliases": {"champion": moves[-1]} if moves else {}}}}


def test_what_is_signed_is_the_document_without_its_signature_sorted_and_compact() -> None:
    doc = {"b": "é", "a": [1, 2], trust.SIGNATURE: {"mac": "x"}}
    assert trust.canonical(doc) == '{"a":[1,2],"b":"é"}'.encode()
    with pytest.raises(ValueError):
        trust.canonical({"a": float("nan")})


def test_a_signed_document_carries_the_scheme_the_key_id_and_the_mac_of_its_content() -> None:
    doc = _registry(2, [1, 2])
    data = trust.signed({**doc, trust.SIGNATURE: {"mac": "stale"}}, URL)
    assert data.decode().endswith("\n") and json.loads(data)["models"] == doc["models"]
    assert json.loads(data)[trust.SIGNATURE] == {
        "scheme": "hmac-sha256", "key_id": key_id(KEY.encode()),
        "mac": mac(KEY.encode(), trust.canonical(doc))}
    body, signature = trust.split(data, WHERE)
    assert body == doc
    trust.check_signature(body, signature, URL, WHERE)  # accepted


def test_a_machine_without_the_key_cannot_sign_change_or_believe_the_registry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    trust.require_key(URL)
    monkeypatch.delenv("NBOPS_REMOTE_KEY")
    problem = (f"{WHERE} cannot be changed from this machine: it has no team key to sign it "
               "with")
    with pytest.raises(RemoteError) as refused:
        trust.require_key(URL)
    assert (refused.value.problem, refused.value.fix, refused.value.kind) == (
        problem, NO_KEY_FIX, "no-team-key")
    with pytest.raises(RegistryError) as unsigned:
        trust.signed(_registry(1, [1]), URL)
    assert (unsigned.value.problem, unsigned.value.fix) == (problem, NO_KEY_FIX)
    with pytest.raises(RegistryError) as unverified:
        trust.check_signature(_registry(1, [1]), {"mac": "x"}, URL, WHERE)
    assert (unverified.value.problem, unverified.value.fix) == (
        f"{WHERE} cannot be verified: this machine has no team key, and without one anyone "
        "who can write the bucket could have written it", NO_KEY_FIX)


@pytest.mark.parametrize("data, problem", [
    (b"{not json", f"{WHERE} is not valid JSON (Expecting property name enclosed in double "
                   "quotes: line 1 column 2 (char 1))"),
    (b"\xff\xfe", f"{WHERE} is not valid JSON ('utf-8' codec can't decode byte 0xff in "
                  "position 0: invalid start byte)"),
    (b"[1, 2]", f"{WHERE} is not a JSON object"),
])
def test_a_remote_registry_that_is_not_a_json_object_is_refused(data: bytes, problem: str) -> None:
    with pytest.raises(RegistryError) as refused:
        trust.split(data, WHERE)
    assert (refused.value.problem, refused.value.fix) == (problem, RESTORE)


def test_an_unsigned_document_splits_into_itself_and_no_signature() -> None:
    assert trust.split(b'{"a": 1}', WHERE) == ({"a": 1}, None)


@pytest.mark.parametrize("signature", [None, "a-mac-as-a-string", {"key_id": "x"}])
def test_a_document_not_signed_with_the_team_key_is_refused(signature: Any) -> None:
    with pytest.raises(RegistryError) as refused:
        trust.check_signature(_registry(1, [1]), signature, URL, WHERE)
    assert (refused.value.problem, refused.value.fix) == (
        f"refusing {WHERE}: it is not signed with the team key, so someone who can write "
        "the bucket but does not hold the key wrote it", RESTORE)


def test_a_document_signed_with_another_key_names_both_key_ids() -> None:
    doc = _registry(1, [1])
    other = {"scheme": "hmac-sha256", "key_id": key_id(b"o" * 40),
             "mac": mac(b"o" * 40, trust.canonical(doc))}
    with pytest.raises(RegistryError) as refused:
        trust.check_signature(doc, other, URL, WHERE)
    assert refused.value.problem == (
        f"refusing {WHERE}: it is signed with another key (id {key_id(b'o' * 40)!r}, this "
        f"machine's is {key_id(KEY.encode())!r})")
    assert refused.value.fix == ("if the team changed its key, set the new one with `nbops "
                                 f"remote set URL --key KEY`; otherwise {RESTORE}")


def test_a_document_changed_after_signing_is_refused() -> None:
    doc = _registry(2, [1, 2])
    _, signature = trust.split(trust.signed(doc, URL), WHERE)
    doc["models"]["churn"]["aliases"]["champion"] = 1
    with pytest.raises(RegistryError) as refused:
        trust.check_signature(doc, signature, URL, WHERE)
    assert (refused.value.problem, refused.value.fix) == (
        f"refusing {WHERE}: its signature does not match its content, so it was changed by "
        "someone who does not hold the team key", RESTORE)


def test_a_remote_that_extends_what_this_machine_sealed_is_accepted() -> None:
    sealed = _registry(3, [1, 3])
    assert trust.divergence(sealed, sealed) is None
    assert trust.divergence(sealed, _registry(4, [1, 3, 4])) is None
    assert trust.divergence({"schema_version": 1, "models": {}}, sealed) is None
    assert trust.divergence({"schema_version": 1}, sealed) is None  # nothing registered yet
    trust.check_extends(None, {"schema_version": 1}, WHERE)  # nothing sealed yet
    trust.check_extends(sealed, _registry(3, [1, 3]), WHERE)


@pytest.mark.parametrize("remote, problem", [
    ({"schema_version": 1}, "model churn is missing there"),
    (_registry(2, [1]), "churn version 3 is missing there (the file was rolled back)"),
    (_registry(0, []), "churn version 1 is missing there (the file was rolled back)"),
    (_registry(3, [1]), "the alias history of churn ends at move 1 of the 2 this machine "
                        "sealed (the file was rolled back)"),
    (_registry(3, []), "the alias history of churn ends at move 0 of the 2 this machine "
                       "sealed (the file was rolled back)"),
    (_registry(3, [1, 2]), "move 2 of churn's alias history (champion -> version 3) differs "
                           "from the one this machine sealed"),
    (_registry(3, [2, 3]), "move 1 of churn's alias history (champion -> version 1) differs "
                           "from the one this machine sealed"),
])
def test_a_rolled_back_or_rewritten_remote_names_the_first_difference(
    remote: dict[str, Any], problem: str,
) -> None:
    sealed = _registry(3, [1, 3])
    assert trust.divergence(sealed, remote) == problem
    with pytest.raises(RegistryError) as refused:
        trust.check_extends(sealed, remote, WHERE)
    assert (refused.value.problem, refused.value.fix) == (
        f"refusing {WHERE}: it does not extend the registry this machine sealed: {problem}",
        RESTORE)


@pytest.mark.parametrize("number", [1, 3])
def test_a_changed_version_is_named_whichever_it_is(number: int) -> None:
    sealed = _registry(3, [1, 3])
    changed = _registry(3, [1, 3])
    changed["models"]["churn"]["versions"][number - 1]["artifact"]["hash"] = "forged"
    assert trust.divergence(sealed, changed) == (
        f"churn version {number} differs from the one this machine sealed")
