"""Shipped JSON Schemas, nbops' validator, and manifest read/write."""

from __future__ import annotations

import copy
import json
from importlib import resources

import pytest

from nbops.contracts._manifest_file import check_seal, read_manifest, write_manifest
from nbops.core._errors import IntegrityError, LedgerError
from nbops.core._schema import SUPPORTED_KEYWORDS, load_schema, schema_errors

SCHEMAS = sorted(p.name.removesuffix(".schema.json")
                 for p in resources.files("nbops.core.schemas").iterdir()
                 if p.name.endswith(".schema.json"))
HASH = "blake3:" + "ab" * 32
RUN = "20260101T000000000000Z-abcdef"


def minimal_manifest() -> dict:
    task = {"status": "executed", "duration_s": 1.5, "upstream": [],
            "source": {"path": "notebooks/a.py", "hash": HASH},
            "products": {"nb": {"path": ".nbops/products/a.ipynb", "hash": HASH, "size": 3}},
            "notebook": {"path": "notebooks/a.ipynb", "hash": HASH, "size": 3},
            "produced_by": RUN, "metrics": {"auc": 0.9}, "artifacts": [], "error": None}
    return {
        "schema_version": 1, "run_id": RUN, "project": "p", "status": "succeeded",
        "started_at": "2026-01-01T00:00:00.000000Z", "finished_at": "2026-01-01T00:00:01.000000Z",
        "duration_s": 1.0, "command": ["ploomber", "build"], "host": "h", "pid": 1,
        "params": {"a": {"seed": 1}}, "env": {}, "tasks": {"a": task}, "metrics": {"auc": 0.9},
        "provenance": {"git": {"commit": None, "branch": None, "dirty": None, "diff_hash": None},
                       "python": "3.11", "platform": "linux", "packages": {"x": "1"},
                       "lock_hash": None, "sources": {"a": HASH}, "inputs": {}, "seeds": {}},
        "failure": None,
    }


def _keywords(node, found: set) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            found.add(key)
            if key in ("properties", "$defs"):
                for sub in value.values():
                    _keywords(sub, found)
            elif key not in ("enum", "const", "required", "description", "title"):
                _keywords(value, found)
    elif isinstance(node, list):
        for item in node:
            _keywords(item, found)


@pytest.mark.parametrize("name", SCHEMAS)
def test_shipped_schemas_use_only_supported_keywords(name: str) -> None:
    found: set = set()
    _keywords(load_schema(name), found)
    assert found <= SUPPORTED_KEYWORDS, found - SUPPORTED_KEYWORDS


def _broken_variants(doc: dict) -> list[dict]:
    variants = []
    for mutate in (
        lambda d: d.pop("run_id"),
        lambda d: d.update(status="done"),
        lambda d: d.update(run_id="../etc"),
        lambda d: d["tasks"]["a"].update(status="maybe"),
        lambda d: d["tasks"]["a"]["products"]["nb"].update(hash="md5:1"),
        lambda d: d["metrics"].update(auc="high"),
        lambda d: d["metrics"].update(flag=True),
        lambda d: d.update(pid=1.5),
        lambda d: d.update(gates=[1]),
        lambda d: d["provenance"].pop("git"),
        lambda d: d.update(notes={"items": [{"at": "t", "text": "x" * 2001}]}),  # maxLength
        lambda d: d["tasks"]["a"].update(curves={  # minItems: a curve has a point
            "schema_version": 1, "series": {"loss": {"steps": [], "values": []}}}),
    ):
        variant = copy.deepcopy(doc)
        mutate(variant)
        variants.append(variant)
    return variants


def test_validator_agrees_with_jsonschema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(load_schema("manifest"))
    good = minimal_manifest()
    assert schema_errors(good, "manifest") == [] and validator.is_valid(good)
    for bad in _broken_variants(good):
        assert schema_errors(bad, "manifest"), bad
        assert not validator.is_valid(bad), bad


def test_write_read_round_trip_and_seal(tmp_path) -> None:
    path = tmp_path / RUN / "manifest.json"
    write_manifest(path, minimal_manifest())
    assert read_manifest(path) == minimal_manifest()
    assert check_seal(path) is None
    edited = json.loads(path.read_text())
    edited["metrics"]["auc"] = 0.99  # still valid, but not what nbops wrote
    path.write_text(json.dumps(edited))
    assert "modified outside nbops" in check_seal(path)


def test_invalid_manifest_is_never_written(tmp_path) -> None:
    bad = minimal_manifest()
    bad["status"] = "done"
    with pytest.raises(LedgerError, match="invalid manifest"):
        write_manifest(tmp_path / "manifest.json", bad)
    assert not (tmp_path / "manifest.json").exists()


def test_truncated_or_invalid_manifest_is_refused(tmp_path) -> None:
    path = tmp_path / "manifest.json"
    write_manifest(path, minimal_manifest())
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    with pytest.raises(IntegrityError, match="not valid JSON"):
        read_manifest(path)
    doc = minimal_manifest()
    doc["tasks"]["a"]["status"] = "maybe"
    path.write_text(json.dumps(doc))
    with pytest.raises(IntegrityError, match="does not match the manifest schema"):
        read_manifest(path)
