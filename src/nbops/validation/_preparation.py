"""Input preparation: the validate step's cleaning as a declarative, hashable spec.

A model is trained on *cleaned* data (blank strings made missing, text turned
into numbers, labels mapped to 0/1), but it is served and monitored on the
*raw* format that arrives later.  The spec below says how to make a raw frame
look like the cleaned one, so the same cleaning travels with the registered
model: it is recorded in the registry version (``input_preparation`` and its
hash) and applied by ``nbops serve-model``, ``nbops monitor`` and the
monitoring pipeline before anything is scored or compared.

The spec (``spec_version: 1``)::

    {"spec_version": 1, "strip_text": true, "blank_is_missing": true,
     "numeric": ["tenure", "TotalCharges", ...],          # text -> numbers
     "categorical": ["Contract", ...],                      # values -> text
     "target": {"name": "Churn", "positive": [...], "negative": [...]}}

:func:`prepare_for_model` builds the exact frame the model scores (numeric
columns ``float64``, categorical columns ``object`` holding ``str`` or NaN),
so a record scored alone gets the same encoding, and the same score, as the
same record inside a batch; values that cannot be converted are returned as
:class:`FieldProblem` naming the field.  :func:`clean_raw` applies the same
spec leniently for monitoring: a value that does not convert stays as it is,
so monitoring reports it as a finding instead of failing.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from nbops.core import (
    NEGATIVE,
    POSITIVE,
)

if TYPE_CHECKING:
    from nbops.core import InputSpec


@dataclass(frozen=True)
class FieldProblem:
    """One input value or column that does not fit the model's input description."""

    field: str
    message: str


@dataclass(frozen=True)
class _Cleaning:
    """The spec's text rules: strip text, and count a blank as missing (both by default)."""

    strip: bool
    blank: bool

    @classmethod
    def of(cls, spec: Mapping[str, object]) -> _Cleaning:
        return cls(bool(spec.get("strip_text", True)), bool(spec.get("blank_is_missing", True)))


def _text(column: pd.Series, cleaning: _Cleaning) -> pd.Series:
    """Object column of stripped strings (blanks missing); non-strings kept as they are."""
    values = column.astype(object).where(column.notna(), None)
    strip, blank = cleaning.strip, cleaning.blank

    def one(value: Any) -> Any:
        if isinstance(value, str):
            if strip:
                value = value.strip()
            if blank and value == "":
                return None
        return value

    return values.map(one, na_action="ignore").where(values.notna(), None)


def labels(column: pd.Series, spec: Mapping[str, Any]) -> pd.Series:
    """0/1 labels (``Float64``, missing stays missing) per the spec's target mapping."""
    target = spec.get("target") or {}
    positive = {str(v).lower() for v in target.get("positive", POSITIVE)}
    negative = {str(v).lower() for v in target.get("negative", NEGATIVE)}
    if pd.api.types.is_bool_dtype(column):
        return column.astype("Float64")
    keys = column.astype(object).map(
        lambda v: None if v is None or (isinstance(v, float) and math.isnan(v))
        else str(v).strip().lower(),
    )
    out = pd.Series(pd.NA, index=column.index, dtype="Float64")
    out[keys.isin(positive).to_numpy(dtype=bool)] = 1.0
    out[keys.isin(negative).to_numpy(dtype=bool)] = 0.0
    return out


def clean_raw(frame: pd.DataFrame, spec: InputSpec) -> pd.DataFrame:
    """``frame`` cleaned as the validate step cleaned the training data (lenient).

    Numeric features: blanks missing, text converted to numbers when every
    remaining value parses (otherwise left as is, for monitoring to report).
    Categorical features: stripped text, blanks missing.  The target, when
    present, becomes 0/1.  Other columns are untouched.
    """
    out = frame.copy()
    cleaning = _Cleaning.of(spec)
    for name in spec.get("numeric", ()):
        if name not in out.columns or pd.api.types.is_numeric_dtype(out[name]):
            continue  # booleans too: pandas counts them as numbers
        text = _text(out[name], cleaning)
        numbers = pd.to_numeric(text, errors="coerce")
        if not (numbers.isna() & text.notna()).any():
            out[name] = numbers.astype("float64")
    for name in spec.get("categorical", ()):
        column = out.get(name)
        if column is None or isinstance(column.dtype, pd.CategoricalDtype):
            continue
        if column.dtype == object or pd.api.types.is_string_dtype(column):
            out[name] = _text(column, cleaning).astype(object)
    target = (spec.get("target") or {}).get("name")
    if target and target in out.columns:
        out[target] = labels(out[target], spec)
    return out


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _numeric(name: str, column: pd.Series, cleaning: _Cleaning,
             problems: list[FieldProblem]) -> np.ndarray:
    """``column`` as float64 (NaN where missing); a value that is not a finite number is a
    problem (``Infinity``, ``1e999`` or ``"inf"`` would reach the model as a value no
    training row had)."""
    out = _as_numbers(name, column, cleaning, problems)
    infinite = np.isinf(out)
    if infinite.any():
        value = float(out[int(np.argmax(infinite))])  # inf, not np.float64(inf)
        problems.append(FieldProblem(
            name, f"field {name!r} must be a finite number (or null), got {value!r}"))
    return out


