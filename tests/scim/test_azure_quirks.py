"""What the SCIM Users service must accept from Microsoft Entra ID (Azure AD), case by case.

Azure's provisioning service departs from RFC 7644 in documented ways:
capitalised PATCH ops, booleans sent as strings, PATCH without `path`
whose value object is keyed by attribute paths, a bare id string for the
manager, and URL-encoded `eq` filters. The request bodies marked "verbatim"
are copied from Microsoft's "Known issues and resolutions with SCIM 2.0
protocol compliance of the Microsoft Entra user provisioning service"
(learn.microsoft.com/entra/identity/app-provisioning/
application-provisioning-config-problem-scim-compatibility, revision of
2025-04-15). Without the `aadOptscim062020` flag Azure sends the first form
of each pair, with it the second.

Error cases check the status codes and `scimType` values of RFC 7644
section 3.12, since Azure quarantines a job on 401 and 403 and retries
5xx responses on every cycle.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from urllib.parse import quote

import pytest
from django.test import Client

from scim.tokens import generate_token, revoke_tokens

SCIM_CONTENT_TYPE = "application/scim+json"
CORE_USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_USER_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SEARCH_REQUEST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
SERVICE_PROVIDER_CONFIG_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"

# Bodies larger than this are rejected with 413 (the service's announced limit).
MAX_BODY_BYTES = 1024 * 1024

ENTERPRISE_STRING_ATTRIBUTES = ["employeeNumber", "department", "costCenter", "organization", "division"]


class NonEmptyText:
    """Equal to any non-empty string."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and other != ""

    def __repr__(self) -> str:
        return "<non-empty string>"


def scim_error(status: int, scim_type: str | None = None) -> dict:
    """Build the RFC 7644 section 3.12 error body expected for `status` and `scim_type`."""
    body = {"schemas": [ERROR_SCHEMA], "status": str(status), "detail": NonEmptyText()}
    if scim_type is not None:
        body["scimType"] = scim_type
    return body


def patch_body(*operations: dict) -> dict:
    return {"schemas": [PATCH_OP_SCHEMA], "Operations": list(operations)}


def enterprise_path(attribute: str) -> str:
    return f"{ENTERPRISE_USER_SCHEMA}:{attribute}"


def user_path(user: dict) -> str:
    return f"Users/{user['id']}"


def work_email(resource: dict) -> str | None:
    """Return the value of the email whose type is "work", or None."""
    for email in resource.get("emails", []):
        if email.get("type") == "work":
            return email["value"]
    return None


def user_fields(resource: dict) -> dict:
    """Flatten the attributes that Azure's documented PATCH requests change, keyed by their SCIM path."""
    name = resource.get("name", {})
    enterprise = resource.get(ENTERPRISE_USER_SCHEMA, {})
    return {
        "active": resource.get("active"),
        "displayName": resource.get("displayName"),
        "nickName": resource.get("nickName"),
        "externalId": resource.get("externalId"),
        "name.givenName": name.get("givenName"),
        "name.familyName": name.get("familyName"),
        'emails[type eq "work"].value': work_email(resource),
        enterprise_path("employeeNumber"): enterprise.get("employeeNumber"),
    }


def search_body(**parameters) -> dict:
    return {"schemas": [SEARCH_REQUEST_SCHEMA], **parameters}


@pytest.fixture
def azure_user(make_user) -> dict:
    """A user as Azure creates one: work email, name, externalId, active."""
    return make_user(
        "bjensen@acme.example.com",
        externalId="0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        displayName="Barbara Jensen",
        name={"givenName": "Barbara", "familyName": "Jensen"},
        emails=[{"primary": True, "type": "work", "value": "bjensen@acme.example.com"}],
    )


# --- PATCH: op names ------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("op", ["Add", "add", "ADD", "Replace", "replace", "REPLACE"])
def test_patch_op_name_case_insensitive(scim, azure_user, op):
    # RFC 7644 section 3.5.2 names the ops in lower case; Azure sends Add and Replace.
    response = scim.patch(user_path(azure_user), patch_body({"op": op, "path": "displayName", "value": "Babs"}))

    assert response.status_code == 200
    assert response.json()["displayName"] == "Babs"


@pytest.mark.django_db
@pytest.mark.parametrize("op", ["Remove", "remove", "REMOVE"])
def test_patch_remove_op_case_insensitive(scim, azure_user, op):
    response = scim.patch(user_path(azure_user), patch_body({"op": op, "path": "displayName"}))

    assert response.status_code == 200
    assert "displayName" not in response.json()


# --- PATCH: booleans as strings -------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sent", "expected"),
    [("False", False), ("True", True), ("false", False), ("true", True), (False, False), (True, True)],
)
def test_patch_active_accepts_string_booleans(scim, make_user, sent, expected):
    user = make_user("flip@acme.example.com", active=not expected)

    response = scim.patch(user_path(user), patch_body({"op": "Replace", "path": "active", "value": sent}))

    assert response.status_code == 200
    assert response.json()["active"] is expected
    assert scim.get(user_path(user)).json()["active"] is expected


@pytest.mark.django_db
@pytest.mark.parametrize("sent", ["maybe", "", 1, "0"])
def test_patch_active_rejects_non_boolean(scim, azure_user, sent):
    response = scim.patch(user_path(azure_user), patch_body({"op": "Replace", "path": "active", "value": sent}))

    assert response.status_code == 400
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert response.json() == scim_error(400, "invalidValue")


@pytest.mark.django_db
@pytest.mark.parametrize(("sent", "expected"), [("False", False), ("True", True)])
def test_create_accepts_string_active(scim, sent, expected):
    # Microsoft's SCIM reference code tests a POST with "active": "True",
    # because Azure sends the boolean as a string on create too.
    body = {"schemas": [CORE_USER_SCHEMA], "userName": "stringly@acme.example.com", "active": sent}

    response = scim.post("Users", body)

    assert response.status_code == 201
    assert response.json()["active"] is expected


