"""Provisioning log retention: entries older than the configured days go, in batches."""

from __future__ import annotations

import datetime
import os
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.utils import timezone

from identity_providers.models import IdentityProvider
from scim.models import ProvisioningLogEntry
from scim.tasks import delete_old_provisioning_log_entries

NOW = datetime.datetime(2027, 6, 15, 3, 15, tzinfo=datetime.UTC)


def add_entries(provider: IdentityProvider, count: int, age: datetime.timedelta) -> None:
    """Write `count` log entries dated `age` before NOW."""
    with time_machine.travel(NOW - age, tick=False):
        ProvisioningLogEntry.objects.bulk_create(
            ProvisioningLogEntry(
                workspace_id=provider.workspace_id,
                provider=provider,
                method="GET",
                path="/Users",
                operation="user.list",
                status=200,
                created_at=timezone.now(),
            )
            for _ in range(count)
        )


def run_retention(**kwargs: Any) -> int:
    with time_machine.travel(NOW, tick=False):
        return delete_old_provisioning_log_entries.apply(kwargs=kwargs).get()


def test_retention_deletes_old_entries(provider: IdentityProvider, other_provider: IdentityProvider) -> None:
    add_entries(provider, 3, datetime.timedelta(days=31))
    add_entries(other_provider, 2, datetime.timedelta(days=45))
    add_entries(provider, 4, datetime.timedelta(days=29, hours=23))

    deleted = run_retention()

    assert deleted == 5
    assert ProvisioningLogEntry.objects.count() == 4
    oldest = ProvisioningLogEntry.objects.order_by("created_at").first()
    assert oldest is not None
    assert oldest.created_at == NOW - datetime.timedelta(days=29, hours=23)


def test_retention_in_batches(provider: IdentityProvider, caplog: pytest.LogCaptureFixture) -> None:
    add_entries(provider, 25, datetime.timedelta(days=40))
    add_entries(provider, 3, datetime.timedelta(days=1))

    with caplog.at_level("INFO", logger="scim.tasks"):
        deleted = run_retention(batch_size=10)

    assert deleted == 25
    assert ProvisioningLogEntry.objects.count() == 3
    assert "provisioning log retention finished deleted=25 batches=3" in caplog.text


def test_retention_exact_batch_multiple(provider: IdentityProvider, caplog: pytest.LogCaptureFixture) -> None:
    add_entries(provider, 20, datetime.timedelta(days=40))

    with caplog.at_level("INFO", logger="scim.tasks"):
        deleted = run_retention(batch_size=10)

    assert deleted == 20
    assert not ProvisioningLogEntry.objects.exists()
    assert "deleted=20 batches=2" in caplog.text


def test_retention_days_from_settings(provider: IdentityProvider, settings: Any) -> None:
    settings.P81_PROVISIONING_LOG_RETENTION_DAYS = 7
    add_entries(provider, 2, datetime.timedelta(days=8))
    add_entries(provider, 1, datetime.timedelta(days=6))

    assert run_retention() == 2
    assert ProvisioningLogEntry.objects.count() == 1


@pytest.mark.skipif("P81_PROVISIONING_LOG_RETENTION_DAYS" in os.environ, reason="the environment sets the value")
def test_retention_default_is_30_days() -> None:
    assert django_settings.P81_PROVISIONING_LOG_RETENTION_DAYS == 30


def test_retention_zero_keeps_everything(provider: IdentityProvider, settings: Any) -> None:
    settings.P81_PROVISIONING_LOG_RETENTION_DAYS = 0
    add_entries(provider, 2, datetime.timedelta(days=400))

    assert run_retention() == 0
    assert ProvisioningLogEntry.objects.count() == 2


def test_retention_second_run_deletes_nothing(provider: IdentityProvider) -> None:
    add_entries(provider, 5, datetime.timedelta(days=31))

    assert run_retention() == 5
    assert run_retention() == 0


def test_retention_rejects_bad_batch_size(provider: IdentityProvider) -> None:
    with pytest.raises(ValueError, match="batch_size must be at least 1, got 0"):
        run_retention(batch_size=0)
