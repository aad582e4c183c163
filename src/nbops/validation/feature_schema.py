"""The feature schema: the columns a model scores, for checking new batches.

``feature_schema.json`` looks like::

    {"schema_version": 1, "target": "churn", "date_column": "signup_date",
     "id_columns": ["customer_id"],
     "features": [{"name": "tenure_months", "dtype": "int"},
                  {"name": "contract", "dtype": "category",
                   "categories": ["Month-to-month", "One year", "Two year"]}]}

``dtype`` is ``int`` or ``float`` (numeric features) or ``category``
(categorical features, with the categories seen in training).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from nbops.core.errors import ValidationError

SCHEMA_VERSION = 1
FeatureDtype = Literal["int", "float", "category"]


@dataclass(frozen=True)
class FeatureSpec:
    """One model input: its name, type and (categorical only) training categories."""

    name: str
    dtype: FeatureDtype
    categories: tuple[str, ...] | None = None

    @property
    def is_numeric(self) -> bool:
        """True for ``int`` and ``float`` features."""
        return self.dtype in ("int", "float")

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        data: dict[str, Any] = {"name": self.name, "dtype": self.dtype}
        if self.categories is not None:
            data["categories"] = list(self.categories)
        return data


@dataclass(frozen=True)
class FeatureSchema:
    """The frame a model scores: its features, target, date and id columns."""

    target: str
    features: tuple[FeatureSpec, ...]
    date_column: str | None = None
    id_columns: tuple[str, ...] = ()
    schema_version: int = field(default=SCHEMA_VERSION)

    @property
    def names(self) -> list[str]:
        """Feature names, in model order."""
        return [f.name for f in self.features]

    @property
    def numeric(self) -> list[str]:
        """Names of the numeric features."""
        return [f.name for f in self.features if f.is_numeric]

    @property
    def categorical(self) -> list[str]:
        """Names of the categorical features."""
        return [f.name for f in self.features if not f.is_numeric]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form written to ``feature_schema.json``."""
        return {
            "schema_version": self.schema_version,
            "target": self.target,
            "date_column": self.date_column,
            "id_columns": list(self.id_columns),
            "features": [f.to_dict() for f in self.features],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureSchema:
        """Inverse of :meth:`to_dict`."""
        return cls(
            target=data["target"],
            features=tuple(
                FeatureSpec(
                    f["name"],
                    f["dtype"],
                    tuple(f["categories"]) if "categories" in f else None,
                )
                for f in data["features"]
            ),
            date_column=data.get("date_column"),
            id_columns=tuple(data.get("id_columns", ())),
            schema_version=data["schema_version"],
        )


def check_batch(frame: pd.DataFrame, schema: FeatureSchema, max_values: int = 3) -> list[str]:
    """Check that ``frame`` can be scored by a model trained on ``schema``.

    Missing feature columns and non-numeric values in numeric features are
    errors; categories never seen in training are returned as warnings (the
    model encodes them as "unknown").

    Raises:
        ValidationError: naming the missing columns or offending values.
    """
    missing = [name for name in schema.names if name not in frame.columns]
    if missing:
        raise ValidationError(
            f"the batch lacks feature column(s) {', '.join(map(repr, missing))}",
            "score a frame with the same columns the model was trained on "
            "(see feature_schema.json)",
        )
    problems: list[str] = []
    warnings: list[str] = []
    for spec in schema.features:
        column = frame[spec.name]
        if spec.is_numeric:
            numbers = pd.to_numeric(column, errors="coerce")
            bad = column[numbers.isna() & column.notna()]
            if len(bad):
                shown = ", ".join(repr(v) for v in pd.unique(bad.astype(object))[:max_values])
                problems.append(f"{spec.name!r} has {len(bad)} non-numeric value(s), e.g. {shown}")
        elif spec.categories is not None:
            values = column.dropna().astype(str)
            unseen = values[~values.isin(spec.categories)]
            if len(unseen):
                shown = ", ".join(repr(v) for v in pd.unique(unseen)[:max_values])
                warnings.append(
                    f"{spec.name!r} has {len(unseen)} value(s) never seen in training, e.g. {shown}"
                )
    if problems:
        raise ValidationError(
            "the batch cannot be scored: " + "; ".join(problems),
            "fix those values at the source (numeric features must hold numbers or be empty)",
        )
    return warnings
