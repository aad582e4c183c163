"""Each contract type names exactly the fields its JSON Schema defines, so neither can drift.

The JSON Schemas validate what is on disk; the TypedDicts of ``nbops.contracts`` are what
producers and consumers are type-checked against. A field added to one and not the other
fails here.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from nbops import contracts
from nbops.core import schema_errors
from nbops.core._schema import load_schema

MANIFEST = load_schema("manifest")
DEFS = MANIFEST["$defs"]
TOP = MANIFEST["properties"]


def _section(name: str, package: str) -> dict[str, Any]:
    return load_schema(f"{name}.section", package)


GATES = _section("gates", "nbops.registry.schemas")
REGISTRY = _section("registry", "nbops.registry.schemas")
REPRODUCTIONS = _section("reproductions", "nbops.reproduce.schemas")
CARD = _section("card", "nbops.cards.schemas")
CARD_EVALUATION = load_schema("card_evaluation", "nbops.cards.schemas")
MONITORING = _section("monitoring", "nbops.monitoring.schemas")
MONITOR_REPORT = load_schema("monitor_report")
DATA_SCHEMA = load_schema("data_schema", "nbops.validation.schemas")
FEATURE_SCHEMA = load_schema("feature_schema", "nbops.validation.schemas")
INDEX = load_schema("run_index")
REPRODUCTION = load_schema("reproduction")
REPRO_TASK = REPRODUCTION["$defs"]["task"]
SWEEP = load_schema("sweep")
LIVE = load_schema("live_status")

#: (type, the schema object describing it)
PAIRS: list[tuple[Any, dict[str, Any]]] = [
    (contracts.TaskRecord, DEFS["task"]),
    (contracts.FileRecord, DEFS["file"]),
    (contracts.TaskError, DEFS["error"]),
    (contracts.Failure, DEFS["failure"]),
    (contracts.Curves, DEFS["curves"]),
    (contracts.CurveSeries, DEFS["curves"]["properties"]["series"]["additionalProperties"]),
    (contracts.Provenance, DEFS["provenance"]),
    (contracts.GitRecord, DEFS["provenance"]["properties"]["git"]),
    (contracts.BuildRecord, TOP["build"]),
    (contracts.StoreRecord, TOP["store"]),
    (contracts.Overhead, TOP["overhead"]),
    (contracts.Notes, TOP["notes"]),
    (contracts.Note, TOP["notes"]["properties"]["items"]["items"]),
    (contracts.Interrupted, TOP["interrupted"]),
    (contracts.GatesSection, GATES),
    (contracts.EvaluatedOn, GATES["properties"]["evaluated_on"]),
    (contracts.RegistrySection, REGISTRY),
    (contracts.ChampionBefore, REGISTRY["properties"]["champion_before"]["anyOf"][1]),
    (contracts.RegistrationError, REGISTRY["properties"]["registration_error"]),
    (contracts.CardSection, CARD),
    (contracts.CardModel, CARD["properties"]["model"]),
    (contracts.CardModelType, CARD["properties"]["model"]["properties"]["type"]),
    (contracts.CardCode, CARD["properties"]["model"]["properties"]["code"]),
    (contracts.CardEnvironment, CARD["properties"]["model"]["properties"]["environment"]),
    (contracts.CardData, CARD["properties"]["data"]),
    (contracts.CardDataSource, CARD["properties"]["data"]["properties"]["source"]),
    (contracts.CardDataFile, CARD["$defs"]["data_file"]),
    (contracts.CardFeatureSchema, CARD["properties"]["data"]["properties"]["schema"]["anyOf"][1]),
    (contracts.CardFeature,
     CARD["properties"]["data"]["properties"]["schema"]["anyOf"][1]["properties"]["features"]
     ["items"]),
    (contracts.CardEvaluationRef, CARD["properties"]["evaluation"]),
    (contracts.CardGates, CARD["properties"]["gates"]["anyOf"][1]),
    (contracts.CardGateResult,
     CARD["properties"]["gates"]["anyOf"][1]["properties"]["results"]["items"]),
    (contracts.CardChampion, CARD["properties"]["champion"]["anyOf"][1]),
    (contracts.ChampionBefore,
     CARD["properties"]["champion"]["anyOf"][1]["properties"]["replaced"]["anyOf"][1]),
    (contracts.CardEvaluation, CARD_EVALUATION),
    (contracts.ModelDescription, CARD_EVALUATION["properties"]["model"]),
    (contracts.DataFacts, CARD_EVALUATION["$defs"]["facts"]),
    (contracts.EvaluationData, CARD_EVALUATION["properties"]["data"]),
    (contracts.Interval, CARD_EVALUATION["$defs"]["interval"]),
    (contracts.Bootstrap, CARD_EVALUATION["properties"]["bootstrap"]),
    (contracts.SliceColumn, CARD_EVALUATION["properties"]["slices"]["items"]),
    (contracts.SliceRow,
     CARD_EVALUATION["properties"]["slices"]["items"]["properties"]["slices"]["items"]),
    (contracts.SliceSummary, CARD_EVALUATION["$defs"]["slice_summary"]),
    (contracts.Calibration, CARD_EVALUATION["properties"]["calibration"]),
    (contracts.CalibrationBin,
     CARD_EVALUATION["properties"]["calibration"]["properties"]["bins"]["items"]),
    (contracts.Importance, CARD_EVALUATION["properties"]["importance"]),
    (contracts.ImportanceItem,
     CARD_EVALUATION["properties"]["importance"]["properties"]["features"]["items"]),
    (contracts.MonitoringSection, MONITORING),
    (contracts.MonitoredChampion, MONITORING["properties"]["champion"]),
    (contracts.FeatureDriftSummary, MONITORING["properties"]["features"]["additionalProperties"]),
    (contracts.PredictionDriftSummary, MONITORING["properties"]["prediction"]["anyOf"][1]),
    (contracts.PerformanceSummary, MONITORING["properties"]["performance"]["anyOf"][1]),
    (contracts.MonitoringReportFile, MONITORING["properties"]["report"]),
    (contracts.MonitoringAction, MONITORING["properties"]["action"]),
    (contracts.RetrainAction,
     MONITORING["properties"]["action"]["properties"]["retrain"]),
    (contracts.MonitorReportRecord, MONITOR_REPORT),
    (contracts.BatchProblemRecord, MONITOR_REPORT["properties"]["problems"]["items"]),
    (contracts.DriftRecord, MONITOR_REPORT["$defs"]["drift"]),
    (contracts.PerformanceRecord, MONITOR_REPORT["properties"]["performance"]["anyOf"][1]),
    (contracts.DataSchemaRecord, DATA_SCHEMA),
    (contracts.ColumnRule, DATA_SCHEMA["properties"]["columns"]["items"]),
    (contracts.FeatureSchemaRecord, FEATURE_SCHEMA),
    (contracts.FeatureEntry, FEATURE_SCHEMA["properties"]["features"]["items"]),
    (contracts.ReproductionsSection, REPRODUCTIONS),
    (contracts.ReproductionItem, REPRODUCTIONS["properties"]["items"]["items"]),
    (contracts.RunSummary, INDEX),
    (contracts.LiveStatus, LIVE),
    (contracts.LiveTask, LIVE["properties"]["tasks"]["additionalProperties"]),
    (contracts.ExperimentRef, INDEX["properties"]["experiment"]),
    (contracts.ModelRef, INDEX["properties"]["model_version"]),
    (contracts.Diverged,
     REPRODUCTIONS["properties"]["items"]["items"]["properties"]["first_diverged"]["anyOf"][1]),
    (contracts.ReproductionRecord, REPRODUCTION),
    (contracts.Diverged, REPRODUCTION["properties"]["first_diverged"]["anyOf"][1]),
    (contracts.ReproducedTask, REPRO_TASK),
    (contracts.ToleranceRecord, REPRO_TASK["properties"]["tolerance"]["anyOf"][1]),
    (contracts.ReproductionCheck, REPRO_TASK["properties"]["checks"]["items"]),
    (contracts.EnvironmentComparison, REPRODUCTION["properties"]["environment"]),
    (contracts.EnvironmentDifference,
     REPRODUCTION["properties"]["environment"]["properties"]["differences"]["items"]),
    (contracts.LockComparison, REPRODUCTION["properties"]["environment"]["properties"]["lock"]),
    (contracts.ReproducedCode, REPRODUCTION["properties"]["code"]),
    (contracts.ReproductionParameters, REPRODUCTION["properties"]["parameters"]),
    (contracts.ReproductionInputs, REPRODUCTION["properties"]["inputs"]),
    (contracts.ReproductionBuild, REPRODUCTION["properties"]["build"]),
    (contracts.SweepRecord, SWEEP),
    (contracts.SweepSampler, SWEEP["properties"]["sampler"]),
    (contracts.SweepObjective, SWEEP["properties"]["objective"]),
    (contracts.SweepDimension, SWEEP["$defs"]["dimension"]),
    (contracts.SweepTrial, SWEEP["$defs"]["trial"]),
    (contracts.SweepBest, SWEEP["$defs"]["best"]),
]


def _keys(typed: Any) -> set[str]:
    return set(typed.__required_keys__) | set(typed.__optional_keys__)


@pytest.mark.parametrize(("typed", "schema"), PAIRS, ids=[t.__name__ for t, _ in PAIRS])
def test_a_contract_type_has_its_schemas_fields(typed: Any, schema: dict[str, Any]) -> None:
    assert _keys(typed) == set(schema["properties"])
    # what the schema requires, the type requires (a type may require more: fields
    # nbops always writes that the schema leaves optional for older records)
    assert set(schema.get("required", [])) <= set(typed.__required_keys__)


def test_the_manifest_type_has_the_schemas_sections_and_each_features() -> None:
    features = {section.name for section in contracts.SECTIONS}
    assert _keys(contracts.Manifest) == set(TOP) | features
    assert set(contracts.Manifest.__required_keys__) == set(MANIFEST["required"])
    assert features.isdisjoint(TOP)


def test_each_feature_section_reads_and_sets_its_own_key() -> None:
    for section in contracts.SECTIONS:
        assert section.name in contracts.Manifest.__optional_keys__
        manifest: dict[str, Any] = {}
        section.put(manifest, {"marker": section.name})  # type: ignore[arg-type]
        assert manifest == {section.name: {"marker": section.name}}
        assert section.get(manifest) == {"marker": section.name}  # type: ignore[arg-type]


def test_a_gate_result_record_has_the_gate_results_fields() -> None:
    from nbops.registry._gates import GateResult

    assert _keys(contracts.GateResultRecord) == {f.name for f in dataclasses.fields(GateResult)}


def test_a_source_record_has_what_a_snapshot_records(tmp_path: Any) -> None:
    from nbops.sources import QuerySource, Snapshot, parse_connection

    source = QuerySource("ingest", "query", "select 1", parse_connection("duckdb:///w.duckdb",
                                                                          tmp_path),
                         ".nbops/sources/q.parquet")
    record = Snapshot(source, "blake3:" + "0" * 64, 1, 10, [{"name": "a", "type": "int64"}],
                      False).record()
    assert set(record) == _keys(contracts.SourceRecord)


def test_a_section_read_returns_none_for_an_invalid_value() -> None:
    valid: Any = {"verdict": "passed", "results": []}
    assert contracts.GATES.read({"gates": valid}) == valid  # type: ignore[typeddict-item]
    assert contracts.GATES.read({"gates": {"verdict": "maybe"}}) is None  # type: ignore[typeddict-item]
    assert schema_errors(valid, "gates.section", "nbops.registry.schemas") == []
