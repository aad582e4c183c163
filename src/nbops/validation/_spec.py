"""The data schema: what a table must look like, as plain serialisable data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from nbops.contracts import ColumnRule, DataSchemaRecord

SCHEMA_VERSION = 1

Dtype = Literal["int", "float", "bool", "category", "string", "datetime"]
DTYPES: tuple[str, ...] = ("int", "float", "bool", "category", "string", "datetime")


@dataclass(frozen=True)
class ColumnSpec:
    """Rules for one column.

    Attributes:
        name: column name.
        dtype: logical type: values must parse as this type.
        nullable: whether missing values are allowed at all.
        max_null_rate: highest allowed share of missing values (0..1), or None.
        min: lowest allowed value (numbers and datetimes as ISO strings), or None.
        max: highest allowed value, or None.
        categories: allowed values for ``category`` columns, or None for any.
        unique: whether every value must be distinct (ids).
    """

    name: str
    dtype: Dtype
    nullable: bool = True
    max_null_rate: float | None = None
    min: float | str | None = None
    max: float | str | None = None
    categories: tuple[str, ...] | None = None
    unique: bool = False

    def to_dict(self) -> ColumnRule:
        """The JSON form: only the rules that are set (in field order)."""
        data: ColumnRule = {"name": self.name, "dtype": self.dtype, "nullable": self.nullable}
        if self.max_null_rate is not None:
            data["max_null_rate"] = self.max_null_rate
        if self.min is not None:
            data["min"] = self.min
        if self.max is not None:
            data["max"] = self.max
        if self.categories is not None:
            data["categories"] = list(self.categories)
        data["unique"] = self.unique
        return data

    @classmethod
    def from_dict(cls, data: ColumnRule) -> ColumnSpec:
        """Inverse of :meth:`to_dict`."""
        categories = data.get("categories")
        return cls(name=data["name"], dtype=data["dtype"], nullable=data.get("nullable", True),
                   max_null_rate=data.get("max_null_rate"), min=data.get("min"),
                   max=data.get("max"),
                   categories=tuple(categories) if categories is not None else None,
                   unique=data.get("unique", False))


@dataclass(frozen=True)
class DataSchema:
    """Rules for a whole table.

    Attributes:
        columns: one :class:`ColumnSpec` per required column.
        min_rows: fewest rows the table may have.
        target: name of the label column, if the table has one.
        source: free text saying where the rules came from (e.g. "inferred from raw.parquet").
    """

    columns: tuple[ColumnSpec, ...]
    min_rows: int = 1
    target: str | None = None
    source: str = ""
    schema_version: int = field(default=SCHEMA_VERSION)

    def column(self, name: str) -> ColumnSpec:
        """The spec of column ``name`` (KeyError if absent)."""
        for spec in self.columns:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def to_dict(self) -> DataSchemaRecord:
        """The JSON form written to ``data_schema.json``."""
        data: DataSchemaRecord = {
            "schema_version": self.schema_version,
            "min_rows": self.min_rows,
            "target": self.target,
            "source": self.source,
            "columns": [c.to_dict() for c in self.columns],
        }
        return data

    @classmethod
    def from_dict(cls, data: DataSchemaRecord) -> DataSchema:
        """Inverse of :meth:`to_dict`."""
        return cls(
            columns=tuple(ColumnSpec.from_dict(c) for c in data["columns"]),
            min_rows=data.get("min_rows", 1),
            target=data.get("target"),
            source=data.get("source", ""),
            schema_version=data["schema_version"],
        )
