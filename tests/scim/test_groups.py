"""The SCIM Groups service, case by case: members, uniqueness, filters, projections, scoping and discovery.

Member operations cover every shape that Microsoft Entra ID (Azure AD)
sends. The bodies marked "verbatim" are copied from Microsoft's "Known
issues and resolutions with SCIM 2.0 protocol compliance of the Microsoft
Entra user provisioning service" (learn.microsoft.com/entra/identity/
app-provisioning/application-provisioning-config-problem-scim-compatibility,
revision of 2025-04-15), with Microsoft's sample member ids replaced by ids
of users that exist here. Without the `aadOptscim062020` flag Azure removes
a member with a `Remove` on `members` and a value list, with the flag as
`members[value eq "<id>"]`.

Membership is checked in the database as well as over SCIM, so a request
that is rejected is also shown to have changed nothing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from directory.models import DirectoryGroup, DirectoryGroupMember, DirectoryUser

SCIM_CONTENT_TYPE = "application/scim+json"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SEARCH_REQUEST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
AZURE_GROUP_SCHEMA = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"


EMPTY_LIST_RESPONSE = {
    "schemas": [LIST_RESPONSE_SCHEMA],
    "totalResults": 0,
    "startIndex": 1,
    "itemsPerPage": 0,
    "Resources": [],
}

# "Requests made to remove a group member", verbatim. "u1091" and
# "7f4bc1a3-285e-48ae-8202-5accb43efb0e" are Microsoft's sample member ids.
REMOVE_MEMBER_WITHOUT_FLAG = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "Remove", "path": "members", "value": [{"value": "u1091"}]}],
}
REMOVE_MEMBER_WITH_FLAG = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "remove", "path": 'members[value eq "7f4bc1a3-285e-48ae-8202-5accb43efb0e"]'}],
}
SAMPLE_MEMBER_IDS = ("u1091", "7f4bc1a3-285e-48ae-8202-5accb43efb0e")


class NonEmptyText:
    """Equal to any non-empty string."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and other != ""

    def __repr__(self) -> str:
        return "<non-empty string>"


def scim_error(status: int, scim_type: str | None = None) -> dict:
    """Build the RFC 7644 section 3.12 error body expected for `status` and `scim_type`."""
    body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(status), "detail": NonEmptyText()}
    if scim_type is not None:
        body["scimType"] = scim_type
    return body


def patch_body(*operations: dict) -> dict:
    return {"schemas": [PATCH_OP_SCHEMA], "Operations": list(operations)}


def with_member_ids(body: dict, replacements: dict[str, str]) -> dict:
    """Return a copy of a documented body with Microsoft's sample member ids replaced."""
    text = json.dumps(body)
    for sample, actual in replacements.items():
        text = text.replace(sample, actual)
    return json.loads(text)


def member_ids_in_database(group_id: str) -> set[str]:
    """Return the user ids of the group's membership rows."""
    rows = DirectoryGroupMember.objects.filter(group_id=group_id).values_list("user_id", flat=True)
    return {str(user_id) for user_id in rows}


def members_over_scim(scim, group_id: str) -> set[str]:
    """Return the member ids that GET /Groups/{id} returns, failing the test on any status but 200."""
    response = scim.get(f"Groups/{group_id}")
    assert response.status_code == 200, response.content
    return {member["value"] for member in read_json(response)["members"]}


def read_json(response) -> Any:
    """Return the JSON body of a plain or a streamed response. A streamed body can be read only once."""
    if response.streaming:
        return json.loads(b"".join(response.streaming_content))
    return response.json()


@pytest.fixture
def create_group(scim) -> Callable[..., dict]:
    """Create a group over SCIM and return the response body, failing the test on any status but 201."""

    def create(display_name: str, member_ids: tuple[str, ...] = (), **attributes: Any) -> dict:
        body = {
            "schemas": [GROUP_SCHEMA],
            "displayName": display_name,
            "members": [{"value": member_id} for member_id in member_ids],
            **attributes,
        }
        response = scim.post("Groups", body)
        assert response.status_code == 201, response.content
        return read_json(response)

    return create


@pytest.fixture
def users(make_user) -> dict[str, str]:
    """Three users of `workspace`, by first name: alice, bob and carol."""
    return {name: make_user(f"{name}@acme.example.com")["id"] for name in ("alice", "bob", "carol")}


@pytest.fixture
def team(create_group, users) -> dict:
    """The group "Engineering" with alice, bob and carol as members."""
    return create_group("Engineering", tuple(users.values()), externalId="8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159")


@pytest.fixture
def empty_group(create_group) -> dict:
    """The group "Sales" without members, created the way Azure creates groups."""
    return create_group("Sales")


@pytest.fixture
def other_user(other_scim) -> str:
    """The id of a user of `other_workspace`."""
    response = other_scim.post("Users", {"schemas": [USER_SCHEMA], "userName": "dave@globex.example.com"})
    assert response.status_code == 201, response.content
    return response.json()["id"]


@pytest.fixture
def other_group(other_scim) -> dict:
    """A group of `other_workspace`, named like `team` so that a leak would also be a name clash."""
    response = other_scim.post("Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Engineering"})
    assert response.status_code == 201, response.content
    return read_json(response)


@pytest.fixture
def groups_off(provider):
    """Turn group provisioning off for `provider`, as an administrator does in p81."""
    provider.group_provisioning_enabled = False
    provider.save(update_fields=["group_provisioning_enabled"])
    return provider


# Member removal ------------------------------------------------------------


def remove_value_list(ids: list[str]) -> dict:
    return {"op": "Remove", "path": "members", "value": [{"value": member_id} for member_id in ids]}


def remove_value_list_with_null_ref(ids: list[str]) -> dict:
    return {"op": "Remove", "path": "members", "value": [{"$ref": None, "value": member_id} for member_id in ids]}


def remove_by_filters(ids: list[str]) -> list[dict]:
    return [{"op": "remove", "path": f'members[value eq "{member_id}"]'} for member_id in ids]


def remove_by_or_filter(ids: list[str]) -> dict:
    expression = " or ".join(f'value eq "{member_id}"' for member_id in ids)
    return {"op": "remove", "path": f"members[{expression}]"}


REMOVAL_SHAPES: dict[str, Callable[[list[str]], list[dict]]] = {
    "value-list": lambda ids: [remove_value_list(ids)],
    "value-list-null-ref": lambda ids: [remove_value_list_with_null_ref(ids)],
    "value-filter-per-id": remove_by_filters,
    "or-joined-filter": lambda ids: [remove_by_or_filter(ids)],
}


