"""A restarted service takes the model it verified before, checked as strictly, without skops.

``load_verified(..., keep=True)`` (what ``nbops serve-model`` loads with) keeps a
verified model in this user's cache; the next load of the same file re-hashes it,
checks its types against the policy of the day and unpickles the copy only when the
copy's MAC, made with this user's key, matches (nbops.registry._model_cache).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from serving_world import make_project

from nbops.core._errors import RegistryError
from nbops.registry import _artifacts as artifacts
from nbops.registry import _model_cache as model_cache
from nbops.registry import parse_ref, read_registry, resolve_version


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("kept") / "project", rows=600)


@pytest.fixture
def project(world: Path, tmp_path: Path) -> Path:
    """The module's project with its env.yaml restored (a test narrows it)."""
    env = world / "env.yaml"
    original = env.read_text()
    yield world
    env.write_text(original)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NBOPS_MODEL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "cache"


def _champion(root: Path) -> dict:
    return resolve_version(read_registry(root), parse_ref("churn@champion"))


def _rows(root: Path, record: dict) -> pd.DataFrame:
    path = artifacts.store_of(root).path_for(record["training_data"]["hash"])
    return pd.read_parquet(path).head(50)


def _no_skops(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on, `import skops.io` fails: a load that needs skops raises ImportError."""
    monkeypatch.setitem(sys.modules, "skops.io", None)


class _Touch:
    """Unpickling this creates ``marker``: stands for any code a forged copy could run."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_a_restart_takes_the_kept_copy_without_skops_and_scores_the_same(
        project, cache, monkeypatch):
    record = _champion(project)
    first = artifacts.load_verified(project, record, "churn:1", keep=True)
    entries = list(cache.iterdir())
    assert len(entries) == 1 and entries[0].stat().st_mode & 0o777 == 0o600
    assert model_cache.key_path().stat().st_mode & 0o777 == 0o600
    _no_skops(monkeypatch)
    again = artifacts.load_verified(project, record, "churn:1", keep=True)
    assert again is not first
    rows = _rows(project, record)[list(first.feature_names_in_)]
    assert np.array_equal(again.predict_proba(rows), first.predict_proba(rows))
    with pytest.raises(ImportError):  # the control: without the copy, skops was needed
        artifacts.load_verified(project, record, "churn:1")


def test_an_edited_or_foreign_copy_is_never_unpickled(project, cache, tmp_path, monkeypatch):
    record = _champion(project)
    digest = record["artifact"]["hash"]
    found = frozenset(record["artifact"]["trusted_types"])
    marker = tmp_path / "ran"
    model_cache.keep(digest, found, _Touch(marker))
    # control: a copy made with this user's key is trusted, so the payload is live
    assert artifacts.load_verified(project, record, "churn:1", keep=True) is None
    assert marker.exists()
    marker.unlink()
    # the same copy, on a machine (or for a user) with another key
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "other-config"))
    model = artifacts.load_verified(project, record, "churn:1", keep=True)
    assert hasattr(model, "predict_proba") and not marker.exists()
    # a copy edited after it was made: its MAC no longer matches
    entry = next(cache.iterdir())
    good = entry.read_bytes()
    mac_end = len(b"nbops-verified-model 1\n") + 64 + 1
    forged = json.dumps(sorted(found)).encode() + b"\n" + __import__("pickle").dumps(
        _Touch(marker))
    entry.write_bytes(good[:mac_end] + forged)
    model = artifacts.load_verified(project, record, "churn:1", keep=True)
    assert hasattr(model, "predict_proba") and not marker.exists()
    assert entry.read_bytes() != good[:mac_end] + forged  # replaced by a good copy


def test_the_policy_of_the_day_applies_to_a_kept_copy(project, cache, monkeypatch):
    record = _champion(project)
    artifacts.load_verified(project, record, "churn:1", keep=True)
    (project / "env.yaml").write_text("registry:\n  model: churn\n")  # trusts no churn type
    _no_skops(monkeypatch)  # so the refusal below comes from the kept copy's types
    with pytest.raises(RegistryError, match=r"refusing to load churn:1.*churn\.features"):
        artifacts.load_verified(project, record, "churn:1", keep=True)


def test_the_types_the_kept_copy_found_are_checked_against_the_record(project, cache,
                                                                      monkeypatch):
    record = _champion(project)
    artifacts.load_verified(project, record, "churn:1", keep=True)
    assert record["artifact"]["trusted_types"]  # the churn converters
    edited = {**record, "artifact": {**record["artifact"], "trusted_types": []}}
    _no_skops(monkeypatch)
    with pytest.raises(RegistryError, match="types not recorded at registration"):
        artifacts.load_verified(project, edited, "churn:1", keep=True)


def test_a_changed_model_file_is_refused_even_with_a_kept_copy(project, cache, monkeypatch):
    record = _champion(project)
    artifacts.load_verified(project, record, "churn:1", keep=True)
    path = artifacts.store_of(project).path_for(record["artifact"]["hash"])
    original = path.read_bytes()
    os.chmod(path, 0o644)
    path.write_bytes(original + b"\0")
    try:
        with pytest.raises(RegistryError, match="modified or swapped"):
            artifacts.load_verified(project, record, "churn:1", keep=True)
    finally:
        path.write_bytes(original)


def test_another_skops_or_scikit_learn_starts_afresh(project, cache, monkeypatch):
    record = _champion(project)
    artifacts.load_verified(project, record, "churn:1", keep=True)
    assert model_cache.kept(record["artifact"]["hash"]) is not None
    real = importlib.metadata.version
    for upgraded in ("skops", "scikit-learn"):
        monkeypatch.setattr(importlib.metadata, "version",
                            lambda name, u=upgraded: "999.0" if name == u else real(name))
        assert model_cache.kept(record["artifact"]["hash"]) is None, upgraded
    monkeypatch.setattr(importlib.metadata, "version", real)
    assert model_cache.kept(record["artifact"]["hash"]) is not None


def test_an_empty_setting_keeps_nothing(project, tmp_path, monkeypatch):
    monkeypatch.setenv("NBOPS_MODEL_CACHE", "")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    record = _champion(project)
    assert hasattr(artifacts.load_verified(project, record, "churn:1", keep=True),
                   "predict_proba")
    assert model_cache.kept(record["artifact"]["hash"]) is None
    assert not (tmp_path / "config").exists()


def test_only_the_most_recently_used_entries_are_kept(cache, monkeypatch):
    monkeypatch.setattr(model_cache, "MAX_ENTRIES", 3)
    digests = [f"blake3:{i:064x}" for i in range(5)]

    def age(digest: str, seconds: float) -> None:  # last used ``seconds`` ago
        entry = model_cache._entry(cache, model_cache._context(digest))
        os.utime(entry, (entry.stat().st_atime, time.time() - seconds))

    for number, digest in enumerate(digests):
        model_cache.keep(digest, frozenset(), {"model": number})
        age(digest, 100 - number)
    assert len(list(cache.iterdir())) == 3
    assert [model_cache.kept(d) is not None for d in digests] == [False, False, True, True, True]
    for digest, seconds in zip(digests[2:], (90, 50, 70), strict=True):
        age(digest, seconds)
    assert model_cache.kept(digests[2]).model() == {"model": 2}  # used now
    model_cache.keep(digests[0], frozenset(), {"model": 0})  # 4 (70 s ago) goes
    assert [model_cache.kept(d) is not None for d in digests] == [True, False, True, True, False]
