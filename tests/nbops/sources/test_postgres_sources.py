"""Query sources on a real PostgreSQL server (tests/postgres_server.py, module-wide).

The result comes through ``COPY … TO STDOUT`` typed by the query's column types;
a refused password, a refused connection, a syntax error, a missing table and a
server stopped mid-query are each one sentence, and no password reaches a message
or a record.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pyarrow.parquet as pq
import pytest

from nbops.core import ConfigError, DataError
from nbops.sources import QuerySource, parse_connection, take_snapshot
from postgres_server import PASSWORD, PostgresServer, server_binaries

pytestmark = pytest.mark.skipif(server_binaries() is None,
                                reason="no PostgreSQL binaries: run .ci/install-postgresql")
SNAPSHOT = ".nbops/sources/pg.parquet"


@pytest.fixture(scope="module")
def server() -> Iterator[PostgresServer]:
    pg = PostgresServer()
    pg.start()
    with psycopg.connect(pg.url(), autocommit=True) as con:
        con.execute("CREATE TABLE customers (id int PRIMARY KEY, tenure smallint, "
                    "charges double precision, plan text, paperless boolean, signup date, "
                    "seen timestamptz, amount numeric(8,2), churn int)")
        con.execute("INSERT INTO customers VALUES "
                    "(1, 3, 20.5, 'a,\"quoted\"', true, '2024-01-02', '2024-01-02 10:00:00+00',"
                    " 12.50, 0), (2, 14, NULL, '', false, NULL, NULL, NULL, 1), "
                    "(3, 7, 1e-7, NULL, NULL, '2023-12-31', '2023-06-01 23:59:59.5+02', 1, 0)")
    yield pg
    pg.remove()


def source(root: Path, url: str, sql: str = "SELECT * FROM customers ORDER BY id"
           ) -> QuerySource:
    return QuerySource("ingest", "query", sql, parse_connection(url, root), SNAPSHOT, "churn")


def test_copy_snapshot_keeps_types_nulls_and_empty_strings(
        server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PG_TEST_PW", PASSWORD)
    url = server.url("${PG_TEST_PW}")
    snap = take_snapshot(source(tmp_path, url))
    table = pq.read_table(tmp_path / SNAPSHOT)
    assert snap.rows == 3
    assert {c["name"]: c["type"] for c in snap.columns} == {
        "id": "int32", "tenure": "int16", "charges": "double", "plan": "string",
        "paperless": "bool", "signup": "date32[day]", "seen": "timestamp[us, tz=UTC]",
        "amount": "double", "churn": "int32"}
    assert table.column("plan").to_pylist() == ['a,"quoted"', "", None]
    assert table.column("charges").to_pylist() == [20.5, None, 1e-7]
    assert table.column("paperless").to_pylist() == [True, False, None]
    assert table.column("signup").to_pylist() == [dt.date(2024, 1, 2), None, dt.date(2023, 12, 31)]
    seen = table.column("seen").to_pylist()
    assert seen[0] == dt.datetime(2024, 1, 2, 10, tzinfo=dt.UTC)
    assert seen[2] == dt.datetime(2023, 6, 1, 21, 59, 59, 500000, tzinfo=dt.UTC)
    assert PASSWORD not in str(snap.record())


def test_changed_row_new_snapshot_unchanged_no_replacement(
        server: PostgresServer, tmp_path: Path) -> None:
    first = take_snapshot(source(tmp_path, server.url()))
    assert not take_snapshot(source(tmp_path, server.url())).changed
    with psycopg.connect(server.url(), autocommit=True) as con:
        con.execute("UPDATE customers SET tenure = tenure + 1 WHERE id = 2")
    try:
        after = take_snapshot(source(tmp_path, server.url()))
        assert after.changed and after.previous_hash == first.hash
    finally:
        with psycopg.connect(server.url(), autocommit=True) as con:
            con.execute("UPDATE customers SET tenure = tenure - 1 WHERE id = 2")


@pytest.mark.parametrize(("sql", "words"), [
    ("SELEC * FROM customers", "has a syntax error"),
    ("SELECT * FROM nope", "reads a table that does not exist"),
    ("SELECT id, nope FROM customers", "names a column that does not exist"),
    ("SELECT * FROM customers WHERE id < 0", "returned no rows"),
])
def test_bad_queries_are_one_sentence(server: PostgresServer, tmp_path: Path, sql: str,
                                      words: str) -> None:
    with pytest.raises(DataError) as caught:
        take_snapshot(source(tmp_path, server.url(), sql))
    assert words in str(caught.value) and "\n" not in str(caught.value)
    assert not (tmp_path / SNAPSHOT).exists()


def test_wrong_password_and_refused_connection_never_show_the_password(
        server: PostgresServer, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        take_snapshot(source(tmp_path, server.url("Wr0ng-pass-99")))
    assert "rejected the user or password" in str(caught.value)
    assert "Wr0ng-pass-99" not in str(caught.value)
    from ports import free_port

    closed = f"postgresql://x:Wr0ng-pass-99@127.0.0.1:{free_port()}/postgres"
    with pytest.raises(ConfigError) as refused:
        take_snapshot(source(tmp_path, closed))
    assert "refused the connection" in str(refused.value)
    assert "Wr0ng-pass-99" not in str(refused.value)


def test_server_stopped_mid_query(server: PostgresServer, tmp_path: Path) -> None:
    stopper = threading.Timer(1.5, server.stop, kwargs={"mode": "immediate"})
    stopper.start()
    started = time.monotonic()
    try:
        with pytest.raises(DataError) as caught:
            take_snapshot(source(tmp_path, server.url(),
                                 "SELECT id, churn FROM customers, pg_sleep(20)"))
        assert time.monotonic() - started < 15
        assert "stopped while the query of ingest.query was running" in str(caught.value)
        assert not (tmp_path / SNAPSHOT).exists()
    finally:
        stopper.join()
        server.start()
