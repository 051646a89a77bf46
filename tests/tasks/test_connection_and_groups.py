"""Connection health and access-group names jobs, against the Azure AD stand-in, and the Redis task lock."""

from __future__ import annotations

import datetime
import socket
import uuid
from typing import Any

import pytest
import redis
from celery.exceptions import Retry

from audit.models import AuditEntry
from identity_providers.models import AccessGroup, ConnectionStatus, IdentityProvider
from identity_providers.tasks import (
    check_all_connections,
    check_provider_connection,
    refresh_access_group_names,
    refresh_all_access_group_names,
    single_run_lock,
)
from tests.azure_standin import server as standin_server
from tests.azure_standin.server import AzureStandIn

# A Redis database number that only these tests use.
TEST_REDIS_URL = "redis://127.0.0.1:6379/11"
GROUP_SALES = "0a1b2c3d-0000-4000-8000-000000000001"
GROUP_FINANCE = "0a1b2c3d-0000-4000-8000-000000000002"
GROUP_GONE = "0a1b2c3d-0000-4000-8000-000000000003"


def reload(provider: IdentityProvider) -> IdentityProvider:
    return IdentityProvider.objects.get(pk=provider.pk)


def redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(TEST_REDIS_URL, socket_timeout=1).ping())
    except redis.exceptions.ConnectionError:
        return False


# Connection health --------------------------------------------------------------


def test_health_check_stores_ok(standin_provider: IdentityProvider) -> None:
    result = check_provider_connection.apply(args=(standin_provider.pk,)).get()

    assert result == {"provider": standin_provider.pk, "outcome": "ok"}
    stored = reload(standin_provider)
    assert stored.connection_status == ConnectionStatus.OK
    assert stored.connection_checked_at is not None
    assert stored.connection_detail.startswith("Azure AD accepted the tenant, client ID and client secret.")


def test_health_check_expired_secret(standin_provider: IdentityProvider, azure_standin: AzureStandIn) -> None:
    azure_standin.apps[standin_provider.client_id].secrets[0].expires_at = datetime.datetime(
        2020, 1, 1, tzinfo=datetime.UTC
    )

    result = check_provider_connection.apply(args=(standin_provider.pk,)).get()

    assert result["outcome"] == "expired_secret"
    assert reload(standin_provider).connection_status == ConnectionStatus.EXPIRED_SECRET


def test_health_check_unreachable_retries(standin_provider: IdentityProvider) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    standin_provider.authority_host = f"https://127.0.0.1:{closed_port}"
    standin_provider.save()

    with pytest.raises(Retry, match="could not be reached"):
        check_provider_connection.apply(args=(standin_provider.pk,)).get()

    assert reload(standin_provider).connection_status == ConnectionStatus.UNREACHABLE


def test_health_fan_out_skips_disabled(
    standin_provider: IdentityProvider, other_provider: IdentityProvider, azure_standin: AzureStandIn
) -> None:
    other_provider.enabled = False
    other_provider.save()

    queued = check_all_connections.apply().get()

    assert queued == 1
    assert reload(standin_provider).connection_status == ConnectionStatus.OK
    assert reload(other_provider).connection_status == ConnectionStatus.UNKNOWN
    assert len(azure_standin.requests_to("/oauth2/v2.0/token")) == 1


def test_health_check_disabled_provider_skipped(standin_provider: IdentityProvider) -> None:
    standin_provider.enabled = False
    standin_provider.save()

    result = check_provider_connection.apply(args=(standin_provider.pk,)).get()

    assert result == {"provider": standin_provider.pk, "outcome": "skipped"}


@pytest.mark.skipif(not redis_available(), reason="needs Redis on 127.0.0.1:6379")
def test_health_check_skipped_while_locked(standin_provider: IdentityProvider, settings: Any) -> None:
    settings.REDIS_URL = TEST_REDIS_URL

    with single_run_lock(f"connection:{standin_provider.pk}") as acquired:
        result = check_provider_connection.apply(args=(standin_provider.pk,)).get()

    assert acquired is True
    assert result == {"provider": standin_provider.pk, "outcome": "locked"}
    assert reload(standin_provider).connection_status == ConnectionStatus.UNKNOWN


@pytest.mark.skipif(not redis_available(), reason="needs Redis on 127.0.0.1:6379")
def test_lock_excludes_second_holder(settings: Any) -> None:
    settings.REDIS_URL = TEST_REDIS_URL
    name = f"test:{uuid.uuid4()}"

    with single_run_lock(name) as first:
        with single_run_lock(name) as second:
            assert first is True
            assert second is False
    with single_run_lock(name) as after_release:
        assert after_release is True


def test_lock_without_redis_always_acquired(settings: Any) -> None:
    settings.REDIS_URL = ""

    with single_run_lock("any") as first, single_run_lock("any") as second:
        assert first is True
        assert second is True


# Access-group names -------------------------------------------------------------


