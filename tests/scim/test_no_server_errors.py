"""Generated input never makes the SCIM service return 5xx, and errors keep the RFC 7644 shape.

Hypothesis generates JSON bodies, PATCH operations, paths and filters,
biased towards SCIM attribute names and Azure's value shapes.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory.models import DirectoryUser

ATTRIBUTE_NAMES = [
    "userName",
    "USERNAME",
    "name",
    "name.givenName",
    "displayName",
    "emails",
    'emails[type eq "work"].value',
    'emails[type eq "work"]',
    "emails.value",
    "phoneNumbers",
    'addresses[type eq "work"].streetAddress',
    "active",
    "externalId",
    "id",
    "meta",
    "meta.created",
    "password",
    "roles",
    "x509Certificates",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    "urn:ietf:params:scim:schemas:core:2.0:User:userName",
    "bogus",
    "",
    "[",
    'members[value eq "x"]',
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "True", "False", "false", "x@acme.example.com", "2026-01-01T00:00:00Z"]),
    st.text(max_size=20),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(ATTRIBUTE_NAMES + ["value", "type", "primary"]), st.text(max_size=8)),
            children,
            max_size=4,
        ),
    ),
    max_leaves=12,
)
operations = st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "Add", "replace", "Replace", "remove", "Remove", "move", 3, None])},
    optional={"path": st.one_of(st.sampled_from(ATTRIBUTE_NAMES), st.text(max_size=30)), "value": json_values},
)
patch_bodies = st.one_of(
    st.fixed_dictionaries(
        {
            "schemas": st.just(["urn:ietf:params:scim:api:messages:2.0:PatchOp"]),
            "Operations": st.lists(operations, max_size=4),
        }
    ),
    json_values,
)
user_bodies = st.one_of(
    st.dictionaries(st.sampled_from(ATTRIBUTE_NAMES + ["schemas"]), json_values, max_size=6).map(
        lambda body: {"userName": "generated@acme.example.com", **body}
    ),
    json_values,
)
filters = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda attribute, op, value: f"{attribute} {op} {value}",
        st.sampled_from(ATTRIBUTE_NAMES),
        st.sampled_from(["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr", "xx"]),
        st.sampled_from(['"x"', "true", "false", "null", "12", "1.5", '"2026-01-01T00:00:00Z"', "(", '"']),
    ),
)

HYPOTHESIS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def assert_scim_answer(response) -> None:
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        body = response.json()
        assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
        assert body["status"] == str(response.status_code)
        assert body["detail"]


@pytest.mark.django_db
@HYPOTHESIS
@given(body=patch_bodies)
def test_generated_patch_never_500(scim, make_user, body):
    user = DirectoryUser.objects.filter(user_name="target@acme.example.com").first()
    user_id = (
        user.pk
        if user
        else make_user("target@acme.example.com", emails=[{"value": "t@acme.example.com", "type": "work"}])["id"]
    )

    response = scim.patch(f"Users/{user_id}", body)

    assert_scim_answer(response)


@pytest.mark.django_db
@HYPOTHESIS
@given(body=user_bodies)
def test_generated_create_never_500(scim, body):
    response = scim.post("Users", body)

    assert_scim_answer(response)
    DirectoryUser.objects.all().delete()


@pytest.mark.django_db
@HYPOTHESIS
@given(
    text=filters,
    start=st.one_of(st.none(), st.text(max_size=5), st.integers()),
    count=st.one_of(st.none(), st.text(max_size=5), st.integers()),
)
def test_generated_list_parameters_never_500(scim, text, start, count):
    params = {"filter": text}
    if start is not None:
        params["startIndex"] = start
    if count is not None:
        params["count"] = count

    response = scim.client.get(scim.url("Users"), params)

    assert_scim_answer(response)


@pytest.mark.django_db
@HYPOTHESIS
@given(raw=st.binary(max_size=200))
def test_generated_raw_bodies_never_500(scim, raw):
    response = scim.post("Users", raw)

    assert_scim_answer(response)


@pytest.mark.django_db
@HYPOTHESIS
@given(body=json_values)
def test_generated_search_bodies_never_500(scim, body):
    response = scim.post("Users/.search", json.dumps(body))

    assert_scim_answer(response)
