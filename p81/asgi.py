"""ASGI entry point.

Building the application raises ImproperlyConfigured on unsafe production
settings, as the WSGI entry point does.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "p81.settings")

application = get_asgi_application()

from p81.checks import require_safe_settings  # noqa: E402  (needs the app registry that the line above fills)

require_safe_settings()
