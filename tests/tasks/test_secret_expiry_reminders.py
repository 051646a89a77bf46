"""Secret expiry reminders: every threshold once per secret, by time travel, and the expired state."""

from __future__ import annotations

import datetime
import threading
from typing import Any

import pytest
import time_machine
from celery.exceptions import Retry
from django.core import mail
from django.db import connection, connections
from django.urls import reverse

from audit.models import AuditEntry
from identity_providers.models import ConnectionStatus, IdentityProvider
from identity_providers.tasks import check_all_secret_expiry, check_secret_expiry
from notifications.models import SecretExpiryReminder
from notifications.reminders import THRESHOLDS_DAYS, due_threshold, secret_generation

from .conftest import CLIENT_SECRET, EXPIRES_ON, NEW_CLIENT_SECRET, make_admin, morning_of


def run_on(day: datetime.date, provider: IdentityProvider) -> dict[str, Any]:
    """Run the per-provider task as beat would on the morning of `day`, and return its result."""
    with time_machine.travel(morning_of(day), tick=False):
        return check_secret_expiry.apply(args=(provider.pk,)).get()


def reload(provider: IdentityProvider) -> IdentityProvider:
    return IdentityProvider.objects.get(pk=provider.pk)


@pytest.mark.parametrize(
    ("days_left", "threshold"),
    [(45, None), (31, None), (30, 30), (29, 30), (15, 30), (14, 14), (8, 14), (7, 7), (2, 7), (1, 1), (0, 0), (-3, 0)],
)
def test_due_threshold_table(days_left: int, threshold: int | None) -> None:
    today = datetime.date(2027, 1, 1)

    assert due_threshold(today + datetime.timedelta(days=days_left), today) == threshold


@pytest.mark.parametrize("threshold", THRESHOLDS_DAYS)
def test_reminder_sent_at_threshold(secret_provider: IdentityProvider, admins: list, threshold: int) -> None:
    result = run_on(EXPIRES_ON - datetime.timedelta(days=threshold), secret_provider)

    assert result["threshold_days"] == threshold
    assert result["emails_sent"] == 2
    assert sorted(message.to[0] for message in mail.outbox) == ["alice@acme.example.com", "carol@acme.example.com"]
    reminder = SecretExpiryReminder.objects.get(provider=secret_provider)
    assert reminder.threshold_days == threshold
    assert reminder.secret_generation == secret_generation(secret_provider)
    assert reminder.expires_on == EXPIRES_ON
    assert reminder.sent_at is not None
    assert sorted(reminder.delivered_to) == sorted(admin.pk for admin in admins)


@pytest.mark.parametrize(
    ("threshold", "subject"),
    [
        (30, "p81: the client secret of Azure AD expires in 30 days"),
        (14, "p81: the client secret of Azure AD expires in 14 days"),
        (7, "p81: the client secret of Azure AD expires in 7 days"),
        (1, "p81: the client secret of Azure AD expires in 1 day"),
        (0, "p81: the client secret of Azure AD expires today"),
    ],
)
def test_reminder_subject_per_threshold(
    secret_provider: IdentityProvider, admins: list, threshold: int, subject: str
) -> None:
    run_on(EXPIRES_ON - datetime.timedelta(days=threshold), secret_provider)

    assert {message.subject for message in mail.outbox} == {subject}


def test_reminder_email_body(secret_provider: IdentityProvider, admins: list, settings: Any) -> None:
    settings.P81_PUBLIC_URL = "https://p81.example.com"

    run_on(EXPIRES_ON - datetime.timedelta(days=14), secret_provider)

    message = next(message for message in mail.outbox if message.to == ["alice@acme.example.com"])
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert "Hello alice," in message.body
    assert 'workspace "Acme" expires in 14 days, on 2027-03-31' in message.body
    assert "Certificates & secrets" in message.body
    detail_path = reverse("console:provider-detail", kwargs={"public_id": secret_provider.public_id})
    assert f"https://p81.example.com{detail_path}" in message.body
    assert secret_provider.client_id in message.body
    assert CLIENT_SECRET not in message.body
    assert CLIENT_SECRET[:3] not in message.subject


