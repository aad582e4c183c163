"""Loading and cleaning input data: visible changes, clear errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from churn import data
from nbops.core._errors import DataError


def _csv(tmp_path: Path, text: str, name: str = "d.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_reads_csv_and_parquet(tmp_path: Path) -> None:
    csv = _csv(tmp_path, "a,b\n1,x\n2,y\n")
    frame = data.read_file(csv)
    frame.to_parquet(tmp_path / "d.parquet")
    assert data.read_file(tmp_path / "d.parquet").equals(frame)
    assert data.read_file(_csv(tmp_path, "a,b\n1,x\n", "d.data"), "csv").shape == (1, 2)


@pytest.mark.parametrize(
    ("text", "name", "message"),
    [
        (None, "missing.csv", "does not exist. Fix: pass an existing CSV or Parquet file"),
        ("", "empty.csv", "is empty. Fix: pass a file with a header row and data rows"),
        ("\n\n", "blank.csv", "holds no columns"),
        ("a,b\n", "header.csv", "has a header but no data rows"),
        ("a,b\n1,2\n", "data.xlsx", "cannot tell the format of data.xlsx"),
        ("not parquet", "bad.parquet", "cannot read"),
    ],
)
def test_unreadable_files_fail_in_one_sentence(
    tmp_path: Path, text: str | None, name: str, message: str
) -> None:
    path = tmp_path / name if text is None else _csv(tmp_path, text, name)
    with pytest.raises(DataError) as info:
        data.read_file(path)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_embedded_path_values() -> None:
    assert all(data.is_embedded(v) for v in (None, "", "None", "null", " "))
    assert not data.is_embedded("x.csv")
    frame = data.load_raw(None, None, rows=240, seed=1)
    assert len(frame) == 240 and "churn" in frame


def test_unknown_target_suggests_the_close_name() -> None:
    frame = pd.DataFrame({"Churn": ["Yes", "No"], "x": [1, 2]})
    with pytest.raises(DataError, match=r"'churn' is not in the data \(did you mean 'Churn'\?\)"):
        data.check_target(frame, "churn")


@pytest.mark.parametrize(
    ("values", "count"), [(["a", "b", "c"], 3), (["yes", "yes", None], 1), ([None, None], 0)]
)
def test_non_binary_target_is_refused(values: list, count: int) -> None:
    with pytest.raises(DataError, match=f"has {count} distinct value"):
        data.check_target(pd.DataFrame({"t": values}), "t")


@pytest.mark.parametrize("values", [["yes"], ["yes", "no"], ["yes", "yes", None], [None, None],
                                    ["yes", "no"] * 24 + ["yes"]])
def test_too_few_labelled_rows_are_named_as_such(values: list) -> None:
    labelled = sum(v is not None for v in values)
    with pytest.raises(DataError, match=f"the data has {labelled} row\\(s\\) with a 't' label, "
                       f"but a churn model needs at least {data.MIN_ROWS}"):
        data.check_target(pd.DataFrame({"t": values}), "t", min_rows=data.MIN_ROWS)
    data.check_target(pd.DataFrame({"t": ["yes", "no"] * 25}), "t", min_rows=data.MIN_ROWS)


@pytest.mark.parametrize(
    ("values", "expected", "note"),
    [
        (["Yes", "No", "yes "], [1, 0, 1], "mapped 'Yes' to 1"),
        (["TRUE", "FALSE", "TRUE"], [1, 0, 1], "mapped 'TRUE' to 1"),
        ([1, 0, 1], [1, 0, 1], None),
        ([2, 1, 2], [1, 0, 1], "no yes/no values, so mapped '2' to 1"),
        (["stay", "left", "left"], [1, 0, 0], "mapped 'stay' to 1"),
    ],
)
def test_labels_map_to_zero_one(values: list, expected: list, note: str | None) -> None:
    mapped, warnings = data.map_target(pd.Series(values, name="t"))
    assert mapped.tolist() == expected
    if note is None:
        assert warnings == []
    else:
        assert note in warnings[0]


def test_blank_strings_become_missing_visibly() -> None:
    frame = pd.DataFrame(
        {
            "TotalCharges": ["29.85", " ", "1889.5", ""],
            "plan": ["a", "  ", "b", "a"],
            "when": ["2024-01-03", "2024-02-01", "2024-03-05", None],
            "Churn": ["No", "Yes", "No", None],
        }
    )
    clean, warnings = data.clean(frame, "Churn")
    assert "column 'TotalCharges': 2 blank string(s) treated as missing values" in warnings
    assert "column 'TotalCharges': text converted to numbers once blanks were removed" in warnings
    assert "column 'plan': 1 blank string(s) treated as missing values" in warnings
    assert "target 'Churn': dropped 1 row(s) with no label" in warnings
    assert clean["TotalCharges"].dtype.kind == "f"
    assert clean["TotalCharges"].isna().sum() == 1
    assert pd.api.types.is_datetime64_any_dtype(clean["when"])
    assert clean["Churn"].tolist() == [0, 1, 0]
    assert frame["TotalCharges"].tolist()[1] == " "  # the input is not modified


def test_roles_drop_ids_and_find_the_date() -> None:
    frame = pd.DataFrame(
        {
            "customerID": [f"c{i}" for i in range(60)],
            "account_id": range(60),
            "paid": [1.0] * 60,
            "notes": [f"free text {i % 55}" for i in range(60)],
            "signup": pd.date_range("2024-01-01", periods=60, freq="D"),
            "plan": ["a", "b"] * 30,
            "y": [0, 1] * 30,
        }
    )
    roles, warnings = data.infer_roles(frame, "y", max_levels=50)
    assert roles.id_columns == ["customerID", "account_id"]
    assert roles.date_column == "signup"
    assert roles.numeric == ["paid"]
    assert roles.categorical == ["plan"]
    assert roles.dropped == ["notes"]
    assert any("customerID, account_id" in w for w in warnings)
    table = data.describe_roles(frame, roles)
    assert table.loc["customerID", "role"] == "id"


def test_no_features_left_is_an_error() -> None:
    frame = pd.DataFrame({"id": ["a", "b"], "y": [0, 1]})
    with pytest.raises(DataError, match="no usable feature columns"):
        data.infer_roles(frame, "y")


def test_nested_parquet_columns_are_refused_not_turned_into_text(tmp_path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "nested.parquet"
    pq.write_table(pa.table({"tenure": [1, 2], "tags": [[1, 2], [3]],
                             "address": [{"city": "a"}, {"city": "b"}], "churn": ["yes", "no"]}),
                   path)
    with pytest.raises(DataError, match=r"has nested column\(s\) tags \(list<element: int64>\), "
                       r"address \(struct<city: string>\), which a churn model cannot use"):
        data.read_file(path, None)
