from django.apps import AppConfig


class SigninConfig(AppConfig):
    name = "signin"
    verbose_name = "End-user sign-in"

    def ready(self) -> None:
        from . import sessions  # noqa: F401 (connects the signal receivers)
