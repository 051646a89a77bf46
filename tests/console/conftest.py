"""Fixtures for admin UI and API tests: an administrator of each workspace and signed-in clients."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from workspaces.models import Workspace, WorkspaceAdministrator

ADMIN_PASSWORD = "correct-horse-battery-staple"
CLIENT_ID = "11111111-2222-4333-8444-555555555555"
TENANT_ID = "66666666-7777-4888-9999-000000000000"
# A client secret shaped like Azure's; tests assert that it never leaves p81.
CLIENT_SECRET = "Xy8Q~SuperSecretValue.Do-Not-Leak_1234567890"


def make_admin(workspace: Workspace, username: str, email: str):
    user = get_user_model().objects.create_user(username=username, email=email, password=ADMIN_PASSWORD)
    WorkspaceAdministrator.objects.create(user=user, workspace=workspace)
    return user


@pytest.fixture
def admin_user(workspace: Workspace):
    """Administrator `alice` of `workspace`."""
    return make_admin(workspace, "alice", "alice@acme.example.com")


@pytest.fixture
def other_admin(other_workspace: Workspace):
    """Administrator `bob` of `other_workspace`."""
    return make_admin(other_workspace, "bob", "bob@globex.example.com")


@pytest.fixture
def admin_client(admin_user) -> Client:
    """A client signed in as `alice`."""
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def other_admin_client(other_admin) -> Client:
    """A client signed in as `bob`, administrator of the other workspace."""
    client = Client()
    client.force_login(other_admin)
    return client


@pytest.fixture
def provider_form_data() -> dict[str, str]:
    """A valid POST body of the add-provider form."""
    return {
        "display_name": "Contoso Entra ID",
        "domain": "Contoso.onmicrosoft.com",
        "aliases": "contoso.com\nCONTOSO.co.uk",
        "client_id": CLIENT_ID,
        "tenant_id": TENANT_ID,
        "client_secret": CLIENT_SECRET,
        "client_secret_expires_on": "2099-01-31",
        "enabled": "on",
    }


@pytest.fixture(autouse=True)
def clear_cache():
    """Start and end every test with an empty cache, so sign-in failure counters do not leak between tests."""
    cache.clear()
    yield
    cache.clear()
