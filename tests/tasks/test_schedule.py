"""The beat schedule names registered tasks and loads in `celery beat`. Email settings come from the environment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from celery.schedules import crontab
from django.conf import settings

from p81.celery import app

BASE_DIR = Path(__file__).resolve().parents[2]
# Beat only connects to the broker here; database 12 is the one the worker tests use.
BEAT_REDIS_URL = "redis://127.0.0.1:6379/12"


@pytest.mark.parametrize("entry", sorted(settings.CELERY_BEAT_SCHEDULE))
def test_schedule_entry_names_registered_task(entry: str) -> None:
    app.loader.import_default_modules()
    task_name = settings.CELERY_BEAT_SCHEDULE[entry]["task"]

    assert task_name in app.tasks


def test_schedule_runs_each_job_daily() -> None:
    schedules = {entry: value["schedule"] for entry, value in settings.CELERY_BEAT_SCHEDULE.items()}

    assert set(schedules) == {
        "provisioning-log-retention",
        "connection-health",
        "access-group-names",
        "secret-expiry-reminders",
    }
    for schedule in schedules.values():
        assert isinstance(schedule, crontab)
        assert len(schedule.hour) == 1
        assert len(schedule.minute) == 1
        assert len(schedule.day_of_month) == 31


def test_email_settings_from_environment() -> None:
    environment = {
        **os.environ,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.example.com",
        "EMAIL_PORT": "587",
        "EMAIL_HOST_USER": "p81",
        "EMAIL_HOST_PASSWORD": "mail-password",
        "EMAIL_USE_TLS": "1",
        "DEFAULT_FROM_EMAIL": "p81 <p81@example.com>",
        "P81_PROVISIONING_LOG_RETENTION_DAYS": "90",
    }
    script = (
        "from django.conf import settings as s; "
        "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_USE_TLS, "
        "s.EMAIL_USE_SSL, s.EMAIL_TIMEOUT, s.P81_PROVISIONING_LOG_RETENTION_DAYS, s.DEFAULT_FROM_EMAIL)"
    )

    output = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout

    assert output.split() == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.com",
        "587",
        "p81",
        "True",
        "False",
        "10",
        "90",
        "p81",
        "<p81@example.com>",
    ]


def test_email_backend_default_is_console() -> None:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("EMAIL_")}

    output = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "--no-imports",
            "-c",
            "from django.conf import settings; print(settings.EMAIL_BACKEND)",
        ],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout

    assert output.strip() == "django.core.mail.backends.console.EmailBackend"


def redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(BEAT_REDIS_URL, socket_timeout=1).ping())
    except redis.exceptions.ConnectionError:
        return False


@pytest.mark.skipif(not redis_available(), reason="needs Redis on 127.0.0.1:6379 (.ci/run starts it)")
def test_beat_loads_schedule(tmp_path: Path) -> None:
    """`celery -A p81 beat` starts on Redis and logs every entry of CELERY_BEAT_SCHEDULE."""
    environment = {**os.environ, "REDIS_URL": BEAT_REDIS_URL, "DEBUG": "1"}
    log_file = tmp_path / "beat.log"
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "p81",
        "beat",
        "--schedule",
        str(tmp_path / "celerybeat-schedule"),
        "--loglevel",
        "DEBUG",
    ]
    with log_file.open("wb") as log:
        process = subprocess.Popen(command, cwd=BASE_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "Current schedule" not in log_file.read_text(errors="replace"):
            assert process.poll() is None, f"beat exited with status {process.returncode}:\n{log_file.read_text()}"
            assert time.monotonic() < deadline, f"beat logged no schedule within 60s:\n{log_file.read_text()}"
            time.sleep(0.2)
        time.sleep(0.5)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    output = log_file.read_text(errors="replace")
    for entry, value in settings.CELERY_BEAT_SCHEDULE.items():
        assert f"<ScheduleEntry: {entry} {value['task']}()" in output
