"""Create the demo workspace, its administrator and an Azure AD provider.

Safe to run again: existing rows are kept as they are, and the admin
password is only set (and printed) when the user is created.
"""

from __future__ import annotations

import logging
import secrets
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse

from identity_providers.models import IdentityProvider, ProviderDomain, ProviderKind
from scim.links import scim_base_url
from workspaces.models import Workspace, WorkspaceAdministrator

logger = logging.getLogger(__name__)

DEMO_WORKSPACE_SLUG = "demo"
DEMO_WORKSPACE_NAME = "Demo"
DEMO_ADMIN_USERNAME = "admin"
DEMO_PROVIDER_SLUG = "azure-ad"
DEMO_PROVIDER_NAME = "Azure AD"
DEMO_PRIMARY_DOMAIN = "demo.example.com"


class Command(BaseCommand):
    help = (
        f"Create workspace '{DEMO_WORKSPACE_SLUG}', superuser '{DEMO_ADMIN_USERNAME}' and identity provider "
        f"'{DEMO_PROVIDER_SLUG}' unless they exist. Prints the admin password once, when the user is created."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            workspace = self.ensure_workspace()
            password = self.ensure_admin(workspace)
            self.ensure_provider(workspace)

        if password is not None:
            self.stdout.write(
                self.style.WARNING(
                    f"Password of '{DEMO_ADMIN_USERNAME}', shown only this once: {password}\n"
                    f"Reset it at any time with: {python_command()} manage.py changepassword {DEMO_ADMIN_USERNAME}"
                )
            )
        self.write_summary(workspace)

    def ensure_workspace(self) -> Workspace:
        workspace, created = Workspace.objects.get_or_create(
            slug=DEMO_WORKSPACE_SLUG, defaults={"name": DEMO_WORKSPACE_NAME}
        )
        self.report("Workspace", DEMO_WORKSPACE_SLUG, created)
        return workspace

    def ensure_admin(self, workspace: Workspace) -> str | None:
        """Create the superuser and link it to `workspace`. Return its password if it was created, else None."""
        user_model = get_user_model()
        password: str | None = None

        user = user_model.objects.filter(username=DEMO_ADMIN_USERNAME).first()
        if user is None:
            password = secrets.token_urlsafe(18)
            user = user_model.objects.create_superuser(username=DEMO_ADMIN_USERNAME, email="", password=password)
            logger.info("demo administrator created user=%s", user.pk)
            self.report("User", DEMO_ADMIN_USERNAME, created=True)
        else:
            self.stdout.write(
                f"User '{DEMO_ADMIN_USERNAME}' exists; its password is unchanged. "
                f"Reset it with: {python_command()} manage.py changepassword {DEMO_ADMIN_USERNAME}"
            )

        membership, _ = WorkspaceAdministrator.objects.get_or_create(user=user, defaults={"workspace": workspace})
        if membership.workspace_id != workspace.pk:
            self.stderr.write(
                self.style.WARNING(
                    f"User '{DEMO_ADMIN_USERNAME}' administers workspace '{membership.workspace.slug}', "
                    f"not '{DEMO_WORKSPACE_SLUG}'; left as it is."
                )
            )
        return password

    def ensure_provider(self, workspace: Workspace) -> IdentityProvider:
        provider, created = IdentityProvider.objects.get_or_create(
            workspace=workspace,
            slug=DEMO_PROVIDER_SLUG,
            defaults={
                "kind": ProviderKind.AZURE_AD,
                "display_name": DEMO_PROVIDER_NAME,
                "scim_enabled": True,
                "enabled": True,
            },
        )
        self.report("Identity provider", DEMO_PROVIDER_SLUG, created)

        # A domain routes sign-in installation-wide, so it may already belong
        # to a provider of another workspace.
        domain = ProviderDomain.objects.filter(name__iexact=DEMO_PRIMARY_DOMAIN).select_related("provider").first()
        if domain is None:
            ProviderDomain.objects.create(provider=provider, name=DEMO_PRIMARY_DOMAIN, is_primary=True)
        elif domain.provider_id != provider.pk:
            raise CommandError(
                f"Domain '{DEMO_PRIMARY_DOMAIN}' already belongs to provider '{domain.provider.slug}' of another "
                f"workspace (id {domain.provider.workspace_id}). Remove that domain in the admin, then run "
                "seed_demo again."
            )
        return provider

    def report(self, kind: str, name: str, created: bool) -> None:
        if created:
            self.stdout.write(self.style.SUCCESS(f"{kind} '{name}' created."))
        else:
            self.stdout.write(f"{kind} '{name}' exists; left unchanged.")

    def write_summary(self, workspace: Workspace) -> None:
        admin_url = settings.P81_PUBLIC_URL + reverse("console:login")
        base_url = scim_base_url(workspace)

        self.stdout.write(
            "\n"
            f"Admin:         {admin_url}  (user '{DEMO_ADMIN_USERNAME}')\n"
            f"SCIM base URL: {base_url}\n"
            f"SCIM token:    {python_command()} manage.py scim_token {DEMO_PROVIDER_SLUG} "
            f"--workspace {DEMO_WORKSPACE_SLUG}\n"
        )


def python_command() -> str:
    """Return the interpreter running this command as a user would type it from the project directory.

    Inside the project (the `.venv` of `make run`) that is the relative path,
    such as `.venv/bin/python`; elsewhere, as in the container image, it is `python`.
    """
    interpreter = Path(sys.executable)
    try:
        return str(interpreter.relative_to(settings.BASE_DIR))
    except ValueError:
        return "python"
