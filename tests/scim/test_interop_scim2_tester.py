"""Run the public scim2-tester compliance checker against a live p81 server.

The checker is scim2-tester 0.5.2, started through `scim2 test` of
scim2-cli 0.6.0. It reads the discovery endpoints, then creates, reads,
lists, searches, replaces, patches and deletes users. It prints one line
per check, starting with the check's status: SUCCESS, COMPLIANT,
ACCEPTABLE, DEVIATION, ERROR, CRITICAL or SKIPPED. The test fails on
every line that is not SUCCESS, as `scim2 test` does with its exit status.

The checker talks to p81 over HTTP on 127.0.0.1 only, through pytest-django's
live server, so the database must be transactional.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

SCIM2_CLI = Path(sys.executable).parent / "scim2"
TESTER_TIMEOUT_SECONDS = 300

CHECK_LINE = re.compile(r"^(SUCCESS|COMPLIANT|ACCEPTABLE|DEVIATION|ERROR|CRITICAL|SKIPPED) (\S+)$")

# Check names that the reference server (scim2-server 0.8.3, serving only
# the User resource type with the enterprise extension) passes. Every one
# must also run against p81, because a missing name means a whole area of
# the protocol went untested.
REFERENCE_USER_CHECKS = {
    "service_provider_config_endpoint",
    "service_provider_config_endpoint_methods",
    "query_all_resource_types",
    "query_resource_type_by_id",
    "resource_types_schema_validation",
    "access_invalid_resource_type",
    "resource_types_endpoint_methods",
    "query_all_schemas",
    "access_schema_by_id",
    "access_invalid_schema",
    "schemas_endpoint_methods",
    "random_url",
    "object_creation",
    "object_query",
    "object_query_without_id",
    "object_query_with_attributes",
    "object_list_with_attributes",
    "search_with_attributes",
    "object_replacement",
    "object_deletion",
    "check_add_attribute",
    "check_replace_attribute",
    "check_remove_attribute",
}

# The reference run above makes 115 checks, 81 of them PATCH checks (one
# per mutable attribute that the schemas announce) and 3 schema reads,
# one for the Group schema that p81 does not serve. A lower count means
# that p81 announces fewer attributes than RFC 7643 defines for User and
# the enterprise extension, or that the checker stopped early.
MIN_CHECK_COUNT = 114


@dataclass(frozen=True)
class CheckResult:
    status: str
    name: str
    reason: str


def parse_checks(output: str) -> list[CheckResult]:
    """Parse `scim2 test` output into one result per check line, with its indented reason lines."""
    results: list[CheckResult] = []
    status = name = None
    reason_lines: list[str] = []

    for line in output.splitlines():
        match = CHECK_LINE.match(line)
        if match:
            if name is not None:
                results.append(CheckResult(status, name, " ".join(reason_lines)))
            status, name = match.groups()
            reason_lines = []
        elif name is not None and line.startswith("  "):
            reason_lines.append(line.strip())

    if name is not None:
        results.append(CheckResult(status, name, " ".join(reason_lines)))
    return results


def loopback_environment(token: str) -> dict[str, str]:
    """Return the environment of the checker: the bearer token, and no proxy for loopback requests."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if name.lower() not in ("http_proxy", "https_proxy", "all_proxy")
    }
    environment["NO_PROXY"] = "127.0.0.1,localhost"
    environment["no_proxy"] = "127.0.0.1,localhost"
    # Passed in the environment, not in argv, so other users of the machine cannot read the token.
    environment["SCIM_CLI_HEADERS"] = f"Authorization: Bearer {token}"
    return environment


def run_tester(live_server, workspace, scim_token: str) -> subprocess.CompletedProcess:
    """Run `scim2 test` against the workspace's SCIM base URL on the live server."""
    if not SCIM2_CLI.exists():
        pytest.fail(f"scim2 CLI not found at {SCIM2_CLI}: install the dev dependencies (scim2-cli, scim2-tester).")

    base_url = f"http://127.0.0.1:{live_server.thread.port}/scim/v2/{workspace.slug}"

    return subprocess.run(  # noqa: S603 (fixed executable, arguments built here)
        [str(SCIM2_CLI), "--url", base_url, "test"],
        env=loopback_environment(scim_token),
        capture_output=True,
        text=True,
        timeout=TESTER_TIMEOUT_SECONDS,
        check=False,
    )


def test_parse_checks_reads_status_and_reason():
    output = (
        "Performing a SCIM compliance check on http://127.0.0.1:8000/scim/v2/acme ...\n"
        "SUCCESS service_provider_config_endpoint\n"
        "ERROR object_query\n"
        "  Unexpected status code 500\n"
        "SKIPPED check_add_attribute\n"
    )

    checks = parse_checks(output)

    assert checks == [
        CheckResult("SUCCESS", "service_provider_config_endpoint", ""),
        CheckResult("ERROR", "object_query", "Unexpected status code 500"),
        CheckResult("SKIPPED", "check_add_attribute", ""),
    ]


@pytest.mark.django_db(transaction=True)
def test_scim2_tester_reports_only_success(live_server, workspace, scim_token):
    run = run_tester(live_server, workspace, scim_token)

    checks = parse_checks(run.stdout)
    failures = [f"{check.status} {check.name}: {check.reason}" for check in checks if check.status != "SUCCESS"]
    missing = sorted(REFERENCE_USER_CHECKS - {check.name for check in checks})
    counts = Counter(check.status for check in checks)
    print(f"scim2-tester ran {len(checks)} checks: {dict(counts)}")

    assert checks, f"no check lines in the output:\n{run.stdout}\n{run.stderr}"
    assert failures == [], "checks that did not succeed:\n" + "\n".join(failures)
    assert missing == [], "check names of the reference run that did not run"
    assert len(checks) >= MIN_CHECK_COUNT
    assert run.returncode == 0, run.stderr
