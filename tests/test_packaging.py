"""constraints.txt agrees with the direct dependencies pinned in pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent


def normalise(name: str) -> str:
    """Return the PEP 503 normalised form of a distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_pin(requirement: str) -> tuple[str, str]:
    """Split 'Name[extra]==1.2' into ('name', '1.2'). Fail the test on anything but an exact pin."""
    match = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*==\s*([^\s;]+)\s*", requirement)
    assert match, f"{requirement!r} is not pinned with =="
    return normalise(match.group(1)), match.group(2)


def direct_requirements() -> list[str]:
    project = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["project"]
    return project["dependencies"] + project["optional-dependencies"]["dev"]


def locked_versions() -> dict[str, str]:
    lines = (BASE_DIR / "constraints.txt").read_text().splitlines()
    return dict(parse_pin(line) for line in lines if line.strip() and not line.startswith("#"))


@pytest.mark.parametrize("requirement", direct_requirements())
def test_direct_dependency_locked_at_same_version(requirement: str) -> None:
    name, version = parse_pin(requirement)

    assert locked_versions().get(name) == version


def test_lock_excludes_project_itself() -> None:
    assert "p81" not in locked_versions()
