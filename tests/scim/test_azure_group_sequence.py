"""Replay the group requests that Microsoft Entra ID documents, in order, over HTTP against a live server.

Request bodies are copied verbatim from Microsoft's "Tutorial: Develop and
plan provisioning for a SCIM endpoint in Microsoft Entra ID", section
"Group Operations" (learn.microsoft.com/entra/identity/app-provisioning/
use-scim-to-provision-users-and-groups, revision of 2025-03-04). Expected
responses are the documented ones with server-assigned values adapted: the
`id`, the `meta` timestamps, and the `externalId` and `displayName` that
earlier steps of this cycle set, because each documented example shows a
different group. The member id of the "Add Members" and "Remove Members"
examples is replaced by the id of a user created with the same page's
"Create User" request.

Before the documented steps comes the probe that Test Connection and every
provisioning cycle send when group provisioning is on. The tutorial states that
Azure fetches a random group to check the endpoint and the credentials,
and groups are looked up by `displayName` with members excluded, so the
probe is that lookup for a random GUID, which must get 200 and an empty
ListResponse. After the member steps, the membership query checks that
the user is in the group and then that it is not. The tutorial states that
this query is about the `members` attribute but shows no example, so it takes
the form of the tutorial's manager check: `id eq` and `members eq`.

The requests go through a real HTTP connection to pytest-django's live
server on 127.0.0.1, so the status line, headers and streamed bodies are
the ones Azure would read. Each step is a fixture that depends on the step
before it, so a test replays every earlier request before it sends its
own, and the last tests run the whole cycle.
"""

from __future__ import annotations

import copy
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus

import pytest
import requests

from tests.scim.test_azure_sequence import CREATE_USER_REQUEST

SCIM_CONTENT_TYPE = "application/scim+json"
AZURE_CONTENT_TYPE = "application/scim+json; charset=utf-8"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
REQUEST_TIMEOUT_SECONDS = 10

# "Create Group" request, verbatim.
CREATE_GROUP_REQUEST = {
    "schemas": [
        "urn:ietf:params:scim:schemas:core:2.0:Group",
        "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group",
    ],
    "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
    "displayName": "displayName",
    "meta": {"resourceType": "Group"},
}

# "Update Group [Non-member attributes]" request, verbatim.
UPDATE_NON_MEMBER_ATTRIBUTES_REQUEST = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
        {"op": "Replace", "path": "displayName", "value": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"}
    ],
}
UPDATED_DISPLAY_NAME = "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"

# "Update Group [Add Members]" request, verbatim.
ADD_MEMBERS_REQUEST = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "Add", "path": "members", "value": [{"$ref": None, "value": "f648f8d5ea4e4cd38e9c"}]}],
}

# "Update Group [Remove Members]" request, verbatim.
REMOVE_MEMBERS_REQUEST = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "Remove", "path": "members", "value": [{"$ref": None, "value": "f648f8d5ea4e4cd38e9c"}]}],
}

# The member id in Microsoft's two member examples, which a p81 user id replaces.
DOCUMENTED_MEMBER_ID = "f648f8d5ea4e4cd38e9c"


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


def with_member(request_body: dict, user_id: str) -> dict:
    """Return a copy of a documented member PATCH with Microsoft's sample member id replaced by `user_id`."""
    body = copy.deepcopy(request_body)
    for operation in body["Operations"]:
        for member in operation["value"]:
            if member["value"] == DOCUMENTED_MEMBER_ID:
                member["value"] = user_id
    return body


def display_name_query(display_name: str) -> str:
    """Return Azure's group lookup by displayName, URL-encoded with `+` and `%22` as Azure sends it."""
    return "Groups?excludedAttributes=members&filter=" + quote_plus(f'displayName eq "{display_name}"')


