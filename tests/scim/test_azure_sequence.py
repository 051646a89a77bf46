"""Replay the user requests that Microsoft Entra ID documents, in the order of a provisioning cycle.

Request bodies are copied verbatim from Microsoft's "Tutorial: Develop and
plan provisioning for a SCIM endpoint in Microsoft Entra ID", section "User
Operations" (learn.microsoft.com/entra/identity/app-provisioning/
use-scim-to-provision-users-and-groups, revision of 2025-03-04). Expected
responses are the documented ones with server-assigned values adapted: the
`id`, `meta` timestamps and, because each documented example shows a
different user, the attributes that earlier steps of this cycle changed.

Microsoft documents no request that adds enterprise attributes or a
manager, nor one that removes a manager. Those two steps send the form
that the "Known issues ... SCIM 2.0 protocol compliance" page shows for
enterprise attributes (an operation per attribute, the path a full URN)
with the manager as a bare id string.

Each step is a fixture that depends on the step before it, so a test
replays every earlier request before it sends its own, and the last test
runs the whole cycle.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from urllib.parse import urlsplit

import pytest

SCIM_CONTENT_TYPE = "application/scim+json"
CORE_USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_USER_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"

# "Create User" request, verbatim.
CREATE_USER_REQUEST = {
    "schemas": [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    ],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
    "active": True,
    "emails": [
        {"primary": True, "type": "work", "value": "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com"}
    ],
    "meta": {"resourceType": "User"},
    "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
    "roles": [],
}

# "Create User" response without `schemas`, `id` and `meta`, which the server assigns.
CREATED_USER_ATTRIBUTES = {
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
    "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
    "active": True,
    "emails": [
        {"value": "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com", "type": "work", "primary": True}
    ],
}

# "Get User by query - Zero results" sends this userName.
NON_EXISTENT_USER_NAME = "non-existent user"

# "Update User [Multi-valued properties]" request, verbatim.
UPDATE_MULTI_VALUED_REQUEST = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "updatedEmail@microsoft.com"},
        {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
    ],
}

# "Update User [Single-valued properties]" request, verbatim.
UPDATE_SINGLE_VALUED_REQUEST = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "Replace", "path": "userName", "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"}],
}

# "Disable User" request, verbatim.
DISABLE_USER_REQUEST = {
    "Operations": [{"op": "Replace", "path": "active", "value": False}],
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
}

# The manager that the enterprise step assigns: a second provisioned user.
MANAGER_CREATE_REQUEST = {
    "schemas": [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    ],
    "externalId": "58342554-38d6-4ec8-948c-50044d0a33fd",
    "userName": "Test_Manager_22cc22cc-dd33-ee44-ff55-66aa66aa66aa@testuser.com",
    "active": True,
    "meta": {"resourceType": "User"},
    "name": {"familyName": "Harris", "givenName": "Larry"},
}


def add_enterprise_attributes_request(manager_id: str) -> dict:
    """Build the PATCH that adds employeeNumber, department and manager (not in Microsoft's user operations)."""
    return {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {
                "op": "Add",
                "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
                "value": "701984",
            },
            {
                "op": "Add",
                "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                "value": "Finance",
            },
            {
                "op": "Add",
                "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
                "value": manager_id,
            },
        ],
    }


REMOVE_MANAGER_REQUEST = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "Remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}],
}


class IsoTimestamp:
    """Equal to any string that `datetime.fromisoformat` parses (RFC 7643 xsd:dateTime)."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, str):
            return False
        try:
            datetime.fromisoformat(other)
        except ValueError:
            return False
        return True

    def __repr__(self) -> str:
        return "<ISO 8601 timestamp>"


class NonEmptyText:
    """Equal to any non-empty string."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and other != ""

    def __repr__(self) -> str:
        return "<non-empty string>"


def attributes_of(resource: dict) -> dict:
    """Return a resource without the server-assigned `schemas`, `id` and `meta`."""
    return {key: value for key, value in resource.items() if key not in ("schemas", "id", "meta")}


def user_path(user_id: str) -> str:
    return f"Users/{user_id}"


