"""Serve the SCIM benchmark workload to scim2-server's in-memory reference server, as a peer process.

`bench/scim_bench.py` starts this script in a subprocess and sends it
commands (see `bench.protocol`). The server is
scim2-server's WSGI application with the default RFC 7643 schemas, resource
types and service provider configuration, a static bearer token (as its
`scim2-server --bearer-token` command serves them) and an `InMemoryStorage`
holding the seed users. Requests are WSGI calls in this process: no HTTP
server and no socket is timed, as for p81 and django-scim2.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import secrets
import sys
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.protocol import serve  # noqa: E402
from bench.workload import (  # noqa: E402
    CORE_USER_SCHEMA,
    ENTERPRISE_USER_SCHEMA,
    ScimRequest,
    ShapeRunner,
    add_workload_arguments,
    build_shapes,
    parse_json,
    seed_user,
    seed_users,
)

AZURE_CONTENT_TYPE = "application/scim+json; charset=utf-8"


def log(message: str) -> None:
    print(f"[scim2-server] {message}", file=sys.stderr, flush=True)


def build_application(users: int, seed: int, token: str):
    """Return the WSGI application with `users` seed users in its storage."""
    from scim2_models import ScimProvider
    from scim2_server.memory import InMemoryStorage
    from scim2_server.service import ScimService
    from scim2_server.testserver.application import BEARER_TOKEN_SCHEME, BearerTokenApplication
    from scim2_server.utils import (
        load_default_resource_types,
        load_default_schemas,
        load_default_service_provider_config,
    )

    config = load_default_service_provider_config()
    config.authentication_schemes = [*(config.authentication_schemes or []), BEARER_TOKEN_SCHEME]
    provider = ScimProvider.from_discovery(
        load_default_schemas().values(), load_default_resource_types().values(), config=config
    )
    user_type = next(resource_type for resource_type in provider.resource_types if resource_type.id == "User")
    user_model = provider.model_for(user_type)

    now = datetime.datetime.now(datetime.UTC).isoformat()
    resources = []
    for seeded in seed_users(users, seed):
        document = {
            "schemas": [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
            "id": seeded.id.hex,
            **seeded.scim_attributes(),
            "meta": {"resourceType": "User", "created": now, "lastModified": now, "version": 'W/"1"'},
        }
        resources.append(user_model.model_validate(document))

    storage = InMemoryStorage()
    storage.resources = resources
    service = ScimService(provider, secret=secrets.token_urlsafe(32))
    return BearerTokenApplication(storage, provider, service, bearer_tokens=[token])


def make_sender(application, token: str):
    def send(request: ScimRequest) -> tuple[int, Any]:
        data = b"" if request.body is None else json.dumps(request.body).encode()
        environ: dict[str, Any] = {}
        setup_testing_defaults(environ)
        environ.update(
            REQUEST_METHOD=request.method,
            PATH_INFO=f"/v2/{request.path}",
            QUERY_STRING=urlencode(request.query),
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        environ["wsgi.input"] = io.BytesIO(data)
        if request.body is not None:
            environ["CONTENT_TYPE"] = AZURE_CONTENT_TYPE
            environ["CONTENT_LENGTH"] = str(len(data))

        status_line: list[str] = []

        def start_response(status: str, headers: list, exc_info: Any = None) -> None:
            status_line.append(status)

        content = b"".join(application(environ, start_response))
        return int(status_line[0].split()[0]), parse_json(content)

    return send


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_workload_arguments(parser)
    args = parser.parse_args()

    token = secrets.token_urlsafe(32)
    started = time.perf_counter()
    application = build_application(args.users, args.seed, token)
    seed_seconds = time.perf_counter() - started
    log(f"seeded {args.users} users in {seed_seconds:.1f} s")

    shapes = build_shapes(
        args.users, args.requests, args.warmup, args.seed, lambda index: seed_user(index, args.seed).id.hex
    )
    runner = ShapeRunner(shapes, make_sender(application, token))
    serve(
        runner, {"server": "scim2-server", "version": version("scim2-server"), "seed_seconds": round(seed_seconds, 1)}
    )


if __name__ == "__main__":
    main()