class AzureClient:
    """A SCIM client over HTTP that sends a bearer token and scim+json bodies, as Azure's provisioning service does."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        # The server is on loopback, so requests ignore any proxy set in the environment.
        self.session.trust_env = False
        self.session.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, body: Any = None) -> requests.Response:
        headers = {"Content-Type": AZURE_CONTENT_TYPE} if body is not None else {}
        return self.session.request(
            method,
            f"{self.base_url}/{path}",
            json=body,
            headers=headers,
            timeout=REQUEST_TIMEOUT_SECONDS,
            allow_redirects=False,
        )

    def get(self, path: str) -> requests.Response:
        return self.request("GET", path)

    def post(self, path: str, body: Any) -> requests.Response:
        return self.request("POST", path, body)

    def patch(self, path: str, body: Any) -> requests.Response:
        return self.request("PATCH", path, body)

    def delete(self, path: str) -> requests.Response:
        return self.request("DELETE", path)


@pytest.fixture
def azure(live_server, workspace, scim_token):
    """A client for the workspace's SCIM base URL on the live server, closed after the test."""
    client = AzureClient(f"http://127.0.0.1:{live_server.thread.port}/scim/v2/{workspace.slug}", scim_token)
    yield client
    client.session.close()


def documented_group(base_url: str, group_id: str, external_id: str, display_name: str) -> dict:
    """Return the documented group representation without members, with p81's full `meta`."""
    return {
        "schemas": [GROUP_SCHEMA],
        "id": group_id,
        "externalId": external_id,
        "meta": {
            "resourceType": "Group",
            "created": IsoTimestamp(),
            "lastModified": IsoTimestamp(),
            "location": f"{base_url}/Groups/{group_id}",
            "version": NonEmptyText(),
        },
        "displayName": display_name,
    }


def without_members(group: dict) -> dict:
    return {key: value for key, value in group.items() if key != "members"}


def group_path(group_id: str) -> str:
    return f"Groups/{group_id}"


# Each fixture below sends one request of the cycle and fails the test that
# needs it when the response status differs from the documented one.


@pytest.fixture
def probed(azure) -> None:
    response = azure.get(display_name_query(str(uuid.uuid4())))
    assert response.status_code == 200, f"the group probe failed: {response.status_code} {response.content!r}"


@pytest.fixture
def user(azure, probed) -> dict:
    response = azure.post("Users", CREATE_USER_REQUEST)
    assert response.status_code == 201, f"Create User failed: {response.status_code} {response.content!r}"
    return response.json()


@pytest.fixture
def created_group(azure, user) -> dict:
    response = azure.post("Groups", CREATE_GROUP_REQUEST)
    assert response.status_code == 201, f"Create Group failed: {response.status_code} {response.content!r}"
    return response.json()


@pytest.fixture
def fetched_group(azure, created_group) -> dict:
    response = azure.get(f"{group_path(created_group['id'])}?excludedAttributes=members")
    assert response.status_code == 200, f"Get Group failed: {response.status_code} {response.content!r}"
    return response.json()


@pytest.fixture
def found_groups(azure, fetched_group) -> dict:
    response = azure.get(display_name_query("displayName"))
    assert response.status_code == 200, f"Get Group by displayName failed: {response.status_code} {response.content!r}"
    return response.json()


@pytest.fixture
def renamed_group_id(azure, created_group, found_groups) -> str:
    response = azure.patch(group_path(created_group["id"]), UPDATE_NON_MEMBER_ATTRIBUTES_REQUEST)
    assert response.status_code == 204, f"Update Group [Non-member] failed: {response.status_code} {response.content!r}"
    return created_group["id"]


@pytest.fixture
def group_with_member_id(azure, user, renamed_group_id) -> str:
    response = azure.patch(group_path(renamed_group_id), with_member(ADD_MEMBERS_REQUEST, user["id"]))
    assert response.status_code == 204, (
        f"Update Group [Add Members] failed: {response.status_code} {response.content!r}"
    )
    return renamed_group_id


