"""SQL query counts of SCIM requests: small, fixed, and independent of the directory size.

Each request shape is measured twice, once in a directory of 5 users and
once with 400 more, and must run the same number of queries both times,
within the bound written next to it. Bounds count every statement that
the test database runs, including the SAVEPOINT and RELEASE pairs that
`transaction.atomic` issues inside the test's own transaction and the
statements of callbacks that run after commit (such as ending the
sessions of a disabled user).
"""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from directory.models import DirectoryUser, DirectoryUserEmail
from scim.schema import ENTERPRISE_USER_SCHEMA
from scim.users import build_list_query, user_queryset

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def seed_users(workspace, count: int, prefix: str) -> list[DirectoryUser]:
    """Insert `count` directory users with one work email each, bypassing the API for speed."""
    users = [
        DirectoryUser(
            workspace=workspace,
            user_name=f"{prefix}{index}@acme.example.com",
            external_id=str(uuid.uuid4()),
            display_name=f"User {index}",
            document={
                "userName": f"{prefix}{index}@acme.example.com",
                "active": True,
                "displayName": f"User {index}",
                "emails": [{"value": f"{prefix}{index}@acme.example.com", "type": "work", "primary": True}],
                ENTERPRISE_USER_SCHEMA: {"department": "Sales"},
            },
        )
        for index in range(count)
    ]
    DirectoryUser.objects.bulk_create(users)
    DirectoryUserEmail.objects.bulk_create(
        DirectoryUserEmail(user=user, workspace=workspace, value=user.user_name, type="work", primary=True)
        for user in users
    )
    return users


def count_queries(call) -> tuple[int, list[str]]:
    """Run `call` and return its statements, including those of callbacks run after commit."""
    with CaptureQueriesContext(connection) as captured:
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = call()
    assert response.status_code < 400, response.content
    return len(captured), [query["sql"] for query in captured]


REQUESTS = {
    # name: (function of (scim, user) -> response, maximum queries)
    "probe by random userName": (lambda scim, user: scim.get(f'Users?filter=userName+eq+%22{uuid.uuid4()}%22'), 3),
    "filter by userName": (lambda scim, user: scim.get(f'Users?filter=userName eq "{user.user_name.upper()}"'), 5),
    "filter by externalId": (lambda scim, user: scim.get(f'Users?filter=externalId eq "{user.external_id}"'), 5),
    "filter by work email": (
        lambda scim, user: scim.get(f'Users?filter=emails[type eq "work"].value eq "{user.user_name}"'),
        5,
    ),
    "list one page": (lambda scim, user: scim.get("Users?startIndex=2&count=10"), 5),
    "get by id": (lambda scim, user: scim.get(f"Users/{user.pk}"), 4),
    "patch Azure replace": (
        lambda scim, user: scim.patch(
            f"Users/{user.pk}",
            {"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "displayName", "value": "Renamed"}]},
        ),
        9,
    ),
    "patch work email": (
        lambda scim, user: scim.patch(
            f"Users/{user.pk}",
            {
                "schemas": [PATCH],
                "Operations": [{"op": "Replace", "path": 'emails[type eq "work"].value', "value": "new@acme.example.com"}],
            },
        ),
        11,
    ),
    "disable": (
        lambda scim, user: scim.patch(
            f"Users/{user.pk}", {"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}
        ),
        10,
    ),
    "create": (
        lambda scim, user: scim.post(
            "Users",
            {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": f"new-{uuid.uuid4()}@acme.example.com",
                "emails": [{"value": "n@acme.example.com", "type": "work", "primary": True}],
            },
        ),
        8,
    ),
    "delete": (lambda scim, user: scim.delete(f"Users/{user.pk}"), 9),
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(REQUESTS))
def test_query_count_independent_of_directory_size(scim, workspace, name):
    request, maximum = REQUESTS[name]
    small = seed_users(workspace, 5, "small")
    scim.get("ServiceProviderConfig")  # records the token's first use outside the measurement

    small_count, small_sql = count_queries(lambda: request(scim, small[2]))
    large = seed_users(workspace, 400, "large")
    large_count, large_sql = count_queries(lambda: request(scim, large[200]))

    assert small_count == large_count, (small_sql, large_sql)
    assert large_count <= maximum, large_sql


@pytest.mark.django_db
def test_list_counts_with_sql_count(scim, workspace):
    seed_users(workspace, 30, "user")
    scim.get("ServiceProviderConfig")

    _, statements = count_queries(lambda: scim.get("Users?count=5"))

    assert any("COUNT(" in sql.upper() for sql in statements)
    page_queries = [sql for sql in statements if "directory_directoryuser" in sql and "COUNT(" not in sql.upper()]
    assert len(page_queries) == 1
    assert "LIMIT 5" in page_queries[0].upper()


@pytest.mark.django_db
def test_zero_count_skips_page_query(scim, workspace):
    seed_users(workspace, 3, "user")
    scim.get("ServiceProviderConfig")

    _, statements = count_queries(lambda: scim.get("Users?count=0"))
    user_queries = [sql for sql in statements if "directory_directoryuser" in sql]

    assert len(user_queries) == 1
    assert "COUNT(" in user_queries[0].upper()


@pytest.mark.django_db
def test_user_name_filter_uses_lower_on_both_sides(scim, workspace):
    users = seed_users(workspace, 3, "user")
    scim.get("ServiceProviderConfig")

    _, statements = count_queries(lambda: scim.get(f'Users?filter=userName eq "{users[0].user_name}"'))
    lookup = next(sql for sql in statements if "directory_directoryuser" in sql and "COUNT(" in sql.upper())

    assert 'LOWER("directory_directoryuser"."user_name")' in lookup
    assert "UPPER(" not in lookup


@pytest.mark.django_db
def test_user_name_lookup_uses_functional_index_on_postgresql(workspace):
    if connection.vendor != "postgresql":
        pytest.skip("the plan check needs PostgreSQL; CI runs the suite on it")
    seed_users(workspace, 2000, "user")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE directory_directoryuser")
    query = build_list_query(
        filter_text='userName eq "USER77@acme.example.com"',
        start_index=None,
        count=None,
        attributes=[],
        excluded_attributes=[],
        sort_by=None,
        sort_order=None,
    )

    plan = user_queryset(workspace, query).explain()

    assert "dir_user_username_ci_unique" in plan, plan
    assert "Seq Scan on directory_directoryuser" not in plan, plan
