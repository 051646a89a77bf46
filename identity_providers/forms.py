"""Forms of the admin web UI for identity providers.

The forms only parse what the browser sent (text into lists, dates,
booleans). The rules themselves live in `identity_providers.services`,
which raises ValidationError keyed by these field names, so the views put
each message next to its field with `form.add_error(None, error)`.

The client secret is write-only: its field is a password input that never
renders a value, and no form takes the stored secret as initial data.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from .models import IdentityProvider
from .services import provider_scim_groups, provider_snapshot

LIST_SEPARATOR = re.compile(r"[\s,;]+")


def split_list(value: str) -> list[str]:
    """Split text typed one item per line (or separated by commas or spaces) into its items."""
    return [item for item in LIST_SEPARATOR.split(value or "") if item]


class AzureProviderForm(forms.Form):
    """Settings of a Microsoft Azure AD provider, with help on where each value is in the Azure portal."""

    display_name = forms.CharField(
        label="Name",
        max_length=200,
        help_text="Shown to administrators only, for example 'Azure AD' or 'Contoso Entra ID'.",
    )
    domain = forms.CharField(
        label="Azure AD domain",
        max_length=253,
        help_text="Azure portal > Microsoft Entra ID > Overview > Primary domain, such as contoso.onmicrosoft.com. "
        "Users whose email address ends in this domain sign in through this provider.",
    )
    aliases = forms.CharField(
        label="Domain aliases",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "contoso.com\ncontoso.co.uk"}),
        help_text="Other email domains of the same users, one per line, such as contoso.com. "
        "Each domain can belong to one provider only.",
    )
    client_id = forms.CharField(
        label="Client ID",
        max_length=64,
        widget=forms.TextInput(attrs={"placeholder": "00000000-0000-0000-0000-000000000000", "autocomplete": "off"}),
        help_text="Azure portal > App registrations > your app > Overview > Application (client) ID.",
    )
    tenant_id = forms.CharField(
        label="Tenant ID",
        max_length=64,
        widget=forms.TextInput(attrs={"placeholder": "00000000-0000-0000-0000-000000000000", "autocomplete": "off"}),
        help_text="App registrations > your app > Overview > Directory (tenant) ID. Sign-in accepts accounts of "
        "this tenant (and of the allowed tenants below).",
    )
    client_secret = forms.CharField(
        label="Client secret",
        max_length=1024,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="App registrations > your app > Certificates & secrets > New client secret: copy the Value "
        "(not the Secret ID) right after creating it. p81 stores it encrypted and never shows it again.",
    )
    client_secret_expires_on = forms.DateField(
        label="Secret expires on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="The Expires date shown next to the secret in Certificates & secrets. "
        "p81 warns on the provider list before it passes.",
    )
    multi_tenant = forms.BooleanField(
        label="Allow users from external organizations",
        required=False,
        help_text="Turn on when users of other Azure AD tenants (partners, subsidiaries) sign in through this "
        "app. The app registration must then support accounts in any organizational directory.",
    )
    allowed_tenant_ids = forms.CharField(
        label="Allowed tenant IDs",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Directory (tenant) IDs of the external organizations, one per line. Required when the option "
        "above is on; users of any other tenant are refused.",
    )
    enabled = forms.BooleanField(
        label="Enabled",
        required=False,
        initial=True,
        help_text="When off, nobody signs in through this provider and SCIM requests are refused.",
    )

    def __init__(self, *args: Any, provider: IdentityProvider | None = None, **kwargs: Any) -> None:
        self.provider = provider
        if provider is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(provider)
        super().__init__(*args, **kwargs)

        if provider is not None:
            secret = self.fields["client_secret"]
            secret.required = False
            secret.label = "Replace client secret"
            secret.help_text = (
                "Leave empty to keep the stored secret. To rotate it, create a new secret in Azure "
                "(Certificates & secrets), paste its Value here and update the expiry date."
            )

    @staticmethod
    def initial_from(provider: IdentityProvider) -> dict[str, Any]:
        """Return the form's initial data: every setting except the client secret."""
        snapshot = provider_snapshot(provider)
        return {
            "display_name": snapshot["display_name"],
            "domain": snapshot["domain"],
            "aliases": "\n".join(snapshot["aliases"]),
            "client_id": snapshot["client_id"],
            "tenant_id": snapshot["tenant_id"],
            "client_secret_expires_on": provider.client_secret_expires_on,
            "multi_tenant": snapshot["multi_tenant"],
            "allowed_tenant_ids": "\n".join(snapshot["allowed_tenant_ids"]),
            "enabled": snapshot["enabled"],
        }

    def service_values(self) -> dict[str, Any]:
        """Return the cleaned data as keyword arguments of the service functions.

        On an existing provider, an empty secret field is left out, so the
        stored secret is kept.
        """
        data = self.cleaned_data
        values: dict[str, Any] = {
            "display_name": data["display_name"],
            "domain": data["domain"],
            "aliases": split_list(data["aliases"]),
            "client_id": data["client_id"],
            "tenant_id": data["tenant_id"],
            "client_secret_expires_on": data["client_secret_expires_on"],
            "multi_tenant": data["multi_tenant"],
            "allowed_tenant_ids": split_list(data["allowed_tenant_ids"]),
            "enabled": data["enabled"],
        }
        if data.get("client_secret") or self.provider is None:
            values["client_secret"] = data.get("client_secret", "")
        return values

    def add_service_errors(self, error: ValidationError) -> None:
        """Attach the messages of a service ValidationError to their fields (unknown keys to the form)."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, messages in error.message_dict.items():
            self.add_error(name if name in self.fields else None, messages)


class AccessGroupsForm(forms.Form):
    """The Azure AD groups whose members may sign in.

    Groups that Azure provisioned over SCIM are offered as checkboxes
    (`scim_groups`, keyed by their object ID). Any other group is typed into
    `groups`, one per line. The saved access groups are the union of both.
    """

    scim_groups = forms.MultipleChoiceField(
        label="Groups provisioned by Azure",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Groups that Azure sent over SCIM. Tick those whose members may sign in.",
    )
    groups = forms.CharField(
        label="Other access groups",
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 5, "placeholder": "1b2c3d4e-0000-4000-8000-000000000001 Sales\n"},
        ),
        help_text="One group per line: its Object ID, then optionally its name. Find both in the Azure portal > "
        "Microsoft Entra ID > Groups > the group > Overview. With no group at all, every user of the directory "
        "can sign in.",
    )

    def __init__(self, *args: Any, provider: IdentityProvider, **kwargs: Any) -> None:
        self.provider = provider
        self.scim_group_names = {
            group.external_id.lower(): group.display_name for group in provider_scim_groups(provider)
        }
        if "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(provider)
        super().__init__(*args, **kwargs)

        field = self.fields["scim_groups"]
        field.choices = [
            (object_id, name)
            for object_id, name in sorted(self.scim_group_names.items(), key=lambda item: item[1].lower())
        ]
        if not field.choices:
            del self.fields["scim_groups"]
            self.fields["groups"].label = "Access groups"

    def initial_from(self, provider: IdentityProvider) -> dict[str, Any]:
        picked, lines = [], []
        for group in provider.access_groups.all():
            if group.object_id in self.scim_group_names:
                picked.append(group.object_id)
            else:
                lines.append(f"{group.object_id} {group.display_name}".strip())
        return {"scim_groups": picked, "groups": "\n".join(lines)}

    def group_pairs(self) -> list[tuple[str, str]]:
        """Return (object ID, display name) pairs: the ticked SCIM groups, then one per non-empty line."""
        pairs = [
            (object_id, self.scim_group_names[object_id]) for object_id in self.cleaned_data.get("scim_groups", [])
        ]
        for line in self.cleaned_data["groups"].splitlines():
            line = line.strip()
            if not line:
                continue
            object_id, _, name = line.replace("\t", " ").partition(" ")
            pairs.append((object_id.strip().rstrip(",;"), name.strip().lstrip(",;").strip()))
        return pairs

    def add_service_errors(self, error: ValidationError) -> None:
        messages = error.message_dict.get("groups", error.messages) if hasattr(error, "error_dict") else error.messages
        self.add_error("groups", messages)


class DeleteProviderForm(forms.Form):
    """Confirmation of a provider's deletion, with the choice of what happens to its users."""

    KEEP = "keep"
    REMOVE = "remove"

    users = forms.ChoiceField(
        label="Users provisioned by this provider",
        choices=[
            (KEEP, "Keep them in the workspace directory"),
            (REMOVE, "Remove them from the workspace directory"),
        ],
        initial=KEEP,
        widget=forms.RadioSelect,
    )

    @property
    def remove_users(self) -> bool:
        return self.cleaned_data["users"] == self.REMOVE