@pytest.mark.django_db
def test_email_primary_accepts_string_boolean(scim, make_user):
    user = make_user("primary@acme.example.com", emails=[{"type": "work", "value": "primary@acme.example.com"}])
    operation = {"op": "Add", "path": 'emails[type eq "work"].primary', "value": "True"}

    response = scim.patch(user_path(user), patch_body(operation))

    assert response.status_code == 200
    assert response.json()["emails"] == [{"type": "work", "value": "primary@acme.example.com", "primary": True}]


# --- PATCH: Microsoft's compatibility examples ------------------------------

# Pairs of documented requests, verbatim: without the aadOptscim062020 flag, then with it.
COMPATIBILITY_EXAMPLES = {
    "disable-without-flag": (
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
        },
        {"active": False},
    ),
    "disable-with-flag": (
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": False}],
        },
        {"active": False},
    ),
    "add-single-value-without-flag": (
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "Add", "path": "nickName", "value": "Babs"}],
        },
        {"nickName": "Babs"},
    ),
    "add-single-value-with-flag": (
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "add", "path": "nickName", "value": "Babs"}],
        },
        {"nickName": "Babs"},
    ),
    "replace-multiple-without-flag": (
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "Replace", "path": "displayName", "value": "Pvlo"},
                {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "TestBcwqnm@test.microsoft.com"},
                {"op": "Replace", "path": "name.givenName", "value": "Gtfd"},
                {"op": "Replace", "path": "name.familyName", "value": "Pkqf"},
                {"op": "Replace", "path": "externalId", "value": "Eqpj"},
                {
                    "op": "Replace",
                    "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
                    "value": "Eqpj",
                },
            ],
        },
        {
            "displayName": "Pvlo",
            'emails[type eq "work"].value': "TestBcwqnm@test.microsoft.com",
            "name.givenName": "Gtfd",
            "name.familyName": "Pkqf",
            "externalId": "Eqpj",
            enterprise_path("employeeNumber"): "Eqpj",
        },
    ),
    "replace-multiple-with-flag": (
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "replace", "path": 'emails[type eq "work"].value', "value": "TestMhvaes@test.microsoft.com"},
                {
                    "op": "replace",
                    "value": {
                        "displayName": "Bjfe",
                        "name.givenName": "Kkom",
                        "name.familyName": "Unua",
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Aklq",
                    },
                },
            ],
        },
        {
            'emails[type eq "work"].value': "TestMhvaes@test.microsoft.com",
            "displayName": "Bjfe",
            "name.givenName": "Kkom",
            "name.familyName": "Unua",
            enterprise_path("employeeNumber"): "Aklq",
        },
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("example", list(COMPATIBILITY_EXAMPLES))
def test_compatibility_example_applies(scim, azure_user, example):
    request, expected = COMPATIBILITY_EXAMPLES[example]

    response = scim.patch(user_path(azure_user), request)

    assert response.status_code == 200
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    changed = {path: value for path, value in user_fields(response.json()).items() if path in expected}
    assert changed == expected


@pytest.mark.django_db
@pytest.mark.parametrize("example", list(COMPATIBILITY_EXAMPLES))
def test_compatibility_example_persists(scim, azure_user, example):
    request, _ = COMPATIBILITY_EXAMPLES[example]
    patched = scim.patch(user_path(azure_user), request).json()

    response = scim.get(user_path(azure_user))

    assert response.json() == patched


# --- PATCH: no path, value keyed by attribute paths -------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("op", ["replace", "Replace", "add", "Add"])
def test_patch_without_path_sets_dotted_keys(scim, azure_user, op):
    value = {
        "displayName": "Babs Jensen",
        "name.givenName": "Babs",
        enterprise_path("employeeNumber"): "701984",
        enterprise_path("department"): "Finance",
    }

    response = scim.patch(user_path(azure_user), patch_body({"op": op, "value": value}))

    assert response.status_code == 200
    body = response.json()
    assert body["displayName"] == "Babs Jensen"
    assert body["name"] == {"givenName": "Babs", "familyName": "Jensen"}
    assert body[ENTERPRISE_USER_SCHEMA] == {"employeeNumber": "701984", "department": "Finance"}
    assert ENTERPRISE_USER_SCHEMA in body["schemas"]
    assert body["emails"] == azure_user["emails"]


@pytest.mark.django_db
def test_patch_without_path_merges_complex_value(scim, azure_user):
    # RFC 7644 section 3.5.2.3: sub-attributes not in the value are left unchanged.
    response = scim.patch(
        user_path(azure_user), patch_body({"op": "replace", "value": {"name": {"givenName": "Babs"}}})
    )

    assert response.status_code == 200
    assert response.json()["name"] == {"givenName": "Babs", "familyName": "Jensen"}


# --- PATCH: work email ------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("op", ["Add", "add", "Replace", "replace"])
def test_work_email_path_creates_entry(scim, make_user, op):
    # Azure sends Add, and also Replace, on this path for users without a
    # work email, and fails the export on the noTarget error that RFC 7644
    # section 3.5.2.3 prescribes for Replace. Both ops create the entry.
    user = make_user("noemail@acme.example.com")
    operation = {"op": op, "path": 'emails[type eq "work"].value', "value": "noemail@acme.example.com"}

    response = scim.patch(user_path(user), patch_body(operation))

    assert response.status_code == 200
    emails = response.json()["emails"]
    assert [(email.get("type"), email["value"]) for email in emails] == [("work", "noemail@acme.example.com")]


