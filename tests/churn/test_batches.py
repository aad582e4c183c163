"""Monitoring batches from the generator (with injected drift) or from files."""

import pandas as pd
import pytest

from churn.batches import load_batch, parse_shift
from nbops.core._errors import DataError


def test_parse_shift() -> None:
    assert parse_shift(None) == {} and parse_shift("null") == {}
    assert parse_shift("age=0.5, monthly_charges=-1") == {"age": 0.5, "monthly_charges": -1.0}
    with pytest.raises(DataError, match="feature=number"):
        parse_shift("age")
    with pytest.raises(DataError, match="cannot shift"):
        parse_shift("height=2")


def test_generator_month_with_drift_is_deterministic() -> None:
    a = load_batch(None, month=12, rows=300, seed=7, shift="age=0.5")
    b = load_batch(None, month=12, rows=300, seed=7, shift="age=0.5")
    clean = load_batch(None, month=12, rows=300, seed=7)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert a.frame["age"].mean() > clean.frame["age"].mean() + 3
    assert a.info == {"source": "generator", "month": 12, "seed": 7, "shift": {"age": 0.5},
                      "concept": 0.0, "rows": 300}


def test_file_labels_are_mapped(tmp_path) -> None:
    path = tmp_path / "batch.csv"
    pd.DataFrame({"x": [1, 2, 3], "churn": ["Yes", "No", None]}).to_csv(path, index=False)
    batch = load_batch(str(path), month=0, rows=0, seed=0)
    assert batch.frame["churn"].tolist()[:2] == [1, 0]
    assert batch.frame["churn"].isna().tolist() == [False, False, True]
    single = tmp_path / "single.csv"
    pd.DataFrame({"x": [1, 2], "churn": ["no", "no"]}).to_csv(single, index=False)
    assert load_batch(str(single), month=0, rows=0, seed=0).frame["churn"].tolist() == [0, 0]
