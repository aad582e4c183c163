"""The feature schema: the columns a model scores, for checking new batches.

``feature_schema.json`` looks like::

    {"schema_version": 1, "target": "churn", "date_column": "signup_date",
     "id_columns": ["customer_id"],
     "features": [{"name": "tenure_months", "dtype": "int"},
                  {"name": "contract", "dtype": "category",
                   "categories": ["Month-to-month", "One year", "Two year"]}]}

``dtype`` is ``int`` or ``float`` (numeric features) or ``category``
(categorical features, with the categories seen in training); registered
models' schemas may also use pandas dtype names (:func:`kind_of`).

One check serves every feature that scores a frame: :func:`inspect_input`
coerces the feature columns to the schema's types and collects every problem;
:func:`check_input` (registry scoring, ``nbops predict``) and
:func:`check_batch` (a batch against a :class:`FeatureSchema`) word its
findings for their callers. pandas is imported only when a frame is checked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from nbops.core._errors import ValidationError

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger("nbops")

SCHEMA_VERSION = 1
FeatureDtype = Literal["int", "float", "category"]


class _FeatureRequired(TypedDict):
    name: str
    dtype: str  # FeatureDtype, or (registered models) a pandas dtype name: see kind_of


class FeatureRecord(_FeatureRequired, total=False):
    """One feature of ``feature_schema.json``: the JSON form of :class:`FeatureSpec`."""

    categories: list[str] | None


class _FeatureSchemaRequired(TypedDict):
    features: list[FeatureRecord]


class FeatureSchemaRecord(_FeatureSchemaRequired, total=False):
    """``feature_schema.json`` (and a registered version's ``feature_schema``), as JSON.

    Only ``features`` is required: a registered model's schema may predate the others.
    """

    schema_version: int
    target: str | None
    date_column: str | None
    id_columns: list[str]


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

    def to_dict(self) -> FeatureRecord:
        """The JSON form."""
        data: FeatureRecord = {"name": self.name, "dtype": self.dtype}
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

    def to_dict(self) -> FeatureSchemaRecord:
        """The JSON form written to ``feature_schema.json``."""
        return {
            "schema_version": self.schema_version,
            "target": self.target,
            "date_column": self.date_column,
            "id_columns": list(self.id_columns),
            "features": [f.to_dict() for f in self.features],
        }

    @classmethod
    def from_dict(cls, data: FeatureSchemaRecord) -> FeatureSchema:
        """Inverse of :meth:`to_dict`.

        Raises:
            ValidationError: ``data`` names no target, or a dtype other than int, float
                and category (``feature_schema.json``'s schema refuses both).
        """
        target = data.get("target")
        if target is None:
            raise ValidationError("the feature schema names no target column",
                                  "set target in feature_schema.json")
        return cls(
            target=target,
            features=tuple(
                FeatureSpec(
                    f["name"],
                    _feature_dtype(f["name"], f["dtype"]),
                    _categories(f.get("categories")),
                )
                for f in data["features"]
            ),
            date_column=data.get("date_column"),
            id_columns=tuple(data.get("id_columns", ())),
            schema_version=data["schema_version"],
        )


def _categories(categories: list[str] | None) -> tuple[str, ...] | None:
    return None if categories is None else tuple(categories)


_DTYPES: dict[str, FeatureDtype] = {"int": "int", "float": "float", "category": "category"}


def _feature_dtype(name: str, dtype: str) -> FeatureDtype:
    if dtype in _DTYPES:
        return _DTYPES[dtype]
    raise ValidationError(f"feature {name!r} has dtype {dtype!r}",
                          "use int, float or category in feature_schema.json")


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
class ColumnFinding:
    """One thing wrong (or unusual) with one feature column.

    Attributes:
        column: The feature's name.
        kind: ``non_numeric``, ``bool_in_numeric``, ``not_bool``, ``not_date``,
            ``numeric_for_text`` (problems) or ``unseen`` (a warning).
        rows: Rows concerned.
        values: The distinct offending values, in order of appearance.
        dtype: The column's dtype, as pandas names it.
    """

    column: str
    kind: str
    rows: int
    values: list[Any]
    dtype: str = ""

    def examples(self, limit: int = _EXAMPLES, *, ordered: bool = False) -> str:
        """Up to ``limit`` offending values, as reprs (sorted when ``ordered``)."""
        values = sorted(self.values) if ordered else self.values
        return ", ".join(repr(v) for v in values[:limit])


@dataclass
class CheckedInput:
    """The model's input columns, in schema order, plus what the check found.

    Attributes:
        frame: The feature columns coerced to the schema's types.
        warnings: Notes for the user (categories unseen in training).
        missing: Feature columns absent from the input.
        problems: Columns whose values do not fit their type.
        unseen: Categorical columns holding categories unseen in training.
    """

    frame: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    problems: list[ColumnFinding] = field(default_factory=list)
    unseen: list[ColumnFinding] = field(default_factory=list)


def _distinct(values: Any) -> list[Any]:
    return list(dict.fromkeys(values))


def _to_numeric(column: pd.Series, name: str, problems: list[ColumnFinding]) -> pd.Series:
    import pandas as pd

    if pd.api.types.is_bool_dtype(column.dtype):
        problems.append(ColumnFinding(name, "bool_in_numeric", int(column.notna().sum()), []))
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
            ColumnFinding(name, "non_numeric", int(bad.sum()), _distinct(stripped[bad]))
        )
    return converted.astype("float64")


def _to_text(column: pd.Series, name: str, categories: set[str],
             problems: list[ColumnFinding]) -> pd.Series:
    import pandas as pd

    dtype = column.dtype
    text = column.astype("object").where(column.notna(), None)
    if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        codes = {str(v) for v in column.dropna()}
        if codes and not codes <= categories:
            problems.append(ColumnFinding(name, "numeric_for_text", len(codes - categories),
                                          sorted(codes - categories), str(dtype)))
        return column  # category codes stored as numbers: the model saw them that way too
    return text


def inspect_input(df: pd.DataFrame, schema: FeatureSchemaRecord) -> CheckedInput:
    """Coerce the feature columns of ``df`` to the schema's types; never raises.

    Extra columns (ids, the target) are ignored. Blank strings in numeric
    columns become missing values. ``schema`` is the JSON form
    (:meth:`FeatureSchema.to_dict`, or a registered version's schema).
    """
    import pandas as pd

    features = schema["features"]
    checked = CheckedInput(frame=pd.DataFrame(index=df.index))
    checked.missing = [f["name"] for f in features if f["name"] not in df.columns]
    out: dict[str, pd.Series] = {}
    for feature in features:
        name = feature["name"]
        if name in checked.missing:
            continue
        column = df[name]
        kind = kind_of(feature["dtype"])
        if kind == "numeric":
            out[name] = _to_numeric(column, name, checked.problems)
        elif kind == "bool":
            if not (pd.api.types.is_bool_dtype(column.dtype) or set(column.dropna()) <= {0, 1}):
                checked.problems.append(ColumnFinding(name, "not_bool", 0, [], str(column.dtype)))
            out[name] = column
        elif kind == "datetime":
            parsed = pd.to_datetime(column, errors="coerce")
            bad = parsed.isna() & column.notna()
            if bad.any():
                checked.problems.append(
                    ColumnFinding(name, "not_date", int(bad.sum()), _distinct(column[bad]))
                )
            out[name] = parsed
        else:
            categories = {str(c) for c in feature.get("categories") or ()}
            out[name] = _to_text(column, name, categories, checked.problems)
            if categories:
                names = out[name].dropna().map(str)
                outside = names[~names.isin(categories)]
                if len(outside):
                    checked.unseen.append(
                        ColumnFinding(name, "unseen", len(outside), _distinct(outside))
                    )
    checked.frame = pd.DataFrame(out, index=df.index)
    return checked


def _problem_text(finding: ColumnFinding) -> str:
    name = finding.column
    if finding.kind == "bool_in_numeric":
        return f"{name!r} should be numeric but holds true/false values"
    if finding.kind == "non_numeric":
        return (f"{name!r} should be numeric but holds {finding.rows} non-numeric value(s), "
                f"e.g. {finding.examples()}")
    if finding.kind == "not_bool":
        return f"{name!r} should be true/false but has type {finding.dtype}"
    if finding.kind == "not_date":
        return f"{name!r} should hold dates but has values like {finding.examples()}"
    return (f"{name!r} should be categorical text but has numeric type {finding.dtype} "
            f"(values like {finding.examples()})")


def check_input(df: pd.DataFrame, schema: FeatureSchemaRecord) -> CheckedInput:
    """Return the feature columns of ``df`` coerced to the schema's types.

    Extra columns (ids, the target) are ignored. Blank strings in numeric
    columns become missing values. Categories unseen in training are logged
    and returned as ``warnings``.

    Raises:
        ValidationError: listing every missing column and every column whose
            values do not fit the expected type.
    """
    checked = inspect_input(df, schema)
    checked.warnings = [
        f"{u.column!r} has {len(u.values)} categor(ies) unseen in training, e.g. "
        f"{u.examples(ordered=True)}"
        for u in checked.unseen
    ]
    if checked.missing or checked.problems:
        parts = []
        if checked.missing:
            parts.append("missing column(s): " + ", ".join(repr(m) for m in checked.missing))
        if checked.problems:
            parts.append("mistyped column(s): "
                         + "; ".join(_problem_text(p) for p in checked.problems))
        raise ValidationError(
            "the input does not match the model's feature schema: " + "; ".join(parts),
            "provide every feature column with the expected type (see nbops models --json "
            "for the feature schema)",
        )
    for note in checked.warnings:
        logger.warning(note)
    return checked


def check_batch(frame: pd.DataFrame, schema: FeatureSchema, max_values: int = 3) -> list[str]:
    """Check that ``frame`` can be scored by a model trained on ``schema``.

    The same check as :func:`check_input`, worded for a batch: missing feature
    columns and values that do not fit their type are errors; categories never
    seen in training are returned as warnings (the model encodes them as
    "unknown").

    Raises:
        ValidationError: naming the missing columns or offending values.
    """
    checked = inspect_input(frame, schema.to_dict())
    if checked.missing:
        raise ValidationError(
            f"the batch lacks feature column(s) {', '.join(map(repr, checked.missing))}",
            "score a frame with the same columns the model was trained on "
            "(see feature_schema.json)",
        )
    if checked.problems:
        problems = [
            f"{p.column!r} has {p.rows} non-numeric value(s), e.g. {p.examples(max_values)}"
            if p.kind == "non_numeric" else _problem_text(p)
            for p in checked.problems
        ]
        raise ValidationError(
            "the batch cannot be scored: " + "; ".join(problems),
            "fix those values at the source (numeric features must hold numbers or be empty)",
        )
    return [
        f"{u.column!r} has {u.rows} value(s) never seen in training, e.g. "
        f"{u.examples(max_values)}"
        for u in checked.unseen
    ]
