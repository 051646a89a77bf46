"""Writing audit entries. Every administrator change and every refused sign-in calls `record`."""

from __future__ import annotations

import logging
from typing import Any

from workspaces.models import Workspace

from .models import AuditEntry

logger = logging.getLogger(__name__)

MASK = "********"
SECRET_FIELDS = frozenset({"client_secret", "password", "token", "scim_token", "api_token"})


def mask_secrets(values: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of `values` with every secret field replaced by a mask ("" stays "")."""
    return {key: (MASK if key in SECRET_FIELDS and value else value) for key, value in values.items()}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return {field: {"before": ..., "after": ...}} for the fields that changed, secrets masked."""
    masked_before, masked_after = mask_secrets(before), mask_secrets(after)
    changed = {}
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            changed[key] = {"before": masked_before.get(key), "after": masked_after.get(key)}
    return changed


def record(
    workspace: Workspace | None,
    action: str,
    *,
    source: str,
    actor=None,
    actor_label: str = "",
    target: Any = None,
    target_type: str = "",
    target_label: str = "",
    code: str = "",
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one audit entry. `changes` must already have secrets masked (see `diff`).

    `workspace` is None only for installation-level events, which are
    shown to no workspace administrator.
    """
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_label = target_label or str(target)
    entry = AuditEntry.objects.create(
        workspace=workspace,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=actor_label or (getattr(actor, "get_username", lambda: "")() if actor else ""),
        source=source,
        action=action,
        target_type=target_type,
        target_id=str(target.pk) if target is not None and target.pk is not None else "",
        target_label=target_label[:256],
        code=code,
        changes=changes or {},
    )
    logger.info(
        "audit entry workspace=%s action=%s code=%s entry=%s",
        workspace.pk if workspace else None,
        action,
        code,
        entry.pk,
    )
    return entry