@pytest.mark.django_db
def test_add_work_email_replaces_existing_work_value(scim, azure_user):
    # Microsoft requires the type of each email to be unique, so Add keeps one work email.
    operation = {"op": "Add", "path": 'emails[type eq "work"].value', "value": "barbara@acme.example.com"}

    response = scim.patch(user_path(azure_user), patch_body(operation))

    assert response.status_code == 200
    emails = response.json()["emails"]
    assert [(email.get("type"), email["value"]) for email in emails] == [("work", "barbara@acme.example.com")]


@pytest.mark.django_db
def test_replace_work_email_keeps_other_emails(scim, make_user):
    user = make_user(
        "two@acme.example.com",
        emails=[
            {"type": "work", "value": "two@acme.example.com", "primary": True},
            {"type": "home", "value": "two@home.example.net"},
        ],
    )
    operation = {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "second@acme.example.com"}

    response = scim.patch(user_path(user), patch_body(operation))

    assert response.status_code == 200
    emails = {email["type"]: email["value"] for email in response.json()["emails"]}
    assert emails == {"work": "second@acme.example.com", "home": "two@home.example.net"}


@pytest.mark.django_db
def test_remove_emails_omits_emails_key(scim, azure_user):
    response = scim.patch(user_path(azure_user), patch_body({"op": "Remove", "path": "emails"}))

    assert response.status_code == 200
    assert "emails" not in response.json()


# --- PATCH: enterprise extension -------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("op", ["Add", "Replace"])
@pytest.mark.parametrize("attribute", ENTERPRISE_STRING_ATTRIBUTES)
def test_enterprise_attribute_set_by_urn_path(scim, azure_user, attribute, op):
    operation = {"op": op, "path": enterprise_path(attribute), "value": "Value-42"}

    response = scim.patch(user_path(azure_user), patch_body(operation))

    assert response.status_code == 200
    body = response.json()
    assert body[ENTERPRISE_USER_SCHEMA] == {attribute: "Value-42"}
    assert ENTERPRISE_USER_SCHEMA in body["schemas"]
    assert scim.get(user_path(azure_user)).json() == body


@pytest.mark.django_db
@pytest.mark.parametrize("attribute", ENTERPRISE_STRING_ATTRIBUTES)
def test_enterprise_attribute_removed_by_urn_path(scim, make_user, attribute):
    other_attribute = "department" if attribute == "division" else "division"
    user = make_user(
        "ext@acme.example.com", **{ENTERPRISE_USER_SCHEMA: {attribute: "Value-42", other_attribute: "Kept"}}
    )

    response = scim.patch(user_path(user), patch_body({"op": "Remove", "path": enterprise_path(attribute)}))

    assert response.status_code == 200
    assert response.json()[ENTERPRISE_USER_SCHEMA] == {other_attribute: "Kept"}


