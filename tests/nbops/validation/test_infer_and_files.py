"""Schema inference from reference data, and the schema files on disk."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nbops.core._errors import ConfigError, ValidationError
from nbops.validation import (
    DataSchema,
    FeatureSchema,
    FeatureSpec,
    infer_schema,
    read_data_schema,
    read_feature_schema,
    validate,
    write_data_schema,
    write_feature_schema,
)


@pytest.fixture
def reference() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 400
    return pd.DataFrame(
        {
            "customer": [f"c{i}" for i in range(n)],
            "tenure": rng.integers(0, 72, n),
            "charges": np.where(rng.random(n) < 0.1, np.nan, rng.uniform(18, 120, n)),
            "plan": rng.choice(["basic", "plus", "gold"], n),
            "when": pd.date_range("2024-01-01", periods=n, freq="h"),
            "comment": [f"free text number {i}" for i in range(n)],
            "y": rng.integers(0, 2, n),
        }
    )


def test_inferred_schema_accepts_its_reference_and_leaves_room(reference) -> None:
    schema = infer_schema(reference, unique=["customer"], target="y", max_categories=10)
    validate(reference, schema)
    tenure = schema.column("tenure")
    assert tenure.dtype == "int" and tenure.min == 0 and tenure.max >= 71 * 1.1
    charges = schema.column("charges")
    assert charges.dtype == "float"
    assert charges.max_null_rate == pytest.approx(reference["charges"].isna().mean() + 0.05)
    assert schema.column("plan").categories == ("basic", "gold", "plus")
    assert schema.column("comment").dtype == "string"
    assert schema.column("customer").unique and not schema.column("customer").nullable
    assert schema.column("when").dtype == "datetime"
    assert schema.column("y").max_null_rate == 0.0
    assert schema.min_rows == 100 and schema.target == "y"


def test_inferred_schema_catches_a_bad_batch(reference) -> None:
    schema = infer_schema(reference, unique=["customer"], target="y")
    batch = reference.copy()
    batch.loc[0, "plan"] = "platinum"
    batch.loc[1, "tenure"] = 500
    with pytest.raises(ValidationError, match="'plan'.*'platinum'|'tenure'.*500"):
        validate(batch, schema)


def test_data_schema_round_trips_and_is_checked(reference, tmp_path: Path) -> None:
    schema = infer_schema(reference, unique=["customer"], target="y")
    path = write_data_schema(tmp_path / "data_schema.json", schema)
    assert read_data_schema(path) == schema
    data = json.loads(path.read_text())
    assert data["schema_version"] == 1
    data["columns"][0]["dtype"] = "decimal"
    path.write_text(json.dumps(data))
    with pytest.raises(
        ConfigError, match="does not match data_schema.schema.json at columns/0/dtype"
    ):
        read_data_schema(path)
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="is not valid JSON"):
        read_data_schema(path)
    with pytest.raises(ConfigError, match="does not exist"):
        read_data_schema(tmp_path / "nope.json")


def test_feature_schema_round_trips(tmp_path: Path) -> None:
    schema = FeatureSchema(
        target="churn",
        features=(FeatureSpec("tenure", "int"), FeatureSpec("plan", "category", ("a", "b"))),
        date_column="signup_date",
        id_columns=("customer_id",),
    )
    path = write_feature_schema(tmp_path / "feature_schema.json", schema)
    assert read_feature_schema(path) == schema
    assert json.loads(path.read_text())["features"][1] == {
        "name": "plan",
        "dtype": "category",
        "categories": ["a", "b"],
    }
    assert schema.numeric == ["tenure"] and schema.categorical == ["plan"]
    with pytest.raises(ConfigError):
        write_feature_schema(tmp_path / "bad.json", FeatureSchema(target="churn", features=()))
    assert not (tmp_path / "bad.json").exists()


def test_empty_schema_round_trip(tmp_path: Path) -> None:
    schema = DataSchema(columns=(), min_rows=0)
    assert read_data_schema(write_data_schema(tmp_path / "s.json", schema)) == schema