@pytest.mark.django_db
@pytest.mark.parametrize("shape", list(REMOVAL_SHAPES))
@pytest.mark.parametrize("removed", [["alice"], ["alice", "carol"]], ids=["one", "two"])
def test_remove_members_removes_only_listed(scim, team, users, shape, removed):
    removed_ids = [users[name] for name in removed]
    kept_ids = {users[name] for name in users if name not in removed}

    response = scim.patch(f"Groups/{team['id']}", patch_body(*REMOVAL_SHAPES[shape](removed_ids)))

    assert response.status_code == 204
    assert response.content == b""
    assert member_ids_in_database(team["id"]) == kept_ids
    assert members_over_scim(scim, team["id"]) == kept_ids


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body", [REMOVE_MEMBER_WITHOUT_FLAG, REMOVE_MEMBER_WITH_FLAG], ids=["without-flag", "with-flag"]
)
def test_documented_remove_member_forms(scim, team, users, body):
    request = with_member_ids(body, {sample: users["bob"] for sample in SAMPLE_MEMBER_IDS})

    response = scim.patch(f"Groups/{team['id']}", request)

    assert response.status_code == 204
    assert member_ids_in_database(team["id"]) == {users["alice"], users["carol"]}


@pytest.mark.django_db
@pytest.mark.parametrize("shape", list(REMOVAL_SHAPES))
def test_remove_absent_member_is_no_error(scim, create_group, users, shape):
    group = create_group("Support", (users["alice"],))

    response = scim.patch(f"Groups/{group['id']}", patch_body(*REMOVAL_SHAPES[shape]([users["bob"]])))

    assert response.status_code == 204
    assert member_ids_in_database(group["id"]) == {users["alice"]}


@pytest.mark.django_db
@pytest.mark.parametrize("member_id", [str(uuid.uuid4()), "u1091"], ids=["unknown-uuid", "not-a-uuid"])
def test_remove_unknown_id_is_no_error(scim, team, users, member_id):
    # Removing an id that is not a member succeeds, because the end state is the requested one.
    response = scim.patch(f"Groups/{team['id']}", patch_body(remove_value_list([member_id])))

    assert response.status_code == 204
    assert member_ids_in_database(team["id"]) == set(users.values())


@pytest.mark.django_db
@pytest.mark.parametrize("op", ["Remove", "remove"])
def test_remove_members_without_value_clears(scim, team, users, op):
    # RFC 7644 section 3.5.2.2: without a value filter, every value is removed.
    response = scim.patch(f"Groups/{team['id']}", patch_body({"op": op, "path": "members"}))

    assert response.status_code == 204
    assert member_ids_in_database(team["id"]) == set()


@pytest.mark.django_db
def test_remove_members_keeps_users(scim, team, users):
    scim.patch(f"Groups/{team['id']}", patch_body(remove_value_list([users["alice"]])))

    response = scim.get(f"Users/{users['alice']}")

    assert response.status_code == 200
    assert response.json()["active"] is True


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "scim_type"),
    [
        ('members[display eq "alice"]', "invalidFilter"),
        ('members[value ne "x"]', "invalidFilter"),
        ('members[value eq "x"].value', "invalidPath"),
    ],
    ids=["other-sub-attribute", "ne-operator", "sub-attribute-path"],
)
def test_remove_by_unsupported_filter_rejected(scim, team, users, path, scim_type):
    # RFC 7644 section 3.12 lets a service reject a filter it does not support with invalidFilter.
    response = scim.patch(f"Groups/{team['id']}", patch_body({"op": "remove", "path": path}))

    assert response.status_code == 400
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert response.json() == scim_error(400, scim_type)
    assert member_ids_in_database(team["id"]) == set(users.values())


# Member addition and replacement --------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("op", ["Add", "add"])
def test_add_members_with_null_ref(scim, empty_group, users, op):
    # Azure sends "$ref": null on every added member.
    operation = {"op": op, "path": "members", "value": [{"$ref": None, "value": users["alice"]}]}

    response = scim.patch(f"Groups/{empty_group['id']}", patch_body(operation))

    assert response.status_code == 204
    assert response.content == b""
    assert member_ids_in_database(empty_group["id"]) == {users["alice"]}


@pytest.mark.django_db
def test_add_members_in_one_operation(scim, empty_group, users):
    operation = {"op": "Add", "path": "members", "value": [{"value": member_id} for member_id in users.values()]}

    response = scim.patch(f"Groups/{empty_group['id']}", patch_body(operation))

    assert response.status_code == 204
    assert member_ids_in_database(empty_group["id"]) == set(users.values())


@pytest.mark.django_db
def test_add_member_with_type_and_ref(scim, empty_group, users):
    member = {"value": users["bob"], "type": "User", "$ref": f"http://testserver/scim/v2/acme/Users/{users['bob']}"}

    response = scim.patch(
        f"Groups/{empty_group['id']}", patch_body({"op": "Add", "path": "members", "value": [member]})
    )

    assert response.status_code == 204
    assert member_ids_in_database(empty_group["id"]) == {users["bob"]}


@pytest.mark.django_db
def test_add_existing_member_is_idempotent(scim, team, users):
    operation = {"op": "Add", "path": "members", "value": [{"$ref": None, "value": users["alice"]}]}

    first = scim.patch(f"Groups/{team['id']}", patch_body(operation))
    second = scim.patch(f"Groups/{team['id']}", patch_body(operation))

    assert first.status_code == 204
    assert second.status_code == 204
    assert DirectoryGroupMember.objects.filter(group_id=team["id"], user_id=users["alice"]).count() == 1
    assert member_ids_in_database(team["id"]) == set(users.values())


@pytest.mark.django_db
def test_add_then_remove_in_one_request(scim, empty_group, users):
    # Operations apply in order (RFC 7644 section 3.5.2), so the later remove wins.
    body = patch_body(
        {"op": "Add", "path": "members", "value": [{"value": users["alice"]}, {"value": users["bob"]}]},
        {"op": "Remove", "path": "members", "value": [{"value": users["alice"]}]},
    )

    response = scim.patch(f"Groups/{empty_group['id']}", body)

    assert response.status_code == 204
    assert member_ids_in_database(empty_group["id"]) == {users["bob"]}


@pytest.mark.django_db
@pytest.mark.parametrize("op", ["Replace", "replace"])
def test_replace_members_sets_exact_list(scim, team, users, op):
    operation = {"op": op, "path": "members", "value": [{"value": users["carol"]}]}

    response = scim.patch(f"Groups/{team['id']}", patch_body(operation))

    assert response.status_code == 204
    assert member_ids_in_database(team["id"]) == {users["carol"]}


@pytest.mark.django_db
def test_replace_members_with_empty_list(scim, team):
    response = scim.patch(f"Groups/{team['id']}", patch_body({"op": "Replace", "path": "members", "value": []}))

    assert response.status_code == 204
    assert member_ids_in_database(team["id"]) == set()


