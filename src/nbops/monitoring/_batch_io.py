"""Read a batch file for ``nbops monitor``: CSV or Parquet, labels mapped to 0/1.

Reading problems are returned as one sentence, never raised: an unreadable
batch is a monitoring finding (verdict ``alert``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

POSITIVE = frozenset({"1", "1.0", "yes", "y", "true", "t"})
NEGATIVE = frozenset({"0", "0.0", "no", "n", "false", "f"})


def read_batch(path: Path | str) -> tuple[pd.DataFrame | None, str | None]:
    """The batch at ``path``, or ``None`` and a sentence saying why it cannot be read."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        return None, f"The batch file {path} does not exist; check the path."
    if suffix not in (".csv", ".parquet", ".pq"):
        return None, f"The batch file {path} is not .csv or .parquet; convert it to one of them."
    try:
        if suffix == ".csv":
            return pd.read_csv(path), None
        return pd.read_parquet(path), None
    except pd.errors.EmptyDataError:
        return pd.DataFrame(), None  # no header, no rows: an empty batch
    except (ValueError, OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return None, f"The batch file {path} cannot be read ({reason}); check its format."


def binary_labels(column: pd.Series) -> pd.Series:
    """0/1 labels (missing stays missing): numbers as they are, yes/no/true/false mapped."""
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return pd.to_numeric(column, errors="coerce")
    text = column.astype("string").str.strip().str.lower()
    mapped = pd.Series(pd.NA, index=column.index, dtype="Float64")
    mapped[text.isin(POSITIVE).fillna(False).astype(bool)] = 1.0
    mapped[text.isin(NEGATIVE).fillna(False).astype(bool)] = 0.0
    return mapped
