"""The reference profile: what the champion was trained on, summarised once.

Building the profile sorts each numeric reference column once, fixes its
quantile bin edges and counts, and counts each categorical feature's known
categories. Every batch is then compared against the profile without touching
the reference data again.

The feature schema is the registry's: ``{schema_version, target,
features: [{name, dtype, categories?}]}``. A feature is *numeric* when its
dtype is an integer, float or boolean type (booleans count as 0/1), a *date*
(not monitored: dates move forward by design) for datetime types, and
*categorical* otherwise — the same reading of dtype names as the registry's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nbops.contracts import FeatureEntry, FeatureSchemaRecord
from nbops.core import DataError
from nbops.monitoring._psi import bin_counts, quantile_edges

NUMERIC_PREFIXES = ("int", "uint", "float", "number", "numeric", "double", "bool")
DATE_PREFIXES = ("datetime", "date", "timestamp")


@dataclass(frozen=True)
class NumericReference:
    """A numeric feature of the reference data."""

    name: str
    sorted_values: np.ndarray
    edges: np.ndarray
    counts: np.ndarray
    missing_rate: float
    rows: int

    @property
    def kind(self) -> str:
        return "numeric"


@dataclass(frozen=True)
class CategoricalReference:
    """A categorical feature of the reference data (categories in a fixed order)."""

    name: str
    categories: tuple[str, ...]
    counts: np.ndarray
    missing_rate: float
    rows: int

    @property
    def kind(self) -> str:
        return "categorical"


FeatureReference = NumericReference | CategoricalReference


@dataclass(frozen=True)
class ReferenceProfile:
    """Everything a batch is compared with.

    Attributes:
        features: Per-feature reference, in schema order.
        dtypes: Each feature's declared dtype (for type checks of a batch).
        target: The label column's name, if the schema declares one.
        scores: The champion's scores on the reference data (prediction drift).
        metrics: The champion's reference metrics (e.g. ``roc_auc`` on its test set).
        metrics_counts: Positives and negatives behind the reference metrics, when known.
    """

    features: dict[str, FeatureReference]
    dtypes: dict[str, str]
    target: str | None = None
    scores: NumericReference | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    metrics_counts: tuple[int, int] | None = None


def feature_kind(spec: FeatureEntry) -> str:
    """``"numeric"``, ``"categorical"`` or ``"date"`` for one schema feature entry."""
    if spec.get("categories") is not None:
        return "categorical"
    dtype = str(spec.get("dtype", "")).lower()
    if dtype.startswith(NUMERIC_PREFIXES):
        return "numeric"
    if dtype.startswith(DATE_PREFIXES):
        return "date"
    return "categorical"


def numeric_values(column: pd.Series) -> np.ndarray:
    """A column as float64 with NaN for missing (booleans become 0/1)."""
    numbers: np.ndarray = pd.to_numeric(column, errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan)
    return numbers


def category_codes(column: pd.Series, categories: tuple[str, ...]) -> np.ndarray:
    """Index of each value in ``categories``; ``-1`` unseen, ``-2`` missing."""
    known = pd.Index(categories)
    if isinstance(column.dtype, pd.CategoricalDtype):
        # Map the column's own categories once instead of hashing every row.
        mapping = known.get_indexer(column.cat.categories.astype(str))
        raw = column.cat.codes.to_numpy().astype(np.int64)
        return np.where(raw >= 0, mapping[raw], -2)
    missing = column.isna().to_numpy()
    codes: np.ndarray = known.get_indexer(
        column.astype(str).to_numpy(dtype=object)).astype(np.int64)
    codes[missing] = -2
    return codes


def numeric_reference(name: str, values: np.ndarray, bins: int) -> NumericReference:
    """Profile one numeric sample (NaN counts as missing)."""
    present = values[~np.isnan(values)]
    sorted_values = np.sort(present)
    edges = quantile_edges(sorted_values, bins)
    return NumericReference(
        name=name,
        sorted_values=sorted_values,
        edges=edges,
        counts=bin_counts(sorted_values, edges),
        missing_rate=float(1 - present.size / values.size) if values.size else 0.0,
        rows=int(values.size),
    )


def build_profile(
    reference: pd.DataFrame,
    schema: FeatureSchemaRecord,
    *,
    bins: int = 10,
    scores: np.ndarray | None = None,
    metrics: dict[str, float] | None = None,
    metrics_counts: tuple[int, int] | None = None,
) -> ReferenceProfile:
    """Profile the champion's training data.

    Args:
        reference: The training data (feature columns; extra columns are ignored).
        schema: The registry's feature schema.
        bins: Quantile bins for numeric PSI.
        scores: The champion's scores on ``reference``, for prediction drift.
        metrics: The champion's reference metrics (``roc_auc`` …).
        metrics_counts: ``(positives, negatives)`` of the set the metrics were measured on.

    Raises:
        DataError: the reference is empty or lacks a schema feature.
    """
    specs = schema.get("features") or []
    if len(reference) == 0:
        raise DataError(
            "the champion's reference (training) data has no rows",
            "register the champion with the data it was trained on",
        )
    absent = [spec["name"] for spec in specs if spec["name"] not in reference.columns]
    if absent:
        raise DataError(
            f"the champion's reference data lacks the schema feature(s) {', '.join(absent)}",
            "register the champion with training data that matches its feature schema",
        )
    features: dict[str, FeatureReference] = {}
    dtypes: dict[str, str] = {}
    for spec in specs:
        name = spec["name"]
        kind = feature_kind(spec)
        if kind == "date":
            continue
        dtypes[name] = str(spec.get("dtype", ""))
        column = reference[name]
        if kind == "numeric":
            features[name] = numeric_reference(name, numeric_values(column), bins)
            continue
        declared = spec.get("categories")
        observed = column.dropna().astype(str).unique().tolist()
        categories = tuple(str(c) for c in declared) if declared else tuple(sorted(observed))
        codes = category_codes(column, categories)
        features[name] = CategoricalReference(
            name=name,
            categories=categories,
            counts=np.bincount(codes[codes >= 0], minlength=len(categories)),
            missing_rate=float(np.mean(codes == -2)),
            rows=len(column),
        )
    score_reference = None
    if scores is not None:
        score_reference = numeric_reference("prediction", np.asarray(scores, float), bins)
    return ReferenceProfile(
        features=features,
        dtypes=dtypes,
        target=schema.get("target"),
        scores=score_reference,
        metrics=dict(metrics or {}),
        metrics_counts=metrics_counts,
    )
