"""Changes that the daily secret-expiry job makes to a provider, each audited once.

Both functions compare and set: the UPDATE matches only the row as the
caller read it, so when two jobs run at once exactly one of them changes
the row and writes the audit entry.
"""

from __future__ import annotations

import datetime
import logging

from django.utils import timezone

from audit.models import AuditSource
from audit.services import record
from identity_providers.connection import FIXES
from identity_providers.models import ConnectionStatus, IdentityProvider

logger = logging.getLogger(__name__)

AUDIT_ACTOR_LABEL = "p81 background job"


def correct_expiry_date(provider: IdentityProvider, graph_expires_on: datetime.date) -> bool:
    """Store the expiry date that Graph reports for the provider's secret when it differs from the entered one.

    Audited as provider.secret_expiry_corrected. Returns whether this call
    changed the row. It does not change it when the date already matches, or
    when the secret or its date changed since `provider` was read.
    """
    entered = provider.client_secret_expires_on
    if entered == graph_expires_on:
        return False

    updated = (
        _same_secret(provider)
        .filter(client_secret_expires_on=entered)
        .update(client_secret_expires_on=graph_expires_on)
    )
    if not updated:
        return False

    provider.client_secret_expires_on = graph_expires_on
    record(
        provider.workspace,
        "provider.secret_expiry_corrected",
        source=AuditSource.SYSTEM,
        actor_label=AUDIT_ACTOR_LABEL,
        target=provider,
        target_label=provider.display_name,
        code="GRAPH_END_DATE",
        changes={
            "client_secret_expires_on": {
                "before": entered.isoformat() if entered else None,
                "after": graph_expires_on.isoformat(),
            }
        },
    )
    logger.info(
        "client secret expiry corrected from graph workspace=%s provider=%s before=%s after=%s",
        provider.workspace_id,
        provider.pk,
        entered,
        graph_expires_on,
    )
    return True


def mark_secret_expired(provider: IdentityProvider, today: datetime.date) -> bool:
    """Set the provider's connection status to "secret expired" once its expiry date has passed.

    Audited as provider.secret_expired. Returns whether this call changed
    the row. The status is left alone when Azure accepted the secret in a
    connection test after the expiry date, because then the entered date is
    wrong and sign-in still works.
    """
    expires_on = provider.client_secret_expires_on
    if expires_on is None or expires_on >= today:
        return False
    if provider.connection_status == ConnectionStatus.EXPIRED_SECRET:
        return False

    checked_at = provider.connection_checked_at
    if (
        provider.connection_status == ConnectionStatus.OK
        and checked_at is not None
        and checked_at.astimezone(datetime.UTC).date() > expires_on
    ):
        logger.warning(
            "client secret past its entered expiry date but accepted by azure workspace=%s provider=%s expires_on=%s",
            provider.workspace_id,
            provider.pk,
            expires_on,
        )
        return False

    before = provider.connection_status
    detail = (
        f"The client secret expired on {expires_on.isoformat()}, so Azure AD rejects it and nobody can sign in "
        f"through this provider. {FIXES[ConnectionStatus.EXPIRED_SECRET]}"
    )
    now = timezone.now()
    updated = (
        _same_secret(provider)
        .filter(client_secret_expires_on=expires_on)
        .exclude(connection_status=ConnectionStatus.EXPIRED_SECRET)
        .update(connection_status=ConnectionStatus.EXPIRED_SECRET, connection_checked_at=now, connection_detail=detail)
    )
    if not updated:
        return False

    provider.connection_status = ConnectionStatus.EXPIRED_SECRET
    provider.connection_checked_at = now
    provider.connection_detail = detail
    record(
        provider.workspace,
        "provider.secret_expired",
        source=AuditSource.SYSTEM,
        actor_label=AUDIT_ACTOR_LABEL,
        target=provider,
        target_label=provider.display_name,
        code="SECRET_EXPIRED",
        changes={
            "connection_status": {"before": before, "after": ConnectionStatus.EXPIRED_SECRET.value},
        },
    )
    logger.info(
        "client secret marked expired workspace=%s provider=%s expires_on=%s",
        provider.workspace_id,
        provider.pk,
        expires_on,
    )
    return True


def _same_secret(provider: IdentityProvider):
    """Return a queryset of the provider's row, matched only while it stores the same secret as `provider`."""
    rows = IdentityProvider.objects.filter(pk=provider.pk)
    if provider.client_secret_changed_at is None:
        return rows.filter(client_secret_changed_at__isnull=True)
    return rows.filter(client_secret_changed_at=provider.client_secret_changed_at)
