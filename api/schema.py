"""OpenAPI post-processing: document the problem-details error responses of every operation."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from .errors import PROBLEM_CONTENT_TYPE, TITLES

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "An error, as RFC 7807 problem details.",
    "properties": {
        "type": {"type": "string", "description": "URN naming the problem: urn:p81:problem:<code>."},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "What failed and what to do, in plain words."},
        "code": {"type": "string", "description": "Stable machine-readable code, such as invalid or not_found."},
        "errors": {
            "type": "object",
            "description": "Messages per invalid field; empty when no single field is at fault.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["type", "title", "status", "detail", "code", "errors"],
}

# Statuses that any operation may return.
COMMON_ERROR_STATUSES = (400, 401, 403, 404, 405, 406, 415)


def add_problem_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Add the Problem schema and the common error responses to every operation of the schema."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    reference = {"$ref": "#/components/schemas/Problem"}

    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            for status_code in COMMON_ERROR_STATUSES:
                responses.setdefault(
                    str(status_code),
                    {"description": TITLES[status_code], "content": {PROBLEM_CONTENT_TYPE: {"schema": reference}}},
                )
            for status_code, response in responses.items():
                if status_code.startswith(("4", "5")) and "content" not in response:
                    response["content"] = {PROBLEM_CONTENT_TYPE: {"schema": reference}}
    return result


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Describe API token authentication in the schema as HTTP bearer."""

    target_class = "api.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from Settings > API tokens, such as p81api_....",
        }