@pytest.mark.django_db
@pytest.mark.parametrize(("op", "expected"), [("Add", {"alice", "bob"}), ("Replace", {"bob"})])
def test_patch_without_path_sets_members(scim, create_group, users, op, expected):
    group = create_group("Support", (users["alice"],))
    operation = {"op": op, "value": {"members": [{"$ref": None, "value": users["bob"]}]}}

    response = scim.patch(f"Groups/{group['id']}", patch_body(operation))

    assert response.status_code == 204
    assert member_ids_in_database(group["id"]) == {users[name] for name in expected}


@pytest.mark.django_db
@pytest.mark.parametrize("op", ["Replace", "replace", "Add"])
def test_patch_without_path_sets_display_name(scim, team, users, op):
    response = scim.patch(f"Groups/{team['id']}", patch_body({"op": op, "value": {"displayName": "Platform"}}))

    assert response.status_code == 204
    assert DirectoryGroup.objects.get(pk=team["id"]).display_name == "Platform"
    assert member_ids_in_database(team["id"]) == set(users.values())


@pytest.mark.django_db
def test_pathless_patch_sets_name_and_members(scim, team, users):
    operation = {"op": "Replace", "value": {"displayName": "Platform", "members": [{"value": users["bob"]}]}}

    response = scim.patch(f"Groups/{team['id']}", patch_body(operation))

    assert response.status_code == 204
    assert DirectoryGroup.objects.get(pk=team["id"]).display_name == "Platform"
    assert member_ids_in_database(team["id"]) == {users["bob"]}


@pytest.mark.django_db
@pytest.mark.parametrize("op", ["Replace", "replace"])
def test_replace_display_name_keeps_members(scim, team, users, op):
    response = scim.patch(f"Groups/{team['id']}", patch_body({"op": op, "path": "displayName", "value": "Platform"}))

    assert response.status_code == 204
    assert read_json(scim.get(f"Groups/{team['id']}"))["displayName"] == "Platform"
    assert member_ids_in_database(team["id"]) == set(users.values())


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["Members", "MEMBERS"])
def test_member_path_ignores_case(scim, empty_group, users, path):
    # Attribute names are case-insensitive (RFC 7643 section 2.1).
    operation = {"op": "Add", "path": path, "value": [{"value": users["alice"]}]}

    response = scim.patch(f"Groups/{empty_group['id']}", patch_body(operation))

    assert response.status_code == 204
    assert member_ids_in_database(empty_group["id"]) == {users["alice"]}


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["Members", "MEMBERS"])
def test_pathless_members_key_ignores_case(scim, team, users, key):
    operation = {"op": "Replace", "value": {key: [{"value": users["alice"]}]}}

    response = scim.patch(f"Groups/{team['id']}", patch_body(operation))

    assert response.status_code == 204
    assert member_ids_in_database(team["id"]) == {users["alice"]}


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["displayname", "DISPLAYNAME"])
def test_pathless_name_key_ignores_case(scim, team, key):
    response = scim.patch(f"Groups/{team['id']}", patch_body({"op": "Replace", "value": {key: "Platform"}}))

    assert response.status_code == 204
    assert DirectoryGroup.objects.get(pk=team["id"]).display_name == "Platform"


@pytest.mark.django_db
def test_remove_by_upper_case_id(scim, team, users):
    # members.value has caseExact false in the Group schema, and a UUID's hex digits have no case.
    path = f'members[value eq "{users["alice"].upper()}"]'

    response = scim.patch(f"Groups/{team['id']}", patch_body({"op": "Remove", "path": path}))

    assert response.status_code == 204
    assert member_ids_in_database(team["id"]) == {users["bob"], users["carol"]}


@pytest.mark.django_db
def test_replace_external_id(scim, team):
    response = scim.patch(f"Groups/{team['id']}", patch_body({"op": "Replace", "path": "externalId", "value": "X-2"}))

    assert response.status_code == 204
    assert read_json(scim.get(f"Groups/{team['id']}?excludedAttributes=members"))["externalId"] == "X-2"


@pytest.mark.django_db
def test_remove_display_name_rejected(scim, team):
    # displayName is required (RFC 7643 section 4.2), so the group cannot lose it.
    response = scim.patch(f"Groups/{team['id']}", patch_body({"op": "Remove", "path": "displayName"}))

    assert response.status_code == 400
    assert response.json() == scim_error(400, "invalidValue")
    assert DirectoryGroup.objects.get(pk=team["id"]).display_name == "Engineering"


@pytest.mark.django_db
def test_patch_with_attributes_returns_group(scim, team, users):
    # A PATCH that requests attributes gets the resource (RFC 7644 section 3.5.2), not 204.
    body = patch_body({"op": "Replace", "path": "displayName", "value": "Platform"})

    response = scim.patch(f"Groups/{team['id']}?excludedAttributes=members", body)

    assert response.status_code == 200
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert read_json(response)["displayName"] == "Platform"
    assert "members" not in read_json(scim.get(f"Groups/{team['id']}?excludedAttributes=members"))


@pytest.mark.django_db
def test_patch_bumps_version(scim, team, users):
    scim.patch(f"Groups/{team['id']}", patch_body(remove_value_list([users["alice"]])))

    after = read_json(scim.get(f"Groups/{team['id']}?excludedAttributes=members"))

    assert after["meta"]["version"] != team["meta"]["version"]
    assert after["meta"]["created"] == team["meta"]["created"]


# Create and replace -------------------------------------------------------------


@pytest.mark.django_db
def test_create_with_azure_schema_urn(scim):
    # Azure's create carries a second, non-standard schema URN and no members.
    body = {
        "schemas": [GROUP_SCHEMA, AZURE_GROUP_SCHEMA],
        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        "displayName": "displayName",
        "meta": {"resourceType": "Group"},
    }

    response = scim.post("Groups", body)

    assert response.status_code == 201
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    created = read_json(response)
    assert created["schemas"] == [GROUP_SCHEMA]
    # RFC 7643 section 2.5: an empty list and an omitted attribute are the same state.
    assert created.get("members", []) == []
    assert response["Location"] == created["meta"]["location"]


@pytest.mark.django_db
def test_create_with_members_stores_them(scim, create_group, users):
    group = create_group("Support", (users["alice"], users["bob"]))

    assert member_ids_in_database(group["id"]) == {users["alice"], users["bob"]}
    assert {member["value"] for member in group["members"]} == {users["alice"], users["bob"]}


@pytest.mark.django_db
def test_create_with_repeated_member(create_group, users):
    group = create_group("Support", (users["alice"], users["alice"], users["alice"].upper()))

    assert DirectoryGroupMember.objects.filter(group_id=group["id"]).count() == 1
    assert [member["value"] for member in group["members"]] == [users["alice"]]