@pytest.mark.django_db
def test_enterprise_attributes_accepted_on_create(scim):
    body = {
        "schemas": [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
        "userName": "created@acme.example.com",
        ENTERPRISE_USER_SCHEMA: {attribute: f"{attribute}-1" for attribute in ENTERPRISE_STRING_ATTRIBUTES},
    }

    response = scim.post("Users", body)

    assert response.status_code == 201
    assert response.json()[ENTERPRISE_USER_SCHEMA] == body[ENTERPRISE_USER_SCHEMA]


# --- PATCH: manager ---------------------------------------------------------


@pytest.fixture
def manager(make_user) -> dict:
    return make_user("manager@acme.example.com", externalId="58342554-38d6-4ec8-948c-50044d0a33fd")


@pytest.fixture
def managed_user(scim, azure_user, manager) -> dict:
    operation = {"op": "Add", "path": enterprise_path("manager"), "value": manager["id"]}
    response = scim.patch(user_path(azure_user), patch_body(operation))
    assert response.status_code == 200, f"setting the manager failed: {response.status_code} {response.content!r}"
    return response.json()


@pytest.mark.django_db
@pytest.mark.parametrize("op", ["Add", "Replace", "add", "replace"])
def test_manager_set_from_bare_id(scim, azure_user, manager, op):
    operation = {"op": op, "path": enterprise_path("manager"), "value": manager["id"]}

    response = scim.patch(user_path(azure_user), patch_body(operation))

    assert response.status_code == 200
    # RFC 7643 section 4.3: manager is complex, with the manager's id in `value`.
    assert response.json()[ENTERPRISE_USER_SCHEMA]["manager"]["value"] == manager["id"]


@pytest.mark.django_db
def test_manager_set_from_keyed_value(scim, azure_user, manager):
    operation = {"op": "replace", "value": {enterprise_path("manager"): manager["id"]}}

    response = scim.patch(user_path(azure_user), patch_body(operation))

    assert response.status_code == 200
    assert response.json()[ENTERPRISE_USER_SCHEMA]["manager"]["value"] == manager["id"]


@pytest.mark.django_db
def test_manager_replaced_by_other_id(scim, managed_user, make_user):
    new_manager = make_user("second-manager@acme.example.com")
    operation = {"op": "Replace", "path": enterprise_path("manager"), "value": new_manager["id"]}

    response = scim.patch(user_path(managed_user), patch_body(operation))

    assert response.status_code == 200
    assert response.json()[ENTERPRISE_USER_SCHEMA]["manager"]["value"] == new_manager["id"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "operation",
    [
        {"op": "Remove", "path": enterprise_path("manager")},
        {"op": "remove", "path": enterprise_path("manager")},
        {"op": "Replace", "path": enterprise_path("manager"), "value": ""},
        {"op": "replace", "path": enterprise_path("manager"), "value": ""},
    ],
    ids=["Remove", "remove", "Replace-empty", "replace-empty"],
)
def test_manager_cleared(scim, managed_user, operation):
    response = scim.patch(user_path(managed_user), patch_body(operation))

    assert response.status_code == 200
    assert "manager" not in response.json().get(ENTERPRISE_USER_SCHEMA, {})
    assert "manager" not in scim.get(user_path(managed_user)).json().get(ENTERPRISE_USER_SCHEMA, {})


@pytest.mark.django_db
def test_legacy_manager_form_not_server_error(scim, azure_user, manager):
    # Microsoft's SCIM tutorial (Example 5, its sample code) shows this
    # form. RFC 7644 section 3.10 requires the extension URN on "manager",
    # so the service may apply or reject it, but never fail with 5xx.
    operation = {
        "op": "Add",
        "path": "manager",
        "value": [{"$ref": f"http://testserver/scim/v2/acme/Users/{manager['id']}", "value": manager["id"]}],
    }

    response = scim.patch(user_path(azure_user), patch_body(operation))

    assert response.status_code in (200, 400)
    assert response["Content-Type"] == SCIM_CONTENT_TYPE


@pytest.mark.django_db
def test_manager_id_of_other_workspace_leaks_nothing(scim, other_scim, azure_user):
    # The service may store the opaque id or reject it, but must not
    # resolve it to the other workspace's user.
    outsider = other_scim.post(
        "Users",
        {"schemas": [CORE_USER_SCHEMA], "userName": "secret@globex.example.com", "displayName": "Globex Secret"},
    ).json()
    operation = {"op": "Replace", "path": enterprise_path("manager"), "value": outsider["id"]}

    response = scim.patch(user_path(azure_user), patch_body(operation))

    assert response.status_code in (200, 400)
    assert b"Globex Secret" not in response.content
    assert b"secret@globex.example.com" not in response.content


@pytest.mark.django_db
@pytest.mark.parametrize(("use_manager", "expected_count"), [(True, 1), (False, 0)], ids=["current", "other"])
def test_filter_by_id_and_manager(scim, managed_user, manager, make_user, use_manager, expected_count):
    # Microsoft's tutorial describes Azure checking the current manager with
    # a filter on id and manager and attributes=id. RFC 7644 section 3.10
    # requires the extension URN on the manager path, as sent here.
    manager_id = manager["id"] if use_manager else make_user("nobody@acme.example.com")["id"]
    query = f'id eq "{managed_user["id"]}" and {enterprise_path("manager")}.value eq "{manager_id}"'

    response = scim.get(f"Users?filter={quote(query)}&attributes=id")

    assert response.status_code == 200
    assert response.json()["totalResults"] == expected_count


# --- Filters ----------------------------------------------------------------


def list_ids(response) -> list[str]:
    return [resource["id"] for resource in response.json()["Resources"]]


@pytest.mark.django_db
def test_filter_external_id_finds_user(scim, azure_user):
    response = scim.get("Users?filter=externalId+eq+%220a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef%22")

    assert response.status_code == 200
    assert list_ids(response) == [azure_user["id"]]
    assert response.json()["totalResults"] == 1


@pytest.mark.django_db
def test_filter_external_id_case_exact(scim, azure_user):
    # RFC 7643 section 3.1: externalId has caseExact true.
    response = scim.get("Users?filter=externalId+eq+%220A21F0F2-8D2A-4F8E-BF98-7363C4AED4EF%22")

    assert response.status_code == 200
    assert response.json()["totalResults"] == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "user_name",
    ["bjensen@acme.example.com", "BJENSEN@ACME.EXAMPLE.COM", "BJensen@Acme.Example.com"],
)
def test_filter_user_name_case_insensitive(scim, azure_user, user_name):
    response = scim.get(f"Users?filter=userName+eq+%22{quote(user_name)}%22")

    assert response.status_code == 200
    assert list_ids(response) == [azure_user["id"]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "filter=userName+eq+%22bjensen%40acme.example.com%22",
        "filter=userName+eq+%22bjensen@acme.example.com%22",
        "filter=userName%20eq%20%22bjensen%40acme.example.com%22",
        'filter=userName eq "bjensen@acme.example.com"',
        "filter=userName+EQ+%22bjensen%40acme.example.com%22",
        "filter=USERNAME+eq+%22bjensen%40acme.example.com%22",
        "filter=%28userName+eq+%22bjensen%40acme.example.com%22%29",
    ],
    ids=["plus-and-%22", "plus-raw-at", "%20", "unencoded", "operator-upper", "attribute-upper", "parenthesised"],
)
def test_filter_url_encodings(scim, azure_user, query):
    # RFC 7644 section 3.4.2.2: attribute names and operators are case-insensitive.
    response = scim.get(f"Users?{query}")

    assert response.status_code == 200
    assert list_ids(response) == [azure_user["id"]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("external_id", "expected_count"),
    [("0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef", 1), ("ffffffff-8d2a-4f8e-bf98-7363c4aed4ef", 0)],
    ids=["both-match", "one-differs"],
)
def test_filter_and_combines_conditions(scim, azure_user, external_id, expected_count):
    query = f'userName eq "bjensen@acme.example.com" and externalId eq "{external_id}"'

    response = scim.get(f"Users?filter={quote(query)}")

    assert response.status_code == 200
    assert response.json()["totalResults"] == expected_count


@pytest.mark.django_db
def test_filter_by_work_email(scim, azure_user, make_user):
    # Microsoft: users are queried by userName or by emails[type eq "work"].
    make_user("other@acme.example.com", emails=[{"type": "work", "value": "other@acme.example.com"}])
    query = 'emails[type eq "work"].value eq "bjensen@acme.example.com"'

    response = scim.get(f"Users?filter={quote(query)}")

    assert response.status_code == 200
    assert list_ids(response) == [azure_user["id"]]


