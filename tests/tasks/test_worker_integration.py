"""A real Celery worker subprocess on Redis runs p81's tasks, and their effects land in the database.

The worker consumes a queue with a unique name on Redis database 12 of
127.0.0.1:6379, so it never takes another test run's tasks. It uses the
test database on PostgreSQL (rows are committed, because the tests use
`transactional_db`). On SQLite the test database lives in memory, which a
second process cannot open, so the worker and the test share a migrated
file database instead, reached here through an extra connection alias.
"""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import dj_database_url
import pytest
import redis
from celery import Celery
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.db.utils import load_backend
from django.utils import timezone

from identity_providers.models import ConnectionStatus, IdentityProvider, ProviderKind
from notifications.models import SecretExpiryReminder
from scim.models import ProvisioningLogEntry
from tests.azure_standin.server import AzureStandIn
from workspaces.models import Workspace, WorkspaceAdministrator

from .conftest import CLIENT_SECRET

BASE_DIR = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/12"
# Seconds to wait for one task, including the worker's start-up.
TASK_TIMEOUT_SECONDS = 90
WORKER_ALIAS = "worker"


def redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.exceptions.ConnectionError:
        return False


pytestmark = [
    pytest.mark.skipif(not redis_available(), reason="needs Redis on 127.0.0.1:6379 (.ci/run starts it)"),
    pytest.mark.django_db(transaction=True),
]


@dataclass
class WorkerDatabase:
    """The database that the worker uses: its connection alias in this process and its DATABASE_URL."""

    alias: str
    url: str


@pytest.fixture
def worker_database(transactional_db: None, tmp_path: Path) -> Iterator[WorkerDatabase]:
    if connection.vendor == "postgresql":
        settings = connection.settings_dict
        password = f":{quote(settings['PASSWORD'], safe='')}" if settings.get("PASSWORD") else ""
        url = (
            f"postgres://{quote(settings['USER'], safe='')}{password}@{settings['HOST'] or '127.0.0.1'}:"
            f"{settings['PORT'] or 5432}/{settings['NAME']}"
        )
        yield WorkerDatabase(alias="default", url=url)
        return

    url = f"sqlite:///{tmp_path / 'worker.sqlite3'}"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
        cwd=BASE_DIR,
        env={**os.environ, "DATABASE_URL": url},
        check=True,
        timeout=300,
    )
    # A connection object that is not in settings.DATABASES: Django's test case
    # lets such dynamically created connections through its database checks.
    settings_dict = connections.configure_settings(
        {"default": connections.settings["default"], WORKER_ALIAS: dj_database_url.parse(url)}
    )[WORKER_ALIAS]
    worker_connection = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, WORKER_ALIAS)
    connections[WORKER_ALIAS] = worker_connection
    try:
        yield WorkerDatabase(alias=WORKER_ALIAS, url=url)
    finally:
        worker_connection.close()
        del connections[WORKER_ALIAS]


