"""Cost of a query source's snapshot (issue 31): a 1,000,000-row table into Parquet.

PostgreSQL (a real server started like the tests', tests/postgres_server.py): nbops'
``take_snapshot`` (column types from a ``LIMIT 0`` describe, ``COPY … TO STDOUT`` as
CSV, Arrow's typed CSV reader, Parquet with zstd, blake3 hash, compare with the previous
snapshot) ÷ the floor: the same ``COPY … TO STDOUT`` read by Arrow (types inferred)
and written as the same Parquet, nothing else. Goal ≤ 1.3×.

DuckDB (a file database): ``take_snapshot`` (``to_arrow_table``, Parquet, hash) ÷
DuckDB's own ``COPY (…) TO 'file.parquet'``.

The no-op check: what an incremental build spends per source to learn that the result
did not change (the whole snapshot again, since nbops compares result bytes), and, for
comparison, what a database fingerprint would cost (PostgreSQL's per-table change
counters in ``pg_stat_user_tables``; a DuckDB file's ``stat``) — cheaper, but blind
to changes they do not count (see docs/databases.md, "Did the result change?").

Run: ``python -m benchmarks.db_snapshot_bench`` (or through ``python -m benchmarks``).
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from benchmarks.harness import best_of

from nbops.sources import QuerySource, parse_connection, take_snapshot

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 1.3
TABLE_SQL = """
CREATE TABLE customers AS
SELECT g::bigint AS id, (g % 97)::int AS tenure, (g * 0.37)::double precision AS charges,
       'customer-' || (g % 5000)::text AS name, DATE '2024-01-01' + (g % 365)::int AS signup,
       (g % 3 = 0) AS paperless, (g % 11)::int AS calls, (g % 2)::int AS churn
FROM generate_series(1, {rows}) AS g
"""
QUERY = "SELECT * FROM customers"


def _alternately(repeats: int, *fns: Callable[[], Any]) -> list[float]:
    """Best time of each function, run in turns (A B A B …) so load changes hit all alike."""
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            started = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - started)
    return best


def _fresh_snapshot(source: QuerySource) -> Callable[[], Any]:
    """A first snapshot each time (no previous file): the query, Parquet, hash, install."""
    def snapshot() -> None:
        source.snapshot_path().unlink(missing_ok=True)
        take_snapshot(source)
    return snapshot


def _source(root: Path, url: str) -> QuerySource:
    return QuerySource("ingest", "query", QUERY, parse_connection(url, root),
                       "snapshot.parquet", "churn")


def _postgres(rows: int, repeats: int, work: Path) -> list[dict[str, Any]]:
    sys.path.insert(0, str(ROOT / "tests"))
    import psycopg
    from pyarrow import csv

    from postgres_server import PostgresServer

    server = PostgresServer()
    server.start()
    try:
        url = server.url()
        with psycopg.connect(url, autocommit=True) as con:
            con.execute(TABLE_SQL.format(rows=rows))
            con.execute("ANALYZE customers")

        def floor() -> None:
            buffer = io.BytesIO()
            with psycopg.connect(url) as con, con.cursor() as cur:
                with cur.copy(f"COPY ({QUERY}) TO STDOUT (FORMAT csv)") as copy:
                    for block in copy:
                        buffer.write(block)
            buffer.seek(0)
            names = csv.ReadOptions(autogenerate_column_names=True)
            table = csv.read_csv(buffer, read_options=names)
            pq.write_table(table, work / "floor.parquet", compression="zstd")

        def copy_only() -> None:
            with psycopg.connect(url) as con, con.cursor() as cur:
                with cur.copy(f"COPY ({QUERY}) TO STDOUT (FORMAT csv)") as copy:
                    for _ in copy:
                        pass

        source = _source(work, url)
        floor_s, nbops_s, copy_s = _alternately(repeats, floor, _fresh_snapshot(source),
                                                copy_only)
        noop_s = best_of(repeats, lambda: take_snapshot(source))  # unchanged result

        def fingerprint() -> None:
            with psycopg.connect(url) as con:
                con.execute("SELECT sum(n_tup_ins + n_tup_upd + n_tup_del), "
                            "max(coalesce(last_autoanalyze, last_analyze)) "
                            "FROM pg_stat_user_tables").fetchone()

        fingerprint_s = best_of(repeats, fingerprint)
    finally:
        server.remove()
    what = f"{rows:,}-row, 8-column table"
    return [
        {"name": "db_snapshot.postgres_snapshot", "seconds": round(nbops_s, 3),
         "ratio_to_baseline": round(nbops_s / floor_s, 3), "target_ratio": TARGET_RATIO,
         "ratio_to_target": round(nbops_s / floor_s / TARGET_RATIO, 3),
         "what": f"take_snapshot of a {what} from PostgreSQL into Parquet ÷ COPY TO "
                 f"STDOUT read by Arrow into the same Parquet (best of {repeats}, in turns)",
         "floor_s": round(floor_s, 3), "copy_only_s": round(copy_s, 3)},
        {"name": "db_snapshot.postgres_noop_check", "seconds": round(noop_s, 3),
         "what": f"the did-it-change check of a no-op build: snapshot again, same bytes, file "
                 f"left untouched ({what}, best of {repeats})",
         "fingerprint_s": round(fingerprint_s, 4)},
    ]


def _duckdb(rows: int, repeats: int, work: Path) -> list[dict[str, Any]]:
    import duckdb

    database = work / "warehouse.duckdb"
    con = duckdb.connect(str(database))
    con.execute(TABLE_SQL.format(rows=rows).replace("::double precision", "::DOUBLE"))
    con.close()

    def floor() -> None:
        con = duckdb.connect(str(database), read_only=True)
        con.execute(f"COPY ({QUERY}) TO '{work / 'floor.parquet'}' "
                    "(FORMAT parquet, COMPRESSION zstd)")
        con.close()

    source = _source(work, "duckdb:///warehouse.duckdb")
    floor_s, nbops_s = _alternately(repeats, floor, _fresh_snapshot(source))
    noop_s = best_of(repeats, lambda: take_snapshot(source))
    fingerprint_s = best_of(repeats, lambda: os.stat(database))
    what = f"{rows:,}-row, 8-column table"
    return [
        {"name": "db_snapshot.duckdb_snapshot", "seconds": round(nbops_s, 3),
         "ratio_to_baseline": round(nbops_s / floor_s, 3), "target_ratio": TARGET_RATIO,
         "ratio_to_target": round(nbops_s / floor_s / TARGET_RATIO, 3),
         "what": f"take_snapshot of a {what} from a DuckDB file into Parquet ÷ DuckDB's own "
                 f"COPY TO parquet (best of {repeats}, in turns)",
         "floor_s": round(floor_s, 3)},
        {"name": "db_snapshot.duckdb_noop_check", "seconds": round(noop_s, 3),
         "what": f"the did-it-change check of a no-op build on DuckDB ({what}, best of "
                 f"{repeats})", "fingerprint_s": round(fingerprint_s, 6)},
    ]


def run(full: bool = True) -> list[dict[str, Any]]:
    rows = 1_000_000 if full else 100_000
    repeats = 3 if full else 1
    with tempfile.TemporaryDirectory(prefix="nbops-db-bench-") as name:
        work = Path(name)
        return _postgres(rows, repeats, work) + _duckdb(rows, repeats, work)


if __name__ == "__main__":
    import json

    for row in run():
        print(json.dumps(row))
