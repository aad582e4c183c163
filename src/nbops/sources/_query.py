"""A step input that is a query: found among a task's parameters.

In ``pipeline.yaml`` a task names its query source as one parameter whose value is
a mapping with ``sql`` and ``snapshot`` (and optionally ``connection`` and
``target``), its values usually coming from ``env.yaml``::

    params:
      query:
        sql: '{{data.sql}}'                 # null: this build reads no database
        connection: '{{data.connection}}'   # null: DuckDB in memory
        snapshot: .nbops/sources/raw_query.parquet
        target: '{{data.target}}'           # optional: the column the result must have

The ``snapshot`` path is where the result lands (Parquet) before any task runs; the
step reads that file. Naming it in the parameters is what makes the ledger keep its
content with the run (``provenance.inputs``) and ``nbops reproduce`` restore it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbops.core import ConfigError
from nbops.sources._connection import Connection, parse_connection

#: The key that makes a parameter's mapping a query source.
SQL_KEY = "sql"
_KEYS = {"sql", "connection", "snapshot", "target", "accept_type_changes"}


@dataclass(frozen=True)
class QuerySource:
    """One query a task reads, as declared in its parameters.

    Attributes:
        task, param: where it is declared (``ingest``, ``query``).
        sql: the query text (trailing semicolons removed).
        connection: where it runs.
        snapshot: the project-relative path of the Parquet result.
        target: a column the result must have, or None.
        accept_type_changes: take a result whose column types differ from the
            champion's training data (a deliberate retraining on the new types).
    """

    task: str
    param: str
    sql: str
    connection: Connection
    snapshot: str
    target: str | None = None
    accept_type_changes: bool = False

    @property
    def name(self) -> str:
        """``task.param``: how messages and the manifest name this source."""
        return f"{self.task}.{self.param}"

    def snapshot_path(self) -> Path:
        """The absolute path of the snapshot file."""
        path = Path(self.snapshot)
        return path if path.is_absolute() else self.connection.root / path

def query_source(task: str, param: str, value: Mapping[str, Any],
                 root: Path) -> QuerySource | None:
    """The query source a parameter declares (None when its ``sql`` is null or empty).

    Raises:
        ConfigError: the mapping has an unknown key, no snapshot path, or a non-string sql.
    """
    unknown = sorted(set(value) - _KEYS)
    if unknown:
        raise ConfigError(
            f"Parameter {param!r} of task {task!r} declares a query source with unknown "
            f"key(s) {', '.join(unknown)}",
            f"use only {', '.join(sorted(_KEYS))}")
    sql = value.get(SQL_KEY)
    if sql is None or (isinstance(sql, str) and not sql.strip()):
        return None
    if not isinstance(sql, str):
        raise ConfigError(f"The sql of {task}.{param} is a {type(sql).__name__}, not text",
                          "quote the query in env.yaml or on the command line")
    snapshot = value.get("snapshot")
    if not isinstance(snapshot, str) or not snapshot.strip():
        raise ConfigError(
            f"The query source {task}.{param} names no snapshot file",
            "add e.g. snapshot: .nbops/sources/raw_query.parquet to the parameter in "
            "pipeline.yaml (the step reads the query's result from there)")
    target = value.get("target")
    return QuerySource(task, param, sql.strip().rstrip(";").strip(),
                       parse_connection(value.get("connection"), root), snapshot,
                       str(target) if target else None,
                       value.get("accept_type_changes") is True)


def find_query_sources(params: Mapping[str, Mapping[str, Any]],
                       root: Path) -> list[QuerySource]:
    """Every query source among the tasks' rendered parameters (``{task: {param: value}}``)."""
    found = []
    for task, task_params in params.items():
        for param, value in task_params.items():
            if isinstance(value, Mapping) and SQL_KEY in value:
                source = query_source(str(task), str(param), value, root)
                if source is not None:
                    found.append(source)
    return found
