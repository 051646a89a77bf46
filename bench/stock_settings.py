"""Django settings of the stock django-scim2 0.23 peer in the SCIM benchmark.

The peer is django-scim2 set up as its README describes (the app, its URLs
under the `scim` namespace, SCIM_SERVICE_PROVIDER with NETLOC and
AUTHENTICATION_SCHEMES), with its own views and `SCIMUser` adapter over a
`django.contrib.auth` user model with `AbstractSCIMUserMixin`. `bench/stock_runner.py` sets DATABASE_URL to a
throwaway database and BENCH_SCIM_TOKEN to the token it sends. The database
options match p81's settings.
"""

from __future__ import annotations

import os

import dj_database_url

SECRET_KEY = os.environ.get("BENCH_SECRET_KEY", "bench-stock-peer-not-a-secret")
DEBUG = False
ALLOWED_HOSTS = ["testserver"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django_scim",
    "bench.stock_app",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "bench.stock_app.middleware.BearerTokenMiddleware",
]

ROOT_URLCONF = "bench.stock_urls"
AUTH_USER_MODEL = "stock_app.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "sqlite:///:memory:"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}

BENCH_SCIM_TOKEN = os.environ.get("BENCH_SCIM_TOKEN", "")
BENCH_SCIM_SERVICE_USER = "scim-service"

SCIM_SERVICE_PROVIDER = {
    "NETLOC": "testserver",
    "SCHEME": "http",
    "AUTHENTICATION_SCHEMES": [
        {
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with a bearer token",
        },
    ],
    "WWW_AUTHENTICATE_HEADER": 'Bearer realm="django-scim2"',
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": "WARNING"},
}
