"""Fixtures for REST API tests: administrators, API tokens and JSON clients."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from api.tokens import create_api_token
from identity_providers.services import Actor
from tests.console.conftest import (  # noqa: F401 (fixtures)
    ADMIN_PASSWORD,
    CLIENT_ID,
    CLIENT_SECRET,
    TENANT_ID,
    admin_user,
    other_admin,
)


def token_client(user, workspace) -> APIClient:
    issued = create_api_token(workspace, Actor(user=user, source="api"), "tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.value}")
    client.token_value = issued.value
    return client


@pytest.fixture
def api(admin_user, workspace) -> APIClient:  # noqa: F811 (fixture imported above)
    """An API client authenticated with an API token of `alice` (administrator of `workspace`)."""
    return token_client(admin_user, workspace)


@pytest.fixture
def other_api(other_admin, other_workspace) -> APIClient:  # noqa: F811 (fixture imported above)
    """An API client authenticated as `bob`, administrator of `other_workspace`."""
    return token_client(other_admin, other_workspace)


@pytest.fixture
def provider_payload() -> dict:
    """A valid JSON body to create a provider."""
    return {
        "display_name": "Contoso Entra ID",
        "domain": "Contoso.onmicrosoft.com",
        "aliases": ["contoso.com", "CONTOSO.co.uk"],
        "client_id": CLIENT_ID,
        "tenant_id": TENANT_ID,
        "client_secret": CLIENT_SECRET,
        "client_secret_expires_on": "2099-01-31",
    }
