"""Daily background jobs for identity providers: secret expiry, connection health and access-group names.

Each `check_all_*` / `refresh_all_*` task is started by Celery beat
(CELERY_BEAT_SCHEDULE in p81/settings.py) and queues one task per enabled
provider. The per-provider tasks take the provider's primary key, read the
row again, and are safe to run twice, also at once. A unique constraint
guards the reminders, compare-and-set updates guard row changes, and a
Redis lock guards the calls to Azure. Transient failures (network errors,
timeouts, 5xx responses, mail server errors) are retried with exponential
backoff. Log lines carry workspace and provider ids, never a secret or a
token.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import msal
import redis
import requests
from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from audit.models import AuditSource
from audit.services import record
from notifications.reminders import send_due_reminder
from notifications.secret_expiry import AUDIT_ACTOR_LABEL, correct_expiry_date, mark_secret_expired

from . import connection, graph
from .models import AccessGroup, ConnectionStatus, IdentityProvider
from .services import MAX_GROUP_NAME_LENGTH

logger = logging.getLogger(__name__)

# Seconds msal waits for each request to the authority.
TOKEN_TIMEOUT_SECONDS = 10.0
# Seconds a per-provider lock lives at most, in case a worker dies holding it.
LOCK_TIMEOUT_SECONDS = 600

# Retry policy of tasks that call Azure or a mail server: waits of about 1,
# 2, 4, 8 and 16 minutes (with jitter), then the task fails and the next
# daily run tries again.
RETRY_POLICY: dict[str, Any] = {
    "retry_backoff": 60,
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": 5,
}
# OSError covers smtplib.SMTPException, socket timeouts and requests.RequestException.
# A Redis connection error comes from the task lock.
TRANSIENT_ERRORS = (OSError, graph.GraphUnavailable, redis.exceptions.ConnectionError)


class GraphTokenRejected(Exception):
    """Azure rejected the app-only token request (wrong tenant, client ID or secret), so retrying will not help."""


class ProviderUnreachable(Exception):
    """The connection test could not reach Azure: retry later."""


# Secret expiry ----------------------------------------------------------------


@shared_task
def check_all_secret_expiry() -> int:
    """Queue `check_secret_expiry` for every enabled provider; return how many were queued."""
    return _fan_out(check_secret_expiry, "secret expiry")


@shared_task(bind=True, autoretry_for=TRANSIENT_ERRORS, **RETRY_POLICY)
def check_secret_expiry(self, provider_id: int) -> dict[str, Any]:
    """Correct the secret's expiry date from Graph, mark an expired secret, and send the reminder due today.

    When Graph is unreachable, the entered date is used for this run and the
    task raises afterwards, so that the retry reads Graph again. Reminders
    already sent are not sent again.
    """
    provider = _enabled_provider(provider_id)
    if provider is None:
        return {"provider": provider_id, "outcome": "skipped"}
    logger.info(
        "secret expiry check started workspace=%s provider=%s attempt=%s",
        provider.workspace_id,
        provider.pk,
        self.request.retries,
    )

    graph_error: Exception | None = None
    try:
        graph_outcome = sync_expiry_from_graph(provider)
    except TRANSIENT_ERRORS as error:
        logger.warning(
            "secret expiry not read from graph, will retry workspace=%s provider=%s error=%s",
            provider.workspace_id,
            provider.pk,
            type(error).__name__,
        )
        graph_error = error
        graph_outcome = "unavailable"

    today = timezone.localdate()
    expired = mark_secret_expired(provider, today)
    reminder = send_due_reminder(provider, today)

    logger.info(
        "secret expiry check finished workspace=%s provider=%s graph=%s marked_expired=%s threshold_days=%s "
        "emails_sent=%d",
        provider.workspace_id,
        provider.pk,
        graph_outcome,
        expired,
        reminder.threshold_days,
        reminder.emails_sent,
    )
    if graph_error is not None:
        raise graph_error
    return {
        "provider": provider.pk,
        "graph": graph_outcome,
        "marked_expired": expired,
        "threshold_days": reminder.threshold_days,
        "emails_sent": reminder.emails_sent,
    }


def sync_expiry_from_graph(provider: IdentityProvider) -> str:
    """Correct the provider's secret expiry date from Graph's `endDateTime`; return what happened.

    The secret is found among the app's passwordCredentials by its `hint`,
    the first three characters of the secret. Outcomes: "corrected",
    "unchanged", "no_credentials", "token_rejected", "no_permission" (the
    app lacks Application.Read.All, so the entered date stays), "rejected"
    (another 4xx) and "not_listed" (no credential has the secret's hint).
    Network errors and 5xx responses propagate as TRANSIENT_ERRORS.
    """
    if not (provider.tenant_id and provider.client_id and provider.has_client_secret):
        return "no_credentials"

    try:
        token = request_graph_token(provider)
    except GraphTokenRejected as error:
        logger.info(
            "graph token request rejected workspace=%s provider=%s reason=%s", provider.workspace_id, provider.pk, error
        )
        return "token_rejected"

    try:
        end_dates = graph.get_client_secret_end_dates(provider.graph_url, token, provider.client_id)
    except graph.GraphRequestRejected as error:
        if error.status == 403:
            logger.info(
                "graph rejected listing client secrets with 403, keeping the entered date workspace=%s provider=%s",
                provider.workspace_id,
                provider.pk,
            )
            return "no_permission"
        logger.warning(
            "graph rejected the client secret request workspace=%s provider=%s status=%s code=%s",
            provider.workspace_id,
            provider.pk,
            error.status,
            error.code,
        )
        return "rejected"

    # NOTE: two secrets of one app may share a hint; graph.get_client_secret_end_dates keeps the last one listed.
    end = end_dates.get(_secret_hint(provider))
    if end is None:
        logger.warning(
            "graph lists no client secret with the stored secret's hint workspace=%s provider=%s secrets=%d",
            provider.workspace_id,
            provider.pk,
            len(end_dates),
        )
        return "not_listed"

    return "corrected" if correct_expiry_date(provider, end.date()) else "unchanged"


@sensitive_variables("secret")
def _secret_hint(provider: IdentityProvider) -> str:
    secret = provider.client_secret
    return secret[:3]


# Connection health ------------------------------------------------------------


@shared_task
def check_all_connections() -> int:
    """Queue `check_provider_connection` for every enabled provider; return how many were queued."""
    return _fan_out(check_provider_connection, "connection health")


@shared_task(bind=True, autoretry_for=(ProviderUnreachable, redis.exceptions.ConnectionError), **RETRY_POLICY)
def check_provider_connection(self, provider_id: int) -> dict[str, Any]:
    """Run the msal connection test of one provider and store the result for the status badge.

    Also usable on demand: `check_provider_connection.delay(provider.pk)`.
    An unreachable Azure is stored as such and retried with backoff.
    """
    provider = _enabled_provider(provider_id)
    if provider is None:
        return {"provider": provider_id, "outcome": "skipped"}

    with single_run_lock(f"connection:{provider.pk}") as acquired:
        if not acquired:
            logger.info(
                "connection check skipped, another run holds the lock workspace=%s provider=%s",
                provider.workspace_id,
                provider.pk,
            )
            return {"provider": provider.pk, "outcome": "locked"}

        logger.info(
            "connection check started workspace=%s provider=%s attempt=%s",
            provider.workspace_id,
            provider.pk,
            self.request.retries,
        )
        result = connection.check_connection(provider)

    if result.status == ConnectionStatus.UNREACHABLE:
        raise ProviderUnreachable(f"provider {provider.pk}: {result.message}")
    return {"provider": provider.pk, "outcome": str(result.status)}


# Access-group names -----------------------------------------------------------


@shared_task
def refresh_all_access_group_names() -> int:
    """Queue `refresh_access_group_names` for every enabled provider with access groups."""
    return _fan_out(
        refresh_access_group_names,
        "access group names",
        IdentityProvider.objects.filter(enabled=True, access_groups__isnull=False).distinct(),
    )


@shared_task(bind=True, autoretry_for=TRANSIENT_ERRORS, **RETRY_POLICY)
def refresh_access_group_names(self, provider_id: int) -> dict[str, Any]:
    """Copy the display names of the provider's access groups from Graph.

    Needs an application permission that can read groups (GroupMember.Read.All,
    Group.Read.All or Directory.Read.All). Without one, Graph returns 403 and
    the names stay as they are. A group that Graph returns 404 for (deleted
    in Azure) keeps its name. Changed names are audited as provider.access_group_names.
    """
    provider = _enabled_provider(provider_id)
    if provider is None:
        return {"provider": provider_id, "outcome": "skipped"}
    groups = list(AccessGroup.objects.filter(provider=provider))
    if not groups or not (provider.tenant_id and provider.client_id and provider.has_client_secret):
        return {"provider": provider.pk, "outcome": "nothing_to_do"}

    with single_run_lock(f"access-group-names:{provider.pk}") as acquired:
        if not acquired:
            return {"provider": provider.pk, "outcome": "locked"}
        logger.info(
            "access group names refresh started workspace=%s provider=%s groups=%d attempt=%s",
            provider.workspace_id,
            provider.pk,
            len(groups),
            self.request.retries,
        )

        try:
            token = request_graph_token(provider)
        except GraphTokenRejected as error:
            logger.info(
                "graph token request rejected workspace=%s provider=%s reason=%s",
                provider.workspace_id,
                provider.pk,
                error,
            )
            return {"provider": provider.pk, "outcome": "token_rejected"}

        names: dict[str, str] = {}
        for group in groups:
            try:
                names[group.object_id] = get_group_display_name(provider.graph_url, token, group.object_id)
            except graph.GraphRequestRejected as error:
                if error.status == 403:
                    logger.info(
                        "graph rejected reading groups with 403, keeping the names workspace=%s provider=%s",
                        provider.workspace_id,
                        provider.pk,
                    )
                    return {"provider": provider.pk, "outcome": "no_permission"}
                logger.warning(
                    "graph did not return an access group workspace=%s provider=%s group=%s status=%s code=%s",
                    provider.workspace_id,
                    provider.pk,
                    group.object_id,
                    error.status,
                    error.code,
                )

        renamed = apply_group_names(provider, groups, names)

    logger.info(
        "access group names refreshed workspace=%s provider=%s read=%d renamed=%d",
        provider.workspace_id,
        provider.pk,
        len(names),
        len(renamed),
    )
    return {"provider": provider.pk, "outcome": "refreshed", "renamed": len(renamed)}


def apply_group_names(
    provider: IdentityProvider, groups: list[AccessGroup], names: dict[str, str]
) -> dict[str, dict[str, str]]:
    """Store the new display names and audit them once; return {object ID: {"before", "after"}} of the changes.

    Each row is updated only while it still has the name read before, so a
    name that an administrator changed meanwhile, or a concurrent run
    already stored, is not audited twice.
    """
    renamed: dict[str, dict[str, str]] = {}
    with transaction.atomic():
        for group in groups:
            new_name = names.get(group.object_id, "").strip()[:MAX_GROUP_NAME_LENGTH]
            if not new_name or new_name == group.display_name:
                continue
            updated = AccessGroup.objects.filter(pk=group.pk, display_name=group.display_name).update(
                display_name=new_name
            )
            if updated:
                renamed[group.object_id] = {"before": group.display_name, "after": new_name}

        if renamed:
            record(
                provider.workspace,
                "provider.access_group_names",
                source=AuditSource.SYSTEM,
                actor_label=AUDIT_ACTOR_LABEL,
                target=provider,
                target_label=provider.display_name,
                code="GRAPH_DISPLAY_NAME",
                changes={f"access_group:{object_id}": change for object_id, change in sorted(renamed.items())},
            )
    return renamed


# Azure access -------------------------------------------------------------------


@sensitive_variables("secret")
def request_graph_token(provider: IdentityProvider) -> str:
    """Return an app-only access token for the provider's Graph URL, through msal's client credentials flow.

    Raises GraphTokenRejected when Azure refuses the request, and
    requests.RequestException when Azure cannot be reached.
    """
    secret = provider.client_secret
    try:
        # A fresh application and token cache per call, so a replaced or revoked secret is never hidden by a cached token.
        app = msal.ConfidentialClientApplication(
            provider.client_id,
            client_credential=secret,
            authority=f"{provider.authority_host.rstrip('/')}/{provider.tenant_id}",
            instance_discovery=False,
            timeout=TOKEN_TIMEOUT_SECONDS,
            token_cache=msal.TokenCache(),
        )
        answer = app.acquire_token_for_client(scopes=[f"{provider.graph_url.rstrip('/')}/.default"])
    except ValueError as error:
        # msal raises ValueError when tenant discovery fails, for example for an unknown tenant.
        raise GraphTokenRejected(f"msal could not use the authority ({type(error).__name__})") from error

    token = answer.get("access_token")
    if not token:
        codes = answer.get("error_codes") or []
        raise GraphTokenRejected(f"{answer.get('error', 'unknown_error')} (AADSTS{codes[0] if codes else '?'})")
    return str(token)


def get_group_display_name(graph_url: str, access_token: str, object_id: str) -> str:
    """Return the displayName of the group `object_id` from Graph `GET /v1.0/groups/{id}`.

    Raises graph.GraphUnavailable on network errors, timeouts and 5xx
    responses, and graph.GraphRequestRejected on 4xx responses.
    """
    # TODO: move into identity_providers/graph.py beside the other Graph calls.
    url = f"{graph_url.rstrip('/')}/v1.0/groups/{quote(object_id, safe='')}?$select=id,displayName"
    try:
        response = requests.get(
            url,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            timeout=graph.TIMEOUT_SECONDS,
        )
    except requests.RequestException as error:
        raise graph.GraphUnavailable(f"Graph groups could not be reached ({type(error).__name__})") from error

    if response.status_code >= 500:
        raise graph.GraphUnavailable(f"Graph groups returned HTTP {response.status_code}")
    if response.status_code >= 400:
        code = _graph_error_code(response)
        raise graph.GraphRequestRejected(
            f"Graph groups returned HTTP {response.status_code} ({code}) on {urlsplit(url).path}",
            status=response.status_code,
            code=code,
        )
    try:
        body = response.json()
    except ValueError as error:
        raise graph.GraphError("Graph groups returned a body that is not JSON") from error
    name = body.get("displayName") if isinstance(body, dict) else None
    return name if isinstance(name, str) else ""


def _graph_error_code(response: requests.Response) -> str:
    try:
        error = response.json().get("error", {})
    except (ValueError, AttributeError):
        return "unknown"
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else "unknown"


# Helpers ------------------------------------------------------------------------


@contextlib.contextmanager
def single_run_lock(name: str, timeout: int = LOCK_TIMEOUT_SECONDS) -> Iterator[bool]:
    """Hold a Redis lock named `name` while the block runs; yield False when another process holds it.

    The lock expires after `timeout` seconds, so a worker that dies holding
    it blocks the job for at most that long.
    """
    if not settings.REDIS_URL:
        # NOTE: without Redis, tasks run eagerly in the calling process and
        # nothing stops two web processes from running the same task at once.
        yield True
        return

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5)
    lock = client.lock(f"p81:task-lock:{name}", timeout=timeout, blocking=False)
    acquired = bool(lock.acquire())
    try:
        yield acquired
    finally:
        if acquired:
            with contextlib.suppress(redis.exceptions.LockError):
                lock.release()
        client.close()


def _enabled_provider(provider_id: int) -> IdentityProvider | None:
    provider = IdentityProvider.objects.filter(pk=provider_id, enabled=True).select_related("workspace").first()
    if provider is None:
        logger.info("task skipped, provider missing or disabled provider=%s", provider_id)
    return provider


def _fan_out(task: Any, job: str, providers: Any = None) -> int:
    """Queue `task` for each provider and return how many were queued.

    In eager mode (no REDIS_URL) the task runs right here, so one provider's
    error is logged and the others still run.
    """
    if providers is None:
        providers = IdentityProvider.objects.filter(enabled=True)
    provider_ids = list(providers.order_by("pk").values_list("pk", flat=True))
    logger.info("%s job started providers=%d", job, len(provider_ids))

    queued = 0
    for provider_id in provider_ids:
        try:
            task.delay(provider_id)
        except Exception:
            logger.exception("%s job failed for provider=%s", job, provider_id)
            continue
        queued += 1
    return queued
