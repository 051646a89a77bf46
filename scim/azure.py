"""Azure AD (Microsoft Entra ID) provisioning quirks, in one place.

Each function here accepts a shape that Azure's provisioning service sends
although RFC 7644 does not define it, and turns it into the standard shape
before the generic SCIM code receives it. Sources: Microsoft's "Known issues
and resolutions with SCIM 2.0 protocol compliance of the Microsoft Entra
user provisioning service" and "Tutorial: Develop and plan provisioning for
a SCIM endpoint in Microsoft Entra ID".
"""

from __future__ import annotations

from typing import Any

BOOLEAN_STRINGS = {"true": True, "false": False}


def normalize_op_name(op: Any) -> Any:
    """Return the PATCH op in lower case: Azure sends "Add", "Replace" and "Remove"."""
    return op.lower() if isinstance(op, str) else op


def parse_boolean_string(value: Any) -> Any:
    """Return True or False for "True", "False", "true" or "false"; any other value unchanged.

    Azure sends booleans in PATCH values as strings unless the
    aadOptscim062020 flag is set on the application.
    """
    if isinstance(value, str):
        return BOOLEAN_STRINGS.get(value.strip().lower(), value)
    return value


def normalize_manager(value: Any) -> Any:
    """Return the enterprise `manager` value in RFC 7643 form, or None to clear it.

    Azure sends the manager's id as a bare string, and clears the manager
    with an empty string (or {"value": ""}) as well as with a Remove op.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return {"value": value} if value.strip() else None
    if isinstance(value, dict) and value.get("value") in ("", None) and set(value) <= {"value", "$ref", "displayName"}:
        return None
    return value


def expand_pathless_value(value: Any) -> Any:
    """Split a path-keyed PATCH value into nested objects where Azure uses dotted keys.

    With the aadOptscim062020 flag, a PATCH without `path` carries keys such
    as "name.givenName" or
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber".
    The URN form is resolved later against the schema; here only a dotted
    key without a URN becomes a nested object, so {"name.givenName": "Ann"}
    becomes {"name": {"givenName": "Ann"}}.
    """
    if not isinstance(value, dict):
        return value

    expanded: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(key, str) and "." in key and not key.lower().startswith("urn:"):
            parent, _, child = key.partition(".")
            target = expanded.setdefault(parent, {})
            if isinstance(target, dict):
                target[child] = item
                continue
        expanded[key] = item
    return expanded


def derive_element_from_filter(filter_attribute: str | None, filter_value: Any) -> dict[str, Any]:
    """Return the new element that `emails[type eq "work"].value` describes when none matches.

    Azure sends Add and Replace with such a path for a user who has no work
    email yet, and expects the entry to be created. Only a filter of the
    form `<subAttribute> eq <value>` describes an element; the caller passes
    its parts, or None when the filter has another form.
    """
    if filter_attribute is None:
        return {}
    return {filter_attribute: filter_value}
