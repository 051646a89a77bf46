"""Throwaway databases for the SCIM benchmark: a SQLite file in a temporary folder, or a PostgreSQL database.

The PostgreSQL databases are created through the maintenance database given
by `--postgres-url` and dropped when the benchmark ends, also after an error.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


@contextmanager
def throwaway_postgres(maintenance_url: str, names: list[str]) -> Iterator[dict[str, str]]:
    """Create one empty PostgreSQL database per name, yield their URLs by name, then drop them."""
    import psycopg
    from psycopg import sql

    suffix = f"{os.getpid()}"
    databases = {name: f"p81_bench_{name}_{suffix}" for name in names}
    created: list[str] = []
    try:
        with psycopg.connect(maintenance_url, autocommit=True, connect_timeout=10) as connection:
            for database in databases.values():
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
                created.append(database)
        yield {name: _with_database(maintenance_url, database) for name, database in databases.items()}
    finally:
        if created:
            with psycopg.connect(maintenance_url, autocommit=True, connect_timeout=10) as connection:
                for database in created:
                    # FORCE ends connections that a failed peer process left open (PostgreSQL 13 or later).
                    connection.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
                    )


@contextmanager
def throwaway_sqlite(names: list[str]) -> Iterator[dict[str, str]]:
    """Yield one SQLite database URL per name, all in a temporary folder that is removed afterwards."""
    folder = tempfile.mkdtemp(prefix="p81-bench-")
    try:
        yield {name: f"sqlite:///{folder}/{name}.sqlite3" for name in names}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def postgres_server_version(url: str) -> str:
    import psycopg

    with psycopg.connect(url, connect_timeout=10) as connection:
        return str(connection.execute("SHOW server_version").fetchone()[0])
