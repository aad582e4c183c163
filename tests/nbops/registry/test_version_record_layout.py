"""A registered version's record as models.json shows it: numbered and dated first, by the
registry (a record handed in with its own ``version``/``registered_at`` keeps neither)."""

import json
from pathlib import Path

from nbops.core import hash_bytes
from nbops.registry import _operations as operations
from nbops.registry import _registry_file as registry_file


def _record(version: int) -> dict:
    return {"version": version, "registered_at": "1999-01-01T00:00:00Z", "run_id": "r",
            "artifact": {"hash": hash_bytes(b"m"), "size": 1, "format": "skops",
                         "trusted_types": []},
            "metrics": {}, "training_data": {"hash": hash_bytes(b"t"), "size": 1},
            "feature_schema": {"features": []}}


def test_the_registry_numbers_and_dates_a_version_first(tmp_path: Path) -> None:
    assert operations.register_version(tmp_path, "churn", _record(7)) == (1, True)
    text = registry_file.registry_path(tmp_path).read_text(encoding="utf-8")
    version = json.loads(text)["models"]["churn"]["versions"][0]
    assert list(version)[:3] == ["version", "registered_at", "run_id"]
    assert version["version"] == 1
    assert version["registered_at"] != "1999-01-01T00:00:00Z"
