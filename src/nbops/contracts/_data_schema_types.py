"""The data formats nbops.validation writes and other features read.

``DataSchemaRecord`` mirrors ``nbops/validation/schemas/data_schema.schema.json``
(``data_schema.json``: what a table must look like), ``FeatureSchemaRecord``
``feature_schema.schema.json`` (``feature_schema.json``: the frame a model scores, which
the registry records with each version and monitoring and serving read).
``tests/nbops/contracts`` keeps their keys equal to the schemas' properties. (No
``from __future__ import annotations``: ``NotRequired`` must be seen at run time.)
"""

from typing import Literal, NotRequired, TypedDict

import nbops.core as _core

ColumnDtype = Literal["int", "float", "bool", "category", "string", "datetime"]


class ColumnRule(TypedDict):
    """The rules for one column (only the rules that are set)."""

    name: str
    dtype: ColumnDtype
    nullable: NotRequired[bool]
    max_null_rate: NotRequired[float]
    min: NotRequired[float | str]
    max: NotRequired[float | str]
    categories: NotRequired[list[str]]
    unique: NotRequired[bool]


class DataSchemaRecord(TypedDict):
    """``data_schema.json``: the rules for a whole table."""

    schema_version: int
    min_rows: int
    target: NotRequired[str | None]
    source: NotRequired[str]
    columns: list[ColumnRule]


#: ``feature_schema.json`` and one of its features: ``nbops.core`` owns these types (the
#: one check of a frame against the schema lives there, below this layer); they are
#: named here too so that features find every shared format in one place.
FeatureSchemaRecord = _core.FeatureSchemaRecord
FeatureEntry = _core.FeatureRecord
