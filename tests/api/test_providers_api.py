"""REST API for identity providers: CRUD, domains, access groups, SCIM, with isolation and problem errors."""

from __future__ import annotations

import json
import logging

import pytest
from rest_framework.test import APIClient

from audit.models import AuditEntry
from directory.models import DirectoryGroup, DirectoryGroupMember, DirectoryUser
from identity_providers.models import AccessGroup, IdentityProvider, ProviderDomain
from scim.models import ProvisioningLogEntry, ScimToken
from scim.tokens import authenticate_token, generate_token

from .conftest import CLIENT_SECRET, TENANT_ID

pytestmark = pytest.mark.django_db

BASE = "/api/v1/identity-providers/"
GROUP_A = "aaaaaaaa-1111-4111-8111-111111111111"
PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "errors"}


def provider_url(provider: IdentityProvider, suffix: str = "") -> str:
    return f"{BASE}{provider.public_id}/{suffix}"


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) == PROBLEM_KEYS
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:p81:problem:{code}"
    return body


# Authentication -------------------------------------------------------------


def test_anonymous_gets_401_problem(client) -> None:
    response = client.get(BASE)

    body = assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="p81 API"'
    assert body["detail"]


def test_invalid_token_gets_401(db) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer p81api_wrong")

    response = client.get(BASE)

    assert_problem(response, 401, "authentication_failed")


def test_revoked_token_gets_401(api: APIClient) -> None:
    from api.models import ApiToken

    ApiToken.objects.update(revoked_at="2026-01-01T00:00:00Z")

    assert_problem(api.get(BASE), 401, "authentication_failed")


def test_token_of_removed_administrator_gets_401(api: APIClient, admin_user) -> None:
    admin_user.workspace_membership.delete()

    assert_problem(api.get(BASE), 401, "authentication_failed")


def test_session_authentication_works(client, admin_user, provider: IdentityProvider) -> None:
    client.force_login(admin_user)

    response = client.get(BASE)

    assert response.status_code == 200
    assert response.json()["results"][0]["id"] == str(provider.public_id)


def test_session_write_requires_csrf(admin_user, provider: IdentityProvider) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(admin_user)

    response = client.post(provider_url(provider, "scim/disable/"))

    assert_problem(response, 403, "permission_denied")


def test_user_without_workspace_gets_403(db) -> None:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username="nobody", password="x")
    client = APIClient()
    client.force_authenticate(user)

    assert_problem(client.get(BASE), 403, "permission_denied")


# Read -----------------------------------------------------------------------


def test_list_returns_only_own_providers(
    api: APIClient, provider: IdentityProvider, other_provider: IdentityProvider
) -> None:
    body = api.get(BASE).json()

    assert body["count"] == 1
    assert [item["id"] for item in body["results"]] == [str(provider.public_id)]


def test_retrieve_shape_has_no_secret(api: APIClient, provider: IdentityProvider, settings) -> None:
    settings.P81_PUBLIC_URL = "https://p81.example.com"
    provider.set_client_secret(CLIENT_SECRET, None)
    provider.save()

    response = api.get(provider_url(provider))

    body = response.json()
    assert response.status_code == 200
    assert body["domain"] == "acme.example.com"
    assert body["has_client_secret"] is True
    assert "client_secret" not in body
    assert CLIENT_SECRET not in response.content.decode()
    assert body["redirect_url"] == "https://p81.example.com/complete/azuread-v2-tenant-oauth2/"
    assert body["sign_on_url"] == "https://p81.example.com/login/?workspace=acme"
    assert body["scim_base_url"] == "https://p81.example.com/scim/v2/acme"
    assert body["connection"] == {"status": "unknown", "label": "Not tested", "checked_at": None, "detail": ""}


# Create / update / delete ---------------------------------------------------


