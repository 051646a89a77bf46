"""The p81 system checks (E001-E003) and the start-up check of the entry points."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from p81.celery import require_safe_settings_at_start
from p81.checks import check_encryption_key, check_secret_key, require_safe_settings

BASE_DIR = Path(__file__).resolve().parent.parent
STRONG_SECRET_KEY = secrets.token_urlsafe(50)
REAL_ENCRYPTION_KEY = Fernet.generate_key().decode("ascii")
SUBPROCESS_TIMEOUT_SECONDS = 120


def check_ids(messages: list) -> list[str]:
    return [message.id for message in messages]


# p81.E001: SECRET_KEY


@pytest.mark.parametrize(
    "secret_key",
    [settings.DEVELOPMENT_SECRET_KEY, "short-but-not-default"],
    ids=["development-default", "shorter-than-32"],
)
def test_e001_fires_without_debug(secret_key: str) -> None:
    with override_settings(DEBUG=False, SECRET_KEY=secret_key):
        assert check_ids(check_secret_key(None)) == ["p81.E001"]


def test_e001_quiet_with_strong_key() -> None:
    with override_settings(DEBUG=False, SECRET_KEY=STRONG_SECRET_KEY):
        assert check_secret_key(None) == []


def test_e001_quiet_with_debug() -> None:
    with override_settings(DEBUG=True, SECRET_KEY=settings.DEVELOPMENT_SECRET_KEY):
        assert check_secret_key(None) == []


# p81.E002: development or missing encryption key


@pytest.mark.parametrize(
    "keys",
    [[settings.DEVELOPMENT_ENCRYPTION_KEY], [], [REAL_ENCRYPTION_KEY, settings.DEVELOPMENT_ENCRYPTION_KEY]],
    ids=["development-default", "missing", "development-key-kept-for-decryption"],
)
def test_e002_fires_without_debug(keys: list[str]) -> None:
    with override_settings(DEBUG=False, P81_ENCRYPTION_KEYS=keys):
        assert check_ids(check_encryption_key(None)) == ["p81.E002"]


def test_e002_quiet_with_real_key() -> None:
    with override_settings(DEBUG=False, P81_ENCRYPTION_KEYS=[REAL_ENCRYPTION_KEY]):
        assert check_encryption_key(None) == []


def test_e002_quiet_with_debug() -> None:
    with override_settings(DEBUG=True, P81_ENCRYPTION_KEYS=[settings.DEVELOPMENT_ENCRYPTION_KEY]):
        assert check_encryption_key(None) == []


# p81.E003: malformed encryption key


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "production"])
def test_e003_fires_on_malformed_key(debug: bool) -> None:
    with override_settings(DEBUG=debug, P81_ENCRYPTION_KEYS=[REAL_ENCRYPTION_KEY, "not-a-fernet-key"]):
        assert check_ids(check_encryption_key(None)) == ["p81.E003"]


def test_e003_fires_on_non_ascii_key() -> None:
    with override_settings(DEBUG=True, P81_ENCRYPTION_KEYS=["schlüssel"]):
        assert check_ids(check_encryption_key(None)) == ["p81.E003"]


def test_e003_quiet_with_valid_keys() -> None:
    second_key = Fernet.generate_key().decode("ascii")
    with override_settings(DEBUG=True, P81_ENCRYPTION_KEYS=[REAL_ENCRYPTION_KEY, second_key]):
        assert check_encryption_key(None) == []


# require_safe_settings() and the Celery signal handler


def test_require_safe_lists_every_error_id() -> None:
    with override_settings(
        DEBUG=False,
        SECRET_KEY=settings.DEVELOPMENT_SECRET_KEY,
        P81_ENCRYPTION_KEYS=[settings.DEVELOPMENT_ENCRYPTION_KEY],
    ):
        with pytest.raises(ImproperlyConfigured) as raised:
            require_safe_settings()

    message = str(raised.value)
    assert "p81.E001" in message
    assert "p81.E002" in message


def test_require_safe_silent_when_safe() -> None:
    with override_settings(DEBUG=False, SECRET_KEY=STRONG_SECRET_KEY, P81_ENCRYPTION_KEYS=[REAL_ENCRYPTION_KEY]):
        require_safe_settings()


def test_require_safe_silent_in_development() -> None:
    with override_settings(DEBUG=True):
        require_safe_settings()


def test_celery_handler_exits_on_unsafe_settings(capsys: pytest.CaptureFixture[str]) -> None:
    with override_settings(DEBUG=False, SECRET_KEY=settings.DEVELOPMENT_SECRET_KEY):
        with pytest.raises(SystemExit) as raised:
            require_safe_settings_at_start(sender=None)

    assert raised.value.code == 1
    assert "p81.E001" in capsys.readouterr().err


def test_celery_handler_silent_on_safe_settings() -> None:
    with override_settings(DEBUG=False, SECRET_KEY=STRONG_SECRET_KEY, P81_ENCRYPTION_KEYS=[REAL_ENCRYPTION_KEY]):
        require_safe_settings_at_start(sender=None)


# The real entry points, each in a fresh process


def production_environment(**overrides: str) -> dict[str, str]:
    """Return the current environment with DEBUG off and no secrets, plus `overrides`."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in {"SECRET_KEY", "P81_ENCRYPTION_KEY", "DJANGO_SETTINGS_MODULE", "REDIS_URL"}
    }
    environment["DEBUG"] = "0"
    environment.update(overrides)
    return environment


def run_in_project(arguments: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        arguments,
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_SECONDS,
        check=False,
    )


@pytest.mark.parametrize("module", ["p81.wsgi", "p81.asgi"])
def test_entry_point_fails_without_secret_key(module: str) -> None:
    result = run_in_project([sys.executable, "-c", f"import {module}"], production_environment())

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "p81.E001" in result.stderr
    assert "p81.E002" in result.stderr


@pytest.mark.parametrize("module", ["p81.wsgi", "p81.asgi"])
def test_entry_point_starts_with_real_secrets(module: str) -> None:
    environment = production_environment(SECRET_KEY=STRONG_SECRET_KEY, P81_ENCRYPTION_KEY=REAL_ENCRYPTION_KEY)

    result = run_in_project([sys.executable, "-c", f"import {module}; print({module}.application)"], environment)

    assert result.returncode == 0, result.stderr
    assert "p81.E0" not in result.stderr


def test_entry_point_fails_on_malformed_key() -> None:
    environment = production_environment(DEBUG="1", P81_ENCRYPTION_KEY="not-a-fernet-key")

    result = run_in_project([sys.executable, "-c", "import p81.wsgi"], environment)

    assert result.returncode != 0
    assert "p81.E003" in result.stderr


def test_gunicorn_fails_without_secret_key() -> None:
    arguments = [sys.executable, "-m", "gunicorn", "p81.wsgi", "--bind", "127.0.0.1:0", "--workers", "1"]
    arguments.append("--no-control-socket")

    result = run_in_project(arguments, production_environment())

    assert result.returncode != 0
    assert "p81.E001" in result.stderr


@pytest.mark.parametrize(
    "command",
    [["worker", "--pool=solo", "--without-heartbeat", "--without-mingle", "--without-gossip"], ["beat"]],
    ids=["worker", "beat"],
)
def test_celery_fails_without_secret_key(command: list[str], tmp_path: Path) -> None:
    if command == ["beat"]:
        command = [*command, "--schedule", str(tmp_path / "celerybeat-schedule")]

    result = run_in_project([sys.executable, "-m", "celery", "-A", "p81", *command], production_environment())

    assert result.returncode != 0
    assert "p81.E001" in result.stderr
    assert "p81.E002" in result.stderr