# Each fixture below sends one request of the cycle and fails the test that
# needs it when the response status differs from the documented one.


@pytest.fixture
def created_user(scim) -> dict:
    response = scim.post("Users", CREATE_USER_REQUEST)
    assert response.status_code == 201, f"Create User failed: {response.status_code} {response.content!r}"
    return response.json()


@pytest.fixture
def user_after_multi_valued_update(scim, created_user) -> dict:
    response = scim.patch(user_path(created_user["id"]), UPDATE_MULTI_VALUED_REQUEST)
    assert response.status_code == 200, (
        f"Update User [Multi-valued] failed: {response.status_code} {response.content!r}"
    )
    return response.json()


@pytest.fixture
def user_after_single_valued_update(scim, user_after_multi_valued_update) -> dict:
    response = scim.patch(user_path(user_after_multi_valued_update["id"]), UPDATE_SINGLE_VALUED_REQUEST)
    assert response.status_code == 200, (
        f"Update User [Single-valued] failed: {response.status_code} {response.content!r}"
    )
    return response.json()


@pytest.fixture
def disabled_user(scim, user_after_single_valued_update) -> dict:
    response = scim.patch(user_path(user_after_single_valued_update["id"]), DISABLE_USER_REQUEST)
    assert response.status_code == 200, f"Disable User failed: {response.status_code} {response.content!r}"
    return response.json()


@pytest.fixture
def manager(scim) -> dict:
    response = scim.post("Users", MANAGER_CREATE_REQUEST)
    assert response.status_code == 201, f"creating the manager failed: {response.status_code} {response.content!r}"
    return response.json()


@pytest.fixture
def user_with_manager(scim, disabled_user, manager) -> dict:
    response = scim.patch(user_path(disabled_user["id"]), add_enterprise_attributes_request(manager["id"]))
    assert response.status_code == 200, (
        f"adding enterprise attributes failed: {response.status_code} {response.content!r}"
    )
    return response.json()


@pytest.fixture
def user_without_manager(scim, user_with_manager) -> dict:
    response = scim.patch(user_path(user_with_manager["id"]), REMOVE_MANAGER_REQUEST)
    assert response.status_code == 200, f"removing the manager failed: {response.status_code} {response.content!r}"
    return response.json()


@pytest.fixture
def deleted_user_id(scim, user_without_manager) -> str:
    response = scim.delete(user_path(user_without_manager["id"]))
    assert response.status_code == 204, f"Delete User failed: {response.status_code} {response.content!r}"
    return user_without_manager["id"]


@pytest.mark.django_db
@pytest.mark.parametrize("matching_attribute", ["userName", "externalId"])
def test_connection_probe_returns_empty_list(scim, matching_attribute):
    # Test Connection queries a random GUID on the matching attribute,
    # URL-encoded as Azure sends it, and accepts only 200 with an empty
    # ListResponse.
    probe = f"Users?filter={matching_attribute}+eq+%22{uuid.uuid4()}%22"

    response = scim.get(probe)

    assert response.status_code == 200
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert response.json() == {
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": 0,
        "Resources": [],
        "startIndex": 1,
        "itemsPerPage": 0,
    }


@pytest.mark.django_db
def test_create_user_returns_201(scim):
    response = scim.post("Users", CREATE_USER_REQUEST)

    assert response.status_code == 201
    assert response["Content-Type"] == SCIM_CONTENT_TYPE


@pytest.mark.django_db
def test_create_user_returns_documented_attributes(created_user):
    assert attributes_of(created_user) == CREATED_USER_ATTRIBUTES
    assert CORE_USER_SCHEMA in created_user["schemas"]


@pytest.mark.django_db
def test_create_user_assigns_uuid_and_meta(created_user, workspace):
    user_id = created_user["id"]

    assert str(uuid.UUID(user_id)) == user_id
    assert created_user["meta"] == {
        "resourceType": "User",
        "created": IsoTimestamp(),
        "lastModified": IsoTimestamp(),
        "location": NonEmptyText(),
        "version": NonEmptyText(),
    }
    assert urlsplit(created_user["meta"]["location"]).path == f"/scim/v2/{workspace.slug}/Users/{user_id}"


