"""ASGI entry point.

Building the application refuses unsafe production settings, as the WSGI
entry point does.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "p81.settings")

application = get_asgi_application()

from p81.checks import refuse_unsafe_settings  # noqa: E402  (needs the app registry that the line above fills)

refuse_unsafe_settings()
