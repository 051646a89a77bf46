"""Chromium signs in through the Azure AD stand-in, and gets the refusal page when outside the access groups.

Needs Debian's Chromium at /usr/bin/chromium (.ci/run installs it);
Playwright's own browser download cannot work on these machines.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from identity_providers.models import AccessGroup, IdentityProvider
from tests.azure_standin.server import AzureStandIn

from .test_signin_flow import UPN, provision

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ALLOWED_GROUP = "7d0c2f4e-1a3b-4c5d-8e9f-000000000042"

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Chromium is not installed at /usr/bin/chromium")


@contextmanager
def chromium_page() -> Iterator:
    """Open a Chromium page. Call it after the database setup: Django refuses ORM calls while Playwright runs."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # The stand-in's certificate comes from a CA made for the test run.
        context = browser.new_context(ignore_https_errors=True)
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


@pytest.fixture
def live_provider(
    transactional_db, live_server, settings, azure_standin: AzureStandIn, standin_provider: IdentityProvider
) -> IdentityProvider:
    settings.P81_PUBLIC_URL = live_server.url
    app = azure_standin.apps[standin_provider.client_id]
    app.redirect_uris.append(f"{live_server.url}/complete/azuread-v2-tenant-oauth2/")
    AccessGroup.objects.create(provider=standin_provider, object_id=ALLOWED_GROUP, display_name="p81 users")
    return standin_provider


def sign_in_with_browser(live_server_url: str, email: str, *, selector: str, screenshot: str) -> tuple[str, str]:
    """Sign in through the form and the stand-in; return the final URL and the text of `selector`.

    With P81_SCREENSHOT_DIR set, the login form and the final page are saved
    there as `signin-login.png` and `signin-{screenshot}.png`.
    """
    screenshot_dir = os.environ.get("P81_SCREENSHOT_DIR")
    with chromium_page() as page:
        page.goto(f"{live_server_url}/login/")
        page.get_by_label("Work email").fill(email)
        if screenshot_dir:
            page.screenshot(path=os.path.join(screenshot_dir, "signin-login.png"))
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()
        if screenshot_dir:
            page.screenshot(path=os.path.join(screenshot_dir, f"signin-{screenshot}.png"), full_page=True)
        return page.url, page.locator(selector).inner_text()


def test_browser_sign_in(live_provider: IdentityProvider, azure_standin: AzureStandIn, live_server) -> None:
    azure_user = azure_standin.add_user(live_provider.tenant_id, UPN, groups=[ALLOWED_GROUP])
    provision(live_provider, UPN, azure_user.oid)

    url, text = sign_in_with_browser(live_server.url, UPN, selector="#signed-in-as", screenshot="signed-in")

    assert url == f"{live_server.url}/signed-in/"
    assert text == f"Signed in as {UPN} to Acme."


def test_browser_refusal_outside_access_groups(
    live_provider: IdentityProvider, azure_standin: AzureStandIn, live_server
) -> None:
    outsider = "grace@acme.example.com"
    azure_user = azure_standin.add_user(
        live_provider.tenant_id, outsider, groups=["3c9a1b2d-0000-4000-8000-000000000099"]
    )
    provision(live_provider, outsider, azure_user.oid)

    url, code = sign_in_with_browser(live_server.url, outsider, selector="#refusal-code", screenshot="refused")

    assert url.startswith(f"{live_server.url}/complete/azuread-v2-tenant-oauth2/?")
    assert code == "NOT_IN_ACCESS_GROUPS"
