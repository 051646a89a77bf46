"""Groups pages and the groups column of the users page, scoped to the administrator's workspace."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from directory.models import DirectoryGroup, DirectoryGroupMember, DirectoryUser
from identity_providers.models import IdentityProvider
from workspaces.models import Workspace

pytestmark = pytest.mark.django_db

SALES_OBJECT_ID = "0b5c8d1e-2f3a-4b6c-9d7e-8f9a0b1c2d3e"


def make_group(workspace: Workspace, name: str, members: int = 0, source: IdentityProvider | None = None):
    """Create a group with `members` users named member-NNN@..., inserted with one bulk_create each."""
    group = DirectoryGroup.objects.create(
        workspace=workspace, source=source, display_name=name, external_id=SALES_OBJECT_ID
    )
    users = DirectoryUser.objects.bulk_create(
        DirectoryUser(workspace=workspace, user_name=f"member-{index:03d}@{name.lower()}.example.com")
        for index in range(members)
    )
    DirectoryGroupMember.objects.bulk_create(DirectoryGroupMember(group=group, user=user) for user in users)
    return group


def member_names(html: str) -> list[str]:
    return re.findall(r"member-\d{3}@[a-z]+\.example\.com", html)


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_groups_page_lists_workspace_groups(
    admin_client: Client, provider: IdentityProvider, other_provider: IdentityProvider
) -> None:
    sales = make_group(provider.workspace, "Sales", members=3, source=provider)
    make_group(provider.workspace, "Local", members=0)
    make_group(other_provider.workspace, "Globex", members=1, source=other_provider)

    html = admin_client.get("/settings/groups/").content.decode()

    assert f'href="/settings/groups/{sales.pk}/">Sales</a>' in html
    assert f"<code>{SALES_OBJECT_ID}</code>" in html
    assert "<td>3</td>" in html
    assert "<td>Azure AD</td>" in html
    assert "No provider" in html
    assert "Globex" not in html


def test_groups_page_search_by_name(admin_client: Client, workspace: Workspace) -> None:
    make_group(workspace, "Sales")
    make_group(workspace, "Engineering")

    html = admin_client.get("/settings/groups/?q=sal").content.decode()

    assert ">Sales</a>" in html
    assert ">Engineering</a>" not in html


def test_groups_page_empty_search(admin_client: Client, workspace: Workspace) -> None:
    make_group(workspace, "Sales")

    html = admin_client.get("/settings/groups/?q=nothing").content.decode()

    assert "No group matches this search." in html


def test_groups_in_navigation(admin_client: Client) -> None:
    html = admin_client.get("/settings/groups/").content.decode()

    assert '<a href="/settings/groups/" aria-current="page">Groups</a>' in html


def test_group_page_shows_group(admin_client: Client, provider: IdentityProvider) -> None:
    group = make_group(provider.workspace, "Sales", members=2, source=provider)

    html = admin_client.get(f"/settings/groups/{group.pk}/").content.decode()

    assert "<h1>Sales</h1>" in html
    assert f"<code>{SALES_OBJECT_ID}</code>" in html
    assert f'href="/settings/identity-providers/{provider.public_id}/">Azure AD</a>' in html
    assert group.created_at.strftime("%Y-%m-%d %H:%M") in html
    assert member_names(html) == ["member-000@sales.example.com", "member-001@sales.example.com"]
    assert 'href="/settings/users/?q=member-000%40sales.example.com"' in html


def test_group_page_without_members(admin_client: Client, workspace: Workspace) -> None:
    group = make_group(workspace, "Empty")

    html = admin_client.get(f"/settings/groups/{group.pk}/").content.decode()

    assert "This group has no members." in html


def test_group_members_paginated(admin_client: Client, workspace: Workspace) -> None:
    group = make_group(workspace, "Sales", members=120)
    url = f"/settings/groups/{group.pk}/"

    pages = [member_names(admin_client.get(f"{url}?page={number}").content.decode()) for number in (1, 2, 3)]

    assert pages[0] == [f"member-{index:03d}@sales.example.com" for index in range(0, 50)]
    assert pages[1] == [f"member-{index:03d}@sales.example.com" for index in range(50, 100)]
    assert pages[2] == [f"member-{index:03d}@sales.example.com" for index in range(100, 120)]
    assert "Page 3 of 3 (120 in all)" in admin_client.get(f"{url}?page=3").content.decode()


def test_group_page_query_count_constant(admin_client: Client, workspace: Workspace) -> None:
    small = make_group(workspace, "Small", members=10)
    large = make_group(workspace, "Large", members=200)

    small_queries = count_queries(admin_client, f"/settings/groups/{small.pk}/")
    large_queries = count_queries(admin_client, f"/settings/groups/{large.pk}/")

    assert large_queries == small_queries


def test_groups_page_query_count_constant(admin_client: Client, workspace: Workspace) -> None:
    make_group(workspace, "Small", members=10)
    small_queries = count_queries(admin_client, "/settings/groups/")

    make_group(workspace, "Large", members=200)
    large_queries = count_queries(admin_client, "/settings/groups/")

    assert large_queries == small_queries


def test_group_of_other_workspace_is_404(other_admin_client: Client, workspace: Workspace) -> None:
    group = make_group(workspace, "Sales", members=1)

    assert other_admin_client.get(f"/settings/groups/{group.pk}/").status_code == 404
    assert other_admin_client.get(f"/settings/groups/{group.pk}/?page=2").status_code == 404
    assert "Sales" not in other_admin_client.get("/settings/groups/").content.decode()


def test_unknown_group_is_404(admin_client: Client) -> None:
    assert admin_client.get("/settings/groups/00000000-0000-4000-8000-000000000000/").status_code == 404


@pytest.mark.parametrize("path", ["/settings/groups/", "/settings/groups/00000000-0000-4000-8000-000000000000/"])
def test_groups_pages_require_login(client: Client, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


def test_users_page_shows_groups(admin_client: Client, workspace: Workspace) -> None:
    sales = make_group(workspace, "Sales", members=1)
    admins = DirectoryGroup.objects.create(workspace=workspace, display_name="Admins")
    member = DirectoryUser.objects.get(user_name="member-000@sales.example.com")
    DirectoryGroupMember.objects.create(group=admins, user=member)

    html = admin_client.get("/settings/users/").content.decode()

    assert (
        f'<a href="/settings/groups/{admins.pk}/">Admins</a>, <a href="/settings/groups/{sales.pk}/">Sales</a>' in html
    )


def test_users_page_groups_query_count_constant(admin_client: Client, workspace: Workspace) -> None:
    make_group(workspace, "Small", members=5)
    small_queries = count_queries(admin_client, "/settings/users/")

    make_group(workspace, "Large", members=40)
    large_queries = count_queries(admin_client, "/settings/users/")

    assert large_queries == small_queries


def test_users_page_filters_by_group(admin_client: Client, workspace: Workspace) -> None:
    sales = make_group(workspace, "Sales", members=2)
    make_group(workspace, "Admins", members=1)

    html = admin_client.get(f"/settings/users/?group={sales.pk}").content.decode()

    assert member_names(html) == ["member-000@sales.example.com", "member-001@sales.example.com"]
    assert f'the group <a href="/settings/groups/{sales.pk}/">Sales</a>' in html
    assert f'<input type="hidden" name="group" value="{sales.pk}">' in html


@pytest.mark.parametrize("group_id", ["not-a-uuid", "00000000-0000-4000-8000-000000000000"])
def test_users_page_unknown_group_filter(admin_client: Client, workspace: Workspace, group_id: str) -> None:
    make_group(workspace, "Sales", members=1)

    response = admin_client.get(f"/settings/users/?group={group_id}")

    assert response.status_code == 200
    assert member_names(response.content.decode()) == []
    assert "a group that does not exist in this workspace" in response.content.decode()


def test_users_page_group_filter_of_other_workspace(other_admin_client: Client, workspace: Workspace) -> None:
    sales = make_group(workspace, "Sales", members=1)

    html = other_admin_client.get(f"/settings/users/?group={sales.pk}").content.decode()

    assert member_names(html) == []
    assert ">Sales</a>" not in html


def test_group_page_links_filtered_users_page(admin_client: Client, workspace: Workspace) -> None:
    sales = make_group(workspace, "Sales", members=1)

    html = admin_client.get(f"/settings/groups/{sales.pk}/").content.decode()

    assert f'href="/settings/users/?group={sales.pk}"' in html
