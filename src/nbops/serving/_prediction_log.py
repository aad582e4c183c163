"""The prediction log: every scored record, appended to Parquet parts under the project.

Layout (``.nbops/predictions/<model>/``)::

    part-<UTC start>-<pid>-<seq>.parquet    closed parts (read by monitoring)
    part-<UTC start>-<pid>-<seq>.arrows     the open part: an Arrow IPC stream
    feedback/feedback-<UTC>-<pid>.parquet   labels attached later (nbops feedback)

Requests only append a small frame to an in-memory buffer (bounded: past
``max_buffer_rows`` the request thread writes it itself).  A writer thread
appends the buffer to the open part every ``flush_seconds`` as one Arrow
record batch, flushed to the operating system; an Arrow stream stays readable
up to its last complete batch, so a ``kill -9`` loses at most the rows still
in the buffer (the last ``flush_seconds`` of traffic, never more than
``max_buffer_rows``).  The open part is rotated (rewritten as Parquet under
its final name, atomically) every ``rotate_seconds``, ``rotate_rows`` or
``rotate_bytes``; an
``.arrows`` part left by a killed process is recovered the same way by the
next :class:`PredictionLog` or reader.  Shutdown (SIGTERM through uvicorn's
lifespan) flushes and rotates everything.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from nbops.core import DataError, crash_point, fsync_dir, pid_alive

logger = logging.getLogger("nbops")

LOG_RELPATH = Path(".nbops") / "predictions"
META_FIELDS = [
    pa.field("request_id", pa.string()),
    pa.field("row", pa.int32()),
    pa.field("logged_at", pa.timestamp("us", tz="UTC")),
    pa.field("model", pa.string()),
    pa.field("model_version", pa.int32()),
    pa.field("score", pa.float64()),
    pa.field("label", pa.int8()),
]


def log_dir(root: Path, model: str) -> Path:
    """The prediction-log folder of ``model`` in the project at ``root``."""
    return Path(root) / LOG_RELPATH / model


def log_schema(numeric: list[str], text: list[str]) -> pa.Schema:
    """Arrow schema of a model's log rows: metadata, then numeric and text inputs."""
    fields = list(META_FIELDS)
    fields += [pa.field(n, pa.float64()) for n in numeric]
    fields += [pa.field(n, pa.string()) for n in text]
    return pa.schema(fields)


#: One request's log rows: a frame, or its columns as arrays.
Rows: TypeAlias = "pd.DataFrame | dict[str, np.ndarray]"


@dataclass
class _Pending:
    schema: pa.Schema
    frames: list[Any]  # frames, or functions returning them
    rows: int


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def read_stream(stream: Path) -> pa.Table | None:
    """The complete record batches of an Arrow stream part (a torn last batch is dropped)."""
    batches: list[pa.RecordBatch] = []
    try:
        with pa.OSFile(str(stream), "rb") as source:
            reader = pa.ipc.open_stream(source)
            while True:
                try:
                    batches.append(reader.read_next_batch())
                except StopIteration:
                    break
                except (pa.ArrowInvalid, OSError):  # torn last batch after a kill
                    break
            schema = reader.schema
    except (pa.ArrowInvalid, OSError, FileNotFoundError):  # no schema written yet
        return None
    return pa.Table.from_batches(batches, schema=schema) if batches else None


