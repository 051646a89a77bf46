"""SCIM tokens (hashing, revocation, scoping) and the provisioning log."""

from __future__ import annotations

import logging

import pytest

from identity_providers.models import IdentityProvider
from scim.models import ProvisioningLogEntry, ScimToken
from scim.tokens import authenticate_token, generate_token, hash_token

from .conftest import ScimClient

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.mark.django_db
def test_token_stored_only_as_digest(provider):
    issued = generate_token(provider)

    stored = ScimToken.objects.get(pk=issued.token.pk)

    assert stored.digest == hash_token(issued.value)
    assert issued.value not in {stored.digest, stored.prefix}
    assert len(issued.value) >= 40


@pytest.mark.django_db
def test_generating_token_revokes_previous(provider):
    first = generate_token(provider)
    second = generate_token(provider)

    assert authenticate_token(first.value) is None
    assert authenticate_token(second.value).pk == second.token.pk
    assert ScimToken.objects.filter(provider=provider, revoked_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_revoked_token_gets_401(workspace, provider):
    old = generate_token(provider).value
    generate_token(provider)

    response = ScimClient(f"/scim/v2/{workspace.slug}", old).get("Users")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/scim+json"
    assert response.json()["status"] == "401"


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["scim_enabled", "enabled"])
def test_token_of_turned_off_provider_gets_401(workspace, provider, change):
    token = generate_token(provider).value
    IdentityProvider.objects.filter(pk=provider.pk).update(**{change: False})

    response = ScimClient(f"/scim/v2/{workspace.slug}", token).get("Users")

    assert response.status_code == 401


@pytest.mark.django_db
def test_last_used_recorded(scim, provider):
    scim.get("ServiceProviderConfig")

    token = ScimToken.objects.get(provider=provider, revoked_at__isnull=True)
    provider.refresh_from_db()

    assert token.last_used_at is not None
    assert provider.last_scim_request_at is not None


@pytest.mark.django_db
def test_log_records_success_with_user(scim, provider):
    response = scim.post("Users", {"schemas": [USER], "userName": "ann@acme.example.com"})

    entry = ProvisioningLogEntry.objects.get(operation="user.create")

    assert entry.status == 201
    assert entry.provider_id == provider.pk
    assert entry.workspace_id == provider.workspace_id
    assert entry.resource_id == response.json()["id"]
    assert entry.user_name == "ann@acme.example.com"
    assert entry.method == "POST"
    assert entry.error_detail == ""


@pytest.mark.django_db
def test_log_records_failure_with_scim_error(scim, make_user):
    make_user("ann@acme.example.com")
    scim.post("Users", {"schemas": [USER], "userName": "ANN@acme.example.com"})

    entry = ProvisioningLogEntry.objects.filter(status=409).get()

    assert entry.scim_type == "uniqueness"
    assert "already exists" in entry.error_detail
    assert entry.user_name == "ANN@acme.example.com"


@pytest.mark.django_db
def test_log_keeps_workspaces_apart(scim, other_scim, workspace, other_workspace):
    scim.get("Users")
    other_scim.get("Users")

    assert ProvisioningLogEntry.objects.filter(workspace=workspace).count() == 1
    assert ProvisioningLogEntry.objects.filter(workspace=other_workspace).count() == 1


@pytest.mark.django_db
def test_unauthenticated_request_not_logged(workspace, provider):
    ScimClient(f"/scim/v2/{workspace.slug}", "wrong").get("Users")

    assert ProvisioningLogEntry.objects.count() == 0


@pytest.mark.django_db
def test_token_and_body_never_logged(workspace, provider, caplog):
    token = generate_token(provider).value
    scim = ScimClient(f"/scim/v2/{workspace.slug}", token)
    secret_password = "Sup3r-secret-Passw0rd!"
    caplog.set_level(logging.DEBUG)

    created = scim.post(
        "Users", {"schemas": [USER], "userName": "ann@acme.example.com", "password": secret_password}
    ).json()
    scim.get('Users?filter=userName eq "ann@acme.example.com"')
    scim.patch(
        f"Users/{created['id']}",
        {"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]},
    )
    scim.post("Users", {"schemas": [USER], "userName": "ann@acme.example.com"})
    scim.delete(f"Users/{created['id']}")
    ScimClient(f"/scim/v2/{workspace.slug}", token + "x").get("Users")

    log_text = "\n".join(record.getMessage() for record in caplog.records)
    stored_rows = " ".join(
        f"{row.path} {row.error_detail} {row.user_name}" for row in ProvisioningLogEntry.objects.all()
    )
    assert caplog.records
    assert token not in log_text
    assert secret_password not in log_text
    assert token not in stored_rows
    assert secret_password not in stored_rows


@pytest.mark.django_db
def test_password_stored_hashed_and_never_returned(scim):
    created = scim.post("Users", {"schemas": [USER], "userName": "ann@acme.example.com", "password": "Pa55word!x"})

    from directory.models import DirectoryUser

    user = DirectoryUser.objects.get(pk=created.json()["id"])
    fetched = scim.get(f"Users/{user.pk}").json()

    assert "password" not in created.json()
    assert "password" not in fetched
    assert "password" not in user.document
    assert user.password_hash.startswith(("pbkdf2_", "argon2", "bcrypt", "scrypt"))


@pytest.mark.django_db(transaction=True)
def test_concurrent_token_generation_leaves_one_active(provider):
    import threading

    from django.db import connection

    if connection.vendor == "sqlite":
        pytest.skip("the in-memory SQLite test database locks whole tables; CI runs this on PostgreSQL")
    errors: list[BaseException] = []

    def generate() -> None:
        try:
            generate_token(provider)
        except BaseException as error:  # noqa: BLE001 (the test reports any failure)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=generate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert ScimToken.objects.filter(provider=provider, revoked_at__isnull=True).count() == 1
    assert ScimToken.objects.filter(provider=provider).count() == 4
