"""A Parquet body read as arrays (text columns as Arrow dictionaries) prepares exactly as a
DataFrame of the same file did."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from nbops.serving._request_body import BadRequest, parse
from nbops.validation._preparation import prepare_for_model

OCTET = "application/octet-stream"  # a Parquet body is recognised by its magic bytes
SPEC = {"spec_version": 1, "strip_text": True, "blank_is_missing": True,
        "numeric": ["charges"], "categorical": ["plan", "region"],
        "order": ["charges", "plan", "region"]}


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def test_text_columns_read_as_categories_prepare_exactly_as_text():
    rng = np.random.default_rng(0)
    n = 3000
    frame = pd.DataFrame({
        "id": [f"c{i}" for i in range(n)],
        "charges": pd.Series(rng.choice(["12.5", " 7", "", " ", None, "3e2"], n), dtype=object),
        "plan": pd.Series(rng.choice(["basic", " basic ", "pro", "", "  ", None, "1"], n),
                          dtype=object),
        "region": pd.Series(rng.choice(["north", "south ", None], n), dtype=object),
    })
    buffer = io.BytesIO()  # several row groups: a dictionary each, unified when read
    pa_table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(pa_table, buffer, row_group_size=700)
    read = parse(buffer.getvalue(), "application/vnd.apache.parquet", SPEC["categorical"])
    assert pa.types.is_dictionary(read["plan"].type)  # each distinct value cleaned once
    assert isinstance(read["charges"], np.ndarray)  # numeric: as sent (text here)
    expected, expected_problems = prepare_for_model(frame, SPEC)
    got, problems = prepare_for_model(read, SPEC)
    assert problems == expected_problems == []
    pd.testing.assert_frame_equal(got, expected)
    assert got["plan"].dtype == object and set(got["plan"].dropna()) == {"basic", "pro", "1"}


def test_a_bad_value_in_a_category_column_is_still_named():
    frame = pd.DataFrame({"charges": [1.0, 2.0], "plan": ["basic", "pro"],
                          "region": pd.Series([True, False])})  # not text: refused
    read = parse(_parquet(frame), OCTET, SPEC["categorical"])
    _, problems = prepare_for_model(read, SPEC)
    assert problems and problems[0].field == "region"


def test_unused_columns_are_not_read_but_unknown_and_missing_ones_still_count():
    frame = pd.DataFrame({"id": ["a", "b"], "signup": ["2024-01-01", "2024-02-01"],
                          "charges": [1.0, 2.0], "plan": ["basic", "pro"],
                          "region": ["north", "south"], "surprise": [1, 2]})
    read = parse(_parquet(frame), OCTET, SPEC["categorical"], unused={"signup", "id"})
    assert list(read.columns) == ["charges", "plan", "region", "surprise"]
    _, problems = prepare_for_model(read, SPEC, allowed={"id", "signup", "charges", "plan",
                                                          "region"})
    assert [p.field for p in problems] == ["surprise"]  # not an input: still refused
    only_unused = parse(_parquet(frame[["id", "signup"]]), OCTET, SPEC["categorical"],
                        unused={"signup", "id"})  # absent categorical columns: not an error
    _, problems = prepare_for_model(only_unused, SPEC)
    assert {p.field for p in problems} == {"charges", "plan", "region"}  # still missing


def test_a_parquet_body_without_rows_is_refused():
    empty = pd.DataFrame({"charges": pd.Series([], dtype=float), "id": pd.Series([], dtype=str)})
    with pytest.raises(BadRequest, match="no rows"):
        parse(_parquet(empty), OCTET, (), unused={"id"})
    with pytest.raises(BadRequest, match="no rows"):  # nothing left to read: still no rows
        parse(_parquet(empty[["id"]]), OCTET, (), unused={"id"})


def test_numbers_with_gaps_and_a_pandas_index_read_as_from_a_dataframe():
    frame = pd.DataFrame({"charges": pd.array([1, None, 3], dtype="Int8"),
                          "plan": ["basic", None, "pro"], "region": ["north", "south", None]},
                         index=[10, 11, 12])  # a non-range index is stored as a column
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    read = parse(buffer.getvalue(), OCTET, SPEC["categorical"])
    assert read.columns == ["charges", "plan", "region"]  # the index is not a field
    got, problems = prepare_for_model(read, SPEC, allowed={"charges", "plan", "region"})
    expected, _ = prepare_for_model(frame.reset_index(drop=True), SPEC)
    assert problems == []
    pd.testing.assert_frame_equal(got, expected)


def test_a_column_sent_twice_is_named():
    table = pa.table([pa.array([1.0]), pa.array(["basic"]), pa.array([2.0])],
                     names=["charges", "plan", "charges"])
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    with pytest.raises(BadRequest, match="'charges' appears more than once") as caught:
        parse(buffer.getvalue(), OCTET, SPEC["categorical"])
    assert caught.value.status == 422 and caught.value.field == "charges"


def test_other_columns_stored_as_categories_read_as_their_values():
    frame = pd.DataFrame({"id": pd.Series(["a", "b", "a"], dtype="category"),
                          "charges": pd.Series([1.5, 2.0, 1.5], dtype="category"),
                          "plan": ["basic", "pro", None], "region": ["north", None, "x"]})
    read = parse(_parquet(frame), OCTET, SPEC["categorical"])
    assert isinstance(read["id"], np.ndarray) and read["id"].tolist() == ["a", "b", "a"]
    assert isinstance(read["charges"], np.ndarray)  # decoded: read as the numbers it holds
    got, problems = prepare_for_model(read, SPEC)
    assert problems == [] and got["charges"].tolist() == [1.5, 2.0, 1.5]


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x"])
def test_a_parquet_body_under_a_type_a_web_page_can_send_is_refused(content_type):
    frame = pd.DataFrame({"charges": [1.0], "plan": ["basic"], "region": ["north"]})
    with pytest.raises(BadRequest, match="any web page could send") as caught:
        parse(_parquet(frame), content_type, SPEC["categorical"])
    assert caught.value.status == 415


@pytest.mark.parametrize("body", [b'{"a": 1, "b": "x"}', b'[{"a": 1, "b": "x"}]',
                                  b'{"records": [{"a": 1, "b": "x"}]}'])
@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8",
                                          "text/json", "application/ld+json", "APPLICATION/JSON"])
def test_json_bodies_in_each_accepted_form(body: bytes, content_type: str) -> None:
    read = parse(body, content_type)
    assert read.columns == ["a", "b"] and len(read) == 1
    assert read["a"].tolist() == [1] and read["b"].tolist() == ["x"]


def test_a_list_value_stays_one_value_and_records_keep_their_order() -> None:
    read = parse(b'[{"a": [1, 2], "b": null}, {"a": 3, "b": "y"}]', "application/json")
    assert read["a"].dtype == object and read["a"][0] == [1, 2] and read["a"][1] == 3
    assert read["b"].tolist() == [None, "y"]


@pytest.mark.parametrize("body, status, words, field", [
    (b"[{", 400, "not valid JSON", None),
    (b"\xff\xfe", 400, "not valid JSON", None),
    (b'"text"', 400, "must be a record, a list of records", None),
    (b"[1, 2]", 400, "must be a record, a list of records", None),
    (b'{"records": 5}', 400, "must be a record, a list of records", None),
    (b"[]", 400, "holds no records", None),
    (b'{"records": []}', 400, "holds no records", None),
    (b'[{"a": 1, "b": 2}, {"a": 1}]', 422, "record 1 does not have the same fields", "b"),
    (b'[{"a": 1}, {"a": 1, "c": 2}]', 422, "(differs in 'c')", "c"),
    (b"[" * 100_000 + b"]" * 100_000, 400, "nested too deeply", None),
    (b"", 400, "body is empty", None),
])
def test_bad_json_bodies_are_one_sentence(body: bytes, status: int, words: str,
                                          field: str | None) -> None:
    with pytest.raises(BadRequest) as refused:
        parse(body, "application/json")
    assert refused.value.status == status and words in refused.value.message
    assert refused.value.field == field


@pytest.mark.parametrize("content_type",
                         ["text/csv", "application/csv", "text/csv; header=present"])
def test_csv_bodies_keep_text_and_read_blanks_as_missing(content_type: str) -> None:
    read = parse(b"a,b\n007,\n1.5,x\n", content_type)
    assert list(read.columns) == ["a", "b"]
    assert read["a"].tolist() == ["007", "1.5"]  # text, converted by preparation
    assert pd.isna(read["b"][0]) and read["b"][1] == "x"


@pytest.mark.parametrize("body, words", [
    (b"a,b\n", "has no data rows"), (b"\n", "holds no header"),
    (b'a,b\n"1,2\n', "cannot be parsed"), (b"a,b\n1,2\n3,4,5,6\n", "cannot be parsed")])
def test_bad_csv_bodies_are_one_sentence(body: bytes, words: str) -> None:
    with pytest.raises(BadRequest, match=words) as refused:
        parse(body, "text/csv")
    assert refused.value.status == 400


@pytest.mark.parametrize("content_type", ["application/octet-stream", "application/xml",
                                          "image/png"])
def test_other_types_are_415_naming_the_supported_ones(content_type: str) -> None:
    with pytest.raises(BadRequest, match="is not supported; send Content-Type") as refused:
        parse(b"<a/>", content_type)
    assert refused.value.status == 415 and content_type in refused.value.message
