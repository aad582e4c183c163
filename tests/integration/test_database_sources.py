"""The reference pipeline reading its data from a database (issue 31), end to end.

DuckDB: a file database in a temporary git project, queried with
``ploomber build --env--data--sql … --env--data--connection duckdb:///…``. Changing
nothing reuses every step; changing one row gives a new snapshot and re-runs them;
``nbops reproduce`` still works after the table was dropped (it reads the stored
snapshot, never the database); a bad query stops the build before any step runs.
PostgreSQL: the same pipeline on a real server, the password only in the environment
and nowhere in reports/ or .nbops/ afterwards; no-op, one changed row and reproduce after
the table was dropped as for DuckDB.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from forked_commands import ForkedCommands, forked_commands

from project_files import build_environment

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SQL = "SELECT * FROM customers ORDER BY customer_id"
DUCKDB = ["--env--data--sql", SQL, "--env--data--connection", "duckdb:///warehouse.duckdb"]


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)


def runs(repo: Path) -> list[dict[str, Any]]:
    folders = sorted(p for p in (repo / "reports" / "runs").iterdir() if p.is_dir())
    return [json.loads((p / "manifest.json").read_text()) for p in folders]


def statuses(manifest: dict[str, Any]) -> dict[str, str]:
    return {name: task["status"] for name, task in manifest["tasks"].items()}


def reference_project(base: Path, copy_project: Callable[[Path], Path]) -> Path:
    repo = copy_project(base / "project")
    shutil.copytree(ROOT / "src" / "churn", repo / "src" / "churn",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "requirements.lock", repo / "requirements.lock")
    (repo / ".gitignore").write_text(".nbops/*\nreports/*\n__pycache__/\n*.duckdb\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "test@example.com")
    git(repo, "config", "user.name", "test")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "reference project")
    return repo


@pytest.fixture(scope="module")
def commands() -> Iterator[ForkedCommands]:
    """The module's builds and nbops commands, forked from one warm zygote (one Ploomber
    import instead of one per command; see forked_commands.py)."""
    with forked_commands() as runner:
        yield runner


def customers() -> Any:
    from churn import generator

    return generator.generate(2400, seed=7)


@pytest.fixture(scope="module")
def duckdb_project(tmp_path_factory: pytest.TempPathFactory,
                   copy_project: Callable[[Path], Path],
                   commands: ForkedCommands) -> dict[str, Any]:
    repo = reference_project(tmp_path_factory.mktemp("duckdb"), copy_project)
    frame = customers()  # noqa: F841 (DuckDB reads the local frame by name)
    con = duckdb.connect(str(repo / "warehouse.duckdb"))
    con.execute("CREATE TABLE customers AS SELECT * FROM frame")
    con.close()
    commands.build(repo, *DUCKDB)
    commands.build(repo, *DUCKDB)  # nothing changed
    con = duckdb.connect(str(repo / "warehouse.duckdb"))
    con.execute("UPDATE customers SET monthly_charges = monthly_charges + 5 "
                "WHERE customer_id = (SELECT min(customer_id) FROM customers)")
    con.close()
    commands.build(repo, *DUCKDB)  # one row changed
    bad = commands.run([BIN / "ploomber", "build", "--env--data--sql",
                        "SELECT * FROM customer", "--env--data--connection",
                        "duckdb:///warehouse.duckdb"], repo, build_environment(), timeout=600)
    retyped = commands.run([BIN / "ploomber", "build", "--env--data--sql",
                            "SELECT * REPLACE (CAST(tenure_months AS DOUBLE) AS tenure_months)"
                            " FROM customers", "--env--data--connection",
                            "duckdb:///warehouse.duckdb"], repo, build_environment(), timeout=600)
    monitor = [BIN / "nbops", "monitor", "--connection", "duckdb:///warehouse.duckdb", "--sql"]
    monitored = commands.run([*monitor, "SELECT * FROM customers ORDER BY customer_id "
                              "LIMIT 600", "--json"], repo, build_environment(), timeout=600)
    monitor_retyped = commands.run([*monitor, "SELECT * REPLACE (CAST(age AS VARCHAR) AS age) "
                                    "FROM customers"], repo, build_environment(), timeout=600)
    con = duckdb.connect(str(repo / "warehouse.duckdb"))
    con.execute("DROP TABLE customers")
    con.close()
    first, noop, changed = runs(repo)
    env = build_environment()
    reproduced = commands.run([BIN / "nbops", "reproduce", changed["run_id"]], repo, env,
                              timeout=1200)
    return {"repo": repo, "first": first, "noop": noop, "changed": changed, "bad": bad,
            "retyped": retyped, "monitored": monitored, "monitor_retyped": monitor_retyped,
            "reproduced": reproduced}


def test_first_build_records_the_snapshot(duckdb_project: dict[str, Any]) -> None:
    first = duckdb_project["first"]
    assert first["status"] == "succeeded"
    record = first["sources"]["ingest.query"]
    assert record["sql"] == SQL and record["connection"] == "duckdb:///warehouse.duckdb"
    assert record["rows"] == 2400 and record["changed"] is True
    assert {"name": "churn", "type": "int8"} in record["columns"]
    # the snapshot file is one of the run's inputs: in the content store, by its hash
    assert first["provenance"]["inputs"][".nbops/sources/raw_query.parquet"] == record["hash"]
    assert set(statuses(first).values()) == {"executed"}
    assert "churn" in json.loads((duckdb_project["repo"] / ".nbops/registry/models.json")
                                 .read_text())["models"]


def test_nothing_changed_reuses_every_step(duckdb_project: dict[str, Any]) -> None:
    noop, first = duckdb_project["noop"], duckdb_project["first"]
    record = noop["sources"]["ingest.query"]
    assert record["changed"] is False and record["hash"] == first["sources"]["ingest.query"]["hash"]
    assert set(statuses(noop).values()) == {"skipped"}


def test_one_changed_row_is_a_new_snapshot_and_every_step_reruns(
        duckdb_project: dict[str, Any]) -> None:
    changed, first = duckdb_project["changed"], duckdb_project["first"]
    record = changed["sources"]["ingest.query"]
    assert record["changed"] is True and record["previous_hash"] == first["sources"][
        "ingest.query"]["hash"] != record["hash"]
    assert set(statuses(changed).values()) == {"executed"}


def test_a_missing_table_stops_the_build_before_any_step(duckdb_project: dict[str, Any]) -> None:
    bad = duckdb_project["bad"]
    assert bad.returncode != 0
    output = bad.stdout + bad.stderr
    assert "The query of ingest.query reads a table that does not exist" in output
    assert "Traceback" not in output
    assert len(runs(duckdb_project["repo"])) == 3  # no run was opened


def test_a_column_type_changed_since_the_champion_stops_the_build(
        duckdb_project: dict[str, Any]) -> None:
    retyped = duckdb_project["retyped"]
    assert retyped.returncode != 0
    assert ("Column 'tenure_months' of the query of ingest.query is now double, but the "
            "champion (churn v1) was trained on int16") in retyped.stdout + retyped.stderr
    assert len(runs(duckdb_project["repo"])) == 3


def test_monitor_checks_a_batch_straight_from_the_database(
        duckdb_project: dict[str, Any]) -> None:
    done = duckdb_project["monitored"]
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["rows"] == 600 and report["verdict"] == "ok"
    retyped = duckdb_project["monitor_retyped"]
    assert retyped.returncode != 0 and "Traceback" not in retyped.stderr
    assert "Column 'age' of the query of monitor.sql is now string" in retyped.stderr


def test_reproduce_reads_the_stored_snapshot_after_the_table_was_dropped(
        duckdb_project: dict[str, Any]) -> None:
    done = duckdb_project["reproduced"]
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "reproduced" in done.stdout.lower()
    assert "not the live database" in done.stdout


# --- PostgreSQL -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def postgres_project(tmp_path_factory: pytest.TempPathFactory,
                     copy_project: Callable[[Path], Path],
                     commands: ForkedCommands) -> Iterator[dict[str, Any]]:
    from postgres_server import PASSWORD, PostgresServer, server_binaries

    if server_binaries() is None:
        pytest.skip("no PostgreSQL binaries: run .ci/install-postgresql")
    import psycopg

    server = PostgresServer()
    server.start()
    try:
        frame = customers()
        with psycopg.connect(server.url(), autocommit=True) as con:
            con.execute("CREATE TABLE customers (customer_id text, signup_date timestamp, "
                        "tenure_months int, monthly_charges double precision, "
                        "total_charges double precision, support_calls int, "
                        "data_usage_gb double precision, age int, contract text, "
                        "internet_service text, payment_method text, paperless_billing text, "
                        "senior_citizen text, partner text, region text, churn int)")
            with con.cursor().copy("COPY customers FROM STDIN") as copy:
                for row in frame.astype(object).where(frame.notna(), None).itertuples(
                        index=False):
                    copy.write_row(row)
        repo = reference_project(tmp_path_factory.mktemp("postgres"), copy_project)
        env = {**build_environment(), "PGPASSWORD": PASSWORD}
        url = server.url().replace(f":{PASSWORD}@", "@")  # the password from PGPASSWORD only
        argv = [str(BIN / "ploomber"), "build", "--env--data--sql", SQL,
                "--env--data--connection", url]
        builds = [commands.run(argv, repo, env) for _ in range(2)]
        with psycopg.connect(server.url(), autocommit=True) as con:
            con.execute("UPDATE customers SET monthly_charges = monthly_charges + 5 "
                        "WHERE customer_id = (SELECT min(customer_id) FROM customers)")
        builds.append(commands.run(argv, repo, env))  # one row changed
        with psycopg.connect(server.url(), autocommit=True) as con:
            con.execute("DROP TABLE customers")
        changed = runs(repo)[-1]
        reproduced = commands.run([BIN / "nbops", "reproduce", changed["run_id"]], repo, env,
                                  timeout=1200)
        yield {"repo": repo, "builds": builds, "reproduced": reproduced, "password": PASSWORD,
               "url": url}
    finally:
        server.remove()


def test_postgres_build_then_noop_build(postgres_project: dict[str, Any]) -> None:
    for done in postgres_project["builds"]:
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    first, noop, changed = runs(postgres_project["repo"])
    assert first["sources"]["ingest.query"]["kind"] == "postgresql"
    assert first["sources"]["ingest.query"]["rows"] == 2400
    assert set(statuses(first).values()) == {"executed"}
    assert noop["sources"]["ingest.query"]["changed"] is False
    assert set(statuses(noop).values()) == {"skipped"}
    record = changed["sources"]["ingest.query"]
    assert record["changed"] is True
    assert record["previous_hash"] == first["sources"]["ingest.query"]["hash"] != record["hash"]
    assert set(statuses(changed).values()) == {"executed"}


def test_postgres_reproduce_reads_the_snapshot_after_the_table_was_dropped(
        postgres_project: dict[str, Any]) -> None:
    done = postgres_project["reproduced"]
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "reproduced" in done.stdout.lower()
    assert "not the live database" in done.stdout


def test_no_password_in_reports_state_or_logs(postgres_project: dict[str, Any]) -> None:
    repo, password = postgres_project["repo"], postgres_project["password"]
    found = subprocess.run(["grep", "-rl", "-a", password, "reports", ".nbops"], cwd=repo,
                           capture_output=True, text=True)
    assert found.stdout == "" and found.returncode == 1, found.stdout
    for done in [*postgres_project["builds"], postgres_project["reproduced"]]:
        assert password not in done.stdout + done.stderr
    assert os.environ.get("PGPASSWORD") != password  # the test never leaked it to itself