def _as_numbers(name: str, column: pd.Series, cleaning: _Cleaning,
                problems: list[FieldProblem]) -> np.ndarray:
    if pd.api.types.is_bool_dtype(column):
        problems.append(FieldProblem(name, f"field {name!r} must be a number, not true/false"))
        return np.full(len(column), np.nan)
    if pd.api.types.is_numeric_dtype(column):
        if isinstance(column, np.ndarray):
            return column.astype("float64")
        numbers: np.ndarray = column.to_numpy(dtype="float64", na_value=np.nan)
        return numbers
    strip, blank = cleaning.strip, cleaning.blank
    values = _values(column)
    out = np.full(len(values), np.nan)
    for i, value in enumerate(values):  # plain loop: no per-column pandas calls
        if _is_missing(value):
            continue
        if isinstance(value, str):
            text = value.strip() if strip else value
            if blank and text == "":
                continue
            try:
                out[i] = float(text)
                continue
            except ValueError:
                pass
        elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
                value, (bool, np.bool_)):
            out[i] = float(value)
            continue
        problems.append(FieldProblem(
            name, f"field {name!r} must be a number (or null), got {value!r}"))
        break
    return out


def _category_value(name: str, value: Any, strip: bool, blank: bool,
                    problems: list[FieldProblem]) -> Any:
    if _is_missing(value):
        return np.nan
    if isinstance(value, str):
        text = value.strip() if strip else value
        return np.nan if blank and text == "" else text
    if isinstance(value, (bool, np.bool_, dict, list)):
        problems.append(FieldProblem(
            name, f"field {name!r} must be text (one of the model's categories), got {value!r}"))
        return np.nan
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _by_codes(name: str, categories: list[Any], codes: np.ndarray, strip: bool, blank: bool,
              problems: list[FieldProblem]) -> np.ndarray:
    """Each distinct value converted once, then spread over the rows by code (-1: missing)."""
    mapped = np.array([_category_value(name, c, strip, blank, problems)
                       for c in categories] + [np.nan], dtype=object)
    return mapped[np.where(codes < 0, len(mapped) - 1, codes)]


def _category(name: str, column: pd.Series, cleaning: _Cleaning,
              problems: list[FieldProblem]) -> np.ndarray:
    strip, blank = cleaning.strip, cleaning.blank
    if not isinstance(column, (pd.Series, np.ndarray)) and hasattr(column, "dictionary"):
        # an Arrow dictionary array (a Series' attributes include its index labels)
        return _by_codes(name, column.dictionary.to_pylist(),
                         column.indices.fill_null(-1).to_numpy(zero_copy_only=False),
                         strip, blank, problems)
    if isinstance(column.dtype, pd.CategoricalDtype):  # convert the categories, not the rows
        return _by_codes(name, list(column.cat.categories), column.cat.codes.to_numpy(),
                         strip, blank, problems)
    values = _values(column)
    out = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        out[i] = _category_value(name, value, strip, blank, problems)
        if problems and problems[-1].field == name and "must be text" in problems[-1].message:
            break
    return out


class Columns(Protocol):
    """What :func:`prepare_for_model` reads: a DataFrame, or columns of a few records.

    ``columns`` names them, ``frame[name]`` is a Series, a 1-d array or (a text
    column of a Parquet body) an Arrow dictionary array, and ``len(frame)`` is
    the number of rows.
    """

    @property
    def columns(self) -> Any: ...

    def __getitem__(self, name: str) -> Any: ...

    def __len__(self) -> int: ...


def _values(column: Any) -> np.ndarray:
    """The column's values as an object array (a Series' values, or the array itself)."""
    if isinstance(column, np.ndarray):
        return column
    values: np.ndarray = column.to_numpy(dtype=object)
    return values


def prepare_for_model(
    frame: Columns, spec: InputSpec, allowed: Collection[str] | None = None
) -> tuple[pd.DataFrame, list[FieldProblem]]:
    """The model's input frame built from a raw ``frame``, and what does not fit.

    Every feature column must be present (values may be missing); columns
    outside ``allowed`` (when given) are refused; numeric values must parse.
    The result has the features in model order, numeric as ``float64`` and
    categorical as ``object`` (``str`` or NaN), however ``frame`` was typed:
    a DataFrame, or the object columns of JSON records (``nbops serve-model``
    builds no frame of its own for them: for one record that frame cost more than
    the rest of the preparation).
    """
    problems: list[FieldProblem] = []
    numeric = list(spec.get("numeric", ()))
    categorical = list(spec.get("categorical", ()))
    missing = [n for n in numeric + categorical if n not in frame.columns]
    for name in missing:
        problems.append(FieldProblem(name, f"field {name!r} is missing (send null for an "
                                           "unknown value)"))
    if allowed is not None:
        for name in frame.columns:
            if str(name) not in allowed:
                problems.append(FieldProblem(
                    str(name), f"field {name!r} is not an input of this model"))
    if problems:
        return pd.DataFrame(), problems
    data: dict[str, np.ndarray] = {}
    cleaning = _Cleaning.of(spec)
    for name in numeric:
        data[name] = _numeric(name, frame[name], cleaning, problems)
    for name in categorical:
        data[name] = _category(name, frame[name], cleaning, problems)
    numeric_names = set(numeric)
    # float64 arrays become float64 columns as they are; text needs an explicit object
    # Series (pandas 3 would otherwise infer its string dtype, which encodes differently)
    result = pd.DataFrame(
        {n: data[n] if n in numeric_names else pd.Series(data[n], dtype=object, copy=False)
         for n in spec.get("order", numeric + categorical)},
        index=pd.RangeIndex(len(frame)),
    )
    return result, problems