@pytest.mark.django_db
def test_create_returns_member_references(create_group, users):
    group = create_group("Support", (users["alice"],))

    assert group["members"] == [
        {"value": users["alice"], "$ref": f"http://testserver/scim/v2/acme/Users/{users['alice']}", "type": "User"}
    ]


@pytest.mark.django_db
def test_create_without_display_name_rejected(scim):
    response = scim.post("Groups", {"schemas": [GROUP_SCHEMA], "externalId": "no-name"})

    assert response.status_code == 400
    assert response.json() == scim_error(400, "invalidValue")
    assert DirectoryGroup.objects.count() == 0


@pytest.mark.django_db
def test_put_replaces_name_and_members(scim, team, users):
    body = {"schemas": [GROUP_SCHEMA], "displayName": "Platform", "members": [{"value": users["carol"]}]}

    response = scim.put(f"Groups/{team['id']}", body)

    assert response.status_code == 200
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert read_json(response)["displayName"] == "Platform"
    assert member_ids_in_database(team["id"]) == {users["carol"]}


# Uniqueness of displayName -------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["Engineering", "engineering", "ENGINEERING"], ids=["same", "lower", "upper"])
def test_create_duplicate_name_conflicts(scim, team, name):
    response = scim.post("Groups", {"schemas": [GROUP_SCHEMA], "displayName": name})

    assert response.status_code == 409
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert response.json() == scim_error(409, "uniqueness")
    assert DirectoryGroup.objects.filter(display_name__iexact="engineering").count() == 1


@pytest.mark.django_db
def test_create_non_ascii_name_conflicts(scim, create_group):
    create_group("Müller Ärzte")

    response = scim.post("Groups", {"schemas": [GROUP_SCHEMA], "displayName": "MÜLLER ÄRZTE"})

    assert response.status_code == 409
    assert response.json() == scim_error(409, "uniqueness")


def rename_by_put(scim, group: dict, name: str):
    return scim.put(f"Groups/{group['id']}", {"schemas": [GROUP_SCHEMA], "displayName": name})


def rename_by_patch_path(scim, group: dict, name: str):
    return scim.patch(f"Groups/{group['id']}", patch_body({"op": "Replace", "path": "displayName", "value": name}))


def rename_by_patch_without_path(scim, group: dict, name: str):
    return scim.patch(f"Groups/{group['id']}", patch_body({"op": "replace", "value": {"displayName": name}}))


RENAMES = {
    "put": rename_by_put,
    "patch-path": rename_by_patch_path,
    "patch-without-path": rename_by_patch_without_path,
}


@pytest.mark.django_db
@pytest.mark.parametrize("rename", list(RENAMES))
@pytest.mark.parametrize("name", ["Engineering", "engineering"], ids=["same", "lower"])
def test_rename_to_taken_name_conflicts(scim, team, empty_group, rename, name):
    response = RENAMES[rename](scim, empty_group, name)

    assert response.status_code == 409
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert response.json() == scim_error(409, "uniqueness")
    assert DirectoryGroup.objects.get(pk=empty_group["id"]).display_name == "Sales"


@pytest.mark.django_db
@pytest.mark.parametrize("rename", list(RENAMES))
def test_rename_conflict_keeps_members(scim, team, create_group, users, rename):
    group = create_group("Support", (users["alice"],))
    if rename == "put":
        body = {"schemas": [GROUP_SCHEMA], "displayName": "ENGINEERING", "members": [{"value": users["bob"]}]}
        response = scim.put(f"Groups/{group['id']}", body)
    else:
        body = patch_body(
            {"op": "Add", "path": "members", "value": [{"value": users["bob"]}]},
            {"op": "Replace", "path": "displayName", "value": "ENGINEERING"},
        )
        response = scim.patch(f"Groups/{group['id']}", body)

    assert response.status_code == 409
    assert member_ids_in_database(group["id"]) == {users["alice"]}


# PUT returns the group (RFC 7644 section 3.5.1). PATCH returns 204, as Microsoft documents for groups.
RENAME_SUCCESS_STATUS = {"put": 200, "patch-path": 204, "patch-without-path": 204}


@pytest.mark.django_db
@pytest.mark.parametrize("rename", list(RENAMES))
def test_rename_to_own_name_other_case(scim, team, rename):
    response = RENAMES[rename](scim, team, "ENGINEERING")

    assert response.status_code == RENAME_SUCCESS_STATUS[rename]
    assert DirectoryGroup.objects.get(pk=team["id"]).display_name == "ENGINEERING"


@pytest.mark.django_db
def test_same_name_in_other_workspace_allowed(scim, other_group):
    response = scim.post("Groups", {"schemas": [GROUP_SCHEMA], "displayName": other_group["displayName"]})

    assert response.status_code == 201


# Invalid member ids ----------------------------------------------------------------


@pytest.fixture
def invalid_member_id(request, other_user, empty_group, other_group) -> str:
    kinds = {
        "other-workspace-user": other_user,
        "unknown-uuid": str(uuid.uuid4()),
        "not-a-uuid": "f648f8d5ea4e4cd38e9c",
        "own-group-id": empty_group["id"],
        "other-workspace-group-id": other_group["id"],
    }
    return kinds[request.param]


INVALID_MEMBER_KINDS = [
    "other-workspace-user",
    "unknown-uuid",
    "not-a-uuid",
    "own-group-id",
    "other-workspace-group-id",
]


def add_members(ids: list[str]) -> dict:
    return patch_body(
        {"op": "Add", "path": "members", "value": [{"$ref": None, "value": member_id} for member_id in ids]}
    )


def replace_members(ids: list[str]) -> dict:
    return patch_body({"op": "Replace", "path": "members", "value": [{"value": member_id} for member_id in ids]})


def add_members_without_path(ids: list[str]) -> dict:
    return patch_body({"op": "Add", "value": {"members": [{"value": member_id} for member_id in ids]}})


MEMBER_PATCHES = {"add": add_members, "replace": replace_members, "add-without-path": add_members_without_path}


@pytest.mark.django_db
@pytest.mark.parametrize("invalid_member_id", INVALID_MEMBER_KINDS, indirect=True)
@pytest.mark.parametrize("patch", list(MEMBER_PATCHES))
def test_patch_invalid_member_changes_nothing(scim, team, users, invalid_member_id, patch):
    # carol is valid but is not added either, because the request fails as a whole.
    scim.patch(f"Groups/{team['id']}", patch_body(remove_value_list([users["carol"]])))
    body = MEMBER_PATCHES[patch]([users["carol"], invalid_member_id])

    response = scim.patch(f"Groups/{team['id']}", body)

    assert response.status_code == 400
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert response.json() == scim_error(400, "invalidValue")
    assert member_ids_in_database(team["id"]) == {users["alice"], users["bob"]}


