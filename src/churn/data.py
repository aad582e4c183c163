"""Load the pipeline's input data and make it model-ready, visibly.

The input is either the embedded generator (:mod:`churn.generator`) or a
CSV/Parquet file.  Nothing is changed silently: every coercion (blank strings
to missing, text to numbers, labels to 0/1, rows without a label dropped) is
returned as a warning that the notebooks display.  Bad input raises
:class:`nbops.core._errors.DataError` with one sentence naming problem and fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from churn import generator
from nbops.core import DataError

FORMATS = {".csv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet"}
_POSITIVE = {"1", "yes", "y", "true", "t", "churn", "churned", "positive"}
_NEGATIVE = {"0", "no", "n", "false", "f", "stayed", "negative"}
_ID_NAME = re.compile(r"(^id$|[_\s.-]id$|^id[_\s.-]|_key$|^uuid$)", re.IGNORECASE)
_ID_CAMEL = re.compile(r"[a-z](ID|Id)$")
_DATE_TEXT = re.compile(r"^\d{4}-\d{2}(-\d{2})?([ T]\d{2}:\d{2}(:\d{2})?)?")
FIX_TARGET = "pass the label column with --env--data--target COLUMN"


@dataclass
class Roles:
    """What each column is for."""

    target: str
    id_columns: list[str] = field(default_factory=list)
    date_column: str | None = None
    numeric: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)

    @property
    def features(self) -> list[str]:
        """Numeric then categorical feature names."""
        return self.numeric + self.categorical


def is_embedded(path: str | Path | None) -> bool:
    """True when ``path`` asks for the embedded generator (null, empty, "none")."""
    return path is None or str(path).strip().lower() in ("", "none", "null")


def read_file(path: str | Path, fmt: str | None = None) -> pd.DataFrame:
    """Read a CSV or Parquet file, failing with one clear sentence if it cannot."""
    path = Path(path).expanduser()
    if not path.exists():
        raise DataError(
            f"data file {path} does not exist",
            "pass an existing CSV or Parquet file with --env--data--path FILE "
            "(or set data.path to null in env.yaml to use the embedded generator)",
        )
    if path.is_dir():
        raise DataError(
            f"data path {path} is a folder, not a file", "point to a CSV or Parquet file"
        )
    kind = (fmt or FORMATS.get(path.suffix.lower(), "")).lower()
    if kind not in ("csv", "parquet"):
        raise DataError(
            f"cannot tell the format of {path.name} (expected .csv or .parquet)",
            "rename the file or pass --env--data--format csv|parquet",
        )
    if path.stat().st_size == 0:
        raise DataError(f"data file {path} is empty", "pass a file with a header row and data rows")
    try:
        frame = pd.read_csv(path) if kind == "csv" else pd.read_parquet(path)
    except pd.errors.EmptyDataError:
        raise DataError(
            f"data file {path} holds no columns", "pass a file with a header row and data rows"
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(
            f"cannot read {path} as {kind}: {reason}",
            f"check that the file is a valid {kind.upper()} file",
        ) from None
    if frame.empty:
        raise DataError(
            f"data file {path} has a header but no data rows",
            "pass a file with at least one data row",
        )
    if kind == "parquet":
        _refuse_nested(path)
    return frame


def _refuse_nested(path: Path) -> None:
    """Fail clearly on list/struct/map columns instead of silently turning them into text."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    nested = [
        f"{field.name} ({field.type})"
        for field in pq.read_schema(path)
        if pa.types.is_nested(field.type)
    ]
    if nested:
        shown = ", ".join(nested[:5]) + (", ..." if len(nested) > 5 else "")
        raise DataError(
            f"data file {path} has nested column(s) {shown}, which a churn model cannot use",
            "flatten them into plain number or text columns (one column per field) first",
        )


def load_raw(path: str | Path | None, fmt: str | None, rows: int, seed: int,
             query: dict[str, Any] | None = None) -> pd.DataFrame:
    """The raw input: a query's result when ``query`` has sql, a file when ``path`` is
    set, else ``rows`` generated rows.

    The query's result is the snapshot nbops took when the build started
    (``nbops.sources``, docs/databases.md); the query is not run a second time.
    """
    if query and query.get("sql"):
        from nbops.sources import read_query

        return read_query(query)
    if is_embedded(path):
        return generator.generate(int(rows), seed=int(seed))
    assert path is not None
    return read_file(path, None if is_embedded(fmt) else fmt)


