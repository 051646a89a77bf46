"""The Microsoft Graph calls that p81 makes, with timeouts and safe paging.

Every request goes to the provider's Graph URL (Microsoft's public cloud by
default, a national cloud or a test stand-in otherwise) and has a timeout.
Paging follows `@odata.nextLink` only while it stays on the same scheme, host
and port as the Graph URL, so a bearer token is never sent anywhere else.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any
from urllib.parse import urlsplit

import requests

logger = logging.getLogger(__name__)

# Connect and read timeouts, in seconds, for each Graph request.
TIMEOUT_SECONDS = (5.0, 15.0)
# 999 is the largest $top that Graph accepts for directory objects.
PAGE_SIZE = 999
# Stops a runaway nextLink chain: 100 pages of 999 groups is far past any real user.
MAX_PAGES = 100

GROUPS_PATH = "/v1.0/me/transitiveMemberOf/microsoft.graph.group"


class GraphError(Exception):
    """A Graph call failed. The message names the call and the reason, never the token."""


class GraphUnavailable(GraphError):
    """Graph could not be reached, timed out or returned a 5xx status: retrying later may work."""


class GraphRequestRejected(GraphError):
    """Graph returned a 4xx status, so retrying the same call will not help."""

    def __init__(self, message: str, *, status: int, code: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class GraphNextLinkRejected(GraphError):
    """Graph's @odata.nextLink pointed away from the Graph URL."""


def list_transitive_group_ids(graph_url: str, access_token: str, *, timeout: Any = TIMEOUT_SECONDS) -> list[str]:
    """Return the object ids of every group the signed-in user belongs to, directly or through nesting.

    `access_token` is the user's delegated token for Graph (scope User.Read
    or GroupMember.Read.All).
    """
    base = _graph_base(graph_url)
    url: str | None = f"{base}{GROUPS_PATH}?$select=id&$top={PAGE_SIZE}"
    group_ids: list[str] = []

    for _page in range(MAX_PAGES):
        if url is None:
            return group_ids
        body = _get_json(url, access_token, timeout=timeout, call="transitiveMemberOf")
        group_ids.extend(item["id"] for item in body.get("value", []) if isinstance(item, dict) and "id" in item)

        next_link = body.get("@odata.nextLink")
        if next_link is not None and not _same_origin(next_link, base):
            raise GraphNextLinkRejected(
                f"Graph returned an @odata.nextLink on another host ({urlsplit(str(next_link)).netloc!r}); "
                f"only {urlsplit(base).netloc!r} is trusted with the token"
            )
        url = next_link

    if url is not None:
        raise GraphError(f"transitiveMemberOf returned more than {MAX_PAGES} pages; stopped paging")
    return group_ids


def get_client_secret_end_dates(
    graph_url: str, app_access_token: str, client_id: str, *, timeout: Any = TIMEOUT_SECONDS
) -> dict[str, datetime.datetime]:
    """Return {hint: endDateTime} for the app registration's client secrets.

    Needs an app-only token with the Application.Read.All permission; without
    it Graph answers 403 and this raises GraphRequestRejected. `hint` is the
    first three characters of each secret.
    """
    base = _graph_base(graph_url)
    url = f"{base}/v1.0/applications(appId='{client_id}')?$select=passwordCredentials"
    body = _get_json(url, app_access_token, timeout=timeout, call="applications")

    end_dates: dict[str, datetime.datetime] = {}
    for credential in body.get("passwordCredentials", []):
        hint, end = credential.get("hint"), credential.get("endDateTime")
        if isinstance(hint, str) and isinstance(end, str):
            end_dates[hint] = datetime.datetime.fromisoformat(end.replace("Z", "+00:00"))
    return end_dates


def _graph_base(graph_url: str) -> str:
    return graph_url.rstrip("/")


def _same_origin(url: str, base: str) -> bool:
    link, trusted = urlsplit(url), urlsplit(base)
    return (link.scheme, link.hostname, link.port) == (trusted.scheme, trusted.hostname, trusted.port)


def _get_json(url: str, access_token: str, *, timeout: Any, call: str) -> dict[str, Any]:
    try:
        response = requests.get(
            url,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            timeout=timeout,
        )
    except requests.Timeout as error:
        logger.warning("graph call timed out call=%s host=%s", call, urlsplit(url).netloc)
        raise GraphUnavailable(f"Graph {call} timed out") from error
    except requests.RequestException as error:
        logger.warning("graph call failed call=%s host=%s error=%s", call, urlsplit(url).netloc, type(error).__name__)
        raise GraphUnavailable(f"Graph {call} could not be reached ({type(error).__name__})") from error

    if response.status_code >= 500:
        logger.warning("graph call failed call=%s status=%s", call, response.status_code)
        raise GraphUnavailable(f"Graph {call} returned HTTP {response.status_code}")
    if response.status_code >= 400:
        code = _graph_error_code(response)
        logger.warning("graph call rejected call=%s status=%s code=%s", call, response.status_code, code)
        raise GraphRequestRejected(
            f"Graph {call} returned HTTP {response.status_code} ({code})", status=response.status_code, code=code
        )

    try:
        body = response.json()
    except ValueError as error:
        raise GraphError(f"Graph {call} returned a body that is not JSON") from error
    if not isinstance(body, dict):
        raise GraphError(f"Graph {call} returned JSON that is not an object")
    return body


def _graph_error_code(response: requests.Response) -> str:
    try:
        error = response.json().get("error", {})
    except (ValueError, AttributeError):
        return "unknown"
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else "unknown"