@pytest.mark.django_db
@pytest.mark.parametrize("invalid_member_id", INVALID_MEMBER_KINDS, indirect=True)
def test_create_with_invalid_member_rejected(scim, users, invalid_member_id):
    body = {"schemas": [GROUP_SCHEMA], "displayName": "Support", "members": [{"value": invalid_member_id}]}

    response = scim.post("Groups", body)

    assert response.status_code == 400
    assert response.json() == scim_error(400, "invalidValue")
    assert not DirectoryGroup.objects.filter(display_name="Support").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("invalid_member_id", INVALID_MEMBER_KINDS, indirect=True)
def test_put_with_invalid_member_rejected(scim, team, users, invalid_member_id):
    body = {"schemas": [GROUP_SCHEMA], "displayName": "Platform", "members": [{"value": invalid_member_id}]}

    response = scim.put(f"Groups/{team['id']}", body)

    assert response.status_code == 400
    assert response.json() == scim_error(400, "invalidValue")
    assert member_ids_in_database(team["id"]) == set(users.values())
    assert DirectoryGroup.objects.get(pk=team["id"]).display_name == "Engineering"


@pytest.mark.django_db
def test_invalid_member_error_names_id(scim, empty_group):
    unknown = str(uuid.uuid4())

    response = scim.patch(f"Groups/{empty_group['id']}", add_members([unknown]))

    assert unknown in response.json()["detail"]


@pytest.mark.django_db
def test_other_workspace_user_stays_out(scim, empty_group, other_user):
    scim.patch(f"Groups/{empty_group['id']}", add_members([other_user]))

    assert not DirectoryGroupMember.objects.filter(user_id=other_user).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("member_type", ["Group", "group"])
def test_nested_group_member_rejected(scim, team, empty_group, users, member_type):
    # p81 groups contain users only, so a group as a member is rejected, not flattened.
    operation = {"op": "Add", "path": "members", "value": [{"value": empty_group["id"], "type": member_type}]}

    response = scim.patch(f"Groups/{team['id']}", patch_body(operation))

    assert response.status_code == 400
    assert response.json() == scim_error(400, "invalidValue")
    assert member_ids_in_database(team["id"]) == set(users.values())


@pytest.mark.django_db
def test_nested_group_on_create_rejected(scim, empty_group):
    body = {
        "schemas": [GROUP_SCHEMA],
        "displayName": "Parents",
        "members": [{"value": empty_group["id"], "type": "Group"}],
    }

    response = scim.post("Groups", body)

    assert response.status_code == 400
    assert response.json() == scim_error(400, "invalidValue")
    assert not DirectoryGroup.objects.filter(display_name="Parents").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "member",
    [{"display": "alice"}, {"value": 42}, {"value": None}, 42],
    ids=["no-value", "number", "null", "bare-number"],
)
def test_malformed_member_object_rejected(scim, team, users, member):
    response = scim.patch(f"Groups/{team['id']}", patch_body({"op": "Add", "path": "members", "value": [member]}))

    assert response.status_code == 400
    assert response.json() == scim_error(400, "invalidValue")
    assert member_ids_in_database(team["id"]) == set(users.values())


# Deletion -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_user_deletion_removes_memberships(scim, team, users):
    response = scim.delete(f"Users/{users['alice']}")

    assert response.status_code == 204
    assert member_ids_in_database(team["id"]) == {users["bob"], users["carol"]}
    assert members_over_scim(scim, team["id"]) == {users["bob"], users["carol"]}


@pytest.mark.django_db
def test_group_deletion_keeps_users(scim, team, users):
    response = scim.delete(f"Groups/{team['id']}")

    assert response.status_code == 204
    assert response.content == b""
    assert DirectoryUser.objects.filter(pk__in=list(users.values())).count() == 3
    assert DirectoryGroupMember.objects.filter(group_id=team["id"]).count() == 0


@pytest.mark.django_db
def test_deleted_group_leaves_user_groups(scim, team, users):
    scim.delete(f"Groups/{team['id']}")

    response = scim.get(f"Users/{users['alice']}")

    assert response.status_code == 200
    assert "groups" not in response.json()


@pytest.mark.django_db
def test_deleted_group_returns_404(scim, team):
    scim.delete(f"Groups/{team['id']}")

    get = scim.get(f"Groups/{team['id']}")
    delete = scim.delete(f"Groups/{team['id']}")

    assert get.status_code == 404
    assert get.json() == scim_error(404)
    assert delete.status_code == 404


@pytest.mark.django_db
def test_deleted_group_name_reusable(scim, team):
    scim.delete(f"Groups/{team['id']}")

    response = scim.post("Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Engineering"})

    assert response.status_code == 201


# The users' read-only `groups` attribute -----------------------------------------------


@pytest.mark.django_db
def test_user_groups_lists_memberships(scim, team, create_group, users):
    support = create_group("Support", (users["alice"],))

    response = scim.get(f"Users/{users['alice']}")

    assert response.status_code == 200
    assert response.json()["groups"] == [
        {
            "value": team["id"],
            "$ref": f"http://testserver/scim/v2/acme/Groups/{team['id']}",
            "display": "Engineering",
            "type": "direct",
        },
        {
            "value": support["id"],
            "$ref": f"http://testserver/scim/v2/acme/Groups/{support['id']}",
            "display": "Support",
            "type": "direct",
        },
    ]


@pytest.mark.django_db
def test_user_without_groups_omits_attribute(scim, users):
    response = scim.get(f"Users/{users['alice']}")

    assert "groups" not in response.json()


@pytest.mark.django_db
def test_user_groups_follow_rename(scim, team, users):
    scim.patch(f"Groups/{team['id']}", patch_body({"op": "Replace", "path": "displayName", "value": "Platform"}))

    response = scim.get(f"Users/{users['alice']}")

    assert response.json()["groups"][0]["display"] == "Platform"


@pytest.mark.django_db
def test_user_groups_in_filtered_list(scim, team, users):
    response = scim.get('Users?filter=userName eq "bob@acme.example.com"')

    assert response.status_code == 200
    assert [group["value"] for group in response.json()["Resources"][0]["groups"]] == [team["id"]]


@pytest.mark.django_db
def test_user_groups_excluded_on_request(scim, team, users):
    response = scim.get(f"Users/{users['alice']}?excludedAttributes=groups")

    assert response.status_code == 200
    assert "groups" not in response.json()


@pytest.mark.django_db
def test_user_put_ignores_groups(scim, team, empty_group, users):
    # groups is readOnly (RFC 7643 section 4.1.2), so a client cannot change memberships through the user.
    body = {
        "schemas": [USER_SCHEMA],
        "userName": "alice@acme.example.com",
        "groups": [{"value": empty_group["id"]}],
    }

    response = scim.put(f"Users/{users['alice']}", body)

    assert response.status_code == 200
    assert [group["value"] for group in response.json()["groups"]] == [team["id"]]
    assert member_ids_in_database(empty_group["id"]) == set()


