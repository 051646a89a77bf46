"""Hostile or unusual input: each gets a SCIM error, never a 500 or an HTML page."""

from __future__ import annotations

import pytest
from django.test import Client

from directory.models import DirectoryUser

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SCHEMAS = f'{{"schemas": ["{USER}"], '
MANAGER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"


def assert_scim_error(response, status: int, scim_type: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/scim+json"
    body = response.json()
    assert body["status"] == str(status)
    assert body["detail"]
    if scim_type is not None:
        assert body["scimType"] == scim_type
    return body


@pytest.mark.django_db
@pytest.mark.parametrize(
    "raw",
    [
        SCHEMAS + '"userName": "s\\ud800"}',
        SCHEMAS + '"userName": "a@b.c", "\\ud800": 1}',
        SCHEMAS + '"userName": "a\\u0000b"}',
        SCHEMAS + '"userName": "a@b.c", "title": "x\\u0000"}',
    ],
    ids=["surrogate-value", "surrogate-key", "nul-user-name", "nul-title"],
)
def test_unstorable_strings_rejected(scim, raw):
    response = scim.post("Users", raw)

    assert_scim_error(response, 400, "invalidValue")
    assert DirectoryUser.objects.count() == 0


@pytest.mark.django_db
def test_surrogate_in_search_filter_rejected(scim):
    response = scim.post(
        "Users/.search",
        '{"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "userName eq \\"\\ud800\\""}',
    )

    assert_scim_error(response, 400, "invalidValue")


@pytest.mark.django_db
def test_nul_in_query_filter_rejected(scim):
    response = scim.get('Users?filter=title eq "a%00b"')

    assert_scim_error(response, 400, "invalidValue")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "attributes",
    [
        {"userName": "x" * 257},
        {"userName": "ok@acme.example.com", "externalId": "e" * 257},
        {"userName": "ok@acme.example.com", "displayName": "d" * 257},
        {"userName": "ok@acme.example.com", "name": {"givenName": "g" * 257}},
    ],
    ids=["user-name", "external-id", "display-name", "given-name"],
)
def test_values_longer_than_columns_rejected(scim, attributes):
    response = scim.post("Users", {"schemas": [USER], **attributes})

    body = assert_scim_error(response, 400, "invalidValue")
    assert "maximum is 256" in body["detail"]


@pytest.mark.django_db
def test_long_group_name_rejected(scim):
    response = scim.post("Groups", {"schemas": [GROUP], "displayName": "g" * 257})

    assert_scim_error(response, 400, "invalidValue")


@pytest.mark.django_db
@pytest.mark.parametrize("user_name", ["   ", "a\nb@acme.example.com", "bell\u0007@acme.example.com"])
def test_unusable_user_names_rejected(scim, user_name):
    response = scim.post("Users", {"schemas": [USER], "userName": user_name})

    assert_scim_error(response, 400, "invalidValue")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "moment",
    ["2020-01-01T00:00:00+99:00", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "notadate"],
)
def test_out_of_range_datetime_filter_rejected(scim, moment):
    response = scim.get(f'Users?filter=meta.created gt "{moment}"')

    assert_scim_error(response, 400, "invalidFilter")


@pytest.mark.django_db
def test_too_many_filter_comparisons_rejected(scim):
    text = " or ".join(f'title co "{index}"' for index in range(51))

    response = scim.post(
        "Users/.search", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": text}
    )

    body = assert_scim_error(response, 400, "invalidFilter")
    assert "maximum is 50" in body["detail"]


@pytest.mark.django_db
def test_chunked_body_gets_411(scim):
    response = scim.post(
        "Users", {"schemas": [USER], "userName": "a@b.c"}, HTTP_TRANSFER_ENCODING="chunked", CONTENT_LENGTH=""
    )

    assert_scim_error(response, 411)


@pytest.mark.django_db
def test_head_answers_like_get_without_body(scim, make_user):
    make_user("ann@acme.example.com")

    response = scim.request("HEAD", "Users")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/scim+json"
    assert response.content == b""


@pytest.mark.django_db
def test_no_content_has_no_content_type(scim, make_user):
    user = make_user("ann@acme.example.com")

    response = scim.delete(f"Users/{user['id']}")

    assert response.status_code == 204
    assert "Content-Type" not in response
    assert response.content == b""


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/scim/v2", "/scim/v2/", "/scim/v2/%2e%2e/acme/Users", "/scim/v2/../x"])
def test_paths_without_workspace_get_scim_404(path):
    response = Client().get(path)

    body = assert_scim_error(response, 404)
    assert "/scim/v2/<workspace-slug>" in body["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize("manager", ["not-a-uuid", "6f1d8a1e-1111-4b5b-9c1c-000000000000"])
def test_unknown_manager_rejected(scim, make_user, manager):
    user = make_user("ann@acme.example.com")

    response = scim.patch(
        f"Users/{user['id']}",
        {"schemas": [PATCH], "Operations": [{"op": "Replace", "path": MANAGER, "value": manager}]},
    )

    assert_scim_error(response, 400, "invalidValue")


@pytest.mark.django_db
def test_own_manager_rejected(scim, make_user):
    user = make_user("ann@acme.example.com")

    response = scim.patch(
        f"Users/{user['id']}",
        {"schemas": [PATCH], "Operations": [{"op": "Replace", "path": MANAGER, "value": user["id"]}]},
    )

    assert_scim_error(response, 400, "invalidValue")


@pytest.mark.django_db
def test_manager_of_other_workspace_rejected(scim, other_scim, make_user):
    user = make_user("ann@acme.example.com")
    stranger = other_scim.post("Users", {"schemas": [USER], "userName": "boss@globex.example.com"}).json()

    response = scim.patch(
        f"Users/{user['id']}",
        {"schemas": [PATCH], "Operations": [{"op": "Replace", "path": MANAGER, "value": stranger["id"]}]},
    )

    assert_scim_error(response, 400, "invalidValue")


@pytest.mark.django_db
def test_manager_in_workspace_accepted(scim, make_user):
    boss = make_user("boss@acme.example.com")
    user = make_user("ann@acme.example.com")

    response = scim.patch(
        f"Users/{user['id']}",
        {"schemas": [PATCH], "Operations": [{"op": "Replace", "path": MANAGER, "value": boss["id"]}]},
    )

    assert response.status_code == 200
    assert (
        response.json()["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"]["value"] == boss["id"]
    )


@pytest.mark.django_db
def test_deep_nesting_detail_is_plain(scim):
    response = scim.post("Users", "[" * 5000 + "]" * 5000)

    body = assert_scim_error(response, 400, "invalidSyntax")
    assert "recursion" not in body["detail"]


@pytest.mark.django_db
def test_manager_check_filter_without_urn(scim, make_user):
    boss = make_user("boss@acme.example.com")
    user = make_user(
        "ann@acme.example.com",
        **{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": boss["id"]}}},
    )

    matched = scim.get(f'Users?filter=id eq "{user["id"]}" and manager eq "{boss["id"]}"&attributes=id')
    other = scim.get(f'Users?filter=id eq "{user["id"]}" and manager eq "{user["id"]}"&attributes=id')

    assert matched.json()["totalResults"] == 1
    assert matched.json()["Resources"] == [
        {"schemas": [USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"], "id": user["id"]}
    ]
    assert other.json()["totalResults"] == 0
