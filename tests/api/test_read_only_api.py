"""REST API read-only resources: audit log and directory users, scoped to the caller's workspace."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from audit.services import record
from directory.models import DirectoryUser, DirectoryUserEmail
from identity_providers.models import IdentityProvider

from .test_providers_api import assert_problem

pytestmark = pytest.mark.django_db


def test_audit_log_lists_own_workspace(api: APIClient, provider: IdentityProvider, other_provider) -> None:
    record(
        provider.workspace,
        "provider.update",
        source="ui",
        target=provider,
        changes={"client_secret": {"before": "********", "after": "********"}},
    )
    record(other_provider.workspace, "provider.update", source="ui", target_label="Globex provider")

    body = api.get("/api/v1/audit-log/?action=provider.update").json()

    assert body["count"] == 1
    entry = body["results"][0]
    assert entry["target_label"] == "Azure AD (Microsoft Azure AD)"
    assert entry["changes"] == {"client_secret": {"before": "********", "after": "********"}}


def test_audit_log_filters(api: APIClient, provider: IdentityProvider) -> None:
    record(provider.workspace, "sign_in.refused", source="sign_in", target_label="eve@acme.example.com")

    by_source = api.get("/api/v1/audit-log/?source=sign_in").json()
    by_target = api.get("/api/v1/audit-log/?target=eve").json()

    assert [entry["action"] for entry in by_source["results"]] == ["sign_in.refused"]
    assert [entry["action"] for entry in by_target["results"]] == ["sign_in.refused"]


def test_audit_entry_of_other_workspace_is_404(api: APIClient, other_provider: IdentityProvider) -> None:
    entry = record(other_provider.workspace, "provider.update", source="ui", target_label="Globex")

    assert_problem(api.get(f"/api/v1/audit-log/{entry.pk}/"), 404, "not_found")
    assert_problem(api.get("/api/v1/audit-log/abc/"), 404, "not_found")


def test_audit_log_is_read_only(api: APIClient) -> None:
    assert_problem(api.post("/api/v1/audit-log/", {}, format="json"), 405, "method_not_allowed")


def test_directory_users_list_and_filter(api: APIClient, provider: IdentityProvider, other_provider) -> None:
    user = DirectoryUser.objects.create(
        workspace=provider.workspace, source=provider, user_name="ann@acme.example.com", display_name="Ann"
    )
    DirectoryUserEmail.objects.create(user=user, workspace=provider.workspace, value="ann@acme.example.com")
    DirectoryUser.objects.create(workspace=provider.workspace, user_name="off@acme.example.com", active=False)
    DirectoryUser.objects.create(workspace=other_provider.workspace, user_name="x@globex.example.com")

    everyone = api.get("/api/v1/directory-users/").json()
    active = api.get("/api/v1/directory-users/?active=true").json()
    from_provider = api.get(f"/api/v1/directory-users/?source={provider.public_id}").json()

    assert [row["user_name"] for row in everyone["results"]] == ["ann@acme.example.com", "off@acme.example.com"]
    assert [row["user_name"] for row in active["results"]] == ["ann@acme.example.com"]
    assert from_provider["results"][0]["source"] == str(provider.public_id)
    assert from_provider["results"][0]["emails"] == ["ann@acme.example.com"]
    assert "password_hash" not in everyone["results"][0]


def test_directory_user_of_other_workspace_is_404(api: APIClient, other_provider: IdentityProvider) -> None:
    user = DirectoryUser.objects.create(workspace=other_provider.workspace, user_name="x@globex.example.com")

    assert_problem(api.get(f"/api/v1/directory-users/{user.pk}/"), 404, "not_found")


def test_directory_user_retrieve(api: APIClient, provider: IdentityProvider) -> None:
    user = DirectoryUser.objects.create(workspace=provider.workspace, user_name="ann@acme.example.com")

    body = api.get(f"/api/v1/directory-users/{user.pk}/").json()

    assert body["id"] == str(user.pk)
    assert body["active"] is True


@pytest.mark.parametrize("query", ["active=maybe", "source=not-a-uuid"])
def test_directory_users_bad_filter_is_400(api: APIClient, query: str) -> None:
    assert_problem(api.get(f"/api/v1/directory-users/?{query}"), 400, "invalid")


def test_pagination_invalid_page_is_404(api: APIClient) -> None:
    assert_problem(api.get("/api/v1/directory-users/?page=9"), 404, "not_found")


def test_schema_and_docs_served(client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    body = schema.json()
    assert body["openapi"].startswith("3.")
    assert "/api/v1/identity-providers/{id}/scim/token/" in body["paths"]
    assert "client_secret" not in body["components"]["schemas"]["Provider"]["properties"]
    assert body["components"]["schemas"]["ProviderWriteRequest"]["properties"]["client_secret"]["writeOnly"] is True
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()
    assert b"/static/drf_spectacular_sidecar/" in docs.content


@pytest.mark.parametrize("path", ["/api/v1/nothing-here/", "/api/v2/identity-providers/", "/api/"])
def test_unknown_api_path_is_problem_404(api: APIClient, path: str) -> None:
    body = assert_problem(api.get(path), 404, "not_found")

    assert "/api/docs/" in body["detail"]