@pytest.mark.django_db
def test_user_patch_groups_rejected(scim, team, empty_group, users):
    operation = {"op": "Add", "path": "groups", "value": [{"value": empty_group["id"]}]}

    response = scim.patch(f"Users/{users['alice']}", patch_body(operation))

    assert response.status_code == 400
    assert response.json() == scim_error(400, "mutability")
    assert member_ids_in_database(empty_group["id"]) == set()


@pytest.mark.django_db
def test_user_filter_by_group(scim, team, create_group, users):
    support = create_group("Support", (users["bob"],))

    response = scim.get(f'Users?filter=groups eq "{support["id"]}"')

    assert response.status_code == 200
    assert [user["id"] for user in response.json()["Resources"]] == [users["bob"]]


# Filters, projections and paging ------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["Engineering", "engineering", "ENGINEERING"], ids=["same", "lower", "upper"])
def test_filter_display_name_ignores_case(scim, team, empty_group, name):
    # displayName has caseExact false (RFC 7643 section 4.2).
    response = scim.get(f"Groups?excludedAttributes=members&filter=displayName+eq+%22{name}%22")

    assert response.status_code == 200
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert read_json(response) == {
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": 1,
        "startIndex": 1,
        "itemsPerPage": 1,
        "Resources": [{key: value for key, value in team.items() if key != "members"}],
    }


@pytest.mark.django_db
def test_filter_non_ascii_name_ignores_case(scim, create_group):
    group = create_group("Müller Ärzte")

    response = scim.get("Groups?excludedAttributes=members&filter=displayName+eq+%22M%C3%9CLLER+%C3%84RZTE%22")

    assert response.status_code == 200
    assert [resource["id"] for resource in read_json(response)["Resources"]] == [group["id"]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("external_id", "expected_count"),
    [("8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", 1), ("8AA1A0C0-C4C3-4BC0-B4A5-2EF676900159", 0), ("other", 0)],
    ids=["same", "other-case", "other"],
)
def test_filter_external_id_exact(scim, team, external_id, expected_count):
    # externalId has caseExact true (RFC 7643 section 3.1).
    response = scim.get(f'Groups?excludedAttributes=members&filter=externalId eq "{external_id}"')

    assert response.status_code == 200
    assert read_json(response)["totalResults"] == expected_count


@pytest.mark.django_db
@pytest.mark.parametrize(
    "selection",
    ["excludedAttributes=members", "attributes=id"],
    ids=["excluded-members", "attributes-id"],
)
@pytest.mark.parametrize(("member", "expected_count"), [("alice", 1), ("outsider", 0)])
def test_filter_id_and_member(scim, create_group, users, make_user, selection, member, expected_count):
    # Microsoft's tutorial states that Azure checks a reference value through the members attribute. Its
    # manager check filters on id eq and manager eq and requests only id, so the group form is this one.
    group = create_group("Support", (users["alice"],))
    member_id = users["alice"] if member == "alice" else make_user("erin@acme.example.com")["id"]

    response = scim.get(f'Groups?filter=id eq "{group["id"]}" and members eq "{member_id}"&{selection}')

    assert response.status_code == 200
    body = read_json(response)
    assert body["totalResults"] == expected_count
    assert [resource["id"] for resource in body["Resources"]] == [group["id"]] * expected_count


@pytest.mark.django_db
def test_filter_id_and_member_omits_members(scim, team, users):
    response = scim.get(
        f'Groups?filter=id eq "{team["id"]}" and members eq "{users["bob"]}"&excludedAttributes=members'
    )

    assert response.status_code == 200
    assert "members" not in read_json(response)["Resources"][0]


@pytest.mark.django_db
def test_filter_members_value_and_id(scim, team, users):
    response = scim.get(f'Groups?filter=id eq "{team["id"]}" and members.value eq "{users["bob"]}"')

    assert response.status_code == 200
    assert read_json(response)["totalResults"] == 1


@pytest.mark.django_db
def test_filter_members_eq_alone(scim, team, create_group, empty_group, users):
    support = create_group("Support", (users["alice"],))

    response = scim.get(f'Groups?filter=members eq "{users["alice"]}"&excludedAttributes=members')

    assert response.status_code == 200
    assert sorted(resource["id"] for resource in read_json(response)["Resources"]) == sorted(
        [team["id"], support["id"]]
    )


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["f648f8d5ea4e4cd38e9c", str(uuid.uuid4())], ids=["not-a-uuid", "unknown"])
@pytest.mark.parametrize("attribute", ["id", "members"])
def test_filter_unknown_id_finds_nothing(scim, team, attribute, value):
    response = scim.get(f'Groups?filter={attribute} eq "{value}"&excludedAttributes=members')

    assert response.status_code == 200
    assert read_json(response) == EMPTY_LIST_RESPONSE


@pytest.mark.django_db
def test_probe_with_random_name_finds_nothing(scim, team):
    # Test Connection and each cycle look up a random GUID as displayName.
    response = scim.get(f"Groups?excludedAttributes=members&filter=displayName+eq+%22{uuid.uuid4()}%22")

    assert response.status_code == 200
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert read_json(response) == EMPTY_LIST_RESPONSE


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("excluded", "missing_keys"),
    [("members", {"members"}), ("Members", {"members"}), ("displayName,members", {"displayName", "members"})],
)
def test_get_excluded_members_has_no_key(scim, team, excluded, missing_keys):
    response = scim.get(f"Groups/{team['id']}?excludedAttributes={excluded}")

    assert response.status_code == 200
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert read_json(response) == {key: value for key, value in team.items() if key not in missing_keys}


@pytest.mark.django_db
def test_list_excluded_members_has_no_key(scim, team, empty_group):
    response = scim.get("Groups?excludedAttributes=members")

    assert response.status_code == 200
    resources = read_json(response)["Resources"]
    assert [resource["id"] for resource in resources] == [team["id"], empty_group["id"]]
    assert all("members" not in resource for resource in resources)


@pytest.mark.django_db
def test_get_returns_all_members(scim, team, users):
    response = scim.get(f"Groups/{team['id']}")

    assert response.status_code == 200
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert response["Location"] == team["meta"]["location"]
    body = read_json(response)
    assert sorted(body["members"], key=lambda member: member["value"]) == sorted(
        (
            {"value": user_id, "$ref": f"http://testserver/scim/v2/acme/Users/{user_id}", "type": "User"}
            for user_id in users.values()
        ),
        key=lambda member: member["value"],
    )


@pytest.mark.django_db
@pytest.mark.parametrize("attributes", ["displayName", "displayname", "DISPLAYNAME"])
def test_attributes_display_name_only(scim, team, attributes):
    # id is returned always (RFC 7643 section 3.1), and members and meta are not requested.
    response = scim.get(f"Groups/{team['id']}?attributes={attributes}")

    assert response.status_code == 200
    assert read_json(response) == {"schemas": [GROUP_SCHEMA], "id": team["id"], "displayName": "Engineering"}


