"""The `attributes` and `excludedAttributes` parameters (RFC 7644 section 3.4.2.5).

`attributes` returns only the named attributes; `excludedAttributes`
returns the default set without the named ones. Attributes with
`returned: always` (`id`, and `schemas`, which every resource carries) are
kept in both cases. Names are case-insensitive and may be qualified with a
schema URN; a name with a sub-attribute (`name.givenName`) selects only
that sub-attribute.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidValue
from .schema import ResourceSchema

ALWAYS_RETURNED = {"id", "schemas"}


@dataclass
class Selection:
    """Requested attributes per schema: attribute name (lower case) -> set of sub-attributes, empty for all."""

    core: dict[str, set[str]] = field(default_factory=dict)
    extensions: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    whole_extensions: set[str] = field(default_factory=set)

    def is_empty(self) -> bool:
        return not (self.core or self.extensions or self.whole_extensions)


def split_parameter(value: Any) -> list[str]:
    """Return the attribute names of a comma-separated parameter or a JSON list of names."""
    if value in (None, ""):
        return []
    if isinstance(value, list):
        if not all(isinstance(item, str) for item in value):
            raise InvalidValue("Attribute lists must contain attribute names as strings.")
        items = value
    elif isinstance(value, str):
        items = value.split(",")
    else:
        raise InvalidValue("Attribute lists must be comma-separated names or a list of names.")
    return [item.strip() for item in items if item.strip()]


def parse_selection(resource: ResourceSchema, names: list[str]) -> Selection:
    """Group requested names by schema; unknown names are ignored, as RFC 7644 allows."""
    selection = Selection()
    for raw in names:
        schema, rest = resource.split_urn(raw)
        if schema is not None and schema is not resource.core and rest == "":
            selection.whole_extensions.add(schema.id)
            continue

        attribute_name, _, sub_name = rest.partition(".")
        attribute_name, sub_name = attribute_name.lower(), sub_name.lower()

        if schema is None:
            if resource.top_level(attribute_name) is None:
                for extension in resource.extensions:
                    if extension.attribute(attribute_name) is not None:
                        schema = extension
                        break
            schema = schema or resource.core

        target = selection.core if schema is resource.core else selection.extensions.setdefault(schema.id, {})
        subs = target.setdefault(attribute_name, set())
        if "*" in subs:
            continue
        if sub_name:
            subs.add(sub_name)
        else:
            subs.clear()
            subs.add("*")
    return selection


def project(resource: ResourceSchema, data: dict[str, Any], attributes: list[str], excluded: list[str]) -> dict:
    """Return `data` reduced to what `attributes` and `excludedAttributes` ask for."""
    if attributes:
        return _include(resource, data, parse_selection(resource, attributes))
    if excluded:
        return _exclude(resource, data, parse_selection(resource, excluded))
    return data


def _include(resource: ResourceSchema, data: dict, selection: Selection) -> dict:
    result: dict[str, Any] = {}
    extension_ids = {schema.id for schema in resource.extensions}

    for key, value in data.items():
        if key in ALWAYS_RETURNED:
            result[key] = value
        elif key in extension_ids:
            if key in selection.whole_extensions:
                result[key] = value
            elif key in selection.extensions and isinstance(value, dict):
                reduced = _include_level(value, selection.extensions[key])
                if reduced:
                    result[key] = reduced
        elif key.lower() in selection.core:
            reduced_value = _include_value(value, selection.core[key.lower()])
            if reduced_value not in (None, {}, []):
                result[key] = reduced_value
    return result


def _include_level(values: dict, wanted: dict[str, set[str]]) -> dict:
    result = {}
    for key, value in values.items():
        if key.lower() in wanted:
            reduced = _include_value(value, wanted[key.lower()])
            if reduced not in (None, {}, []):
                result[key] = reduced
    return result


def _include_value(value: Any, subs: set[str]) -> Any:
    if "*" in subs or not subs:
        return value
    if isinstance(value, dict):
        return {key: item for key, item in value.items() if key.lower() in subs}
    if isinstance(value, list):
        reduced = [_include_value(item, subs) for item in value]
        return [item for item in reduced if item not in (None, {})]
    return value


def _exclude(resource: ResourceSchema, data: dict, selection: Selection) -> dict:
    result: dict[str, Any] = {}
    extension_ids = {schema.id for schema in resource.extensions}

    for key, value in data.items():
        if key in ALWAYS_RETURNED:
            result[key] = value
        elif key in extension_ids:
            if key in selection.whole_extensions:
                continue
            if key in selection.extensions and isinstance(value, dict):
                reduced = _exclude_level(value, selection.extensions[key])
                if reduced:
                    result[key] = reduced
            else:
                result[key] = value
        elif key.lower() in selection.core:
            reduced_value = _exclude_value(value, selection.core[key.lower()])
            if reduced_value not in (None, {}, []):
                result[key] = reduced_value
        else:
            result[key] = value
    return result


def _exclude_level(values: dict, unwanted: dict[str, set[str]]) -> dict:
    result = {}
    for key, value in values.items():
        if key.lower() in unwanted:
            reduced = _exclude_value(value, unwanted[key.lower()])
            if reduced not in (None, {}, []):
                result[key] = reduced
        else:
            result[key] = value
    return result


def _exclude_value(value: Any, subs: set[str]) -> Any:
    if "*" in subs or not subs:
        return None
    if isinstance(value, dict):
        return {key: item for key, item in value.items() if key.lower() not in subs}
    if isinstance(value, list):
        reduced = [_exclude_value(item, subs) for item in value]
        return [item for item in reduced if item not in (None, {})]
    return value
