"""What two runs read from the same query: rows added and removed, columns changed.

Both results are the runs' snapshots in the content store (each is one of its run's
``provenance.inputs``), so the comparison never touches the database. Rows are
compared as whole rows (a multiset: a changed row is one removed and one added).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, TypedDict

from nbops.core import ContentStore


def _columns(record: Mapping[str, Any]) -> dict[str, str]:
    return {c["name"]: c["type"] for c in record.get("columns") or []}


def _row_counts(store: ContentStore, digest: str) -> Counter[int] | None:
    """Each distinct row's hash and how many times it occurs (None if not stored)."""
    if not store.has(digest):
        return None
    import pandas as pd

    frame = pd.read_parquet(store.path_for(digest))
    return Counter(pd.util.hash_pandas_object(frame.astype(str), index=False).tolist())


class ColumnChanges(TypedDict):
    """Columns only in run b (``added``), only in run a (``removed``), of another type."""

    added: list[str]
    removed: list[str]
    retyped: dict[str, list[str]]


class SourceChange(TypedDict):
    """How one query source's result differs between two runs (see :func:`diff_sources`)."""

    same_query: bool
    sql_a: str | None
    sql_b: str | None
    rows_a: int | None
    rows_b: int | None
    hash_a: str | None
    hash_b: str | None
    added: int | None
    removed: int | None
    columns: ColumnChanges


def diff_sources(store: ContentStore, sources_a: Mapping[str, Any] | None,
                 sources_b: Mapping[str, Any] | None) -> dict[str, SourceChange]:
    """``{task.param: change}`` for each query source whose result differs between runs.

    A change holds ``sql_a``/``sql_b`` (equal when the same query read different data),
    ``rows_a``/``rows_b``, ``added``/``removed`` (rows, None when a snapshot is no longer
    stored), and ``columns`` ``{added, removed, retyped {name: [a, b]}}``.
    """
    changes: dict[str, SourceChange] = {}
    for name in sorted(set(sources_a or {}) | set(sources_b or {})):
        a = (sources_a or {}).get(name) or {}
        b = (sources_b or {}).get(name) or {}
        if a.get("hash") == b.get("hash"):
            continue
        cols_a, cols_b = _columns(a), _columns(b)
        change: SourceChange = {
            "same_query": a.get("sql") == b.get("sql")
            and a.get("connection") == b.get("connection"),
            "sql_a": a.get("sql"), "sql_b": b.get("sql"),
            "rows_a": a.get("rows"), "rows_b": b.get("rows"),
            "hash_a": a.get("hash"), "hash_b": b.get("hash"),
            "added": None, "removed": None,
            "columns": {
                "added": sorted(set(cols_b) - set(cols_a)),
                "removed": sorted(set(cols_a) - set(cols_b)),
                "retyped": {c: [cols_a[c], cols_b[c]] for c in sorted(set(cols_a) & set(cols_b))
                            if cols_a[c] != cols_b[c]},
            },
        }
        if a.get("hash") and b.get("hash"):
            rows_a, rows_b = _row_counts(store, a["hash"]), _row_counts(store, b["hash"])
            if rows_a is not None and rows_b is not None:
                change["added"] = sum((rows_b - rows_a).values())
                change["removed"] = sum((rows_a - rows_b).values())
        changes[name] = change
    return changes


def diff_lines(changes: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The changes as the lines ``nbops diff`` prints."""
    if not changes:
        return []
    out = ["query results"]
    for name, c in changes.items():
        what = "the same query read different data" if c["same_query"] else "the query changed"
        rows = f"{c['rows_a']} -> {c['rows_b']} rows"
        if c["added"] is not None:
            rows += f" (+{c['added']} added, -{c['removed']} removed)"
        out.append(f"  {name}: {what}: {rows}")
        cols = c["columns"]
        for key in ("added", "removed"):
            if cols[key]:
                out.append(f"    columns {key}: {', '.join(cols[key])}")
        for col, (before, after) in cols["retyped"].items():
            out.append(f"    column {col}: {before} -> {after}")
    return out
