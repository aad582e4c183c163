"""Every refusal of a prediction request's body, as the whole sentence and status the
client gets (parsing only: no server)."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from nbops.serving._request_body import BadRequest, parse

LIKE = "send a list of records like [{\"column\": value, ...}]"
SUPPORTED = "send Content-Type: application/json, text/csv or application/vnd.apache.parquet"


def _refusal(body: bytes, content_type: str | None) -> tuple[int, str, str | None]:
    with pytest.raises(BadRequest) as refused:
        parse(body, content_type)
    return refused.value.status, refused.value.message, refused.value.field


@pytest.mark.parametrize("body, message", [
    (b"[{", "the body is not valid JSON (Expecting property name enclosed in double quotes: "
            f"line 1 column 3 (char 2)); {LIKE}"),
    (b"[" * 100_000 + b"]" * 100_000, f"the JSON body is nested too deeply to be records; {LIKE}"),
    (b"[1]", "the JSON body must be a record, a list of records or {\"records\": [...]}, each "
             "record an object of column: value"),
    (b'{"records": []}', "the JSON body holds no records; send at least one"),
])
def test_bad_json_is_400_in_one_whole_sentence(body: bytes, message: str) -> None:
    assert _refusal(body, "application/json") == (400, message, None)


def test_records_with_other_fields_are_422_naming_the_first_difference() -> None:
    assert _refusal(b'[{"a": 1, "b": 2}, {"a": 1, "b": 2}, {"b": 2}]', "application/json") == (
        422, "record 2 does not have the same fields as record 0 (differs in 'a'); send every "
             "field in every record (null for unknown)", "a")


@pytest.mark.parametrize("content_type, said", [
    (None, "no Content-Type"), ("", "no Content-Type"),
    ("Text/Plain; charset=utf-8", "Content-Type 'text/plain'"),
    ("multipart/form-data; boundary=x", "Content-Type 'multipart/form-data'"),
])
def test_a_type_a_web_page_can_send_is_415_before_the_body_is_read(
    content_type: str | None, said: str,
) -> None:
    assert _refusal(b"", content_type) == (
        415, f"the request has {said}, which any web page could send from the user's "
             f"browser, so it is refused; {SUPPORTED}", None)


def test_an_empty_body_and_an_unknown_type_are_each_one_sentence() -> None:
    assert _refusal(b"", "application/json") == (
        400, "the request body is empty; send JSON records, CSV or Parquet", None)
    assert _refusal(b"x", "Application/XML") == (
        415, f"Content-Type 'application/xml' is not supported; {SUPPORTED}", None)


@pytest.mark.parametrize("body, message", [
    (b"a,b\n", "the CSV body has no data rows; send at least one"),
    (b"\n", "the CSV body holds no header; send a header row and data rows"),
    (b"a,b\n1,2\n3,4,5,6\n", "the CSV body cannot be parsed (Error tokenizing data. C error: "
                             "Expected 2 fields in line 3, saw 4); send a header row and data "
                             "rows"),
])
def test_bad_csv_is_400_in_one_whole_sentence(body: bytes, message: str) -> None:
    assert _refusal(body, "text/csv") == (400, message, None)


def test_json_types_and_parquet_types_are_read_as_such() -> None:
    assert list(parse(b'{"a": 1}', "application/problem+json").columns) == ["a"]
    assert list(parse(b'{"a": 1}', "text/json").columns) == ["a"]
    data = io.BytesIO()
    pd.DataFrame({"a": [1, 2]}).to_parquet(data, index=False)
    for kind in ("application/vnd.apache.parquet", "application/x-parquet",
                 "application/parquet", "application/octet-stream"):
        read = parse(data.getvalue(), kind)
        assert list(read.columns) == ["a"] and len(read) == 2
    status, message, _ = _refusal(b"PAR1 but not a file", "application/parquet")
    assert status == 400 and message.startswith("the Parquet body cannot be read (")
    assert message.endswith("); send a complete Parquet file")


def _parquet(table: object) -> bytes:
    import pyarrow.parquet as pq

    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def test_bad_parquet_is_one_whole_sentence_with_its_status() -> None:
    import pyarrow as pa

    kind = "application/vnd.apache.parquet"
    assert _refusal(b"PAR1 but not a file", kind) == (
        400, "the Parquet body cannot be read (Parquet magic bytes not found in footer. Either "
             "the file is corrupted or this is not a parquet file.); send a complete Parquet "
             "file", None)
    twice = pa.Table.from_arrays([pa.array([1]), pa.array([2])], names=["x", "x"])
    assert _refusal(_parquet(twice), kind) == (
        422, "column 'x' appears more than once in the Parquet body; send each column once",
        "x")
    empty = pa.table({"x": pa.array([], pa.int64())})
    assert _refusal(_parquet(empty), kind) == (
        400, "the Parquet body has no rows; send at least one", None)


def test_csv_text_that_looks_like_a_missing_value_stays_text() -> None:
    read = parse(b"a,b\nNA,\nnull,x\n", "text/csv")
    assert read["a"].tolist() == ["NA", "null"]  # a category called NA is a category
    assert pd.isna(read["b"][0]) and read["b"][1] == "x"  # only a blank is missing