def finish_part(stream: Path) -> Path | None:
    """Rewrite the Arrow stream ``stream`` as Parquet under its final name; remove it.

    Complete record batches are kept; a batch cut short by a kill is dropped.
    Returns the Parquet part, or None when the stream held no complete batch.
    """
    table = read_stream(stream)
    target = stream.with_suffix(".parquet")
    if table is not None:
        tmp = stream.with_suffix(".parquet.tmp")
        pq.write_table(table, tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        crash_point("serve.log_part_closed")
        fsync_dir(stream.parent)
    stream.unlink(missing_ok=True)
    return target if table is not None else None


def recover(folder: Path, own: Path | None = None) -> list[Path]:
    """Finish every ``.arrows`` part in ``folder`` (left by a killed server), except ``own``."""
    done = []
    for stream in sorted(Path(folder).glob("part-*.arrows")):
        if own is not None and stream == own:
            continue
        pid = stream.stem.split("-")[2] if stream.stem.count("-") >= 3 else ""
        if pid.isdigit() and int(pid) != os.getpid() and pid_alive(int(pid)):
            continue  # another live server's open part
        part = finish_part(stream)
        if part is not None:
            done.append(part)
    return done


def _table(entries: list[Any], schema: pa.Schema) -> pa.Table:
    """One Arrow table of queued entries: frames, or ``{column: array}`` dicts.

    A service queues one dict of arrays per request: concatenating arrays and
    converting each column once costs a fraction of building a DataFrame per
    request (what made logging cost a fifth of a busy service's throughput).
    Missing values become nulls either way (``from_pandas`` semantics).
    """
    if all(isinstance(e, dict) for e in entries):
        arrays = []
        for field in schema:
            parts = [e[field.name] for e in entries]
            values = parts[0] if len(parts) == 1 else np.concatenate(parts)
            arrays.append(pa.array(values, type=field.type, from_pandas=True))
        return pa.Table.from_arrays(arrays, schema=schema)
    frames = [pd.DataFrame(e) if isinstance(e, dict) else e for e in entries]
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)


class PredictionLog:
    """Append-only, size- and time-rotated log of scored records (thread safe)."""

    def __init__(
        self,
        folder: Path,
        *,
        flush_seconds: float = 1.0,
        rotate_seconds: float = 300.0,
        rotate_rows: int = 200_000,
        rotate_bytes: int = 64 * 1024 * 1024,
        max_buffer_rows: int = 50_000,
    ) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.flush_seconds = flush_seconds
        self.rotate_seconds = rotate_seconds
        self.rotate_rows = rotate_rows
        self.rotate_bytes = rotate_bytes
        self.max_buffer_rows = max_buffer_rows
        self._lock = threading.Lock()  # guards the buffer
        self._io_lock = threading.Lock()  # guards the open part
        self._pending: _Pending | None = None
        self._seq = 0
        self._stream_path: Path | None = None
        self._sink: Any = None
        self._writer: Any = None
        self._schema: pa.Schema | None = None
        self._opened_at = 0.0
        self._rows_in_part = 0
        self.rows_logged = 0
        self.rows_written = 0
        self._stop = threading.Event()
        recover(self.folder)
        self._thread = threading.Thread(target=self._run, name="nbops-prediction-log",
                                         daemon=True)
        self._thread.start()

    # -- request side --------------------------------------------------------
    def append(self, frame: Rows | Callable[[], Rows], schema: pa.Schema,
               rows: int | None = None) -> None:
        """Queue ``frame`` (a DataFrame or ``{column: array}``, as in ``schema``) for writing.

        ``frame`` may be a function returning it (``rows`` long), called by the
        writer, so that building the log rows costs the request nothing.
        """
        if rows is not None:
            n = rows
        elif callable(frame):  # len() would fail too, less clearly
            raise TypeError("a function that builds the log rows needs rows= (how many)")
        else:
            n = len(frame)
        earlier: _Pending | None = None
        full: _Pending | None = None
        with self._lock:
            if self._pending is not None and self._pending.schema != schema:
                earlier, self._pending = self._pending, None
            if self._pending is None:
                self._pending = _Pending(schema, [], 0)
            self._pending.frames.append(frame)
            self._pending.rows += n
            self.rows_logged += n
            if self._pending.rows >= self.max_buffer_rows:
                full, self._pending = self._pending, None
        for pending in (earlier, full):  # bounded memory: the request thread writes
            if pending is not None:
                self._write(pending)

    # -- writer side ---------------------------------------------------------
    def _take(self) -> _Pending | None:
        with self._lock:
            pending, self._pending = self._pending, None
        return pending

    def _open(self, schema: pa.Schema) -> None:
        self._seq += 1
        self._stream_path = self.folder / f"part-{_stamp()}-{os.getpid()}-{self._seq:06d}.arrows"
        self._sink = open(self._stream_path, "wb")  # noqa: SIM115 - closed in _rotate
        self._writer = pa.ipc.new_stream(self._sink, schema)
        self._schema = schema
        self._opened_at = time.monotonic()
        self._rows_in_part = 0

    def _rotate(self) -> None:
        if self._writer is None or self._stream_path is None:
            return
        self._writer.close()
        self._sink.close()
        self._writer = self._sink = None
        finish_part(self._stream_path)
        self._stream_path = None

    def _write(self, pending: _Pending) -> None:
        table = _table([f() if callable(f) else f for f in pending.frames], pending.schema)
        with self._io_lock:
            if self._writer is not None and self._schema != pending.schema:
                self._rotate()
            if self._writer is None:
                self._open(pending.schema)
            for batch in table.to_batches():
                self._writer.write_batch(batch)
            self._sink.flush()
            crash_point("serve.log_batch_flushed")
            self._rows_in_part += table.num_rows
            self.rows_written += table.num_rows
            if (self._rows_in_part >= self.rotate_rows
                    or self._sink.tell() >= self.rotate_bytes
                    or time.monotonic() - self._opened_at >= self.rotate_seconds):
                self._rotate()

    def flush(self) -> None:
        """Write everything buffered to the open part now."""
        pending = self._take()
        if pending is not None and pending.rows:
            self._write(pending)

    def _run(self) -> None:
        while not self._stop.wait(self.flush_seconds):
            try:
                self.flush()
                with self._io_lock:
                    if (self._writer is not None
                            and time.monotonic() - self._opened_at >= self.rotate_seconds):
                        self._rotate()
            except Exception:  # keep logging alive; the error is in the server log
                logger.exception("nbops serve-model: prediction log write failed")

    def close(self) -> None:
        """Flush the buffer, close the open part as Parquet and stop the writer thread."""
        self._stop.set()
        self._thread.join(timeout=10)
        self.flush()
        with self._io_lock:
            self._rotate()


