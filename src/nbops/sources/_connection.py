"""Where a query runs: a connection string, its kind, and the form that may be recorded.

Three kinds, chosen by the URL's scheme:

* ``duckdb`` (the embedded default; also when no connection is given):
  ``duckdb:///data/warehouse.duckdb`` is a file relative to the project,
  ``duckdb:////abs/path.duckdb`` an absolute one, ``duckdb://`` (or ``duckdb:///:memory:``)
  an in-memory database, in which DuckDB reads Parquet/CSV files named in the query;
* ``postgresql`` (``postgresql://``, ``postgres://``, ``postgresql+psycopg://``):
  psycopg 3, the result streamed with ``COPY … TO STDOUT``;
* ``sqlalchemy``: any other SQLAlchemy URL.

Credentials never need to be written down: ``${NAME}`` in the URL is replaced by the
environment variable ``NAME`` when connecting (``postgresql://app:${PGPASSWORD}@db/prod``),
and libpq's own variables (``PGPASSWORD``, ``PGPASSFILE``) work as usual. What is recorded
(:attr:`Connection.recorded`) is the URL as written, with any literal password masked.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from nbops.core import ConfigError, mask_credentials

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
DEFAULT_CONNECTION = "duckdb://"


@dataclass(frozen=True)
class Connection:
    """A parsed connection string.

    Attributes:
        written: the string as the project wrote it (placeholders unexpanded).
        kind: ``duckdb`` | ``postgresql`` | ``sqlalchemy``.
        root: the project folder relative DuckDB paths are resolved against.
    """

    written: str
    kind: str
    root: Path

    @property
    def recorded(self) -> str:
        """The form manifests, pages and logs may show: no password, ever."""
        return mask_credentials(self.written)

    def url(self) -> str:
        """The URL with ``${NAME}`` placeholders replaced from the environment.

        Raises:
            ConfigError: a placeholder names a variable that is not set.
        """
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise ConfigError(
                    f"The connection {self.recorded} needs the environment variable "
                    f"{name}, which is not set",
                    f"export {name}=… before the build (never write it in env.yaml)")
            return os.environ[name]

        return _PLACEHOLDER.sub(value, self.written)

    def duckdb_database(self) -> str:
        """The DuckDB database path (``:memory:`` for an in-memory database)."""
        rest = self.url().split("://", 1)[1]
        if rest in ("", "/", "/:memory:", ":memory:"):
            return ":memory:"
        rest = rest[1:] if rest.startswith("/") else rest
        path = Path(rest)
        return str(path if path.is_absolute() else self.root / path)

    def psycopg_url(self) -> str:
        """The URL libpq understands (SQLAlchemy's ``+psycopg`` driver suffix removed)."""
        url = self.url()
        scheme, rest = url.split("://", 1)
        return f"postgresql://{rest}" if scheme in _POSTGRES_SCHEMES else url


def parse_connection(written: str | None, root: Path) -> Connection:
    """The connection a query source names (DuckDB in memory when it names none).

    Raises:
        ConfigError: the string is not a URL.
    """
    text = (written or "").strip() or DEFAULT_CONNECTION
    if "://" not in text:
        raise ConfigError(
            f"The connection {mask_credentials(text)!r} is not a database URL",
            "write e.g. duckdb:///data/warehouse.duckdb, "
            "postgresql://user:${PGPASSWORD}@host:5432/db, or any SQLAlchemy URL")
    scheme = text.split("://", 1)[0].lower()
    if scheme == "duckdb":
        kind = "duckdb"
    elif scheme in _POSTGRES_SCHEMES:
        kind = "postgresql"
    else:
        kind = "sqlalchemy"
    return Connection(text, kind, Path(root))
