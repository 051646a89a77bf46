"""Groups at Azure's scale: a 50,000-member group is changed and read within fixed bounds.

Bounds checked here:
- a PATCH that adds or removes members runs the same statements for 10
  members as for 1,000 (at most 10, SAVEPOINTs of the test transaction
  included);
- GET with excludedAttributes=members never reads the membership table;
- a full GET streams the members, reading at most MEMBER_CHUNK_SIZE rows
  at a time, and Python allocates less than 16 MiB at peak while the
  50,000-member response is produced (its text alone is about 4.5 MB).
  Groups of at most MEMBER_CHUNK_SIZE members get a plain response.
"""

from __future__ import annotations

import json
import re
import tracemalloc
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from directory.models import DirectoryGroup, DirectoryGroupMember, DirectoryUser
from scim.groups import MEMBER_CHUNK_SIZE, STREAM_BATCH_SIZE

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
MEMBERS = 50_000
MAX_PATCH_STATEMENTS = 10
PEAK_ALLOCATION_BYTES = 16 * 1024 * 1024
MEMBER_VALUE = re.compile(r'"value": "([0-9a-f-]{36})"')


def seed_users(workspace, count: int, prefix: str) -> list[uuid.UUID]:
    users = [
        DirectoryUser(
            workspace=workspace,
            user_name=f"{prefix}{index}@acme.example.com",
            document={"userName": f"{prefix}{index}@acme.example.com", "active": True},
        )
        for index in range(count)
    ]
    DirectoryUser.objects.bulk_create(users, batch_size=5000)
    return [user.pk for user in users]


@pytest.fixture
def big_group(scim, workspace) -> DirectoryGroup:
    """A group of `workspace` with MEMBERS members, created over SCIM and filled directly."""
    created = scim.post("Groups", {"schemas": [GROUP], "displayName": "Everyone"})
    assert created.status_code == 201, created.content
    group = DirectoryGroup.objects.get(pk=created.json()["id"])

    user_ids = seed_users(workspace, MEMBERS, "member")
    DirectoryGroupMember.objects.bulk_create(
        (DirectoryGroupMember(group=group, user_id=user_id) for user_id in user_ids), batch_size=5000
    )
    return group


def patch_statements(scim, group: DirectoryGroup, operation: dict) -> tuple[int, list[str]]:
    body = {"schemas": [PATCH], "Operations": [operation]}
    with CaptureQueriesContext(connection) as captured:
        response = scim.patch(f"Groups/{group.pk}", body)
    assert response.status_code == 204, response.content
    return len(captured), [query["sql"] for query in captured]


def member_ops(op: str, user_ids: list[uuid.UUID]) -> dict:
    return {"op": op, "path": "members", "value": [{"value": str(user_id), "$ref": None} for user_id in user_ids]}


@pytest.mark.django_db
def test_member_patches_run_fixed_statements(scim, workspace, big_group):
    few = seed_users(workspace, 10, "few")
    many = seed_users(workspace, 1000, "many")

    add_few, add_few_sql = patch_statements(scim, big_group, member_ops("Add", few))
    add_many, add_many_sql = patch_statements(scim, big_group, member_ops("Add", many))
    after_add = DirectoryGroupMember.objects.filter(group=big_group).count()
    remove_few, remove_few_sql = patch_statements(scim, big_group, member_ops("Remove", few))
    remove_many, remove_many_sql = patch_statements(scim, big_group, member_ops("Remove", many))
    after_remove = DirectoryGroupMember.objects.filter(group=big_group).count()
    by_filter, by_filter_sql = patch_statements(
        scim, big_group, {"op": "Remove", "path": f'members[value eq "{big_group.memberships.first().user_id}"]'}
    )

    assert add_few == add_many, (add_few_sql, add_many_sql)
    assert add_many <= MAX_PATCH_STATEMENTS, add_many_sql
    assert remove_few == remove_many, (remove_few_sql, remove_many_sql)
    assert remove_many <= MAX_PATCH_STATEMENTS, remove_many_sql
    assert by_filter <= MAX_PATCH_STATEMENTS, by_filter_sql
    assert after_add == MEMBERS + 1010
    assert after_remove == MEMBERS
    assert DirectoryGroupMember.objects.filter(group=big_group).count() == MEMBERS - 1


@pytest.mark.django_db
def test_get_without_members_skips_membership_table(scim, big_group):
    with CaptureQueriesContext(connection) as captured:
        single = scim.get(f"Groups/{big_group.pk}?excludedAttributes=members")
        listed = scim.get('Groups?excludedAttributes=members&filter=displayName eq "Everyone"')

    statements = [query["sql"] for query in captured]
    assert single.status_code == 200
    assert "members" not in single.json()
    assert listed.json()["Resources"][0]["displayName"] == "Everyone"
    assert not any("directory_directorygroupmember" in sql for sql in statements), statements


@pytest.mark.django_db
def test_full_get_streams_members_within_bound(scim, big_group):
    tracemalloc.start()
    try:
        response = scim.get(f"Groups/{big_group.pk}")
        chunks = 0
        values: set[str] = set()
        for chunk in response.streaming_content:
            chunks += 1
            values.update(value for value in _member_values(chunk))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert response.status_code == 200
    assert response["Content-Type"] == "application/scim+json"
    assert chunks > MEMBERS // STREAM_BATCH_SIZE
    assert len(values) == MEMBERS
    assert peak < PEAK_ALLOCATION_BYTES, f"peak allocation {peak} bytes"


def _member_values(chunk: bytes) -> list[str]:
    """Return the member ids in one streamed chunk."""
    return MEMBER_VALUE.findall(chunk.decode())


@pytest.mark.django_db
def test_streamed_group_is_valid_json(scim, workspace):
    created = scim.post("Groups", {"schemas": [GROUP], "displayName": "Streamed"}).json()
    group = DirectoryGroup.objects.get(pk=created["id"])
    user_ids = seed_users(workspace, MEMBER_CHUNK_SIZE + 5, "streamed")
    DirectoryGroupMember.objects.bulk_create(DirectoryGroupMember(group=group, user_id=user_id) for user_id in user_ids)

    response = scim.get(f"Groups/{group.pk}")
    body = json.loads(b"".join(response.streaming_content))

    assert len(body["members"]) == MEMBER_CHUNK_SIZE + 5
    assert {member["value"] for member in body["members"]} == {str(user_id) for user_id in user_ids}
    assert body["displayName"] == "Streamed"
    assert body["meta"]["resourceType"] == "Group"
    assert body["members"][0]["type"] == "User"
