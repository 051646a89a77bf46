"""End-to-end sign-in through social-auth, PyJWT and the Azure AD stand-in."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.test import Client
from social_django.models import UserSocialAuth

from audit.models import AuditEntry
from directory.models import DirectoryUser
from directory.services import create_user
from identity_providers.models import IdentityProvider, ProviderDomain
from signin.models import SignInAccount
from tests.azure_standin.server import AzureStandIn

from .conftest import Browser

pytestmark = pytest.mark.django_db

UPN = "ada@acme.example.com"


def provision(provider: IdentityProvider, upn: str, external_id: str | None, *, active: bool = True) -> DirectoryUser:
    document = {"userName": upn, "active": active, "emails": [{"value": upn, "type": "work", "primary": True}]}
    if external_id is not None:
        document["externalId"] = external_id
    return create_user(provider.workspace, document, source=provider)


def test_sign_in_happy_path(browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider) -> None:
    azure_user = azure_standin.add_user(standin_provider.tenant_id, UPN, name="Ada Lovelace")
    directory_user = provision(standin_provider, UPN, azure_user.oid)

    response = browser.sign_in(UPN)

    assert response.status_code == 302
    assert response["Location"] == "/signed-in/"
    account = SignInAccount.objects.get(directory_user=directory_user)
    assert browser.client.session["_auth_user_id"] == str(account.user.pk)
    page = browser.client.get("/signed-in/")
    assert page.status_code == 200
    assert UPN in page.content.decode()


def test_authorize_request_parameters(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider
) -> None:
    azure_standin.add_user(standin_provider.tenant_id, UPN)
    provision(standin_provider, UPN, None)

    response = browser.start("Ada@ACME.example.com")

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    query = {key: values[0] for key, values in parse_qs(location.query).items()}
    assert f"{location.scheme}://{location.netloc}" == azure_standin.url
    assert location.path == f"/{standin_provider.tenant_id}/oauth2/v2.0/authorize"
    assert query["client_id"] == standin_provider.client_id
    assert query["redirect_uri"] == "http://testserver/complete/azuread-v2-tenant-oauth2/"
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert len(query["nonce"]) == 32
    assert len(query["state"]) == 32
    assert query["login_hint"] == "Ada@ACME.example.com"
    assert query["domain_hint"] == "ACME.example.com"
    assert query["scope"].split() == ["openid", "profile", "email", f"{azure_standin.url}/User.Read"]
    assert standin_provider.client_secret not in response["Location"]


def refusal_code(response) -> str:
    content = response.content.decode()
    marker = 'id="refusal-code">'
    start = content.index(marker) + len(marker)
    return content[start : content.index("<", start)]


def last_refusal(provider: IdentityProvider) -> AuditEntry:
    return AuditEntry.objects.filter(workspace=provider.workspace, action="sign_in.refused").latest("id")


def test_alias_domain_picks_provider(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider
) -> None:
    ProviderDomain.objects.create(provider=standin_provider, name="Acme-Alias.example.com")
    upn = "grace@acme-alias.example.com"
    azure_user = azure_standin.add_user(standin_provider.tenant_id, upn)
    provision(standin_provider, upn, azure_user.oid)

    response = browser.sign_in("Grace@ACME-ALIAS.example.COM")

    assert response.status_code == 302
    assert response["Location"] == "/signed-in/"


def test_unknown_domain_is_refused(browser: Browser, standin_provider: IdentityProvider) -> None:
    response = browser.start("someone@unknown.example.org")

    assert response.status_code == 404
    assert refusal_code(response) == "UNKNOWN_DOMAIN"
    assert "unknown.example.org" in response.content.decode()
    entry = AuditEntry.objects.get(action="sign_in.refused")
    assert entry.workspace is None
    assert entry.code == "UNKNOWN_DOMAIN"
    assert not AuditEntry.objects.filter(workspace=standin_provider.workspace).exists()


def test_invalid_email_shows_form_error(browser: Browser) -> None:
    response = browser.start("not-an-email")

    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()


def test_login_form_needs_csrf_token(standin_provider: IdentityProvider) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post("/login/", {"email": UPN})

    assert response.status_code == 403


def test_disabled_provider_is_refused(browser: Browser, standin_provider: IdentityProvider) -> None:
    standin_provider.enabled = False
    standin_provider.save()

    response = browser.start(UPN)

    assert response.status_code == 403
    assert refusal_code(response) == "PROVIDER_DISABLED"
    entry = last_refusal(standin_provider)
    assert entry.code == "PROVIDER_DISABLED"
    assert entry.source == "sign_in"
    assert entry.actor_label == UPN


def test_provider_disabled_during_login_is_refused(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider
) -> None:
    azure_user = azure_standin.add_user(standin_provider.tenant_id, UPN)
    provision(standin_provider, UPN, azure_user.oid)
    start = browser.start(UPN)
    azure = requests.get(start["Location"], allow_redirects=False, timeout=10)
    IdentityProvider.objects.filter(pk=standin_provider.pk).update(enabled=False)

    response = browser.callback(azure.headers["Location"])

    assert refusal_code(response) == "PROVIDER_DISABLED"
    assert last_refusal(standin_provider).code == "PROVIDER_DISABLED"


def test_scim_user_linked_by_external_id(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider
) -> None:
    azure_user = azure_standin.add_user(standin_provider.tenant_id, UPN)
    # SCIM provisioned the user under another userName; the oid still matches.
    directory_user = provision(standin_provider, "a.lovelace@acme.example.com", azure_user.oid)

    first = browser.sign_in(UPN)
    browser.client.logout()
    second = browser.sign_in(UPN)

    assert first.status_code == second.status_code == 302
    assert DirectoryUser.objects.filter(workspace=standin_provider.workspace).count() == 1
    assert get_user_model().objects.count() == 1
    assert UserSocialAuth.objects.count() == 1
    account = SignInAccount.objects.get()
    assert account.directory_user_id == directory_user.pk
    assert UserSocialAuth.objects.get().uid == f"{standin_provider.public_id}:{azure_user.oid}"


def test_scim_user_linked_by_user_name(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider
) -> None:
    azure_standin.add_user(standin_provider.tenant_id, UPN, name="Token Name")
    directory_user = provision(standin_provider, UPN.upper(), None)
    document_before = dict(directory_user.document)

    response = browser.sign_in(UPN)

    assert response.status_code == 302
    directory_user.refresh_from_db()
    assert DirectoryUser.objects.count() == 1
    assert directory_user.external_id is None
    assert directory_user.document == document_before
    assert SignInAccount.objects.get().directory_user_id == directory_user.pk


def test_user_name_match_with_other_oid_is_refused(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider
) -> None:
    azure_standin.add_user(standin_provider.tenant_id, UPN)
    provision(standin_provider, UPN, "6f1e0c1a-0000-4000-8000-000000000001")

    response = browser.sign_in(UPN)

    assert refusal_code(response) == "USER_NOT_PROVISIONED"
    assert not SignInAccount.objects.exists()


def test_not_provisioned_user_is_refused(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider, other_provider: IdentityProvider
) -> None:
    azure_user = azure_standin.add_user(standin_provider.tenant_id, UPN)
    # The same person exists in another workspace: that must not count here.
    create_user(other_provider.workspace, {"userName": UPN, "externalId": azure_user.oid, "active": True})

    response = browser.sign_in(UPN)

    assert response.status_code == 403
    assert refusal_code(response) == "USER_NOT_PROVISIONED"
    entry = last_refusal(standin_provider)
    assert entry.code == "USER_NOT_PROVISIONED"
    assert entry.actor_label == UPN
    assert not AuditEntry.objects.filter(workspace=other_provider.workspace).exists()
    assert get_user_model().objects.count() == 0


def test_disabled_user_is_refused(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider
) -> None:
    azure_user = azure_standin.add_user(standin_provider.tenant_id, UPN)
    provision(standin_provider, UPN, azure_user.oid, active=False)

    response = browser.sign_in(UPN)

    assert response.status_code == 403
    assert refusal_code(response) == "USER_DISABLED"
    assert last_refusal(standin_provider).code == "USER_DISABLED"


def test_scim_off_creates_user_once(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider
) -> None:
    standin_provider.scim_enabled = False
    standin_provider.save()
    azure_user = azure_standin.add_user(standin_provider.tenant_id, UPN, name="Ada Lovelace")

    first = browser.sign_in(UPN)
    browser.client.logout()
    second = browser.sign_in(UPN)

    assert first.status_code == second.status_code == 302
    directory_user = DirectoryUser.objects.get(workspace=standin_provider.workspace)
    assert directory_user.external_id == azure_user.oid
    assert directory_user.user_name == UPN
    assert directory_user.source_id == standin_provider.pk
    assert directory_user.given_name == "Ada"
    assert get_user_model().objects.count() == 1
    assert get_user_model().objects.get().email == UPN


def test_scim_user_linked_by_work_email(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider
) -> None:
    azure_standin.add_user(standin_provider.tenant_id, UPN)
    directory_user = create_user(
        standin_provider.workspace,
        {"userName": "E1234", "active": True, "emails": [{"value": UPN.upper(), "type": "work", "primary": True}]},
        source=standin_provider,
    )

    response = browser.sign_in(UPN)

    assert response.status_code == 302
    assert DirectoryUser.objects.count() == 1
    assert SignInAccount.objects.get().directory_user_id == directory_user.pk


def test_scim_user_linked_by_upper_case_external_id(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider
) -> None:
    azure_user = azure_standin.add_user(standin_provider.tenant_id, UPN)
    directory_user = provision(standin_provider, "someone-else@acme.example.com", azure_user.oid.upper())

    response = browser.sign_in(UPN)

    assert response.status_code == 302
    assert SignInAccount.objects.get().directory_user_id == directory_user.pk
