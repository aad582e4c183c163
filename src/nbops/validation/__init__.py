"""Generic data validation for notebook pipelines, built on pandera.

A :class:`~nbops.validation.spec.DataSchema` declares what a table must look
like (column types, ranges, allowed categories, null rates, unique ids,
minimum row count).  It can be written by hand, or inferred from trusted
reference data with :func:`~nbops.validation.infer.infer_schema`, saved as
JSON (``schema_version`` + a shipped JSON Schema) and checked with
:func:`~nbops.validation.validate.validate`, which raises
:class:`nbops.core.errors.ValidationError` naming each failing column, check
and a few offending values.

A :class:`~nbops.core.feature_schema.FeatureSchema` describes the
feature frame a model scores (re-exported here); it lives in ``nbops.core``
because every feature that scores a frame checks it the same way
(:func:`~nbops.core.feature_schema.check_batch`,
:func:`~nbops.core.feature_schema.check_input`).
"""

from __future__ import annotations

from nbops.core.feature_schema import FeatureSchema, FeatureSpec, check_batch
from nbops.validation.infer import infer_schema
from nbops.validation.schema_file import (
    read_data_schema,
    read_feature_schema,
    write_data_schema,
    write_feature_schema,
)
from nbops.validation.spec import ColumnSpec, DataSchema
from nbops.validation.validate import validate

__all__ = [
    "ColumnSpec",
    "DataSchema",
    "FeatureSchema",
    "FeatureSpec",
    "check_batch",
    "infer_schema",
    "read_data_schema",
    "read_feature_schema",
    "validate",
    "write_data_schema",
    "write_feature_schema",
]
