"""The administrator's whole flow through the REST API alone, ending with a real SCIM request."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from .conftest import CLIENT_ID, CLIENT_SECRET, TENANT_ID

pytestmark = pytest.mark.django_db

GROUP_ID = "5d2c9a31-7b44-4c1e-9f0a-2b8e6f3d1c77"


def test_api_flow_from_provider_to_provisioning_log(api: APIClient, settings) -> None:
    settings.P81_PUBLIC_URL = "http://testserver"

    created = api.post(
        "/api/v1/identity-providers/",
        {
            "display_name": "Contoso",
            "domain": "contoso.onmicrosoft.com",
            "tenant_id": TENANT_ID,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    provider_url = f"/api/v1/identity-providers/{created.json()['id']}/"

    domains = api.put(
        provider_url + "domains/", {"domain": "contoso.onmicrosoft.com", "aliases": ["contoso.com"]}, format="json"
    )
    groups = api.put(
        provider_url + "access-groups/", {"groups": [{"object_id": GROUP_ID, "display_name": "Sales"}]}, format="json"
    )
    scim = api.post(provider_url + "scim/enable/")
    token = api.post(provider_url + "scim/token/", {}, format="json")

    assert domains.json()["aliases"] == ["contoso.com"]
    assert groups.json()["everyone_allowed"] is False
    assert scim.json()["scim_enabled"] is True
    assert token.status_code == 201

    scim_client = APIClient()
    scim_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.json()['token']}")
    base_path = token.json()["base_url"].removeprefix("http://testserver")
    user = scim_client.post(
        f"{base_path}/Users",
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ann@contoso.com", "active": True},
        format="json",
    )
    assert user.status_code == 201, user.content

    log = api.get(provider_url + "provisioning-log/").json()
    users = api.get("/api/v1/directory-users/?q=ann").json()
    audit = api.get("/api/v1/audit-log/?source=api").json()
    provider = api.get(provider_url).json()

    assert [(row["operation"], row["status"], row["user_name"]) for row in log["results"]] == [
        ("user.create", 201, "ann@contoso.com")
    ]
    assert users["results"][0]["source"] == created.json()["id"]
    assert {entry["action"] for entry in audit["results"]} >= {
        "provider.create",
        "provider.update",
        "provider.access_groups",
        "provider.scim_on",
        "scim_token.generate",
    }
    assert provider["last_scim_request_at"] is not None
