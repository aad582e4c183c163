"""Feature engineering: the train/test split and the preprocessing transformer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from churn.data import Roles
from nbops.core import DataError
from nbops.validation import FeatureSchema, FeatureSpec


@dataclass
class Split:
    """A train/test split and a sentence saying how it was made."""

    train: pd.DataFrame
    test: pd.DataFrame
    how: str


def split(
    frame: pd.DataFrame,
    target: str,
    date_column: str | None = None,
    test_fraction: float = 0.25,
    seed: int = 0,
) -> Split:
    """Split by time when a date column exists (test = the latest months), else stratified.

    With a date column the last ``round(test_fraction * months)`` calendar
    months (at least one) form the test set, so the model is always scored on
    a period it has not seen.
    """
    if not 0.0 < test_fraction < 1.0:
        raise DataError(
            f"split.test_fraction is {test_fraction}, it must be between 0 and 1",
            "set split.test_fraction to e.g. 0.25 in env.yaml",
        )
    if frame[target].nunique() < 2:
        raise DataError(
            f"target {target!r} has a single value in the data, nothing to learn",
            "use data holding both outcomes",
        )
    if date_column is not None:
        months = frame[date_column].dt.to_period("M")
        periods = np.sort(months.dropna().unique())
        if len(periods) >= 2:
            n_test = min(len(periods) - 1, max(1, round(test_fraction * len(periods))))
            cutoff = periods[-n_test]
            is_test = (months >= cutoff).to_numpy()
            train, test = frame.loc[~is_test], frame.loc[is_test]
            if train[target].nunique() == 2 and test[target].nunique() == 2:
                how = (
                    f"time-based on {date_column!r}: train {periods[0]}..{periods[-n_test - 1]} "
                    f"({len(train)} rows), test {cutoff}..{periods[-1]} ({len(test)} rows)"
                )
                return Split(train.reset_index(drop=True), test.reset_index(drop=True), how)
    train, test = train_test_split(
        frame, test_size=test_fraction, stratify=frame[target], random_state=seed
    )
    how = f"stratified random split: train {len(train)} rows, test {len(test)} rows"
    return Split(train.reset_index(drop=True), test.reset_index(drop=True), how)


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical inputs as plain objects, missing as NaN (one representation for sklearn)."""
    return frame.astype(object).where(frame.notna(), np.nan)


def _as_float(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.apply(pd.to_numeric, errors="coerce").astype("float64")


def build_preprocessor(
    numeric: list[str], categorical: list[str], scale: bool = True
) -> ColumnTransformer:
    """Impute, scale numeric features; impute, one-hot encode categorical ones."""
    numeric_steps: list[tuple[str, object]] = [
        ("to_float", FunctionTransformer(_as_float, feature_names_out="one-to-one")),
        ("impute", SimpleImputer(strategy="median", add_indicator=True)),
    ]
    if scale:
        numeric_steps.append(("scale", StandardScaler()))
    categorical_steps = [
        ("to_text", FunctionTransformer(_as_text, feature_names_out="one-to-one")),
        ("impute", SimpleImputer(strategy="constant", fill_value="(missing)")),
        (
            "encode",
            OneHotEncoder(
                handle_unknown="infrequent_if_exist", max_categories=30, sparse_output=False
            ),
        ),
    ]
    return ColumnTransformer(
        [
            ("numeric", Pipeline(numeric_steps), numeric),
            ("categorical", Pipeline(categorical_steps), categorical),
        ],
        remainder="drop",
        verbose_feature_names_out=False,
    )


def feature_schema(train: pd.DataFrame, roles: Roles) -> FeatureSchema:
    """Describe the model's input columns, with the categories seen in training."""
    specs = []
    for name in roles.numeric:
        column = train[name]
        dtype = "int" if pd.api.types.is_integer_dtype(column) else "float"
        specs.append(FeatureSpec(name, dtype))  # type: ignore[arg-type]
    for name in roles.categorical:
        values = train[name].dropna().astype(str)
        specs.append(FeatureSpec(name, "category", tuple(sorted(values.unique()))))
    return FeatureSchema(
        target=roles.target,
        features=tuple(specs),
        date_column=roles.date_column,
        id_columns=tuple(roles.id_columns),
    )
