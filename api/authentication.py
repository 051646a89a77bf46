"""REST API authentication with per-administrator bearer tokens."""

from __future__ import annotations

import logging

from django.http import HttpRequest
from rest_framework import authentication, exceptions

from .tokens import authenticate_api_token

logger = logging.getLogger(__name__)

KEYWORD = "Bearer"


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """Read `Authorization: Bearer p81api_...`; the request then acts as the token's administrator.

    A request without that header is left to the next authentication class
    (the session of the web UI). A header with a wrong, revoked or orphaned
    token fails with 401 and does not fall through.
    """

    def authenticate(self, request: HttpRequest):
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != KEYWORD.lower():
            return None

        value = value.strip()
        token = authenticate_api_token(value)
        if token is None:
            logger.info("api token rejected address=%s", request.META.get("REMOTE_ADDR", ""))
            raise exceptions.AuthenticationFailed(
                "The API token is invalid or revoked, or its user no longer administers the workspace. "
                "Create a new token under Settings > API tokens."
            )
        return token.user, token

    def authenticate_header(self, request: HttpRequest) -> str:
        return f'{KEYWORD} realm="p81 API"'
