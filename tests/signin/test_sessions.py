"""Sign-out, and sessions ended when SCIM disables or deletes the user."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from directory.services import delete_user, update_user
from identity_providers.models import IdentityProvider
from scim.tokens import generate_token
from signin.models import SignInAccount, SignInSession
from tests.azure_standin.server import AzureStandIn
from tests.scim.conftest import ScimClient

from .conftest import Browser
from .test_signin_flow import UPN, provision

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider):
    azure_user = azure_standin.add_user(standin_provider.tenant_id, UPN)
    directory_user = provision(standin_provider, UPN, azure_user.oid)
    assert browser.sign_in(UPN).status_code == 302
    assert browser.client.get("/signed-in/").status_code == 200
    return directory_user


def test_sign_out_ends_session_and_offers_azure_link(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider, signed_in
) -> None:
    response = browser.client.post("/logout/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "_auth_user_id" not in browser.client.session
    link = page.split('id="end-session" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        f"{azure_standin.url}/{standin_provider.tenant_id}/oauth2/v2.0/logout"
    )
    assert parse_qs(parts.query)["post_logout_redirect_uri"] == ["http://testserver/login/"]
    assert browser.client.get("/signed-in/").status_code == 302


def test_sign_out_needs_post(browser: Browser, signed_in) -> None:
    assert browser.client.get("/logout/").status_code == 200
    assert "_auth_user_id" in browser.client.session


def test_scim_disable_ends_sessions(browser: Browser, signed_in, django_capture_on_commit_callbacks) -> None:
    second_browser = Client()
    second_browser.force_login(SignInAccount.objects.get().user, backend="signin.backend.AzureADSignInBackend")
    assert SignInSession.objects.count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        update_user(signed_in, {**signed_in.document, "active": False})

    assert SignInSession.objects.count() == 0
    assert browser.client.get("/signed-in/").status_code == 302
    assert second_browser.get("/signed-in/").status_code == 302
    user = get_user_model().objects.get()
    assert not user.is_active


def test_scim_delete_ends_sessions_and_relinks(
    browser: Browser,
    azure_standin: AzureStandIn,
    standin_provider: IdentityProvider,
    signed_in,
    django_capture_on_commit_callbacks,
) -> None:
    oid = signed_in.external_id
    user_pk = SignInAccount.objects.get().user_id

    with django_capture_on_commit_callbacks(execute=True):
        delete_user(signed_in)

    assert browser.client.get("/signed-in/").status_code == 302
    assert not SignInAccount.objects.exists()

    provision(standin_provider, UPN, oid)
    assert browser.sign_in(UPN).status_code == 302
    assert get_user_model().objects.count() == 1
    assert SignInAccount.objects.get().user_id == user_pk
    assert get_user_model().objects.get().is_active


def test_disabled_then_enabled_user_signs_in_again(
    browser: Browser, signed_in, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        update_user(signed_in, {**signed_in.document, "active": False})
    update_user(signed_in, {**signed_in.document, "active": True})

    assert browser.sign_in(UPN).status_code == 302
    assert browser.client.get("/signed-in/").status_code == 200


@pytest.mark.parametrize("operation", ["disable", "delete"])
def test_scim_request_ends_sessions(
    browser: Browser, standin_provider: IdentityProvider, signed_in, operation: str, django_capture_on_commit_callbacks
) -> None:
    scim = ScimClient(f"/scim/v2/{standin_provider.workspace.slug}", generate_token(standin_provider).value)

    with django_capture_on_commit_callbacks(execute=True):
        if operation == "disable":
            response = scim.patch(
                f"Users/{signed_in.pk}",
                {
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
                },
            )
        else:
            response = scim.delete(f"Users/{signed_in.pk}")

    assert response.status_code in {200, 204}
    assert browser.client.get("/signed-in/").status_code == 302
    assert not SignInSession.objects.exists()
    assert not get_user_model().objects.get().is_active


def test_signed_out_session_row_forgotten_at_next_sign_in(browser: Browser, signed_in) -> None:
    first_key = SignInSession.objects.get().session_key
    browser.client.post("/logout/")

    assert browser.sign_in(UPN).status_code == 302

    keys = list(SignInSession.objects.values_list("session_key", flat=True))
    assert first_key not in keys
    assert keys == [browser.client.session.session_key]
