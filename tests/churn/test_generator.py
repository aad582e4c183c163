"""The embedded data generator: realism, determinism, drift, chunking."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

from churn import generator
from churn.deterministic import fixed_threads
from churn.generator import DriftSpec


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return generator.generate(24_000, seed=3)


def _features(df: pd.DataFrame) -> pd.DataFrame:
    X = df.drop(columns=[generator.ID_COLUMN, generator.DATE_COLUMN, generator.TARGET])
    return X.astype({c: "float32" for c in ("support_calls", "age")})


def test_columns_types_and_ids(frame: pd.DataFrame) -> None:
    assert list(frame.columns) == list(generator.COLUMNS)
    assert len(frame) == 24_000
    assert frame[generator.ID_COLUMN].is_unique
    assert frame["monthly_charges"].dtype == np.float32
    assert isinstance(frame["contract"].dtype, pd.CategoricalDtype)
    assert set(frame[generator.TARGET].unique()) == {0, 1}


def test_signup_dates_spread_evenly_over_months(frame: pd.DataFrame) -> None:
    months = frame[generator.DATE_COLUMN].dt.to_period("M").value_counts().sort_index()
    assert [str(m) for m in months.index] == [f"2024-{m:02d}" for m in range(1, 13)]
    assert set(months) == {2000}


def test_missing_values_at_configured_rates(frame: pd.DataFrame) -> None:
    for column, rate in generator.MISSING_RATES.items():
        assert frame[column].isna().mean() == pytest.approx(rate, abs=0.01)
    brand_new = frame["tenure_months"] == 0
    assert brand_new.any() and frame.loc[brand_new, "total_charges"].isna().all()


def test_churn_rate_and_signal_are_plausible(frame: pd.DataFrame) -> None:
    assert 0.2 < frame[generator.TARGET].mean() < 0.35
    month_to_month = frame["contract"] == "Month-to-month"
    churn = frame[generator.TARGET]
    assert churn[month_to_month].mean() > 2 * churn[~month_to_month].mean()


def test_deterministic_and_prefix_stable() -> None:
    a = generator.generate_month(4, 700, seed=11)
    b = generator.generate_month(4, 700, seed=11)
    longer = generator.generate_month(4, 60_000, seed=11)
    assert a.equals(b)
    assert a.equals(longer.iloc[:700])
    assert not generator.generate_month(4, 700, seed=12).equals(a)


def test_chunks_match_whole_frame_and_parquet_streams(tmp_path) -> None:
    n = 130_003  # several blocks, uneven months
    whole = generator.generate(n, seed=5, months=3)
    chunks = list(generator.iter_chunks(n, seed=5, months=3, chunk_rows=40_000))
    assert [len(c) for c in chunks] == [40_000, 40_000, 40_000, 10_003]
    assert pd.concat(chunks, ignore_index=True).equals(whole)
    path = generator.write_parquet(tmp_path / "big.parquet", n, seed=5, months=3, chunk_rows=40_000)
    assert pq.ParquetFile(path).metadata.num_rows == n
    assert pq.ParquetFile(path).metadata.num_row_groups == 4
    back = pd.read_parquet(path)
    assert back.dtypes.equals(whole.dtypes)
    assert back.equals(whole)


def test_covariate_drift_shifts_by_reference_std_and_changes_mix() -> None:
    drift = DriftSpec(
        start_month=2,
        covariate={"monthly_charges": 1.0, "age": -0.5},
        category_mix={"contract": {"Month-to-month": 0.9, "Two year": 0.1}},
    )
    before = generator.generate_month(1, 20_000, seed=1, drift=drift)
    after = generator.generate_month(2, 20_000, seed=1, drift=drift)
    undrifted = generator.generate_month(2, 20_000, seed=1)
    shift = after["monthly_charges"].mean() - undrifted["monthly_charges"].mean()
    assert shift == pytest.approx(generator.NUMERIC_STD["monthly_charges"], rel=0.1)
    age_shift = after["age"].astype(float).mean() - undrifted["age"].astype(float).mean()
    assert age_shift == pytest.approx(-0.5 * generator.NUMERIC_STD["age"], rel=0.15)
    mix = after["contract"].value_counts(normalize=True)
    assert mix["Month-to-month"] == pytest.approx(0.9, abs=0.02)
    assert mix["One year"] == 0
    assert before.equals(generator.generate_month(1, 20_000, seed=1))


def test_ramp_grows_drift_strength() -> None:
    drift = DriftSpec(start_month=3, ramp_months=4, covariate={"support_calls": 1.0})
    assert [drift.strength(m) for m in range(2, 8)] == [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]


def test_concept_drift_lowers_a_fixed_models_auc() -> None:
    train = generator.generate(12_000, seed=8, months=6)
    model = HistGradientBoostingClassifier(
        categorical_features="from_dtype", max_iter=40, max_depth=3, random_state=0
    )
    with fixed_threads(1):
        model.fit(_features(train), train[generator.TARGET])
    drift = DriftSpec(start_month=6, concept=1.0)
    same = generator.generate_month(6, 5_000, seed=9)
    drifted = generator.generate_month(6, 5_000, seed=9, drift=drift)
    with fixed_threads(1):
        proba_same = model.predict_proba(_features(same))[:, 1]
        proba_drift = model.predict_proba(_features(drifted))[:, 1]
    auc_same = roc_auc_score(same[generator.TARGET], proba_same)
    auc_drift = roc_auc_score(drifted[generator.TARGET], proba_drift)
    assert auc_same > 0.8
    assert auc_drift < auc_same - 0.15


def test_drift_spec_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="unknown numeric"):
        DriftSpec(start_month=1, covariate={"salary": 1.0})
    with pytest.raises(ValueError, match="unknown column"):
        DriftSpec(start_month=1, category_mix={"colour": {"red": 1.0}})
    with pytest.raises(ValueError, match="between 0 and 1"):
        DriftSpec(start_month=1, concept=2.0)


def test_empty_request_keeps_columns() -> None:
    empty = generator.generate(0)
    assert len(empty) == 0 and list(empty.columns) == list(generator.COLUMNS)
