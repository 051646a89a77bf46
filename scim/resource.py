"""Validation of SCIM resource bodies against a resource schema (RFC 7643).

`validate_resource` turns a request body (POST, PUT, or the document a
PATCH produced) into the canonical document that the directory stores:
attribute names in their schema spelling, values of the declared type,
read-only attributes dropped (RFC 7643 section 7 requires that they be ignored),
the write-only password taken out, and unassigned values removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.dateparse import parse_datetime

from . import azure
from .errors import InvalidSyntax, InvalidValue
from .schema import ENTERPRISE_USER_SCHEMA, Attribute, ResourceSchema, Schema
from .text import check_identifier

IGNORED_TOP_LEVEL = {"id", "meta", "schemas"}


@dataclass
class ValidatedResource:
    """A canonical resource document, and the password when the body set one."""

    document: dict[str, Any]
    password: str | None = None


def validate_resource(resource: ResourceSchema, body: Any) -> ValidatedResource:
    """Return the canonical document of `body`, or raise a ScimError naming the bad attribute."""
    if not isinstance(body, dict):
        raise InvalidSyntax("The request body must be a JSON object.")

    schemas = body.get("schemas")
    if schemas is not None and not (isinstance(schemas, list) and all(isinstance(item, str) for item in schemas)):
        raise InvalidSyntax('"schemas" must be a list of schema URNs.')

    result = ValidatedResource(document={})
    for key, value in body.items():
        if not isinstance(key, str):
            raise InvalidSyntax("Attribute names must be strings.")
        if key.lower() in IGNORED_TOP_LEVEL:
            continue
        _assign(resource, result, key, value)

    _check_required(resource.core, result.document, prefix="")
    for extension in resource.extensions:
        if extension.id in result.document:
            _check_required(extension, result.document[extension.id], prefix=extension.id + ":")
    _check_column_limits(resource, result.document)
    return result


# Attributes copied into database columns, with the column's length. The
# names among them that identify a resource must also be non-blank and free
# of control characters.
COLUMN_LIMITS: dict[str, dict[tuple[str, ...], int]] = {
    "User": {
        ("userName",): 256,
        ("externalId",): 256,
        ("displayName",): 256,
        ("name", "givenName"): 256,
        ("name", "familyName"): 256,
    },
    "Group": {("displayName",): 256, ("externalId",): 256},
}
IDENTIFIERS = {("userName",), ("displayName",)}


def _check_column_limits(resource: ResourceSchema, document: dict[str, Any]) -> None:
    for path, max_length in COLUMN_LIMITS.get(resource.name, {}).items():
        value: Any = document
        for name in path:
            value = value.get(name) if isinstance(value, dict) else None
        if not isinstance(value, str):
            continue
        label = ".".join(path)
        if path in IDENTIFIERS and (resource.name == "Group" or path == ("userName",)):
            check_identifier(label, value, max_length)
        elif len(value) > max_length:
            raise InvalidValue(f'"{label}" is {len(value)} characters long; the maximum is {max_length}.')


def _assign(resource: ResourceSchema, result: ValidatedResource, key: str, value: Any) -> None:
    schema, rest = resource.split_urn(key)

    if schema is not None and schema is not resource.core and rest == "":
        _assign_extension(resource, result, schema, value)
        return

    if schema is not None and schema is not resource.core:
        attribute = schema.attribute(rest)
        if attribute is None:
            raise InvalidSyntax(f'Unknown attribute "{rest}" in schema {schema.id}.')
        bucket = result.document.setdefault(schema.id, {})
        _store(bucket, attribute, value, f"{schema.id}:{attribute.name}")
        if not bucket:
            result.document.pop(schema.id, None)
        return

    attribute = resource.top_level(rest)
    if attribute is None:
        known = ", ".join(sorted(attr.name for attr in resource.core.attributes.values()))
        raise InvalidSyntax(f'Unknown attribute "{rest}". The {resource.name} schema defines: {known}, externalId.')

    if attribute.name == "password":
        result.password = _coerce_simple(attribute, value, "password") if value is not None else None
        return
    if attribute.mutability == "readOnly":
        return
    _store(result.document, attribute, value, attribute.name)


def _assign_extension(resource: ResourceSchema, result: ValidatedResource, schema: Schema, value: Any) -> None:
    if value is None:
        result.document.pop(schema.id, None)
        return
    if not isinstance(value, dict):
        raise InvalidValue(f'"{schema.id}" must be a JSON object of extension attributes.')

    bucket: dict[str, Any] = {}
    for name, item in value.items():
        if isinstance(name, str) and name.lower() == "schemas":
            continue
        attribute = schema.attribute(name) if isinstance(name, str) else None
        if attribute is None:
            raise InvalidSyntax(f'Unknown attribute "{name}" in schema {schema.id}.')
        if attribute.mutability == "readOnly":
            continue
        _store(bucket, attribute, item, f"{schema.id}:{attribute.name}")

    if bucket:
        result.document[schema.id] = bucket
    else:
        result.document.pop(schema.id, None)


def _store(target: dict[str, Any], attribute: Attribute, value: Any, label: str) -> None:
    """Coerce `value` for `attribute` and store it, or remove the attribute when unassigned."""
    if label == f"{ENTERPRISE_USER_SCHEMA}:manager":
        value = azure.normalize_manager(value)

    coerced = coerce_value(attribute, value, label)
    if coerced is None or coerced == [] or coerced == {}:
        target.pop(attribute.name, None)
    else:
        target[attribute.name] = coerced


def coerce_value(attribute: Attribute, value: Any, label: str) -> Any:
    """Return `value` coerced to the attribute's type, None when unassigned; raise InvalidValue otherwise."""
    if value is None:
        return None

    if attribute.multi_valued:
        items = value if isinstance(value, list) else [value]
        coerced = [coerce_single(attribute, item, label) for item in items]
        coerced = [item for item in coerced if item not in (None, {})]
        _check_single_primary(coerced, label)
        return coerced
    return coerce_single(attribute, value, label)