@pytest.mark.django_db
def test_filter_returns_disabled_user(scim, make_user):
    user = make_user("gone@acme.example.com", externalId="c0ffee00-0000-4000-8000-000000000000", active=False)

    response = scim.get("Users?filter=externalId+eq+%22c0ffee00-0000-4000-8000-000000000000%22")

    assert response.status_code == 200
    assert response.json()["Resources"] == [user]


@pytest.mark.django_db
def test_search_endpoint_filters(scim, azure_user, make_user):
    make_user("other@acme.example.com")

    response = scim.post("Users/.search", search_body(filter='userName eq "BJENSEN@acme.example.com"'))

    assert response.status_code == 200
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert response.json()["schemas"] == [LIST_RESPONSE_SCHEMA]
    assert list_ids(response) == [azure_user["id"]]


@pytest.mark.django_db
def test_list_paginates_with_start_index_and_count(scim, make_user):
    created = [make_user(f"page{number}@acme.example.com")["id"] for number in range(3)]

    first = scim.get("Users?startIndex=1&count=2").json()
    second = scim.get("Users?startIndex=3&count=2").json()

    assert first["totalResults"] == 3
    assert first["startIndex"] == 1
    assert first["itemsPerPage"] == 2
    assert second["totalResults"] == 3
    assert second["startIndex"] == 3
    assert second["itemsPerPage"] == 1
    assert sorted(resource["id"] for resource in first["Resources"] + second["Resources"]) == sorted(created)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected_start_index", "expected_items"),
    [("startIndex=0", 1, 2), ("startIndex=-5", 1, 2), ("count=0", 1, 0), ("count=-1", 1, 0), ("count=100000", 1, 2)],
)
def test_list_paging_parameters_clamped(scim, make_user, query, expected_start_index, expected_items):
    # RFC 7644 section 3.4.2.4: a startIndex below 1 means 1, a negative
    # count means 0, and a count above maxResults returns at most maxResults.
    make_user("first@acme.example.com")
    make_user("second@acme.example.com")

    response = scim.get(f"Users?{query}")

    assert response.status_code == 200
    body = response.json()
    assert body["totalResults"] == 2
    assert body["startIndex"] == expected_start_index
    assert body["itemsPerPage"] == expected_items
    assert len(body.get("Resources", [])) == expected_items


# --- Uniqueness -------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "duplicate", ["bjensen@acme.example.com", "BJENSEN@ACME.EXAMPLE.COM", "BJensen@acme.example.com"]
)
def test_duplicate_user_name_returns_409(scim, azure_user, duplicate):
    response = scim.post("Users", {"schemas": [CORE_USER_SCHEMA], "userName": duplicate})

    assert response.status_code == 409
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert response.json() == scim_error(409, "uniqueness")


@pytest.mark.django_db
@pytest.mark.parametrize("taken", ["bjensen@acme.example.com", "BJENSEN@acme.example.com"])
def test_patch_to_taken_user_name_returns_409(scim, azure_user, make_user, taken):
    other = make_user("other@acme.example.com")

    response = scim.patch(user_path(other), patch_body({"op": "Replace", "path": "userName", "value": taken}))

    assert response.status_code == 409
    assert response.json() == scim_error(409, "uniqueness")
    assert scim.get(user_path(other)).json()["userName"] == "other@acme.example.com"


@pytest.mark.django_db
def test_user_name_unique_per_workspace_only(scim, other_scim, azure_user):
    response = other_scim.post("Users", {"schemas": [CORE_USER_SCHEMA], "userName": azure_user["userName"]})

    assert response.status_code == 201


@pytest.mark.django_db
def test_user_name_reusable_after_delete(scim, azure_user):
    # Azure sends DELETE only on hard delete, after which it may provision the same userName again.
    deleted = scim.delete(user_path(azure_user))

    response = scim.post("Users", {"schemas": [CORE_USER_SCHEMA], "userName": azure_user["userName"]})

    assert deleted.status_code == 204
    assert response.status_code == 201
    assert response.json()["id"] != azure_user["id"]


# --- Media types ------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "accept",
    [None, "*/*", "application/json", "application/scim+json", "application/scim+json, application/json"],
)
def test_accept_header_never_406(scim, accept):
    extra = {} if accept is None else {"HTTP_ACCEPT": accept}

    response = scim.get(f"Users?filter=userName+eq+%22{uuid.uuid4()}%22", **extra)

    assert response.status_code == 200
    assert response.json()["totalResults"] == 0


@pytest.mark.django_db
@pytest.mark.parametrize("accept", [None, "*/*", "application/scim+json"])
def test_response_content_type_is_scim(scim, accept):
    extra = {} if accept is None else {"HTTP_ACCEPT": accept}

    response = scim.get("Users", **extra)

    assert response["Content-Type"] == SCIM_CONTENT_TYPE


@pytest.mark.django_db
def test_accept_json_gets_json(scim):
    # RFC 7644 section 3.8: service providers SHOULD support Accept: application/json.
    response = scim.get("Users", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response["Content-Type"] in (SCIM_CONTENT_TYPE, "application/json")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content_type",
    [
        "application/scim+json; charset=utf-8",
        "application/scim+json",
        "application/json",
        "application/json; charset=utf-8",
    ],
)
def test_create_accepts_request_content_type(scim, content_type):
    body = {"schemas": [CORE_USER_SCHEMA], "userName": "typed@acme.example.com"}

    response = scim.post("Users", body, content_type=content_type)

    assert response.status_code == 201
    assert response.json()["userName"] == "typed@acme.example.com"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content_type",
    [
        "application/scim+json; charset=utf-8",
        "application/scim+json",
        "application/json",
        "application/json; charset=utf-8",
    ],
)
def test_patch_accepts_request_content_type(scim, azure_user, content_type):
    operation = {"op": "Replace", "path": "displayName", "value": "Babs"}

    response = scim.patch(user_path(azure_user), patch_body(operation), content_type=content_type)

    assert response.status_code == 200
    assert response.json()["displayName"] == "Babs"


