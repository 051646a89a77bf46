"""Generated requests from the OpenAPI schema: no 500, and every response matches the schema.

Schemathesis reads /api/schema/ from the WSGI application, generates
requests for every operation (valid and invalid bodies, query parameters
and IDs), sends them in-process as an administrator with an API token, and
checks the responses. Requests for a provider ID go half of the time to a
real provider of the workspace, so that the success paths are exercised too.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks

from api.tokens import create_api_token
from identity_providers.services import Actor
from p81.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)

# The checks that the API promises: no server error, and status codes,
# media types, headers and bodies that the schema documents.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
# Generated examples per operation. The schema has about 20 operations.
MAX_EXAMPLES = 20


@pytest.fixture
def keep_test_connection() -> Iterator[None]:
    """Stop Django from closing the database connection after each in-process request.

    Django's test client does the same. Without it, the first request would
    close the connection that contains the test's open transaction (PostgreSQL).
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_headers(admin_user, workspace) -> dict[str, str]:
    issued = create_api_token(workspace, Actor(user=admin_user, source="api"), "schemathesis")
    return {"Authorization": f"Bearer {issued.value}"}


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_matches_schema(case, keep_test_connection, api_headers: dict[str, str], provider) -> None:
    if "id" in (case.path_parameters or {}) and case.path.startswith("/api/v1/identity-providers/"):
        if case.method != "DELETE" and hash(str(case.path_parameters["id"])) % 2 == 0:
            case.path_parameters["id"] = str(provider.public_id)

    case.call_and_validate(headers=api_headers, checks=CHECKS)
