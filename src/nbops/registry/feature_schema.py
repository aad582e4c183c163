"""Check a table against a model's feature schema before scoring it.

The feature schema is written by the pipeline's ``features`` step
(``feature_schema.json``: ``schema_version``, ``target``,
``features: [{name, dtype, categories?}]``) and copied into every registered
version, so a model can always say what input it expects. Every problem is
collected first and reported in one error naming each column.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nbops.core.errors import ValidationError

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger("nbops")

_EXAMPLES = 3


def kind_of(dtype: str) -> str:
    """Map a schema dtype (``int``, ``float``, ``category``, pandas names) to a kind.

    Returns one of ``numeric``, ``bool``, ``datetime``, ``category``, ``text``.
    """
    name = dtype.lower()
    if name.startswith(("int", "uint", "float", "number", "numeric", "double")):
        return "numeric"
    if name in ("bool", "boolean"):
        return "bool"
    if name.startswith("datetime") or name in ("date", "timestamp"):
        return "datetime"
    if name == "category":
        return "category"
    return "text"


@dataclass
class CheckedInput:
    """The model's input columns, in schema order, plus notes for the user."""

    frame: pd.DataFrame
    warnings: list[str] = field(default_factory=list)


def _examples(values: Any) -> str:
    shown = [repr(v) for v in list(dict.fromkeys(values))[:_EXAMPLES]]
    return ", ".join(shown)


def _to_numeric(column: pd.Series, name: str, problems: list[str]) -> pd.Series:
    import pandas as pd

    if pd.api.types.is_bool_dtype(column.dtype):
        problems.append(f"{name!r} should be numeric but holds true/false values")
        return column
    if pd.api.types.is_numeric_dtype(column.dtype):
        return column
    text = column.astype("object").where(column.notna(), None)
    stripped = text.map(lambda v: v.strip() if isinstance(v, str) else v)
    blank = stripped.map(lambda v: isinstance(v, str) and v == "")
    converted = pd.to_numeric(stripped.where(~blank, None), errors="coerce")
    bad = converted.isna() & stripped.notna() & ~blank
    if bad.any():
        problems.append(
            f"{name!r} should be numeric but holds {int(bad.sum())} non-numeric value(s), "
            f"e.g. {_examples(stripped[bad])}"
        )
    return converted.astype("float64")


def _to_text(column: pd.Series, name: str, feature: dict[str, Any],
             problems: list[str]) -> pd.Series:
    import pandas as pd

    dtype = column.dtype
    text = column.astype("object").where(column.notna(), None)
    if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        categories = {str(c) for c in feature.get("categories") or ()}
        codes = {str(v) for v in column.dropna()}
        if codes and not codes <= categories:
            problems.append(
                f"{name!r} should be categorical text but has numeric type {dtype} "
                f"(values like {_examples(sorted(codes - categories))})"
            )
        return column  # category codes stored as numbers: the model saw them that way too
    return text


def check_input(df: pd.DataFrame, schema: dict[str, Any]) -> CheckedInput:
    """Return the feature columns of ``df`` coerced to the schema's types.

    Extra columns (ids, the target) are ignored. Blank strings in numeric
    columns become missing values.

    Raises:
        ValidationError: listing every missing column and every column whose
            values do not fit the expected type.
    """
    import pandas as pd

    features = schema["features"]
    missing = [f["name"] for f in features if f["name"] not in df.columns]
    problems: list[str] = []
    warnings: list[str] = []
    out: dict[str, pd.Series] = {}
    for feature in features:
        name = feature["name"]
        if name in missing:
            continue
        column = df[name]
        kind = kind_of(feature["dtype"])
        if kind == "numeric":
            out[name] = _to_numeric(column, name, problems)
        elif kind == "bool":
            if not (pd.api.types.is_bool_dtype(column.dtype) or set(column.dropna()) <= {0, 1}):
                problems.append(f"{name!r} should be true/false but has type {column.dtype}")
            out[name] = column
        elif kind == "datetime":
            parsed = pd.to_datetime(column, errors="coerce")
            bad = parsed.isna() & column.notna()
            if bad.any():
                problems.append(
                    f"{name!r} should hold dates but has values like {_examples(column[bad])}"
                )
            out[name] = parsed
        else:
            out[name] = _to_text(column, name, feature, problems)
            categories = {str(c) for c in feature.get("categories") or ()}
            unseen = {str(v) for v in out[name].dropna()} - categories if categories else set()
            if unseen:
                warnings.append(
                    f"{name!r} has {len(unseen)} categor(ies) unseen in training, e.g. "
                    f"{_examples(sorted(unseen))}"
                )
    if missing or problems:
        parts = []
        if missing:
            parts.append("missing column(s): " + ", ".join(repr(m) for m in missing))
        if problems:
            parts.append("mistyped column(s): " + "; ".join(problems))
        raise ValidationError(
            "the input does not match the model's feature schema: " + "; ".join(parts),
            "provide every feature column with the expected type (see nbops models --json "
            "for the feature schema)",
        )
    for note in warnings:
        logger.warning(note)
    frame = pd.DataFrame(out, index=df.index)
    return CheckedInput(frame=frame, warnings=warnings)
