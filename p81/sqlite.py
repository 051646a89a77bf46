"""SQLite connection set-up for the development database.

SQLite's built-in LOWER() folds only ASCII letters, so "MÜLLER" and
"müller" would count as different userNames and group names, although
SCIM compares them case-insensitively. Every SQLite connection therefore
replaces LOWER() with Python's str.lower, which folds all Unicode letters
as PostgreSQL's lower() does under a UTF-8 locale. The function is
registered as deterministic, so the functional unique indexes on
LOWER(...) can use it.
"""

from __future__ import annotations

from typing import Any


def unicode_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def register_unicode_lower(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Replace LOWER() on each new SQLite connection (connected to `connection_created`)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("lower", 1, unicode_lower, deterministic=True)
