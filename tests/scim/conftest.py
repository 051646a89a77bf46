"""Fixtures for SCIM tests: a token, a client that sends it, and URL helpers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from scim.tokens import generate_token

SCIM_CONTENT_TYPE = "application/scim+json"
AZURE_CONTENT_TYPE = "application/scim+json; charset=utf-8"


class ScimClient:
    """A Django test client that speaks SCIM with a bearer token, like Azure does."""

    def __init__(self, base_path: str, token: str) -> None:
        self.base_path = base_path.rstrip("/")
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    def url(self, path: str) -> str:
        return f"{self.base_path}/{path.lstrip('/')}"

    def request(self, method: str, path: str, body: Any = None, content_type: str = AZURE_CONTENT_TYPE, **extra):
        data = body if isinstance(body, (str, bytes)) or body is None else json.dumps(body)
        handler = getattr(self.client, method.lower())
        if data is None:
            return handler(self.url(path), **extra)
        return handler(self.url(path), data=data, content_type=content_type, **extra)

    def get(self, path: str, **extra):
        return self.request("GET", path, **extra)

    def post(self, path: str, body: Any, **extra):
        return self.request("POST", path, body, **extra)

    def put(self, path: str, body: Any, **extra):
        return self.request("PUT", path, body, **extra)

    def patch(self, path: str, body: Any, **extra):
        return self.request("PATCH", path, body, **extra)

    def delete(self, path: str, **extra):
        return self.request("DELETE", path, **extra)


@pytest.fixture
def scim_token(provider) -> str:
    """A fresh SCIM token of `provider` (the only copy of its value)."""
    return generate_token(provider).value


@pytest.fixture
def scim(workspace, scim_token) -> ScimClient:
    """A SCIM client for `workspace`, authenticated as `provider`."""
    return ScimClient(f"/scim/v2/{workspace.slug}", scim_token)


@pytest.fixture
def other_scim(other_workspace, other_provider) -> ScimClient:
    """A SCIM client for `other_workspace`, authenticated as `other_provider`."""
    return ScimClient(f"/scim/v2/{other_workspace.slug}", generate_token(other_provider).value)


@pytest.fixture
def make_user(scim) -> Callable[..., dict]:
    """Create a user over SCIM and return the response body; fails the test on any status but 201."""

    def create(user_name: str, **attributes: Any) -> dict:
        body = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": user_name,
            "active": True,
            **attributes,
        }
        response = scim.post("Users", body)
        assert response.status_code == 201, response.content
        return response.json()

    return create
