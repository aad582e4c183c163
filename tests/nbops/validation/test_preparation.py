"""Input preparation, value by value: what a raw value becomes, and the exact sentence when it
cannot become anything (the serving and monitoring tests only see whole frames)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from nbops.validation._preparation import FieldProblem, clean_raw, labels, prepare_for_model

SPEC = {"spec_version": 1, "strip_text": True, "blank_is_missing": True,
        "numeric": ["charges"], "categorical": ["plan"],
        "target": {"name": "churn", "positive": ["Left"], "negative": ["Stayed"]}}


def _column(*values: object) -> pd.Series:
    return pd.Series(list(values), dtype=object)


def _values(series: pd.Series) -> list[object]:
    return [None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))
            else v for v in series]


# --- labels -----------------------------------------------------------------------------


def test_labels_follow_the_spec_mapping_ignoring_case_and_spaces() -> None:
    got = labels(_column(" left", "STAYED ", "yes", None, float("nan"), "maybe"), SPEC)
    assert str(got.dtype) == "Float64"
    assert _values(got) == [1.0, 0.0, None, None, None, None]


def test_labels_default_to_the_usual_yes_no_words() -> None:
    got = labels(_column("Yes", "no", "1", "0.0", "T", "f", "churned", "stayed", 1, 0, "x"),
                 {"target": {"name": "y"}})
    assert _values(got) == [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, None]
    assert _values(labels(_column("yes", "no"), {})) == [1.0, 0.0]


def test_boolean_labels_are_taken_as_they_are() -> None:
    got = labels(pd.Series([True, False, True]), SPEC)
    assert str(got.dtype) == "Float64" and _values(got) == [1.0, 0.0, 1.0]


# --- clean_raw (lenient, for monitoring) --------------------------------------------------


def test_clean_raw_turns_text_numbers_into_numbers_and_blanks_into_missing() -> None:
    frame = pd.DataFrame({"charges": _column(" 12.5", "", "3", None),
                          "plan": _column(" pro ", "  ", "basic", None),
                          "churn": _column("left", "stayed", "?", None),
                          "other": _column(" kept ", "", "x", None)})
    out = clean_raw(frame, SPEC)
    assert out["charges"].dtype == "float64"
    assert _values(out["charges"]) == [12.5, None, 3.0, None]
    assert out["plan"].dtype == object and _values(out["plan"]) == ["pro", None, "basic", None]
    assert _values(out["churn"]) == [1.0, 0.0, None, None]
    assert _values(out["other"]) == [" kept ", "", "x", None]  # not a feature: untouched
    assert _values(frame["charges"]) == [" 12.5", "", "3", None]  # the input is not changed


def test_clean_raw_leaves_a_numeric_column_with_text_as_it_is_for_monitoring_to_report() -> None:
    frame = pd.DataFrame({"charges": _column("12", "twelve")})
    assert _values(clean_raw(frame, SPEC)["charges"]) == ["12", "twelve"]


def test_clean_raw_leaves_typed_and_absent_columns_alone() -> None:
    frame = pd.DataFrame({"charges": pd.Series([1, 2], dtype="int64"),
                          "plan": pd.Categorical([" a ", "b"])})
    out = clean_raw(frame, SPEC)
    assert out["charges"].dtype == "int64" and list(out["charges"]) == [1, 2]
    assert isinstance(out["plan"].dtype, pd.CategoricalDtype)
    assert list(out["plan"]) == [" a ", "b"]
    booleans = clean_raw(pd.DataFrame({"charges": [True, False]}), SPEC)
    assert booleans["charges"].dtype == bool
    numbers = pd.DataFrame({"plan": [1, 2]})  # a numeric "categorical" column stays numeric
    assert clean_raw(numbers, SPEC)["plan"].dtype == "int64"
    assert list(clean_raw(pd.DataFrame({"x": [1]}), SPEC).columns) == ["x"]


def test_clean_raw_keeps_spaces_and_blanks_when_the_spec_says_so() -> None:
    spec = {**SPEC, "strip_text": False, "blank_is_missing": False}
    out = clean_raw(pd.DataFrame({"plan": _column(" pro ", "", None)}), spec)
    assert _values(out["plan"]) == [" pro ", "", None]
    stripped = clean_raw(pd.DataFrame({"plan": _column(" pro ", "")}),
                         {**SPEC, "blank_is_missing": False})
    assert _values(stripped["plan"]) == ["pro", ""]
    kept = clean_raw(pd.DataFrame({"plan": _column(" pro ", " ")}),
                     {**SPEC, "strip_text": False})
    assert _values(kept["plan"]) == [" pro ", " "]


def test_clean_raw_reads_pandas_string_columns_too() -> None:
    frame = pd.DataFrame({"plan": pd.Series([" pro", ""], dtype="string")})
    out = clean_raw(frame, SPEC)
    assert out["plan"].dtype == object and _values(out["plan"]) == ["pro", None]


def test_clean_raw_without_a_target_in_the_spec_leaves_the_label_column() -> None:
    frame = pd.DataFrame({"churn": _column("left")})
    assert _values(clean_raw(frame, {"numeric": []})["churn"]) == ["left"]


# --- prepare_for_model (strict, for scoring) ----------------------------------------------


def test_the_model_frame_has_the_features_in_order_and_typed() -> None:
    frame = pd.DataFrame({"plan": _column(" pro ", "", 2.0, 2.5, 7, None),
                          "charges": _column(" 12.5", "", 3, np.int64(4), np.float32(0.5), None)}
                         ).set_axis([10, 11, 12, 13, 14, 15])
    out, problems = prepare_for_model(frame, {**SPEC, "order": ["plan", "charges"]})
    assert problems == []
    assert list(out.columns) == ["plan", "charges"]
    assert out.index.equals(pd.RangeIndex(6))
    assert out["charges"].dtype == "float64" and out["plan"].dtype == object
    assert _values(out["charges"]) == [12.5, None, 3.0, 4.0, 0.5, None]
    assert _values(out["plan"]) == ["pro", None, "2", "2.5", "7", None]


def test_without_an_order_numeric_features_come_first() -> None:
    frame = pd.DataFrame({"plan": _column("a"), "charges": _column("1")})
    out, _ = prepare_for_model(frame, SPEC)
    assert list(out.columns) == ["charges", "plan"]


def test_a_missing_feature_and_an_unknown_field_are_named() -> None:
    out, problems = prepare_for_model(pd.DataFrame({"plan": ["a"], "extra": [1]}), SPEC,
                                      allowed={"charges", "plan"})
    assert out.empty
    assert problems == [
        FieldProblem("charges", "field 'charges' is missing (send null for an unknown value)"),
        FieldProblem("extra", "field 'extra' is not an input of this model")]
    _, ok = prepare_for_model(pd.DataFrame({"plan": ["a"], "charges": [1]}), SPEC,
                              allowed={"charges", "plan"})
    assert ok == []
    _, anything = prepare_for_model(pd.DataFrame({"plan": ["a"], "charges": [1], "x": [1]}),
                                    SPEC)
    assert anything == []


def test_text_that_is_not_a_number_is_named_once() -> None:
    frame = pd.DataFrame({"charges": _column("1", "twelve", "ten"), "plan": _column("a", "b",
                                                                                     "c")})
    _, problems = prepare_for_model(frame, SPEC)
    assert problems == [FieldProblem(
        "charges", "field 'charges' must be a number (or null), got 'twelve'")]


@pytest.mark.parametrize("value", [True, {"a": 1}])
def test_a_non_number_in_a_numeric_field_is_named(value: object) -> None:
    frame = pd.DataFrame({"charges": _column(1, value), "plan": _column("a", "b")})
    _, problems = prepare_for_model(frame, SPEC)
    assert problems == [FieldProblem(
        "charges", f"field 'charges' must be a number (or null), got {value!r}")]


def test_a_boolean_column_is_not_a_number() -> None:
    frame = pd.DataFrame({"charges": [True, False], "plan": ["a", "b"]})
    out, problems = prepare_for_model(frame, SPEC)
    assert problems == [FieldProblem("charges",
                                     "field 'charges' must be a number, not true/false")]
    assert out["charges"].isna().all()


@pytest.mark.parametrize("column", [_column("1", "inf"), pd.Series([1.0, float("-inf")]),
                                    _column(2, float("inf"))])
def test_an_infinite_number_is_named_with_its_value(column: pd.Series) -> None:
    infinite = float(column.iloc[1])
    frame = pd.DataFrame({"charges": column, "plan": ["a", "b"]})
    _, problems = prepare_for_model(frame, SPEC)
    assert problems == [FieldProblem(
        "charges", f"field 'charges' must be a finite number (or null), got {infinite!r}")]


def test_numbers_spaces_and_blanks_follow_the_spec() -> None:
    frame = pd.DataFrame({"charges": _column("", " "), "plan": _column("a", "b")})
    _, problems = prepare_for_model(frame, {**SPEC, "blank_is_missing": False})
    assert problems == [FieldProblem("charges",
                                     "field 'charges' must be a number (or null), got ''")]
    out, problems = prepare_for_model(frame, {**SPEC, "strip_text": False})
    assert problems == [FieldProblem("charges",
                                     "field 'charges' must be a number (or null), got ' '")]
    out, problems = prepare_for_model(frame, SPEC)
    assert problems == [] and out["charges"].isna().all()


def test_categories_keep_spaces_and_blanks_when_the_spec_says_so() -> None:
    frame = pd.DataFrame({"charges": [1, 2, 3], "plan": _column(" a ", "", None)})
    out, _ = prepare_for_model(frame, {**SPEC, "strip_text": False, "blank_is_missing": False})
    assert _values(out["plan"]) == [" a ", "", None]
    out, _ = prepare_for_model(frame, {**SPEC, "blank_is_missing": False})
    assert _values(out["plan"]) == ["a", "", None]


@pytest.mark.parametrize("value", [True, np.bool_(False), {"a": 1}, [1]])
def test_a_category_that_is_not_text_is_named_and_stops_the_column(value: object) -> None:
    frame = pd.DataFrame({"charges": [1, 2, 3], "plan": _column("a", value, [2])})
    out, problems = prepare_for_model(frame, SPEC)
    assert problems == [FieldProblem(
        "plan", f"field 'plan' must be text (one of the model's categories), got {value!r}")]


def test_a_numeric_problem_does_not_stop_the_categories() -> None:
    frame = pd.DataFrame({"charges": _column("x"), "plan": _column({"a": 1})})
    _, problems = prepare_for_model(frame, SPEC)
    assert [p.field for p in problems] == ["charges", "plan"]


def test_categorical_columns_are_converted_by_category() -> None:
    frame = pd.DataFrame({"charges": [1.0, 2.0, 3.0, 4.0],
                          "plan": pd.Categorical([" a ", None, "  ", 2.0])})
    out, problems = prepare_for_model(frame, SPEC)
    assert problems == []
    assert _values(out["plan"]) == ["a", None, None, "2"]


def test_arrow_dictionary_columns_are_converted_by_category() -> None:
    class Columns:  # what serve-model hands over for a Parquet body
        columns = ["charges", "plan"]

        def __getitem__(self, name: str) -> object:
            if name == "charges":
                return np.array([1.0, 2.0, 3.0])
            return pa.array([" a ", None, "b"]).dictionary_encode()

        def __len__(self) -> int:
            return 3

    out, problems = prepare_for_model(Columns(), SPEC)
    assert problems == []
    assert _values(out["plan"]) == ["a", None, "b"]
    assert _values(out["charges"]) == [1.0, 2.0, 3.0]


def test_a_category_dictionary_that_is_not_text_is_named() -> None:
    frame = pd.DataFrame({"charges": [1.0, 2.0], "plan": pd.Categorical([True, False])})
    _, problems = prepare_for_model(frame, SPEC)
    assert problems[0] == FieldProblem(  # categories are sorted: False comes first
        "plan", "field 'plan' must be text (one of the model's categories), got False")
    assert {p.field for p in problems} == {"plan"}


def test_without_the_flags_text_is_stripped_and_blanks_are_missing() -> None:
    spec = {"numeric": ["charges"], "categorical": ["plan"]}
    frame = pd.DataFrame({"charges": _column(" ", None, "2", "", " 3 "),
                          "plan": _column(" a ", "", None, "  ", "b")})
    out, problems = prepare_for_model(frame, spec)
    assert problems == []
    assert _values(out["charges"]) == [None, None, 2.0, None, 3.0]
    assert _values(out["plan"]) == ["a", None, None, None, "b"]
    cleaned = clean_raw(frame, spec)
    assert _values(cleaned["charges"]) == [None, None, 2.0, None, 3.0]
    assert _values(cleaned["plan"]) == ["a", None, None, None, "b"]
    categories = pd.DataFrame({"charges": [1.0, 2.0], "plan": pd.Categorical([" a ", " "])})
    assert _values(prepare_for_model(categories, spec)[0]["plan"]) == ["a", None]


def test_a_spec_without_features_gives_a_frame_of_as_many_rows() -> None:
    out, problems = prepare_for_model(pd.DataFrame({"x": [1, 2, 3]}), {})
    assert problems == [] and len(out) == 3 and list(out.columns) == []
    assert clean_raw(pd.DataFrame({"x": [" a "]}), {})["x"].tolist() == [" a "]


def test_integer_columns_become_floats() -> None:
    frame = pd.DataFrame({"charges": pd.Series([1, 2], dtype="int64"), "plan": ["a", "b"]})
    out, _ = prepare_for_model(frame, SPEC)
    assert out["charges"].dtype == "float64" and out["charges"].tolist() == [1.0, 2.0]
    nullable = pd.DataFrame({"charges": pd.Series([1, None], dtype="Int64"),
                             "plan": ["a", "b"]})
    out, _ = prepare_for_model(nullable, SPEC)
    assert out["charges"].dtype == "float64" and _values(out["charges"]) == [1.0, None]
    text = clean_raw(pd.DataFrame({"charges": _column("1", "2")}), SPEC)
    assert text["charges"].dtype == "float64"


def test_values_after_a_missing_or_blank_one_are_still_read() -> None:
    frame = pd.DataFrame({"charges": _column(None, "", "2"), "plan": _column(None, "", "b")})
    out, problems = prepare_for_model(frame, SPEC)
    assert problems == []
    assert _values(out["charges"]) == [None, None, 2.0]
    assert _values(out["plan"]) == [None, None, "b"]


def test_every_feature_is_cleaned_whatever_comes_before_it() -> None:
    spec = {"numeric": ["absent", "typed", "flag", "text"],
            "categorical": ["gone", "coded", "free"]}
    frame = pd.DataFrame({"typed": [1.0], "flag": [True], "text": _column("4"),
                          "coded": pd.Categorical(["x"]), "free": _column(" y ")})
    out = clean_raw(frame, spec)
    assert out["text"].tolist() == [4.0] and out["free"].tolist() == ["y"]


def test_a_series_indexed_by_the_word_dictionary_is_still_a_series() -> None:
    frame = pd.DataFrame({"charges": [1.0, 2.0], "plan": [" a", "b"]},
                         index=["dictionary", "indices"])
    out, problems = prepare_for_model(frame, SPEC)
    assert problems == [] and _values(out["plan"]) == ["a", "b"]


def test_an_arrow_dictionary_that_is_not_text_is_named() -> None:
    class Columns:
        columns = ["charges", "plan"]

        def __getitem__(self, name: str) -> object:
            if name == "charges":
                return np.array([1.0])
            return pa.array([True]).dictionary_encode()

        def __len__(self) -> int:
            return 1

    _, problems = prepare_for_model(Columns(), SPEC)
    assert problems == [FieldProblem(
        "plan", "field 'plan' must be text (one of the model's categories), got True")]


def test_custom_label_words_replace_the_usual_ones_and_missing_stays_missing() -> None:
    spec = {"target": {"name": "y", "positive": ["churned"], "negative": ["none"]}}
    got = labels(_column("no", "yes", "None", None, float("nan"), "CHURNED"), spec)
    assert _values(got) == [None, None, 0.0, None, None, 1.0]
    nan_words = {"target": {"name": "y", "positive": ["nan"], "negative": ["0"]}}
    assert _values(labels(_column(float("nan"), "NaN"), nan_words)) == [None, 1.0]
