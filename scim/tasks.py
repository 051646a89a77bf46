"""Background jobs of the SCIM adapter: provisioning log retention."""

from __future__ import annotations

import datetime
import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .models import ProvisioningLogEntry

logger = logging.getLogger(__name__)

# Rows deleted per statement: small enough to keep each transaction and its
# locks short, large enough that a day of heavy provisioning takes few rounds.
DELETE_BATCH_SIZE = 5000


@shared_task(autoretry_for=(OSError,), retry_backoff=60, retry_backoff_max=3600, retry_jitter=True, max_retries=5)
def delete_old_provisioning_log_entries(retention_days: int | None = None, batch_size: int = DELETE_BATCH_SIZE) -> int:
    """Delete provisioning log entries older than the retention period, in batches; return how many went.

    `retention_days` defaults to P81_PROVISIONING_LOG_RETENTION_DAYS; 0 or
    less deletes nothing. Each batch is its own statement and transaction,
    so a long backlog never holds one long lock, and a run that stops
    halfway, or runs twice at once, leaves nothing half-deleted: a second
    run finds fewer rows or none.
    """
    days = settings.P81_PROVISIONING_LOG_RETENTION_DAYS if retention_days is None else retention_days
    if days <= 0:
        logger.info("provisioning log retention off retention_days=%s", days)
        return 0
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")

    cutoff = timezone.now() - datetime.timedelta(days=days)
    logger.info("provisioning log retention started cutoff=%s batch_size=%d", cutoff.isoformat(), batch_size)

    deleted = 0
    batches = 0
    while True:
        batch = list(
            ProvisioningLogEntry.objects.filter(created_at__lt=cutoff)
            .order_by("created_at", "pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not batch:
            break
        count, _ = ProvisioningLogEntry.objects.filter(pk__in=batch).delete()
        deleted += count
        batches += 1
        if len(batch) < batch_size:
            break

    logger.info("provisioning log retention finished deleted=%d batches=%d", deleted, batches)
    return deleted
