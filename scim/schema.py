"""SCIM schema definitions (RFC 7643) and attribute lookup.

The published schema documents start from the RFC 7643 copies that ship
with django-scim2, corrected where they disagree with RFC 7643 or with
what p81 enforces: `addresses` has a `primary` sub-attribute (section
4.1.2), and a Group's `displayName` is required (section 4.2) and unique
in the workspace ("uniqueness": "server").

Attribute names are case-insensitive (RFC 7643 section 2.1), so every
lookup here lower-cases the name and returns the canonical spelling.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import django_scim.schemas

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_USER_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_REQUEST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
SERVICE_PROVIDER_CONFIG_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"

SCHEMAS_DIR = Path(django_scim.schemas.__file__).parent


@dataclass(frozen=True)
class Attribute:
    """One attribute definition with the characteristics of RFC 7643 section 7."""

    name: str
    type: str
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: str = "readWrite"
    returned: str = "default"
    uniqueness: str = "none"
    canonical_values: tuple[str, ...] = ()
    sub_attributes: dict[str, Attribute] = field(default_factory=dict)

    @property
    def is_complex(self) -> bool:
        return self.type == "complex"

    def sub_attribute(self, name: str) -> Attribute | None:
        """Return the sub-attribute called `name` in any letter case, or None."""
        return self.sub_attributes.get(name.lower())


@dataclass(frozen=True)
class Schema:
    """A schema: its URN, its attributes by lower-cased name, and the document published for it."""

    id: str
    attributes: dict[str, Attribute]
    document: dict

    def attribute(self, name: str) -> Attribute | None:
        """Return the attribute called `name` in any letter case, or None."""
        return self.attributes.get(name.lower())


def _attribute_from_json(data: dict) -> Attribute:
    sub_attributes = {sub["name"].lower(): _attribute_from_json(sub) for sub in data.get("subAttributes", [])}
    return Attribute(
        name=data["name"],
        type=data["type"],
        multi_valued=bool(data.get("multiValued", False)),
        required=bool(data.get("required", False)),
        case_exact=bool(data.get("caseExact", False)),
        mutability=data.get("mutability", "readWrite"),
        returned=data.get("returned", "default"),
        uniqueness=data.get("uniqueness", "none"),
        canonical_values=tuple(data.get("canonicalValues", ())),
        sub_attributes=sub_attributes,
    )


def _schema_from_document(document: dict) -> Schema:
    attributes = {item["name"].lower(): _attribute_from_json(item) for item in document["attributes"]}
    return Schema(id=document["id"], attributes=attributes, document=document)


def _load(relative_path: str) -> dict:
    with open(SCHEMAS_DIR / relative_path, encoding="utf-8") as handle:
        return json.load(handle)


def _user_schema_document() -> dict:
    document = copy.deepcopy(_load("core/User.json"))

    for item in document["attributes"]:
        if item["name"] == "addresses" and not any(sub["name"] == "primary" for sub in item["subAttributes"]):
            item["subAttributes"].append(
                {
                    "name": "primary",
                    "type": "boolean",
                    "multiValued": False,
                    "description": "A Boolean value indicating the 'primary' or preferred address.",
                    "required": False,
                    "mutability": "readWrite",
                    "returned": "default",
                }
            )
    return document


@cache
def user_schema() -> Schema:
    """Return the core User schema as p81 serves it."""
    return _schema_from_document(_user_schema_document())


def _group_schema_document() -> dict:
    document = copy.deepcopy(_load("core/Group.json"))
    for item in document["attributes"]:
        if item["name"] == "displayName":
            item["required"] = True
            item["uniqueness"] = "server"
    return document


@cache
def group_schema() -> Schema:
    """Return the core Group schema (RFC 7643 section 4.2)."""
    return _schema_from_document(_group_schema_document())


@cache
def enterprise_user_schema() -> Schema:
    """Return the Enterprise User extension schema (RFC 7643 section 4.3)."""
    return _schema_from_document(copy.deepcopy(_load("extension/Enterprise-User.json")))


# Common attributes of every resource (RFC 7643 section 3.1). They belong to
# no schema document but may be named in paths, filters and projections.
ID_ATTRIBUTE = Attribute(name="id", type="string", case_exact=True, mutability="readOnly", returned="always")
EXTERNAL_ID_ATTRIBUTE = Attribute(name="externalId", type="string", case_exact=True)
META_ATTRIBUTE = Attribute(
    name="meta",
    type="complex",
    mutability="readOnly",
    sub_attributes={
        name.lower(): Attribute(name=name, type=kind, case_exact=True, mutability="readOnly")
        for name, kind in (
            ("resourceType", "string"),
            ("created", "dateTime"),
            ("lastModified", "dateTime"),
            ("location", "reference"),
            ("version", "string"),
        )
    },
)
COMMON_ATTRIBUTES = {attr.name.lower(): attr for attr in (ID_ATTRIBUTE, EXTERNAL_ID_ATTRIBUTE, META_ATTRIBUTE)}


@dataclass(frozen=True)
class ResourceSchema:
    """A resource type: a core schema, its extensions, and the lookups across them."""

    name: str
    endpoint: str
    description: str
    core: Schema
    extensions: tuple[Schema, ...]

    def extension(self, urn: str) -> Schema | None:
        """Return the extension schema with URN `urn` in any letter case, or None."""
        for schema in self.extensions:
            if schema.id.lower() == urn.lower():
                return schema
        return None

    def schema(self, urn: str) -> Schema | None:
        """Return the core or extension schema with URN `urn`, or None."""
        if urn.lower() == self.core.id.lower():
            return self.core
        return self.extension(urn)

    def top_level(self, name: str) -> Attribute | None:
        """Return a common or core attribute by name, or None."""
        return COMMON_ATTRIBUTES.get(name.lower()) or self.core.attribute(name)

    def split_urn(self, path: str) -> tuple[Schema | None, str]:
        """Split "urn:...:User:name.givenName" into (schema, "name.givenName").

        A path without a known URN prefix returns (None, path). A path that
        is exactly an extension URN returns (extension, "").
        """
        lowered = path.lower()
        for schema in (self.core, *self.extensions):
            urn = schema.id.lower()
            if lowered == urn:
                return schema, ""
            if lowered.startswith(urn + ":"):
                return schema, path[len(urn) + 1 :]
        return None, path

    def published_schemas(self) -> list[dict]:
        return [self.core.document, *(schema.document for schema in self.extensions)]


@cache
def user_resource() -> ResourceSchema:
    """Return the User resource type: core User schema with the Enterprise extension."""
    return ResourceSchema(
        name="User",
        endpoint="/Users",
        description="User Account",
        core=user_schema(),
        extensions=(enterprise_user_schema(),),
    )


@cache
def group_resource() -> ResourceSchema:
    """Return the Group resource type."""
    return ResourceSchema(name="Group", endpoint="/Groups", description="Group", core=group_schema(), extensions=())
