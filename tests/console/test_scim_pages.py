"""Provider SCIM page, token generation, provisioning log and access groups in the admin UI."""

from __future__ import annotations

import logging
import re

import pytest
from django.test import Client

from audit.models import AuditEntry
from directory.models import DirectoryGroup, DirectoryGroupMember, DirectoryUser
from identity_providers.models import AccessGroup, IdentityProvider
from scim.models import ProvisioningLogEntry, ScimToken
from scim.tokens import authenticate_token, generate_token

pytestmark = pytest.mark.django_db

GROUP_A = "aaaaaaaa-1111-4111-8111-111111111111"
GROUP_B = "bbbbbbbb-2222-4222-8222-222222222222"


def url(provider: IdentityProvider, suffix: str) -> str:
    return f"/settings/identity-providers/{provider.public_id}/{suffix}"


def shown_token(html: str) -> str:
    match = re.search(r'id="copy-scim-token" type="text" value="([^"]+)"', html)
    assert match, "no token field on the page"
    return match.group(1)


# SCIM on/off ----------------------------------------------------------------


def test_scim_page_shows_base_url_with_copy(admin_client: Client, provider: IdentityProvider, settings) -> None:
    settings.P81_PUBLIC_URL = "https://p81.example.com"

    response = admin_client.get(url(provider, "scim/"))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="https://p81.example.com/scim/v2/acme"' in html
    assert 'data-copy-target="copy-scim-base-url"' in html
    assert "Turn Off" in html


def test_scim_turn_off_and_on_audited(admin_client: Client, admin_user, provider: IdentityProvider) -> None:
    admin_client.post(url(provider, "scim/"), {"scim": "off"})
    provider.refresh_from_db()
    assert provider.scim_enabled is False

    response = admin_client.post(url(provider, "scim/"), {"scim": "on"}, follow=True)

    provider.refresh_from_db()
    assert provider.scim_enabled is True
    assert b"Turn Off" in response.content
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "actor_id"))
    assert actions == [("provider.scim_off", admin_user.pk), ("provider.scim_on", admin_user.pk)]


def test_scim_turn_off_rejects_tokens(admin_client: Client, provider: IdentityProvider) -> None:
    value = generate_token(provider).value

    admin_client.post(url(provider, "scim/"), {"scim": "off"})

    assert authenticate_token(value) is None


def test_group_provisioning_switch_audited(admin_client: Client, admin_user, provider: IdentityProvider) -> None:
    off = admin_client.post(url(provider, "scim/"), {"group_provisioning": "off"}, follow=True)
    provider.refresh_from_db()
    disabled = provider.group_provisioning_enabled
    admin_client.post(url(provider, "scim/"), {"group_provisioning": "on"})
    provider.refresh_from_db()

    assert disabled is False
    assert "Provision Microsoft Entra ID Groups" in off.content.decode()
    assert provider.group_provisioning_enabled is True
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["provider.group_provisioning_off", "provider.group_provisioning_on"]


def test_group_provisioning_off_refuses_scim_group_writes(admin_client: Client, provider: IdentityProvider) -> None:
    token = generate_token(provider).value
    admin_client.post(url(provider, "scim/"), {"group_provisioning": "off"})
    scim = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    probe = scim.get("/scim/v2/acme/Groups?excludedAttributes=members&filter=displayName+eq+%22x%22")
    write = scim.post(
        "/scim/v2/acme/Groups",
        '{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Sales"}',
        content_type="application/scim+json",
    )

    assert probe.status_code == 200
    assert probe.json()["totalResults"] == 0
    assert write.status_code == 400
    assert "Provision Microsoft Entra ID Groups" in write.json()["detail"]


def test_scim_invalid_action_changes_nothing(admin_client: Client, provider: IdentityProvider) -> None:
    response = admin_client.post(url(provider, "scim/"), {"scim": "maybe"}, follow=True)

    assert b"Choose Turn On or Turn Off" in response.content
    assert not AuditEntry.objects.exists()


# Token ----------------------------------------------------------------------


def test_generate_token_shown_once(admin_client: Client, provider: IdentityProvider) -> None:
    response = admin_client.post(url(provider, "scim/token/"))

    html = response.content.decode()
    value = shown_token(html)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "does not store it and cannot show it again" in html
    assert authenticate_token(value).provider == provider

    for page in ("scim/", "", "provisioning-log/"):
        assert value not in admin_client.get(url(provider, page)).content.decode()
    assert value not in admin_client.get("/settings/audit-log/").content.decode()


