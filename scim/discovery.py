"""Discovery documents: ServiceProviderConfig, ResourceTypes and Schemas (RFC 7644 section 4).

They describe what the service does, and nothing more: Users with the
Enterprise extension, Groups, PATCH, filtering up to SCIM_MAX_RESULTS results,
sorting on the indexed attributes, password changes, no bulk and no ETags.
"""

from __future__ import annotations

from django.conf import settings

from .schema import (
    LIST_RESPONSE_SCHEMA,
    RESOURCE_TYPE_SCHEMA,
    SCHEMA_SCHEMA,
    SERVICE_PROVIDER_CONFIG_SCHEMA,
    ResourceSchema,
    group_resource,
    user_resource,
)


def resource_types() -> list[ResourceSchema]:
    return [user_resource(), group_resource()]


def service_provider_config(base_url: str) -> dict:
    return {
        "schemas": [SERVICE_PROVIDER_CONFIG_SCHEMA],
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": settings.SCIM_MAX_RESULTS},
        "changePassword": {"supported": True},
        "sort": {"supported": True},
        "etag": {"supported": False},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "A SCIM token generated for the identity provider in p81, sent as "
                "'Authorization: Bearer <token>'.",
                "primary": True,
            }
        ],
        "meta": {"resourceType": "ServiceProviderConfig", "location": f"{base_url}/ServiceProviderConfig"},
    }


def resource_type_document(resource: ResourceSchema, base_url: str) -> dict:
    return {
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": resource.name,
        "name": resource.name,
        "endpoint": resource.endpoint,
        "description": resource.description,
        "schema": resource.core.id,
        "schemaExtensions": [{"schema": extension.id, "required": False} for extension in resource.extensions],
        "meta": {"resourceType": "ResourceType", "location": f"{base_url}/ResourceTypes/{resource.name}"},
    }


def schema_documents(base_url: str) -> list[dict]:
    documents = []
    seen = set()
    for resource in resource_types():
        for document in resource.published_schemas():
            if document["id"] in seen:
                continue
            seen.add(document["id"])
            documents.append(
                {
                    "schemas": [SCHEMA_SCHEMA],
                    "id": document["id"],
                    "name": document["name"],
                    "description": document.get("description", ""),
                    "attributes": document["attributes"],
                    "meta": {"resourceType": "Schema", "location": f"{base_url}/Schemas/{document['id']}"},
                }
            )
    return documents


def list_response(resources: list[dict], *, total: int | None = None, start_index: int = 1) -> dict:
    return {
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": len(resources) if total is None else total,
        "startIndex": start_index,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }
