"""Issue a new SCIM bearer token for an identity provider and print it once."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from identity_providers.models import IdentityProvider
from scim.links import scim_base_url
from scim.models import ScimToken
from scim.tokens import generate_token
from workspaces.models import Workspace


class Command(BaseCommand):
    help = (
        "Generate a new SCIM bearer token for an identity provider, revoking its previous token, and print the "
        "workspace's SCIM base URL with the token. The token is shown only once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("provider_slug", help="Slug of the identity provider, for example azure-ad.")
        parser.add_argument(
            "--workspace",
            metavar="SLUG",
            help="Slug of the workspace that owns the provider. Required when several workspaces "
            "have a provider with this slug.",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help='Print only a JSON object {"base_url": ..., "token": ...} on stdout.',
        )

    def handle(self, *args: Any, **options: Any) -> None:
        provider = find_provider(options["provider_slug"], options["workspace"])

        # Build the URL before the old token is revoked, so that a failure
        # here leaves the provider with the token it had.
        base_url = scim_base_url(provider.workspace)
        had_active_token = ScimToken.objects.filter(provider=provider, revoked_at__isnull=True).exists()
        issued = generate_token(provider)

        if not provider.enabled or not provider.scim_enabled:
            self.stderr.write(
                self.style.WARNING(
                    f"Provider '{provider.slug}' of workspace '{provider.workspace.slug}' has SCIM or the provider "
                    "itself turned off; requests with this token are rejected until both are turned on."
                )
            )

        if options["json"]:
            self.stdout.write(json.dumps({"base_url": base_url, "token": issued.value}))
            return

        self.stdout.write(f"SCIM base URL (Tenant URL in Azure): {base_url}")
        self.stdout.write(f"Secret token: {issued.value}")
        self.stdout.write(self.style.WARNING("This token is shown only once. Store it in Azure now."))
        if had_active_token:
            self.stdout.write(
                self.style.WARNING(
                    "The previous token of this provider is revoked, so Azure must use the new one from now on."
                )
            )


def find_provider(provider_slug: str, workspace_slug: str | None) -> IdentityProvider:
    """Return the provider with `provider_slug`, in `workspace_slug` or in the only workspace that has one.

    Raises CommandError, naming what to pass, when the provider is missing
    or when several workspaces have a provider with that slug.
    """
    providers = IdentityProvider.objects.select_related("workspace").filter(slug=provider_slug)

    if workspace_slug is not None:
        if not Workspace.objects.filter(slug=workspace_slug).exists():
            raise CommandError(f"Workspace '{workspace_slug}' not found. Existing workspaces: {list_workspaces()}.")
        provider = providers.filter(workspace__slug=workspace_slug).first()
        if provider is None:
            raise CommandError(
                f"Workspace '{workspace_slug}' has no identity provider '{provider_slug}'. "
                f"Its providers: {list_providers(workspace_slug)}."
            )
        return provider

    matches = list(providers.order_by("workspace__slug"))
    if not matches:
        raise CommandError(
            f"No identity provider '{provider_slug}' in any workspace. Create one in the admin, "
            "or run 'manage.py seed_demo' for the demo provider 'azure-ad'."
        )
    if len(matches) > 1:
        slugs = ", ".join(provider.workspace.slug for provider in matches)
        raise CommandError(
            f"Identity provider '{provider_slug}' exists in several workspaces ({slugs}). "
            "Choose one with --workspace SLUG."
        )
    return matches[0]


def list_workspaces() -> str:
    slugs = list(Workspace.objects.order_by("slug").values_list("slug", flat=True))
    return ", ".join(slugs) or "none"


def list_providers(workspace_slug: str) -> str:
    slugs = list(
        IdentityProvider.objects.filter(workspace__slug=workspace_slug).order_by("slug").values_list("slug", flat=True)
    )
    return ", ".join(slugs) or "none"
