"""Data from databases: a step's input that is a query, snapshot as a versioned artifact.

A task parameter that is a mapping with ``sql`` (and ``snapshot``, ``connection``,
``target``) is a query source (:mod:`nbops.sources._query`). Before any task runs,
the build's ``on_render`` hook calls :func:`snapshot_sources`: each query runs once
(DuckDB, PostgreSQL via ``COPY``, or any SQLAlchemy URL), its result is checked and
written as Parquet at the snapshot path, and the tasks reading it re-run only when
the bytes changed. The run records each snapshot (query, connection without secrets,
hash, rows, columns) in its ``sources`` section; the file itself is one of the run's
inputs, kept in the content store, which is what ``nbops reproduce`` restores
(:func:`frozen_snapshot`, never the live database). :func:`read_query` is the step's
side, :func:`diff_sources` compares what two runs read. Guide: ``docs/databases.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbops.core import lazy_exports

if TYPE_CHECKING:
    from nbops.sources._build import SECTION, reproduction_notes, section, snapshot_sources
    from nbops.sources._connection import Connection, parse_connection
    from nbops.sources._diff import diff_lines, diff_sources
    from nbops.sources._notebook import read_query
    from nbops.sources._query import QuerySource, find_query_sources, query_source
    from nbops.sources._readers import read_query as run_query
    from nbops.sources._snapshot import (
        Snapshot,
        check_result,
        columns_of,
        frozen_snapshot,
        take_snapshot,
    )

__all__ = [
    "Connection", "QuerySource", "SECTION", "Snapshot", "check_result", "columns_of",
    "diff_lines", "diff_sources",
    "find_query_sources", "frozen_snapshot", "parse_connection", "query_source", "read_query",
    "reproduction_notes", "run_query", "section", "snapshot_sources", "take_snapshot",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, {
        "_build": ("SECTION", "reproduction_notes", "section", "snapshot_sources"),
        "_connection": ("Connection", "parse_connection"),
        "_diff": ("diff_lines", "diff_sources"),
        "_notebook": ("read_query",),
        "_query": ("QuerySource", "find_query_sources", "query_source"),
        "_readers": ("run_query=read_query",),
        "_snapshot": ("Snapshot", "check_result", "columns_of", "frozen_snapshot",
                      "take_snapshot"),
    })
