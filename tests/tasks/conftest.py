"""Fixtures for the background job tests: administrators, a provider with a client secret, the Azure stand-in."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.contrib.auth import get_user_model

from identity_providers.models import IdentityProvider
from tests.azure_standin import fixtures as standin_fixtures
from tests.azure_standin.server import AzureStandIn
from workspaces.models import Workspace, WorkspaceAdministrator

# The stand-in's fixtures, made visible to this package's tests.
standin_certificates = standin_fixtures.standin_certificates
azure_standin = standin_fixtures.azure_standin

CLIENT_SECRET = "Abc8Q~tasks-client-secret-value"
NEW_CLIENT_SECRET = "Xyz8Q~replacement-secret-value"
# The expiry date that the reminder tests count down to.
EXPIRES_ON = datetime.date(2027, 3, 31)
# When the secret was stored, well before the first reminder.
SECRET_STORED_AT = datetime.datetime(2027, 1, 4, 9, 0, tzinfo=datetime.UTC)


def make_admin(workspace: Workspace, username: str, email: str, *, is_active: bool = True):
    user = get_user_model().objects.create_user(username=username, email=email, is_active=is_active)
    WorkspaceAdministrator.objects.create(user=user, workspace=workspace)
    return user


def morning_of(day: datetime.date) -> datetime.datetime:
    """06:00 UTC on `day`, when beat starts the daily secret expiry job."""
    return datetime.datetime.combine(day, datetime.time(6, 0), tzinfo=datetime.UTC)


@pytest.fixture
def admins(workspace: Workspace) -> list:
    """Administrators `alice` and `carol` of `workspace`, and `dave`, inactive."""
    alice = make_admin(workspace, "alice", "alice@acme.example.com")
    carol = make_admin(workspace, "carol", "carol@acme.example.com")
    make_admin(workspace, "dave", "dave@acme.example.com", is_active=False)
    return [alice, carol]


@pytest.fixture
def secret_provider(provider: IdentityProvider) -> IdentityProvider:
    """The `acme` provider with a client secret stored on SECRET_STORED_AT that expires on EXPIRES_ON.

    It has no tenant ID, so the jobs make no call to Azure for it.
    """
    provider.client_id = "11111111-2222-4333-8444-555555555555"
    with time_machine.travel(SECRET_STORED_AT, tick=False):
        provider.set_client_secret(CLIENT_SECRET, EXPIRES_ON)
    provider.save()
    return provider


@pytest.fixture
def standin_provider(provider: IdentityProvider, azure_standin: AzureStandIn) -> IdentityProvider:
    """The `acme` provider registered as an app with Application.Read.All in a stand-in tenant."""
    tenant_id = azure_standin.add_tenant()
    app = azure_standin.add_app(tenant_id, secret=CLIENT_SECRET)
    provider.tenant_id = tenant_id
    provider.client_id = app.client_id
    provider.set_client_secret(CLIENT_SECRET, None)
    provider.authority_host = azure_standin.url
    provider.graph_url = azure_standin.url
    provider.save()
    return provider