# --- Representation ---------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("read", ["post", "get", "filter"])
def test_user_without_emails_omits_emails_key(scim, make_user, read):
    # No key at all, rather than an entry without a value such as `"emails": [{"value": ""}]`.
    created = make_user("plain@acme.example.com")

    if read == "post":
        resource = created
    elif read == "get":
        resource = scim.get(user_path(created)).json()
    else:
        resource = scim.get("Users?filter=userName+eq+%22plain%40acme.example.com%22").json()["Resources"][0]

    assert "emails" not in resource


@pytest.mark.django_db
def test_create_ignores_null_attributes(scim):
    # RFC 7643 section 2.5: null is equivalent to an unassigned attribute.
    body = {
        "schemas": [CORE_USER_SCHEMA],
        "userName": "nulls@acme.example.com",
        "addresses": None,
        "phoneNumbers": None,
        "preferredLanguage": None,
        "title": None,
    }

    response = scim.post("Users", body)

    assert response.status_code == 201
    assert [key for key, value in response.json().items() if value is None] == []
    assert "addresses" not in response.json()


@pytest.mark.django_db
def test_tutorial_sample_create_not_server_error(scim):
    # Verbatim from the "Provision a user" example of Microsoft's SCIM
    # tutorial, which shows its sample code. The misspelled extension URN
    # and the top-level "department" and "manager" are not RFC 7643
    # attributes, so the service may accept or reject the body.
    body = {
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0User",
        ],
        "externalId": "jyoung",
        "userName": "jyoung@testuser.com",
        "active": True,
        "addresses": None,
        "displayName": "Joy Young",
        "emails": [{"type": "work", "value": "jyoung@Contoso.com", "primary": True}],
        "meta": {"resourceType": "User"},
        "name": {"familyName": "Young", "givenName": "Joy"},
        "phoneNumbers": None,
        "preferredLanguage": None,
        "title": None,
        "department": None,
        "manager": None,
    }

    response = scim.post("Users", body)

    assert response.status_code in (201, 400)
    assert response["Content-Type"] == SCIM_CONTENT_TYPE


def fetch_with_parameters(scim, user: dict, read: str, **parameters) -> dict:
    """Read `user` by GET, by filtered list or by POST .search, with `attributes` or `excludedAttributes`."""
    if read == "get":
        query = "&".join(f"{name}={value}" for name, value in parameters.items())
        return scim.get(f"{user_path(user)}?{query}").json()
    if read == "list":
        query = "&".join(f"{name}={value}" for name, value in parameters.items())
        return scim.get(f"Users?filter=userName+eq+%22{quote(user['userName'])}%22&{query}").json()["Resources"][0]
    search = search_body(
        filter=f'userName eq "{user["userName"]}"', **{name: [value] for name, value in parameters.items()}
    )
    return scim.post("Users/.search", search).json()["Resources"][0]


@pytest.mark.django_db
@pytest.mark.parametrize("read", ["get", "list", "search"])
def test_attributes_parameter_limits_resource(scim, azure_user, read):
    resource = fetch_with_parameters(scim, azure_user, read, attributes="userName")

    assert resource["userName"] == azure_user["userName"]
    assert resource["id"] == azure_user["id"]
    assert "emails" not in resource
    assert "name" not in resource
    assert "externalId" not in resource


@pytest.mark.django_db
@pytest.mark.parametrize("read", ["get", "list", "search"])
def test_excluded_attributes_drops_emails(scim, azure_user, read):
    resource = fetch_with_parameters(scim, azure_user, read, excludedAttributes="emails")

    assert "emails" not in resource
    assert resource["userName"] == azure_user["userName"]
    assert resource["name"] == azure_user["name"]


# --- Errors -----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    ['{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": ', "not json", '["a", "list"]'],
    ids=["truncated", "not-json", "array"],
)
def test_create_invalid_json_returns_invalid_syntax(scim, body):
    response = scim.post("Users", body)

    assert response.status_code == 400
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert response.json() == scim_error(400, "invalidSyntax")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        '{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [',
        json.dumps({"schemas": [PATCH_OP_SCHEMA]}),
        json.dumps({"schemas": [PATCH_OP_SCHEMA], "Operations": {"op": "Replace"}}),
        json.dumps(patch_body({"op": "Merge", "path": "displayName", "value": "Babs"})),
        json.dumps(patch_body({"path": "displayName", "value": "Babs"})),
    ],
    ids=["truncated", "no-operations", "operations-not-list", "unknown-op", "missing-op"],
)
def test_patch_invalid_body_returns_invalid_syntax(scim, azure_user, body):
    # RFC 7644 section 3.12: invalidSyntax is a body that does not conform
    # to the request schema, and the PatchOp schema allows only the ops
    # add, remove and replace.
    response = scim.patch(user_path(azure_user), body)

    assert response.status_code == 400
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert response.json() == scim_error(400, "invalidSyntax")


INVALID_FILTERS = [
    'userName zz "bjensen"',
    "userName eq",
    '(userName eq "bjensen"',
    'userName eq "bjensen" and',
    'userName eq "unterminated',
]


@pytest.mark.django_db
@pytest.mark.parametrize("invalid_filter", INVALID_FILTERS)
def test_invalid_filter_returns_invalid_filter(scim, invalid_filter):
    response = scim.get(f"Users?filter={quote(invalid_filter)}")

    assert response.status_code == 400
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert response.json() == scim_error(400, "invalidFilter")


