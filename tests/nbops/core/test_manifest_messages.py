"""The manifest and its seal: every refusal names the file, the problem and the fix, and the
seal's state words are exact (callers compare them)."""

from __future__ import annotations

import json

import pytest
from test_core_schema_manifest import minimal_manifest

from nbops.contracts._manifest_file import (
    read_manifest,
    read_sealed_manifest,
    seal_path,
    seal_state,
    write_manifest,
)
from nbops.core._errors import IntegrityError, LedgerError
from nbops.core._hashing import hash_bytes

FIX = "restore it from a backup or delete the run folder"


@pytest.fixture
def written(tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "run-1" / "manifest.json"
    path.parent.mkdir()
    digest = write_manifest(path, minimal_manifest())
    return path, digest


def test_reading_refusals_name_the_file_the_problem_and_the_fix(tmp_path) -> None:
    missing = tmp_path / "nope" / "manifest.json"
    with pytest.raises(LedgerError) as info:
        read_manifest(missing)
    assert (info.value.problem, info.value.fix) == (f"No manifest at {missing}",
                                                    "check the run id with `nbops runs`")
    path = tmp_path / "manifest.json"
    path.write_bytes(b'{"a": "\xff"}')
    with pytest.raises(IntegrityError) as info:
        read_manifest(path)
    assert info.value.problem == (f"Manifest {path} is corrupt (byte 7 is not UTF-8); it was "
                                  "damaged or edited outside nbops") and info.value.fix == FIX
    path.write_text('{"a": ')
    with pytest.raises(IntegrityError) as info:
        read_manifest(path)
    assert info.value.problem.startswith(f"Manifest {path} is not valid JSON (")
    assert info.value.problem.endswith("); it was truncated or edited")
    assert info.value.fix == FIX
    path.write_text(json.dumps({"schema_version": 1}))
    with pytest.raises(IntegrityError) as info:
        read_manifest(path)
    assert info.value.problem.startswith(
        f"Manifest {path} does not match the manifest schema (")
    assert info.value.problem.endswith(" …)")  # more than one error: the first, then …
    assert info.value.fix == FIX


def test_an_invalid_manifest_is_a_bug_report_not_a_write(tmp_path) -> None:
    path = tmp_path / "manifest.json"
    with pytest.raises(LedgerError) as info:
        write_manifest(path, {"schema_version": 1})
    assert info.value.problem.startswith(f"nbops produced an invalid manifest for {path}: ")
    assert "; " in info.value.problem  # the errors, joined
    assert info.value.fix == "this is a bug in nbops; please report it with the message above"
    assert not path.exists() and not seal_path(path).exists()


def test_seal_states_and_their_words(written) -> None:
    path, digest = written
    assert seal_state(path) == seal_state(path)
    state = seal_state(path)
    assert (state.kind, state.problem, state.digest) == ("ok", None, digest)
    seal = json.loads(seal_path(path).read_text())
    assert "previous_hash" not in seal  # the first version replaces nothing
    # a rewrite names the version it replaces; a crash in between leaves that version
    changed = {**minimal_manifest(), "status": "failed"}
    new_digest = write_manifest(path, changed, previous_hash=digest)
    assert json.loads(seal_path(path).read_text())["previous_hash"] == digest
    assert write_manifest(path, changed, previous_hash=new_digest) == new_digest
    assert "previous_hash" not in json.loads(seal_path(path).read_text())  # same bytes again
    old = json.dumps(minimal_manifest())  # not the bytes nbops wrote
    path.write_text(old)
    state = seal_state(path)
    assert (state.kind, state.digest) == ("tampered", hash_bytes(old.encode()))
    assert state.problem == (f"{path} was modified outside nbops (its hash no longer matches "
                             "seal.json)")


def test_an_interrupted_rewrite_is_told_apart_from_tampering(written) -> None:
    path, digest = written
    original = path.read_bytes()
    write_manifest(path, {**minimal_manifest(), "status": "failed"}, previous_hash=digest)
    path.write_bytes(original)  # as if the process died between the seal and the manifest
    state = seal_state(path)
    assert (state.kind, state.digest) == ("interrupted", digest)
    assert state.problem == (f"an nbops write to {path} was interrupted (the manifest still "
                             "holds the version before that write)")
    assert read_sealed_manifest(path)["status"] == minimal_manifest()["status"]


@pytest.mark.parametrize(("seal", "words"), [
    (None, "is missing"), ("{not json", "is not valid JSON"),
    (json.dumps({"schema_version": 1}), "is invalid ("),
])
def test_a_broken_seal_is_tampering_and_reading_refuses_the_run(written, seal, words) -> None:
    path, digest = written
    if seal is None:
        seal_path(path).unlink()
    else:
        seal_path(path).write_text(seal)
    state = seal_state(path)
    assert (state.kind, state.digest) == ("tampered", digest)
    assert state.problem.startswith(f"{seal_path(path)} {words}")
    with pytest.raises(IntegrityError) as info:
        read_sealed_manifest(path)
    assert info.value.problem == f"Run run-1 cannot be trusted: {state.problem}"
    assert info.value.fix == ("run `nbops verify run-1`; restore the run folder from a backup "
                              "or delete it")


def test_missing_manifests_with_and_without_a_seal(written) -> None:
    path, digest = written
    path.unlink()  # the seal of a first write, its manifest never written
    state = seal_state(path)
    assert (state.kind, state.digest) == ("interrupted", None)
    assert state.problem == (f"an nbops write to {path} was interrupted (its first manifest "
                             "was never written)")
    write_manifest(path, minimal_manifest())
    write_manifest(path, {**minimal_manifest(), "status": "failed"}, previous_hash=digest)
    path.unlink()  # a manifest that existed is gone
    state = seal_state(path)
    assert (state.kind, state.problem, state.digest) == ("tampered", f"{path} is missing", None)
    seal_path(path).unlink()
    state = seal_state(path)
    assert (state.kind, state.problem) == ("interrupted",
                                           f"{path} and its seal were never written")
