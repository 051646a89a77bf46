"""id_token validation through social-core and PyJWT: every forged or stale token is refused."""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlsplit

import pytest

from audit.models import AuditEntry
from identity_providers.models import IdentityProvider
from signin.models import SignInAccount
from tests.azure_standin.server import AzureStandIn

from .conftest import Browser
from .test_signin_flow import UPN, provision, refusal_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(azure_standin: AzureStandIn, standin_provider: IdentityProvider):
    azure_user = azure_standin.add_user(standin_provider.tenant_id, UPN)
    provision(standin_provider, UPN, azure_user.oid)
    return azure_user


def assert_refused(response, code: str = "IDP_ERROR") -> str:
    assert response.status_code in {403, 502}
    assert refusal_code(response) == code
    assert not SignInAccount.objects.exists()
    assert "_auth_user_id" not in response.wsgi_request.session
    return response.content.decode()


@pytest.mark.parametrize(
    ("signing", "expected_detail"),
    [
        ("none", "invalid_signature"),
        ("HS256", "invalid_signature"),
        ("unpublished-key", "invalid_signature"),
    ],
)
def test_forged_signature_refused(
    browser: Browser, azure_standin: AzureStandIn, ada, signing: str, expected_detail: str
) -> None:
    azure_standin.next_id_token_signing = signing

    page = assert_refused(browser.sign_in(UPN))

    assert expected_detail in page


@pytest.mark.parametrize(
    ("claims", "expected_detail"),
    [
        ({"iss": "https://login.example.net/other/v2.0"}, "invalid_claim"),
        ({"aud": "00000000-0000-0000-0000-000000000001"}, "claim aud"),
        ({"exp": int(time.time()) - 300, "iat": int(time.time()) - 4000}, "response_expired"),
        ({"nbf": int(time.time()) + 600}, "response_not_yet_valid"),
        ({"nonce": "a-nonce-p81-never-sent"}, "nonce_mismatch"),
        ({"nonce": None}, "nonce_mismatch"),
        ({"oid": None}, "missing_claim"),
    ],
    ids=["wrong-issuer", "wrong-audience", "expired", "not-yet-valid", "wrong-nonce", "no-nonce", "no-oid"],
)
def test_invalid_claims_refused(
    browser: Browser, azure_standin: AzureStandIn, ada, claims: dict, expected_detail: str
) -> None:
    azure_standin.next_id_token_claims = claims

    page = assert_refused(browser.sign_in(UPN))

    assert expected_detail in page


def test_expiry_within_leeway_accepted(browser: Browser, azure_standin: AzureStandIn, ada) -> None:
    azure_standin.next_id_token_claims = {"exp": int(time.time()) - 30}

    response = browser.sign_in(UPN)

    assert response.status_code == 302
    assert response["Location"] == "/signed-in/"


def test_wrong_tenant_refused_single_tenant(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider, ada
) -> None:
    other_tenant = azure_standin.add_tenant()
    azure_standin.next_id_token_claims = {"tid": other_tenant, "iss": azure_standin.issuer(other_tenant)}

    page = assert_refused(browser.sign_in(UPN), "TENANT_NOT_ALLOWED")

    assert other_tenant in page
    entry = AuditEntry.objects.get(workspace=standin_provider.workspace, code="TENANT_NOT_ALLOWED")
    assert entry.changes["detail"] == f"The account's tenant is {other_tenant}."


def test_replayed_callback_refused(browser: Browser, ada) -> None:
    assert browser.sign_in(UPN).status_code == 302
    browser.client.logout()

    replay = browser.callback(browser.last_callback_url)

    page = replay.content.decode()
    assert replay.status_code == 502
    assert refusal_code(replay) == "IDP_ERROR"
    assert "session_context_missing" in page


def test_replayed_code_refused_by_azure(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider, ada
) -> None:
    assert browser.sign_in(UPN).status_code == 302
    used_code = dict(parse_qsl(urlsplit(browser.last_callback_url).query))["code"]
    browser.client.logout()
    start = browser.start(UPN)
    state = dict(parse_qsl(urlsplit(start["Location"]).query))["state"]

    response = browser.callback(f"http://testserver/complete/azuread-v2-tenant-oauth2/?code={used_code}&state={state}")

    page = response.content.decode()
    assert refusal_code(response) == "IDP_ERROR"
    assert "AADSTS54005" in page
    assert "already used" in page
    entry = AuditEntry.objects.filter(workspace=standin_provider.workspace, code="IDP_ERROR").latest("id")
    assert entry.changes["aadsts"] == 54005


def test_expired_code_refused(browser: Browser, azure_standin: AzureStandIn, ada) -> None:
    azure_standin.code_lifetime_seconds = -1

    page = assert_refused(browser.sign_in(UPN))

    assert "AADSTS70008" in page


def test_key_rotation_refetches_jwks_once(browser: Browser, azure_standin: AzureStandIn, ada) -> None:
    assert browser.sign_in(UPN).status_code == 302
    browser.client.logout()
    assert len(azure_standin.requests_to("/discovery/v2.0/keys")) == 1

    azure_standin.rotate_signing_key(keep_previous=False)
    second = browser.sign_in(UPN)
    browser.client.logout()
    third = browser.sign_in(UPN)

    assert second.status_code == third.status_code == 302
    # One refetch for the unknown kid, then the cache serves the new key.
    assert len(azure_standin.requests_to("/discovery/v2.0/keys")) == 2


def test_unknown_kid_refetches_only_once(browser: Browser, azure_standin: AzureStandIn, ada) -> None:
    azure_standin.next_id_token_signing = "unpublished-key"

    assert_refused(browser.sign_in(UPN))

    assert len(azure_standin.requests_to("/discovery/v2.0/keys")) == 2