def test_no_duplicate_on_second_run(secret_provider: IdentityProvider, admins: list) -> None:
    first = run_on(EXPIRES_ON - datetime.timedelta(days=14), secret_provider)
    second = run_on(EXPIRES_ON - datetime.timedelta(days=14), secret_provider)
    next_day = run_on(EXPIRES_ON - datetime.timedelta(days=13), secret_provider)

    assert first["emails_sent"] == 2
    assert second["emails_sent"] == 0
    assert next_day["threshold_days"] == 14
    assert next_day["emails_sent"] == 0
    assert len(mail.outbox) == 2
    assert SecretExpiryReminder.objects.filter(provider=secret_provider).count() == 1


def test_whole_countdown_sends_each_threshold_once(secret_provider: IdentityProvider, admins: list) -> None:
    day = EXPIRES_ON - datetime.timedelta(days=40)
    while day <= EXPIRES_ON + datetime.timedelta(days=3):
        run_on(day, secret_provider)
        day += datetime.timedelta(days=1)

    thresholds = list(
        SecretExpiryReminder.objects.filter(provider=secret_provider)
        .order_by("created_at")
        .values_list("threshold_days", flat=True)
    )
    assert thresholds == [30, 14, 7, 1, 0]
    assert len(mail.outbox) == 2 * len(THRESHOLDS_DAYS)
    alice_subjects = [message.subject for message in mail.outbox if message.to == ["alice@acme.example.com"]]
    assert alice_subjects[0].endswith("expires in 30 days")
    assert alice_subjects[-1].endswith("expires today")


def test_late_start_sends_only_most_urgent(secret_provider: IdentityProvider, admins: list) -> None:
    result = run_on(EXPIRES_ON - datetime.timedelta(days=10), secret_provider)

    assert result["threshold_days"] == 14
    assert list(SecretExpiryReminder.objects.values_list("threshold_days", flat=True)) == [14]
    assert {message.subject for message in mail.outbox} == {"p81: the client secret of Azure AD expires in 10 days"}


def test_no_reminder_far_from_expiry(secret_provider: IdentityProvider, admins: list) -> None:
    result = run_on(EXPIRES_ON - datetime.timedelta(days=31), secret_provider)

    assert result["threshold_days"] is None
    assert mail.outbox == []
    assert not SecretExpiryReminder.objects.exists()


def test_no_reminder_without_expiry_date(provider: IdentityProvider, admins: list) -> None:
    provider.set_client_secret(CLIENT_SECRET, None)
    provider.save()

    result = check_secret_expiry.apply(args=(provider.pk,)).get()

    assert result["threshold_days"] is None
    assert mail.outbox == []


def test_disabled_provider_skipped(secret_provider: IdentityProvider, admins: list) -> None:
    secret_provider.enabled = False
    secret_provider.save()

    result = run_on(EXPIRES_ON, secret_provider)

    assert result == {"provider": secret_provider.pk, "outcome": "skipped"}
    assert mail.outbox == []


def test_other_workspace_admins_not_emailed(
    secret_provider: IdentityProvider, admins: list, other_workspace: Any
) -> None:
    make_admin(other_workspace, "bob", "bob@globex.example.com")

    run_on(EXPIRES_ON - datetime.timedelta(days=7), secret_provider)

    recipients = [address for message in mail.outbox for address in message.to]
    assert "bob@globex.example.com" not in recipients
    assert "dave@acme.example.com" not in recipients
    assert len(recipients) == 2


def test_replaced_secret_resets_reminders(secret_provider: IdentityProvider, admins: list) -> None:
    run_on(EXPIRES_ON - datetime.timedelta(days=14), secret_provider)
    with time_machine.travel(morning_of(EXPIRES_ON - datetime.timedelta(days=13)), tick=False):
        secret_provider.set_client_secret(NEW_CLIENT_SECRET, EXPIRES_ON + datetime.timedelta(days=10))
        secret_provider.save()

    result = run_on(EXPIRES_ON - datetime.timedelta(days=13), secret_provider)
    later = run_on(EXPIRES_ON + datetime.timedelta(days=10 - 14), secret_provider)

    assert result["threshold_days"] == 30
    assert result["emails_sent"] == 2
    assert later["threshold_days"] == 14
    assert later["emails_sent"] == 2
    generations = set(SecretExpiryReminder.objects.values_list("secret_generation", flat=True))
    assert len(generations) == 2
    assert len(mail.outbox) == 6