def test_generate_token_audited_without_value(admin_client: Client, admin_user, provider: IdentityProvider) -> None:
    response = admin_client.post(url(provider, "scim/token/"))

    value = shown_token(response.content.decode())
    entry = AuditEntry.objects.get(action="scim_token.generate")
    assert entry.actor == admin_user
    assert value not in str(entry.changes)
    assert entry.changes["revoked_previous"]["after"] is False


def test_regenerate_requires_confirmation(admin_client: Client, provider: IdentityProvider) -> None:
    old = generate_token(provider)

    response = admin_client.post(url(provider, "scim/token/"))

    html = response.content.decode()
    assert "is <strong>revoked</strong>" in html
    assert old.token.prefix in html
    assert 'name="confirm_revoke" value="yes"' in html
    assert 'id="copy-scim-token"' not in html
    assert authenticate_token(old.value) is not None
    assert ScimToken.objects.filter(provider=provider).count() == 1


def test_regenerate_confirmed_revokes_old(admin_client: Client, provider: IdentityProvider) -> None:
    old = generate_token(provider)

    response = admin_client.post(url(provider, "scim/token/"), {"confirm_revoke": "yes"})

    new_value = shown_token(response.content.decode())
    assert authenticate_token(old.value) is None
    assert authenticate_token(new_value) is not None
    assert AuditEntry.objects.get(action="scim_token.generate").changes["revoked_previous"]["after"] is True


def test_token_confirmation_page_get(admin_client: Client, provider: IdentityProvider) -> None:
    generate_token(provider)

    response = admin_client.get(url(provider, "scim/token/"))

    assert response.status_code == 200
    assert b"Revoke the current token" in response.content


def test_scim_page_shows_active_token_prefix_only(admin_client: Client, provider: IdentityProvider) -> None:
    issued = generate_token(provider)

    html = admin_client.get(url(provider, "scim/")).content.decode()

    assert issued.token.prefix in html
    assert issued.value not in html
    assert "Generate new token" in html


def test_token_absent_from_logs(admin_client: Client, provider: IdentityProvider, caplog) -> None:
    caplog.set_level(logging.DEBUG)

    response = admin_client.post(url(provider, "scim/token/"))

    value = shown_token(response.content.decode())
    assert "scim token issued" in caplog.text
    assert value not in caplog.text


# Provisioning log -----------------------------------------------------------


def log_entry(provider: IdentityProvider, **fields) -> ProvisioningLogEntry:
    defaults = {"method": "POST", "path": "/scim/v2/acme/Users", "operation": "user.create", "status": 201}
    return ProvisioningLogEntry.objects.create(
        workspace=provider.workspace, provider=provider, **{**defaults, **fields}
    )


def test_log_shows_failure_with_error_and_hint(admin_client: Client, provider: IdentityProvider) -> None:
    log_entry(provider, user_name="ok@acme.example.com")
    log_entry(
        provider,
        user_name="dup@acme.example.com",
        status=409,
        scim_type="uniqueness",
        error_detail="userName 'dup@acme.example.com' is already taken in this workspace",
    )

    html = admin_client.get(url(provider, "provisioning-log/")).content.decode()

    assert "ok@acme.example.com" in html
    assert "409 Failure" in html
    assert "SCIM error (uniqueness):" in html
    assert "is already taken in this workspace" in html
    assert "What to do:" in html
    assert "delete the stale user from the Users page" in html


def test_log_newest_first(admin_client: Client, provider: IdentityProvider) -> None:
    log_entry(provider, user_name="first@acme.example.com")
    log_entry(provider, user_name="second@acme.example.com")

    html = admin_client.get(url(provider, "provisioning-log/")).content.decode()

    assert html.index("second@acme.example.com") < html.index("first@acme.example.com")


@pytest.mark.parametrize(
    ("query", "expected", "absent"),
    [
        ("status=failure", "bad@", "good@"),
        ("status=success", "good@", "bad@"),
        ("operation=user.replace", "bad@", "good@"),
        ("user=good", "good@", "bad@"),
    ],
)
def test_log_filters(admin_client: Client, provider: IdentityProvider, query: str, expected: str, absent: str) -> None:
    log_entry(provider, user_name="good@acme.example.com")
    log_entry(
        provider, user_name="bad@acme.example.com", status=400, operation="user.replace", scim_type="invalidValue"
    )

    html = admin_client.get(url(provider, f"provisioning-log/?{query}")).content.decode()

    assert expected in html
    assert absent not in html


