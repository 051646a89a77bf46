"""SCIM errors, rendered as RFC 7644 section 3.12 error bodies.

The classes extend django-scim2's `SCIMException` so that code written for
that library keeps working, but render `status` as a string, as RFC 7644
requires and Azure expects, and always carry a `detail` that explains what to
fix.
"""

from __future__ import annotations

from django_scim.constants import SchemaURI
from django_scim.exceptions import SCIMException


class ScimError(SCIMException):
    """An error returned to the SCIM client with `status` and, where one applies, `scimType`."""

    status = 400
    scim_type: str | None = None

    def __init__(self, detail: str, *, status: int | None = None, scim_type: str | None = None) -> None:
        super().__init__(detail, status=status or self.status, scim_type=scim_type or self.scim_type)

    def to_dict(self) -> dict:
        body: dict = {"schemas": [SchemaURI.ERROR], "status": str(self.status)}
        if self.scim_type:
            body["scimType"] = self.scim_type
        body["detail"] = self.detail
        return body


class InvalidSyntax(ScimError):
    """The request body is not JSON or does not have the structure of a SCIM message."""

    scim_type = "invalidSyntax"


class InvalidValue(ScimError):
    """A value has the wrong type, is missing where required, or is not allowed."""

    scim_type = "invalidValue"


class InvalidFilter(ScimError):
    """The `filter` parameter cannot be parsed or uses an attribute that cannot be filtered."""

    scim_type = "invalidFilter"


class InvalidPath(ScimError):
    """A PATCH `path` cannot be parsed or names an attribute the schema does not define."""

    scim_type = "invalidPath"


class NoTarget(ScimError):
    """A PATCH operation names no target, or its filter matches nothing it can change."""

    scim_type = "noTarget"


class Mutability(ScimError):
    """The request tries to change a read-only or immutable attribute."""

    scim_type = "mutability"


class TooMany(ScimError):
    """The query would return more results than the service returns at once."""

    scim_type = "tooMany"


class Uniqueness(ScimError):
    """A unique attribute value (such as `userName`) is already taken in the workspace."""

    status = 409
    scim_type = "uniqueness"


class NotFound(ScimError):
    status = 404


class Unauthorized(ScimError):
    status = 401


class MethodNotAllowed(ScimError):
    status = 405


class LengthRequired(ScimError):
    status = 411


class PayloadTooLarge(ScimError):
    status = 413


class UnsupportedMediaType(ScimError):
    status = 415


class NotImplementedFeature(ScimError):
    status = 501