@pytest.fixture
def group_without_member_id(azure, user, group_with_member_id) -> str:
    response = azure.patch(group_path(group_with_member_id), with_member(REMOVE_MEMBERS_REQUEST, user["id"]))
    assert response.status_code == 204, (
        f"Update Group [Remove Members] failed: {response.status_code} {response.content!r}"
    )
    return group_with_member_id


@pytest.fixture
def deleted_group_id(azure, group_without_member_id) -> str:
    response = azure.delete(group_path(group_without_member_id))
    assert response.status_code == 204, f"Delete Group failed: {response.status_code} {response.content!r}"
    return group_without_member_id


@pytest.mark.django_db(transaction=True)
def test_group_probe_returns_empty_list(azure):
    response = azure.get(display_name_query(str(uuid.uuid4())))

    assert response.status_code == 200
    assert response.headers["Content-Type"] == SCIM_CONTENT_TYPE
    assert response.json() == {
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": 0,
        "Resources": [],
        "startIndex": 1,
        "itemsPerPage": 0,
    }


@pytest.mark.django_db(transaction=True)
def test_create_group_returns_201(azure, user):
    response = azure.post("Groups", CREATE_GROUP_REQUEST)

    assert response.status_code == 201
    assert response.headers["Content-Type"] == SCIM_CONTENT_TYPE
    assert response.headers["Location"] == response.json()["meta"]["location"]


@pytest.mark.django_db(transaction=True)
def test_create_group_returns_documented_body(azure, created_group):
    # Only the core Group schema comes back, without Azure's extra schema URN.
    expected = documented_group(azure.base_url, created_group["id"], CREATE_GROUP_REQUEST["externalId"], "displayName")

    assert without_members(created_group) == expected
    # Microsoft shows "members": [], and RFC 7643 section 2.5 lets the service omit an empty list.
    assert created_group.get("members", []) == []


@pytest.mark.django_db(transaction=True)
def test_create_group_assigns_uuid(created_group):
    assert str(uuid.UUID(created_group["id"])) == created_group["id"]


@pytest.mark.django_db(transaction=True)
def test_get_group_excludes_members(azure, created_group):
    response = azure.get(f"{group_path(created_group['id'])}?excludedAttributes=members")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == SCIM_CONTENT_TYPE
    assert response.json() == without_members(created_group)


@pytest.mark.django_db(transaction=True)
def test_get_group_by_display_name(azure, fetched_group):
    response = azure.get(display_name_query("displayName"))

    assert response.status_code == 200
    assert response.headers["Content-Type"] == SCIM_CONTENT_TYPE
    # Microsoft's example shows itemsPerPage 20 for one result, but RFC 7644
    # section 3.4.2 defines it as the number of resources in the page.
    assert response.json() == {
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": 1,
        "Resources": [fetched_group],
        "startIndex": 1,
        "itemsPerPage": 1,
    }


@pytest.mark.django_db(transaction=True)
def test_update_non_member_attributes_returns_204(azure, created_group, found_groups):
    response = azure.patch(group_path(created_group["id"]), UPDATE_NON_MEMBER_ATTRIBUTES_REQUEST)

    assert response.status_code == 204
    assert response.content == b""


@pytest.mark.django_db(transaction=True)
def test_update_non_member_attributes_renames(azure, created_group, renamed_group_id):
    response = azure.get(f"{group_path(renamed_group_id)}?excludedAttributes=members")

    assert response.status_code == 200
    assert response.json() == documented_group(
        azure.base_url, renamed_group_id, CREATE_GROUP_REQUEST["externalId"], UPDATED_DISPLAY_NAME
    )
    assert response.json()["meta"]["created"] == created_group["meta"]["created"]
    assert response.json()["meta"]["version"] != created_group["meta"]["version"]


@pytest.mark.django_db(transaction=True)
def test_renamed_group_found_by_new_name(azure, renamed_group_id):
    new_name = azure.get(display_name_query(UPDATED_DISPLAY_NAME))
    old_name = azure.get(display_name_query("displayName"))

    assert [resource["id"] for resource in new_name.json()["Resources"]] == [renamed_group_id]
    assert old_name.json()["totalResults"] == 0


