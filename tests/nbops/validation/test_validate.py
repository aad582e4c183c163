"""Validation against a DataSchema: every check, one readable sentence."""

from __future__ import annotations

import pandas as pd
import pytest

from nbops.core._errors import ValidationError
from nbops.validation import ColumnSpec, DataSchema, validate


def _schema(*columns: ColumnSpec, min_rows: int = 1) -> DataSchema:
    return DataSchema(columns=columns, min_rows=min_rows)


def _message(frame: pd.DataFrame, schema: DataSchema) -> str:
    with pytest.raises(ValidationError) as info:
        validate(frame, schema, name="the batch")
    text = str(info.value)
    assert "\n" not in text
    return text


def test_valid_frame_passes_unchanged() -> None:
    frame = pd.DataFrame({"id": ["a", "b"], "n": [1, 2], "c": ["x", None]})
    schema = _schema(
        ColumnSpec("id", "string", nullable=False, unique=True),
        ColumnSpec("n", "int", min=0, max=5),
        ColumnSpec("c", "category", categories=("x", "y"), max_null_rate=0.5),
    )
    assert validate(frame, schema) is frame


def test_type_check_names_values_that_do_not_parse() -> None:
    frame = pd.DataFrame({"n": ["1", "two", "3.5", None]})
    text = _message(frame, _schema(ColumnSpec("n", "int")))
    assert "column 'n': type int failed for 2 row(s), e.g. 'two', '3.5'" in text


def test_range_check_quotes_offending_values() -> None:
    frame = pd.DataFrame({"age": [20, 130, -4, 130, 50]})
    text = _message(frame, _schema(ColumnSpec("age", "int", min=18, max=95)))
    assert "the batch failed 1 validation check(s): column 'age': range [18, 95]" in text
    assert "failed for 3 row(s), e.g. 130, -4" in text
    assert text.endswith(
        "Fix: correct the data at its source, or update the schema if the new values are legitimate"
    )


def test_datetime_range() -> None:
    frame = pd.DataFrame({"d": pd.to_datetime(["2024-01-05", "2023-12-31"])})
    text = _message(frame, _schema(ColumnSpec("d", "datetime", min="2024-01-01")))
    assert "column 'd': range [2024-01-01, inf] failed for 1 row(s), e.g. 2023-12-31" in text


def test_categories_null_rate_uniqueness_rows_and_missing_columns_all_reported() -> None:
    frame = pd.DataFrame(
        {
            "id": ["a", "a", "b", None],
            "plan": ["basic", "gold", None, None],
        }
    )
    schema = _schema(
        ColumnSpec("id", "string", nullable=False, unique=True),
        ColumnSpec("plan", "category", categories=("basic", "plus"), max_null_rate=0.25),
        ColumnSpec("tenure", "int"),
        min_rows=10,
    )
    text = _message(frame, schema)
    assert "failed 6 validation check(s)" in text
    assert "required column(s) 'tenure' missing" in text
    assert "table: at least 10 rows required, it has 4" in text
    assert "column 'id': no missing values failed for 1 row(s)" in text
    assert "column 'id': unique values failed for 2 row(s), e.g. 'a'" in text
    assert (
        "column 'plan': allowed categories {basic, plus} failed for 1 row(s), e.g. 'gold'" in text
    )
    assert "column 'plan': null rate <= 25.0% failed" in text


def test_custom_fix_is_used() -> None:
    with pytest.raises(ValidationError, match="Fix: re-export the file"):
        validate(
            pd.DataFrame({"n": [-1]}),
            _schema(ColumnSpec("n", "int", min=0)),
            fix="re-export the file",
        )
