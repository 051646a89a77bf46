"""Fixtures shared by every test package: two workspaces, each with an Azure AD provider.

Two tenants exist so that tests can check scoping from the other side: a
row of `other_workspace` must stay invisible to a request for `workspace`.
"""

from __future__ import annotations

import pytest

from identity_providers.models import IdentityProvider, ProviderDomain, ProviderKind
from workspaces.models import Workspace


def create_azure_provider(workspace: Workspace, domain: str) -> IdentityProvider:
    """Create an enabled Azure AD provider with SCIM on and `domain` as its primary domain."""
    provider = IdentityProvider.objects.create(
        workspace=workspace,
        kind=ProviderKind.AZURE_AD,
        slug="azure-ad",
        display_name="Azure AD",
        enabled=True,
        scim_enabled=True,
    )
    ProviderDomain.objects.create(provider=provider, name=domain, is_primary=True)
    return provider


@pytest.fixture
def workspace(db) -> Workspace:
    """The workspace under test, slug `acme`."""
    return Workspace.objects.create(name="Acme", slug="acme")


@pytest.fixture
def other_workspace(db) -> Workspace:
    """A second tenant, slug `globex`, whose data must never leak into `workspace`."""
    return Workspace.objects.create(name="Globex", slug="globex")


@pytest.fixture
def provider(workspace: Workspace) -> IdentityProvider:
    """The Azure AD provider of `workspace`, slug `azure-ad`, primary domain acme.example.com."""
    return create_azure_provider(workspace, "acme.example.com")


@pytest.fixture
def other_provider(other_workspace: Workspace) -> IdentityProvider:
    """The Azure AD provider of `other_workspace`, slug `azure-ad`, primary domain globex.example.com."""
    return create_azure_provider(other_workspace, "globex.example.com")