@pytest.mark.django_db
@pytest.mark.parametrize("invalid_filter", INVALID_FILTERS)
def test_search_invalid_filter_returns_invalid_filter(scim, invalid_filter):
    response = scim.post("Users/.search", search_body(filter=invalid_filter))

    assert response.status_code == 400
    assert response.json() == scim_error(400, "invalidFilter")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "attributes",
    [
        {"userName": 123},
        {"userName": ""},
        {"userName": "typed@acme.example.com", "active": "maybe"},
        {"userName": "typed@acme.example.com", "emails": "typed@acme.example.com"},
        {"userName": "typed@acme.example.com", "name": "Barbara Jensen"},
        {"displayName": "No User Name"},
    ],
    ids=["user-name-number", "user-name-empty", "active-text", "emails-string", "name-string", "user-name-missing"],
)
def test_create_invalid_value_returns_invalid_value(scim, attributes):
    # RFC 7644 section 3.12: invalidValue covers a missing required value and a value of the wrong type.
    response = scim.post("Users", {"schemas": [CORE_USER_SCHEMA], **attributes})

    assert response.status_code == 400
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert response.json() == scim_error(400, "invalidValue")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "operation",
    [
        {"op": "Replace", "path": "userName", "value": 5},
        {"op": "Replace", "path": "userName", "value": ""},
        {"op": "Replace", "path": "name.givenName", "value": ["Babs"]},
        {"op": "Replace", "path": "emails", "value": "bjensen@acme.example.com"},
    ],
    ids=["user-name-number", "user-name-empty", "given-name-list", "emails-string"],
)
def test_patch_wrong_type_returns_invalid_value(scim, azure_user, operation):
    response = scim.patch(user_path(azure_user), patch_body(operation))

    assert response.status_code == 400
    assert response.json() == scim_error(400, "invalidValue")
    assert scim.get(user_path(azure_user)).json() == azure_user


@pytest.mark.django_db
@pytest.mark.parametrize("path", ['emails[type eq "work"', "name.givenName.first", "emails[]"])
def test_patch_malformed_path_returns_invalid_path(scim, azure_user, path):
    response = scim.patch(user_path(azure_user), patch_body({"op": "Replace", "path": path, "value": "x"}))

    assert response.status_code == 400
    assert response.json() == scim_error(400, "invalidPath")


@pytest.mark.django_db
@pytest.mark.parametrize("op", ["Remove", "remove"])
def test_remove_without_path_returns_no_target(scim, azure_user, op):
    # RFC 7644 section 3.5.2.2: Remove without "path" fails with noTarget.
    response = scim.patch(user_path(azure_user), patch_body({"op": op}))

    assert response.status_code == 400
    assert response.json() == scim_error(400, "noTarget")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["id", "meta.created"])
def test_patch_read_only_attribute_returns_mutability(scim, azure_user, path):
    operation = {"op": "Replace", "path": path, "value": "2000-01-01T00:00:00Z"}

    response = scim.patch(user_path(azure_user), patch_body(operation))

    assert response.status_code == 400
    assert response.json() == scim_error(400, "mutability")
    assert scim.get(user_path(azure_user)).json() == azure_user


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "patch"])
def test_oversized_body_returns_413(scim, azure_user, method):
    padding = "x" * MAX_BODY_BYTES
    if method == "post":
        body = json.dumps({"schemas": [CORE_USER_SCHEMA], "userName": "big@acme.example.com", "displayName": padding})
        response = scim.post("Users", body)
    else:
        body = json.dumps(patch_body({"op": "Replace", "path": "displayName", "value": padding}))
        response = scim.patch(user_path(azure_user), body)

    assert len(body.encode()) > MAX_BODY_BYTES
    assert response.status_code == 413
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert response.json() == scim_error(413)


@pytest.mark.django_db
@pytest.mark.parametrize("user_id", [str(uuid.uuid4()), "not-a-uuid", "48af03ac28ad4fb88478"])
@pytest.mark.parametrize("method", ["get", "delete"])
def test_unknown_user_id_returns_404(scim, method, user_id):
    response = getattr(scim, method)(f"Users/{user_id}")

    assert response.status_code == 404
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert response.json() == scim_error(404)


@pytest.mark.django_db
def test_patch_unknown_user_returns_404(scim):
    operation = {"op": "Replace", "path": "active", "value": False}

    response = scim.patch(f"Users/{uuid.uuid4()}", patch_body(operation))

    assert response.status_code == 404
    assert response.json() == scim_error(404)


# --- Authentication ---------------------------------------------------------


def users_url(workspace) -> str:
    return f"/scim/v2/{workspace.slug}/Users"


@pytest.fixture
def revoked_token(provider, scim_token) -> str:
    revoke_tokens(provider)
    return scim_token


@pytest.fixture
def token_of_disabled_scim(provider, scim_token) -> str:
    provider.scim_enabled = False
    provider.save()
    return scim_token


@pytest.fixture
def token_of_disabled_provider(provider, scim_token) -> str:
    provider.enabled = False
    provider.save()
    return scim_token


