from django.apps import AppConfig


class IdentityProvidersConfig(AppConfig):
    name = "identity_providers"
    verbose_name = "Identity providers"
