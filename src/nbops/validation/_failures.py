"""Turn pandera's failure table into one readable sentence per failing check."""

from __future__ import annotations

from typing import Any

import pandas as pd

_CHECK_NAMES = {
    "column_in_dataframe": "required column",
    "not_nullable": "no missing values",
    "field_uniqueness": "unique values",
}


def _shown(value: Any) -> str:
    if isinstance(value, float) and value != value:  # NaN
        return "missing"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def describe_failures(
    failure_cases: pd.DataFrame, max_values: int = 3, n_rows: int | None = None
) -> list[str]:
    """One line per (column, check): what failed, how often, a few offending values.

    Args:
        failure_cases: pandera's ``SchemaErrors.failure_cases`` table.
        max_values: how many distinct offending values to quote per line.
        n_rows: the table's row count, quoted when the row-count check fails.

    Returns:
        Lines such as ``column 'age': range [18, 95] failed for 12 rows, e.g. 130, -1``.
    """
    lines: list[str] = []
    table = failure_cases.copy()
    table["column"] = table["column"].astype(object).where(table["column"].notna(), None)
    for (column, check), group in table.groupby(["column", "check"], dropna=False, sort=False):
        name = _CHECK_NAMES.get(str(check), str(check))
        if column is None or (isinstance(column, float) and column != column):
            if check == "column_in_dataframe":
                missing = ", ".join(repr(str(v)) for v in group["failure_case"].unique())
                lines.append(f"required column(s) {missing} missing")
            elif n_rows is not None and name.startswith("at least "):
                lines.append(f"table: {name} required, it has {n_rows}")
            else:
                lines.append(f"table: {name} failed")
            continue
        if group["index"].isna().all():
            lines.append(f"column {column!r}: {name} failed")
            continue
        values = pd.unique(group["failure_case"].astype(object))
        sample = ", ".join(_shown(v) for v in values[:max_values])
        rows = group["index"].nunique()
        lines.append(f"column {column!r}: {name} failed for {rows} row(s), e.g. {sample}")
    return lines