@pytest.mark.django_db
def test_list_attributes_display_name_only(scim, team):
    response = scim.get("Groups?attributes=displayName")

    assert response.status_code == 200
    assert read_json(response)["Resources"] == [
        {"schemas": [GROUP_SCHEMA], "id": team["id"], "displayName": "Engineering"}
    ]


@pytest.mark.django_db
def test_attributes_members_value_only(scim, create_group, users):
    group = create_group("Support", (users["alice"],))

    response = scim.get(f"Groups/{group['id']}?attributes=members.value")

    assert response.status_code == 200
    assert read_json(response) == {"schemas": [GROUP_SCHEMA], "id": group["id"], "members": [{"value": users["alice"]}]}


@pytest.mark.django_db
def test_list_pages_by_start_index(scim, create_group):
    ids = [create_group(f"Group {index}")["id"] for index in range(5)]

    response = scim.get("Groups?startIndex=2&count=2&excludedAttributes=members")

    assert response.status_code == 200
    body = read_json(response)
    assert body["totalResults"] == 5
    assert body["startIndex"] == 2
    assert body["itemsPerPage"] == 2
    assert [resource["id"] for resource in body["Resources"]] == ids[1:3]


@pytest.mark.django_db
def test_list_count_zero_returns_total(scim, team, empty_group):
    response = scim.get("Groups?count=0")

    assert response.status_code == 200
    assert read_json(response) == {
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": 2,
        "startIndex": 1,
        "itemsPerPage": 0,
        "Resources": [],
    }


@pytest.mark.django_db
def test_search_endpoint_filters_groups(scim, team, empty_group):
    body = {"schemas": [SEARCH_REQUEST_SCHEMA], "filter": 'displayName eq "sales"', "excludedAttributes": ["members"]}

    response = scim.post("Groups/.search", body)

    assert response.status_code == 200
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    resources = read_json(response)["Resources"]
    assert [resource["id"] for resource in resources] == [empty_group["id"]]
    assert "members" not in resources[0]


@pytest.mark.django_db
def test_invalid_filter_rejected(scim, team):
    response = scim.get('Groups?filter=displayName eq "unclosed')

    assert response.status_code == 400
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert response.json() == scim_error(400, "invalidFilter")


# The group-provisioning switch -------------------------------------------------------------

GROUP_PROVISIONING_OFF_BODY = {
    "schemas": [ERROR_SCHEMA],
    "status": "400",
    "detail": "Group provisioning is turned off for this identity provider in p81, so groups cannot be changed. "
    "Either turn group provisioning on in p81, or in the Azure portal open the application's Provisioning > "
    "Mappings and disable 'Provision Microsoft Entra ID Groups'.",
}


@pytest.mark.django_db
def test_switch_off_probe_returns_empty_list(scim, team, groups_off):
    # Azure's probe must keep getting 200, or the provisioning job is quarantined.
    response = scim.get(f"Groups?excludedAttributes=members&filter=displayName+eq+%22{uuid.uuid4()}%22")

    assert response.status_code == 200
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert read_json(response) == EMPTY_LIST_RESPONSE


@pytest.mark.django_db
def test_switch_off_hides_existing_groups(scim, team, groups_off):
    by_name = scim.get('Groups?excludedAttributes=members&filter=displayName eq "Engineering"')
    listed = scim.get("Groups")

    assert by_name.status_code == 200
    assert read_json(by_name) == EMPTY_LIST_RESPONSE
    assert listed.status_code == 200
    assert read_json(listed) == EMPTY_LIST_RESPONSE


@pytest.mark.django_db
def test_switch_off_search_returns_empty_list(scim, team, groups_off):
    response = scim.post(
        "Groups/.search", {"schemas": [SEARCH_REQUEST_SCHEMA], "filter": 'displayName eq "Engineering"'}
    )

    assert response.status_code == 200
    assert read_json(response) == EMPTY_LIST_RESPONSE


@pytest.mark.django_db
def test_switch_off_get_group_returns_404(scim, team, groups_off):
    response = scim.get(f"Groups/{team['id']}?excludedAttributes=members")

    assert response.status_code == 404
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert response.json() == scim_error(404)


def write_requests(group_id: str, user_id: str) -> dict[str, tuple[str, str, Any]]:
    """Return every group write that Azure sends, as (method, path, body)."""
    return {
        "create": ("POST", "Groups", {"schemas": [GROUP_SCHEMA, AZURE_GROUP_SCHEMA], "displayName": "New"}),
        "replace": ("PUT", f"Groups/{group_id}", {"schemas": [GROUP_SCHEMA], "displayName": "Renamed"}),
        "rename": (
            "PATCH",
            f"Groups/{group_id}",
            patch_body({"op": "Replace", "path": "displayName", "value": "Renamed"}),
        ),
        "add-member": ("PATCH", f"Groups/{group_id}", add_members([user_id])),
        "remove-member": ("PATCH", f"Groups/{group_id}", patch_body(remove_value_list([user_id]))),
        "delete": ("DELETE", f"Groups/{group_id}", None),
    }


WRITE_KINDS = ["create", "replace", "rename", "add-member", "remove-member", "delete"]


@pytest.mark.django_db
@pytest.mark.parametrize("kind", WRITE_KINDS)
def test_switch_off_write_returns_400(scim, team, users, groups_off, kind):
    method, path, body = write_requests(team["id"], users["alice"])[kind]

    response = scim.request(method, path, body)

    assert response.status_code == 400
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert response.json() == GROUP_PROVISIONING_OFF_BODY


@pytest.mark.django_db
@pytest.mark.parametrize("kind", WRITE_KINDS)
def test_switch_off_write_changes_nothing(scim, team, users, groups_off, kind):
    method, path, body = write_requests(team["id"], users["alice"])[kind]

    scim.request(method, path, body)

    assert list(DirectoryGroup.objects.values_list("display_name", flat=True)) == ["Engineering"]
    assert member_ids_in_database(team["id"]) == set(users.values())


@pytest.mark.django_db
def test_switch_off_detail_names_both_fixes(scim, groups_off):
    response = scim.post("Groups", {"schemas": [GROUP_SCHEMA], "displayName": "New"})

    detail = response.json()["detail"]
    assert "turn group provisioning on in p81" in detail
    assert "disable 'Provision Microsoft Entra ID Groups'" in detail


@pytest.mark.django_db
def test_switch_off_root_search_skips_groups(scim, team, users, groups_off):
    body = {"schemas": [SEARCH_REQUEST_SCHEMA], "filter": 'displayName eq "Engineering"'}

    response = scim.post(".search", body)

    assert response.status_code == 200
    assert response.json() == EMPTY_LIST_RESPONSE


