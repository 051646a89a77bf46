"""Secret expiry read from Graph passwordCredentials, against the Azure AD stand-in."""

from __future__ import annotations

import datetime

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.utils import timezone

from audit.models import AuditEntry
from identity_providers.models import IdentityProvider
from identity_providers.tasks import check_secret_expiry, sync_expiry_from_graph
from notifications.models import SecretExpiryReminder
from tests.azure_standin.server import AzureStandIn, StandInSecret


def reload(provider: IdentityProvider) -> IdentityProvider:
    return IdentityProvider.objects.get(pk=provider.pk)


def set_graph_end(standin: AzureStandIn, provider: IdentityProvider, days_from_now: int) -> datetime.date:
    """Make the stand-in report the secret's endDateTime `days_from_now` days ahead, at 10:00 UTC."""
    end = datetime.datetime.combine(
        timezone.now().date() + datetime.timedelta(days=days_from_now), datetime.time(10, 0), tzinfo=datetime.UTC
    )
    standin.apps[provider.client_id].secrets[0].expires_at = end
    return end.date()


def test_graph_corrects_entered_date(standin_provider: IdentityProvider, azure_standin: AzureStandIn, admins) -> None:
    entered = timezone.now().date() + datetime.timedelta(days=200)
    standin_provider.client_secret_expires_on = entered
    standin_provider.save()
    real = set_graph_end(azure_standin, standin_provider, 14)

    result = check_secret_expiry.apply(args=(standin_provider.pk,)).get()

    assert result["graph"] == "corrected"
    assert reload(standin_provider).client_secret_expires_on == real
    entry = AuditEntry.objects.get(action="provider.secret_expiry_corrected")
    assert entry.workspace_id == standin_provider.workspace_id
    assert entry.source == "system"
    assert entry.actor_label == "p81 background job"
    assert entry.code == "GRAPH_END_DATE"
    assert entry.changes == {"client_secret_expires_on": {"before": entered.isoformat(), "after": real.isoformat()}}
    assert result["threshold_days"] == 14
    assert len(mail.outbox) == 2


def test_graph_request_shape(standin_provider: IdentityProvider, azure_standin: AzureStandIn) -> None:
    set_graph_end(azure_standin, standin_provider, 90)

    sync_expiry_from_graph(standin_provider)

    token_requests = azure_standin.requests_to("/oauth2/v2.0/token")
    assert len(token_requests) == 1
    assert token_requests[0]["form"]["grant_type"] == "client_credentials"
    assert token_requests[0]["form"]["scope"] == f"{azure_standin.url}/.default"
    graph_requests = azure_standin.requests_to(f"/v1.0/applications(appId='{standin_provider.client_id}')")
    assert len(graph_requests) == 1
    assert graph_requests[0]["query"] == {"$select": "passwordCredentials"}
    assert graph_requests[0]["headers"]["Authorization"].startswith("Bearer ")


def test_graph_fills_missing_date(standin_provider: IdentityProvider, azure_standin: AzureStandIn) -> None:
    real = set_graph_end(azure_standin, standin_provider, 90)

    outcome = sync_expiry_from_graph(standin_provider)

    assert outcome == "corrected"
    assert reload(standin_provider).client_secret_expires_on == real
    assert AuditEntry.objects.get().changes["client_secret_expires_on"]["before"] is None


def test_graph_matching_date_unchanged(standin_provider: IdentityProvider, azure_standin: AzureStandIn) -> None:
    standin_provider.client_secret_expires_on = set_graph_end(azure_standin, standin_provider, 90)
    standin_provider.save()

    outcome = sync_expiry_from_graph(standin_provider)

    assert outcome == "unchanged"
    assert not AuditEntry.objects.exists()


def test_graph_matches_secret_by_hint(standin_provider: IdentityProvider, azure_standin: AzureStandIn) -> None:
    real = set_graph_end(azure_standin, standin_provider, 3)
    other_end = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=700)
    app = azure_standin.apps[standin_provider.client_id]
    app.secrets.insert(0, StandInSecret(value="Zzz8Q~another-secret-of-the-app", expires_at=other_end))

    sync_expiry_from_graph(standin_provider)

    assert reload(standin_provider).client_secret_expires_on == real


def test_graph_without_permission_keeps_date(standin_provider: IdentityProvider, azure_standin: AzureStandIn) -> None:
    entered = datetime.date(2030, 1, 31)
    standin_provider.client_secret_expires_on = entered
    standin_provider.save()
    set_graph_end(azure_standin, standin_provider, 5)
    azure_standin.apps[standin_provider.client_id].can_read_applications = False

    result = check_secret_expiry.apply(args=(standin_provider.pk,)).get()

    assert result["graph"] == "no_permission"
    assert reload(standin_provider).client_secret_expires_on == entered
    assert not AuditEntry.objects.exists()


def test_graph_hint_not_listed_keeps_date(
    standin_provider: IdentityProvider, azure_standin: AzureStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    entered = datetime.date(2030, 1, 31)
    standin_provider.client_secret_expires_on = entered
    standin_provider.save()
    monkeypatch.setattr(StandInSecret, "hint", property(lambda secret: "Nop"))

    outcome = sync_expiry_from_graph(standin_provider)

    assert outcome == "not_listed"
    assert reload(standin_provider).client_secret_expires_on == entered


def test_graph_wrong_secret_keeps_date(standin_provider: IdentityProvider, azure_standin: AzureStandIn) -> None:
    entered = datetime.date(2030, 1, 31)
    standin_provider.client_secret_expires_on = entered
    standin_provider.save()
    azure_standin.apps[standin_provider.client_id].secrets[0].value = "Qqq8Q~some-other-secret"

    assert sync_expiry_from_graph(standin_provider) == "token_rejected"
    assert reload(standin_provider).client_secret_expires_on == entered


def test_graph_unavailable_sends_reminder_then_retries(
    standin_provider: IdentityProvider, azure_standin: AzureStandIn, admins
) -> None:
    standin_provider.client_secret_expires_on = timezone.now().date() + datetime.timedelta(days=7)
    standin_provider.save()
    azure_standin.graph_unavailable = True

    with pytest.raises(Retry, match="GraphUnavailable"):
        check_secret_expiry.apply(args=(standin_provider.pk,)).get()

    assert SecretExpiryReminder.objects.get().threshold_days == 7
    assert len(mail.outbox) == 2


def test_graph_skipped_with_token_error(standin_provider: IdentityProvider, azure_standin: AzureStandIn) -> None:
    standin_provider.tenant_id = "00000000-0000-0000-0000-00000000dead"
    standin_provider.save()

    assert sync_expiry_from_graph(standin_provider) == "token_rejected"
    assert azure_standin.requests_to("passwordCredentials") == []


def test_graph_corrected_once_by_two_runs(standin_provider: IdentityProvider, azure_standin: AzureStandIn) -> None:
    """Two runs that read the same old date: the second one's compare-and-set matches nothing."""
    set_graph_end(azure_standin, standin_provider, 60)
    stale_copy = reload(standin_provider)

    first = sync_expiry_from_graph(standin_provider)
    second = sync_expiry_from_graph(stale_copy)

    assert first == "corrected"
    assert second == "unchanged"
    assert AuditEntry.objects.filter(action="provider.secret_expiry_corrected").count() == 1
