"""The administrator's whole flow in a real browser against a live server.

Headless Chromium (Debian's package, driven by Playwright) signs in, adds
an Azure AD provider with aliases and access groups, turns SCIM on and
generates a token. The test then sends real SCIM requests to the same
server with the URL and token shown on the page, and they must appear in
the provisioning log.

Screenshots go to the folder named by P81_SCREENSHOT_DIR (the README's
pictures come from `P81_SCREENSHOT_DIR=docs/screenshots`), else to the
test's temporary folder.
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.console.conftest import ADMIN_PASSWORD, CLIENT_ID, CLIENT_SECRET, TENANT_ID, make_admin
from workspaces.models import Workspace

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
GROUP_ID = "5d2c9a31-7b44-4c1e-9f0a-2b8e6f3d1c77"
VIEWPORT = {"width": 1366, "height": 900}
# Milliseconds Playwright waits for a page or an element before failing.
TIMEOUT_MS = 15_000

pytestmark = [
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing: apt-get install chromium"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def browser_page(monkeypatch) -> Iterator:
    """A Playwright page in headless Chromium with clipboard access."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread. The test's
    # ORM calls are still synchronous, so Django's async guard is lifted.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        try:
            yield page
        finally:
            context.close()
            browser.close()


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("P81_SCREENSHOT_DIR") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def scim_request(method: str, url: str, token: str, body: dict | None = None) -> tuple[int, dict]:
    """Send one SCIM request as Azure does and return (status, JSON body)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 (the URL is the live test server)
        url,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def scim_user(user_name: str) -> dict:
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "active": True,
        "displayName": "Ann Example",
        "emails": [{"primary": True, "type": "work", "value": user_name}],
        "name": {"givenName": "Ann", "familyName": "Example"},
        "externalId": "ann",
    }


def test_admin_sets_up_azure_ad_and_scim(live_server, settings, browser_page, screenshot_dir: Path) -> None:
    from playwright.sync_api import expect

    settings.P81_PUBLIC_URL = live_server.url
    workspace = Workspace.objects.create(name="Acme", slug="acme")
    make_admin(workspace, "alice", "alice@acme.example.com")
    page = browser_page

    def shoot(name: str) -> None:
        page.screenshot(path=str(screenshot_dir / f"{name}.png"), full_page=True)

    # Sign in with the email address.
    page.goto(f"{live_server.url}/settings/identity-providers/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/settings/identity-providers/")
    page.fill("#id_username", "alice@acme.example.com")
    page.fill("#id_password", ADMIN_PASSWORD)
    shoot("01-sign-in")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Identity Providers")

    # Settings > Identity Providers > + Add Provider > Microsoft Azure AD.
    page.click("a:has-text('+ Add Provider')")
    page.click('a.choice:has-text("Microsoft Azure AD")')
    expect(page.locator("h1")).to_have_text("Add Microsoft Azure AD")
    page.fill("#id_display_name", "Contoso Entra ID")
    page.fill("#id_domain", "contoso.onmicrosoft.com")
    page.fill("#id_aliases", "contoso.com\nContoso.co.uk")
    page.fill("#id_client_id", "not-a-guid")
    page.fill("#id_tenant_id", TENANT_ID)
    page.fill("#id_client_secret", CLIENT_SECRET)
    page.fill("#id_client_secret_expires_on", "2099-06-30")
    page.click("button:has-text('Add provider')")

    # A wrong client ID is reported next to its field, and the secret must be typed again.
    expect(page.locator("#field-client_id .error")).to_contain_text("is not a valid client ID")
    expect(page.locator("#id_client_secret")).to_have_value("")
    shoot("02-add-provider-validation")
    page.fill("#id_client_id", CLIENT_ID)
    page.fill("#id_client_secret", CLIENT_SECRET)
    page.click("button:has-text('Add provider')")

    # The provider page shows what to paste into Azure, never the secret.
    expect(page.locator(".messages")).to_contain_text("Provider 'Contoso Entra ID' added")
    expect(page.locator("#copy-redirect-url")).to_have_value(f"{live_server.url}/complete/azuread-v2-tenant-oauth2/")
    expect(page.locator("#copy-sign-on-url")).to_have_value(f"{live_server.url}/login/?workspace=acme")
    assert CLIENT_SECRET not in page.content()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.click("[data-copy-target=copy-redirect-url]")
    expect(page.locator("[data-copy-target=copy-redirect-url]")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == f"{live_server.url}/complete/azuread-v2-tenant-oauth2/"
    shoot("03-provider-page")

    # Access groups.
    page.click(".tabs >> text=Access groups")
    page.fill("#id_groups", f"{GROUP_ID} Sales")
    page.click("button:has-text('Save access groups')")
    expect(page.locator(".messages")).to_contain_text("Only members of 1 group(s) (Sales)")
    shoot("04-access-groups")

    # SCIM: turn on, generate the token, read the values Azure needs.
    page.click(".tabs >> text=SCIM")
    page.click("button:has-text('Turn On')")
    expect(page.locator(".messages")).to_contain_text("SCIM provisioning is on")
    page.click("button:has-text('Generate Token')")
    expect(page.locator(".warning")).to_contain_text("p81 does not store it and cannot show it again")
    token = page.locator("#copy-scim-token").input_value()
    base_url = page.locator("#copy-scim-base-url").input_value()
    assert token.startswith("p81scim_")
    assert base_url == f"{live_server.url}/scim/v2/acme"
    shoot("05-scim-token")

    # A SCIM client (here urllib, as Azure would) uses the pasted URL and token.
    status, body = scim_request("POST", f"{base_url}/Users", token, scim_user("ann@contoso.com"))
    assert status == 201, body
    status, body = scim_request("POST", f"{base_url}/Users", token, scim_user("ann@contoso.com"))
    assert status == 409, body

    # The provisioning log shows both requests, the failure with what to do.
    page.click("a:has-text('Done')")
    page.click(".tabs >> text=Provisioning log")
    expect(page.locator("table.log")).to_contain_text("ann@contoso.com")
    expect(page.locator("table.log")).to_contain_text("201 Success")
    expect(page.locator(".failure-detail")).to_contain_text("SCIM error (uniqueness)")
    expect(page.locator(".failure-detail")).to_contain_text("What to do:")
    shoot("06-provisioning-log")
    page.select_option("select[name=status]", "failure")
    page.click("button:has-text('Filter')")
    expect(page.locator("table.log tbody tr.failed")).to_have_count(1)
    expect(page.locator("table.log tbody tr.ok")).to_have_count(0)

    # Users and audit log.
    page.click(".sidebar >> text=Users")
    expect(page.locator("table")).to_contain_text("ann@contoso.com")
    shoot("07-users")
    page.click(".sidebar >> text=Audit log")
    for action in ("provider.create", "provider.access_groups", "provider.scim_on", "scim_token.generate"):
        expect(page.locator("table.audit")).to_contain_text(action)
    assert token not in page.content()
    assert CLIENT_SECRET not in page.content()
    shoot("08-audit-log")

    page.click(".sidebar >> text=Identity Providers")
    expect(page.locator("table")).to_contain_text("contoso.co.uk")
    expect(page.locator("table")).to_contain_text("SCIM on")
    expect(page.locator("table")).to_contain_text("Last SCIM request")
    shoot("09-provider-list")


def test_chromium_is_debian_package() -> None:
    assert shutil.which("chromium") == CHROMIUM
