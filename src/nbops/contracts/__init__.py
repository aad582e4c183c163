"""The contracts layer: every manifest section as a type, and the manifest file itself.

What one feature writes and another reads is described here once, so that producer and
consumer share a type without importing each other (ARCHITECTURE.md, "Contracts"):

    Manifest, TaskRecord, FileRecord, Provenance, ...    the run record (manifest.schema.json)
    GatesSection, RegistrySection, CardSection, ...     feature sections (their own schemas)
    GATES, REGISTRY, CARD, MONITORING, REPRODUCTIONS    each section's key, schema, read, set
    read_manifest / read_sealed_manifest / write_manifest   the file: validated, sealed
    Format, FORMATS, MANIFEST_FILE, REGISTRY_FILE, ...  every on-disk format: version, schema,
                                                        upgraders from older versions
    CardEvaluation, MonitorReportRecord, DataSchemaRecord   formats features share
    FeatureSchemaRecord, ... and their parts
    JSONValue, JSONObject                               free-form JSON, the one type of it
    RegistryDocument, RegisteredModel, ModelVersion, ...  .nbops/registry/models.json
    PulledRecord                                        a pulled run's pulled.json
    ReproductionRecord, ReproducedTask, ...             a reproduction record
    SweepRecord, SweepTrial, ...                        a sweep's sweep.json

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
    from nbops.contracts._formats import (
        CARD_EVALUATION,
        DATA_SCHEMA,
        FEATURE_SCHEMA,
        FORMATS,
        HASH_CACHE,
        INDEX_CHECKED,
        LIVE_STATUS,
        LOCK,
        MANIFEST_FILE,
        MONITOR_REPORT,
        NEWER_FIX,
        PINS,
        PULLED_RUN,
        REGISTRY_FILE,
        REGISTRY_SEAL,
        REMOTE_INDEX,
        REPRODUCTION_RECORD,
        RUN_CONTENTS,
        RUN_INDEX_LINE,
        RUN_SIGNATURE,
        SEAL_FILE,
        SWEEP_RECORD,
        TASK_RESULT,
        Format,
        Upgrader,
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
    from nbops.contracts._registry_types import (
        AliasMove,
        DataFileRef,
        GateOutcome,
        ModelArtifact,
        ModelVersion,
        MoveActor,
        NewVersion,
        RegisteredModel,
        RegistryDocument,
    )
    from nbops.contracts._reproduction_types import (
        EnvironmentComparison,
        EnvironmentDifference,
        LockComparison,
        ReproducedCode,
        ReproducedTask,
        ReproductionBuild,
        ReproductionCheck,
        ReproductionInputs,
        ReproductionParameters,
        ReproductionRecord,
        ToleranceRecord,
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
    from nbops.contracts._sweep_types import (
        SweepBest,
        SweepDimension,
        SweepObjective,
        SweepRecord,
        SweepRegistered,
        SweepSampler,
        SweepTrial,
    )
    from nbops.contracts._sync_types import PulledRecord

__all__ = [
    "AliasMove", "BatchProblemRecord", "Bootstrap", "BuildRecord", "CARD", "CARD_EVALUATION",
    "Calibration", "CalibrationBin", "CardChampion", "CardCode", "CardData", "CardDataFile",
    "CardDataSource", "CardEnvironment", "CardEvaluation", "CardEvaluationRef", "CardFeature",
    "CardFeatureSchema", "CardGateResult", "CardGates", "CardModel", "CardModelType",
    "CardSection", "ChampionBefore", "ColumnDtype", "ColumnRule", "ColumnType", "CurveSeries",
    "Curves", "DATA_SCHEMA", "DataFacts", "DataFileRef", "DataSchemaRecord", "Diverged",
    "DriftRecord", "EnvironmentComparison", "EnvironmentDifference", "EvaluatedOn",
    "EvaluationData", "ExperimentRef", "FEATURE_SCHEMA", "FORMATS", "Failure",
    "FeatureDriftSummary", "FeatureEntry", "FeatureSchemaRecord", "FileRecord", "Format", "GATES",
    "GateOutcome", "GateResultRecord", "GateVerdict", "GatesSection", "GitRecord", "HASH_CACHE",
    "INDEX_CHECKED", "Importance", "ImportanceItem", "Interrupted", "Interval", "JSONObject",
    "JSONValue", "LIVE_STATUS", "LOCK", "LiveStatus", "LiveTask", "LockComparison",
    "MANIFEST_FILE", "MONITORING", "MONITOR_REPORT", "Manifest", "ModelArtifact",
    "ModelDescription", "ModelRef", "ModelVersion", "MonitorReportRecord", "MonitoredChampion",
    "MonitoringAction", "MonitoringReportFile", "MonitoringSection", "MoveActor", "NEWER_FIX",
    "NewVersion", "Note", "Notes", "Overhead", "PINS", "PULLED_RUN", "PerformanceRecord",
    "PerformanceSummary", "PredictionDriftSummary", "Provenance", "PulledRecord", "REGISTRY",
    "REGISTRY_FILE", "REGISTRY_SEAL", "REMOTE_INDEX", "REPRODUCTIONS", "REPRODUCTION_RECORD",
    "RUN_CONTENTS", "RUN_INDEX_LINE", "RUN_SIGNATURE", "RegisteredModel", "RegistrationError",
    "RegistryDocument", "RegistrySection", "ReproducedCode", "ReproducedTask",
    "ReproductionBuild", "ReproductionCheck", "ReproductionInputs", "ReproductionItem",
    "ReproductionParameters", "ReproductionRecord", "ReproductionsSection", "RetrainAction",
    "RetrainStatus", "RunStatus", "RunSummary", "SEAL_FILE", "SEAL_NAME", "SECTIONS",
    "SWEEP_RECORD", "SealState", "Section", "SectionName", "SectionT", "SliceColumn", "SliceRow",
    "SliceSummary", "SourceRecord", "StoreRecord", "StoredFile", "SweepBest", "SweepDimension",
    "SweepObjective", "SweepRecord", "SweepRegistered", "SweepSampler", "SweepTrial",
    "TASK_RESULT", "Tags", "TaskError", "TaskOutcome", "TaskRecord", "TaskStatus",
    "ToleranceRecord", "Upgrader", "UserValues", "check_seal", "is_manifest", "manifest_errors",
    "read_manifest", "read_sealed_manifest", "reseal", "seal_path", "seal_state",
    "write_manifest",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, {
        "_formats": (
            "CARD_EVALUATION", "DATA_SCHEMA", "FEATURE_SCHEMA", "FORMATS", "Format",
            "HASH_CACHE", "INDEX_CHECKED", "LIVE_STATUS", "LOCK", "MANIFEST_FILE",
            "MONITOR_REPORT", "NEWER_FIX", "PINS", "PULLED_RUN", "REGISTRY_FILE", "REGISTRY_SEAL",
            "REMOTE_INDEX", "REPRODUCTION_RECORD", "RUN_CONTENTS", "RUN_INDEX_LINE",
            "RUN_SIGNATURE", "SEAL_FILE", "SWEEP_RECORD", "TASK_RESULT", "Upgrader",
        ),
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
        "_registry_types": (
            "AliasMove", "DataFileRef", "GateOutcome", "ModelArtifact", "ModelVersion",
            "MoveActor", "NewVersion", "RegisteredModel", "RegistryDocument",
        ),
        "_sync_types": ("PulledRecord",),
        "_reproduction_types": (
            "EnvironmentComparison", "EnvironmentDifference", "LockComparison", "ReproducedCode",
            "ReproducedTask", "ReproductionBuild", "ReproductionCheck", "ReproductionInputs",
            "ReproductionParameters", "ReproductionRecord", "ToleranceRecord",
        ),
        "_sweep_types": (
            "SweepBest", "SweepDimension", "SweepObjective", "SweepRecord", "SweepRegistered",
            "SweepSampler", "SweepTrial",
        ),
    })
