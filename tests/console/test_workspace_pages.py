"""Users page, audit log and API tokens in the admin UI, each scoped to the administrator's workspace."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from api.models import ApiToken
from api.tokens import authenticate_api_token
from audit.models import AuditEntry
from audit.services import record
from directory.models import DirectoryUser
from identity_providers.models import IdentityProvider

pytestmark = pytest.mark.django_db


def test_users_page_lists_workspace_users(
    admin_client: Client, provider: IdentityProvider, other_provider: IdentityProvider
) -> None:
    DirectoryUser.objects.create(workspace=provider.workspace, source=provider, user_name="on@acme.example.com")
    DirectoryUser.objects.create(
        workspace=provider.workspace, source=None, user_name="off@acme.example.com", active=False
    )
    DirectoryUser.objects.create(workspace=other_provider.workspace, user_name="x@globex.example.com")

    html = admin_client.get("/settings/users/").content.decode()

    assert "on@acme.example.com" in html
    assert "off@acme.example.com" in html
    assert "Disabled" in html
    assert "<td>Azure AD</td>" in html
    assert "x@globex.example.com" not in html


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("active=false", "off@", "on@"),
        ("active=true", "on@", "off@"),
        ("q=on%40", "on@", "off@"),
        ("source=none", "off@", "on@"),
    ],
)
def test_users_page_filters(
    admin_client: Client, provider: IdentityProvider, query: str, shown: str, hidden: str
) -> None:
    DirectoryUser.objects.create(workspace=provider.workspace, source=provider, user_name="on@acme.example.com")
    DirectoryUser.objects.create(
        workspace=provider.workspace, source=None, user_name="off@acme.example.com", active=False
    )

    html = admin_client.get(f"/settings/users/?{query}").content.decode()

    assert shown in html
    assert hidden not in html


def test_users_page_source_filter_by_provider(admin_client: Client, provider: IdentityProvider) -> None:
    DirectoryUser.objects.create(workspace=provider.workspace, source=provider, user_name="on@acme.example.com")
    DirectoryUser.objects.create(workspace=provider.workspace, source=None, user_name="local@acme.example.com")

    html = admin_client.get(f"/settings/users/?source={provider.public_id}").content.decode()
    malformed = admin_client.get("/settings/users/?source=not-a-uuid")

    assert "on@acme.example.com" in html
    assert "local@acme.example.com" not in html
    assert malformed.status_code == 200


def test_audit_log_lists_and_filters(admin_client: Client, admin_user, provider: IdentityProvider) -> None:
    record(
        provider.workspace,
        "provider.update",
        source="ui",
        actor=admin_user,
        target=provider,
        changes={"client_secret": {"before": "********", "after": "********"}},
    )
    record(
        provider.workspace,
        "sign_in.refused",
        source="sign_in",
        target_label="eve@acme.example.com",
        code="NOT_IN_ACCESS_GROUPS",
    )

    everything = admin_client.get("/settings/audit-log/").content.decode()
    filtered = admin_client.get("/settings/audit-log/?action=sign_in.refused").content.decode()
    by_source = admin_client.get("/settings/audit-log/?source=ui").content.decode()

    assert "provider.update" in everything
    assert "********" in everything
    assert "alice" in everything
    assert "NOT_IN_ACCESS_GROUPS" in filtered
    assert "<code>provider.update</code>" not in filtered
    assert "<code>sign_in.refused</code>" not in by_source


def test_audit_log_hides_other_workspace(admin_client: Client, other_provider: IdentityProvider) -> None:
    record(other_provider.workspace, "provider.update", source="ui", target_label="Globex secret provider")

    html = admin_client.get("/settings/audit-log/").content.decode()

    assert "Globex secret provider" not in html


def test_api_token_created_shown_once(admin_client: Client, admin_user, workspace) -> None:
    response = admin_client.post("/settings/api-tokens/", {"name": "Terraform"})

    html = response.content.decode()
    value = re.search(r'id="copy-api-token" type="text" value="([^"]+)"', html).group(1)
    assert value.startswith("p81api_")
    assert "no-store" in response["Cache-Control"]
    token = authenticate_api_token(value)
    assert token.user == admin_user
    assert token.workspace == workspace
    assert value not in admin_client.get("/settings/api-tokens/").content.decode()
    assert AuditEntry.objects.get(action="api_token.create").target_label.startswith("Terraform")


def test_api_token_name_required(admin_client: Client) -> None:
    response = admin_client.post("/settings/api-tokens/", {"name": " "})

    assert response.status_code == 400
    assert b"Enter a name" in response.content
    assert not ApiToken.objects.exists()


def test_api_token_revoke(admin_client: Client) -> None:
    response = admin_client.post("/settings/api-tokens/", {"name": "CI"})
    value = re.search(r'id="copy-api-token" type="text" value="([^"]+)"', response.content.decode()).group(1)
    token = ApiToken.objects.get()

    admin_client.post(f"/settings/api-tokens/{token.pk}/revoke/")

    assert authenticate_api_token(value) is None
    assert AuditEntry.objects.filter(action="api_token.revoke").count() == 1


def test_api_token_of_other_admin_cannot_be_revoked(admin_client: Client, other_admin_client: Client) -> None:
    other_admin_client.post("/settings/api-tokens/", {"name": "Globex"})
    token = ApiToken.objects.get()

    response = admin_client.post(f"/settings/api-tokens/{token.pk}/revoke/")

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_audit_log_formats_values(admin_client: Client, provider: IdentityProvider) -> None:
    record(
        provider.workspace,
        "provider.update",
        source="ui",
        target=provider,
        changes={
            "aliases": {"before": [], "after": ["a.example.com", "b.example.com"]},
            "enabled": {"before": True, "after": False},
        },
    )

    html = admin_client.get("/settings/audit-log/").content.decode()

    assert "<td>(none)</td><td>a.example.com, b.example.com</td>" in html
    assert "<td>yes</td><td>no</td>" in html