@pytest.fixture
def graph_groups(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Serve `GET /v1.0/groups/{id}` from the stand-in, with the names in the returned dict.

    The stand-in has no groups endpoint, so this wraps its Graph handler for
    the test. Apps that cannot read applications cannot read groups either.
    """
    names: dict[str, str] = {}
    original_graph = standin_server._Handler._graph

    def graph_with_groups(handler: Any, method: str, path: str, query: dict[str, str]) -> None:
        prefix = "/v1.0/groups/"
        if method != "GET" or not path.startswith(prefix):
            original_graph(handler, method, path, query)
            return
        standin = handler.server_state
        if standin.graph_unavailable:
            raise standin_server.GraphError(503, "serviceNotAvailable", "The service is temporarily unavailable.")
        grant = standin.grant_for(handler.headers.get("Authorization"))
        if not grant.app.can_read_applications:
            raise standin_server.GraphError(
                403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
            )
        object_id = path.removeprefix(prefix)
        if object_id not in names:
            raise standin_server.GraphError(404, "Request_ResourceNotFound", f"Resource '{object_id}' does not exist.")
        handler._send_json(200, {"id": object_id, "displayName": names[object_id]})

    monkeypatch.setattr(standin_server._Handler, "_graph", graph_with_groups)
    return names


@pytest.fixture
def access_groups(standin_provider: IdentityProvider) -> list[AccessGroup]:
    return [
        AccessGroup.objects.create(provider=standin_provider, object_id=GROUP_SALES, display_name="Sales"),
        AccessGroup.objects.create(provider=standin_provider, object_id=GROUP_FINANCE, display_name=""),
        AccessGroup.objects.create(provider=standin_provider, object_id=GROUP_GONE, display_name="Old team"),
    ]


def names_of(provider: IdentityProvider) -> dict[str, str]:
    return dict(AccessGroup.objects.filter(provider=provider).values_list("object_id", "display_name"))


def test_group_names_refreshed(
    standin_provider: IdentityProvider,
    access_groups: list[AccessGroup],
    graph_groups: dict[str, str],
    azure_standin: AzureStandIn,
) -> None:
    graph_groups.update({GROUP_SALES: "Sales EMEA", GROUP_FINANCE: "Finance"})

    result = refresh_access_group_names.apply(args=(standin_provider.pk,)).get()

    assert result == {"provider": standin_provider.pk, "outcome": "refreshed", "renamed": 2}
    assert names_of(standin_provider) == {GROUP_SALES: "Sales EMEA", GROUP_FINANCE: "Finance", GROUP_GONE: "Old team"}
    entry = AuditEntry.objects.get(action="provider.access_group_names")
    assert entry.source == "system"
    assert entry.code == "GRAPH_DISPLAY_NAME"
    assert entry.changes == {
        f"access_group:{GROUP_SALES}": {"before": "Sales", "after": "Sales EMEA"},
        f"access_group:{GROUP_FINANCE}": {"before": "", "after": "Finance"},
    }
    group_requests = azure_standin.requests_to(GROUP_SALES)
    assert group_requests[0]["path"] == f"/v1.0/groups/{GROUP_SALES}"
    assert group_requests[0]["query"] == {"$select": "id,displayName"}


def test_group_names_second_run_unchanged(
    standin_provider: IdentityProvider, access_groups: list[AccessGroup], graph_groups: dict[str, str]
) -> None:
    graph_groups.update({GROUP_SALES: "Sales EMEA", GROUP_FINANCE: "Finance"})
    refresh_access_group_names.apply(args=(standin_provider.pk,)).get()

    second = refresh_access_group_names.apply(args=(standin_provider.pk,)).get()

    assert second["renamed"] == 0
    assert AuditEntry.objects.filter(action="provider.access_group_names").count() == 1


def test_group_names_without_permission(
    standin_provider: IdentityProvider,
    access_groups: list[AccessGroup],
    graph_groups: dict[str, str],
    azure_standin: AzureStandIn,
) -> None:
    graph_groups.update({GROUP_SALES: "Sales EMEA"})
    azure_standin.apps[standin_provider.client_id].can_read_applications = False

    result = refresh_access_group_names.apply(args=(standin_provider.pk,)).get()

    assert result["outcome"] == "no_permission"
    assert names_of(standin_provider)[GROUP_SALES] == "Sales"
    assert not AuditEntry.objects.exists()


def test_group_names_graph_unavailable_retries(
    standin_provider: IdentityProvider,
    access_groups: list[AccessGroup],
    graph_groups: dict[str, str],
    azure_standin: AzureStandIn,
) -> None:
    azure_standin.graph_unavailable = True

    with pytest.raises(Retry, match="GraphUnavailable"):
        refresh_access_group_names.apply(args=(standin_provider.pk,)).get()

    assert names_of(standin_provider)[GROUP_SALES] == "Sales"


def test_group_names_fan_out_only_with_groups(
    standin_provider: IdentityProvider,
    other_provider: IdentityProvider,
    access_groups: list[AccessGroup],
    graph_groups: dict[str, str],
) -> None:
    graph_groups.update({GROUP_SALES: "Sales EMEA"})

    queued = refresh_all_access_group_names.apply().get()

    assert queued == 1
    assert names_of(standin_provider)[GROUP_SALES] == "Sales EMEA"


def test_group_names_without_groups(standin_provider: IdentityProvider, azure_standin: AzureStandIn) -> None:
    result = refresh_access_group_names.apply(args=(standin_provider.pk,)).get()

    assert result == {"provider": standin_provider.pk, "outcome": "nothing_to_do"}
    assert azure_standin.requests == []


def test_group_name_changed_meanwhile_kept(
    standin_provider: IdentityProvider, access_groups: list[AccessGroup], graph_groups: dict[str, str]
) -> None:
    """A name that an administrator changed after the job read the groups is not overwritten."""
    from identity_providers.tasks import apply_group_names

    AccessGroup.objects.filter(object_id=GROUP_SALES).update(display_name="Sales (renamed by admin)")

    renamed = apply_group_names(standin_provider, access_groups, {GROUP_SALES: "Sales EMEA"})

    assert renamed == {}
    assert names_of(standin_provider)[GROUP_SALES] == "Sales (renamed by admin)"


def test_health_check_retries_when_lock_unreachable(standin_provider: IdentityProvider, settings: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port}/0"

    with pytest.raises(Retry, match="ConnectionError"):
        check_provider_connection.apply(args=(standin_provider.pk,)).get()

    assert reload(standin_provider).connection_status == ConnectionStatus.UNKNOWN
