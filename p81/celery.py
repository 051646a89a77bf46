"""The Celery application, configured from Django settings (`CELERY_*`).

Workers and beat exit at start-up on unsafe production settings, as the
WSGI entry point does (see `p81.checks`).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from celery import Celery
from celery.signals import beat_init, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "p81.settings")

app = Celery("p81")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@beat_init.connect
def require_safe_settings_at_start(**kwargs: Any) -> None:
    """Stop a worker or beat process whose settings fail the p81 checks.

    Celery catches every Exception that a signal handler raises, logs it and
    carries on, so the error is raised as SystemExit, which Celery does not
    catch. The check messages are logged by `require_safe_settings()` and
    repeated on stderr here.
    """
    import django
    from django.apps import apps
    from django.core.exceptions import ImproperlyConfigured

    if not apps.ready:
        django.setup()

    from p81.checks import require_safe_settings

    try:
        require_safe_settings()
    except ImproperlyConfigured as error:
        print(error, file=sys.stderr)
        raise SystemExit(1) from error
