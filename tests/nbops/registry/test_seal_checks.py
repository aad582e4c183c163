"""The registry's seal: which bytes of ``models.json`` it accepts, and what it says about the
rest (the file nbops wrote, the one before it during a write, hand edits, broken seals)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nbops.core import RegistryError, hash_bytes
from nbops.registry import _seal as seal

OLD = b'{"models": {"churn": 1}}\n'
NEW = b'{"models": {"churn": 2}}\n'


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    path = tmp_path / ".nbops" / "registry" / "models.json"
    path.parent.mkdir(parents=True)
    return path


def test_the_seal_sits_next_to_the_registry(registry: Path) -> None:
    assert seal.seal_path(registry) == registry.parent / "models.seal.json"
    assert seal.seal_path(Path("models.json")) == Path("models.seal.json")


def test_a_seal_names_the_new_registry_and_the_one_it_replaces(registry: Path) -> None:
    seal.write(registry, NEW, OLD)
    written = json.loads(seal.seal_path(registry).read_text("utf-8"))
    assert {k: written[k] for k in ("schema_version", "registry_hash", "previous_hash")} == {
        "schema_version": 1, "registry_hash": hash_bytes(NEW), "previous_hash": hash_bytes(OLD)}
    assert written["written_at"].endswith("Z") or "+00:00" in written["written_at"]
    # a write interrupted between the seal and the registry: both are accepted
    assert seal.problem(registry, NEW) is None
    assert seal.problem(registry, OLD) is None
    assert seal.problem(registry, b'{"models": {"churn": 3}}\n') == (
        "models.json was modified outside nbops (its hash no longer matches models.seal.json)")


def test_a_first_seal_accepts_only_the_registry_it_names(registry: Path) -> None:
    seal.write(registry, NEW, None)
    assert json.loads(seal.seal_path(registry).read_text("utf-8"))["previous_hash"] is None
    assert seal.problem(registry, NEW) is None
    assert seal.problem(registry, OLD) is not None


def test_a_registry_never_sealed_is_accepted(registry: Path) -> None:
    assert seal.problem(registry, OLD) is None


@pytest.mark.parametrize("content, problem", [
    (b"{not json", "its seal models.seal.json is not valid JSON"),
    (b"\xff\xfe", "its seal models.seal.json is not valid JSON"),
    (b"[]", "its seal models.seal.json is invalid (no registry_hash)"),
    (b'{"registry_hash": "HASH"}', "its seal models.seal.json is invalid (no registry_hash)"),
    (b'{"schema_version": 1, "registry_hash": "not-a-hash"}',
     "its seal models.seal.json is invalid (no registry_hash)"),
    (b'{"schema_version": 1, "registry_hash": 7, "previous_hash": null}',
     "its seal models.seal.json is invalid (no registry_hash)"),
])
def test_a_broken_seal_is_named_and_accepts_nothing(
    registry: Path, content: bytes, problem: str,
) -> None:
    seal.seal_path(registry).write_bytes(content.replace(b"HASH", hash_bytes(OLD).encode()))
    assert seal.problem(registry, OLD) == problem


def test_a_seal_from_a_later_nbops_is_refused_as_newer_not_as_broken(registry: Path) -> None:
    # "restore .nbops/registry/ from git" would restore the same committed file: upgrade nbops
    seal.seal_path(registry).write_text(json.dumps(
        {"schema_version": 2, "registry_hash": hash_bytes(OLD)}))
    with pytest.raises(RegistryError, match=r"models\.seal\.json has schema_version 2, newer "
                                            "than the registry_seal version 1 this nbops "
                                            "reads. Fix: upgrade nbops"):
        seal.problem(registry, OLD)


@pytest.mark.parametrize("field", ["registry_hash", "previous_hash"])
def test_either_hash_alone_makes_a_valid_seal(registry: Path, field: str) -> None:
    seal.seal_path(registry).write_text(json.dumps(
        {"schema_version": 1, field: hash_bytes(OLD)}), "utf-8")
    assert seal.problem(registry, OLD) is None
    assert seal.problem(registry, NEW) == (
        "models.json was modified outside nbops (its hash no longer matches models.seal.json)")
