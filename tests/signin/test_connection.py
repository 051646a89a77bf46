"""Test connection through msal against the Azure AD stand-in: one test per outcome."""

from __future__ import annotations

import datetime
import socket
import threading

import pytest

from identity_providers.connection import check_connection
from identity_providers.models import ConnectionStatus, IdentityProvider
from tests.azure_standin.server import AzureStandIn

from .conftest import CLIENT_SECRET


def reload(provider: IdentityProvider) -> IdentityProvider:
    return IdentityProvider.objects.get(pk=provider.pk)


def test_connection_ok_stores_status(standin_provider: IdentityProvider, azure_standin: AzureStandIn) -> None:
    result = check_connection(standin_provider)

    assert result.status == ConnectionStatus.OK
    assert result.ok
    assert result.fix == ""
    stored = reload(standin_provider)
    assert stored.connection_status == ConnectionStatus.OK
    assert stored.connection_checked_at == result.checked_at
    assert stored.connection_detail == result.detail
    token_requests = azure_standin.requests_to("/oauth2/v2.0/token")
    assert len(token_requests) == 1
    assert token_requests[0]["form"]["grant_type"] == "client_credentials"
    assert token_requests[0]["form"]["scope"] == f"{azure_standin.url}/.default"
    assert token_requests[0]["path"] == f"/{standin_provider.tenant_id}/oauth2/v2.0/token"


def test_connection_ok_reads_secret_expiry_from_graph(
    standin_provider: IdentityProvider, azure_standin: AzureStandIn
) -> None:
    ends = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=10)
    azure_standin.apps[standin_provider.client_id].secrets[0].expires_at = ends

    result = check_connection(standin_provider)

    assert result.status == ConnectionStatus.OK
    assert result.secret_expires_on == ends.date()
    assert f"expires on {ends.date().isoformat()}" in result.detail
    assert "create a new one" in result.detail


def test_connection_ok_without_graph_permission_uses_entered_date(
    standin_provider: IdentityProvider, azure_standin: AzureStandIn
) -> None:
    azure_standin.apps[standin_provider.client_id].can_read_applications = False
    standin_provider.client_secret_expires_on = datetime.date(2030, 1, 31)
    standin_provider.save()

    result = check_connection(standin_provider)

    assert result.status == ConnectionStatus.OK
    assert result.secret_expires_on == datetime.date(2030, 1, 31)
    assert "expires on 2030-01-31." in result.detail


def test_connection_unknown_tenant(standin_provider: IdentityProvider) -> None:
    standin_provider.tenant_id = "00000000-0000-0000-0000-00000000dead"
    standin_provider.save()

    result = check_connection(standin_provider)

    assert result.status == ConnectionStatus.UNKNOWN_TENANT
    assert result.aadsts_code == 90002
    assert "00000000-0000-0000-0000-00000000dead" in result.message
    assert "Directory (tenant) ID" in result.fix
    assert reload(standin_provider).connection_status == ConnectionStatus.UNKNOWN_TENANT


def test_connection_invalid_client_id(standin_provider: IdentityProvider) -> None:
    standin_provider.client_id = "11111111-2222-3333-4444-555555555555"
    standin_provider.save()

    result = check_connection(standin_provider)

    assert result.status == ConnectionStatus.INVALID_CLIENT_ID
    assert result.aadsts_code == 700016
    assert "Application (client) ID" in result.fix
    assert reload(standin_provider).connection_status == ConnectionStatus.INVALID_CLIENT_ID


def test_connection_invalid_secret(standin_provider: IdentityProvider) -> None:
    standin_provider.set_client_secret("Xyz8Q~wrong-secret-value", None)
    standin_provider.save()

    result = check_connection(standin_provider)

    assert result.status == ConnectionStatus.INVALID_SECRET
    assert result.aadsts_code == 7000215
    assert "not its Secret ID" in result.fix
    assert "Xyz8Q~wrong-secret-value" not in result.detail
    assert "Xyz8Q~wrong-secret-value" not in reload(standin_provider).connection_detail


def test_connection_expired_secret(standin_provider: IdentityProvider, azure_standin: AzureStandIn) -> None:
    azure_standin.apps[standin_provider.client_id].secrets[0].expires_at = datetime.datetime(
        2020, 1, 1, tzinfo=datetime.UTC
    )

    result = check_connection(standin_provider)

    assert result.status == ConnectionStatus.EXPIRED_SECRET
    assert result.aadsts_code == 7000222
    assert "Create a new client secret" in result.fix


def test_connection_unreachable_when_port_closed(standin_provider: IdentityProvider) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    standin_provider.authority_host = f"https://127.0.0.1:{closed_port}"
    standin_provider.save()

    result = check_connection(standin_provider)

    assert result.status == ConnectionStatus.UNREACHABLE
    assert "could not be reached" in result.message
    assert "firewall" in result.fix
    assert reload(standin_provider).connection_status == ConnectionStatus.UNREACHABLE


def test_connection_unreachable_on_timeout(standin_provider: IdentityProvider) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept_and_stay_silent() -> None:
        silent.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(silent.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept_and_stay_silent, daemon=True)
    thread.start()
    standin_provider.authority_host = f"https://127.0.0.1:{silent.getsockname()[1]}"
    standin_provider.save()
    try:
        result = check_connection(standin_provider, timeout=0.5)
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        silent.close()

    # msal's HTTP client retries a read timeout once and then reports it as
    # a ConnectionError, so the message names the host, not the timeout.
    assert result.status == ConnectionStatus.UNREACHABLE
    assert result.message.startswith(standin_provider.authority_host)


def test_connection_missing_settings_is_error(provider: IdentityProvider) -> None:
    result = check_connection(provider)

    assert result.status == ConnectionStatus.ERROR
    assert result.message == "The provider has no tenant ID and no client ID and no client secret yet."


def test_connection_uses_fresh_client_each_time(
    standin_provider: IdentityProvider, azure_standin: AzureStandIn
) -> None:
    assert check_connection(standin_provider).status == ConnectionStatus.OK
    azure_standin.apps[standin_provider.client_id].secrets[0].value = "Rotated~secret-value"

    result = check_connection(standin_provider)

    assert result.status == ConnectionStatus.INVALID_SECRET
    assert len(azure_standin.requests_to("/oauth2/v2.0/token")) == 2


@pytest.mark.parametrize("secret", [CLIENT_SECRET])
def test_connection_never_logs_secret(
    standin_provider: IdentityProvider, caplog: pytest.LogCaptureFixture, secret: str
) -> None:
    standin_provider.set_client_secret(secret + "-wrong", None)
    standin_provider.save()

    with caplog.at_level("DEBUG"):
        check_connection(standin_provider)

    assert secret not in caplog.text
