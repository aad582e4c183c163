"""Run a query against its database and return the result as an Arrow table.

One reader per connection kind. Each turns the driver's errors into one sentence
with the fix (:func:`_failure`): a syntax error, a missing table or column, a refused
connection or password, a server that stopped mid-query. Nothing is written here.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from nbops.core import ConfigError, DataError, NbopsError, mask_credentials
from nbops.sources._query import QuerySource

if TYPE_CHECKING:
    import pyarrow as pa

#: PostgreSQL type OIDs → Arrow type names (others arrive as text).
_PG_TYPES = {
    16: "bool", 20: "int64", 21: "int16", 23: "int32", 26: "int64", 700: "float32",
    701: "float64", 1700: "float64", 1082: "date32", 1114: "timestamp[us]",
    1184: "timestamp[us, tz=UTC]",
}


def _missing_driver(package: str, exc: ImportError) -> NbopsError:
    return ConfigError(f"Reading from a database needs the Python package {package}, "
                       f"which is not installed ({exc.name})",
                       "pip install 'nbops[db]'")


def read_query(source: QuerySource) -> pa.Table:
    """The query's whole result.

    Raises:
        ConfigError: the database cannot be reached or refuses the credentials.
        DataError: the query is wrong (syntax, missing table or column) or failed.
    """
    kind = source.connection.kind
    if kind == "duckdb":
        return _duckdb(source)
    if kind == "postgresql":
        return _postgresql(source)
    return _sqlalchemy(source)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return mask_credentials(text[0].strip()) if text else type(exc).__name__


def _failure(source: QuerySource, what: str, exc: BaseException) -> NbopsError:
    """One sentence for a failed query: what went wrong, the database's words, the fix."""
    detail = _first_line(exc)
    where = source.connection.recorded
    fixes = {
        "syntax": ("correct the SQL of the query (data.sql in env.yaml, or "
                   "--env--data--sql on the command line)"),
        "table": "check the table's name and schema, or create the table first",
        "column": "check the column names the query selects against the table",
        "refused": (f"start the database or correct the host and port in the connection "
                    f"({where})"),
        "password": ("set the password in the variable the URL names (e.g. "
                     "${PGPASSWORD}) or in PGPASSWORD; never in env.yaml"),
        "stopped": "check the database server's log, then build again",
        "open": "check the path of the database file in the connection",
        "other": "run the query in the database's own client to see what it needs",
    }
    sentences = {
        "syntax": f"The query of {source.name} has a syntax error: {detail}",
        "table": f"The query of {source.name} reads a table that does not exist: {detail}",
        "column": f"The query of {source.name} names a column that does not exist: {detail}",
        "refused": f"The database at {where} refused the connection of {source.name}: {detail}",
        "password": (f"The database at {where} rejected the user or password of "
                     f"{source.name}: {detail}"),
        "stopped": (f"The database at {where} stopped while the query of {source.name} was "
                    f"running; no snapshot was taken: {detail}"),
        "open": f"The DuckDB database of {source.name} cannot be opened: {detail}",
        "other": f"The query of {source.name} failed at {where}: {detail}",
    }
    error_type = ConfigError if what in ("refused", "password", "open") else DataError
    return error_type(sentences[what], fixes[what])


# --- DuckDB ------------------------------------------------------------------------------

def _duckdb(source: QuerySource) -> pa.Table:
    try:
        import duckdb
    except ImportError as exc:
        raise _missing_driver("duckdb", exc) from None
    database = source.connection.duckdb_database()
    if database != ":memory:" and not __import__("os").path.exists(database):
        raise ConfigError(f"The DuckDB database of {source.name} does not exist: {database}",
                          "check the path in the connection (duckdb:///relative/to/project"
                          ".duckdb, or duckdb:////absolute/path.duckdb)")
    try:
        con = duckdb.connect(database, read_only=database != ":memory:")
    except duckdb.Error as exc:
        raise _failure(source, "open", exc) from None
    try:
        # files named in the query are found relative to the project
        con.execute("SET file_search_path = ?", [str(source.connection.root)])
        return con.sql(source.sql).to_arrow_table()
    except duckdb.ParserException as exc:
        raise _failure(source, "syntax", exc) from None
    except duckdb.CatalogException as exc:
        raise _failure(source, "table", exc) from None
    except duckdb.BinderException as exc:
        raise _failure(source, "column", exc) from None
    except duckdb.Error as exc:
        raise _failure(source, "other", exc) from None
    finally:
        con.close()


