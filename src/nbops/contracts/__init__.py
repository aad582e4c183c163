"""The contracts layer: every manifest section as a type, and the manifest file itself.

What one feature writes and another reads is described here once, so that producer and
consumer share a type without importing each other (ARCHITECTURE.md, "Contracts"):

    Manifest, TaskRecord, FileRecord, Provenance, ...    the run record (manifest.schema.json)
    GatesSection, RegistrySection, CardSection, ...     feature sections (their own schemas)
    GATES, REGISTRY, CARD, MONITORING, REPRODUCTIONS    each section's key, schema, read, set
    read_manifest / read_sealed_manifest / write_manifest   the file: validated, sealed
    RegistryDocument, RegisteredModel, ModelVersion, ...  .nbops/registry/models.json
    PulledRecord                                        a pulled run's pulled.json
    JSONValue, JSONObject                               free-form JSON (the one type)

The JSON Schemas stay the validators; ``tests/nbops/contracts`` keeps each type's keys
equal to its schema's properties. Only ``nbops.core`` sits below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbops.core import lazy_exports

if TYPE_CHECKING:
    from nbops.contracts._json import JSONObject, JSONValue
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
    from nbops.contracts._sync_types import PulledRecord

__all__ = [
    "AliasMove", "BuildRecord", "CARD", "CardSection", "ChampionBefore", "ColumnType",
    "CurveSeries", "Curves", "DataFileRef", "Diverged", "EvaluatedOn", "ExperimentRef",
    "Failure", "FileRecord", "GATES", "GateOutcome", "GateResultRecord", "GateVerdict",
    "GatesSection", "GitRecord", "Interrupted", "JSONObject", "JSONValue", "LiveStatus",
    "LiveTask", "MONITORING", "Manifest", "ModelArtifact", "ModelRef", "ModelVersion",
    "MonitoringSection", "MoveActor", "NewVersion", "Note", "Notes", "Overhead", "Provenance",
    "PulledRecord", "REGISTRY", "REPRODUCTIONS", "RegisteredModel", "RegistrationError",
    "RegistryDocument", "RegistrySection", "ReproductionItem", "ReproductionsSection",
    "RunStatus", "RunSummary", "SEAL_NAME", "SECTIONS", "SealState", "Section", "SectionName",
    "SectionT", "SourceRecord", "StoreRecord", "StoredFile", "Tags", "TaskError", "TaskOutcome",
    "TaskRecord", "TaskStatus", "UserValues", "check_seal", "is_manifest", "manifest_errors",
    "read_manifest", "read_sealed_manifest", "reseal", "seal_path", "seal_state",
    "write_manifest",
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
            "CardSection", "ChampionBefore", "Diverged", "EvaluatedOn", "GateResultRecord",
            "GateVerdict", "GatesSection", "MonitoringSection", "RegistrationError",
            "RegistrySection", "ReproductionItem", "ReproductionsSection",
        ),
        "_sections": (
            "CARD", "GATES", "MONITORING", "REGISTRY", "REPRODUCTIONS", "SECTIONS", "Section",
            "SectionName", "SectionT",
        ),
        "_json": ("JSONObject", "JSONValue"),
        "_registry_types": (
            "AliasMove", "DataFileRef", "GateOutcome", "ModelArtifact", "ModelVersion",
            "MoveActor", "NewVersion", "RegisteredModel", "RegistryDocument",
        ),
        "_sync_types": ("PulledRecord",),
    })
