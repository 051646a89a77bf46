"""docker-compose.yml: the production stack provides what p81/settings.py reads."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

BASE_DIR = Path(__file__).resolve().parent.parent
P81_SERVICES = ["web", "worker", "beat"]
# Settings that have a development default which is wrong or unsafe in
# production, so the stack must set each of them.
PRODUCTION_SETTINGS = [
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "P81_ENCRYPTION_KEY",
    "ALLOWED_HOSTS",
    "DEBUG",
    "P81_PUBLIC_URL",
]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose: dict) -> dict:
    return compose["services"]


def settings_environment_names() -> set[str]:
    """Return the names of the environment variables that p81/settings.py reads."""
    source = (BASE_DIR / "p81" / "settings.py").read_text()
    pattern = r'(?:os\.environ\.get|os\.environ\[|env_bool|env_list)\(?\s*"([A-Z0-9_]+)"'
    return set(re.findall(pattern, source))


def one_shot_services(services: dict) -> set[str]:
    """Return the services that others wait for with service_completed_successfully."""
    names = set()
    for service in services.values():
        for name, condition in (service.get("depends_on") or {}).items():
            if condition.get("condition") == "service_completed_successfully":
                names.add(name)
    return names


def command_text(service: dict) -> str:
    command = service["command"]
    return command if isinstance(command, str) else " ".join(command)


def test_settings_parser_finds_known_names() -> None:
    names = settings_environment_names()

    assert set(PRODUCTION_SETTINGS) <= names


@pytest.mark.parametrize("name", ["web", "worker", "beat", "migrate", "postgres", "redis"])
def test_service_present(services: dict, name: str) -> None:
    assert name in services


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("web", "gunicorn p81.wsgi"),
        ("worker", "celery -A p81 worker"),
        ("beat", "celery -A p81 beat"),
        ("migrate", "manage.py migrate --noinput"),
    ],
)
def test_service_command(services: dict, name: str, expected: str) -> None:
    assert expected in command_text(services[name])


def test_database_and_broker_images(services: dict) -> None:
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")


def test_long_running_services_have_healthchecks(services: dict) -> None:
    one_shot = one_shot_services(services)
    assert one_shot == {"migrate"}

    for name, service in services.items():
        if name in one_shot:
            continue
        healthcheck = service.get("healthcheck")
        assert healthcheck, f"service {name} has no healthcheck"
        assert not healthcheck.get("disable"), f"service {name} disables its healthcheck"
        assert healthcheck.get("test"), f"service {name} has a healthcheck without a test"


def test_one_shot_migrate_does_not_restart(services: dict) -> None:
    assert services["migrate"]["restart"] == "no"


@pytest.mark.parametrize("name", P81_SERVICES + ["migrate"])
def test_p81_service_gets_production_settings(services: dict, name: str) -> None:
    environment = services[name]["environment"]

    missing = [setting for setting in PRODUCTION_SETTINGS if setting not in environment]
    assert missing == []
    assert str(environment["DEBUG"]) == "0"


@pytest.mark.parametrize("name", P81_SERVICES + ["migrate"])
def test_p81_service_environment_names_exist_in_settings(services: dict, name: str) -> None:
    unknown = set(services[name]["environment"]) - settings_environment_names()

    assert unknown == set()


@pytest.mark.parametrize("name", ["SECRET_KEY", "P81_ENCRYPTION_KEY", "POSTGRES_PASSWORD", "ALLOWED_HOSTS"])
def test_secrets_have_no_default(compose: dict, name: str) -> None:
    text = (BASE_DIR / "docker-compose.yml").read_text()

    assert f"${{{name}:?" in text
    assert f"${{{name}:-" not in text


def without_interpolation(value: str) -> str:
    """Replace each ${...} of compose with a plain word, so that its '?' and spaces do not break URL parsing."""
    return re.sub(r"\$\{[^}]*\}", "interpolated", value)


def test_urls_point_at_stack_services(services: dict) -> None:
    environment = services["web"]["environment"]

    database = urlsplit(without_interpolation(environment["DATABASE_URL"]))
    broker = urlsplit(without_interpolation(environment["REDIS_URL"]))

    assert database.scheme == "postgres"
    assert database.hostname == "postgres"
    assert database.path == "/" + services["postgres"]["environment"]["POSTGRES_DB"]
    assert database.username == services["postgres"]["environment"]["POSTGRES_USER"]
    assert broker.scheme == "redis"
    assert broker.hostname == "redis"


@pytest.mark.parametrize("name", P81_SERVICES)
def test_p81_service_waits_for_dependencies(services: dict, name: str) -> None:
    depends_on = services[name]["depends_on"]

    assert depends_on["postgres"]["condition"] == "service_healthy"
    assert depends_on["redis"]["condition"] == "service_healthy"
    assert depends_on["migrate"]["condition"] == "service_completed_successfully"


def test_migrate_waits_for_postgres(services: dict) -> None:
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_named_volumes_declared(compose: dict, services: dict) -> None:
    declared = set(compose.get("volumes") or {})
    used = set()
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume["source"]
            if not source.startswith((".", "/")):
                used.add(source)

    assert used <= declared
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert "redis-data:/data" in services["redis"]["volumes"]


def test_beat_answers_health_probe(services: dict) -> None:
    assert "--enable-remote-control" in services["beat"]["command"]
    assert "celerybeat@" in " ".join(services["beat"]["healthcheck"]["test"])


def test_dockerfile_build_steps() -> None:
    dockerfile = (BASE_DIR / "Dockerfile").read_text()

    assert re.search(r"^USER (?!root)\S+", dockerfile, re.MULTILINE)
    assert "-c constraints.txt" in dockerfile
    assert "collectstatic" in dockerfile
