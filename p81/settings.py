"""Django settings for p81, read from the environment.

Every value has a development default so that `make run` works on a fresh
machine with SQLite and Celery in eager mode. With DEBUG off, the system
checks in `p81.checks` stop the process unless SECRET_KEY and
P81_ENCRYPTION_KEY hold real values.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    """Return the boolean value of environment variable `name`."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    """Return the comma-separated environment variable `name` as a list."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# Development defaults. `p81.checks` rejects both when DEBUG is off.
DEVELOPMENT_SECRET_KEY = "p81-development-secret-key-not-for-production"
DEVELOPMENT_ENCRYPTION_KEY = "cDgxLWRldmVsb3BtZW50LWtleS1ub3QtZm9yLXByb2Q="

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY") or DEVELOPMENT_SECRET_KEY

# Comma-separated Fernet keys. The first encrypts; every key decrypts, so a
# key can be rotated by putting the new one first.
P81_ENCRYPTION_KEYS = env_list("P81_ENCRYPTION_KEY", [DEVELOPMENT_ENCRYPTION_KEY])

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# The scheme and host that SCIM URLs and sign-in redirect URLs are built
# from when they are shown to administrators (Azure needs absolute URLs).
P81_PUBLIC_URL = os.environ.get("P81_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "p81.apps.P81Config",
    "workspaces",
    "identity_providers",
    "directory",
    "scim",
    "audit",
    "notifications",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "console",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # WhiteNoise serves STATIC_ROOT under gunicorn. It must come right after
    # SecurityMiddleware and before everything else.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "p81.urls"
WSGI_APPLICATION = "p81.wsgi.application"
ASGI_APPLICATION = "p81.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.secret_expiry",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Azure sends provisioning requests in parallel. Writers take the lock
    # when their transaction begins and wait up to 20 s for it, and WAL lets
    # readers go on meanwhile, so parallel writes queue instead of failing
    # with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DEFAULT_EXCEPTION_REPORTER_FILTER = "p81.reporting.SecretMaskingExceptionReporterFilter"

# Administrators sign in at /accounts/login/ with their username or email
# address; /login/ is the end users' Azure AD sign-in.
AUTHENTICATION_BACKENDS = ["console.backends.UsernameOrEmailBackend"]
LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:provider-list"
LOGOUT_REDIRECT_URL = "console:login"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.IsWorkspaceAdministrator"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "api.errors.problem_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "p81 API",
    "DESCRIPTION": "Identity providers, SCIM provisioning, access groups, directory users and the audit log "
    "of one workspace. Authenticate with an API token: `Authorization: Bearer p81api_...`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the drf-spectacular-sidecar package, served locally instead of from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_problem_responses",
    ],
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Project-wide static files. Git keeps no empty folder, so a fresh clone
# may lack it, and a missing entry would make every command warn.
STATICFILES_DIRS = [path for path in [BASE_DIR / "static"] if path.is_dir()]
STATIC_ROOT = BASE_DIR / "staticfiles"

# With DEBUG off, static files get content-hashed names and compressed
# copies at collectstatic time, so WhiteNoise can send far-future cache
# headers. The manifest storage fails on any file that collectstatic has not
# seen, so DEBUG (make run, tests) keeps the plain storage.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}

# Production cookie and transport flags. They follow DEBUG so that the
# development server on plain http keeps working.
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
X_FRAME_OPTIONS = "DENY"

# Celery. Without REDIS_URL, tasks run in the calling process so that a
# single `make run` process needs no broker.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Daily jobs, in UTC. The tasks are in identity_providers/tasks.py and scim/tasks.py.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "provisioning-log-retention": {
        "task": "scim.tasks.delete_old_provisioning_log_entries",
        "schedule": crontab(hour=3, minute=15),
    },
    "connection-health": {
        "task": "identity_providers.tasks.check_all_connections",
        "schedule": crontab(hour=5, minute=0),
    },
    "access-group-names": {
        "task": "identity_providers.tasks.refresh_all_access_group_names",
        "schedule": crontab(hour=5, minute=30),
    },
    "secret-expiry-reminders": {
        "task": "identity_providers.tasks.check_all_secret_expiry",
        "schedule": crontab(hour=6, minute=0),
    },
}
# Provisioning log entries older than this many days are deleted daily. 0 keeps them all.
P81_PROVISIONING_LOG_RETENTION_DAYS = int(os.environ.get("P81_PROVISIONING_LOG_RETENTION_DAYS", "30"))

# Email, for secret-expiry reminders. The console backend writes emails to
# stderr, so development needs no mail server.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
# Seconds the SMTP backend waits for the mail server.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
# Folder of the file-based backend (django.core.mail.backends.filebased.EmailBackend).
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "sent-emails"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "p81 <noreply@localhost>")

# SCIM service limits, announced in ServiceProviderConfig.
SCIM_MAX_RESULTS = int(os.environ.get("SCIM_MAX_RESULTS", "200"))
SCIM_DEFAULT_PAGE_SIZE = int(os.environ.get("SCIM_DEFAULT_PAGE_SIZE", "100"))
SCIM_MAX_BODY_BYTES = int(os.environ.get("SCIM_MAX_BODY_BYTES", str(1024 * 1024)))
SCIM_MAX_PATCH_OPERATIONS = int(os.environ.get("SCIM_MAX_PATCH_OPERATIONS", "1000"))
DATA_UPLOAD_MAX_MEMORY_SIZE = max(SCIM_MAX_BODY_BYTES * 2, 2_621_440)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}

# End-user sign-in with Azure AD over OpenID Connect (the signin app, built
# on social-auth-app-django). Every provider's settings come from its
# IdentityProvider row; only the flow-wide settings are here.
INSTALLED_APPS += ["social_django", "signin"]
AUTHENTICATION_BACKENDS = [
    # Keeps whatever backends are set above (Django's default otherwise).
    *globals().get("AUTHENTICATION_BACKENDS", ["django.contrib.auth.backends.ModelBackend"]),
    "signin.backend.AzureADSignInBackend",
]
SOCIAL_AUTH_URL_NAMESPACE = "social"
SOCIAL_AUTH_LOGIN_REDIRECT_URL = "signin:signed-in"
SOCIAL_AUTH_LOGIN_ERROR_URL = "signin:login"
# Seconds social-auth waits for each request to Azure AD (discovery, JWKS, token).
SOCIAL_AUTH_REQUESTS_TIMEOUT = 10
SOCIAL_AUTH_PIPELINE = (
    "social_core.pipeline.social_auth.social_details",
    "social_core.pipeline.social_auth.social_uid",
    "signin.pipeline.require_enabled_provider",
    "signin.pipeline.find_directory_user",
    "signin.pipeline.check_access_groups",
    "signin.pipeline.create_directory_user",
    "signin.pipeline.link_account",
    "social_core.pipeline.social_auth.social_user",
    "social_core.pipeline.social_auth.associate_user",
)
