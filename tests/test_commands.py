"""The management commands seed_demo and scim_token."""

from __future__ import annotations

import json
import logging
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from identity_providers.models import IdentityProvider, ProviderDomain, ProviderKind
from scim.links import scim_base_url
from scim.models import ScimToken
from scim.tokens import authenticate_token, hash_token
from workspaces.models import Workspace, WorkspaceAdministrator


def run_command(name: str, *args: str) -> tuple[str, str]:
    """Run a management command and return its (stdout, stderr)."""
    stdout, stderr = StringIO(), StringIO()
    call_command(name, *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def printed_password(output: str) -> str:
    """Return the password from seed_demo's 'shown only this once: PASSWORD' line."""
    marker = "shown only this once: "
    line = next(line for line in output.splitlines() if marker in line)
    return line.split(marker, 1)[1].strip()


def printed_token(output: str) -> str:
    line = next(line for line in output.splitlines() if line.startswith("Secret token: "))
    return line.removeprefix("Secret token: ").strip()


# seed_demo


@pytest.mark.django_db
def test_seed_demo_creates_workspace_admin_and_provider() -> None:
    run_command("seed_demo")

    workspace = Workspace.objects.get(slug="demo")
    assert workspace.name == "Demo"

    admin = get_user_model().objects.get(username="admin")
    assert admin.is_staff
    assert admin.is_superuser
    assert WorkspaceAdministrator.objects.get(user=admin).workspace == workspace

    provider = IdentityProvider.objects.get(workspace=workspace, slug="azure-ad")
    assert provider.kind == ProviderKind.AZURE_AD
    assert provider.display_name == "Azure AD"
    assert provider.scim_enabled
    assert provider.enabled
    assert provider.primary_domain == "demo.example.com"


@pytest.mark.django_db
def test_seed_demo_idempotent() -> None:
    run_command("seed_demo")
    run_command("seed_demo")

    assert Workspace.objects.filter(slug="demo").count() == 1
    assert get_user_model().objects.filter(username="admin").count() == 1
    assert WorkspaceAdministrator.objects.count() == 1
    assert IdentityProvider.objects.filter(slug="azure-ad").count() == 1
    assert ProviderDomain.objects.filter(name="demo.example.com").count() == 1


@pytest.mark.django_db
def test_seed_demo_prints_password_once() -> None:
    first_output, _ = run_command("seed_demo")
    password = printed_password(first_output)

    second_output, _ = run_command("seed_demo")

    assert len(password) >= 20
    assert get_user_model().objects.get(username="admin").check_password(password)
    assert password not in second_output
    assert "password is unchanged" in second_output
    assert "manage.py changepassword admin" in second_output


@pytest.mark.django_db
def test_seed_demo_keeps_existing_password() -> None:
    get_user_model().objects.create_superuser(username="admin", email="", password="chosen-by-the-operator")

    output, _ = run_command("seed_demo")

    assert "shown only this once" not in output
    assert get_user_model().objects.get(username="admin").check_password("chosen-by-the-operator")


@pytest.mark.django_db
def test_seed_demo_never_logs_password(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    output, _ = run_command("seed_demo")

    assert printed_password(output) not in caplog.text


def test_seed_demo_rejects_domain_of_other_workspace(other_provider: IdentityProvider) -> None:
    ProviderDomain.objects.create(provider=other_provider, name="demo.example.com")

    with pytest.raises(CommandError, match="demo.example.com"):
        run_command("seed_demo")

    assert not Workspace.objects.filter(slug="demo").exists()


# scim_token


def test_scim_token_prints_base_url_and_token(workspace: Workspace, provider: IdentityProvider) -> None:
    output, _ = run_command("scim_token", "azure-ad")

    assert scim_base_url(workspace) in output
    assert "shown only once" in output
    token = printed_token(output)
    assert authenticate_token(token).provider == provider


def test_scim_token_stores_hash_not_token(provider: IdentityProvider) -> None:
    output, _ = run_command("scim_token", "azure-ad")
    token = printed_token(output)

    stored = ScimToken.objects.get(provider=provider)
    assert stored.digest == hash_token(token)
    assert stored.digest != token
    assert token not in stored.prefix
    assert token.startswith(stored.prefix)


def test_scim_token_revokes_previous(provider: IdentityProvider) -> None:
    first_output, _ = run_command("scim_token", "azure-ad")
    first_token = printed_token(first_output)

    second_output, _ = run_command("scim_token", "azure-ad")
    second_token = printed_token(second_output)

    assert first_token != second_token
    assert authenticate_token(first_token) is None
    assert authenticate_token(second_token).provider == provider
    assert ScimToken.objects.filter(provider=provider, revoked_at__isnull=True).count() == 1
    assert "previous token of this provider is revoked" in second_output
    assert "previous token" not in first_output


def test_scim_token_json_shape(workspace: Workspace, provider: IdentityProvider) -> None:
    output, _ = run_command("scim_token", "azure-ad", "--json")

    document = json.loads(output)
    assert set(document) == {"base_url", "token"}
    assert document["base_url"] == scim_base_url(workspace)
    assert authenticate_token(document["token"]).provider == provider


def test_scim_token_ambiguous_workspace(provider: IdentityProvider, other_provider: IdentityProvider) -> None:
    with pytest.raises(CommandError) as raised:
        run_command("scim_token", "azure-ad")

    message = str(raised.value)
    assert "acme" in message
    assert "globex" in message
    assert "--workspace" in message
    assert not ScimToken.objects.exists()


def test_scim_token_workspace_option_selects_provider(
    provider: IdentityProvider, other_provider: IdentityProvider
) -> None:
    output, _ = run_command("scim_token", "azure-ad", "--workspace", "globex")

    assert authenticate_token(printed_token(output)).provider == other_provider
    assert not ScimToken.objects.filter(provider=provider).exists()


def test_scim_token_unknown_workspace(provider: IdentityProvider) -> None:
    with pytest.raises(CommandError, match="Workspace 'initech' not found.*acme"):
        run_command("scim_token", "azure-ad", "--workspace", "initech")


def test_scim_token_unknown_provider_in_workspace(provider: IdentityProvider) -> None:
    with pytest.raises(CommandError, match="no identity provider 'okta'.*azure-ad"):
        run_command("scim_token", "okta", "--workspace", "acme")


@pytest.mark.django_db
def test_scim_token_unknown_provider() -> None:
    with pytest.raises(CommandError, match="No identity provider 'azure-ad'.*seed_demo"):
        run_command("scim_token", "azure-ad")


def test_scim_token_warns_when_scim_off(provider: IdentityProvider) -> None:
    provider.scim_enabled = False
    provider.save()

    _, errors = run_command("scim_token", "azure-ad", "--json")

    assert "turned off" in errors


def test_scim_token_never_logged(provider: IdentityProvider, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    output, _ = run_command("scim_token", "azure-ad")

    assert printed_token(output) not in caplog.text
