"""The data formats nbops.validation writes and other features read.

``DataSchemaRecord`` mirrors ``nbops/validation/schemas/data_schema.schema.json``
(``data_schema.json``: what a table must look like), ``FeatureSchemaRecord``
``feature_schema.schema.json`` (``feature_schema.json``: the frame a model scores, which
the registry records with each version and monitoring and serving read).
``tests/nbops/contracts`` keeps their keys equal to the schemas' properties. (No
``from __future__ import annotations``: ``NotRequired`` must be seen at run time.)
"""

from typing import Literal, NotRequired, TypedDict

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


class FeatureEntry(TypedDict):
    """One feature a model scores: its name, type and (categorical) known values."""

    name: str
    dtype: str  # int | float | category
    categories: NotRequired[list[str]]


class FeatureSchemaRecord(TypedDict):
    """``feature_schema.json``: the target, the date and id columns, and the features.

    The file as validation writes it. A registered version's copy is typed by
    ``nbops.core.FeatureSchemaRecord``, which requires only ``features`` (versions
    registered before the other keys existed still load); scoring code below this layer
    reads that one.
    """

    schema_version: int
    target: str
    date_column: NotRequired[str | None]
    id_columns: NotRequired[list[str]]
    features: list[FeatureEntry]
