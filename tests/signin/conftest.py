"""Fixtures for sign-in tests: the Azure AD stand-in and a provider wired to it."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from django.http import HttpResponse
from django.test import Client

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


class Browser:
    """Drives a sign-in as a browser would: the Django test client for p81, requests for the stand-in."""

    def __init__(self, client: Client, standin: AzureStandIn) -> None:
        self.client = client
        self.standin = standin
        self.last_authorize_url = ""
        self.last_callback_url = ""

    def start(self, email: str) -> HttpResponse:
        return self.client.post("/login/", {"email": email})

    def sign_in(self, email: str) -> HttpResponse:
        """Submit the email form, let the stand-in sign the user in, and return p81's callback response."""
        response = self.start(email)
        if response.status_code != 302:
            return response
        self.last_authorize_url = response["Location"]
        azure = requests.get(self.last_authorize_url, allow_redirects=False, timeout=10)
        assert azure.status_code == 302, f"the stand-in showed an error page: {azure.text}"
        self.last_callback_url = azure.headers["Location"]
        return self.callback(self.last_callback_url)

    def callback(self, url: str) -> HttpResponse:
        parts = urlsplit(url)
        assert parts.netloc == "testserver", url
        return self.client.get(parts.path, dict(parse_qsl(parts.query)))


@pytest.fixture
def browser(client: Client, azure_standin: AzureStandIn, settings: Any) -> Browser:
    settings.P81_PUBLIC_URL = "http://testserver"
    return Browser(client, azure_standin)


@pytest.fixture
def standin_tenant(standin_provider: IdentityProvider) -> str:
    return standin_provider.tenant_id
