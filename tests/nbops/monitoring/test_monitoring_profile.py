"""The reference profile reads the registry's feature schema."""

import numpy as np
import pandas as pd
import pytest
from monitoring_world import SCHEMA

from nbops.core._errors import DataError
from nbops.monitoring import build_profile
from nbops.monitoring._profile import category_codes, feature_kind


def test_kinds_follow_the_schema_dtypes(profile) -> None:
    kinds = {name: ref.kind for name, ref in profile.features.items()}
    assert kinds == {
        "tenure": "numeric",
        "charges": "numeric",
        "calls": "numeric",
        "plan": "categorical",
        "region": "categorical",
    }  # the date column is not monitored: dates move forward by design
    assert feature_kind({"name": "b", "dtype": "bool"}) == "numeric"
    assert feature_kind({"name": "x", "dtype": "int64", "categories": [1, 2]}) == "categorical"


def test_reference_statistics(profile, reference) -> None:
    tenure = profile.features["tenure"]
    assert tenure.missing_rate == pytest.approx(reference["tenure"].isna().mean())
    assert tenure.sorted_values.size == reference["tenure"].notna().sum()
    assert np.all(np.diff(tenure.sorted_values) >= 0)
    assert tenure.counts.sum() == tenure.sorted_values.size
    plan = profile.features["plan"]
    assert plan.categories == ("basic", "plus", "pro")
    region = profile.features["region"]
    assert region.categories == ("north", "south")  # observed, sorted: none declared
    assert profile.scores is not None and profile.target == "churned"


def test_category_codes_mark_unseen_and_missing() -> None:
    column = pd.Series(["a", "z", None, "b"], dtype=object)
    assert category_codes(column, ("a", "b")).tolist() == [0, -1, -2, 1]
    as_category = pd.Series(pd.Categorical(["b", None, "z"], categories=["z", "b"]))
    assert category_codes(as_category, ("a", "b")).tolist() == [1, -2, -1]


def test_reference_must_hold_the_schema_features(reference) -> None:
    with pytest.raises(DataError, match="lacks the schema feature"):
        build_profile(reference.drop(columns=["plan"]), SCHEMA)
    with pytest.raises(DataError, match="no rows"):
        build_profile(reference.iloc[:0], SCHEMA)