def read_part(path: Path) -> pd.DataFrame:
    """One closed Parquet part of the log (or of its feedback) as a frame.

    Raises:
        DataError: the file cannot be read as Parquet (truncated, overwritten, not ours),
            naming it; nothing is changed.
    """
    try:
        return pq.read_table(path).to_pandas()
    except (pa.ArrowException, OSError) as exc:
        reason = str(exc).splitlines()[0].split(": ")[-1] if str(exc) else type(exc).__name__
        raise DataError(f"the prediction log file {path} cannot be read ({reason})",
                        f"move it out of {path.parent} (keep it if you want to recover it) "
                        "and run again; the other files are intact") from None


def read_parts(folder: Path, since: datetime | None = None,
               until: datetime | None = None) -> pd.DataFrame:
    """Every logged row in ``folder``, oldest first.

    Closed parts, parts left by killed servers (finished first) and what live
    servers have flushed to their open parts so far.

    Raises:
        DataError: a closed part cannot be read (see :func:`read_part`).
    """
    folder = Path(folder)
    if not folder.is_dir():
        return pd.DataFrame()
    recover(folder)
    tables = []
    for stream in sorted(folder.glob("part-*.arrows")):  # live servers' open parts
        table = read_stream(stream)
        if table is not None:
            tables.append(table.to_pandas())
    for part in sorted(folder.glob("part-*.parquet")):  # after: a rotation in between is
        tables.append(read_part(part))                  # read twice, never missed
    if not tables:
        return pd.DataFrame()
    frame = pd.concat(tables, ignore_index=True).drop_duplicates(["request_id", "row"])
    if since is not None:
        frame = frame[frame["logged_at"] >= pd.Timestamp(since)]
    if until is not None:
        frame = frame[frame["logged_at"] <= pd.Timestamp(until)]
    return frame.sort_values("logged_at", kind="stable").reset_index(drop=True)


def new_request_id() -> str:
    """A request id: sortable by time, unique (UTC stamp + 8 random hex)."""
    return f"{_stamp()}-{secrets.token_hex(4)}"
