"""Secret-expiry banners in the admin UI: shown to the workspace's administrators until the secret is replaced."""

from __future__ import annotations

import datetime

import time_machine
from django.test import Client, RequestFactory
from django.urls import reverse

from identity_providers.models import IdentityProvider
from notifications.banners import SecretExpiryBanner, secret_expiry_banners
from notifications.context_processors import secret_expiry

from .conftest import EXPIRES_ON, NEW_CLIENT_SECRET, make_admin, morning_of
from .test_secret_expiry_reminders import run_on

FOURTEEN_DAYS_BEFORE = EXPIRES_ON - datetime.timedelta(days=14)


def provider_list_html(user, day: datetime.date) -> str:
    """Sign `user` in on `day` and return the HTML of the identity provider list."""
    client = Client()
    with time_machine.travel(morning_of(day) + datetime.timedelta(hours=3), tick=False):
        client.force_login(user)
        response = client.get(reverse("console:provider-list"))
    assert response.status_code == 200
    return response.content.decode()


def test_banner_after_reminder(secret_provider: IdentityProvider, admins: list) -> None:
    run_on(FOURTEEN_DAYS_BEFORE, secret_provider)

    banners = secret_expiry_banners(secret_provider.workspace, FOURTEEN_DAYS_BEFORE)

    assert banners == [
        SecretExpiryBanner(
            provider_name="Azure AD",
            provider_public_id=secret_provider.public_id,
            expires_on=EXPIRES_ON,
            days_left=14,
        )
    ]
    assert banners[0].message == (
        "The client secret of Azure AD expires in 14 days, on 2027-03-31. Sign-in through it stops working then."
    )


def test_no_banner_before_reminder(secret_provider: IdentityProvider, admins: list) -> None:
    assert secret_expiry_banners(secret_provider.workspace, FOURTEEN_DAYS_BEFORE) == []


def test_banner_counts_down(secret_provider: IdentityProvider, admins: list) -> None:
    run_on(FOURTEEN_DAYS_BEFORE, secret_provider)

    assert secret_expiry_banners(secret_provider.workspace, EXPIRES_ON - datetime.timedelta(days=1))[0].message == (
        "The client secret of Azure AD expires in 1 day, on 2027-03-31. Sign-in through it stops working then."
    )
    assert secret_expiry_banners(secret_provider.workspace, EXPIRES_ON)[0].message == (
        "The client secret of Azure AD expires today (2027-03-31). Sign-in through it stops working when it does."
    )
    expired = secret_expiry_banners(secret_provider.workspace, EXPIRES_ON + datetime.timedelta(days=2))[0]
    assert expired.expired
    assert expired.message == (
        "The client secret of Azure AD expired on 2027-03-31. Nobody can sign in through it until you enter a new one."
    )


def test_banner_shown_in_admin_ui(secret_provider: IdentityProvider, admins: list) -> None:
    run_on(FOURTEEN_DAYS_BEFORE, secret_provider)

    html = provider_list_html(admins[0], FOURTEEN_DAYS_BEFORE)

    assert "The client secret of Azure AD expires in 14 days, on 2027-03-31." in html
    detail_url = reverse("console:provider-detail", kwargs={"public_id": secret_provider.public_id})
    assert f'<a href="{detail_url}">Replace the client secret</a>' in html
    assert 'class="messages secret-expiry-banners" role="alert"' in html


def test_banner_cleared_by_new_secret(secret_provider: IdentityProvider, admins: list) -> None:
    run_on(FOURTEEN_DAYS_BEFORE, secret_provider)
    with time_machine.travel(morning_of(FOURTEEN_DAYS_BEFORE) + datetime.timedelta(hours=2), tick=False):
        secret_provider.set_client_secret(NEW_CLIENT_SECRET, EXPIRES_ON + datetime.timedelta(days=365))
        secret_provider.save()

    html = provider_list_html(admins[0], FOURTEEN_DAYS_BEFORE)

    assert secret_expiry_banners(secret_provider.workspace, FOURTEEN_DAYS_BEFORE) == []
    assert "secret-expiry-banners" not in html


def test_banner_hidden_from_other_workspace(
    secret_provider: IdentityProvider, admins: list, other_workspace, other_provider: IdentityProvider
) -> None:
    run_on(FOURTEEN_DAYS_BEFORE, secret_provider)
    bob = make_admin(other_workspace, "bob", "bob@globex.example.com")

    html = provider_list_html(bob, FOURTEEN_DAYS_BEFORE)

    assert secret_expiry_banners(other_workspace, FOURTEEN_DAYS_BEFORE) == []
    assert "Azure AD expires in" not in html


def test_banner_hidden_for_disabled_provider(secret_provider: IdentityProvider, admins: list) -> None:
    run_on(FOURTEEN_DAYS_BEFORE, secret_provider)
    secret_provider.enabled = False
    secret_provider.save()

    assert secret_expiry_banners(secret_provider.workspace, FOURTEEN_DAYS_BEFORE) == []


def test_context_processor_anonymous(db) -> None:
    request = RequestFactory().get("/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()

    assert list(secret_expiry(request)["secret_expiry_banners"]) == []


def test_context_processor_lazy(secret_provider: IdentityProvider, admins: list, django_assert_num_queries) -> None:
    request = RequestFactory().get("/")
    request.user = admins[0]

    with django_assert_num_queries(0):
        context = secret_expiry(request)

    with django_assert_num_queries(2):
        assert not context["secret_expiry_banners"]
