"""Data schemas for the churn pipeline.

The embedded generator has a declared schema (:func:`reference_schema`): the
ranges, categories and missing-value rates it is built to produce.  User
data gets a schema inferred from itself on the first run (write it out and pass
it back with ``--env--data--schema FILE`` to hold later files to it).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from churn import generator
from churn.data import Roles, is_embedded
from nbops.validation import ColumnSpec, DataSchema, infer_schema, read_data_schema

NULL_SLACK = 0.05


def reference_schema(min_rows: int = 100) -> DataSchema:
    """The rules the embedded generator's (undrifted) output satisfies."""
    rate = {name: r + NULL_SLACK for name, r in generator.MISSING_RATES.items()}
    rate["total_charges"] = 0.03 + NULL_SLACK
    numeric = {
        "tenure_months": ("int", 0, 72),
        "monthly_charges": ("float", 18, 200),
        "total_charges": ("float", 0, 72 * 200 * 1.1),
        "support_calls": ("int", 0, 30),
        "data_usage_gb": ("float", 0, 2000),
        "age": ("int", 18, 95),
    }
    columns = [
        ColumnSpec(generator.ID_COLUMN, "string", nullable=False, unique=True),
        ColumnSpec(generator.DATE_COLUMN, "datetime", nullable=False),
    ]
    for name, (dtype, low, high) in numeric.items():
        columns.append(
            ColumnSpec(name, dtype, max_null_rate=rate.get(name, 0.0), min=low, max=high)  # type: ignore[arg-type]
        )
    for name, levels in generator.CATEGORIES.items():
        columns.append(
            ColumnSpec(
                name,
                "category",
                max_null_rate=rate.get(name, 0.0),
                categories=tuple(levels),
            )
        )
    columns.append(
        ColumnSpec(generator.TARGET, "int", nullable=False, min=0, max=1, categories=None)
    )
    return DataSchema(
        columns=tuple(columns),
        min_rows=min_rows,
        target=generator.TARGET,
        source="declared for the embedded churn generator",
    )


def schema_for(
    frame: pd.DataFrame,
    roles: Roles,
    data_path: str | Path | None,
    schema_path: str | Path | None = None,
) -> DataSchema:
    """The schema to validate ``frame`` against.

    A schema file given by ``schema_path`` wins; else the declared schema
    for embedded data; else one inferred from ``frame`` itself.
    """
    if not is_embedded(schema_path):
        assert schema_path is not None
        return read_data_schema(Path(schema_path))
    if is_embedded(data_path) and roles.target == generator.TARGET:
        return reference_schema()
    return infer_schema(
        frame,
        unique=roles.id_columns,
        target=roles.target,
        source=f"inferred from {Path(str(data_path)).name}",
    )


def _range(low: float | str | None, high: float | str | None) -> str:
    if low is None and high is None:
        return ""
    return f"[{'' if low is None else low}, {'' if high is None else high}]"


def describe(data_schema: DataSchema) -> pd.DataFrame:
    """The schema's rules as a table, one row per column (blank = no rule)."""
    rows = []
    for spec in data_schema.columns:
        categories = ", ".join(spec.categories) if spec.categories else ""
        rows.append(
            {
                "column": spec.name,
                "type": spec.dtype,
                "nullable": "yes" if spec.nullable else "no",
                "max null rate": "" if spec.max_null_rate is None else f"{spec.max_null_rate:.1%}",
                "range": _range(spec.min, spec.max),
                "categories": categories if len(categories) <= 80 else categories[:77] + "...",
                "unique": "yes" if spec.unique else "",
            }
        )
    return pd.DataFrame(rows).set_index("column")


def fix_hint(data_path: str | Path | None, schema_path: str | Path | None = None) -> str:
    """What a validation failure should tell the reader to do, given where the rules came from."""
    if not is_embedded(schema_path):
        return (
            f"correct the data at its source, or update {schema_path} if the new values "
            "are legitimate"
        )
    if is_embedded(data_path):
        return (
            "generate at least 100 rows (--env--data--rows N); any other failure means "
            "churn/generator.py and churn/schema.py disagree"
        )
    return "correct the data at its source"