def test_create_provider(api: APIClient, workspace, admin_user, provider_payload: dict) -> None:
    response = api.post(BASE, provider_payload, format="json")

    body = response.json()
    assert response.status_code == 201, body
    assert body["domain"] == "contoso.onmicrosoft.com"
    assert body["aliases"] == ["contoso.co.uk", "contoso.com"]
    assert body["scim_enabled"] is False
    assert CLIENT_SECRET not in response.content.decode()
    provider = IdentityProvider.objects.get(public_id=body["id"])
    assert provider.workspace == workspace
    assert provider.client_secret == CLIENT_SECRET
    entry = AuditEntry.objects.get(action="provider.create")
    assert entry.source == "api"
    assert entry.actor == admin_user


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"client_id": "nope"}, "client_id", "is not a valid client ID"),
        ({"tenant_id": ""}, "tenant_id", "is not a valid tenant ID"),
        ({"domain": "bad domain"}, "domain", "is not a valid domain name"),
        ({"aliases": ["ok.example.org", "x@y.com"]}, "aliases", "Enter only the part after @"),
        ({"client_secret": ""}, "client_secret", "may not be blank"),
        ({"client_secret_expires_on": "2000-01-01"}, "client_secret_expires_on", "is in the past"),
        ({"multi_tenant": True}, "allowed_tenant_ids", "Enter at least one tenant ID"),
        ({"allowed_tenant_ids": ["x"], "multi_tenant": True}, "allowed_tenant_ids", "is not a valid tenant ID"),
        ({"enabled": "perhaps"}, "enabled", "Must be a valid boolean"),
        ({"aliases": "contoso.com"}, "aliases", 'Expected a list of items but got type "str".'),
    ],
)
def test_create_validation_error_per_field(
    api: APIClient, provider_payload: dict, change: dict, field: str, fragment: str
) -> None:
    response = api.post(BASE, {**provider_payload, **change}, format="json")

    body = assert_problem(response, 400, "invalid")
    assert fragment in " ".join(body["errors"][field])
    assert IdentityProvider.objects.count() == 0
    assert CLIENT_SECRET not in response.content.decode()


def test_create_missing_fields(api: APIClient) -> None:
    body = assert_problem(api.post(BASE, {}, format="json"), 400, "invalid")

    assert set(body["errors"]) == {"display_name", "domain", "client_id", "client_secret"}


def test_create_malformed_json(api: APIClient) -> None:
    response = api.post(BASE, "{not json", content_type="application/json")

    assert_problem(response, 400, "parse_error")


def test_create_rejects_domain_of_other_workspace(
    api: APIClient, other_provider: IdentityProvider, provider_payload: dict
) -> None:
    response = api.post(BASE, {**provider_payload, "aliases": ["globex.example.com"]}, format="json")

    body = assert_problem(response, 400, "invalid")
    assert "already registered by another organisation" in body["errors"]["aliases"][0]
    assert "Globex" not in response.content.decode()


def test_patch_changes_only_given_fields(api: APIClient, provider: IdentityProvider) -> None:
    provider.set_client_secret(CLIENT_SECRET, None)
    provider.tenant_id = TENANT_ID
    provider.save()

    response = api.patch(provider_url(provider), {"display_name": "Renamed", "enabled": False}, format="json")

    assert response.status_code == 200, response.content
    provider.refresh_from_db()
    assert provider.display_name == "Renamed"
    assert provider.enabled is False
    assert provider.client_secret == CLIENT_SECRET
    assert AuditEntry.objects.get(action="provider.update").changes["enabled"] == {"before": True, "after": False}


def test_patch_replaces_secret_write_only(api: APIClient, provider: IdentityProvider) -> None:
    response = api.patch(provider_url(provider), {"client_secret": "New~Secret_123"}, format="json")

    assert response.status_code == 200
    assert "New~Secret_123" not in response.content.decode()
    provider.refresh_from_db()
    assert provider.client_secret == "New~Secret_123"
    assert "New~Secret_123" not in json.dumps(AuditEntry.objects.get(action="provider.update").changes)