@pytest.mark.django_db
def test_create_user_location_header_matches_meta(scim):
    response = scim.post("Users", CREATE_USER_REQUEST)

    assert response.status_code == 201
    assert response["Location"] == response.json()["meta"]["location"]


@pytest.mark.django_db
def test_get_user_returns_created_resource(scim, created_user):
    response = scim.get(user_path(created_user["id"]))

    assert response.status_code == 200
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert response.json() == created_user


@pytest.mark.django_db
def test_get_unknown_user_returns_404(scim, created_user):
    response = scim.get(user_path(str(uuid.uuid4())))

    assert response.status_code == 404
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    # Microsoft: "The detail isn't required, only status."
    assert response.json()["schemas"] == [ERROR_SCHEMA]
    assert response.json()["status"] == "404"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "queried_user_name",
    [
        "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
        "test_user_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
        "TEST_USER_00AA00AA-BB11-CC22-DD33-44EE44EE44EE",
    ],
    ids=["documented", "lower-case", "upper-case"],
)
def test_get_user_by_query_finds_user(scim, created_user, queried_user_name):
    # userName has caseExact false (RFC 7643 section 4.1.1), so every case matches.
    response = scim.get(f'Users?filter=userName eq "{queried_user_name}"')

    assert response.status_code == 200
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    # Microsoft's example shows itemsPerPage 20 for one result; RFC 7644
    # section 3.4.2 defines it as the number of resources in the page.
    assert response.json() == {
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": 1,
        "Resources": [created_user],
        "startIndex": 1,
        "itemsPerPage": 1,
    }


@pytest.mark.django_db
def test_get_user_by_query_zero_results(scim, created_user):
    response = scim.get(f'Users?filter=userName eq "{NON_EXISTENT_USER_NAME}"')

    assert response.status_code == 200
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert response.json() == {
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": 0,
        "Resources": [],
        "startIndex": 1,
        "itemsPerPage": 0,
    }


@pytest.mark.django_db
def test_update_multi_valued_properties(scim, created_user):
    response = scim.patch(user_path(created_user["id"]), UPDATE_MULTI_VALUED_REQUEST)

    assert response.status_code == 200
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    body = response.json()
    # Microsoft's response shows name.formatted recomputed by its sample
    # server. The same page requires values to be stored as sent, and
    # RFC 7643 section 4.1.1 leaves formatted to the client, so formatted
    # is not compared here.
    body["name"].pop("formatted", None)
    assert attributes_of(body) == {
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
        "name": {"familyName": "updatedFamilyName", "givenName": "givenName"},
        "active": True,
        "emails": [{"value": "updatedEmail@microsoft.com", "type": "work", "primary": True}],
    }


@pytest.mark.django_db
def test_update_changes_version_and_keeps_created(created_user, user_after_multi_valued_update):
    before = created_user["meta"]
    after = user_after_multi_valued_update["meta"]

    assert after["version"] != before["version"]
    assert after["created"] == before["created"]
    assert datetime.fromisoformat(after["lastModified"]) >= datetime.fromisoformat(before["lastModified"])


@pytest.mark.django_db
def test_update_response_matches_get(scim, user_after_multi_valued_update):
    response = scim.get(user_path(user_after_multi_valued_update["id"]))

    assert response.status_code == 200
    assert response.json() == user_after_multi_valued_update


@pytest.mark.django_db
def test_update_single_valued_user_name(scim, user_after_multi_valued_update):
    response = scim.patch(user_path(user_after_multi_valued_update["id"]), UPDATE_SINGLE_VALUED_REQUEST)

    assert response.status_code == 200
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert response.json()["userName"] == "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"
    assert response.json()["emails"] == [{"value": "updatedEmail@microsoft.com", "type": "work", "primary": True}]
    assert response.json()["externalId"] == "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"


@pytest.mark.django_db
def test_query_by_new_user_name_finds_user(scim, user_after_single_valued_update):
    response = scim.get('Users?filter=userName eq "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"')

    assert response.status_code == 200
    assert response.json()["Resources"] == [user_after_single_valued_update]