def test_replaced_secret_same_date_resets(secret_provider: IdentityProvider, admins: list) -> None:
    run_on(EXPIRES_ON - datetime.timedelta(days=7), secret_provider)
    with time_machine.travel(morning_of(EXPIRES_ON - datetime.timedelta(days=7)) + datetime.timedelta(hours=2)):
        secret_provider.set_client_secret(NEW_CLIENT_SECRET, EXPIRES_ON)
        secret_provider.save()

    result = run_on(EXPIRES_ON - datetime.timedelta(days=6), secret_provider)

    assert result["threshold_days"] == 7
    assert result["emails_sent"] == 2
    assert SecretExpiryReminder.objects.filter(threshold_days=7).count() == 2


def test_expired_secret_marks_status(secret_provider: IdentityProvider, admins: list) -> None:
    run_on(EXPIRES_ON, secret_provider)
    assert reload(secret_provider).connection_status == ConnectionStatus.UNKNOWN

    result = run_on(EXPIRES_ON + datetime.timedelta(days=1), secret_provider)

    assert result["marked_expired"] is True
    stored = reload(secret_provider)
    assert stored.connection_status == ConnectionStatus.EXPIRED_SECRET
    assert stored.get_connection_status_display() == "Client secret expired"
    assert stored.connection_detail.startswith("The client secret expired on 2027-03-31, so Azure AD rejects it")
    assert "Create a new client secret under Certificates & secrets" in stored.connection_detail
    assert stored.connection_checked_at == morning_of(EXPIRES_ON + datetime.timedelta(days=1))
    entry = AuditEntry.objects.get(action="provider.secret_expired")
    assert entry.workspace_id == secret_provider.workspace_id
    assert entry.source == "system"
    assert entry.target_id == str(secret_provider.pk)
    assert entry.code == "SECRET_EXPIRED"
    assert entry.changes == {"connection_status": {"before": "unknown", "after": "expired_secret"}}


def test_expired_secret_audited_once(secret_provider: IdentityProvider, admins: list) -> None:
    run_on(EXPIRES_ON + datetime.timedelta(days=1), secret_provider)
    second = run_on(EXPIRES_ON + datetime.timedelta(days=2), secret_provider)

    assert second["marked_expired"] is False
    assert AuditEntry.objects.filter(action="provider.secret_expired").count() == 1
    assert SecretExpiryReminder.objects.filter(threshold_days=0).count() == 1
    assert len(mail.outbox) == 2


def test_expired_found_late_sends_one_reminder(secret_provider: IdentityProvider, admins: list) -> None:
    run_on(EXPIRES_ON + datetime.timedelta(days=5), secret_provider)

    assert {message.subject for message in mail.outbox} == {"p81: the client secret of Azure AD expired on 2027-03-31"}
    assert "expired on 2027-03-31" in mail.outbox[0].body


def test_expired_kept_ok_when_azure_accepted_it_later(secret_provider: IdentityProvider, admins: list) -> None:
    secret_provider.connection_status = ConnectionStatus.OK
    secret_provider.connection_checked_at = morning_of(EXPIRES_ON + datetime.timedelta(days=1))
    secret_provider.save()

    result = run_on(EXPIRES_ON + datetime.timedelta(days=2), secret_provider)

    assert result["marked_expired"] is False
    assert reload(secret_provider).connection_status == ConnectionStatus.OK
    assert not AuditEntry.objects.filter(action="provider.secret_expired").exists()


