"""p81 as a server under test: settings, seeding, the in-process client and query plans.

p81 runs in the benchmark's own process with its production settings
module (`p81.settings`), DEBUG off, and requests go through
`django.test.Client`, so no HTTP server or socket is timed. The test client
does not close or health-check the database connection between requests,
so every request reuses one open connection.
"""

from __future__ import annotations

import json
import os
import secrets
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .workload import ENTERPRISE_USER_SCHEMA, ScimRequest, Sender, parse_json, seed_user, seed_users

WORKSPACE_SLUG = "bench"
SEED_BATCH_SIZE = 5_000
AZURE_CONTENT_TYPE = "application/scim+json; charset=utf-8"


def configure_django(database_url: str) -> None:
    """Point p81's settings at the throwaway database and start Django.

    DEBUG is off, as in production, so the system checks require a real
    SECRET_KEY and P81_ENCRYPTION_KEY; both are drawn for this run.
    LOG_LEVEL=WARNING keeps p81's per-request INFO lines off the console.
    """
    from cryptography.fernet import Fernet

    os.environ["DJANGO_SETTINGS_MODULE"] = "p81.settings"
    os.environ["DATABASE_URL"] = database_url
    os.environ["DEBUG"] = "0"
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["P81_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    os.environ["LOG_LEVEL"] = "WARNING"
    # WhiteNoise warns when collectstatic has not run; SCIM serves no static files.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

    import django

    django.setup()


@dataclass
class P81Server:
    token: str
    seed: int

    @property
    def base_path(self) -> str:
        return f"/scim/v2/{WORKSPACE_SLUG}"

    def resource_id(self, index: int) -> str:
        return str(seed_user(index, self.seed).id)

    def sender(self) -> Sender:
        from django.test import Client

        client = Client(HTTP_AUTHORIZATION=f"Bearer {self.token}")

        def send(request: ScimRequest) -> tuple[int, Any]:
            url = f"{self.base_path}/{request.path}"
            if request.body is None:
                response = client.generic(request.method, url, QUERY_STRING=_query_string(request))
            else:
                response = client.generic(
                    request.method,
                    url,
                    data=json.dumps(request.body),
                    content_type=AZURE_CONTENT_TYPE,
                    QUERY_STRING=_query_string(request),
                )
            return response.status_code, parse_json(response.content)

        return send


def _query_string(request: ScimRequest) -> str:
    from urllib.parse import urlencode

    return urlencode(request.query)


def prepare(users: int, seed: int, progress: Callable[[str], None]) -> P81Server:
    """Create p81's tables, a workspace with an Azure provider and token, and `users` directory users."""
    from django.core.management import call_command

    from identity_providers.models import IdentityProvider, ProviderDomain, ProviderKind
    from scim.tokens import generate_token
    from workspaces.models import Workspace

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    progress(f"  migrated in {time.perf_counter() - started:.1f} s")

    workspace = Workspace.objects.create(name="Bench", slug=WORKSPACE_SLUG)
    provider = IdentityProvider.objects.create(
        workspace=workspace,
        kind=ProviderKind.AZURE_AD,
        slug="azure-ad",
        display_name="Azure AD",
        enabled=True,
        scim_enabled=True,
    )
    ProviderDomain.objects.create(provider=provider, name="contoso.example", is_primary=True)
    token = generate_token(provider).value

    started = time.perf_counter()
    seed_directory(workspace, provider, users, seed)
    progress(f"  seeded {users} users in {time.perf_counter() - started:.1f} s")

    analyze()
    return P81Server(token=token, seed=seed)


def canonical_document(attributes: dict[str, Any]) -> dict[str, Any]:
    """Return the document that p81 stores for these SCIM attributes, as `validate_resource` makes it."""
    from scim.resource import validate_resource
    from scim.schema import user_resource

    return validate_resource(user_resource(), attributes).document


def seed_directory(workspace, provider, users: int, seed: int) -> None:
    """Insert the seed users with bulk_create, in the form that `directory.services.create_user` writes.

    Only the first user goes through `validate_resource`; the others reuse
    the attribute layout, which is checked to be canonical. Columns are
    derived by the same helper that `create_user` uses.
    """
    from directory.models import DirectoryUser, DirectoryUserEmail
    from directory.services import _apply_document

    first = seed_user(0, seed).scim_attributes()
    if canonical_document(first) != first:
        raise RuntimeError(
            "The seed user layout is not p81's canonical document; update SeedUser.scim_attributes to match "
            f"validate_resource: {canonical_document(first)!r}"
        )

    batch_users: list[DirectoryUser] = []
    batch_emails: list[DirectoryUserEmail] = []
    for seeded in seed_users(users, seed):
        user = DirectoryUser(id=seeded.id, workspace=workspace, source=provider)
        _apply_document(user, seeded.scim_attributes())
        batch_users.append(user)
        batch_emails.append(
            DirectoryUserEmail(user=user, workspace=workspace, value=seeded.email, type="work", primary=True)
        )
        if len(batch_users) >= SEED_BATCH_SIZE:
            DirectoryUser.objects.bulk_create(batch_users)
            DirectoryUserEmail.objects.bulk_create(batch_emails)
            batch_users, batch_emails = [], []
    if batch_users:
        DirectoryUser.objects.bulk_create(batch_users)
        DirectoryUserEmail.objects.bulk_create(batch_emails)

    assert ENTERPRISE_USER_SCHEMA in DirectoryUser.objects.filter(workspace=workspace).first().document


def analyze() -> None:
    """Refresh the planner statistics, as autovacuum would have done on a directory this size."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
