"""Query plans of the SQL that a request ran, for the Django servers under test (p81 and django-scim2)."""

from __future__ import annotations

from typing import Any

from .workload import ScimRequest, Sender


def explain_request(send: Sender, request: ScimRequest, table: str, marker: str = "") -> list[dict[str, Any]]:
    """Send `request`, then return the query plan of every SELECT on `table` that it ran and that contains `marker`.

    The SQL is the text Django sent, with its parameters bound, so the plan
    is the one the request got. PostgreSQL plans come from EXPLAIN ANALYZE,
    SQLite plans from EXPLAIN QUERY PLAN.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        send(request)

    postgres = connection.vendor == "postgresql"
    plans = []
    for query in context.captured_queries:
        sql = query["sql"].strip()
        if not sql.upper().startswith("SELECT") or table not in sql or marker not in sql:
            continue
        with connection.cursor() as cursor:
            cursor.execute(("EXPLAIN ANALYZE " if postgres else "EXPLAIN QUERY PLAN ") + sql)
            rows = cursor.fetchall()
        plans.append({"sql": sql, "plan": [row[0] if postgres else row[-1] for row in rows]})
    return plans


def scan_lines(plan: list[str]) -> list[str]:
    """Return the lines of a plan that show how a table is read (scan or index search)."""
    return [line for line in plan if "Scan" in line or "SCAN" in line or "SEARCH" in line]
