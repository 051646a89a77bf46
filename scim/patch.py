"""SCIM PATCH (RFC 7644 section 3.5.2) applied to a resource document.

`apply_patch` works on a copy of the stored document and returns the new
one. The caller validates it with `scim.resource.validate_resource` and
saves it, so every write path shares one validation. Azure's forms
(capitalised ops, string booleans, PATCH without `path` and dotted keys,
`emails[type eq "work"].value` on a user without a work email) are turned
into standard ones by `scim.azure`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from scim2_models.exceptions import SCIMException as ModelsError
from scim2_models.path import AttrPath, CompareOperator, Comparison, Path, ValuePath

from . import azure
from .errors import InvalidPath, InvalidSyntax, InvalidValue, Mutability, NoTarget
from .filters import element_matches
from .schema import PATCH_OP_SCHEMA, Attribute, ResourceSchema, Schema

OPERATIONS = ("add", "replace", "remove")


@dataclass(frozen=True)
class Target:
    """Resolved PATCH path: the schema, attribute, optional value filter and sub-attribute."""

    schema: Schema
    attribute: Attribute | None
    value_filter: Any = None
    sub_attribute: Attribute | None = None
    is_extension: bool = False

    @property
    def whole_extension(self) -> bool:
        return self.attribute is None


def read_operations(body: Any) -> list[dict[str, Any]]:
    """Return the operations of a PatchOp request body, or raise a ScimError saying what is wrong."""
    if not isinstance(body, dict):
        raise InvalidSyntax("The PATCH body must be a JSON object with a PatchOp message.")

    schemas = body.get("schemas")
    if schemas is not None and (not isinstance(schemas, list) or PATCH_OP_SCHEMA not in schemas):
        raise InvalidSyntax(f'A PATCH body must have "schemas": ["{PATCH_OP_SCHEMA}"].')

    operations = body.get("Operations", body.get("operations"))
    if not isinstance(operations, list) or not operations:
        raise InvalidSyntax('A PATCH body needs a non-empty "Operations" list.')
    if len(operations) > settings.SCIM_MAX_PATCH_OPERATIONS:
        raise InvalidValue(f"A PATCH request may carry at most {settings.SCIM_MAX_PATCH_OPERATIONS} operations.")

    normalized = []
    for index, operation in enumerate(operations):
        if not isinstance(operation, dict):
            raise InvalidSyntax(f"Operation {index} must be a JSON object.")
        op = azure.normalize_op_name(operation.get("op"))
        if op not in OPERATIONS:
            raise InvalidSyntax(f'Operation {index} has op {operation.get("op")!r}; use "add", "replace" or "remove".')
        path = operation.get("path")
        if path is not None and not isinstance(path, str):
            raise InvalidPath(f'Operation {index} has a "path" that is not a string.')
        normalized.append({"op": op, "path": path.strip() if path else None, "value": operation.get("value")})
    return normalized


def apply_patch(resource: ResourceSchema, document: dict[str, Any], operations: list[dict[str, Any]]) -> dict:
    """Return a copy of `document` with the operations applied in order (not yet validated)."""
    result = copy.deepcopy(document)
    for operation in operations:
        _apply(resource, result, operation["op"], operation["path"], operation["value"])
    return result


def _apply(resource: ResourceSchema, document: dict, op: str, path: str | None, value: Any) -> None:
    if path is None:
        if op == "remove":
            raise NoTarget('A "remove" operation needs a "path" (RFC 7644 section 3.5.2.2).')
        _apply_pathless(resource, document, op, value)
        return

    target = resolve_path(resource, path)
    _check_mutability(target, op, path)

    if op == "remove":
        _remove(document, target, value)
    else:
        _set(document, target, value, replace=(op == "replace"))


def _apply_pathless(resource: ResourceSchema, document: dict, op: str, value: Any) -> None:
    value = azure.expand_pathless_value(value)
    if not isinstance(value, dict):
        raise InvalidValue(f'An "{op}" operation without "path" needs an object of attributes as its value.')

    for key, item in value.items():
        if not isinstance(key, str):
            raise InvalidSyntax("Attribute names must be strings.")
        if key.lower() == "schemas":
            continue

        schema, rest = resource.split_urn(key)
        if schema is not None and schema is not resource.core and rest == "":
            if not isinstance(item, dict):
                raise InvalidValue(f'"{schema.id}" must be an object of extension attributes.')
            for name, sub_item in azure.expand_pathless_value(item).items():
                _apply(resource, document, op, f"{schema.id}:{name}", sub_item)
            continue
        _apply(resource, document, op, key, item)


def resolve_path(resource: ResourceSchema, path: str) -> Target:
    """Resolve a PATCH path against the resource schema, or raise InvalidPath / NoTarget."""
    schema, rest = resource.split_urn(path)
    if schema is not None and schema is not resource.core and rest == "":
        return Target(schema=schema, attribute=None, is_extension=True)

    try:
        node = Path(path).ast
    except (ModelsError, ValueError) as error:
        detail = getattr(error, "detail", None) or str(error)
        raise InvalidPath(f"The path {path!r} is not valid: {detail}.") from error

    if isinstance(node, AttrPath):
        schema, attribute = _resolve_attribute(resource, node.uri, node.attr, path)
        sub = _resolve_sub(attribute, node.sub_attr, path)
        return Target(schema=schema, attribute=attribute, sub_attribute=sub, is_extension=schema is not resource.core)

    if isinstance(node, ValuePath):
        schema, attribute = _resolve_attribute(resource, node.attr_path.uri, node.attr_path.attr, path)
        if not attribute.multi_valued:
            raise InvalidPath(f'The path {path!r} filters "{attribute.name}", which is not multi-valued.')
        sub = _resolve_sub(attribute, node.sub_attr, path)
        return Target(
            schema=schema,
            attribute=attribute,
            value_filter=node.val_filter,
            sub_attribute=sub,
            is_extension=schema is not resource.core,
        )

    raise InvalidPath(f"The path {path!r} is a filter expression, not an attribute path.")


def _resolve_attribute(resource: ResourceSchema, uri: str | None, name: str, path: str) -> tuple[Schema, Attribute]:
    if uri:
        schema = resource.schema(uri)
        if schema is None:
            raise InvalidPath(f"The path {path!r} names the unknown schema {uri}.")
        attribute = schema.attribute(name)
        if attribute is None and schema is resource.core:
            attribute = resource.top_level(name)
    else:
        schema = resource.core
        attribute = resource.top_level(name)
    if attribute is None:
        raise InvalidPath(f'The path {path!r} names the unknown attribute "{name}".')
    return schema, attribute


def _resolve_sub(attribute: Attribute, name: str | None, path: str) -> Attribute | None:
    if name is None:
        return None
    if not attribute.is_complex:
        raise InvalidPath(f'The path {path!r} names a sub-attribute of "{attribute.name}", which has none.')
    sub = attribute.sub_attribute(name)
    if sub is None:
        raise InvalidPath(f'The path {path!r} names the unknown sub-attribute "{name}" of "{attribute.name}".')
    return sub


def _check_mutability(target: Target, op: str, path: str) -> None:
    attribute = target.sub_attribute or target.attribute
    if attribute is None:
        return
    if attribute.mutability == "readOnly" or (target.attribute and target.attribute.mutability == "readOnly"):
        raise Mutability(f'"{path}" is read-only and cannot be changed with "{op}".')


def _container(document: dict, target: Target, create: bool) -> dict | None:
    """Return the object that contains the target attribute: the document, or its extension object."""
    if not target.is_extension:
        return document
    if create:
        return document.setdefault(target.schema.id, {})
    return document.get(target.schema.id)


def _canonical_object(attribute: Attribute, value: Any) -> Any:
    """Return `value` with sub-attribute names spelt as the schema spells them."""
    if not attribute.is_complex or not isinstance(value, dict):
        return value
    result = {}
    for key, item in value.items():
        sub = attribute.sub_attribute(key) if isinstance(key, str) else None
        result[sub.name if sub else key] = item
    return result


def _set(document: dict, target: Target, value: Any, *, replace: bool) -> None:
    if target.whole_extension:
        if not isinstance(value, dict):
            raise InvalidValue(f'"{target.schema.id}" must be an object of extension attributes.')
        bucket = document.setdefault(target.schema.id, {}) if not replace else {}
        for key, item in value.items():
            if isinstance(key, str) and key.lower() == "schemas":
                continue
            attribute = target.schema.attribute(key) if isinstance(key, str) else None
            if attribute is None:
                raise InvalidPath(f'Unknown attribute "{key}" in schema {target.schema.id}.')
            bucket[attribute.name] = _canonical_object(attribute, item)
        document[target.schema.id] = bucket
        return

    container = _container(document, target, create=True)
    attribute = target.attribute
    assert attribute is not None and container is not None

    if attribute.multi_valued:
        _set_multi_valued(container, target, value, replace=replace)
        return

    if target.sub_attribute is not None:
        parent = container.get(attribute.name)
        if not isinstance(parent, dict):
            parent = {}
        parent[target.sub_attribute.name] = value
        container[attribute.name] = parent
        return

    if attribute.name == "manager" and target.is_extension:
        value = azure.normalize_manager(value)
    if attribute.is_complex and isinstance(value, dict) and isinstance(container.get(attribute.name), dict):
        merged = dict(container[attribute.name])
        merged.update(_canonical_object(attribute, value))
        container[attribute.name] = merged
        return
    container[attribute.name] = _canonical_object(attribute, value)


def _set_multi_valued(container: dict, target: Target, value: Any, *, replace: bool) -> None:
    attribute = target.attribute
    assert attribute is not None
    current = container.get(attribute.name)
    elements: list = list(current) if isinstance(current, list) else []

    if target.value_filter is None and target.sub_attribute is None:
        new_items = value if isinstance(value, list) else [value]
        new_items = [_canonical_object(attribute, item) for item in new_items]
        if replace:
            elements = new_items
        else:
            elements.extend(item for item in new_items if item not in elements)
        container[attribute.name] = _single_primary(elements, new_items)
        return

    if target.value_filter is None:
        # "emails.value" without a filter: set the sub-attribute on every value.
        if not elements:
            elements = [{}]
        for element in elements:
            if isinstance(element, dict):
                element[target.sub_attribute.name] = value
        container[attribute.name] = elements
        return

    matched = [
        element
        for element in elements
        if isinstance(element, dict) and element_matches(target.value_filter, element, attribute)
    ]
    if not matched:
        derived = _element_from_filter(target.value_filter)
        if derived is None:
            raise NoTarget(f'No value of "{attribute.name}" matches the filter [{target.value_filter}].')
        elements.append(derived)
        matched = [derived]

    for element in matched:
        if target.sub_attribute is not None:
            element[target.sub_attribute.name] = value
        elif isinstance(value, dict):
            element.update(_canonical_object(attribute, value))
        else:
            raise InvalidValue(f'The value for "{attribute.name}[{target.value_filter}]" must be an object.')
    container[attribute.name] = _single_primary(elements, matched if _sets_primary(target, value) else [])


def _element_from_filter(value_filter: Any) -> dict | None:
    if isinstance(value_filter, Comparison) and value_filter.op == CompareOperator.eq:
        name = value_filter.attr_path.attr
        if value_filter.attr_path.sub_attr is None and value_filter.attr_path.uri is None:
            return azure.derive_element_from_filter(name, value_filter.value)
    return None


def _sets_primary(target: Target, value: Any) -> bool:
    if target.sub_attribute is not None:
        return target.sub_attribute.name == "primary" and azure.parse_boolean_string(value) is True
    return isinstance(value, dict) and azure.parse_boolean_string(value.get("primary")) is True


def _single_primary(elements: list, preferred: list) -> list:
    """Clear `primary` on every value but the newly set primary one (RFC 7644 section 3.5.2.1)."""
    chosen = [
        item for item in preferred if isinstance(item, dict) and azure.parse_boolean_string(item.get("primary")) is True
    ]
    if not chosen:
        return elements
    keep = chosen[-1]
    for element in elements:
        if isinstance(element, dict) and element is not keep:
            if azure.parse_boolean_string(element.get("primary")) is True:
                element["primary"] = False
    return elements


def _remove(document: dict, target: Target, value: Any) -> None:
    if target.whole_extension:
        document.pop(target.schema.id, None)
        return

    container = _container(document, target, create=False)
    attribute = target.attribute
    if container is None or attribute is None or attribute.name not in container:
        return

    if attribute.multi_valued:
        _remove_multi_valued(container, target, value)
        return

    if target.sub_attribute is not None:
        parent = container.get(attribute.name)
        if isinstance(parent, dict):
            parent.pop(target.sub_attribute.name, None)
            if not parent:
                container.pop(attribute.name)
        return

    container.pop(attribute.name, None)


def _remove_multi_valued(container: dict, target: Target, value: Any) -> None:
    attribute = target.attribute
    assert attribute is not None
    elements = container.get(attribute.name)
    if not isinstance(elements, list):
        container.pop(attribute.name, None)
        return

    if target.value_filter is None and target.sub_attribute is None:
        if value is None:
            container.pop(attribute.name, None)
            return
        # Azure removes listed values only: {"op": "Remove", "path": "members", "value": [{"value": "id"}]}.
        listed = value if isinstance(value, list) else [value]
        listed_values = {item.get("value") if isinstance(item, dict) else item for item in listed}
        kept = [
            element
            for element in elements
            if (element.get("value") if isinstance(element, dict) else element) not in listed_values
        ]
        _store_or_drop(container, attribute, kept)
        return

    if target.value_filter is None:
        for element in elements:
            if isinstance(element, dict):
                element.pop(target.sub_attribute.name, None)
        _store_or_drop(container, attribute, [element for element in elements if element])
        return

    if target.sub_attribute is None:
        kept = [
            element
            for element in elements
            if not (isinstance(element, dict) and element_matches(target.value_filter, element, attribute))
        ]
        _store_or_drop(container, attribute, kept)
        return

    for element in elements:
        if isinstance(element, dict) and element_matches(target.value_filter, element, attribute):
            element.pop(target.sub_attribute.name, None)
    _store_or_drop(container, attribute, [element for element in elements if element])


def _store_or_drop(container: dict, attribute: Attribute, elements: list) -> None:
    if elements:
        container[attribute.name] = elements
    else:
        container.pop(attribute.name, None)
