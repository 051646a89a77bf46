"""WSGI entry point, used by gunicorn.

Building the application raises ImproperlyConfigured on unsafe production
settings (see `p81.checks`), so a gunicorn worker with a development SECRET_KEY or
encryption key fails to boot instead of serving.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "p81.settings")

application = get_wsgi_application()

from p81.checks import require_safe_settings  # noqa: E402  (needs the app registry that the line above fills)

require_safe_settings()
