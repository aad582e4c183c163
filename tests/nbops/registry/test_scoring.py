import numpy as np
import pandas as pd
import pytest

from nbops.core._errors import DataError, ValidationError
from nbops.core._feature_schema import check_input, kind_of
from nbops.registry._scoring import read_table

SCHEMA = {
    "target": "churned",
    "features": [
        {"name": "tenure", "dtype": "int"},
        {"name": "charges", "dtype": "float"},
        {"name": "plan", "dtype": "category", "categories": ["basic", "plus"]},
        {"name": "senior", "dtype": "category", "categories": ["0", "1"]},
    ],
}


def _frame(**overrides):
    base = {"id": ["a", "b", "c"], "tenure": [1, 2, 3], "charges": [10.0, 20.5, np.nan],
            "plan": ["basic", "plus", None], "senior": [0, 1, 0]}
    base.update(overrides)
    return pd.DataFrame(base)


def test_kinds():
    assert [kind_of(d) for d in ("int", "float64", "category", "str", "bool", "datetime64[ns]")] \
        == ["numeric", "numeric", "category", "text", "bool", "datetime"]


def test_valid_input_keeps_schema_order_and_drops_extras():
    checked = check_input(_frame(), SCHEMA)
    assert list(checked.frame.columns) == ["tenure", "charges", "plan", "senior"]
    assert checked.warnings == []


def test_blank_strings_become_missing_in_numeric_columns():
    checked = check_input(_frame(charges=["10.5", " ", "7"]), SCHEMA)
    assert checked.frame["charges"].tolist()[0] == 10.5
    assert np.isnan(checked.frame["charges"].tolist()[1])


def test_missing_and_mistyped_columns_are_all_named_in_one_error():
    bad = _frame(charges=["10", "lots", "n/a"], senior=[0, 7, 1]).drop(columns=["tenure"])
    with pytest.raises(ValidationError) as info:
        check_input(bad, SCHEMA)
    text = str(info.value)
    assert "missing column(s): 'tenure'" in text
    assert "'charges' should be numeric but holds 2 non-numeric value(s), e.g. 'lots', 'n/a'" \
        in text
    assert "'senior' should be categorical text but has numeric type int64 (values like '7')" \
        in text
    assert "Fix: provide every feature column" in text


def test_unseen_categories_are_a_warning_not_an_error():
    checked = check_input(_frame(plan=["basic", "gold", "gold"]), SCHEMA)
    assert checked.warnings == ["'plan' has 1 categor(ies) unseen in training, e.g. 'gold'"]


def test_read_table_errors(tmp_path):
    with pytest.raises(DataError, match="unsupported extension '.xlsx'"):
        read_table(tmp_path / "x.xlsx")
    with pytest.raises(DataError, match="does not exist"):
        read_table(tmp_path / "x.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match="is empty"):
        read_table(tmp_path / "empty.csv")
    (tmp_path / "header.csv").write_text("a,b\n")
    with pytest.raises(DataError, match="has no rows"):
        read_table(tmp_path / "header.csv")


def test_a_model_that_refuses_what_its_schema_accepts_is_one_sentence():
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from nbops.core._errors import RegistryError
    from nbops.registry._scoring import predict_table

    train = pd.DataFrame({"tenure": [1.0, 5, 9, 30], "charges": [10.0, 50, 20, 80],
                          "churned": [1, 0, 1, 0]})
    model = make_pipeline(ColumnTransformer([("n", "passthrough", ["tenure", "charges"])]),
                          LogisticRegression()).fit(train, train["churned"])
    only_tenure = {"features": [{"name": "tenure", "dtype": "float64"}]}
    with pytest.raises(RegistryError, match="columns are missing") as caught:
        predict_table(model, train.drop(columns="churned"), only_tenure)
    assert "register the model again" in caught.value.fix
