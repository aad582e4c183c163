"""Labels that arrive later (``nbops feedback FILE``) and logged traffic as a monitoring batch.

A feedback file (CSV or Parquet) names each outcome by ``request_id`` (plus
``row`` for requests of several records; row 0 otherwise) or by a key column
of the model (one of its id columns, e.g. ``customer_id``), and holds the
label in the model's target column (yes/no, true/false, 1/0 ...).  It is
stored as ``feedback/feedback-<UTC>-<pid>.parquet`` beside the prediction
log; the newest label for a key wins.

:func:`logged_batch` turns a time window of the log into the frame
``nbops monitor --log`` checks: the logged inputs, the id columns and the
target (labels joined from feedback, missing where none arrived yet).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from nbops.contracts import JSONObject, JSONValue
from nbops.core import DataError, atomic_write_bytes
from nbops.serving._prediction_log import META_FIELDS, read_part, read_parts
from nbops.validation import map_labels

if TYPE_CHECKING:
    from nbops.core import InputSpec

_LAST = re.compile(r"^last:(?P<n>\d+(?:\.\d+)?)(?P<unit>[smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
META = [f.name for f in META_FIELDS]


@dataclass(frozen=True)
class Window:
    """A time window of the prediction log."""

    since: datetime | None
    until: datetime | None
    text: str


def parse_window(text: str, now: datetime | None = None) -> Window:
    """``last:7d`` (s/m/h/d/w), ``all``, or ``FROM..TO`` (ISO dates or times, either open).

    Raises:
        DataError: anything else.
    """
    now = now or datetime.now(UTC)
    value = text.strip()
    match = _LAST.match(value)
    if match:
        try:
            begins = now - timedelta(**{_UNITS[match.group("unit")]: float(match.group("n"))})
        except OverflowError:  # before year 1, or more days than a timedelta holds
            raise DataError(f"{text!r} is too long a log window (it starts before year 1)",
                            "write `all` for the whole log, or a shorter last:N") from None
        return Window(begins, None, value)
    if value == "all":
        return Window(None, None, value)
    if ".." in value:
        start, _, end = value.partition("..")
        try:
            since = _when(start) if start else None
            until = _when(end) if end else None
        except ValueError:
            pass
        else:
            return Window(since, until, value)
    raise DataError(f"{text!r} is not a log window",
                    "write last:7d (s, m, h, d or w), all, or FROM..TO with ISO dates, "
                    "e.g. 2026-11-01..2026-11-08")


def _when(text: str) -> datetime:
    stamp = pd.Timestamp(text)
    stamp = stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)
    moment: datetime = stamp.to_pydatetime()
    return moment


def feedback_dir(log_folder: Path) -> Path:
    return Path(log_folder) / "feedback"


def read_feedback_file(path: Path) -> pd.DataFrame:
    """A feedback file as a frame, or a DataError naming the problem."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"feedback file {path} does not exist", "check the path")
    try:
        if path.suffix.lower() == ".csv":
            return pd.read_csv(path, dtype=object)
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
    except (ValueError, OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"feedback file {path} cannot be read ({exc})",
                        "pass a CSV or Parquet file with a header row") from None
    raise DataError(f"feedback file {path} is not .csv or .parquet", "convert it to one of them")


def record_feedback(log_folder: Path, frame: pd.DataFrame, *, target: str,
                    id_columns: list[str], key: str | None = None,
                    label_column: str | None = None,
                    preparation: InputSpec | None = None) -> tuple[str, int, int]:
    """Store the labels of ``frame``; return (key used, labels stored, rows without a label).

    Raises:
        DataError: no usable key column, no label column, or no label at all.
    """
    label_column = label_column or target
    if label_column not in frame.columns:
        raise DataError(f"the feedback has no label column {label_column!r} "
                        f"(columns: {', '.join(map(str, frame.columns))})",
                        "name it after the model's target or pass --label COLUMN")
    candidates = [key] if key else ["request_id", *id_columns]
    chosen = next((c for c in candidates if c and c in frame.columns), None)
    if chosen is None:
        raise DataError(f"the feedback has none of the key columns {', '.join(candidates)}",
                        "add request_id (from the service's answers) or the model's id column, "
                        "or pass --key COLUMN")
    if chosen != "request_id" and chosen not in id_columns:
        raise DataError(f"{chosen!r} is not an id column of the model "
                        f"(its id columns: {', '.join(id_columns) or 'none'})",
                        "join by request_id or by one of the model's id columns")
    values = map_labels(frame[label_column], preparation or {})  # the usual words by default
    out = pd.DataFrame({
        "key": chosen,
        "value": frame[chosen].astype(object).map(lambda v: None if pd.isna(v) else str(v)),
        "row": pd.to_numeric(frame["row"], errors="coerce").fillna(0).astype("int32")
        if chosen == "request_id" and "row" in frame.columns else 0,
        "label": values,
        "received_at": pd.Timestamp(datetime.now(UTC)),
    })
    usable = out[out["label"].notna() & out["value"].notna()]
    if usable.empty:
        raise DataError(f"no row of the feedback has a usable label in {label_column!r}",
                        "labels must be yes/no, true/false or 1/0")
    folder = feedback_dir(log_folder)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    import io

    buffer = io.BytesIO()
    usable.astype({"label": "float64"}).to_parquet(buffer, index=False)
    atomic_write_bytes(folder / f"feedback-{stamp}-{os.getpid()}.parquet", buffer.getvalue())
    return chosen, len(usable), len(out) - len(usable)


def _feedback(log_folder: Path) -> pd.DataFrame:
    parts = sorted(feedback_dir(log_folder).glob("feedback-*.parquet"))
    if not parts:
        return pd.DataFrame(columns=["key", "value", "row", "label", "received_at"])
    frame = pd.concat([read_part(p) for p in parts], ignore_index=True)
    return frame.sort_values("received_at", kind="stable")


def logged_batch(log_folder: Path, window: Window, target: str
                 ) -> tuple[pd.DataFrame, JSONObject]:
    """Logged rows of ``window`` with their labels; and facts about them for the report."""
    logged = read_parts(log_folder, window.since, window.until)
    info: JSONObject = {"source": f"prediction log {window.text}", "log": str(log_folder),
                            "window": window.text}
    if logged.empty:
        info.update(rows=0, labelled=0, versions=[])
        return pd.DataFrame(), info
    labels = pd.Series(float("nan"), index=logged.index)
    feedback = _feedback(log_folder)
    for key, group in feedback.groupby("key", sort=False):
        newest = group.drop_duplicates(["value", "row"] if key == "request_id" else ["value"],
                                       keep="last")
        if key == "request_id":
            index = pd.MultiIndex.from_frame(newest[["value", "row"]].astype({"row": "int64"}))
            lookup = pd.Series(newest["label"].to_numpy(), index=index)
            keys = pd.MultiIndex.from_arrays([logged["request_id"],
                                              logged["row"].astype("int64")])
            found = pd.Series(lookup.reindex(keys).to_numpy(), index=logged.index)
        elif key in logged.columns:
            lookup = pd.Series(newest["label"].to_numpy(), index=newest["value"].to_numpy())
            found = logged[key].map(lookup)
        else:
            continue
        labels = found.combine_first(labels)
    batch = logged.drop(columns=[c for c in META if c in logged.columns])
    batch[target] = labels.astype("float64").to_numpy()
    versions: list[JSONValue] = [*sorted(int(v) for v in logged["model_version"].unique())]
    info.update(rows=len(batch), labelled=int(labels.notna().sum()), versions=versions,
                first=str(logged["logged_at"].min()), last=str(logged["logged_at"].max()))
    return batch, info
