"""The team key's signature of a pushed run (nbops.remote._run_signature): what it covers,
what it stores, and each way a check comes out."""

from __future__ import annotations

import json

import pytest

from nbops.core import hash_bytes
from nbops.remote import key_id, mac
from nbops.remote._run_signature import (
    NO_KEY,
    NOT_SIGNED,
    RunDigests,
    SignatureRefused,
    check_run_signature,
    run_signature,
)

KEY = "run-signature-test-key-" + "r" * 32
URL = "file:///tmp/nbops-signature-test-bucket"
DIGESTS = RunDigests("20260101T000000000000Z-abcdef", hash_bytes(b"manifest"),
                     hash_bytes(b"seal"), hash_bytes(b"contents"))


@pytest.fixture(autouse=True)
def _team_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBOPS_REMOTE_KEY", KEY)


def test_what_is_signed_is_the_run_id_and_three_digests_sorted_and_compact() -> None:
    assert json.loads(DIGESTS.message()) == {
        "run_id": DIGESTS.run_id, "manifest_hash": DIGESTS.manifest_hash,
        "seal_hash": DIGESTS.seal_hash, "contents_hash": DIGESTS.contents_hash}
    assert DIGESTS.message().startswith(b'{"contents_hash":"blake3:')


def test_a_signature_names_the_key_by_its_id_and_never_holds_the_key() -> None:
    data = run_signature(URL, DIGESTS)
    assert data is not None and KEY.encode() not in data
    assert json.loads(data) == {"schema_version": 1, "scheme": "hmac-sha256",
                                "key_id": key_id(KEY.encode()),
                                "mac": mac(KEY.encode(), DIGESTS.message())}
    assert check_run_signature(URL, DIGESTS, data) is None


def test_without_the_key_nothing_is_signed_and_nothing_verifies(
        monkeypatch: pytest.MonkeyPatch) -> None:
    data = run_signature(URL, DIGESTS)
    monkeypatch.delenv("NBOPS_REMOTE_KEY")
    assert run_signature(URL, DIGESTS) is None
    assert check_run_signature(URL, DIGESTS, data) == NO_KEY


def test_a_run_without_a_signature_is_unverified_not_refused() -> None:
    assert check_run_signature(URL, DIGESTS, None) == NOT_SIGNED


@pytest.mark.parametrize("changed", ["run_id", "manifest_hash", "seal_hash", "contents_hash"])
def test_a_signature_of_anything_else_is_refused_naming_the_run(changed: str) -> None:
    data = run_signature(URL, DIGESTS)
    other = {**DIGESTS.__dict__, changed: DIGESTS.run_id[:-1] + "x" if changed == "run_id"
             else hash_bytes(b"forged")}
    with pytest.raises(SignatureRefused) as refused:
        check_run_signature(URL, RunDigests(**other), data)
    assert refused.value.problem.startswith(f"Run {other['run_id']} on remote {URL} was not "
                                            "pulled: its manifest, seal or contents list no "
                                            "longer match the team key's signature")
    assert f"nbops push {other['run_id']} --repair" in (refused.value.fix or "")


def test_a_signature_made_with_another_key_names_both_key_ids(
        monkeypatch: pytest.MonkeyPatch) -> None:
    data = run_signature(URL, DIGESTS)
    monkeypatch.setenv("NBOPS_REMOTE_KEY", "another-team-key-" + "o" * 32)
    with pytest.raises(SignatureRefused) as refused:
        check_run_signature(URL, DIGESTS, data)
    assert f"(id {key_id(KEY.encode())}, this machine's is " in refused.value.problem
    assert "nbops remote set URL --key KEY" in (refused.value.fix or "")


@pytest.mark.parametrize("data", [b"{not json", b"\xff\xfe", b"[]", b'{"schema_version": 1}',
                                  b'{"schema_version": 1, "scheme": "hmac-sha256", "key_id": '
                                  b'"0123456789abcdef", "mac": "short"}'])
def test_a_file_that_is_not_a_signature_is_refused(data: bytes) -> None:
    with pytest.raises(SignatureRefused, match="is not a signature nbops wrote"):
        check_run_signature(URL, DIGESTS, data)
