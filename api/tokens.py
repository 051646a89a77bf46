"""Creating, revoking and checking API tokens.

A token is 256 bits from `secrets` and is shown once. The database keeps
its SHA-256 digest, as for SCIM tokens, because a plain hash is enough for
a long random value (`scim.tokens` explains why).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import record
from console.access import administered_workspace
from identity_providers.services import Actor
from workspaces.models import Workspace

from .models import ApiToken

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "p81api_"
MAX_TOKEN_NAME_LENGTH = 100
MAX_ACTIVE_TOKENS_PER_USER = 20
# Last-used times are written at most this often per token.
LAST_USED_RESOLUTION_SECONDS = 60


@dataclass(frozen=True)
class IssuedApiToken:
    """A newly created token: `value` is the only copy of the secret."""

    token: ApiToken
    value: str


def hash_token(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def create_api_token(workspace: Workspace, actor: Actor, name: str) -> IssuedApiToken:
    """Create a token for `actor.user` in `workspace` and audit it as api_token.create.

    Raises ValidationError on `name` when it is empty or too long, or when
    the user already has MAX_ACTIVE_TOKENS_PER_USER active tokens.
    """
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["Enter a name that says what the token is for, such as 'Terraform'."]})
    if len(name) > MAX_TOKEN_NAME_LENGTH:
        raise ValidationError({"name": [f"The name is longer than {MAX_TOKEN_NAME_LENGTH} characters."]})
    active = ApiToken.objects.filter(workspace=workspace, user=actor.user, revoked_at__isnull=True).count()
    if active >= MAX_ACTIVE_TOKENS_PER_USER:
        raise ValidationError(
            {"name": [f"You already have {active} active tokens, the maximum. Revoke one you no longer use."]}
        )

    value = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            workspace=workspace,
            user=actor.user,
            name=name,
            digest=hash_token(value),
            prefix=value[: len(TOKEN_PREFIX) + 4],
        )
        record(
            workspace,
            "api_token.create",
            source=actor.source,
            actor=actor.user,
            target=token,
            changes={"name": {"before": None, "after": name}},
        )
    logger.info("api token created workspace=%s user=%s token=%s", workspace.pk, actor.user.pk, token.pk)
    return IssuedApiToken(token=token, value=value)


def revoke_api_token(token: ApiToken, actor: Actor) -> None:
    """Revoke `token` and audit it as api_token.revoke; revoking twice changes nothing."""
    if token.revoked_at is not None:
        return
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(token.workspace, "api_token.revoke", source=actor.source, actor=actor.user, target=token)
    logger.info("api token revoked workspace=%s token=%s", token.workspace_id, token.pk)


def authenticate_api_token(value: str) -> ApiToken | None:
    """Return the active token whose value is `value`, with its user and workspace, or None.

    The token's user must be active and still administer the token's workspace.
    """
    if not value or len(value) > 512 or not value.startswith(TOKEN_PREFIX):
        return None

    digest = hash_token(value)
    token = ApiToken.objects.select_related("user", "workspace").filter(digest=digest, revoked_at__isnull=True).first()
    if token is None or not hmac.compare_digest(token.digest, digest):
        return None

    workspace = administered_workspace(token.user)
    if workspace is None or workspace.pk != token.workspace_id:
        return None

    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() >= LAST_USED_RESOLUTION_SECONDS:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
