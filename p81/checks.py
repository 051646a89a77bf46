"""System checks that stop a production process started with unsafe settings.

Check ids are stable so that operators can search for them:

- p81.E001: DEBUG is off and SECRET_KEY is missing or the development default.
- p81.E002: DEBUG is off and P81_ENCRYPTION_KEY is missing or the development default.
- p81.E003: P81_ENCRYPTION_KEY holds a value that is not a Fernet key.

`manage.py` commands run these checks, but gunicorn and celery do not run
Django's system checks at all. The WSGI and ASGI modules and the Celery
signal handlers in `p81.celery` therefore call
`require_safe_settings()`, which raises when any of them reports an error.
"""

from __future__ import annotations

import logging

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import CheckMessage, Error, register, run_checks
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

# Tag of the checks in this module, so that `require_safe_settings()` can
# run them without the slower model and URL checks.
P81_CHECK_TAG = "p81"


def require_safe_settings() -> None:
    """Raise ImproperlyConfigured when any check tagged `p81` reports an error.

    Call it after `django.setup()`, because the checks are registered when
    the p81 app is ready. E001 and E002 only fire with DEBUG off. E003 (a
    malformed key) fires whatever DEBUG is, because no secret can be stored
    or read with such a key.
    """
    messages: list[CheckMessage] = run_checks(tags=[P81_CHECK_TAG])
    errors = [message for message in messages if message.is_serious()]
    if not errors:
        return

    ids = ", ".join(sorted({error.id or "" for error in errors}))
    logger.critical("start-up stopped: unsafe settings %s", ids)
    details = "\n".join(str(error) for error in errors)
    raise ImproperlyConfigured(f"Unsafe settings ({ids}). Fix them in the environment and start again:\n{details}")


@register(P81_CHECK_TAG)
def check_secret_key(app_configs, **kwargs) -> list[Error]:
    """Reject the development SECRET_KEY when DEBUG is off."""
    if settings.DEBUG:
        return []

    if settings.SECRET_KEY in ("", settings.DEVELOPMENT_SECRET_KEY) or len(settings.SECRET_KEY) < 32:
        return [
            Error(
                "SECRET_KEY is missing or is the development default while DEBUG is off.",
                hint="Set SECRET_KEY in the environment to a random string of at least 50 characters, "
                "for example the output of: python -c 'import secrets; print(secrets.token_urlsafe(50))'.",
                id="p81.E001",
            )
        ]
    return []


@register(P81_CHECK_TAG)
def check_encryption_key(app_configs, **kwargs) -> list[Error]:
    """Reject missing, malformed or development encryption keys."""
    errors: list[Error] = []
    keys = list(settings.P81_ENCRYPTION_KEYS)

    for key in keys:
        try:
            Fernet(key.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            errors.append(
                Error(
                    "P81_ENCRYPTION_KEY contains a value that is not a valid Fernet key.",
                    hint="Each comma-separated key must be 32 url-safe base64-encoded bytes, for example the "
                    "output of: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'.",
                    id="p81.E003",
                )
            )

    if not settings.DEBUG and (not keys or settings.DEVELOPMENT_ENCRYPTION_KEY in keys):
        errors.append(
            Error(
                "P81_ENCRYPTION_KEY is missing or is the development default while DEBUG is off.",
                hint="Set P81_ENCRYPTION_KEY to a key made with Fernet.generate_key(); keep it out of the database backups.",
                id="p81.E002",
            )
        )
    return errors
