"""The registry file's types, ``pulled.json``'s and a scheduled task's result: each keeps
its schema's fields (as tests/nbops/contracts/test_contract_types.py does for the
manifest's)."""

from typing import Any

import pytest

from nbops import contracts
from nbops.core import FeatureRecord, FeatureSchemaRecord
from nbops.core._schema import load_schema
from nbops.orchestration._remote_state import TaskResult

REGISTRY = load_schema("registry")
DEFS = REGISTRY["$defs"]
FEATURE_FILE = load_schema("feature_schema", "nbops.validation.schemas")

#: (type, the schema object describing it)
PAIRS: list[tuple[Any, dict[str, Any]]] = [
    (contracts.RegistryDocument, REGISTRY),
    (contracts.RegisteredModel, DEFS["model"]),
    (contracts.ModelVersion, DEFS["version"]),
    (contracts.ModelArtifact, DEFS["version"]["properties"]["artifact"]),
    (contracts.DataFileRef, DEFS["file"]),
    (contracts.AliasMove, DEFS["move"]),
    (contracts.MoveActor, DEFS["move"]["properties"]["by"]),
    (contracts.PulledRecord, load_schema("pulled_run")),
    (TaskResult, load_schema("task_result", "nbops.orchestration.schemas")),
]


def _keys(typed: Any) -> set[str]:
    return set(typed.__required_keys__) | set(typed.__optional_keys__)


@pytest.mark.parametrize(("typed", "schema"), PAIRS, ids=[t.__name__ for t, _ in PAIRS])
def test_a_file_type_has_its_schemas_fields(typed: Any, schema: dict[str, Any]) -> None:
    assert _keys(typed) == set(schema["properties"])
    required = set(schema.get("required", []))
    if typed is contracts.PulledRecord:  # an unreadable record is read as signature and why
        required = {"signature"}
    assert required <= set(typed.__required_keys__)


def test_a_new_version_is_a_version_without_its_number_and_date() -> None:
    assert _keys(contracts.ModelVersion) - _keys(contracts.NewVersion) == {
        "version", "registered_at"}


def test_the_feature_schema_type_has_the_files_fields_and_the_registrys_requirements() -> None:
    assert _keys(FeatureSchemaRecord) == set(FEATURE_FILE["properties"])
    assert _keys(FeatureRecord) == set(FEATURE_FILE["properties"]["features"]["items"][
        "properties"])
    # a registered version's schema may predate the others (registry.schema.json)
    assert set(FeatureSchemaRecord.__required_keys__) == set(DEFS["feature_schema"]["required"])
