from django.apps import AppConfig
from django.db.backends.signals import connection_created


class P81Config(AppConfig):
    name = "p81"
    verbose_name = "p81 project"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
        from .sqlite import register_unicode_lower

        connection_created.connect(register_unicode_lower, dispatch_uid="p81.sqlite.unicode_lower")