@pytest.mark.django_db(transaction=True)
def test_add_members_returns_204(azure, user, renamed_group_id):
    response = azure.patch(group_path(renamed_group_id), with_member(ADD_MEMBERS_REQUEST, user["id"]))

    assert response.status_code == 204
    assert response.content == b""


@pytest.mark.django_db(transaction=True)
def test_add_members_lists_user(azure, user, group_with_member_id):
    response = azure.get(group_path(group_with_member_id))

    assert response.status_code == 200
    assert response.headers["Content-Type"] == SCIM_CONTENT_TYPE
    assert response.json()["members"] == [
        {"value": user["id"], "$ref": f"{azure.base_url}/Users/{user['id']}", "type": "User"}
    ]


@pytest.mark.django_db(transaction=True)
def test_add_members_sets_user_groups(azure, user, group_with_member_id):
    response = azure.get(f"Users/{user['id']}")

    assert response.status_code == 200
    assert response.json()["groups"] == [
        {
            "value": group_with_member_id,
            "$ref": f"{azure.base_url}/Groups/{group_with_member_id}",
            "display": UPDATED_DISPLAY_NAME,
            "type": "direct",
        }
    ]


@pytest.mark.django_db(transaction=True)
def test_membership_check_finds_member(azure, user, group_with_member_id):
    query = quote_plus(f'id eq "{group_with_member_id}" and members eq "{user["id"]}"')

    response = azure.get(f"Groups?filter={query}&excludedAttributes=members")

    assert response.status_code == 200
    assert [resource["id"] for resource in response.json()["Resources"]] == [group_with_member_id]
    assert "members" not in response.json()["Resources"][0]


@pytest.mark.django_db(transaction=True)
def test_remove_members_returns_204(azure, user, group_with_member_id):
    response = azure.patch(group_path(group_with_member_id), with_member(REMOVE_MEMBERS_REQUEST, user["id"]))

    assert response.status_code == 204
    assert response.content == b""


@pytest.mark.django_db(transaction=True)
def test_remove_members_empties_group(azure, user, group_without_member_id):
    group = azure.get(group_path(group_without_member_id))
    member = azure.get(f"Users/{user['id']}")

    assert group.status_code == 200
    assert group.json().get("members", []) == []
    assert "groups" not in member.json()


@pytest.mark.django_db(transaction=True)
def test_membership_check_after_removal_empty(azure, user, group_without_member_id):
    query = quote_plus(f'id eq "{group_without_member_id}" and members eq "{user["id"]}"')

    response = azure.get(f"Groups?filter={query}&excludedAttributes=members")

    assert response.status_code == 200
    assert response.json()["totalResults"] == 0


@pytest.mark.django_db(transaction=True)
def test_delete_group_returns_204(azure, group_without_member_id):
    response = azure.delete(group_path(group_without_member_id))

    assert response.status_code == 204
    assert response.content == b""


@pytest.mark.django_db(transaction=True)
def test_get_deleted_group_returns_404(azure, deleted_group_id):
    # The last step of the cycle, after every documented request before it has run.
    response = azure.get(f"{group_path(deleted_group_id)}?excludedAttributes=members")

    assert response.status_code == 404
    assert response.headers["Content-Type"] == SCIM_CONTENT_TYPE
    assert response.json() == {"schemas": [ERROR_SCHEMA], "status": "404", "detail": NonEmptyText()}


@pytest.mark.django_db(transaction=True)
def test_deleted_group_leaves_probe_empty(azure, deleted_group_id):
    response = azure.get(display_name_query(UPDATED_DISPLAY_NAME))

    assert response.status_code == 200
    assert response.json()["totalResults"] == 0


@pytest.mark.django_db(transaction=True)
def test_user_survives_group_deletion(azure, user, deleted_group_id):
    response = azure.get(f"Users/{user['id']}")

    assert response.status_code == 200
    assert response.json()["userName"] == CREATE_USER_REQUEST["userName"]
