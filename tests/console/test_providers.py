"""Settings > Identity Providers: list, add, edit, delete, with validation, write-only secret and audit."""

from __future__ import annotations

import datetime
import logging
import sys

import pytest
from django.core.signals import got_request_exception
from django.test import Client
from django.utils import timezone
from django.views.debug import ExceptionReporter

from audit.models import AuditEntry
from directory.models import DirectoryUser
from identity_providers.models import IdentityProvider, ProviderDomain
from scim.models import ScimToken
from scim.tokens import generate_token

from .conftest import CLIENT_ID, CLIENT_SECRET

pytestmark = pytest.mark.django_db

LIST_URL = "/settings/identity-providers/"
ADD_URL = "/settings/identity-providers/add/azure-ad/"


def detail_url(provider: IdentityProvider, suffix: str = "") -> str:
    return f"/settings/identity-providers/{provider.public_id}/{suffix}"


def add_provider(client: Client, data: dict[str, str]) -> IdentityProvider:
    response = client.post(ADD_URL, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return IdentityProvider.objects.get(display_name=data["display_name"])


# List -----------------------------------------------------------------------


def test_list_shows_provider_with_badges(admin_client: Client, provider: IdentityProvider) -> None:
    ProviderDomain.objects.create(provider=provider, name="acme.com")
    provider.set_client_secret(CLIENT_SECRET, timezone.localdate() + datetime.timedelta(days=10))
    provider.last_scim_request_at = timezone.now()
    provider.save()

    response = admin_client.get(LIST_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Azure AD" in html
    assert "Microsoft Azure AD" in html
    assert "acme.example.com" in html
    assert "acme.com" in html
    assert "SCIM on" in html
    assert "Last SCIM request" in html
    assert "Secret expires in 10 days" in html
    assert "Connection: Not tested" in html


@pytest.mark.parametrize(
    ("days", "text"),
    [(-1, "Secret expired on"), (0, "Secret expires today"), (1, "Secret expires in 1 day<"), (90, "Secret valid")],
)
def test_list_secret_expiry_badge(admin_client: Client, provider: IdentityProvider, days: int, text: str) -> None:
    provider.set_client_secret(CLIENT_SECRET, timezone.localdate() + datetime.timedelta(days=days))
    provider.save()

    response = admin_client.get(LIST_URL)

    assert text in response.content.decode()


def test_list_hides_other_workspace_providers(
    admin_client: Client, provider: IdentityProvider, other_provider: IdentityProvider
) -> None:
    response = admin_client.get(LIST_URL)

    html = response.content.decode()
    assert str(provider.public_id) in html
    assert str(other_provider.public_id) not in html
    assert "globex.example.com" not in html


def test_list_empty_offers_add(admin_client: Client) -> None:
    response = admin_client.get(LIST_URL)

    assert b"No identity provider yet" in response.content
    assert b"/settings/identity-providers/add/" in response.content


def test_add_choose_type_lists_azure(admin_client: Client) -> None:
    response = admin_client.get("/settings/identity-providers/add/")

    assert response.status_code == 200
    assert b"Microsoft Azure AD" in response.content


# Add ------------------------------------------------------------------------


def test_add_form_shows_azure_urls_and_help(admin_client: Client, workspace, settings) -> None:
    settings.P81_PUBLIC_URL = "https://p81.example.com"

    response = admin_client.get(ADD_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert "https://p81.example.com/complete/azuread-v2-tenant-oauth2/" in html
    assert "https://p81.example.com/login/?workspace=acme" in html
    assert "Application (client) ID" in html
    assert "Certificates &amp; secrets" in html
    assert 'data-copy-target="copy-redirect-url"' in html


def test_add_creates_provider_with_aliases(admin_client: Client, workspace, provider_form_data) -> None:
    provider = add_provider(admin_client, provider_form_data)

    assert provider.workspace == workspace
    assert provider.primary_domain == "contoso.onmicrosoft.com"
    assert sorted(provider.aliases) == ["contoso.co.uk", "contoso.com"]
    assert provider.client_id == CLIENT_ID
    assert provider.client_secret == CLIENT_SECRET
    assert provider.client_secret_expires_on == datetime.date(2099, 1, 31)
    assert provider.enabled is True
    assert provider.scim_enabled is False
    assert provider.slug == "contoso-entra-id"


def test_add_redirects_to_provider_page(admin_client: Client, provider_form_data) -> None:
    response = admin_client.post(ADD_URL, provider_form_data, follow=True)

    provider = IdentityProvider.objects.get(display_name="Contoso Entra ID")
    assert response.redirect_chain[-1][0] == detail_url(provider)
    assert b"added" in response.content


def test_add_writes_audit_entry_with_secret_masked(admin_client: Client, admin_user, provider_form_data) -> None:
    provider = add_provider(admin_client, provider_form_data)

    entry = AuditEntry.objects.get(action="provider.create")
    assert entry.actor == admin_user
    assert entry.source == "ui"
    assert entry.target_id == str(provider.pk)
    assert entry.changes["client_secret"]["after"] == "********"
    assert entry.changes["aliases"]["after"] == ["contoso.co.uk", "contoso.com"]
    assert CLIENT_SECRET not in str(entry.changes)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("client_id", "not-a-guid", "is not a valid client ID"),
        ("client_id", "", "This field is required."),
        ("tenant_id", "1234", "is not a valid tenant ID"),
        ("tenant_id", "", "This field is required."),
        ("domain", "not a domain", "is not a valid domain name"),
        ("domain", "user@contoso.com", "Enter only the part after @"),
        ("domain", "contoso", "is not a valid domain name"),
        ("aliases", "contoso.com\nbad_domain!", "is not a valid domain name"),
        ("aliases", "contoso.onmicrosoft.com", "is already the Azure AD domain"),
        ("client_secret", "", "This field is required."),
        ("client_secret", "two words", "contains spaces"),
        ("client_secret_expires_on", "2001-01-01", "is in the past"),
        ("client_secret_expires_on", "31/01/2099", "Enter a valid date."),
        ("display_name", "", "This field is required."),
    ],
)
def test_add_validation_error_next_to_field(
    admin_client: Client, provider_form_data, field: str, value: str, message: str
) -> None:
    response = admin_client.post(ADD_URL, {**provider_form_data, field: value})

    html = response.content.decode()
    assert response.status_code == 400
    assert IdentityProvider.objects.count() == 0
    field_block = html.split(f'id="field-{field}"', 1)[1].split('<div class="field', 1)[0]
    assert message in field_block


def test_add_multi_tenant_requires_tenant_ids(admin_client: Client, provider_form_data) -> None:
    response = admin_client.post(ADD_URL, {**provider_form_data, "multi_tenant": "on", "allowed_tenant_ids": ""})

    assert response.status_code == 400
    assert b"Enter at least one tenant ID" in response.content


def test_add_multi_tenant_stores_tenant_ids(admin_client: Client, provider_form_data) -> None:
    tenants = "AAAAAAAA-0000-4000-8000-000000000001, {bbbbbbbb-0000-4000-8000-000000000002}"

    provider = add_provider(admin_client, {**provider_form_data, "multi_tenant": "on", "allowed_tenant_ids": tenants})

    assert provider.multi_tenant is True
    assert provider.allowed_tenant_ids == [
        "aaaaaaaa-0000-4000-8000-000000000001",
        "bbbbbbbb-0000-4000-8000-000000000002",
    ]


def test_add_rejects_domain_of_same_workspace_provider(
    admin_client: Client, provider: IdentityProvider, provider_form_data
) -> None:
    response = admin_client.post(ADD_URL, {**provider_form_data, "aliases": "ACME.example.com"})

    html = response.content.decode()
    assert response.status_code == 400
    assert "already belongs to the provider &#x27;Azure AD&#x27;" in html


def test_add_hides_other_workspace_domain_owner(
    admin_client: Client, other_provider: IdentityProvider, provider_form_data
) -> None:
    response = admin_client.post(ADD_URL, {**provider_form_data, "domain": "globex.example.com", "aliases": ""})

    html = response.content.decode()
    assert response.status_code == 400
    assert "already registered by another organisation" in html
    assert "Globex" not in html
    assert other_provider.display_name not in html.split("already registered", 1)[1][:200]


def test_add_form_never_renders_secret_after_error(admin_client: Client, provider_form_data) -> None:
    response = admin_client.post(ADD_URL, {**provider_form_data, "client_id": "bad"})

    assert response.status_code == 400
    assert CLIENT_SECRET.encode() not in response.content


# Edit -----------------------------------------------------------------------


def test_detail_never_renders_secret(admin_client: Client, provider_form_data) -> None:
    provider = add_provider(admin_client, provider_form_data)

    response = admin_client.get(detail_url(provider))

    html = response.content.decode()
    assert response.status_code == 200
    assert CLIENT_SECRET not in html
    assert "Replace client secret" in html
    assert "A client secret is stored" in html


def test_detail_shows_urls_with_copy_buttons(admin_client: Client, provider: IdentityProvider, settings) -> None:
    settings.P81_PUBLIC_URL = "https://p81.example.com"

    response = admin_client.get(detail_url(provider))

    html = response.content.decode()
    assert 'value="https://p81.example.com/complete/azuread-v2-tenant-oauth2/"' in html
    assert 'value="https://p81.example.com/login/?workspace=acme"' in html
    assert 'data-copy-target="copy-redirect-url"' in html
    assert 'data-copy-target="copy-sign-on-url"' in html


def test_edit_with_empty_secret_keeps_secret(admin_client: Client, provider_form_data) -> None:
    provider = add_provider(admin_client, provider_form_data)
    changed_at = provider.client_secret_changed_at

    response = admin_client.post(
        detail_url(provider), {**provider_form_data, "client_secret": "", "display_name": "Contoso"}
    )

    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.display_name == "Contoso"
    assert provider.client_secret == CLIENT_SECRET
    assert provider.client_secret_changed_at == changed_at


def test_edit_replaces_secret_and_audits_masked(admin_client: Client, provider_form_data) -> None:
    provider = add_provider(admin_client, provider_form_data)
    new_secret = "New~Secret.Value_0987654321"

    response = admin_client.post(detail_url(provider), {**provider_form_data, "client_secret": new_secret})

    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.client_secret == new_secret
    entry = AuditEntry.objects.get(action="provider.update")
    assert entry.changes["client_secret"] == {"before": "********", "after": "********"}
    assert new_secret not in str(entry.changes)


def test_edit_aliases_replaces_domains(admin_client: Client, provider_form_data) -> None:
    provider = add_provider(admin_client, provider_form_data)

    response = admin_client.post(
        detail_url(provider), {**provider_form_data, "aliases": "contoso.de", "client_secret": ""}
    )

    assert response.status_code == 302
    assert sorted(ProviderDomain.objects.filter(provider=provider).values_list("name", flat=True)) == [
        "contoso.de",
        "contoso.onmicrosoft.com",
    ]
    entry = AuditEntry.objects.get(action="provider.update")
    assert entry.changes["aliases"] == {"before": ["contoso.co.uk", "contoso.com"], "after": ["contoso.de"]}


def test_edit_unchanged_writes_no_audit(admin_client: Client, provider_form_data) -> None:
    provider = add_provider(admin_client, provider_form_data)

    admin_client.post(detail_url(provider), {**provider_form_data, "client_secret": ""})

    assert not AuditEntry.objects.filter(action="provider.update").exists()


def test_edit_validation_error_keeps_values(admin_client: Client, provider_form_data) -> None:
    provider = add_provider(admin_client, provider_form_data)

    response = admin_client.post(detail_url(provider), {**provider_form_data, "client_id": "xyz"})

    assert response.status_code == 400
    assert b"is not a valid client ID" in response.content
    provider.refresh_from_db()
    assert provider.client_id == CLIENT_ID


def test_edit_turning_off_multi_tenant_clears_tenants(admin_client: Client, provider_form_data) -> None:
    tenant = "aaaaaaaa-0000-4000-8000-000000000001"
    provider = add_provider(admin_client, {**provider_form_data, "multi_tenant": "on", "allowed_tenant_ids": tenant})
    data = {key: value for key, value in provider_form_data.items() if key != "multi_tenant"}

    admin_client.post(detail_url(provider), {**data, "client_secret": "", "allowed_tenant_ids": tenant})

    provider.refresh_from_db()
    assert provider.multi_tenant is False
    assert provider.allowed_tenant_ids == []


@pytest.mark.parametrize("suffix", ["", "delete/", "access-groups/", "scim/", "scim/token/", "provisioning-log/"])
def test_other_workspace_provider_is_404(admin_client: Client, other_provider: IdentityProvider, suffix: str) -> None:
    assert admin_client.get(detail_url(other_provider, suffix)).status_code == 404


@pytest.mark.parametrize(
    ("suffix", "data"),
    [
        ("", {"display_name": "Stolen"}),
        ("delete/", {"users": "remove"}),
        ("access-groups/", {"groups": ""}),
        ("scim/", {"scim": "off"}),
        ("scim/token/", {"confirm_revoke": "yes"}),
        ("test-connection/", {}),
    ],
)
def test_other_workspace_provider_post_is_404(
    admin_client: Client, other_provider: IdentityProvider, suffix: str, data: dict
) -> None:
    response = admin_client.post(detail_url(other_provider, suffix), data)

    assert response.status_code == 404
    other_provider.refresh_from_db()
    assert other_provider.display_name == "Azure AD"
    assert other_provider.scim_enabled is True
    assert not ScimToken.objects.filter(provider=other_provider).exists()
    assert not AuditEntry.objects.exists()


def test_unknown_provider_is_404(admin_client: Client) -> None:
    response = admin_client.get("/settings/identity-providers/00000000-0000-0000-0000-000000000000/")

    assert response.status_code == 404


# Delete ---------------------------------------------------------------------


def test_delete_page_says_what_is_removed(admin_client: Client, provider: IdentityProvider) -> None:
    token = generate_token(provider).token
    DirectoryUser.objects.create(workspace=provider.workspace, source=provider, user_name="a@acme.example.com")

    response = admin_client.get(detail_url(provider, "delete/"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "acme.example.com" in html
    assert token.prefix in html
    assert "revoked" in html
    assert "<strong>1</strong> user" in html
    assert "Keep them" in html


def test_delete_keeps_users_by_default(admin_client: Client, provider: IdentityProvider) -> None:
    generate_token(provider)
    user = DirectoryUser.objects.create(workspace=provider.workspace, source=provider, user_name="a@acme.example.com")

    response = admin_client.post(detail_url(provider, "delete/"), {"users": "keep"})

    assert response.status_code == 302
    assert not IdentityProvider.objects.filter(pk=provider.pk).exists()
    assert not ProviderDomain.objects.filter(name="acme.example.com").exists()
    assert not ScimToken.objects.filter(provider_id=provider.pk).exists()
    user.refresh_from_db()
    assert user.source is None
    entry = AuditEntry.objects.get(action="provider.delete")
    assert entry.changes["revoked_tokens"]["after"] == 1
    assert entry.changes["removed_users"]["after"] == 0


def test_delete_can_remove_users(admin_client: Client, provider: IdentityProvider) -> None:
    DirectoryUser.objects.create(workspace=provider.workspace, source=provider, user_name="a@acme.example.com")
    DirectoryUser.objects.create(workspace=provider.workspace, source=None, user_name="local@acme.example.com")

    response = admin_client.post(detail_url(provider, "delete/"), {"users": "remove"}, follow=True)

    assert list(DirectoryUser.objects.values_list("user_name", flat=True)) == ["local@acme.example.com"]
    assert b"1 provisioned user(s) removed" in response.content


def test_delete_requires_choice(admin_client: Client, provider: IdentityProvider) -> None:
    response = admin_client.post(detail_url(provider, "delete/"), {"users": "maybe"})

    assert response.status_code == 400
    assert IdentityProvider.objects.filter(pk=provider.pk).exists()


# Connection test ------------------------------------------------------------


def test_test_connection_reports_when_unavailable(
    admin_client: Client, provider: IdentityProvider, monkeypatch
) -> None:
    monkeypatch.setattr("console.views.providers.connection_checker", lambda: None)

    response = admin_client.post(detail_url(provider, "test-connection/"), follow=True)

    assert b"not available yet" in response.content


def test_test_connection_runs_checker_and_audits(admin_client: Client, provider: IdentityProvider, monkeypatch) -> None:
    def check(target: IdentityProvider) -> None:
        IdentityProvider.objects.filter(pk=target.pk).update(
            connection_status="invalid_secret", connection_checked_at=timezone.now(), connection_detail="AADSTS7000215"
        )

    monkeypatch.setattr("console.views.providers.connection_checker", lambda: check)

    response = admin_client.post(detail_url(provider, "test-connection/"), follow=True)

    assert b"Invalid client secret" in response.content
    assert AuditEntry.objects.get(action="provider.test_connection").changes["connection_status"]["after"] == (
        "invalid_secret"
    )


# Secrets in logs ------------------------------------------------------------


def test_secret_absent_from_logs(admin_client: Client, provider_form_data, caplog) -> None:
    caplog.set_level(logging.DEBUG)

    provider = add_provider(admin_client, provider_form_data)
    admin_client.post(detail_url(provider), {**provider_form_data, "client_secret": CLIENT_SECRET + "2"})
    admin_client.get(detail_url(provider))

    assert "identity provider created" in caplog.text
    assert CLIENT_SECRET not in caplog.text


def test_redirect_url_matches_sign_in_route(settings) -> None:
    from identity_providers.links import redirect_url, sign_on_url
    from signin.urls_public import callback_url, login_url
    from workspaces.models import Workspace

    settings.P81_PUBLIC_URL = "https://p81.example.com"

    assert redirect_url() == callback_url()
    assert sign_on_url(Workspace(slug="acme")).startswith(login_url() + "?")


@pytest.mark.parametrize("suffix", ["", "delete/", "access-groups/", "scim/", "scim/token/", "provisioning-log/"])
def test_secret_absent_from_every_provider_page(admin_client: Client, provider_form_data, suffix: str) -> None:
    provider = add_provider(admin_client, provider_form_data)

    response = admin_client.get(detail_url(provider, suffix))

    assert response.status_code == 200
    assert CLIENT_SECRET not in response.content.decode()


@pytest.mark.parametrize("page", [LIST_URL, "/settings/audit-log/", "/settings/users/", "/api/v1/identity-providers/"])
def test_secret_absent_from_workspace_pages(admin_client: Client, provider_form_data, page: str) -> None:
    add_provider(admin_client, provider_form_data)

    response = admin_client.get(page)

    assert response.status_code == 200
    assert CLIENT_SECRET not in response.content.decode()


def test_secret_absent_from_error_report(admin_client: Client, provider_form_data, monkeypatch) -> None:
    """The report that Django mails to ADMINS on a 500 hides the secret in POST data and local variables."""
    captured: list = []

    def capture(sender, request, **kwargs) -> None:
        captured.append((request, sys.exc_info()))

    def fail(provider, primary, aliases):
        raise RuntimeError("database went away")

    monkeypatch.setattr("identity_providers.services._write_domains", fail)
    got_request_exception.connect(capture)
    admin_client.raise_request_exception = False
    try:
        response = admin_client.post(ADD_URL, provider_form_data)
    finally:
        got_request_exception.disconnect(capture)

    assert response.status_code == 500
    request, exc_info = captured[0]
    report = ExceptionReporter(request, *exc_info).get_traceback_html()
    assert "database went away" in report
    assert "client_secret" in report
    assert CLIENT_SECRET not in report
