"""Schema choice, the split, the feature schema, models and their files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from churn import data, features, generator, models, schema
from churn.deterministic import fixed_threads
from nbops.core._errors import DataError, RegistryError, ValidationError
from nbops.validation import check_batch, validate, write_data_schema


@pytest.fixture(autouse=True)
def _one_thread():
    """Fit and score as the pipeline does: OpenMP threads crawl on shared cores."""
    with fixed_threads(models.TRAIN_THREADS):
        yield


@pytest.fixture(scope="module")
def prepared() -> tuple[pd.DataFrame, data.Roles]:
    clean, _ = data.clean(generator.generate(3_600, seed=4), "churn")
    roles, _ = data.infer_roles(clean, "churn")
    return clean, roles


def test_generated_data_passes_its_declared_schema(prepared) -> None:
    clean, roles = prepared
    declared = schema.schema_for(clean, roles, None)
    assert declared.source.startswith("declared")
    validate(clean, declared)
    assert "customer_id" in schema.describe(declared).index


def test_declared_schema_catches_broken_generated_data(prepared) -> None:
    clean, roles = prepared
    broken = clean.copy()
    broken.loc[:2, "age"] = 120
    broken["contract"] = broken["contract"].cat.add_categories(["Weekly"])
    broken.loc[5, "contract"] = "Weekly"
    broken.loc[7, "customer_id"] = broken.loc[8, "customer_id"]
    with pytest.raises(ValidationError) as info:
        validate(broken, schema.schema_for(clean, roles, None), name="the input data")
    message = str(info.value)
    assert "the input data failed 3 validation check(s)" in message
    assert "column 'age': range [18, 95] failed for 3 row(s), e.g. 120" in message
    assert "column 'contract': allowed categories {Month-to-month, One year, Two year}" in message
    assert "'Weekly'" in message
    assert "column 'customer_id': unique values failed for 2 row(s)" in message


def test_user_data_schema_is_inferred_or_read(prepared, tmp_path: Path) -> None:
    clean, roles = prepared
    inferred = schema.schema_for(clean, roles, "my.csv")
    assert inferred.source == "inferred from my.csv"
    path = write_data_schema(tmp_path / "s.json", inferred)
    assert schema.schema_for(clean.iloc[:10], roles, "other.csv", path) == inferred


def test_time_split_and_stratified_fallback(prepared) -> None:
    clean, roles = prepared
    timed = features.split(clean, "churn", roles.date_column, 0.25)
    assert timed.train["signup_date"].max() < timed.test["signup_date"].min()
    assert timed.test["signup_date"].dt.month.unique().tolist() == [10, 11, 12]
    plain = features.split(clean, "churn", None, 0.25, seed=1)
    assert len(plain.test) == 900
    assert plain.test["churn"].mean() == pytest.approx(clean["churn"].mean(), abs=0.01)
    with pytest.raises(DataError, match="test_fraction"):
        features.split(clean, "churn", None, 1.5)


def test_feature_schema_lists_model_inputs(prepared) -> None:
    clean, roles = prepared
    fs = features.feature_schema(clean, roles)
    assert fs.names == roles.features
    assert fs.numeric[0] == "tenure_months" and "contract" in fs.categorical
    contract = next(f for f in fs.features if f.name == "contract")
    assert contract.categories == ("Month-to-month", "One year", "Two year")
    batch = clean[fs.names].copy()
    batch["region"] = batch["region"].cat.add_categories(["Mars"])
    batch.loc[0, "region"] = "Mars"
    assert check_batch(batch, fs) == ["'region' has 1 value(s) never seen in training, e.g. 'Mars'"]
    with pytest.raises(ValidationError, match="lacks feature column"):
        check_batch(batch.drop(columns=["age"]), fs)
    batch["age"] = batch["age"].astype(object)
    batch.loc[1, "age"] = "old"
    with pytest.raises(ValidationError, match="'age' has 1 non-numeric value"):
        check_batch(batch, fs)


def test_models_train_save_load_and_score_raw_frames(prepared, tmp_path: Path) -> None:
    clean, roles = prepared
    parts = features.split(clean, "churn", roles.date_column)
    X, y = parts.train[roles.features], parts.train["churn"]
    model = models.make_model(roles.numeric, roles.categorical, seed=1, max_iter=40).fit(X, y)
    baseline = models.make_baseline(roles.numeric, roles.categorical, seed=1).fit(X, y)
    path = models.save(model, tmp_path / "m.skops")
    loaded = models.load(path)
    test_X = parts.test[roles.features]
    np.testing.assert_allclose(loaded.predict_proba(test_X), model.predict_proba(test_X))
    assert roc_auc_score(parts.test["churn"], loaded.predict_proba(test_X)[:, 1]) > 0.78
    assert roc_auc_score(parts.test["churn"], baseline.predict_proba(test_X)[:, 1]) > 0.75
    with pytest.raises(RegistryError, match="does not exist"):
        models.load(tmp_path / "nope.skops")


def test_shuffled_labels_make_a_useless_model(prepared) -> None:
    clean, roles = prepared
    parts = features.split(clean, "churn", roles.date_column)
    y = models.shuffle_labels(parts.train["churn"], 1.0, seed=2)
    assert y.sum() == parts.train["churn"].sum()
    assert (y != parts.train["churn"]).mean() > 0.3
    labels = parts.train["churn"]
    assert models.shuffle_labels(labels, 0.0) is labels
    model = models.make_model(roles.numeric, roles.categorical, seed=1, max_iter=40)
    model.fit(parts.train[roles.features], y)
    auc = roc_auc_score(parts.test["churn"], model.predict_proba(parts.test[roles.features])[:, 1])
    assert 0.4 < auc < 0.6


def test_fix_hint_depends_on_where_the_rules_came_from(prepared) -> None:
    clean, roles = prepared
    with pytest.raises(ValidationError) as info:
        validate(
            clean.iloc[:40],
            schema.schema_for(clean, roles, None),
            name="the input data",
            fix=schema.fix_hint(None),
        )
    assert str(info.value) == (
        "the input data failed 1 validation check(s): table: at least 100 rows required, "
        "it has 40. Fix: generate at least 100 rows (--env--data--rows N); any other failure "
        "means churn/generator.py and churn/schema.py disagree"
    )
    assert "update rules.json if" in schema.fix_hint("a.csv", "rules.json")


def test_a_model_over_2000_columns_displays_in_the_train_notebook() -> None:
    """scikit-learn's HTML diagram raises TypeError for such a pipeline; the view falls back."""
    columns = [f"f{i}" for i in range(2000)]
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(60, 2000)), columns=columns)
    labels = (frame["f0"] > 0).astype(int)
    model = models.make_model(columns, [], seed=1, learning_rate=0.1, max_iter=2,
                              max_depth=2).fit(frame, labels)
    html = models.view(model)._repr_html_()
    assert html.startswith(("<pre>", "<style>", "<div")) and "HistGradientBoosting" in html
    train = (Path(__file__).parents[2] / "notebooks" / "train.py").read_text()
    assert "\nmodels.view(model)" in train and not train.rstrip().endswith("\nmodel")
