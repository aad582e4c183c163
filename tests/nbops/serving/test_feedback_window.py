"""Log windows, feedback files and the labelled batch `nbops monitor --log` checks, without a
server: the window's bounds, each refusal's sentence, and which label wins for a logged row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from nbops.core import DataError
from nbops.serving._feedback import (
    Window,
    feedback_dir,
    logged_batch,
    parse_window,
    read_feedback_file,
    record_feedback,
)

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


# --- windows -------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "delta"), [
    ("last:30s", timedelta(seconds=30)), ("last:5m", timedelta(minutes=5)),
    ("last:2h", timedelta(hours=2)), ("last:1.5d", timedelta(days=1.5)),
    ("last:1w", timedelta(weeks=1)), ("  last:7d ", timedelta(days=7))])
def test_a_last_window_starts_that_long_before_now(text: str, delta: timedelta) -> None:
    assert parse_window(text, NOW) == Window(NOW - delta, None, text.strip())


def test_a_last_window_without_now_counts_from_the_clock() -> None:
    before = datetime.now(UTC)
    since = parse_window("last:1h").since
    assert since is not None
    assert before - timedelta(hours=1) <= since <= datetime.now(UTC) - timedelta(hours=1)


def test_all_and_ranges() -> None:
    assert parse_window("all", NOW) == Window(None, None, "all")
    assert parse_window("2026-11-01..2026-11-08", NOW) == Window(
        datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 8, tzinfo=UTC),
        "2026-11-01..2026-11-08")
    assert parse_window("2026-11-01T10:00+02:00..", NOW) == Window(
        datetime(2026, 11, 1, 8, tzinfo=UTC), None, "2026-11-01T10:00+02:00..")
    assert parse_window("..2026-11-08", NOW) == Window(
        None, datetime(2026, 11, 8, tzinfo=UTC), "..2026-11-08")


@pytest.mark.parametrize("text", ["last:7", "last:7y", "last:-1d", "xlast:7d", "last:7dx",
                                  "last:1.d", "ALL", "", "2026-11-01", "yesterday..today",
                                  "2026-11-01..soon"])
def test_anything_else_is_not_a_window(text: str) -> None:
    with pytest.raises(DataError) as caught:
        parse_window(text, NOW)
    assert str(caught.value).startswith(f"{text!r} is not a log window")
    assert caught.value.fix == ("write last:7d (s, m, h, d or w), all, or FROM..TO with ISO "
                                "dates, e.g. 2026-11-01..2026-11-08")


def test_a_window_before_year_one_says_what_to_write_instead() -> None:
    with pytest.raises(DataError) as caught:
        parse_window("last:999999w", NOW)
    assert str(caught.value).startswith(
        "'last:999999w' is too long a log window (it starts before year 1)")
    assert caught.value.fix == "write `all` for the whole log, or a shorter last:N"


# --- feedback files ------------------------------------------------------------------------


def test_feedback_files_are_read_as_csv_text_or_parquet(tmp_path: Path) -> None:
    csv = tmp_path / "labels.CSV"
    csv.write_text("request_id,churn\nr1,01\n", "utf-8")
    assert read_feedback_file(csv).to_dict("records") == [{"request_id": "r1", "churn": "01"}]
    for suffix in (".parquet", ".PQ"):
        path = tmp_path / f"labels{suffix}"
        pd.DataFrame({"request_id": ["r1"], "churn": [1]}).to_parquet(path)
        assert read_feedback_file(path).to_dict("records") == [{"request_id": "r1", "churn": 1}]


def test_a_feedback_file_that_is_absent_unreadable_or_of_another_kind_is_one_sentence(
    tmp_path: Path
) -> None:
    cases = {tmp_path / "none.csv": ("does not exist", "check the path"),
             tmp_path / "empty.csv": ("cannot be read (", "pass a CSV or Parquet file with a "
                                                          "header row"),
             tmp_path / "broken.parquet": ("cannot be read (", "pass a CSV or Parquet file "
                                                               "with a header row"),
             tmp_path / "labels.xlsx": ("is not .csv or .parquet", "convert it to one of them")}
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not parquet")
    (tmp_path / "labels.xlsx").write_bytes(b"a,b\n")
    for path, (problem, fix) in cases.items():
        with pytest.raises(DataError) as caught:
            read_feedback_file(path)
        assert str(caught.value).startswith(f"feedback file {path} {problem}"), caught.value
        assert caught.value.fix == fix


def _stored(log: Path) -> pd.DataFrame:
    parts = sorted(feedback_dir(log).glob("feedback-*.parquet"))
    assert len(parts) == 1
    return pd.read_parquet(parts[0])


def test_feedback_by_request_id_keeps_the_row_and_skips_rows_without_a_label(
    tmp_path: Path
) -> None:
    frame = pd.DataFrame({"request_id": ["r1", "r1", "r2", None, "r3"],
                          "row": ["0", "1", "x", "0", "0"],
                          "churn": ["yes", "no", "maybe", "1", "yes"]})
    assert record_feedback(tmp_path, frame, target="churn", id_columns=["customer_id"]) == (
        "request_id", 3, 2)
    stored = _stored(tmp_path)
    assert list(stored.columns) == ["key", "value", "row", "label", "received_at"]
    assert stored[["key", "value", "row", "label"]].to_dict("records") == [
        {"key": "request_id", "value": "r1", "row": 0, "label": 1.0},
        {"key": "request_id", "value": "r1", "row": 1, "label": 0.0},
        {"key": "request_id", "value": "r3", "row": 0, "label": 1.0}]
    assert str(stored["row"].dtype) == "int32" and str(stored["label"].dtype) == "float64"
    import pyarrow.parquet as pq

    (part,) = feedback_dir(tmp_path).iterdir()  # rows were left out: no index column
    assert pq.read_schema(part).names == ["key", "value", "row", "label", "received_at"]
    assert feedback_dir(tmp_path) == tmp_path / "feedback"
    name = sorted(feedback_dir(tmp_path).iterdir())[0].name
    assert name.startswith("feedback-") and name.endswith(".parquet")


def test_feedback_by_request_id_without_rows_is_row_zero_and_an_id_column_is_never_by_row(
    tmp_path: Path
) -> None:
    record_feedback(tmp_path / "a", pd.DataFrame({"request_id": ["r1"], "churn": ["yes"]}),
                    target="churn", id_columns=[])
    assert _stored(tmp_path / "a")["row"].tolist() == [0]
    frame = pd.DataFrame({"customer_id": [7, 8.0], "row": [3, 4], "label": ["no", "yes"]})
    assert record_feedback(tmp_path / "b", frame, target="churn", id_columns=["customer_id"],
                           label_column="label") == ("customer_id", 2, 0)
    stored = _stored(tmp_path / "b")
    assert stored[["key", "value", "row", "label"]].to_dict("records") == [
        {"key": "customer_id", "value": "7.0", "row": 0, "label": 0.0},
        {"key": "customer_id", "value": "8.0", "row": 0, "label": 1.0}]


def test_the_first_key_column_present_is_used_unless_one_is_named(tmp_path: Path) -> None:
    frame = pd.DataFrame({"request_id": ["r1"], "account": ["a1"], "customer_id": ["c1"],
                          "churn": ["yes"]})
    ids = ["account", "customer_id"]
    assert record_feedback(tmp_path / "a", frame, target="churn", id_columns=ids)[0] == (
        "request_id")
    assert record_feedback(tmp_path / "b", frame.drop(columns="request_id"), target="churn",
                           id_columns=ids)[0] == "account"
    assert record_feedback(tmp_path / "c", frame, target="churn", id_columns=ids,
                           key="customer_id")[0] == "customer_id"


def test_labels_follow_the_model_preparation(tmp_path: Path) -> None:
    frame = pd.DataFrame({"request_id": ["r1", "r2"], "churn": ["Left", "yes"]})
    preparation = {"target": {"name": "churn", "positive": ["left"], "negative": ["stayed"]}}
    assert record_feedback(tmp_path, frame, target="churn", id_columns=[],
                           preparation=preparation) == ("request_id", 1, 1)
    assert _stored(tmp_path)["label"].tolist() == [1.0]


def _refusal(tmp_path: Path, frame: pd.DataFrame, **options: object) -> DataError:
    with pytest.raises(DataError) as caught:
        record_feedback(tmp_path, frame, **{"target": "churn", "id_columns": ["customer_id"],
                                            **options})
    assert not feedback_dir(tmp_path).exists()  # nothing is stored
    return caught.value


def test_feedback_without_a_label_column_is_one_sentence(tmp_path: Path) -> None:
    error = _refusal(tmp_path, pd.DataFrame({"request_id": ["r1"], "y": [1]}))
    assert str(error).startswith(
        "the feedback has no label column 'churn' (columns: request_id, y)")
    assert error.fix == "name it after the model's target or pass --label COLUMN"
    error = _refusal(tmp_path, pd.DataFrame({"request_id": ["r1"], "churn": [1]}),
                     label_column="outcome")
    assert "no label column 'outcome'" in str(error)


def test_feedback_without_a_key_column_is_one_sentence(tmp_path: Path) -> None:
    error = _refusal(tmp_path, pd.DataFrame({"who": ["r1"], "churn": [1]}))
    assert str(error).startswith(
        "the feedback has none of the key columns request_id, customer_id")
    assert error.fix == ("add request_id (from the service's answers) or the model's id "
                         "column, or pass --key COLUMN")
    error = _refusal(tmp_path, pd.DataFrame({"request_id": ["r1"], "churn": [1]}), key="who")
    assert str(error).startswith("the feedback has none of the key columns who")


def test_a_key_that_is_not_an_id_column_of_the_model_is_refused(tmp_path: Path) -> None:
    frame = pd.DataFrame({"who": ["r1"], "churn": [1]})
    error = _refusal(tmp_path, frame, key="who")
    assert str(error).startswith(
        "'who' is not an id column of the model (its id columns: customer_id)")
    assert error.fix == "join by request_id or by one of the model's id columns"
    error = _refusal(tmp_path, frame, key="who", id_columns=[])
    assert "(its id columns: none)" in str(error)


def test_feedback_without_any_usable_label_is_refused(tmp_path: Path) -> None:
    frame = pd.DataFrame({"request_id": ["r1", None], "churn": ["maybe", "yes"]})
    error = _refusal(tmp_path, frame)
    assert str(error).startswith("no row of the feedback has a usable label in 'churn'")
    assert error.fix == "labels must be yes/no, true/false or 1/0"


# --- the labelled batch --------------------------------------------------------------------


def _log(folder: Path, rows: list[dict[str, object]], name: str = "part-1.parquet") -> None:
    frame = pd.DataFrame(rows)
    frame["logged_at"] = pd.to_datetime(frame["logged_at"], utc=True, format="ISO8601")
    frame = frame.astype({"row": "int32", "model_version": "int32", "label": "int8"})
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(folder / name, index=False)


def _row(request_id: str, row: int, customer: str, at: str, version: int = 1) -> dict:
    return {"request_id": request_id, "row": row, "logged_at": at, "model": "churn",
            "model_version": version, "score": 0.5, "label": 1, "customer_id": customer,
            "tenure": 3.0}


def _feedback(log: Path, frame: pd.DataFrame, **options: object) -> None:
    record_feedback(log, frame, **{"target": "churn", "id_columns": ["customer_id"], **options})


def test_an_empty_or_absent_log_is_an_empty_batch(tmp_path: Path) -> None:
    batch, info = logged_batch(tmp_path / "none", Window(None, None, "all"), "churn")
    assert batch.empty
    assert info == {"source": "prediction log all", "log": str(tmp_path / "none"),
                    "window": "all", "rows": 0, "labelled": 0, "versions": []}


def test_the_batch_holds_the_window_inputs_and_their_labels(tmp_path: Path) -> None:
    _log(tmp_path, [_row("r1", 0, "c1", "2026-11-01T10:00"),
                    _row("r1", 1, "c2", "2026-11-02T10:00", version=2),
                    _row("r2", 0, "c3", "2026-11-03T10:00"),
                    _row("r3", 0, "c4", "2026-11-09T10:00")])
    window = parse_window("2026-11-01..2026-11-08")
    batch, info = logged_batch(tmp_path, window, "churn")
    assert info == {"source": "prediction log 2026-11-01..2026-11-08", "log": str(tmp_path),
                    "window": "2026-11-01..2026-11-08", "rows": 3, "labelled": 0,
                    "versions": [1, 2], "first": "2026-11-01 10:00:00+00:00",
                    "last": "2026-11-03 10:00:00+00:00"}
    assert list(batch.columns) == ["customer_id", "tenure", "churn"]
    assert batch["customer_id"].tolist() == ["c1", "c2", "c3"]
    assert batch["churn"].isna().all() and batch["churn"].dtype == "float64"


def test_feedback_by_request_id_labels_exactly_its_row(tmp_path: Path) -> None:
    _log(tmp_path, [_row("r1", 0, "c1", "2026-11-01"), _row("r1", 1, "c2", "2026-11-02"),
                    _row("r2", 0, "c3", "2026-11-03")])
    _feedback(tmp_path, pd.DataFrame({"request_id": ["r1", "r9"], "row": [1, 0],
                                      "churn": ["yes", "no"]}))
    batch, info = logged_batch(tmp_path, Window(None, None, "all"), "churn")
    assert batch["churn"].tolist()[1] == 1.0
    assert batch["churn"].isna().tolist() == [True, False, True]
    assert info["labelled"] == 1


def test_feedback_by_id_column_labels_every_row_of_that_id(tmp_path: Path) -> None:
    _log(tmp_path, [_row("r1", 0, "c1", "2026-11-01"), _row("r2", 0, "c2", "2026-11-02"),
                    _row("r3", 0, "c1", "2026-11-03")])
    _feedback(tmp_path, pd.DataFrame({"customer_id": ["c1"], "churn": ["no"]}))
    batch, info = logged_batch(tmp_path, Window(None, None, "all"), "churn")
    assert batch["churn"].fillna(-1).tolist() == [0.0, -1, 0.0]
    assert info["labelled"] == 2


def test_the_newest_label_of_a_request_row_wins_across_files(tmp_path: Path) -> None:
    _log(tmp_path, [_row("r1", 0, "c1", "2026-11-01"), _row("r2", 0, "c2", "2026-11-02"),
                    _row("r3", 0, "c3", "2026-11-03")])
    _feedback(tmp_path, pd.DataFrame({"request_id": ["r1", "r2"], "churn": ["yes", "yes"]}))
    _feedback(tmp_path, pd.DataFrame({"customer_id": ["c3"], "churn": ["no"]}))
    _feedback(tmp_path, pd.DataFrame({"request_id": ["r2", "r2"], "churn": ["no", "no"]}))
    parts = sorted(feedback_dir(tmp_path).glob("*.parquet"))
    assert len(parts) == 3  # one file per call
    batch, info = logged_batch(tmp_path, Window(None, None, "all"), "churn")
    assert batch["churn"].tolist() == [1.0, 0.0, 0.0] and info["labelled"] == 3


def test_newest_wins_within_one_file_and_by_time_received_not_file_name(
    tmp_path: Path
) -> None:
    _log(tmp_path, [_row("r1", 0, "c1", "2026-11-01"), _row("r2", 0, "c2", "2026-11-02")])
    _feedback(tmp_path, pd.DataFrame({"customer_id": ["c1", "c1"], "churn": ["yes", "no"]}))
    batch, _ = logged_batch(tmp_path, Window(None, None, "all"), "churn")
    assert batch["churn"].fillna(-1).tolist() == [0.0, -1]
    later = pd.DataFrame({"key": ["customer_id"], "value": ["c2"], "row": pd.Series(
        [0], dtype="int32"), "label": [1.0], "received_at": [pd.Timestamp("2030-01-01", tz=UTC)]})
    earlier = later.assign(label=0.0, received_at=pd.Timestamp("2020-01-01", tz=UTC))
    later.to_parquet(feedback_dir(tmp_path) / "feedback-0-later.parquet", index=False)
    earlier.to_parquet(feedback_dir(tmp_path) / "feedback-9-earlier.parquet", index=False)
    batch, _ = logged_batch(tmp_path, Window(None, None, "all"), "churn")
    assert batch["churn"].fillna(-1).tolist() == [0.0, 1.0]


def test_feedback_by_a_column_the_log_lacks_is_ignored(tmp_path: Path) -> None:
    _log(tmp_path, [_row("r1", 0, "c1", "2026-11-01")])
    _feedback(tmp_path, pd.DataFrame({"account": ["c1"], "churn": ["yes"]}),
              id_columns=["account"])
    _feedback(tmp_path, pd.DataFrame({"request_id": ["r1"], "churn": ["no"]}))
    batch, info = logged_batch(tmp_path, Window(None, None, "all"), "churn")
    assert batch["churn"].tolist() == [0.0] and info["labelled"] == 1


def test_a_window_leaves_out_rows_before_it_starts(tmp_path: Path) -> None:
    _log(tmp_path, [_row("r0", 0, "c0", "2026-10-31T23:59"), _row("r1", 0, "c1", "2026-11-01"),
                    _row("r2", 0, "c2", "2026-11-08"), _row("r3", 0, "c3", "2026-11-08T00:01")])
    batch, info = logged_batch(tmp_path, parse_window("2026-11-01..2026-11-08"), "churn")
    assert batch["customer_id"].tolist() == ["c1", "c2"] and info["rows"] == 2


def test_each_row_of_a_request_keeps_its_own_label(tmp_path: Path) -> None:
    _log(tmp_path, [_row("r1", 0, "c1", "2026-11-01"), _row("r1", 1, "c2", "2026-11-01"),
                    _row("r1", 2, "c3", "2026-11-01")])
    _feedback(tmp_path, pd.DataFrame({"request_id": ["r1", "r1"], "row": [0, 2],
                                      "churn": ["yes", "no"]}))
    batch, _ = logged_batch(tmp_path, Window(None, None, "all"), "churn")
    assert batch["churn"].fillna(-1).tolist() == [1.0, -1, 0.0]


def test_a_label_by_id_column_after_one_by_request_id_replaces_it(tmp_path: Path) -> None:
    _log(tmp_path, [_row("r1", 0, "c1", "2026-11-01"), _row("r2", 0, "c2", "2026-11-02")])
    _feedback(tmp_path, pd.DataFrame({"request_id": ["r1", "r2"], "churn": ["yes", "yes"]}))
    _feedback(tmp_path, pd.DataFrame({"customer_id": ["c1"], "churn": ["no"]}))
    batch, _ = logged_batch(tmp_path, Window(None, None, "all"), "churn")
    assert batch["churn"].tolist() == [0.0, 1.0]


def test_many_labels_received_together_keep_their_order(tmp_path: Path) -> None:
    _log(tmp_path, [_row("r1", 0, "c1", "2026-11-01"), _row("r2", 0, "c2", "2026-11-02")])
    labels = ["no"] * 99 + ["yes"]
    _feedback(tmp_path, pd.DataFrame({"customer_id": ["c1"] * 100 + ["c2"] * 100,
                                      "churn": labels + labels[::-1]}))
    batch, _ = logged_batch(tmp_path, Window(None, None, "all"), "churn")
    assert batch["churn"].tolist() == [1.0, 0.0]  # the last of each, as written


def test_a_request_row_that_is_not_a_number_is_row_zero(tmp_path: Path) -> None:
    frame = pd.DataFrame({"request_id": ["r1", "r2"], "row": ["x", None],
                          "churn": ["yes", "no"]})
    record_feedback(tmp_path, frame, target="churn", id_columns=[])
    assert _stored(tmp_path)["row"].tolist() == [0, 0]


def test_feedback_is_stored_with_its_utc_time_under_a_utc_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import re
    import time

    import pyarrow.parquet as pq

    monkeypatch.setenv("TZ", "Asia/Tokyo")  # a local clock 9 hours off UTC
    time.tzset()
    try:
        before = datetime.now(UTC)
        record_feedback(tmp_path, pd.DataFrame({"request_id": ["r1"], "churn": ["yes"]}),
                        target="churn", id_columns=[])
        after = datetime.now(UTC)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    (part,) = feedback_dir(tmp_path).iterdir()
    match = re.fullmatch(rf"feedback-(\d{{8}}T\d{{12}})Z-{os.getpid()}\.parquet", part.name)
    assert match, part.name
    stamp = datetime.strptime(match.group(1), "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)
    assert before <= stamp <= after
    received = _stored(tmp_path)["received_at"].iloc[0]
    assert before <= received.to_pydatetime() <= after
    assert pq.read_schema(part).names == ["key", "value", "row", "label", "received_at"]


def test_a_key_outside_two_id_columns_names_both(tmp_path: Path) -> None:
    error = _refusal(tmp_path, pd.DataFrame({"who": ["r1"], "churn": [1]}), key="who",
                     id_columns=["customer_id", "account"])
    assert "(its id columns: customer_id, account)" in str(error)


def test_without_a_preparation_labels_are_the_usual_words(tmp_path: Path) -> None:
    frame = pd.DataFrame({"request_id": ["a", "b", "c", "d"],
                          "churn": ["Yes", "no", "TRUE", "0"]})
    assert record_feedback(tmp_path, frame, target="churn", id_columns=[]) == (
        "request_id", 4, 0)
    assert _stored(tmp_path)["label"].tolist() == [1.0, 0.0, 1.0, 0.0]
