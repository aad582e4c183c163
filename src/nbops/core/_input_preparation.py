"""The input-preparation spec of a registered model: what to do to raw data before scoring.

Plain data and a hash, no pandas: the registry records the spec (and its hash)
in every version it registers, derived from the version's feature schema, and
:mod:`nbops.validation._preparation` applies it to frames in ``nbops
serve-model``, ``nbops monitor`` and the monitoring pipeline.  The spec states
the validate step's cleaning declaratively::

    {"spec_version": 1, "strip_text": true, "blank_is_missing": true,
     "numeric": [...],                 # text -> numbers (blanks missing)
     "categorical": [...],             # values -> stripped text (blanks missing)
     "order": [...],                   # the model's input columns, in order
     "target": {"name": "churn", "positive": [...], "negative": [...]}}
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Final, Literal, TypedDict

if TYPE_CHECKING:
    from nbops.core._feature_schema import FeatureSchemaRecord

SPEC_VERSION: Final = 1
# Label spellings mapped to 1 / 0 (compared stripped and lower-cased), as the validate step maps.
POSITIVE = ("1", "1.0", "yes", "y", "true", "t", "churn", "churned", "positive")
NEGATIVE = ("0", "0.0", "no", "n", "false", "f", "stayed", "negative")


class TargetLabels(TypedDict):
    """The target column and the label spellings mapped to 1 and 0."""

    name: str | None
    positive: list[str]
    negative: list[str]


class InputSpec(TypedDict):
    """The preparation spec (the module docstring shows one)."""

    spec_version: Literal[1]
    strip_text: bool
    blank_is_missing: bool
    numeric: list[str]
    categorical: list[str]
    order: list[str]
    target: TargetLabels


class _VersionSchema(TypedDict):
    feature_schema: FeatureSchemaRecord


class VersionInputs(_VersionSchema, total=False):
    """What :func:`of_version` reads of a registry version."""

    input_preparation: InputSpec


def spec_from_feature_schema(schema: FeatureSchemaRecord) -> InputSpec:
    """The preparation spec of a model trained on ``schema`` (a feature_schema.json dict)."""
    features = schema["features"]
    numeric = ("int", "float", "int64", "float64", "int32", "float32")
    return {
        "spec_version": SPEC_VERSION,
        "strip_text": True,
        "blank_is_missing": True,
        "numeric": [f["name"] for f in features if f["dtype"] in numeric],
        "categorical": [f["name"] for f in features if f["dtype"] not in numeric],
        "order": [f["name"] for f in features],
        "target": {
            "name": schema.get("target"),
            "positive": list(POSITIVE),
            "negative": list(NEGATIVE),
        },
    }


def spec_bytes(spec: InputSpec) -> bytes:
    """Canonical JSON bytes of ``spec`` (what its hash is taken of)."""
    return json.dumps(spec, sort_keys=True, separators=(",", ":")).encode()


def spec_hash(spec: InputSpec) -> str:
    """``blake3:<hex>`` of the canonical spec."""
    from nbops.core._hashing import hash_bytes

    return hash_bytes(spec_bytes(spec))


def of_version(record: VersionInputs) -> InputSpec:
    """The spec a registry version recorded, or (older versions) the one its schema implies."""
    recorded = record.get("input_preparation")
    return recorded.copy() if recorded else spec_from_feature_schema(record["feature_schema"])
