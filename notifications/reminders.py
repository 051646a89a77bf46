"""Secret-expiry reminders: which threshold is due, recording it once, and emailing the administrators.

A provider's client secret gets a reminder 30, 14, 7 and 1 days before its
expiry date and on the expiry day. Only the most urgent threshold that has
been reached is sent, so a secret entered 10 days before it expires gets
the 14-day reminder and not the 30-day one. A job that missed a day sends
the missed threshold late instead of skipping it.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMessage, get_connection
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from identity_providers.models import IdentityProvider
from workspaces.models import WorkspaceAdministrator

from .models import SecretExpiryReminder

logger = logging.getLogger(__name__)

# Days before the expiry date at which administrators are reminded. 0 is the expiry day.
THRESHOLDS_DAYS = (30, 14, 7, 1, 0)
# A job that claimed a reminder and then died leaves the claim behind, so
# after this long another job may send the reminder. It is far longer than
# sending a few emails takes, each bounded by EMAIL_TIMEOUT.
CLAIM_LEASE = datetime.timedelta(minutes=10)
UNSET_GENERATION = "unset"


@dataclass(frozen=True)
class ReminderOutcome:
    """The result of `send_due_reminder` for one provider."""

    threshold_days: int | None
    created: bool = False
    emails_sent: int = 0


def secret_generation(provider: IdentityProvider) -> str:
    """Return the key that distinguishes the provider's current secret from the secrets it replaced."""
    changed_at = provider.client_secret_changed_at
    if changed_at is None:
        return UNSET_GENERATION
    return changed_at.astimezone(datetime.UTC).isoformat()


def due_threshold(expires_on: datetime.date, today: datetime.date) -> int | None:
    """Return the most urgent threshold reached on `today`, or None when the expiry is further than 30 days."""
    days_left = (expires_on - today).days
    if days_left > THRESHOLDS_DAYS[0]:
        return None
    if days_left <= 0:
        return 0
    return min(threshold for threshold in THRESHOLDS_DAYS if threshold >= days_left)


def send_due_reminder(provider: IdentityProvider, today: datetime.date) -> ReminderOutcome:
    """Record the reminder due today for the provider's secret, then email it to the workspace's administrators.

    Safe to call any number of times, also at once from two processes: the
    unique constraint lets one reminder row exist per secret and threshold,
    and the claim on that row lets one caller send it. A caller that finds
    the reminder sent, or claimed by another caller, sends nothing. When
    sending fails, the claim is released and the error propagates, so a
    retry sends to the administrators who did not get it yet.
    """
    expires_on = provider.client_secret_expires_on
    if not provider.enabled or expires_on is None:
        return ReminderOutcome(threshold_days=None)
    threshold = due_threshold(expires_on, today)
    if threshold is None:
        return ReminderOutcome(threshold_days=None)

    # get_or_create catches the IntegrityError of a concurrent insert and reads that row instead.
    reminder, created = SecretExpiryReminder.objects.get_or_create(
        provider=provider,
        secret_generation=secret_generation(provider),
        threshold_days=threshold,
        defaults={"expires_on": expires_on},
    )
    if created:
        logger.info(
            "secret expiry reminder created workspace=%s provider=%s reminder=%s threshold_days=%s",
            provider.workspace_id,
            provider.pk,
            reminder.pk,
            threshold,
        )
    emails_sent = deliver_reminder(reminder, provider, today)
    return ReminderOutcome(threshold_days=threshold, created=created, emails_sent=emails_sent)


def deliver_reminder(reminder: SecretExpiryReminder, provider: IdentityProvider, today: datetime.date) -> int:
    """Email the reminder to every administrator not emailed yet; return how many emails were sent."""
    now = timezone.now()
    claimed = (
        SecretExpiryReminder.objects.filter(pk=reminder.pk, sent_at__isnull=True)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_LEASE))
        .update(claimed_at=now)
    )
    if not claimed:
        return 0

    reminder.refresh_from_db()
    delivered = set(reminder.delivered_to)
    emails_sent = 0
    try:
        connection = get_connection()
        for user in administrators_to_email(provider):
            if user.pk in delivered:
                continue
            message = build_email(provider, user, today)
            connection.send_messages([message])
            delivered.add(user.pk)
            emails_sent += 1
            SecretExpiryReminder.objects.filter(pk=reminder.pk).update(delivered_to=sorted(delivered))
    except Exception:
        SecretExpiryReminder.objects.filter(pk=reminder.pk, claimed_at=now).update(claimed_at=None)
        logger.exception(
            "secret expiry reminder email failed workspace=%s provider=%s reminder=%s emails_sent=%d",
            provider.workspace_id,
            provider.pk,
            reminder.pk,
            emails_sent,
        )
        raise

    SecretExpiryReminder.objects.filter(pk=reminder.pk).update(sent_at=timezone.now())
    logger.info(
        "secret expiry reminder sent workspace=%s provider=%s reminder=%s threshold_days=%s emails_sent=%d",
        provider.workspace_id,
        provider.pk,
        reminder.pk,
        reminder.threshold_days,
        emails_sent,
    )
    return emails_sent


def administrators_to_email(provider: IdentityProvider) -> list[AbstractBaseUser]:
    """Return the active administrators of the provider's workspace that have an email address."""
    memberships = (
        WorkspaceAdministrator.objects.filter(workspace_id=provider.workspace_id, user__is_active=True)
        .exclude(user__email="")
        .select_related("user")
        .order_by("user_id")
    )
    return [membership.user for membership in memberships]


def build_email(provider: IdentityProvider, user: AbstractBaseUser, today: datetime.date) -> EmailMessage:
    """Return the reminder email for one administrator, from the templates in templates/notifications/."""
    expires_on = provider.client_secret_expires_on
    assert expires_on is not None
    context = {
        "provider": provider,
        "workspace": provider.workspace,
        "user": user,
        "expires_on": expires_on,
        "days_left": (expires_on - today).days,
        "provider_url": provider_url(provider),
    }
    subject = render_to_string("notifications/secret_expiry_subject.txt", context)
    body = render_to_string("notifications/secret_expiry_email.txt", context)
    return EmailMessage(
        subject=" ".join(subject.split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )


def provider_url(provider: IdentityProvider) -> str:
    """Return the absolute URL of the provider's page in the admin UI, or of p81 itself without that page."""
    try:
        path = reverse("console:provider-detail", kwargs={"public_id": provider.public_id})
    except NoReverseMatch:
        path = "/"
    return f"{settings.P81_PUBLIC_URL}{path}"