def coerce_single(attribute: Attribute, value: Any, label: str) -> Any:
    """Coerce one (not multi-valued) value of `attribute`."""
    if value is None:
        return None
    if attribute.is_complex:
        return _coerce_complex(attribute, value, label)
    return _coerce_simple(attribute, value, label)


def _coerce_complex(attribute: Attribute, value: Any, label: str) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        raise InvalidValue(f'"{label}" must be a JSON object with the sub-attributes {_sub_names(attribute)}.')

    result: dict[str, Any] = {}
    for name, item in value.items():
        sub = attribute.sub_attribute(name) if isinstance(name, str) else None
        if sub is None:
            raise InvalidSyntax(f'Unknown sub-attribute "{name}" of "{label}"; expected {_sub_names(attribute)}.')
        if sub.mutability == "readOnly":
            continue
        coerced = _coerce_simple(sub, item, f"{label}.{sub.name}") if item is not None else None
        if coerced is not None:
            result[sub.name] = coerced
    return result or None


def _coerce_simple(attribute: Attribute, value: Any, label: str) -> Any:
    kind = attribute.type

    if kind == "boolean":
        value = azure.parse_boolean_string(value)
        if isinstance(value, bool):
            return value
        raise InvalidValue(f'"{label}" must be a boolean (true or false), got {value!r}.')

    if kind == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise InvalidValue(f'"{label}" must be an integer, got {value!r}.')

    if kind == "decimal":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        raise InvalidValue(f'"{label}" must be a number, got {value!r}.')

    if kind == "dateTime":
        if isinstance(value, str) and parse_datetime(value) is not None:
            return value
        raise InvalidValue(f'"{label}" must be an xsd:dateTime such as 2026-01-31T12:00:00Z, got {value!r}.')

    # string, reference and binary all travel as JSON strings.
    if isinstance(value, str):
        return value
    raise InvalidValue(f'"{label}" must be a string, got {type(value).__name__}.')


def _check_single_primary(items: list[Any], label: str) -> None:
    primaries = [item for item in items if isinstance(item, dict) and item.get("primary") is True]
    if len(primaries) > 1:
        raise InvalidValue(f'At most one value of "{label}" may have "primary": true (RFC 7643 section 2.4).')


def _check_required(schema: Schema, document: dict[str, Any], prefix: str) -> None:
    for attribute in schema.attributes.values():
        if attribute.required and attribute.mutability != "readOnly" and document.get(attribute.name) in (None, "", []):
            raise InvalidValue(f'"{prefix}{attribute.name}" is required.')


def _sub_names(attribute: Attribute) -> str:
    return ", ".join(sub.name for sub in attribute.sub_attributes.values())
