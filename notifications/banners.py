"""The secret-expiry banners that the admin UI shows until a secret is replaced."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from identity_providers.models import IdentityProvider
from workspaces.models import Workspace

from .models import SecretExpiryReminder
from .reminders import secret_generation


@dataclass(frozen=True)
class SecretExpiryBanner:
    """A warning about one provider whose client secret expires soon or has expired."""

    provider_name: str
    provider_public_id: uuid.UUID
    expires_on: datetime.date
    days_left: int

    @property
    def expired(self) -> bool:
        return self.days_left < 0

    @property
    def message(self) -> str:
        """The banner text: which provider, when, and what happens then."""
        date = self.expires_on.isoformat()
        if self.days_left < 0:
            return (
                f"The client secret of {self.provider_name} expired on {date}. "
                "Nobody can sign in through it until you enter a new one."
            )
        if self.days_left == 0:
            return (
                f"The client secret of {self.provider_name} expires today ({date}). "
                "Sign-in through it stops working when it does."
            )
        days = "1 day" if self.days_left == 1 else f"{self.days_left} days"
        return (
            f"The client secret of {self.provider_name} expires in {days}, on {date}. "
            "Sign-in through it stops working then."
        )


def secret_expiry_banners(workspace: Workspace, today: datetime.date) -> list[SecretExpiryBanner]:
    """Return a banner for each enabled provider of `workspace` reminded about its current secret.

    A reminder of a replaced secret has another generation, so replacing
    the secret removes the banner. Only `workspace`'s providers are read.
    """
    reminded = (
        SecretExpiryReminder.objects.filter(
            provider__workspace=workspace,
            provider__enabled=True,
            provider__client_secret_expires_on__isnull=False,
        )
        .values_list("provider_id", "secret_generation")
        .distinct()
    )
    generations: dict[int, set[str]] = {}
    for provider_id, generation in reminded:
        generations.setdefault(provider_id, set()).add(generation)
    if not generations:
        return []

    banners = []
    for provider in IdentityProvider.objects.filter(workspace=workspace, pk__in=list(generations)):
        if secret_generation(provider) not in generations[provider.pk]:
            continue
        expires_on = provider.client_secret_expires_on
        assert expires_on is not None
        banners.append(
            SecretExpiryBanner(
                provider_name=provider.display_name,
                provider_public_id=provider.public_id,
                expires_on=expires_on,
                days_left=(expires_on - today).days,
            )
        )
    banners.sort(key=lambda banner: (banner.days_left, banner.provider_name))
    return banners