AUTHORIZATION_CASES: dict[str, Callable[[pytest.FixtureRequest], str | None]] = {
    "missing": lambda request: None,
    "empty-bearer": lambda request: "Bearer ",
    "wrong-token": lambda request: "Bearer p81scim_" + "A" * 43,
    "basic-scheme": lambda request: "Basic " + request.getfixturevalue("scim_token"),
    "token-without-scheme": lambda request: request.getfixturevalue("scim_token"),
    "revoked-token": lambda request: "Bearer " + request.getfixturevalue("revoked_token"),
    "scim-disabled": lambda request: "Bearer " + request.getfixturevalue("token_of_disabled_scim"),
    "provider-disabled": lambda request: "Bearer " + request.getfixturevalue("token_of_disabled_provider"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(AUTHORIZATION_CASES))
def test_bad_credentials_return_401(request, workspace, provider, case):
    authorization = AUTHORIZATION_CASES[case](request)
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}

    response = Client().get(users_url(workspace), **headers)

    assert response.status_code == 401
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    assert response.json() == scim_error(401)
    # RFC 6750 section 3: a 401 names the Bearer scheme in WWW-Authenticate.
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_bearer_scheme_case_insensitive(workspace, scim_token):
    # RFC 7235 section 2.1: the authentication scheme is case-insensitive.
    response = Client().get(users_url(workspace), HTTP_AUTHORIZATION=f"bearer {scim_token}")

    assert response.status_code == 200


# --- Workspace isolation ----------------------------------------------------


@pytest.mark.django_db
def test_other_workspace_get_returns_404(other_scim, azure_user):
    response = other_scim.get(user_path(azure_user))

    assert response.status_code == 404
    assert response.json() == scim_error(404)


@pytest.mark.django_db
def test_other_workspace_list_excludes_users(other_scim, azure_user):
    response = other_scim.get("Users")

    assert response.status_code == 200
    assert response.json()["totalResults"] == 0
    assert response.json()["Resources"] == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "filter=userName+eq+%22bjensen%40acme.example.com%22",
        "filter=externalId+eq+%220a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef%22",
        "filter=id+eq+%22{id}%22",
    ],
    ids=["userName", "externalId", "id"],
)
def test_other_workspace_filter_finds_nothing(other_scim, azure_user, query):
    response = other_scim.get("Users?" + query.format(id=azure_user["id"]))

    assert response.status_code == 200
    assert response.json()["totalResults"] == 0


@pytest.mark.django_db
def test_other_workspace_search_finds_nothing(other_scim, azure_user):
    response = other_scim.post("Users/.search", search_body(filter='userName eq "bjensen@acme.example.com"'))

    assert response.status_code == 200
    assert response.json()["totalResults"] == 0


@pytest.mark.django_db
def test_other_workspace_patch_returns_404(scim, other_scim, azure_user):
    operation = {"op": "Replace", "path": "active", "value": False}

    response = other_scim.patch(user_path(azure_user), patch_body(operation))

    assert response.status_code == 404
    assert scim.get(user_path(azure_user)).json() == azure_user


@pytest.mark.django_db
def test_other_workspace_delete_returns_404(scim, other_scim, azure_user):
    response = other_scim.delete(user_path(azure_user))

    assert response.status_code == 404
    assert scim.get(user_path(azure_user)).status_code == 200


@pytest.mark.django_db
def test_token_rejected_at_other_workspace_url(workspace, other_provider, azure_user):
    # A token belongs to one workspace's provider, so another workspace's URL rejects it (401 or 403).
    other_token = generate_token(other_provider).value

    response = Client().get(f"{users_url(workspace)}/{azure_user['id']}", HTTP_AUTHORIZATION=f"Bearer {other_token}")

    assert response.status_code in (401, 403)
    assert "userName" not in response.json()


@pytest.mark.django_db
def test_unknown_workspace_url_rejects_token(scim_token):
    response = Client().get("/scim/v2/no-such-workspace/Users", HTTP_AUTHORIZATION=f"Bearer {scim_token}")

    assert response.status_code in (401, 404)
    assert response["Content-Type"] == SCIM_CONTENT_TYPE


# --- Discovery --------------------------------------------------------------


@pytest.mark.django_db
def test_service_provider_config_announces_filter_and_patch(scim):
    response = scim.get("ServiceProviderConfig")

    assert response.status_code == 200
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    config = response.json()
    assert config["schemas"] == [SERVICE_PROVIDER_CONFIG_SCHEMA]
    assert config["filter"]["supported"] is True
    assert config["filter"]["maxResults"] > 0
    assert config["patch"]["supported"] is True
    assert "oauthbearertoken" in [scheme["type"] for scheme in config["authenticationSchemes"]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("endpoint", "expected_id"),
    [("Schemas", CORE_USER_SCHEMA), ("Schemas", ENTERPRISE_USER_SCHEMA), ("ResourceTypes", "User")],
)
def test_discovery_list_carries_total_results(scim, endpoint, expected_id):
    response = scim.get(endpoint)

    assert response.status_code == 200
    assert response["Content-Type"] == SCIM_CONTENT_TYPE
    body = response.json()
    assert body["schemas"] == [LIST_RESPONSE_SCHEMA]
    assert body["totalResults"] == len(body["Resources"])
    assert expected_id in [resource["id"] for resource in body["Resources"]]


@pytest.mark.django_db
def test_user_resource_type_lists_enterprise_extension(scim):
    response = scim.get("ResourceTypes/User")

    assert response.status_code == 200
    resource_type = response.json()
    assert resource_type["endpoint"] == "/Users"
    assert resource_type["schema"] == CORE_USER_SCHEMA
    assert ENTERPRISE_USER_SCHEMA in [extension["schema"] for extension in resource_type["schemaExtensions"]]


@pytest.mark.django_db
def test_user_schema_declares_user_name_case_insensitive(scim):
    response = scim.get(f"Schemas/{CORE_USER_SCHEMA}")

    assert response.status_code == 200
    attributes = {attribute["name"]: attribute for attribute in response.json()["attributes"]}
    assert attributes["userName"]["caseExact"] is False
    assert attributes["userName"]["uniqueness"] == "server"
    assert attributes["userName"]["required"] is True


@pytest.mark.django_db
def test_unknown_schema_returns_404(scim):
    response = scim.get("Schemas/urn:example:unknown")

    assert response.status_code == 404
    assert response.json() == scim_error(404)
