"""Validation of identity provider settings, shared by `identity_providers.services`.

Every function normalises what an administrator typed (case, braces around
GUIDs, a leading @ on domains) and raises Django's ValidationError with a
message that names the value and explains how to fix it.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from workspaces.models import Workspace

from .models import IdentityProvider, ProviderDomain

GUID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# One DNS label: letters, digits and inner hyphens, 1 to 63 characters.
DOMAIN_LABEL_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
TOP_LEVEL_LABEL_PATTERN = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
MAX_DOMAIN_LENGTH = 253
MAX_ALIASES = 50
MAX_ALLOWED_TENANTS = 50
MAX_ACCESS_GROUPS = 200
MAX_SECRET_LENGTH = 1024
MAX_DISPLAY_NAME_LENGTH = 200
MAX_GROUP_NAME_LENGTH = 256


def normalize_domain(value: str) -> str:
    """Return `value` stripped and lower-cased, or raise ValidationError when it is no domain name."""
    name = value.strip().lower().rstrip(".")
    if name.startswith("@"):
        name = name[1:]
    if not name:
        raise ValidationError("Enter a domain name, such as contoso.com.")
    if "@" in name or "/" in name or ":" in name:
        raise ValidationError(
            f"'{value.strip()}' is not a domain name. Enter only the part after @, such as contoso.com."
        )
    if len(name) > MAX_DOMAIN_LENGTH:
        raise ValidationError(f"'{name[:40]}…' is longer than {MAX_DOMAIN_LENGTH} characters.")

    labels = name.split(".")
    if len(labels) < 2 or not all(DOMAIN_LABEL_PATTERN.match(label) for label in labels):
        raise ValidationError(
            f"'{name}' is not a valid domain name. Use letters, digits, hyphens and dots, such as contoso.com."
        )
    if not TOP_LEVEL_LABEL_PATTERN.match(labels[-1]):
        raise ValidationError(f"'{name}' does not end in a valid top-level domain such as .com or .org.")
    return name


def normalize_guid(value: str, *, what: str) -> str:
    """Return `value` as a lower-case GUID, or raise ValidationError naming `what` it should be."""
    guid = value.strip().lower().strip("{}")
    if not GUID_PATTERN.match(guid):
        raise ValidationError(
            f"'{value.strip()[:64]}' is not a valid {what}. It is a GUID of 32 hexadecimal digits in the form "
            "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx."
        )
    return guid


def _clean_display_name(value: Any) -> str:
    name = str(value or "").strip()
    if not name:
        raise ValidationError("Enter a name for this provider, such as 'Azure AD'.")
    if len(name) > MAX_DISPLAY_NAME_LENGTH:
        raise ValidationError(f"The name is longer than {MAX_DISPLAY_NAME_LENGTH} characters.")
    return name


def _clean_aliases(values: Iterable[str], primary: str | None) -> list[str]:
    """Return the aliases normalised, without duplicates, in the order given."""
    messages: list[str] = []
    aliases: list[str] = []
    for value in values:
        if not str(value).strip():
            continue
        try:
            name = normalize_domain(str(value))
        except ValidationError as error:
            messages.extend(error.messages)
            continue
        if name == primary:
            messages.append(f"'{name}' is already the Azure AD domain of this provider; list it only once.")
        elif name not in aliases:
            aliases.append(name)

    if len(aliases) > MAX_ALIASES:
        messages.append(
            f"A provider can have at most {MAX_ALIASES} domain aliases; remove {len(aliases) - MAX_ALIASES}."
        )
    if messages:
        raise ValidationError(messages)
    return aliases


def _clean_tenant_ids(values: Iterable[str]) -> list[str]:
    messages: list[str] = []
    tenant_ids: list[str] = []
    for value in values:
        if not str(value).strip():
            continue
        try:
            tenant_id = normalize_guid(str(value), what="tenant ID")
        except ValidationError as error:
            messages.extend(error.messages)
            continue
        if tenant_id not in tenant_ids:
            tenant_ids.append(tenant_id)

    if len(tenant_ids) > MAX_ALLOWED_TENANTS:
        messages.append(f"At most {MAX_ALLOWED_TENANTS} tenant IDs can be allowed.")
    if messages:
        raise ValidationError(messages)
    return tenant_ids


@sensitive_variables("value", "secret")
def _clean_secret(value: Any) -> str:
    secret = str(value or "").strip()
    if len(secret) > MAX_SECRET_LENGTH:
        raise ValidationError(f"The client secret is longer than {MAX_SECRET_LENGTH} characters; paste only the Value.")
    if any(character.isspace() for character in secret):
        raise ValidationError("The client secret contains spaces or line breaks; paste only the Value, in one piece.")
    return secret


def _clean_expiry(value: Any) -> datetime.date | None:
    if value in (None, ""):
        return None
    if not isinstance(value, datetime.date):
        raise ValidationError("Enter the expiry date as YYYY-MM-DD.")
    return value


def _check_domains_free(
    workspace: Workspace, provider: IdentityProvider | None, names: Sequence[str]
) -> dict[str, str]:
    """Return {domain name: message} for every name that another provider already owns.

    A domain routes sign-in for the whole installation, so it is checked
    against every workspace. The message names the owning provider only when
    it is in the same workspace, so nothing about another workspace leaks.
    """
    taken = ProviderDomain.objects.filter(name__in=list(names)).select_related("provider")
    if provider is not None:
        taken = taken.exclude(provider=provider)

    messages: dict[str, str] = {}
    for domain in taken:
        if domain.provider.workspace_id == workspace.pk:
            messages[domain.name] = (
                f"'{domain.name}' already belongs to the provider '{domain.provider.display_name}'. "
                "Remove it there first."
            )
        else:
            messages[domain.name] = (
                f"'{domain.name}' is already registered by another organisation. A domain can route sign-in "
                "to one provider only; contact support if your organisation owns it."
            )
    return messages


@sensitive_variables("values", "cleaned")
def validate_provider_values(
    workspace: Workspace,
    provider: IdentityProvider | None,
    values: Mapping[str, Any],
) -> dict[str, Any]:
    """Return the cleaned `values`, or raise ValidationError with every field's messages.

    `provider` is None for a new provider; then the fields that a provider
    cannot work without are required.
    """
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}

    @sensitive_variables("values", "cleaned")
    def clean(name: str, cleaner, *args: Any) -> None:
        if name not in values:
            return
        try:
            cleaned[name] = cleaner(values[name], *args)
        except ValidationError as error:
            errors.setdefault(name, []).extend(error.messages)

    clean("display_name", _clean_display_name)
    clean("domain", normalize_domain)
    primary = cleaned.get("domain", provider.primary_domain if provider else None)
    if "aliases" in values:
        try:
            cleaned["aliases"] = _clean_aliases(values["aliases"] or [], primary)
        except ValidationError as error:
            errors.setdefault("aliases", []).extend(error.messages)
    elif "domain" in cleaned and provider is not None and cleaned["domain"] in provider.aliases:
        # The old alias becomes the primary domain; drop it from the aliases.
        cleaned["aliases"] = [alias for alias in provider.aliases if alias != cleaned["domain"]]

    clean("client_id", lambda value: normalize_guid(str(value or ""), what="client ID"))
    clean("tenant_id", lambda value: normalize_guid(str(value or ""), what="tenant ID"))
    clean("client_secret", _clean_secret)
    clean("client_secret_expires_on", _clean_expiry)
    clean("allowed_tenant_ids", lambda value: _clean_tenant_ids(value or []))
    for flag in ("multi_tenant", "enabled"):
        if flag in values:
            if not isinstance(values[flag], bool):
                errors.setdefault(flag, []).append("Enter true or false.")
            else:
                cleaned[flag] = values[flag]

    if provider is None:
        for name, message in (
            ("display_name", "Enter a name for this provider."),
            ("domain", "Enter the Azure AD domain, such as contoso.onmicrosoft.com."),
            ("tenant_id", "Enter the Directory (tenant) ID of the app registration."),
            ("client_id", "Enter the Application (client) ID of the app registration."),
            ("client_secret", "Enter the client secret Value from Certificates & secrets."),
        ):
            if not cleaned.get(name) and name not in errors:
                errors.setdefault(name, []).append(message)

    expires_on = cleaned.get("client_secret_expires_on")
    if cleaned.get("client_secret") and expires_on is not None and expires_on < timezone.localdate():
        errors.setdefault("client_secret_expires_on", []).append(
            f"{expires_on.isoformat()} is in the past, so this secret has already expired. Create a new secret "
            "in Azure and enter its Expires date."
        )

    multi_tenant = cleaned.get("multi_tenant", provider.multi_tenant if provider else False)
    tenant_ids = cleaned.get("allowed_tenant_ids", list(provider.allowed_tenant_ids) if provider else [])
    if multi_tenant and not tenant_ids and "allowed_tenant_ids" not in errors:
        errors.setdefault("allowed_tenant_ids", []).append(
            "Enter at least one tenant ID to allow users from other organisations, or turn the option off."
        )
    if not multi_tenant and "allowed_tenant_ids" in cleaned:
        cleaned["allowed_tenant_ids"] = []

    if not errors and ("domain" in cleaned or "aliases" in cleaned):
        primary = cleaned.get("domain", primary or "")
        aliases = cleaned.get("aliases", provider.aliases if provider else [])
        taken = _check_domains_free(workspace, provider, [primary, *aliases])
        for name, message in taken.items():
            errors.setdefault("domain" if name == primary else "aliases", []).append(message)

    if errors:
        raise ValidationError(errors)
    return cleaned