#: Fewest labelled rows the pipeline accepts: below it the train/test split and the
#: models fail inside scikit-learn, or the metrics mean nothing.
MIN_ROWS = 50


def check_target(frame: pd.DataFrame, target: str, min_rows: int = 0) -> None:
    """Fail clearly unless ``target`` is a column with two values on at least ``min_rows`` rows.

    The ingest step passes :data:`MIN_ROWS`, so a 1- or 2-row file is named as
    too small rather than as a label problem or a scikit-learn error later.
    """
    if target not in frame.columns:
        close = [c for c in frame.columns if str(c).lower() == str(target).lower()]
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        shown = ", ".join(map(str, list(frame.columns)[:12]))
        more = ", ..." if len(frame.columns) > 12 else ""
        raise DataError(
            f"target column {target!r} is not in the data{hint}; columns are: {shown}{more}",
            FIX_TARGET,
        )
    values = frame[target].dropna()
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(str)
    seen: dict[str, str] = {}
    for value in pd.unique(values.astype(str).str.strip()):
        key = value.lower().removesuffix(".0")
        if value != "" and key not in seen:
            seen[key] = value
    distinct = list(seen.values())
    labelled = len(values)
    if len(distinct) <= 2 and labelled < min_rows:
        raise DataError(
            f"the data has {labelled} row(s) with a {target!r} label, but a churn model needs "
            f"at least {min_rows} to train and evaluate",
            f"pass a file with at least {min_rows} labelled rows",
        )
    if len(distinct) != 2:
        shown = ", ".join(repr(v) for v in distinct[:5]) + (", ..." if len(distinct) > 5 else "")
        raise DataError(
            f"target column {target!r} has {len(distinct)} distinct value(s) ({shown}) "
            "but a churn model needs exactly two (e.g. yes/no or 0/1)",
            f"choose a binary column, {FIX_TARGET}",
        )


def map_target(series: pd.Series) -> tuple[pd.Series, list[str]]:
    """Map a two-valued label to 0/1 (yes/true/1 -> 1); say how if it is not obvious.

    Values are compared stripped and case-insensitively ("Yes", "yes " and "YES"
    are one value); a label that is not yes/no-like maps its larger (or, for
    text, alphabetically later) value to 1.
    """
    name = series.name
    text = series.astype(object).where(series.notna(), None)
    keys = text.map(lambda v: str(v).strip().lower().removesuffix(".0") or None, na_action="ignore")
    shown: dict[str, str] = {}
    for value, key in zip(text, keys, strict=True):
        if isinstance(key, str) and key not in shown:
            shown[key] = str(value).strip()
    levels = sorted(shown)
    warnings: list[str] = []
    positive = [k for k in levels if k in _POSITIVE]
    negative = [k for k in levels if k in _NEGATIVE]
    if len(positive) == 1 and len(negative) == 1:
        mapping = {positive[0]: 1, negative[0]: 0}
        if {positive[0], negative[0]} != {"0", "1"}:
            warnings.append(
                f"target {name!r}: mapped {shown[positive[0]]!r} to 1 "
                f"and {shown[negative[0]]!r} to 0"
            )
    else:
        try:
            ordered = sorted(levels, key=float)
        except ValueError:
            ordered = levels
        mapping = {ordered[0]: 0, ordered[1]: 1}
        warnings.append(
            f"target {name!r}: no yes/no values, so mapped {shown[ordered[1]]!r} to 1 "
            f"and {shown[ordered[0]]!r} to 0"
        )
    mapped = keys.map(mapping, na_action="ignore")
    return mapped.astype("Int8"), warnings