def test_log_paginates(admin_client: Client, provider: IdentityProvider) -> None:
    for number in range(55):
        log_entry(provider, user_name=f"user{number:02d}@acme.example.com")

    first = admin_client.get(url(provider, "provisioning-log/")).content.decode()
    second = admin_client.get(url(provider, "provisioning-log/?page=2")).content.decode()

    assert "Page 1 of 2 (55 in all)" in first
    assert "user54@" in first
    assert "user00@" not in first
    assert "user00@" in second


def test_log_hides_other_workspace_entries(
    admin_client: Client, provider: IdentityProvider, other_provider: IdentityProvider
) -> None:
    log_entry(other_provider, user_name="secret@globex.example.com")

    html = admin_client.get(url(provider, "provisioning-log/")).content.decode()

    assert "secret@globex" not in html


# Access groups --------------------------------------------------------------


def test_access_groups_empty_means_everyone(admin_client: Client, provider: IdentityProvider) -> None:
    html = admin_client.get(url(provider, "access-groups/")).content.decode()

    assert "every user of the Azure AD directory can sign in" in html


def test_access_groups_save_and_audit(admin_client: Client, provider: IdentityProvider) -> None:
    response = admin_client.post(
        url(provider, "access-groups/"), {"groups": f"{GROUP_A.upper()} Sales\n{GROUP_B}, Support"}, follow=True
    )

    groups = list(AccessGroup.objects.filter(provider=provider).values_list("object_id", "display_name"))
    assert groups == [(GROUP_A, "Sales"), (GROUP_B, "Support")]
    html = response.content.decode()
    assert "Only members of 2 group(s)" in html
    entry = AuditEntry.objects.get(action="provider.access_groups")
    assert entry.changes["access_groups"]["after"] == [f"Sales ({GROUP_A})", f"Support ({GROUP_B})"]


def test_access_groups_invalid_id_rejected(admin_client: Client, provider: IdentityProvider) -> None:
    response = admin_client.post(url(provider, "access-groups/"), {"groups": "sales-team"})

    assert response.status_code == 400
    assert b"is not a valid group object ID" in response.content
    assert not AccessGroup.objects.exists()


def test_access_groups_duplicate_rejected(admin_client: Client, provider: IdentityProvider) -> None:
    response = admin_client.post(url(provider, "access-groups/"), {"groups": f"{GROUP_A} A\n{GROUP_A} B"})

    assert response.status_code == 400
    assert b"is listed twice" in response.content


def test_access_groups_cleared(admin_client: Client, provider: IdentityProvider) -> None:
    AccessGroup.objects.create(provider=provider, object_id=GROUP_A, display_name="Sales")

    response = admin_client.post(url(provider, "access-groups/"), {"groups": ""}, follow=True)

    assert not AccessGroup.objects.exists()
    assert b"Every user of the Azure AD directory can sign in" in response.content


def test_access_groups_pick_scim_groups_and_show_affected(admin_client: Client, provider: IdentityProvider) -> None:
    workspace = provider.workspace
    sales = DirectoryGroup.objects.create(
        workspace=workspace, source=provider, display_name="Sales", external_id=GROUP_A
    )
    DirectoryGroup.objects.create(workspace=workspace, source=provider, display_name="Support", external_id=GROUP_B)
    member = DirectoryUser.objects.create(workspace=workspace, source=provider, user_name="in@acme.example.com")
    DirectoryUser.objects.create(workspace=workspace, source=provider, user_name="out@acme.example.com")
    DirectoryGroupMember.objects.create(group=sales, user=member)

    page = admin_client.get(url(provider, "access-groups/")).content.decode()
    response = admin_client.post(url(provider, "access-groups/"), {"scim_groups": [GROUP_A], "groups": ""}, follow=True)

    assert f'value="{GROUP_A}"' in page
    assert "Groups provisioned by Azure" in page
    assert list(AccessGroup.objects.values_list("object_id", "display_name")) == [(GROUP_A, "Sales")]
    html = response.content.decode()
    assert "Of the 2 provisioned user(s), 1 can sign in and 1 can no longer: out@acme.example.com." in html


def test_access_groups_scim_choice_must_be_offered(admin_client: Client, provider: IdentityProvider) -> None:
    DirectoryGroup.objects.create(
        workspace=provider.workspace, source=provider, display_name="Sales", external_id=GROUP_A
    )

    response = admin_client.post(url(provider, "access-groups/"), {"scim_groups": [GROUP_B]})

    assert response.status_code == 400
    assert not AccessGroup.objects.exists()
