"""The /healthz view and the container probe in p81.healthcheck."""

from __future__ import annotations

import socket
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client

from p81.healthcheck import main as run_probe
from p81.healthcheck import probe_host


@pytest.mark.django_db
def test_healthz_ok() -> None:
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_database_down(caplog: pytest.LogCaptureFixture) -> None:
    with mock.patch("p81.views.connection.cursor", side_effect=OperationalError("connection refused")):
        response = Client().get("/healthz")

    assert response.status_code == 503
    assert b"connection refused" not in response.content
    assert "database unreachable" in caplog.text


@pytest.mark.django_db
def test_healthz_rejects_post() -> None:
    assert Client().post("/healthz").status_code == 405


@pytest.mark.parametrize(
    ("allowed_hosts", "expected"),
    [
        ("p81.example.com", "p81.example.com"),
        ("*,p81.example.com", "p81.example.com"),
        (".example.com", "example.com"),
        (" p81.example.com , other.example.com", "p81.example.com"),
        ("*", "localhost"),
        ("", "localhost"),
    ],
)
def test_probe_host(allowed_hosts: str, expected: str) -> None:
    assert probe_host(allowed_hosts) == expected


@pytest.mark.django_db(transaction=True)
def test_probe_succeeds_against_server(live_server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLOWED_HOSTS", "localhost")

    assert run_probe(["healthcheck", f"{live_server.url}/healthz"]) == 0


@pytest.mark.django_db(transaction=True)
def test_probe_fails_on_disallowed_host(live_server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLOWED_HOSTS", "p81.invalid")

    assert run_probe(["healthcheck", f"{live_server.url}/healthz"]) == 1


def test_probe_fails_when_nothing_listens(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]

    assert run_probe(["healthcheck", f"http://127.0.0.1:{port}/healthz"]) == 1
    assert "health check failed" in capsys.readouterr().err


def test_probe_rejects_file_url() -> None:
    assert run_probe(["healthcheck", "file:///etc/passwd"]) == 1
