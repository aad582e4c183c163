"""Generic data validation for notebook pipelines, built on pandera.

A :class:`~nbops.validation._spec.DataSchema` declares what a table must look
like (column types, ranges, allowed categories, null rates, unique ids,
minimum row count).  It can be written by hand, or inferred from trusted
reference data with :func:`~nbops.validation._infer.infer_schema`, saved as
JSON (``schema_version`` + a shipped JSON Schema) and checked with
:func:`~nbops.validation._validate.validate`, which raises
:class:`nbops.core._errors.ValidationError` naming each failing column, check
and a few offending values.

A :class:`~nbops.core._feature_schema.FeatureSchema` describes the
feature frame a model scores (re-exported here); it lives in ``nbops.core``
because every feature that scores a frame checks it the same way
(:func:`~nbops.core._feature_schema.check_batch`,
:func:`~nbops.core._feature_schema.check_input`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbops.core import lazy_exports

if TYPE_CHECKING:
    from nbops.core import FeatureSchema, FeatureSpec, check_batch
    from nbops.validation._config_files import check_project
    from nbops.validation._infer import infer_schema
    from nbops.validation._preparation import clean_raw, prepare_for_model
    from nbops.validation._preparation import labels as map_labels
    from nbops.validation._schema_file import (
        read_data_schema,
        read_feature_schema,
        write_data_schema,
        write_feature_schema,
    )
    from nbops.validation._spec import ColumnSpec, DataSchema
    from nbops.validation._validate import validate

__all__ = [
    "ColumnSpec", "DataSchema", "FeatureSchema", "FeatureSpec", "check_batch", "check_project",
    "clean_raw", "infer_schema", "map_labels", "prepare_for_model", "read_data_schema",
    "read_feature_schema", "validate", "write_data_schema", "write_feature_schema",
]

# Each public name's private module, imported on first use. Type checkers see the
# imports above instead, so that they flag a name the package does not export.
if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, {
        "_config_files": ("check_project",),
        "_infer": ("infer_schema",),
        "_preparation": ("clean_raw", "map_labels=labels", "prepare_for_model"),
        "_schema_file": (
            "read_data_schema", "read_feature_schema", "write_data_schema", "write_feature_schema",
        ),
        "_spec": ("ColumnSpec", "DataSchema"),
        "_validate": ("validate",),
        "nbops.core": ("FeatureSchema", "FeatureSpec", "check_batch"),
    })
