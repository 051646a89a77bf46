"""Fixtures for sign-in tests: the Azure AD stand-in and a provider wired to it."""

from __future__ import annotations

import pytest

from identity_providers.models import IdentityProvider
from tests.azure_standin import fixtures as standin_fixtures
from tests.azure_standin.server import AzureStandIn

# The stand-in's fixtures, made visible to this package's tests.
standin_certificates = standin_fixtures.standin_certificates
azure_standin = standin_fixtures.azure_standin

CLIENT_SECRET = "Abc8Q~stand-in-client-secret-value"


@pytest.fixture
def standin_provider(provider: IdentityProvider, azure_standin: AzureStandIn) -> IdentityProvider:
    """The `acme` provider, registered as a single-tenant app in a stand-in tenant."""
    tenant_id = azure_standin.add_tenant()
    app = azure_standin.add_app(
        tenant_id,
        secret=CLIENT_SECRET,
        redirect_uris=["http://testserver/complete/azuread-v2-tenant-oauth2/"],
    )
    provider.tenant_id = tenant_id
    provider.client_id = app.client_id
    provider.set_client_secret(CLIENT_SECRET, None)
    provider.authority_host = azure_standin.url
    provider.graph_url = azure_standin.url
    provider.save()
    return provider
