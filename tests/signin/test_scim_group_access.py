"""Access groups decided by SCIM-provisioned groups when neither the id_token nor Graph can tell."""

from __future__ import annotations

import uuid

import pytest

from audit.models import AuditEntry
from directory.groups import MembershipChange, change_members, create_group
from identity_providers.models import IdentityProvider
from tests.azure_standin.server import AzureStandIn

from .conftest import Browser
from .test_access_groups import ALLOWED_GROUP, allow_group
from .test_signin_flow import UPN, provision, refusal_code

pytestmark = pytest.mark.django_db


def provision_with_scim_group(
    azure_standin: AzureStandIn, provider: IdentityProvider, *, in_allowed_group: bool
) -> None:
    """Provision the user and an allowed group over the directory functions; Graph is down, no groups claim."""
    azure_user = azure_standin.add_user(provider.tenant_id, UPN, groups=[ALLOWED_GROUP] if in_allowed_group else [])
    directory_user = provision(provider, UPN, azure_user.oid)
    allowed = create_group(
        provider.workspace, {"displayName": "p81 users", "externalId": ALLOWED_GROUP}, source=provider
    )
    create_group(provider.workspace, {"displayName": "Other", "externalId": str(uuid.uuid4())}, source=provider)
    if in_allowed_group:
        change = MembershipChange()
        change.add([str(directory_user.pk)])
        change_members(allowed, change)

    azure_standin.apps[provider.client_id].emit_groups_claim = False
    azure_standin.graph_unavailable = True


def test_scim_group_member_admitted_when_graph_down(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider
) -> None:
    allow_group(standin_provider)
    provision_with_scim_group(azure_standin, standin_provider, in_allowed_group=True)

    response = browser.sign_in(UPN)

    assert response.status_code == 302
    entry = AuditEntry.objects.get(workspace=standin_provider.workspace, action="sign_in.access_granted")
    assert entry.changes == {"access_group_source": "scim"}


def test_scim_group_outsider_refused_when_graph_down(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider
) -> None:
    allow_group(standin_provider)
    provision_with_scim_group(azure_standin, standin_provider, in_allowed_group=False)

    response = browser.sign_in(UPN)

    assert refusal_code(response) == "NOT_IN_ACCESS_GROUPS"
    entry = AuditEntry.objects.get(workspace=standin_provider.workspace, action="sign_in.refused")
    assert "provisioned over SCIM" in entry.changes["detail"]


def test_graph_down_without_scim_groups_is_idp_error(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider
) -> None:
    allow_group(standin_provider)
    azure_user = azure_standin.add_user(standin_provider.tenant_id, UPN, groups=[ALLOWED_GROUP])
    provision(standin_provider, UPN, azure_user.oid)
    azure_standin.apps[standin_provider.client_id].emit_groups_claim = False
    azure_standin.graph_unavailable = True

    response = browser.sign_in(UPN)

    assert refusal_code(response) == "IDP_ERROR"


def test_groups_claim_decides_before_scim(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider
) -> None:
    allow_group(standin_provider)
    azure_user = azure_standin.add_user(standin_provider.tenant_id, UPN, groups=[ALLOWED_GROUP])
    provision(standin_provider, UPN, azure_user.oid)
    create_group(
        standin_provider.workspace, {"displayName": "p81 users", "externalId": ALLOWED_GROUP}, source=standin_provider
    )

    response = browser.sign_in(UPN)

    assert response.status_code == 302
    entry = AuditEntry.objects.get(workspace=standin_provider.workspace, action="sign_in.access_granted")
    assert entry.changes == {"access_group_source": "id_token"}