@pytest.mark.django_db
def test_switch_off_keeps_users_working(scim, team, users, groups_off):
    response = scim.get(f"Users/{users['alice']}")

    assert response.status_code == 200


@pytest.mark.django_db
def test_switch_on_again_shows_groups(scim, team, groups_off):
    groups_off.group_provisioning_enabled = True
    groups_off.save(update_fields=["group_provisioning_enabled"])

    response = scim.get(f"Groups/{team['id']}?excludedAttributes=members")

    assert response.status_code == 200


# Workspace isolation -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("GET", None),
        ("PATCH", patch_body({"op": "Replace", "path": "displayName", "value": "Taken over"})),
        ("PUT", {"schemas": [GROUP_SCHEMA], "displayName": "Taken over"}),
        ("DELETE", None),
    ],
    ids=["get", "patch", "put", "delete"],
)
def test_other_workspace_group_not_found(scim, other_group, method, body):
    response = scim.request(method, f"Groups/{other_group['id']}", body)

    assert response.status_code == 404
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert response.json() == scim_error(404)
    assert DirectoryGroup.objects.get(pk=other_group["id"]).display_name == "Engineering"


@pytest.mark.django_db
def test_other_workspace_groups_not_listed(scim, other_group):
    listed = scim.get("Groups")
    by_id = scim.get(f'Groups?filter=id eq "{other_group["id"]}"')
    by_name = scim.get('Groups?filter=displayName eq "Engineering"')

    assert read_json(listed) == EMPTY_LIST_RESPONSE
    assert read_json(by_id) == EMPTY_LIST_RESPONSE
    assert read_json(by_name) == EMPTY_LIST_RESPONSE


@pytest.mark.django_db
def test_other_workspace_group_not_searched(scim, other_group):
    response = scim.post(".search", {"schemas": [SEARCH_REQUEST_SCHEMA], "filter": 'displayName eq "Engineering"'})

    assert response.status_code == 200
    assert read_json(response)["totalResults"] == 0


@pytest.mark.django_db
def test_other_workspace_sees_own_group(other_scim, team, other_group):
    response = other_scim.get("Groups?excludedAttributes=members")

    assert [resource["id"] for resource in read_json(response)["Resources"]] == [other_group["id"]]


@pytest.mark.django_db
def test_member_filter_ignores_other_workspace(scim, other_scim, other_user, team):
    other_group_id = read_json(
        other_scim.post("Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Ops", "members": [{"value": other_user}]})
    )["id"]

    response = scim.get(f'Groups?filter=members eq "{other_user}"')

    assert DirectoryGroupMember.objects.filter(group_id=other_group_id).count() == 1
    assert read_json(response) == EMPTY_LIST_RESPONSE


@pytest.mark.django_db
@pytest.mark.parametrize("group_id", ["not-a-uuid", str(uuid.uuid4())], ids=["malformed", "unknown"])
def test_unknown_group_id_returns_404(scim, group_id):
    response = scim.patch(f"Groups/{group_id}", add_members([]))

    assert response.status_code == 404
    assert response.json() == scim_error(404)


# Discovery -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_resource_types_list_group(scim):
    response = scim.get("ResourceTypes")

    assert response.status_code == 200
    groups = [resource for resource in response.json()["Resources"] if resource["id"] == "Group"]
    assert groups == [
        {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "Group",
            "schema": GROUP_SCHEMA,
            "schemaExtensions": [],
            "meta": {"resourceType": "ResourceType", "location": "http://testserver/scim/v2/acme/ResourceTypes/Group"},
        }
    ]


@pytest.mark.django_db
def test_resource_type_group_by_id(scim):
    response = scim.get("ResourceTypes/Group")

    assert response.status_code == 200
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert response.json()["endpoint"] == "/Groups"


@pytest.fixture
def group_schema_document(scim) -> dict:
    response = scim.get(f"Schemas/{GROUP_SCHEMA}")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.django_db
def test_schemas_list_group(scim):
    response = scim.get("Schemas")

    assert response.status_code == 200
    assert GROUP_SCHEMA in [resource["id"] for resource in response.json()["Resources"]]


def attribute_of(schema_document: dict, name: str) -> dict:
    return next(attribute for attribute in schema_document["attributes"] if attribute["name"] == name)


@pytest.mark.django_db
def test_group_schema_requires_display_name(group_schema_document):
    display_name = attribute_of(group_schema_document, "displayName")

    assert group_schema_document["schemas"] == [SCHEMA_SCHEMA]
    assert display_name["required"] is True
    assert display_name["caseExact"] is False
    assert display_name["type"] == "string"


@pytest.mark.django_db
def test_group_schema_declares_name_uniqueness(group_schema_document):
    # RFC 7643 section 7 defines "none" as not unique in any way, but the service rejects a duplicate displayName.
    assert attribute_of(group_schema_document, "displayName")["uniqueness"] == "server"


@pytest.mark.django_db
def test_group_schema_describes_members(group_schema_document):
    members = attribute_of(group_schema_document, "members")

    assert members["multiValued"] is True
    assert members["type"] == "complex"
    assert {sub["name"] for sub in members["subAttributes"]} >= {"value", "$ref", "type"}


@pytest.mark.django_db
def test_user_schema_groups_read_only(scim):
    response = scim.get(f"Schemas/{USER_SCHEMA}")

    groups = attribute_of(response.json(), "groups")
    assert groups["mutability"] == "readOnly"
    assert groups["multiValued"] is True


@pytest.mark.django_db
def test_service_provider_config_supports_patch(scim):
    # Azure provisions groups only through an endpoint that supports PATCH.
    response = scim.get("ServiceProviderConfig")

    assert response.status_code == 200
    assert response.json()["patch"] == {"supported": True}
    assert response.json()["bulk"]["supported"] is False
    assert response.json()["filter"]["supported"] is True


@pytest.mark.django_db
def test_remove_members_empty_list_keeps_members(scim, make_user):
    member = make_user("kept@acme.example.com")
    team = scim.post("Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Kept", "members": [{"value": member["id"]}]})

    response = scim.patch(f"Groups/{team.json()['id']}", patch_body({"op": "Remove", "path": "members", "value": []}))

    assert response.status_code == 204
    assert DirectoryGroupMember.objects.filter(group_id=team.json()["id"]).count() == 1


@pytest.mark.django_db
def test_user_name_non_ascii_case_conflicts(scim, make_user):
    make_user("jürgen.müller@acme.example.com")

    response = scim.post("Users", {"schemas": [USER_SCHEMA], "userName": "JÜRGEN.MÜLLER@acme.example.com"})

    assert response.status_code == 409
    assert response.json()["scimType"] == "uniqueness"
