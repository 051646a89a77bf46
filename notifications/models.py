"""Reminders that p81 sends to workspace administrators before a client secret expires."""

from __future__ import annotations

from django.db import models

from identity_providers.models import IdentityProvider


class SecretExpiryReminder(models.Model):
    """One reminder about the expiry of one client secret, at one threshold.

    A unique constraint on (provider, secret generation, threshold) makes
    each threshold happen once per secret, however many reminder jobs run,
    and at the same time. A replaced secret has a new generation, so its
    reminders start over. The email delivery is tracked on the row:
    `claimed_at` is a lease that keeps two jobs from sending the same
    reminder, `delivered_to` lists the users already emailed, and `sent_at`
    is set when every administrator has been emailed.
    """

    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="secret_expiry_reminders")
    secret_generation = models.CharField(
        max_length=64,
        help_text="When the secret was stored (ISO 8601, UTC), or 'unset'; a replaced secret has a new value.",
    )
    threshold_days = models.PositiveSmallIntegerField(
        help_text="Days before the expiry date: 30, 14, 7, 1, or 0 for the expiry day and after it."
    )
    expires_on = models.DateField(help_text="The secret's expiry date when the reminder was created.")
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_to = models.JSONField(default=list, blank=True, help_text="Primary keys of the users emailed.")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "secret_generation", "threshold_days"],
                name="notif_reminder_once_per_secret_threshold",
            ),
        ]

    def __str__(self) -> str:
        return f"provider {self.provider_id} secret {self.secret_generation} at {self.threshold_days} days"
