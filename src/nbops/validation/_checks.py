"""Translate a :class:`DataSchema` into a pandera ``DataFrameSchema``.

Type checks are element-wise ("does this value parse as an int?") rather than
dtype comparisons, so a failure names the offending values, and a column
stored as text but holding clean numbers still passes.  Every check has a
readable name: it is what the error message shows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from nbops.validation._spec import ColumnSpec, DataSchema


def _as_number(series: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(series):
        return series.astype("float64")
    return pd.to_numeric(series, errors="coerce")


def _as_datetime(series: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        return series
    return pd.to_datetime(series, errors="coerce", format="mixed")


def _is_type(dtype: str) -> Any:
    def check(series: pd.Series) -> pd.Series:
        present = series.notna()
        if dtype in ("int", "float"):
            numbers = _as_number(series)
            ok = numbers.notna()
            if dtype == "int":
                ok &= np.isclose(numbers.fillna(0), np.round(numbers.fillna(0)))
        elif dtype == "bool":
            ok = series.isin([True, False, 0, 1])
        elif dtype == "datetime":
            ok = _as_datetime(series).notna()
        else:  # category / string: any text
            ok = series.map(lambda v: isinstance(v, str), na_action="ignore").astype("boolean")
            ok = ok.fillna(True).astype(bool)
        return ok | ~present

    return check


def _in_range(spec: ColumnSpec) -> Any:
    def check(series: pd.Series) -> pd.Series:
        if spec.dtype == "datetime":
            values = _as_datetime(series)
            low = pd.Timestamp(spec.min) if spec.min is not None else None
            high = pd.Timestamp(spec.max) if spec.max is not None else None
        else:
            values = _as_number(series)
            low, high = spec.min, spec.max
        ok = pd.Series(True, index=series.index)
        if low is not None:
            ok &= ~(values < low).fillna(False).astype(bool)
        if high is not None:
            ok &= ~(values > high).fillna(False).astype(bool)
        return ok

    return check


def _null_rate(limit: float) -> Any:
    def check(series: pd.Series) -> bool:
        return len(series) == 0 or float(series.isna().mean()) <= limit

    return check


def _column_checks(spec: ColumnSpec) -> list[Any]:
    import pandera.pandas as pa

    checks = [pa.Check(_is_type(spec.dtype), error=f"type {spec.dtype}")]
    if spec.min is not None or spec.max is not None:
        low = "-inf" if spec.min is None else spec.min
        high = "inf" if spec.max is None else spec.max
        checks.append(pa.Check(_in_range(spec), error=f"range [{low}, {high}]"))
    if spec.categories is not None:
        allowed = list(spec.categories)
        shown = ", ".join(allowed[:8]) + (", ..." if len(allowed) > 8 else "")
        checks.append(
            pa.Check(
                lambda s, allowed=allowed: s.isin(allowed) | s.isna(),
                error=f"allowed categories {{{shown}}}",
            )
        )
    if spec.max_null_rate is not None:
        checks.append(
            pa.Check(
                _null_rate(spec.max_null_rate),
                error=f"null rate <= {spec.max_null_rate:.1%}",
                ignore_na=False,
            )
        )
    return checks


def to_pandera(schema: DataSchema) -> Any:
    """Build the pandera ``DataFrameSchema`` enforcing ``schema``."""
    import pandera.pandas as pa

    columns = {
        spec.name: pa.Column(
            None,
            checks=_column_checks(spec),
            nullable=spec.nullable,
            unique=spec.unique,
            required=True,
        )
        for spec in schema.columns
    }
    min_rows = schema.min_rows
    return pa.DataFrameSchema(
        columns,
        checks=[pa.Check(lambda df: len(df) >= min_rows, error=f"at least {min_rows} rows")],
        strict=False,
    )
