"""Administrator sign-in at /accounts/login/: username or email, CSRF, and who may see admin pages."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from .conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.django_db


def test_admin_page_redirects_anonymous_to_login(client: Client) -> None:
    response = client.get("/settings/identity-providers/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/settings/identity-providers/"


def test_login_page_renders_form(client: Client) -> None:
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b"csrfmiddlewaretoken" in response.content


@pytest.mark.parametrize("login", ["alice", "alice@acme.example.com", "ALICE@acme.example.com"])
def test_login_with_username_or_email(client: Client, admin_user, login: str) -> None:
    response = client.post("/accounts/login/", {"username": login, "password": ADMIN_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/settings/identity-providers/"
    assert client.session["_auth_user_id"] == str(admin_user.pk)


def test_login_wrong_password_shows_error(client: Client, admin_user) -> None:
    response = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert b"do not match an account" in response.content


def test_login_shared_email_signs_in_nobody(client: Client, admin_user) -> None:
    get_user_model().objects.create_user(username="alice2", email="alice@acme.example.com", password=ADMIN_PASSWORD)

    response = client.post("/accounts/login/", {"username": "alice@acme.example.com", "password": ADMIN_PASSWORD})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_login_inactive_user_refused(client: Client, admin_user) -> None:
    admin_user.is_active = False
    admin_user.save()

    response = client.post("/accounts/login/", {"username": "alice", "password": ADMIN_PASSWORD})

    assert "_auth_user_id" not in client.session
    assert response.status_code == 200


def test_login_requires_csrf_token(admin_user) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"username": "alice", "password": ADMIN_PASSWORD})

    assert response.status_code == 403


def test_admin_form_post_requires_csrf_token(admin_user, provider) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)

    response = client.post(f"/settings/identity-providers/{provider.public_id}/scim/", {"scim": "off"})

    assert response.status_code == 403
    provider.refresh_from_db()
    assert provider.scim_enabled is True


def test_logout_by_post(admin_client: Client) -> None:
    response = admin_client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert admin_client.get("/settings/identity-providers/").status_code == 302


def test_user_without_workspace_gets_403(client: Client, db) -> None:
    user = get_user_model().objects.create_superuser(username="root", email="", password=ADMIN_PASSWORD)
    client.force_login(user)

    response = client.get("/settings/identity-providers/")

    assert response.status_code == 403
    assert b"administers no workspace" in response.content


def test_settings_root_redirects_to_providers(admin_client: Client) -> None:
    response = admin_client.get("/settings/")

    assert response.status_code == 302
    assert response["Location"] == "/settings/identity-providers/"


def test_admin_pages_are_not_cached(admin_client: Client) -> None:
    response = admin_client.get("/settings/identity-providers/")

    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


def test_login_locked_after_repeated_failures(client: Client, admin_user) -> None:
    from console.views.auth import MAX_FAILED_SIGN_INS

    for _ in range(MAX_FAILED_SIGN_INS):
        client.post("/accounts/login/", {"username": "alice", "password": "wrong"})

    response = client.post("/accounts/login/", {"username": "alice", "password": ADMIN_PASSWORD})

    assert "_auth_user_id" not in client.session
    assert b"Too many failed sign-ins" in response.content


def test_login_lock_is_per_account(client: Client, admin_user, other_admin) -> None:
    from console.views.auth import MAX_FAILED_SIGN_INS

    for _ in range(MAX_FAILED_SIGN_INS):
        client.post("/accounts/login/", {"username": "alice", "password": "wrong"})

    response = client.post("/accounts/login/", {"username": "bob", "password": ADMIN_PASSWORD})

    assert response.status_code == 302
