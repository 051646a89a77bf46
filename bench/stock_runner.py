"""Serve the SCIM benchmark workload to stock django-scim2 0.23, as a peer process of bench/scim_bench.py.

The benchmark starts this script in a subprocess, because the peer needs
its own Django settings (`bench.stock_settings`) and user model. It seeds
the throwaway database named by `--database-url`, then runs the
benchmark's commands (see `bench.protocol`), sending each request through
`django.test.Client` as the benchmark does for p81.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.plans import explain_request  # noqa: E402
from bench.protocol import serve  # noqa: E402
from bench.workload import (  # noqa: E402
    ScimRequest,
    ShapeRunner,
    add_workload_arguments,
    build_shapes,
    parse_json,
    seed_users,
)

SEED_BATCH_SIZE = 5_000
AZURE_CONTENT_TYPE = "application/scim+json; charset=utf-8"


def log(message: str) -> None:
    print(f"[django-scim2] {message}", file=sys.stderr, flush=True)


def configure_django(database_url: str, token: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.stock_settings"
    os.environ["DATABASE_URL"] = database_url
    os.environ["BENCH_SCIM_TOKEN"] = token

    import django

    django.setup()


def seed(users: int, seed_value: int) -> None:
    """Insert the seed users and the service account with bulk_create.

    django-scim2 serves `scim_id` as the SCIM id, and its model's save()
    fills it with the primary key's text after the first insert. Here the
    same text is written directly.
    """
    from django.core.management.color import no_style
    from django.db import connection
    from django.utils import timezone

    from bench.stock_app.models import User

    now = timezone.now()
    batch: list[User] = []
    for seeded in seed_users(users, seed_value):
        key = seeded.index + 1
        batch.append(
            User(
                id=key,
                username=seeded.user_name,
                first_name=seeded.given_name,
                last_name=seeded.family_name,
                email=seeded.email,
                is_active=True,
                password="!",
                date_joined=now,
                scim_id=str(key),
                scim_external_id=seeded.external_id,
                scim_username=seeded.user_name,
            )
        )
        if len(batch) >= SEED_BATCH_SIZE:
            User.objects.bulk_create(batch)
            batch = []
    if batch:
        User.objects.bulk_create(batch)

    from django.conf import settings

    User.objects.create(id=users + 1, username=settings.BENCH_SCIM_SERVICE_USER, password="!")

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [User]):
            cursor.execute(statement)
        cursor.execute("ANALYZE")


def make_sender(token: str):
    from urllib.parse import urlencode

    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    def send(request: ScimRequest) -> tuple[int, Any]:
        url = f"/scim/v2/{request.path}"
        query = urlencode(request.query)
        if request.body is None:
            response = client.generic(request.method, url, QUERY_STRING=query)
        else:
            response = client.generic(
                request.method, url, data=json.dumps(request.body), content_type=AZURE_CONTENT_TYPE, QUERY_STRING=query
            )
        return response.status_code, parse_json(response.content)

    return send


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="throwaway database to seed (dj-database-url form)")
    add_workload_arguments(parser)
    args = parser.parse_args()

    token = secrets.token_urlsafe(32)
    configure_django(args.database_url, token)

    from importlib.metadata import version

    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    seed(args.users, args.seed)
    seed_seconds = time.perf_counter() - started
    log(f"migrated and seeded {args.users} users in {seed_seconds:.1f} s")

    shapes = build_shapes(args.users, args.requests, args.warmup, args.seed, lambda index: str(index + 1))
    send = make_sender(token)
    # The plan of the filter query that scim2-filter-parser writes for
    # userName eq; it comes first, while the user it names still exists.
    lookup = next(shape for shape in shapes if shape.name == "lookup_user_name")
    plans = {"lookup_user_name": explain_request(send, lookup.warmup[0], "stock_app_user", marker="UPPER(")}

    runner = ShapeRunner(shapes, send, capture_queries=lambda: CaptureQueriesContext(connection))
    serve(
        runner,
        {
            "server": "django-scim2",
            "version": version("django-scim2"),
            "seed_seconds": round(seed_seconds, 1),
            "plans": plans,
        },
    )


if __name__ == "__main__":
    main()
