from django.apps import AppConfig


class SigninConfig(AppConfig):
    name = "signin"
    verbose_name = "End-user sign-in"

    def ready(self) -> None:
        from . import checks, sessions  # noqa: F401 (registers the system check, connects the signal receivers)
