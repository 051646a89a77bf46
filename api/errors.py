"""REST API errors as RFC 7807 problem details.

Every error response has the media type `application/problem+json` and
the body

    {"type": "urn:p81:problem:<code>", "title": ..., "status": ...,
     "detail": ..., "code": "<code>", "errors": {field: [messages]}}

`code` is stable and machine-readable; `errors` is empty unless single
fields were invalid. Validation errors from `identity_providers.services`
(Django's ValidationError) become 400 responses with their field messages.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
NON_FIELD_KEY = "non_field_errors"

TITLES = {
    400: "Invalid request",
    401: "Authentication required",
    403: "Permission denied",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    415: "Unsupported media type",
    429: "Too many requests",
    500: "Internal server error",
    501: "Not implemented",
}


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class NotAvailable(exceptions.APIException):
    status_code = status.HTTP_501_NOT_IMPLEMENTED
    default_detail = "This action is not available in this installation yet."
    default_code = "not_available"


def problem_response(
    status_code: int, code: str, detail: str, errors: dict[str, list[str]] | None = None, headers: Any = None
) -> Response:
    """Return a problem-details response."""
    body = {
        "type": f"urn:p81:problem:{code}",
        "title": TITLES.get(status_code, "Error"),
        "status": status_code,
        "detail": detail,
        "code": code,
        "errors": errors or {},
    }
    return Response(body, status=status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error detail into {dotted field path: [messages]}."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            for field, messages in flatten_errors(value, path).items():
                flat.setdefault(field, []).extend(messages)
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return {prefix or NON_FIELD_KEY: [str(item) for item in detail]}
        flat = {}
        for index, item in enumerate(detail):
            path = f"{prefix}.{index}" if prefix else str(index)
            for field, messages in flatten_errors(item, path).items():
                flat.setdefault(field, []).extend(messages)
        return flat
    return {prefix or NON_FIELD_KEY: [str(detail)]}


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler that renders every error as problem details."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_KEY: exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        view = context.get("view")
        logger.exception("api request failed view=%s", type(view).__name__ if view else "")
        return problem_response(500, "server_error", "p81 failed to handle the request. Try again later.")

    headers = {
        name: value for name, value in response.items() if name.lower() in ("www-authenticate", "allow", "retry-after")
    }
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        return problem_response(
            response.status_code, "invalid", "Some values are invalid; see errors for each field.", errors, headers
        )

    codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
    code = codes if isinstance(codes, str) else "error"
    detail = response.data.get("detail", "") if isinstance(response.data, dict) else str(response.data)
    return problem_response(response.status_code, code, str(detail), None, headers)