def test_put_not_allowed(api: APIClient, provider: IdentityProvider) -> None:
    assert_problem(api.put(provider_url(provider), {}, format="json"), 405, "method_not_allowed")


def test_delete_keeps_users_by_default(api: APIClient, provider: IdentityProvider) -> None:
    generate_token(provider)
    DirectoryUser.objects.create(workspace=provider.workspace, source=provider, user_name="u@acme.example.com")

    response = api.delete(provider_url(provider))

    assert response.status_code == 200
    assert response.json() == {
        "display_name": "Azure AD",
        "revoked_tokens": 1,
        "removed_users": 0,
        "kept_users": 1,
        "domains": ["acme.example.com"],
    }
    assert DirectoryUser.objects.count() == 1


def test_delete_remove_users(api: APIClient, provider: IdentityProvider) -> None:
    DirectoryUser.objects.create(workspace=provider.workspace, source=provider, user_name="u@acme.example.com")

    response = api.delete(provider_url(provider) + "?remove_users=true")

    assert response.json()["removed_users"] == 1
    assert DirectoryUser.objects.count() == 0


def test_delete_bad_flag(api: APIClient, provider: IdentityProvider) -> None:
    body = assert_problem(api.delete(provider_url(provider) + "?remove_users=maybe"), 400, "invalid")

    assert "remove_users" in body["errors"]
    assert IdentityProvider.objects.filter(pk=provider.pk).exists()


# Domains and access groups --------------------------------------------------


def test_domains_get_and_put(api: APIClient, provider: IdentityProvider) -> None:
    response = api.put(
        provider_url(provider, "domains/"), {"domain": "acme.example.com", "aliases": ["ACME.org"]}, format="json"
    )

    assert response.json() == {"domain": "acme.example.com", "aliases": ["acme.org"]}
    assert api.get(provider_url(provider, "domains/")).json() == {"domain": "acme.example.com", "aliases": ["acme.org"]}


def test_domains_taken_in_same_workspace(api: APIClient, provider: IdentityProvider, workspace) -> None:
    second = IdentityProvider.objects.create(workspace=workspace, slug="second", display_name="Second")
    ProviderDomain.objects.create(provider=second, name="second.example.com", is_primary=True)

    response = api.put(
        provider_url(second, "domains/"),
        {"domain": "second.example.com", "aliases": ["acme.example.com"]},
        format="json",
    )

    body = assert_problem(response, 400, "invalid")
    assert "already belongs to the provider 'Azure AD'" in body["errors"]["aliases"][0]