def test_interleaved_run_sends_nothing(
    secret_provider: IdentityProvider, admins: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second run that starts while the first is sending finds the claim and sends nothing."""
    from django.core.mail.backends.locmem import EmailBackend

    original_send = EmailBackend.send_messages
    second_results: list[dict[str, Any]] = []

    def send_and_run_again(self: EmailBackend, messages: list) -> int:
        if not second_results:
            second_results.append(check_secret_expiry.apply(args=(secret_provider.pk,)).get())
        return original_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send_and_run_again)

    first = run_on(EXPIRES_ON - datetime.timedelta(days=14), secret_provider)

    assert first["emails_sent"] == 2
    assert second_results[0]["threshold_days"] == 14
    assert second_results[0]["emails_sent"] == 0
    assert len(mail.outbox) == 2


def test_failed_send_retried_without_duplicates(
    secret_provider: IdentityProvider, admins: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Carol's email fails once; the retry emails only carol, because alice already has hers."""
    from django.core.mail.backends.locmem import EmailBackend

    original_send = EmailBackend.send_messages
    failures = {"carol@acme.example.com": 1}

    def flaky_send(self: EmailBackend, messages: list) -> int:
        address = messages[0].to[0]
        if failures.get(address):
            failures[address] -= 1
            raise ConnectionRefusedError("mail server refused the connection")
        return original_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", flaky_send)

    # throw=False lets apply() run the retry at once, as a worker would after the backoff.
    with time_machine.travel(morning_of(EXPIRES_ON - datetime.timedelta(days=14)), tick=False):
        outcome = check_secret_expiry.apply(args=(secret_provider.pk,), throw=False)

    assert outcome.successful()
    assert outcome.result["emails_sent"] == 1
    assert sorted(message.to[0] for message in mail.outbox) == ["alice@acme.example.com", "carol@acme.example.com"]
    reminder = SecretExpiryReminder.objects.get()
    assert reminder.sent_at is not None
    assert reminder.claimed_at is not None


def test_send_failure_releases_claim(
    secret_provider: IdentityProvider, admins: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.mail.backends.locmem import EmailBackend

    def reject_send(self: EmailBackend, messages: list) -> int:
        raise ConnectionRefusedError("mail server refused the connection")

    monkeypatch.setattr(EmailBackend, "send_messages", reject_send)

    # With CELERY_TASK_EAGER_PROPAGATES, apply() raises the retry that a worker would schedule.
    with pytest.raises(Retry, match="ConnectionRefusedError"):
        run_on(EXPIRES_ON - datetime.timedelta(days=14), secret_provider)

    reminder = SecretExpiryReminder.objects.get()
    assert reminder.claimed_at is None
    assert reminder.sent_at is None
    assert reminder.delivered_to == []


def test_unique_constraint_rejects_second_row(secret_provider: IdentityProvider) -> None:
    from django.db import IntegrityError, transaction

    values = {
        "provider": secret_provider,
        "secret_generation": secret_generation(secret_provider),
        "threshold_days": 14,
        "expires_on": EXPIRES_ON,
    }
    SecretExpiryReminder.objects.create(**values)

    with pytest.raises(IntegrityError), transaction.atomic():
        SecretExpiryReminder.objects.create(**values)


def test_fan_out_queues_enabled_providers(
    secret_provider: IdentityProvider, other_provider: IdentityProvider, admins: list
) -> None:
    other_provider.enabled = False
    other_provider.save()

    with time_machine.travel(morning_of(EXPIRES_ON - datetime.timedelta(days=30)), tick=False):
        queued = check_all_secret_expiry.apply().get()

    assert queued == 1
    assert SecretExpiryReminder.objects.get().provider_id == secret_provider.pk


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite allows one writer; the unique constraint test covers it"
)
def test_two_concurrent_runs_send_once(secret_provider: IdentityProvider, admins: list) -> None:
    """Two threads, each with its own database connection, run the task at the same moment."""
    barrier = threading.Barrier(2)
    results: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(check_secret_expiry.apply(args=(secret_provider.pk,)).get())
        except BaseException as error:  # noqa: BLE001 (reported by the assert below)
            errors.append(error)
        finally:
            connections.close_all()

    with time_machine.travel(morning_of(EXPIRES_ON - datetime.timedelta(days=7)), tick=False):
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    assert errors == []
    assert sorted(result["emails_sent"] for result in results) == [0, 2]
    assert len(mail.outbox) == 2
    assert SecretExpiryReminder.objects.count() == 1
