"""Bearer-token authentication for the stock django-scim2 peer.

django-scim2 leaves authentication to the project: its views return 401
unless `request.user` is authenticated. This middleware compares the bearer
token with BENCH_SCIM_TOKEN and loads the service account with one query,
as p81 spends one query to resolve its token.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse


class BearerTokenMiddleware:
    """Set `request.user` to the SCIM service account when the bearer token matches."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.user = AnonymousUser()
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(value.strip(), settings.BENCH_SCIM_TOKEN):
            request.user = get_user_model().objects.get(username=settings.BENCH_SCIM_SERVICE_USER)
        return self.get_response(request)
