"""The provisioning log: one row per authenticated SCIM request.

A row records what an administrator needs to understand a provisioning
run (method, path, status, affected user, duration, the SCIM error
returned) and never the bearer token or the request body, which may hold
personal data and passwords.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import DatabaseError
from django.http import HttpRequest

from .errors import ScimError
from .models import ProvisioningLogEntry, ScimToken

logger = logging.getLogger(__name__)


@dataclass
class RequestRecord:
    """Facts that a view collects about one request while handling it."""

    operation: str
    status: int = 0
    resource_id: str = ""
    user_name: str = ""
    duration_ms: int = 0
    scim_type: str = ""
    error_detail: str = ""

    def fail(self, error: ScimError) -> None:
        self.scim_type = error.scim_type or ""
        self.error_detail = error.detail


def write_log_entry(token: ScimToken, request: HttpRequest, record: RequestRecord) -> None:
    """Insert the log row; a failure is logged and never changes the response."""
    try:
        ProvisioningLogEntry.objects.create(
            workspace_id=token.workspace_id,
            provider_id=token.provider_id,
            method=request.method[:8],
            path=request.path[:512],
            operation=record.operation[:32],
            status=record.status,
            resource_id=record.resource_id[:64],
            user_name=record.user_name[:256],
            duration_ms=record.duration_ms,
            scim_type=record.scim_type[:32],
            error_detail=record.error_detail,
        )
    except (DatabaseError, ValueError):
        logger.exception(
            "provisioning log write failed workspace=%s provider=%s operation=%s",
            token.workspace_id,
            token.provider_id,
            record.operation,
        )