def test_access_groups_put_and_get(api: APIClient, provider: IdentityProvider) -> None:
    response = api.put(
        provider_url(provider, "access-groups/"),
        {"groups": [{"object_id": GROUP_A.upper(), "display_name": "Sales"}]},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == {
        "groups": [{"object_id": GROUP_A, "display_name": "Sales"}],
        "everyone_allowed": False,
        "provisioned_users": 0,
        "allowed_users": None,
        "refused_users": 0,
        "refused_user_names": [],
        "scim_groups": [],
    }
    assert api.get(provider_url(provider, "access-groups/")).json()["groups"] == [
        {"object_id": GROUP_A, "display_name": "Sales"}
    ]
    assert AuditEntry.objects.get(action="provider.access_groups").source == "api"


def test_access_groups_reach_from_scim_groups(api: APIClient, provider: IdentityProvider) -> None:
    workspace = provider.workspace
    sales = DirectoryGroup.objects.create(
        workspace=workspace, source=provider, display_name="Sales", external_id=GROUP_A
    )
    member = DirectoryUser.objects.create(workspace=workspace, source=provider, user_name="in@acme.example.com")
    DirectoryUser.objects.create(workspace=workspace, source=provider, user_name="out@acme.example.com")
    DirectoryGroupMember.objects.create(group=sales, user=member)

    before = api.get(provider_url(provider, "access-groups/")).json()
    after = api.put(
        provider_url(provider, "access-groups/"), {"groups": [{"object_id": GROUP_A}]}, format="json"
    ).json()

    assert before["scim_groups"] == [{"object_id": GROUP_A, "display_name": "Sales"}]
    assert before["allowed_users"] == 2
    assert after["allowed_users"] == 1
    assert after["refused_users"] == 1
    assert after["refused_user_names"] == ["out@acme.example.com"]


def test_access_groups_invalid(api: APIClient, provider: IdentityProvider) -> None:
    response = api.put(provider_url(provider, "access-groups/"), {"groups": [{"object_id": "x"}]}, format="json")

    body = assert_problem(response, 400, "invalid")
    assert "is not a valid group object ID" in body["errors"]["groups"][0]
    assert not AccessGroup.objects.exists()


def test_access_groups_clear(api: APIClient, provider: IdentityProvider) -> None:
    AccessGroup.objects.create(provider=provider, object_id=GROUP_A)

    response = api.put(provider_url(provider, "access-groups/"), {"groups": []}, format="json")

    assert response.json()["everyone_allowed"] is True
    assert not AccessGroup.objects.exists()


# SCIM -----------------------------------------------------------------------


def test_scim_disable_enable(api: APIClient, provider: IdentityProvider, settings) -> None:
    settings.P81_PUBLIC_URL = "https://p81.example.com"

    off = api.post(provider_url(provider, "scim/disable/"))
    on = api.post(provider_url(provider, "scim/enable/"))

    assert off.json() == {
        "scim_enabled": False,
        "group_provisioning_enabled": True,
        "base_url": "https://p81.example.com/scim/v2/acme",
        "active_token": None,
    }
    assert on.json()["scim_enabled"] is True
    assert list(
        AuditEntry.objects.filter(action__startswith="provider.").order_by("id").values_list("action", flat=True)
    ) == [
        "provider.scim_off",
        "provider.scim_on",
    ]


def test_group_provisioning_disable_enable(api: APIClient, provider: IdentityProvider) -> None:
    off = api.post(provider_url(provider, "scim/groups/disable/"))
    provider.refresh_from_db()
    disabled = provider.group_provisioning_enabled
    on = api.post(provider_url(provider, "scim/groups/enable/"))

    assert off.status_code == 200
    assert off.json()["group_provisioning_enabled"] is False
    assert disabled is False
    assert on.json()["group_provisioning_enabled"] is True
    assert list(
        AuditEntry.objects.filter(action__startswith="provider.group").order_by("id").values_list("action", flat=True)
    ) == ["provider.group_provisioning_off", "provider.group_provisioning_on"]


def test_scim_token_generated_once(api: APIClient, provider: IdentityProvider) -> None:
    response = api.post(provider_url(provider, "scim/token/"), {}, format="json")

    body = response.json()
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    assert body["revoked_previous"] is False
    assert authenticate_token(body["token"]).provider == provider
    state = api.get(provider_url(provider, "scim/"))
    assert state.json()["active_token"]["prefix"] == body["prefix"]
    for path in ("", "scim/"):
        assert body["token"] not in api.get(provider_url(provider, path)).content.decode()
    assert body["token"] not in api.get("/api/v1/audit-log/").content.decode()


def test_scim_token_regenerate_needs_revoke_flag(api: APIClient, provider: IdentityProvider) -> None:
    old = generate_token(provider)

    refused = api.post(provider_url(provider, "scim/token/"), {}, format="json")
    accepted = api.post(provider_url(provider, "scim/token/"), {"revoke_existing": True}, format="json")

    body = assert_problem(refused, 409, "active_token_exists")
    assert old.token.prefix in body["detail"]
    assert accepted.status_code == 201
    assert accepted.json()["revoked_previous"] is True
    assert authenticate_token(old.value) is None
    assert ScimToken.objects.filter(provider=provider, revoked_at__isnull=True).count() == 1


def test_test_connection_not_available(api: APIClient, provider: IdentityProvider, monkeypatch) -> None:
    monkeypatch.setattr("api.views.connection_checker", lambda: None)

    assert_problem(api.post(provider_url(provider, "test-connection/")), 501, "not_available")


def test_test_connection_runs_checker(api: APIClient, provider: IdentityProvider, monkeypatch) -> None:
    def check(target: IdentityProvider) -> None:
        IdentityProvider.objects.filter(pk=target.pk).update(connection_status="ok", connection_detail="Fine.")

    monkeypatch.setattr("api.views.connection_checker", lambda: check)

    response = api.post(provider_url(provider, "test-connection/"))

    assert response.json()["status"] == "ok"
    assert response.json()["detail"] == "Fine."
    assert AuditEntry.objects.filter(action="provider.test_connection", source="api").count() == 1


# Provisioning log -----------------------------------------------------------


def test_provisioning_log_filters(api: APIClient, provider: IdentityProvider) -> None:
    common = {"workspace": provider.workspace, "provider": provider, "method": "POST", "path": "/scim/v2/acme/Users"}
    ProvisioningLogEntry.objects.create(**common, operation="user.create", status=201, user_name="ok@acme.example.com")
    ProvisioningLogEntry.objects.create(
        **common, operation="user.create", status=409, user_name="dup@acme.example.com", scim_type="uniqueness"
    )

    failures = api.get(provider_url(provider, "provisioning-log/?status=failure")).json()
    by_user = api.get(provider_url(provider, "provisioning-log/?user=ok@")).json()

    assert [row["user_name"] for row in failures["results"]] == ["dup@acme.example.com"]
    assert failures["results"][0]["succeeded"] is False
    assert "stale user" in failures["results"][0]["hint"]
    assert [row["user_name"] for row in by_user["results"]] == ["ok@acme.example.com"]
    assert_problem(api.get(provider_url(provider, "provisioning-log/?status=bad")), 400, "invalid")


# Isolation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("patch", "", {"display_name": "Stolen"}),
        ("delete", "", None),
        ("get", "domains/", None),
        ("put", "domains/", {"domain": "stolen.example.com", "aliases": []}),
        ("get", "access-groups/", None),
        ("put", "access-groups/", {"groups": []}),
        ("get", "scim/", None),
        ("post", "scim/enable/", None),
        ("post", "scim/disable/", None),
        ("post", "scim/groups/enable/", None),
        ("post", "scim/groups/disable/", None),
        ("post", "scim/token/", {"revoke_existing": True}),
        ("post", "test-connection/", None),
        ("get", "provisioning-log/", None),
    ],
)
def test_other_workspace_provider_is_404(
    other_api: APIClient, provider: IdentityProvider, method: str, suffix: str, body
) -> None:
    token_count = ScimToken.objects.count()

    response = getattr(other_api, method)(provider_url(provider, suffix), body, format="json")

    assert_problem(response, 404, "not_found")
    provider.refresh_from_db()
    assert provider.display_name == "Azure AD"
    assert provider.scim_enabled is True
    assert provider.primary_domain == "acme.example.com"
    assert ScimToken.objects.count() == token_count
    assert not AuditEntry.objects.filter(workspace=provider.workspace).exists()


def test_malformed_provider_id_is_404(api: APIClient) -> None:
    assert_problem(api.get(f"{BASE}not-a-uuid/"), 404, "not_found")


def test_secret_absent_from_logs(api: APIClient, provider_payload: dict, caplog) -> None:
    caplog.set_level(logging.DEBUG)

    created = api.post(BASE, provider_payload, format="json").json()
    api.patch(f"{BASE}{created['id']}/", {"client_secret": CLIENT_SECRET + "x", "client_id": "bad"}, format="json")

    assert "identity provider created" in caplog.text
    assert CLIENT_SECRET not in caplog.text