@dataclass
class Worker:
    """A running worker subprocess, and a Celery client that sends tasks to its queue."""

    process: subprocess.Popen
    queue: str
    client: Celery
    log_file: Path
    email_dir: Path

    def run(self, task_name: str, *args: Any) -> Any:
        """Send a task through Redis, wait for its result, and return it."""
        result = self.client.send_task(task_name, args=args, queue=self.queue)
        deadline = time.monotonic() + TASK_TIMEOUT_SECONDS
        while not result.ready():
            if self.process.poll() is not None:
                pytest.fail(f"the worker exited with status {self.process.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                pytest.fail(f"{task_name} did not finish within {TASK_TIMEOUT_SECONDS}s:\n{self.log()}")
            time.sleep(0.1)
        value = result.get(timeout=5, propagate=False)
        state = result.state
        result.forget()
        assert state == "SUCCESS", f"{task_name} ended in state {state}: {value!r}\n{self.log()}"
        return value

    def log(self) -> str:
        return self.log_file.read_text(errors="replace")[-6000:]

    def sent_emails(self) -> list[str]:
        """Return each email that the file-based backend wrote, as text."""
        messages: list[str] = []
        for path in sorted(self.email_dir.glob("*.log")):
            # The file-based backend ends every message with a line of 79 dashes.
            messages.extend(part for part in path.read_text().split("-" * 79 + "\n") if part.strip())
        return messages


@pytest.fixture
def worker(worker_database: WorkerDatabase, tmp_path: Path, azure_standin: AzureStandIn) -> Iterator[Worker]:
    """Start `celery -A p81 worker` on its own queue; stop it with SIGTERM at the end."""
    queue = f"p81-test-{uuid.uuid4().hex}"
    email_dir = tmp_path / "emails"
    email_dir.mkdir()
    log_file = tmp_path / "worker.log"
    environment = {
        **os.environ,
        "DATABASE_URL": worker_database.url,
        "DATABASE_CONN_MAX_AGE": "0",
        "REDIS_URL": REDIS_URL,
        "DEBUG": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(email_dir),
        "P81_PUBLIC_URL": "https://p81.example.com",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "p81",
        "worker",
        "--pool",
        "solo",
        "--queues",
        queue,
        "--hostname",
        f"{queue}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel",
        "INFO",
    ]
    client = Celery("p81-test-client", broker=REDIS_URL, backend=REDIS_URL)
    with log_file.open("wb") as log:
        process = subprocess.Popen(command, cwd=BASE_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield Worker(process=process, queue=queue, client=client, log_file=log_file, email_dir=email_dir)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        client.close()
        with redis.Redis.from_url(REDIS_URL) as server:
            server.delete(queue, f"_kombu.binding.{queue}")


def create_workspace_with_provider(alias: str, standin: AzureStandIn) -> IdentityProvider:
    """Create workspace `acme`, two administrators, and a provider registered in the stand-in."""
    workspace = Workspace.objects.using(alias).create(name="Acme", slug="acme")
    users = get_user_model().objects.db_manager(alias)
    for name in ("alice", "carol"):
        user = users.create_user(username=name, email=f"{name}@acme.example.com")
        WorkspaceAdministrator.objects.using(alias).create(user=user, workspace=workspace)

    tenant_id = standin.add_tenant()
    app = standin.add_app(tenant_id, secret=CLIENT_SECRET)
    provider = IdentityProvider(
        workspace=workspace,
        kind=ProviderKind.AZURE_AD,
        slug="azure-ad",
        display_name="Azure AD",
        tenant_id=tenant_id,
        client_id=app.client_id,
        authority_host=standin.url,
        graph_url=standin.url,
    )
    provider.set_client_secret(CLIENT_SECRET, timezone.now().date() + datetime.timedelta(days=200))
    provider.save(using=alias)
    return provider


def test_worker_sends_one_reminder_at_14_days(
    worker: Worker, worker_database: WorkerDatabase, azure_standin: AzureStandIn
) -> None:
    alias = worker_database.alias
    provider = create_workspace_with_provider(alias, azure_standin)
    real_end = datetime.datetime.combine(
        timezone.now().date() + datetime.timedelta(days=14), datetime.time(23, 0), tzinfo=datetime.UTC
    )
    azure_standin.apps[provider.client_id].secrets[0].expires_at = real_end

    first = worker.run("identity_providers.tasks.check_secret_expiry", provider.pk)
    second = worker.run("identity_providers.tasks.check_secret_expiry", provider.pk)

    assert first["graph"] == "corrected"
    assert first["threshold_days"] == 14
    assert first["emails_sent"] == 2
    assert second["emails_sent"] == 0
    stored = IdentityProvider.objects.using(alias).get(pk=provider.pk)
    assert stored.client_secret_expires_on == real_end.date()
    reminder = SecretExpiryReminder.objects.using(alias).get(provider_id=provider.pk)
    assert reminder.threshold_days == 14
    assert reminder.sent_at is not None
    emails = worker.sent_emails()
    assert len(emails) == 2
    assert sum("To: alice@acme.example.com" in email for email in emails) == 1
    assert sum("To: carol@acme.example.com" in email for email in emails) == 1
    assert all("Subject: p81: the client secret of Azure AD expires in 14 days" in email for email in emails)
    assert all(CLIENT_SECRET not in email for email in emails)


def test_worker_runs_health_and_retention(
    worker: Worker, worker_database: WorkerDatabase, azure_standin: AzureStandIn
) -> None:
    alias = worker_database.alias
    provider = create_workspace_with_provider(alias, azure_standin)
    entries = ProvisioningLogEntry.objects.using(alias)
    for _ in range(3):
        entries.create(
            workspace_id=provider.workspace_id,
            provider=provider,
            method="GET",
            path="/Users",
            operation="user.list",
            status=200,
        )
    old = list(entries.values_list("pk", flat=True)[:2])
    entries.filter(pk__in=old).update(created_at=timezone.now() - datetime.timedelta(days=31))

    health = worker.run("identity_providers.tasks.check_provider_connection", provider.pk)
    deleted = worker.run("scim.tasks.delete_old_provisioning_log_entries")

    assert health == {"provider": provider.pk, "outcome": "ok"}
    stored = IdentityProvider.objects.using(alias).get(pk=provider.pk)
    assert stored.connection_status == ConnectionStatus.OK
    assert stored.connection_checked_at is not None
    assert deleted == 2
    assert entries.count() == 1
    assert not entries.filter(pk__in=old).exists()
    assert len(azure_standin.requests_to("/oauth2/v2.0/token")) == 1