@pytest.mark.django_db
def test_query_by_old_user_name_finds_nothing(scim, user_after_single_valued_update):
    response = scim.get('Users?filter=userName eq "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee"')

    assert response.status_code == 200
    assert response.json()["totalResults"] == 0


@pytest.mark.django_db
def test_disable_user_sets_active_false(scim, user_after_single_valued_update):
    response = scim.patch(user_path(user_after_single_valued_update["id"]), DISABLE_USER_REQUEST)

    assert response.status_code == 200
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert response.json()["active"] is False
    assert response.json()["meta"]["resourceType"] == "User"


@pytest.mark.django_db
def test_disabled_user_stays_readable_by_get(scim, disabled_user):
    # Microsoft: the user is returned whether or not it is active, until a hard delete.
    response = scim.get(user_path(disabled_user["id"]))

    assert response.status_code == 200
    assert response.json() == disabled_user


@pytest.mark.django_db
def test_disabled_user_stays_readable_by_filter(scim, disabled_user):
    response = scim.get(f'Users?filter=userName eq "{disabled_user["userName"]}"')

    assert response.status_code == 200
    assert response.json()["Resources"] == [disabled_user]


@pytest.mark.django_db
def test_add_enterprise_attributes_and_manager(scim, disabled_user, manager):
    response = scim.patch(user_path(disabled_user["id"]), add_enterprise_attributes_request(manager["id"]))

    assert response.status_code == 200
    body = response.json()
    assert ENTERPRISE_USER_SCHEMA in body["schemas"]
    assert body[ENTERPRISE_USER_SCHEMA]["employeeNumber"] == "701984"
    assert body[ENTERPRISE_USER_SCHEMA]["department"] == "Finance"
    # RFC 7643 section 4.3: manager is complex, with the manager's id in `value`.
    assert body[ENTERPRISE_USER_SCHEMA]["manager"]["value"] == manager["id"]


@pytest.mark.django_db
def test_enterprise_attributes_leave_core_attributes(disabled_user, user_with_manager):
    core_before = attributes_of(disabled_user)
    core_after = attributes_of(user_with_manager)
    core_after.pop(ENTERPRISE_USER_SCHEMA)

    assert core_after == core_before


@pytest.mark.django_db
def test_remove_manager_clears_only_manager(scim, user_with_manager):
    response = scim.patch(user_path(user_with_manager["id"]), REMOVE_MANAGER_REQUEST)

    assert response.status_code == 200
    enterprise = response.json()[ENTERPRISE_USER_SCHEMA]
    assert "manager" not in enterprise
    assert enterprise["employeeNumber"] == "701984"
    assert enterprise["department"] == "Finance"


@pytest.mark.django_db
def test_delete_user_returns_204_without_body(scim, user_without_manager):
    response = scim.delete(user_path(user_without_manager["id"]))

    assert response.status_code == 204
    assert response.content == b""


@pytest.mark.django_db
def test_get_deleted_user_returns_404(scim, deleted_user_id):
    # The last step of the cycle: every documented request before it has run.
    response = scim.get(user_path(deleted_user_id))

    assert response.status_code == 404
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert response.json() == {"schemas": [ERROR_SCHEMA], "status": "404", "detail": NonEmptyText()}


@pytest.mark.django_db
def test_deleted_user_leaves_filter_results(scim, deleted_user_id):
    response = scim.get('Users?filter=userName eq "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"')

    assert response.status_code == 200
    assert response.json()["totalResults"] == 0


@pytest.mark.django_db
def test_delete_deleted_user_returns_404(scim, deleted_user_id):
    response = scim.delete(user_path(deleted_user_id))

    assert response.status_code == 404
    assert response.json()["status"] == "404"


@pytest.mark.django_db
def test_manager_survives_user_deletion(scim, deleted_user_id, manager):
    response = scim.get(user_path(manager["id"]))

    assert response.status_code == 200
    assert response.json()["userName"] == MANAGER_CREATE_REQUEST["userName"]
