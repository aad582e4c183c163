"""Query sources on a real DuckDB file: the snapshot, when it changes, and every refusal.

Each bad input is one sentence naming the problem and the fix, raised before a
snapshot is replaced (the previous one stays as it was).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from nbops.core import ConfigError, DataError
from nbops.sources import QuerySource, parse_connection, snapshot_sources, take_snapshot

SNAPSHOT = ".nbops/sources/q.parquet"


def make_db(root: Path) -> Path:
    path = root / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE customers (id INTEGER, tenure INTEGER, plan VARCHAR, churn INTEGER)")
    con.execute("INSERT INTO customers VALUES (1, 3, 'a', 0), (2, 14, 'b', 1), (3, 7, 'a', 0)")
    con.close()
    return path


def source(root: Path, sql: str = "SELECT * FROM customers ORDER BY id",
           connection: str = "duckdb:///warehouse.duckdb", target: str | None = "churn"
           ) -> QuerySource:
    return QuerySource("ingest", "query", sql, parse_connection(connection, root), SNAPSHOT,
                       target)


def execute(root: Path, statement: str) -> None:
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    con.execute(statement)
    con.close()


def test_snapshot_is_written_once_and_replaced_only_when_a_row_changes(tmp_path: Path) -> None:
    make_db(tmp_path)
    first = take_snapshot(source(tmp_path))
    path = tmp_path / SNAPSHOT
    assert first.changed and first.previous_hash is None
    assert first.rows == 3 and pq.read_table(path).num_rows == 3
    assert [c["name"] for c in first.columns] == ["id", "tenure", "plan", "churn"]
    mtime = path.stat().st_mtime_ns

    again = take_snapshot(source(tmp_path))
    assert not again.changed and again.hash == first.hash
    assert path.stat().st_mtime_ns == mtime  # the readers' input is left untouched

    execute(tmp_path, "UPDATE customers SET tenure = 15 WHERE id = 2")
    changed = take_snapshot(source(tmp_path))
    assert changed.changed and changed.previous_hash == first.hash != changed.hash
    assert pq.read_table(path).column("tenure").to_pylist() == [3, 15, 7]


def test_in_memory_duckdb_reads_a_parquet_file_of_the_project(tmp_path: Path) -> None:
    make_db(tmp_path)
    take_snapshot(source(tmp_path))
    snap = take_snapshot(source(tmp_path, "SELECT plan, count(*) AS n FROM "
                                "'.nbops/sources/q.parquet' GROUP BY plan ORDER BY plan",
                                connection="", target=None))
    assert snap.rows == 2 and snap.source.connection.kind == "duckdb"


def test_sources_are_found_in_task_parameters_and_null_sql_means_none(tmp_path: Path) -> None:
    make_db(tmp_path)
    params = {
        "ingest": {"rows": 5, "query": {"sql": "SELECT * FROM customers", "snapshot": SNAPSHOT,
                                        "connection": "duckdb:///warehouse.duckdb"}},
        "other": {"query": {"sql": None, "snapshot": "x.parquet", "connection": None}},
    }
    (snap,) = snapshot_sources(params, tmp_path)
    assert snap.source.name == "ingest.query" and snap.rows == 3
    assert snap.record()["connection"] == "duckdb:///warehouse.duckdb"


BAD_QUERIES = [
    ("SELEC * FROM customers", DataError, "has a syntax error"),
    ("SELECT * FROM customer", DataError, "reads a table that does not exist"),
    ("SELECT id, tenure, nope FROM customers", DataError, "names a column that does not exist"),
    ("SELECT * FROM customers WHERE id > 100", DataError, "returned no rows"),
    ("SELECT id, tenure FROM customers", DataError, "returned no column 'churn', the target"),
]


@pytest.mark.parametrize(("sql", "error", "words"), BAD_QUERIES)
def test_a_bad_query_is_one_sentence_and_keeps_the_previous_snapshot(
        tmp_path: Path, sql: str, error: type[Exception], words: str) -> None:
    make_db(tmp_path)
    good = take_snapshot(source(tmp_path))
    before = (tmp_path / SNAPSHOT).read_bytes()
    with pytest.raises(error) as caught:
        take_snapshot(source(tmp_path, sql))
    message = str(caught.value)
    assert words in message and "Fix:" in message and "\n" not in message
    assert "ingest.query" in message
    assert (tmp_path / SNAPSHOT).read_bytes() == before and good.rows == 3


def test_a_missing_database_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="DuckDB database of ingest.query does not exist"):
        take_snapshot(source(tmp_path, connection="duckdb:///nowhere.duckdb"))


def test_a_column_whose_type_changed_since_the_champion_is_refused(tmp_path: Path) -> None:
    make_db(tmp_path)
    trained_on = take_snapshot(source(tmp_path)).columns
    execute(tmp_path, "ALTER TABLE customers ALTER tenure TYPE VARCHAR")
    with pytest.raises(DataError) as caught:
        take_snapshot(source(tmp_path), trained_on, "the champion (churn v1)")
    assert str(caught.value).startswith(
        "Column 'tenure' of the query of ingest.query is now string, but the champion "
        "(churn v1) was trained on int32")


def test_connection_placeholders_come_from_the_environment_and_are_never_recorded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conn = parse_connection("postgresql://app:${DB_PW}@127.0.0.1:5/db", tmp_path)
    monkeypatch.delenv("DB_PW", raising=False)
    with pytest.raises(ConfigError, match="needs the environment variable DB_PW"):
        conn.url()
    monkeypatch.setenv("DB_PW", "hunter22")
    assert conn.psycopg_url() == "postgresql://app:hunter22@127.0.0.1:5/db"
    assert "hunter22" not in conn.recorded
    literal = parse_connection("postgresql+psycopg://app:hunter22@h/db", tmp_path)
    assert literal.kind == "postgresql" and "hunter22" not in literal.recorded
    assert parse_connection("sqlite:///x.db", tmp_path).kind == "sqlalchemy"
    with pytest.raises(ConfigError, match="is not a database URL"):
        parse_connection("warehouse.duckdb", tmp_path)


def test_any_sqlalchemy_url_works_sqlite_here(tmp_path: Path) -> None:
    import sqlite3

    con = sqlite3.connect(tmp_path / "s.db")
    con.execute("CREATE TABLE t (id INTEGER, churn INTEGER)")
    con.execute("INSERT INTO t VALUES (1, 0), (2, 1)")
    con.commit()
    con.close()
    snap = take_snapshot(source(tmp_path, "SELECT * FROM t", f"sqlite:///{tmp_path}/s.db"))
    assert snap.rows == 2 and snap.source.connection.kind == "sqlalchemy"
    with pytest.raises(DataError, match="reads a table that does not exist"):
        take_snapshot(source(tmp_path, "SELECT * FROM nope", f"sqlite:///{tmp_path}/s.db"))


def test_a_deliberate_type_change_is_accepted_when_declared(tmp_path: Path) -> None:
    make_db(tmp_path)
    trained_on = take_snapshot(source(tmp_path)).columns
    execute(tmp_path, "ALTER TABLE customers ALTER tenure TYPE BIGINT")
    declared = QuerySource("ingest", "query", "SELECT * FROM customers ORDER BY id",
                           parse_connection("duckdb:///warehouse.duckdb", tmp_path), SNAPSHOT,
                           "churn", accept_type_changes=True)
    assert take_snapshot(declared, trained_on).changed


def test_diff_counts_rows_added_and_removed_and_retyped_columns(tmp_path: Path) -> None:
    from nbops.core import ContentStore
    from nbops.sources import diff_lines, diff_sources

    make_db(tmp_path)
    store = ContentStore(tmp_path / "store")
    a = take_snapshot(source(tmp_path))
    store.put_file(tmp_path / SNAPSHOT)
    execute(tmp_path, "DELETE FROM customers WHERE id = 1")
    execute(tmp_path, "INSERT INTO customers VALUES (4, 1, 'c', 1), (5, 2, 'c', 0)")
    execute(tmp_path, "ALTER TABLE customers ALTER tenure TYPE BIGINT")
    b = take_snapshot(source(tmp_path))
    store.put_file(tmp_path / SNAPSHOT)
    changes = diff_sources(store, {"ingest.query": a.record()}, {"ingest.query": b.record()})
    change = changes["ingest.query"]
    assert change["same_query"] and (change["added"], change["removed"]) == (2, 1)
    assert change["columns"]["retyped"] == {"tenure": ["int32", "int64"]}
    assert diff_lines(changes)[1] == ("  ingest.query: the same query read different data: "
                                      "3 -> 4 rows (+2 added, -1 removed)")
    assert diff_sources(store, {"ingest.query": a.record()}, {"ingest.query": a.record()}) == {}


def test_a_query_run_is_its_own_experiment_named_by_database_without_credentials() -> None:
    from nbops.core import data_slug, experiment_of

    env = {"data": {"path": None, "sql": "SELECT 1",
                    "connection": "postgresql://app:hunter22@db.internal:5432/prod"}}
    experiment = experiment_of({"env": env})
    assert experiment.data == "query on prod" and "hunter22" not in experiment.key
    assert data_slug(env) == "prod"
    assert experiment_of({"env": {"data": {"path": None, "sql": None}}}).data == (
        "embedded generator")


def test_readers_are_marked_before_a_changed_snapshot_replaces_the_old_one(
        tmp_path: Path) -> None:
    make_db(tmp_path)
    seen: list[bytes] = []
    take_snapshot(source(tmp_path))
    old = (tmp_path / SNAPSHOT).read_bytes()

    def before_replace(changed: QuerySource) -> None:
        seen.append((changed.snapshot_path()).read_bytes())

    take_snapshot(source(tmp_path), before_replace=before_replace)
    assert seen == []  # unchanged: nothing to mark
    execute(tmp_path, "DELETE FROM customers WHERE id = 3")
    take_snapshot(source(tmp_path), before_replace=before_replace)
    assert seen == [old] and (tmp_path / SNAPSHOT).read_bytes() != old
