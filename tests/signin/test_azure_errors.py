"""Azure AD errors (AADSTS codes) during sign-in are explained in plain words, and the secret stays hidden."""

from __future__ import annotations

import datetime

import pytest
import requests

from audit.models import AuditEntry
from identity_providers.models import IdentityProvider
from tests.azure_standin.server import AzureStandIn

from .conftest import CLIENT_SECRET, Browser
from .test_signin_flow import UPN, provision, refusal_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(azure_standin: AzureStandIn, standin_provider: IdentityProvider):
    azure_user = azure_standin.add_user(standin_provider.tenant_id, UPN)
    provision(standin_provider, UPN, azure_user.oid)
    return azure_user


def latest_idp_error(provider: IdentityProvider) -> AuditEntry:
    return AuditEntry.objects.filter(workspace=provider.workspace, code="IDP_ERROR").latest("id")


def test_invalid_secret_explained_not_shown(
    browser: Browser, standin_provider: IdentityProvider, ada, caplog: pytest.LogCaptureFixture
) -> None:
    wrong_secret = "Wrong8Q~this-secret-must-never-appear"
    standin_provider.set_client_secret(wrong_secret, None)
    standin_provider.save()

    with caplog.at_level("DEBUG"):
        response = browser.sign_in(UPN)

    page = response.content.decode()
    assert response.status_code == 502
    assert refusal_code(response) == "IDP_ERROR"
    assert "AADSTS7000215" in page
    assert "not its Secret ID" in page
    assert wrong_secret not in page
    assert CLIENT_SECRET not in page
    assert wrong_secret not in caplog.text
    assert latest_idp_error(standin_provider).changes["aadsts"] == 7000215
    assert wrong_secret not in str(latest_idp_error(standin_provider).changes)


def test_expired_secret_explained(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider, ada
) -> None:
    azure_standin.apps[standin_provider.client_id].secrets[0].expires_at = datetime.datetime(
        2021, 1, 1, tzinfo=datetime.UTC
    )

    response = browser.sign_in(UPN)

    page = response.content.decode()
    assert "AADSTS7000222" in page
    assert "has expired" in page


def test_app_not_found_explained(browser: Browser, standin_provider: IdentityProvider, ada) -> None:
    start = browser.start(UPN)
    azure = requests.get(start["Location"], allow_redirects=False, timeout=10)
    # The app registration was deleted, or the client ID edited, mid-login.
    IdentityProvider.objects.filter(pk=standin_provider.pk).update(client_id="0badc0de-0000-4000-8000-000000000000")

    response = browser.callback(azure.headers["Location"])

    assert "AADSTS700016" in response.content.decode()
    assert latest_idp_error(standin_provider).changes["aadsts"] == 700016


def test_consent_missing_explained(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider, ada
) -> None:
    azure_standin.apps[standin_provider.client_id].consent_missing_tenant_ids.add(standin_provider.tenant_id)

    response = browser.sign_in(UPN)

    page = response.content.decode()
    assert refusal_code(response) == "IDP_ERROR"
    assert "AADSTS65001" in page
    assert "grant admin consent" in page
    assert "Send an interactive authorization request" not in page


def test_reply_url_mismatch_explained(browser: Browser, azure_standin: AzureStandIn, ada) -> None:
    azure_standin.authorize_error = ("invalid_request", 50011, "The redirect URI does not match.")

    response = browser.sign_in(UPN)

    page = response.content.decode()
    assert "AADSTS50011" in page
    assert "http://testserver/complete/azuread-v2-tenant-oauth2/" in page


def test_user_cancel_is_idp_error(browser: Browser, azure_standin: AzureStandIn, ada) -> None:
    azure_standin.authorize_error = ("access_denied", 50126, "The user canceled.")

    response = browser.sign_in(UPN)

    assert refusal_code(response) == "IDP_ERROR"
    assert "AADSTS50126" in response.content.decode()


def test_stand_in_shows_reply_url_error_page(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider, ada
) -> None:
    azure_standin.apps[standin_provider.client_id].redirect_uris = ["https://elsewhere.example.com/callback"]
    start = browser.start(UPN)

    azure = requests.get(start["Location"], allow_redirects=False, timeout=10)

    assert azure.status_code == 400
    assert "AADSTS50011" in azure.text
