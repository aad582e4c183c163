"""The model registry file, ``.nbops/registry/models.json``, as types.

Written by :mod:`nbops.registry` (locally and, signed, on the team remote), read by the
registry, ``nbops serve-model``, ``nbops predict`` and the remote's trust checks. Each
TypedDict mirrors a part of ``nbops/core/schemas/registry.schema.json`` (the validator:
``nbops.registry`` checks every document against it on read and write);
``tests/nbops/contracts`` keeps their keys equal to the schema's. (No ``from __future__
import annotations`` here: ``NotRequired`` must be seen at run time.)
"""

from typing import Literal, NotRequired, TypedDict

from nbops.core import FeatureSchemaRecord, InputSpec


class _DataFileRequired(TypedDict):
    hash: str


class DataFileRef(_DataFileRequired, total=False):
    """A data file a version was trained or tested on (``$defs/file``)."""

    size: int
    path: str


class _ArtifactRequired(TypedDict):
    hash: str
    size: int
    format: Literal["skops"]
    trusted_types: list[str]


class ModelArtifact(_ArtifactRequired, total=False):
    """The stored model file of a version and the types it may load."""

    path: str


GateOutcome = Literal["passed", "failed", "not_evaluated"]


class _NewVersionRequired(TypedDict):
    run_id: str | None
    artifact: ModelArtifact
    metrics: dict[str, float]
    training_data: DataFileRef
    feature_schema: FeatureSchemaRecord


class NewVersion(_NewVersionRequired, total=False):
    """What registering a version records; the registry numbers and dates it
    (:class:`ModelVersion`)."""

    registered_by_run: str | None
    test_data: DataFileRef | None
    feature_schema_hash: str
    input_preparation: InputSpec
    input_preparation_hash: str
    git_commit: str | None
    gates: GateOutcome | None


class ModelVersion(NewVersion):
    """One registered version of a model (``$defs/version``)."""

    version: int
    registered_at: str


class MoveActor(TypedDict, total=False):
    """Who moved an alias: the run, the command line, the user."""

    run_id: str | None
    command: list[str]
    user: str | None


#: One alias move of a model's append-only history (``$defs/move``); ``from`` is a Python
#: keyword, hence the functional form.
AliasMove = TypedDict("AliasMove", {
    "alias": str,
    "from": int | None,
    "to": int | None,
    "at": str,
    "reason": str,
    "by": MoveActor,
    "action": NotRequired[Literal["promote", "rollback"]],
})


class RegisteredModel(TypedDict):
    """A named model: its versions, its aliases and their history (``$defs/model``)."""

    created_at: str
    versions: list[ModelVersion]
    aliases: dict[str, int]
    history: list[AliasMove]


class RegistryDocument(TypedDict):
    """The whole ``models.json``."""

    schema_version: int
    models: dict[str, RegisteredModel]
