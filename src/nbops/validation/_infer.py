"""Infer a :class:`DataSchema` from trusted reference data.

The inferred rules accept the reference data itself and leave room for normal
variation in later batches: numeric ranges are widened by a margin of the
observed span (never below 0 for non-negative columns), null rates get an
absolute slack, and low-cardinality text columns become categories.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from nbops.validation._spec import ColumnSpec, DataSchema, Dtype


def infer_dtype(series: pd.Series) -> Dtype:
    """The logical type of a column, from its pandas dtype (text that parses stays text)."""
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_integer_dtype(series):
        return "int"
    if pd.api.types.is_float_dtype(series):
        values = series.dropna()
        if len(values) and (values == values.round()).all() and values.abs().max() < 2**53:
            return "int"
        return "float"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime"
    if isinstance(series.dtype, pd.CategoricalDtype):
        return "category"
    return "string"


def _round_out(value: float, up: bool) -> float:
    import math

    step = 10 ** math.floor(math.log10(abs(value))) / 10 if value else 1.0
    return (math.ceil if up else math.floor)(value / step) * step


def infer_column(
    series: pd.Series,
    *,
    unique: bool = False,
    range_margin: float = 0.1,
    null_slack: float = 0.05,
    max_categories: int = 50,
) -> ColumnSpec:
    """Rules for one column that its reference values satisfy."""
    dtype = infer_dtype(series)
    values = series.dropna()
    null_rate = float(series.isna().mean()) if len(series) else 0.0
    low: float | str | None = None
    high: float | str | None = None
    categories: tuple[str, ...] | None = None
    if dtype in ("int", "float") and len(values):
        vmin, vmax = float(values.min()), float(values.max())
        span = (vmax - vmin) or max(abs(vmax), 1.0)
        low, high = vmin - range_margin * span, vmax + range_margin * span
        if vmin >= 0:
            low = max(low, 0.0)
        low, high = _round_out(low, up=False), _round_out(high, up=True)
    elif dtype == "datetime" and len(values):
        low, high = values.min().isoformat(), None
    elif dtype in ("category", "string"):
        levels = (
            [str(c) for c in series.cat.categories]
            if isinstance(series.dtype, pd.CategoricalDtype)
            else sorted(str(v) for v in values.unique())
        )
        if not unique and len(levels) <= max_categories:
            dtype, categories = "category", tuple(levels)
    return ColumnSpec(
        name=str(series.name),
        dtype=dtype,
        nullable=not unique,
        max_null_rate=None if unique else min(1.0, round(null_rate + null_slack, 4)),
        min=low,
        max=high,
        categories=categories,
        unique=unique,
    )


def infer_schema(
    frame: pd.DataFrame,
    *,
    unique: Iterable[str] = (),
    target: str | None = None,
    min_rows: int | None = None,
    range_margin: float = 0.1,
    null_slack: float = 0.05,
    max_categories: int = 50,
    source: str = "inferred from reference data",
) -> DataSchema:
    """A schema that ``frame`` satisfies, with slack for later batches.

    Args:
        frame: trusted reference data.
        unique: columns whose values must all differ (ids); they may not be missing.
        target: the label column, recorded in the schema (no null slack for it).
        min_rows: fewest rows a batch may have; default ``min(100, len(frame))``.
        range_margin: widen numeric ranges by this share of the observed span.
        null_slack: allowed increase of each column's null rate (absolute).
        max_categories: text columns with at most this many values become categories.
        source: recorded in the schema to say where it came from.
    """
    unique_set = set(unique)
    columns = []
    for name in frame.columns:
        spec = infer_column(
            frame[name],
            unique=name in unique_set,
            range_margin=range_margin,
            null_slack=0.0 if name == target else null_slack,
            max_categories=max_categories,
        )
        columns.append(spec)
    return DataSchema(
        columns=tuple(columns),
        min_rows=min(100, len(frame)) if min_rows is None else min_rows,
        target=target,
        source=source,
    )
