"""Access groups (with overage through Graph) and multi-tenant allow-lists, end to end."""

from __future__ import annotations

import uuid

import pytest

from audit.models import AuditEntry
from identity_providers.models import AccessGroup, IdentityProvider
from tests.azure_standin.server import AzureStandIn

from .conftest import Browser
from .test_signin_flow import UPN, provision, refusal_code

pytestmark = pytest.mark.django_db

ALLOWED_GROUP = "5a1d7c3e-6b8f-4a2e-9c1d-000000000001"


def group_ids(count: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(count)]


def allow_group(provider: IdentityProvider, object_id: str = ALLOWED_GROUP) -> None:
    AccessGroup.objects.create(provider=provider, object_id=object_id.upper(), display_name="p81 users")


def add_ada(standin: AzureStandIn, provider: IdentityProvider, groups: list[str]) -> None:
    azure_user = standin.add_user(provider.tenant_id, UPN, groups=groups)
    provision(provider, UPN, azure_user.oid)


def test_member_of_access_group_signs_in(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider
) -> None:
    allow_group(standin_provider)
    add_ada(azure_standin, standin_provider, [*group_ids(3), ALLOWED_GROUP])

    response = browser.sign_in(UPN)

    assert response.status_code == 302
    assert not azure_standin.requests_to("/transitiveMemberOf/microsoft.graph.group")


def test_outside_access_groups_is_refused(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider
) -> None:
    allow_group(standin_provider)
    add_ada(azure_standin, standin_provider, group_ids(3))

    response = browser.sign_in(UPN)

    assert response.status_code == 403
    assert refusal_code(response) == "NOT_IN_ACCESS_GROUPS"
    entry = AuditEntry.objects.get(workspace=standin_provider.workspace, action="sign_in.refused")
    assert entry.code == "NOT_IN_ACCESS_GROUPS"
    assert entry.target_id == str(standin_provider.pk)


def test_empty_allowlist_admits_everyone(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider
) -> None:
    add_ada(azure_standin, standin_provider, [])

    assert browser.sign_in(UPN).status_code == 302


@pytest.mark.parametrize("member", [True, False], ids=["member", "not-member"])
def test_overage_resolved_through_graph_pages(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider, member: bool
) -> None:
    allow_group(standin_provider)
    groups = group_ids(250)
    if member:
        groups[-1] = ALLOWED_GROUP
    add_ada(azure_standin, standin_provider, groups)
    azure_standin.graph_page_size = 100

    response = browser.sign_in(UPN)

    graph_calls = azure_standin.requests_to("/v1.0/me/transitiveMemberOf/microsoft.graph.group")
    assert len(graph_calls) == 3
    assert all(call["headers"]["Authorization"].startswith("Bearer ") for call in graph_calls)
    if member:
        assert response.status_code == 302
    else:
        assert refusal_code(response) == "NOT_IN_ACCESS_GROUPS"


def test_overage_next_link_off_graph_host_refused(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider
) -> None:
    allow_group(standin_provider)
    add_ada(azure_standin, standin_provider, [*group_ids(250), ALLOWED_GROUP])
    azure_standin.graph_page_size = 100
    azure_standin.graph_next_link_origin = "https://127.0.0.2:9"

    response = browser.sign_in(UPN)

    assert refusal_code(response) == "IDP_ERROR"
    assert "another host" in response.content.decode()
    assert len(azure_standin.requests_to("/transitiveMemberOf/microsoft.graph.group")) == 1


def test_graph_unavailable_is_idp_error(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider
) -> None:
    allow_group(standin_provider)
    add_ada(azure_standin, standin_provider, [*group_ids(250), ALLOWED_GROUP])
    azure_standin.graph_unavailable = True

    response = browser.sign_in(UPN)

    assert refusal_code(response) == "IDP_ERROR"
    assert "returned HTTP 503" in response.content.decode()


def test_missing_groups_claim_reads_graph(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider
) -> None:
    allow_group(standin_provider)
    add_ada(azure_standin, standin_provider, [ALLOWED_GROUP])
    azure_standin.apps[standin_provider.client_id].emit_groups_claim = False

    response = browser.sign_in(UPN)

    assert response.status_code == 302
    assert len(azure_standin.requests_to("/transitiveMemberOf/microsoft.graph.group")) == 1


@pytest.fixture
def multi_tenant(azure_standin: AzureStandIn, standin_provider: IdentityProvider) -> str:
    """Make the provider multi-tenant and return a second tenant, not yet allowed."""
    app = azure_standin.apps[standin_provider.client_id]
    app.multi_tenant = True
    standin_provider.multi_tenant = True
    standin_provider.save()
    return azure_standin.add_tenant()


def test_multi_tenant_allowed_tenant_signs_in(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider, multi_tenant: str
) -> None:
    standin_provider.allowed_tenant_ids = [multi_tenant.upper()]
    standin_provider.save()
    guest = azure_standin.add_user(multi_tenant, UPN)
    provision(standin_provider, UPN, guest.oid)

    response = browser.sign_in(UPN)

    assert response.status_code == 302
    authorize = azure_standin.requests_to("/oauth2/v2.0/authorize")[0]
    assert authorize["path"] == "/organizations/oauth2/v2.0/authorize"


def test_multi_tenant_home_tenant_signs_in(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider, multi_tenant: str
) -> None:
    add_ada(azure_standin, standin_provider, [])

    assert browser.sign_in(UPN).status_code == 302


def test_multi_tenant_other_tenant_refused(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider, multi_tenant: str
) -> None:
    guest = azure_standin.add_user(multi_tenant, UPN)
    provision(standin_provider, UPN, guest.oid)

    response = browser.sign_in(UPN)

    assert response.status_code == 403
    assert refusal_code(response) == "TENANT_NOT_ALLOWED"
    assert multi_tenant in response.content.decode()
    assert AuditEntry.objects.get(workspace=standin_provider.workspace).code == "TENANT_NOT_ALLOWED"


def test_hasgroups_claim_reads_graph(
    browser: Browser, azure_standin: AzureStandIn, standin_provider: IdentityProvider
) -> None:
    allow_group(standin_provider)
    add_ada(azure_standin, standin_provider, [ALLOWED_GROUP])
    azure_standin.next_id_token_claims = {"groups": None, "hasgroups": True}

    response = browser.sign_in(UPN)

    assert response.status_code == 302
    assert len(azure_standin.requests_to("/transitiveMemberOf/microsoft.graph.group")) == 1
