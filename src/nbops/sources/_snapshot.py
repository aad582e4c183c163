"""A query's result as a versioned artifact: run once per build, written as Parquet, hashed.

:func:`take_snapshot` runs the query, checks the result (rows, target column, column
types against a reference schema), writes it as Parquet beside the old snapshot and
replaces the old one only when the bytes differ, so an unchanged result leaves the
file (and the steps that read it) untouched. The digest is blake3 like every other
hash in nbops; the ledger keeps the file in the content store with the run.

:func:`frozen_snapshot` is the reproduction's side: it never connects, it reads the
snapshot a reproduction restored from the store and checks it is the recorded one.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nbops.contracts import SourceRecord
from nbops.core import DataError, ReproduceError, hash_file
from nbops.sources._query import QuerySource
from nbops.sources._readers import read_query

if TYPE_CHECKING:
    import pyarrow as pa

logger = logging.getLogger("nbops")


@dataclass
class Snapshot:
    """One query's result as this build took it.

    Attributes:
        source: the query.
        hash: blake3 digest of the Parquet file.
        rows, size: row count and file size in bytes.
        columns: ``[{name, type}]`` (Arrow type names).
        changed: whether the result differs from the snapshot the previous build left.
        previous_hash: that snapshot's digest (None on a first build).
        query_s: seconds spent running the query and writing the file.
        frozen: taken from the store for a reproduction (the database was not queried).
    """

    source: QuerySource
    hash: str
    rows: int
    size: int
    columns: list[dict[str, str]]
    changed: bool
    previous_hash: str | None = None
    query_s: float = 0.0
    frozen: bool = False
    notes: list[str] = field(default_factory=list)

    def record(self) -> SourceRecord:
        """The manifest entry: the query (no secret), the result's digest, rows, schema."""
        source = self.source
        return {"sql": source.sql, "connection": source.connection.recorded,
                "kind": source.connection.kind, "snapshot": source.snapshot,
                "target": source.target, "hash": self.hash, "rows": self.rows,
                "size": self.size, "changed": self.changed,
                "columns": [{"name": c["name"], "type": c["type"]} for c in self.columns],
                "previous_hash": self.previous_hash, "query_s": round(self.query_s, 4),
                "frozen": self.frozen}


def columns_of(table: pa.Table) -> list[dict[str, str]]:
    return [{"name": f.name, "type": str(f.type)} for f in table.schema]


def check_result(source: QuerySource, table: pa.Table,
                 reference: list[dict[str, str]] | None = None,
                 reference_name: str = "the champion") -> None:
    """The result can feed the steps: it has rows, its target column, the known types.

    Args:
        reference: the columns a model was trained on (the champion's snapshot);
            a column of the same name with another type is refused.

    Raises:
        DataError: one sentence naming the problem and the fix.
    """
    if table.num_rows == 0:
        raise DataError(f"The query of {source.name} returned no rows "
                        f"({source.connection.recorded})",
                        "check its WHERE clause and that the table has data for it")
    names = table.schema.names
    if source.target and source.target not in names:
        raise DataError(
            f"The query of {source.name} returned no column {source.target!r}, the target "
            f"(it returned {', '.join(names[:12])}{'…' if len(names) > 12 else ''})",
            f"select the {source.target} column, or set the target to one of these columns")
    if reference and not source.accept_type_changes:
        now = {c["name"]: c["type"] for c in columns_of(table)}
        changed = [(c["name"], c["type"], now[c["name"]]) for c in reference
                   if c["name"] in now and now[c["name"]] != c["type"]]
        if changed:
            name, before, after = changed[0]
            more = f" (and {len(changed) - 1} more)" if len(changed) > 1 else ""
            raise DataError(
                f"Column {name!r} of the query of {source.name} is now {after}, but "
                f"{reference_name} was trained on {before}{more}",
                f"cast it back in the query (CAST({name} AS …)), or, to retrain on the new "
                f"type, add accept_type_changes: true to the {source.param} parameter of task "
                f"{source.task} in pipeline.yaml")


def write_parquet(table: pa.Table, path: Path) -> None:
    """The result as Parquet, byte-for-byte the same for the same rows (no pandas metadata)."""
    import pyarrow.parquet as pq

    pq.write_table(table.replace_schema_metadata(None), path, compression="zstd")


def take_snapshot(source: QuerySource, reference: list[dict[str, str]] | None = None,
                  reference_name: str = "the champion",
                  before_replace: Callable[[QuerySource], None] | None = None) -> Snapshot:
    """Run the query, check its result, and put it at the snapshot path if it changed.

    Args:
        before_replace: called when the result changed, before the file is replaced
            (the build marks the readers to re-run first: a crash in between never
            leaves a new snapshot whose readers look up to date).

    Raises:
        ConfigError, DataError: the query could not run or its result is unusable;
            the previous snapshot is left as it was.
    """
    started = time.monotonic()
    table = read_query(source)
    check_result(source, table, reference, reference_name)
    target = source.snapshot_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=".snapshot-", suffix=".parquet")
    os.close(fd)
    tmp = Path(name)
    try:
        write_parquet(table, tmp)
        digest = hash_file(tmp)
        previous = hash_file(target) if target.is_file() else None
        changed = digest != previous
        size = tmp.stat().st_size
        if changed:
            if before_replace is not None:
                before_replace(source)
            os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return Snapshot(source, digest, table.num_rows, size, columns_of(table), changed,
                    previous, time.monotonic() - started)


def frozen_snapshot(source: QuerySource) -> Snapshot:
    """The snapshot ``nbops reproduce`` restored from the store; the database is not queried.

    The reproduction put the run's recorded bytes back at the snapshot path (they are
    one of the run's ``provenance.inputs``, checked against their digest on the way).

    Raises:
        ReproduceError: there is no snapshot file to read.
    """
    import pyarrow.parquet as pq

    target = source.snapshot_path()
    if not target.is_file():
        raise ReproduceError(
            f"The run being reproduced recorded no snapshot of {source.name} "
            f"({source.snapshot})",
            "reproduce a run that read its query with this version of nbops; a "
            "reproduction never queries the live database")
    digest = hash_file(target)
    schema = pq.read_schema(target)
    columns = [{"name": f.name, "type": str(f.type)} for f in schema]
    return Snapshot(source, digest, pq.read_metadata(target).num_rows, target.stat().st_size,
                    columns, False, digest, 0.0, frozen=True)
