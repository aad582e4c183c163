"""The contracts layer: every manifest section as a type, and the manifest file itself.

What one feature writes and another reads is described here once, so that producer and
consumer share a type without importing each other (ARCHITECTURE.md, "Contracts"):

    Manifest, TaskRecord, FileRecord, Provenance, ...    the run record (manifest.schema.json)
    GatesSection, RegistrySection, CardSection, ...     feature sections (their own schemas)
    GATES, REGISTRY, CARD, MONITORING, REPRODUCTIONS    each section's key, schema, read, set
    read_manifest / read_sealed_manifest / write_manifest   the file: validated, sealed
    CardEvaluation, MonitorReportRecord, DataSchemaRecord   formats features share
    FeatureSchemaRecord, ... and their parts
    JSONValue, JSONObject                               free-form JSON, the one type of it

The JSON Schemas stay the validators; ``tests/nbops/contracts`` keeps each type's keys
equal to its schema's properties. Only ``nbops.core`` sits below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbops.core import lazy_exports

if TYPE_CHECKING:
    from nbops.contracts._card_types import (
        Bootstrap,
        Calibration,
        CalibrationBin,
        CardCode,
        CardData,
        CardDataFile,
        CardDataSource,
        CardEnvironment,
        CardEvaluation,
        CardEvaluationRef,
        CardFeature,
        CardFeatureSchema,
        CardGateResult,
        CardGates,
        CardModel,
        CardModelType,
        DataFacts,
        EvaluationData,
        Importance,
        ImportanceItem,
        Interval,
        ModelDescription,
        SliceColumn,
        SliceRow,
        SliceSummary,
    )
    from nbops.contracts._data_schema_types import (
        ColumnDtype,
        ColumnRule,
        DataSchemaRecord,
        FeatureEntry,
        FeatureSchemaRecord,
    )
    from nbops.contracts._json import (
        JSONObject,
        JSONValue,
    )
    from nbops.contracts._manifest_file import (
        SEAL_NAME,
        SealState,
        check_seal,
        is_manifest,
        manifest_errors,
        read_manifest,
        read_sealed_manifest,
        reseal,
        seal_path,
        seal_state,
        write_manifest,
    )
    from nbops.contracts._monitoring_types import (
        BatchProblemRecord,
        DriftRecord,
        FeatureDriftSummary,
        MonitoredChampion,
        MonitoringAction,
        MonitoringReportFile,
        MonitorReportRecord,
        PerformanceRecord,
        PerformanceSummary,
        PredictionDriftSummary,
        RetrainAction,
        RetrainStatus,
    )
    from nbops.contracts._run_record import (
        BuildRecord,
        ColumnType,
        Curves,
        CurveSeries,
        ExperimentRef,
        Failure,
        FileRecord,
        GitRecord,
        Interrupted,
        LiveStatus,
        LiveTask,
        Manifest,
        ModelRef,
        Note,
        Notes,
        Overhead,
        Provenance,
        RunStatus,
        RunSummary,
        SourceRecord,
        StoredFile,
        StoreRecord,
        Tags,
        TaskError,
        TaskOutcome,
        TaskRecord,
        TaskStatus,
        UserValues,
    )
    from nbops.contracts._section_types import (
        CardChampion,
        CardSection,
        ChampionBefore,
        Diverged,
        EvaluatedOn,
        GateResultRecord,
        GatesSection,
        GateVerdict,
        MonitoringSection,
        RegistrationError,
        RegistrySection,
        ReproductionItem,
        ReproductionsSection,
    )
    from nbops.contracts._sections import (
        CARD,
        GATES,
        MONITORING,
        REGISTRY,
        REPRODUCTIONS,
        SECTIONS,
        Section,
        SectionName,
        SectionT,
    )

__all__ = [
    "BatchProblemRecord", "Bootstrap", "BuildRecord", "CARD", "Calibration", "CalibrationBin",
    "CardChampion", "CardCode", "CardData", "CardDataFile", "CardDataSource",
    "CardEnvironment", "CardEvaluation", "CardEvaluationRef", "CardFeature",
    "CardFeatureSchema", "CardGateResult", "CardGates", "CardModel", "CardModelType",
    "CardSection", "ChampionBefore", "ColumnDtype", "ColumnRule", "ColumnType", "CurveSeries",
    "Curves", "DataFacts", "DataSchemaRecord", "Diverged", "DriftRecord", "EvaluatedOn",
    "EvaluationData", "ExperimentRef", "Failure", "FeatureDriftSummary", "FeatureEntry",
    "FeatureSchemaRecord", "FileRecord", "GATES", "GateResultRecord", "GateVerdict",
    "GatesSection", "GitRecord", "Importance", "ImportanceItem", "Interrupted", "Interval",
    "JSONObject", "JSONValue", "LiveStatus", "LiveTask", "MONITORING", "Manifest",
    "ModelDescription", "ModelRef", "MonitorReportRecord", "MonitoredChampion",
    "MonitoringAction", "MonitoringReportFile", "MonitoringSection", "Note", "Notes",
    "Overhead", "PerformanceRecord", "PerformanceSummary", "PredictionDriftSummary",
    "Provenance", "REGISTRY", "REPRODUCTIONS", "RegistrationError", "RegistrySection",
    "ReproductionItem", "ReproductionsSection", "RetrainAction", "RetrainStatus", "RunStatus",
    "RunSummary", "SEAL_NAME", "SECTIONS", "SealState", "Section", "SectionName", "SectionT",
    "SliceColumn", "SliceRow", "SliceSummary", "SourceRecord", "StoreRecord", "StoredFile",
    "Tags", "TaskError", "TaskOutcome", "TaskRecord", "TaskStatus", "UserValues", "check_seal",
    "is_manifest", "manifest_errors", "read_manifest", "read_sealed_manifest", "reseal",
    "seal_path", "seal_state", "write_manifest",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, {
        "_manifest_file": (
            "SEAL_NAME", "SealState", "check_seal", "is_manifest", "manifest_errors",
            "read_manifest", "read_sealed_manifest", "reseal", "seal_path", "seal_state",
            "write_manifest",
        ),
        "_run_record": (
            "BuildRecord", "ColumnType", "CurveSeries", "Curves", "ExperimentRef", "Failure",
            "FileRecord", "GitRecord", "Interrupted", "LiveStatus", "LiveTask", "Manifest",
            "ModelRef", "Note", "Notes", "Overhead", "Provenance", "RunStatus", "RunSummary",
            "SourceRecord", "StoreRecord", "StoredFile", "Tags", "TaskError", "TaskOutcome",
            "TaskRecord", "TaskStatus", "UserValues",
        ),
        "_section_types": (
            "CardChampion", "CardSection", "ChampionBefore", "Diverged", "EvaluatedOn",
            "GateResultRecord", "GateVerdict", "GatesSection", "MonitoringSection",
            "RegistrationError", "RegistrySection", "ReproductionItem", "ReproductionsSection",
        ),
        "_sections": (
            "CARD", "GATES", "MONITORING", "REGISTRY", "REPRODUCTIONS", "SECTIONS", "Section",
            "SectionName", "SectionT",
        ),
        "_card_types": (
            "Bootstrap", "Calibration", "CalibrationBin", "CardCode", "CardData",
            "CardDataFile", "CardDataSource", "CardEnvironment", "CardEvaluation",
            "CardEvaluationRef", "CardFeature", "CardFeatureSchema", "CardGateResult",
            "CardGates", "CardModel", "CardModelType", "DataFacts", "EvaluationData",
            "Importance", "ImportanceItem", "Interval", "ModelDescription", "SliceColumn",
            "SliceRow", "SliceSummary",
        ),
        "_json": ("JSONObject", "JSONValue"),
        "_monitoring_types": (
            "BatchProblemRecord", "DriftRecord", "FeatureDriftSummary", "MonitorReportRecord",
            "MonitoredChampion", "MonitoringAction", "MonitoringReportFile",
            "PerformanceRecord", "PerformanceSummary", "PredictionDriftSummary",
            "RetrainAction", "RetrainStatus",
        ),
        "_data_schema_types": (
            "ColumnDtype", "ColumnRule", "DataSchemaRecord", "FeatureEntry", "FeatureSchemaRecord",
        ),
    })