# --- PostgreSQL (psycopg 3, COPY) ----------------------------------------------------------

def _pg_kind(exc: Any) -> str:
    """Which sentence a psycopg error needs, from its SQLSTATE or libpq's text."""
    state = getattr(exc, "sqlstate", None) or ""
    text = str(exc).lower()
    if state == "42601":
        return "syntax"
    if state == "42P01":
        return "table"
    if state == "42703":
        return "column"
    if state in ("28P01", "28000") or "password" in text:
        return "password"
    if "connection refused" in text or "could not connect" in text or "timeout expired" in text:
        return "refused"
    if ("server closed the connection" in text or "terminating connection" in text
            or "consuming input failed" in text or state.startswith("57P")
            or state.startswith("08")):
        return "stopped"
    return "other"


def _postgresql(source: QuerySource) -> pa.Table:
    try:
        import psycopg
    except ImportError as exc:
        raise _missing_driver("psycopg", exc) from None
    try:
        conn = psycopg.connect(source.connection.psycopg_url(), connect_timeout=10,
                               application_name="nbops")
    except psycopg.Error as exc:
        raise _failure(source, _pg_kind(exc), exc) from None
    try:
        with conn.cursor() as cur:
            # ISO dates and UTC timestamps: the text COPY writes is what Arrow parses
            cur.execute("SET DateStyle = ISO; SET TimeZone = 'UTC'; SET extra_float_digits = 3")
            cur.execute(f"SELECT * FROM ({source.sql}) AS nbops_query LIMIT 0")
            columns = [(col.name, col.type_code) for col in cur.description or []]
            buffer = io.BytesIO()
            with cur.copy(f"COPY ({source.sql}) TO STDOUT (FORMAT csv)") as copy:
                for block in copy:
                    buffer.write(block)
        return _csv_table(buffer.getvalue(), columns)
    except psycopg.Error as exc:
        raise _failure(source, _pg_kind(exc), exc) from None
    finally:
        conn.close()


def _csv_table(data: bytes, columns: list[tuple[str, int]]) -> pa.Table:
    """COPY's CSV, typed by the query's column types (NULL = unquoted empty field)."""
    import pyarrow as pa
    from pyarrow import csv

    names = [name for name, _ in columns]
    types = {name: pa.type_for_alias(_PG_TYPES.get(oid, "string")) if oid != 1184
             else pa.timestamp("us", tz="UTC") for name, oid in columns}
    schema = pa.schema([(name, types[name]) for name in names])
    if not data:
        return schema.empty_table()
    return csv.read_csv(
        io.BytesIO(data),
        read_options=csv.ReadOptions(column_names=names, block_size=1 << 24),
        convert_options=csv.ConvertOptions(
            column_types=types, null_values=[""], strings_can_be_null=True,
            quoted_strings_can_be_null=False, true_values=["t"], false_values=["f"],
            timestamp_parsers=["%Y-%m-%d %H:%M:%S%z", csv.ISO8601]),
    ).select(names)


# --- any SQLAlchemy URL ------------------------------------------------------------------

def _sqlalchemy(source: QuerySource) -> pa.Table:
    try:
        import sqlalchemy
    except ImportError as exc:
        raise _missing_driver("sqlalchemy", exc) from None
    import pyarrow as pa

    try:
        engine = sqlalchemy.create_engine(source.connection.url())
    except (sqlalchemy.exc.ArgumentError, sqlalchemy.exc.NoSuchModuleError, ImportError) as exc:
        raise ConfigError(f"SQLAlchemy cannot use the connection of {source.name} "
                          f"({source.connection.recorded}): {_first_line(exc)}",
                          "install the database's SQLAlchemy driver or correct the URL") from None
    try:
        with engine.connect() as conn:
            result = conn.execute(sqlalchemy.text(source.sql))
            names = list(result.keys())
            rows = result.fetchall()
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
        return pa.table({name: pa.array(list(values)) for name, values in zip(names, columns,
                                                                              strict=True)})
    except sqlalchemy.exc.DBAPIError as exc:
        text = str(exc.orig).lower()
        kind = ("syntax" if "syntax" in text else "table" if "no such table" in text
                or "does not exist" in text else "column" if "column" in text
                else "refused" if exc.connection_invalidated or "connect" in text else "other")
        raise _failure(source, kind, exc.orig or exc) from None
    except sqlalchemy.exc.SQLAlchemyError as exc:
        raise _failure(source, "other", exc) from None
    finally:
        engine.dispose()