def _coerce_text(series: pd.Series, warnings: list[str]) -> pd.Series:
    """Blank strings -> missing (counted), then numbers or dates if every value parses."""
    name = series.name
    stripped = series.str.strip()
    blank = stripped.eq("").fillna(False).astype(bool)
    if blank.any():
        warnings.append(
            f"column {name!r}: {int(blank.sum())} blank string(s) treated as missing values"
        )
        stripped = stripped.mask(blank)
    present = stripped.dropna()
    if present.empty:
        return stripped
    numbers = pd.to_numeric(present, errors="coerce")
    if numbers.notna().all():
        if blank.any():
            warnings.append(f"column {name!r}: text converted to numbers once blanks were removed")
        return pd.to_numeric(stripped, errors="coerce")
    if present.str.match(_DATE_TEXT).all():
        dates = pd.to_datetime(stripped, errors="coerce", format="ISO8601")
        if dates.notna().sum() == len(present):
            return dates
    return stripped


def clean(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, list[str]]:
    """Return a cleaned copy of ``frame`` and the list of changes made.

    Text columns: surrounding spaces stripped, blank strings made missing,
    converted to numbers or dates when every remaining value parses.  The
    target becomes 0/1 (``int8``); rows without a target are dropped.
    """
    check_target(frame, target)
    warnings: list[str] = []
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if name != target and (column.dtype == object or pd.api.types.is_string_dtype(column)):
            if not isinstance(column.dtype, pd.CategoricalDtype):
                out[name] = _coerce_text(column.astype("str").where(column.notna()), warnings)
    labels, label_warnings = map_target(out[target])
    warnings.extend(label_warnings)
    unlabelled = labels.isna()
    if unlabelled.any():
        warnings.append(f"target {target!r}: dropped {int(unlabelled.sum())} row(s) with no label")
        out = out.loc[~unlabelled]
        labels = labels[~unlabelled]
    out[target] = labels.astype("int8")
    return out.reset_index(drop=True), warnings


def _is_id_like(series: pd.Series) -> bool:
    name = str(series.name)
    if _ID_NAME.search(name) or _ID_CAMEL.search(name):
        return True
    text = pd.api.types.is_string_dtype(series) and not isinstance(
        series.dtype, pd.CategoricalDtype
    )
    return bool(text and len(series) > 50 and series.nunique(dropna=True) == len(series))


def infer_roles(frame: pd.DataFrame, target: str, max_levels: int = 100) -> tuple[Roles, list[str]]:
    """Decide which columns are ids, the date, numeric and categorical features."""
    roles = Roles(target=target)
    warnings: list[str] = []
    for name in frame.columns:
        if name == target:
            continue
        column = frame[name]
        if _is_id_like(column):
            roles.id_columns.append(name)
        elif pd.api.types.is_datetime64_any_dtype(column):
            if roles.date_column is None:
                roles.date_column = name
            else:
                roles.dropped.append(name)
        elif pd.api.types.is_bool_dtype(column):
            roles.categorical.append(name)
        elif pd.api.types.is_numeric_dtype(column):
            roles.numeric.append(name)
        elif column.nunique(dropna=True) > max_levels:
            roles.dropped.append(name)
            warnings.append(
                f"column {name!r}: {column.nunique()} distinct text values, dropped from features"
            )
        else:
            roles.categorical.append(name)
    if roles.id_columns:
        warnings.append(
            f"id-like column(s) kept out of the features: {', '.join(roles.id_columns)}"
        )
    if not roles.features:
        raise DataError(
            f"no usable feature columns besides the target {target!r}",
            "pass a file with at least one numeric or categorical feature column",
        )
    return roles, warnings


def describe_roles(frame: pd.DataFrame, roles: Roles) -> pd.DataFrame:
    """One row per column: its role, dtype and share of missing values."""
    groups = [
        ("target", [roles.target]),
        ("id", roles.id_columns),
        ("date", [roles.date_column] if roles.date_column else []),
        ("numeric", roles.numeric),
        ("categorical", roles.categorical),
        ("dropped", roles.dropped),
    ]
    rows = [
        {
            "column": name,
            "role": role,
            "dtype": str(frame[name].dtype),
            "missing": f"{frame[name].isna().mean():.1%}",
        }
        for role, names in groups
        for name in names
    ]
    return pd.DataFrame(rows).set_index("column")
