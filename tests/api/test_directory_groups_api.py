"""REST API directory groups and their members, and the groups of directory users, scoped to the caller's workspace."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from directory.models import DirectoryGroup, DirectoryGroupMember, DirectoryUser
from identity_providers.models import IdentityProvider
from tests.console.test_groups_pages import SALES_OBJECT_ID, make_group
from workspaces.models import Workspace

from .test_providers_api import assert_problem

pytestmark = pytest.mark.django_db

BASE = "/api/v1/directory-groups/"
MISSING_ID = "00000000-0000-4000-8000-000000000000"


def test_list_groups(api: APIClient, provider: IdentityProvider, other_provider: IdentityProvider) -> None:
    sales = make_group(provider.workspace, "Sales", members=3, source=provider)
    make_group(provider.workspace, "Admins")
    make_group(other_provider.workspace, "Globex", members=1)

    body = api.get(BASE).json()

    assert body["count"] == 2
    assert [row["display_name"] for row in body["results"]] == ["Admins", "Sales"]
    assert body["results"][1] == {
        "id": str(sales.pk),
        "display_name": "Sales",
        "external_id": SALES_OBJECT_ID,
        "source": str(provider.public_id),
        "member_count": 3,
        "created_at": body["results"][1]["created_at"],
        "modified_at": body["results"][1]["modified_at"],
    }
    assert body["results"][0]["source"] is None
    assert body["results"][0]["member_count"] == 0


def test_list_groups_search(api: APIClient, workspace: Workspace) -> None:
    make_group(workspace, "Sales")
    make_group(workspace, "Engineering")

    body = api.get(f"{BASE}?search=SAL").json()

    assert [row["display_name"] for row in body["results"]] == ["Sales"]


def test_list_groups_paginated(api: APIClient, workspace: Workspace) -> None:
    DirectoryGroup.objects.bulk_create(
        DirectoryGroup(workspace=workspace, display_name=f"group-{index:02d}") for index in range(60)
    )

    first = api.get(BASE).json()
    second = api.get(f"{BASE}?page=2").json()

    assert first["count"] == 60
    assert len(first["results"]) == 50
    assert [row["display_name"] for row in second["results"]] == [f"group-{index:02d}" for index in range(50, 60)]


def test_retrieve_group(api: APIClient, provider: IdentityProvider) -> None:
    sales = make_group(provider.workspace, "Sales", members=2, source=provider)

    body = api.get(f"{BASE}{sales.pk}/").json()

    assert body["id"] == str(sales.pk)
    assert body["external_id"] == SALES_OBJECT_ID
    assert body["member_count"] == 2


def test_group_members_paginated(api: APIClient, workspace: Workspace) -> None:
    sales = make_group(workspace, "Sales", members=120)
    url = f"{BASE}{sales.pk}/members/"

    pages = [api.get(f"{url}?page={number}").json() for number in (1, 2, 3)]

    assert pages[0]["count"] == 120
    assert [len(page["results"]) for page in pages] == [50, 50, 20]
    assert pages[2]["results"][-1]["user_name"] == "member-119@sales.example.com"
    assert pages[2]["next"] is None
    user_names = [row["user_name"] for page in pages for row in page["results"]]
    assert user_names == [f"member-{index:03d}@sales.example.com" for index in range(120)]


def test_group_member_fields(api: APIClient, workspace: Workspace) -> None:
    sales = make_group(workspace, "Sales", members=1)
    member = DirectoryUser.objects.get(user_name="member-000@sales.example.com")
    member.display_name = "Ann"
    member.active = False
    member.save()

    body = api.get(f"{BASE}{sales.pk}/members/").json()

    assert body["results"] == [
        {"id": str(member.pk), "user_name": "member-000@sales.example.com", "display_name": "Ann", "active": False}
    ]


def count_queries(api: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url)
    assert response.status_code == 200
    return len(queries)


def test_group_members_query_count_constant(api: APIClient, workspace: Workspace) -> None:
    small = make_group(workspace, "Small", members=10)
    large = make_group(workspace, "Large", members=200)
    # The first request of a token records its last use, so leave it out of the counts.
    api.get(BASE)

    small_queries = count_queries(api, f"{BASE}{small.pk}/members/?page_size=200")
    large_queries = count_queries(api, f"{BASE}{large.pk}/members/?page_size=200")

    assert large_queries == small_queries


@pytest.mark.parametrize("suffix", ["", "members/"])
def test_group_of_other_workspace_is_404(other_api: APIClient, workspace: Workspace, suffix: str) -> None:
    sales = make_group(workspace, "Sales", members=1)

    assert_problem(other_api.get(f"{BASE}{sales.pk}/{suffix}"), 404, "not_found")


@pytest.mark.parametrize("group_id", [MISSING_ID, "not-a-uuid"])
def test_unknown_group_is_404(api: APIClient, group_id: str) -> None:
    assert_problem(api.get(f"{BASE}{group_id}/"), 404, "not_found")
    assert_problem(api.get(f"{BASE}{group_id}/members/"), 404, "not_found")


def test_groups_hidden_from_other_workspace_list(other_api: APIClient, workspace: Workspace) -> None:
    make_group(workspace, "Sales")

    assert other_api.get(BASE).json()["count"] == 0


def test_groups_require_authentication(workspace: Workspace) -> None:
    sales = make_group(workspace, "Sales")

    for url in (BASE, f"{BASE}{sales.pk}/", f"{BASE}{sales.pk}/members/"):
        assert_problem(APIClient().get(url), 401, "not_authenticated")


def test_groups_are_read_only(api: APIClient, workspace: Workspace) -> None:
    sales = make_group(workspace, "Sales")

    assert api.post(BASE, {"display_name": "New"}, format="json").status_code == 405
    assert api.delete(f"{BASE}{sales.pk}/").status_code == 405


def test_directory_users_include_groups(api: APIClient, workspace: Workspace) -> None:
    sales = make_group(workspace, "Sales", members=1)
    admins = DirectoryGroup.objects.create(workspace=workspace, display_name="Admins")
    member = DirectoryUser.objects.get(user_name="member-000@sales.example.com")
    DirectoryGroupMember.objects.create(group=admins, user=member)
    DirectoryUser.objects.create(workspace=workspace, user_name="solo@acme.example.com")

    listed = api.get("/api/v1/directory-users/").json()["results"]
    detail = api.get(f"/api/v1/directory-users/{member.pk}/").json()

    expected = [{"id": str(admins.pk), "display_name": "Admins"}, {"id": str(sales.pk), "display_name": "Sales"}]
    assert listed[0]["groups"] == expected
    assert listed[1]["groups"] == []
    assert detail["groups"] == expected


def test_directory_users_query_count_constant(api: APIClient, workspace: Workspace) -> None:
    make_group(workspace, "Small", members=5)
    api.get(BASE)  # records the token's last use before counting
    small_queries = count_queries(api, "/api/v1/directory-users/")

    make_group(workspace, "Large", members=40)
    large_queries = count_queries(api, "/api/v1/directory-users/")

    assert large_queries == small_queries


def test_schema_documents_directory_groups(client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    members = schema["paths"]["/api/v1/directory-groups/{id}/members/"]["get"]
    assert members["summary"] == "List the members of a directory group"
    assert "/api/v1/directory-groups/" in schema["paths"]
    assert "/api/v1/directory-groups/{id}/" in schema["paths"]
    group_schema = schema["components"]["schemas"]["DirectoryGroup"]
    assert group_schema["properties"]["member_count"]["description"] == "Number of members."
    assert "groups" in schema["components"]["schemas"]["DirectoryUser"]["properties"]
