from django.apps import AppConfig


class P81Config(AppConfig):
    name = "p81"
    verbose_name = "p81 project"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
