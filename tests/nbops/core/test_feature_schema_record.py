"""The feature schema's JSON form as a type (``FeatureSchemaRecord``): what
``FeatureSchema.from_dict`` makes of the values the type allows."""

import pytest

from nbops.core import FeatureSchema, ValidationError


def test_a_feature_with_null_categories_has_none() -> None:
    # a registered version's schema may write categories: null (registry.schema.json)
    schema = FeatureSchema.from_dict({"schema_version": 1, "target": "churn", "features": [
        {"name": "plan", "dtype": "category", "categories": None}]})
    assert schema.features[0].categories is None


def test_a_schema_naming_no_target_or_an_unknown_dtype_is_refused_in_one_sentence() -> None:
    with pytest.raises(ValidationError, match="names no target column"):
        FeatureSchema.from_dict({"schema_version": 1, "target": None, "features": []})
    with pytest.raises(ValidationError, match="feature 'x' has dtype 'int64'"):
        FeatureSchema.from_dict({"schema_version": 1, "target": "y",
                                 "features": [{"name": "x", "dtype": "int64"}]})
