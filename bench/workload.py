"""The SCIM benchmark workload that every server under test runs: seed users, requests and timing.

Every server is seeded with the same users and sent the same requests, in
the same order, built from one random seed. A server only maps a user's
index to its own resource id (`ResourceIdOf`) and sends a `ScimRequest`
through its own client (`Sender`).

Requests come in shapes, one per kind of request that Azure's provisioning
service sends. A `ShapeRunner` sends a shape's untimed warm-up requests
(counting the SQL of the last one), times slices of its timed requests,
and sends its follow-up request. `bench/scim_bench.py` decides which
server runs which slice, and when a shape has used its time budget.
"""

from __future__ import annotations

import json
import math
import os
import random
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import Any

CORE_USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_USER_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

EMAIL_DOMAIN = "contoso.example"
# Page size of the unfiltered list request.
PAGE_SIZE = 100
DEEP_PAGE_START_INDEX = 50_001
MIN_TIMED_SAMPLES = 5

GIVEN_NAMES = [
    "Adele",
    "Alex",
    "Allan",
    "Ana",
    "Ben",
    "Bianca",
    "Chen",
    "Christie",
    "Debra",
    "Diego",
    "Elif",
    "Emily",
    "Enrico",
    "Fatima",
    "Grady",
    "Hana",
    "Henrietta",
    "Irvin",
    "Isaiah",
    "Joni",
    "Kenji",
    "Lee",
    "Lidia",
    "Lynne",
    "Megan",
    "Miriam",
    "Nestor",
    "Noor",
    "Olga",
    "Patti",
    "Pradeep",
    "Raul",
    "Sakura",
    "Siobhan",
    "Tomasz",
    "Ursula",
    "Vikram",
    "Wanjiru",
    "Yusuf",
    "Zoe",
]
FAMILY_NAMES = [
    "Adams",
    "Bowen",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fernandes",
    "Garcia",
    "Haddad",
    "Ito",
    "Johnson",
    "Kowalski",
    "Larsen",
    "Moreno",
    "Nakamura",
    "Okafor",
    "Patel",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Umar",
    "Vance",
    "Wilber",
    "Xu",
    "Yamamoto",
    "Zhang",
    "Brown",
    "Nguyen",
    "Silva",
    "Kumar",
]
TITLES = ["Engineer", "Senior Engineer", "Product Manager", "Designer", "Accountant", "Sales Lead", "Analyst"]
DEPARTMENTS = ["Engineering", "Finance", "Sales", "Marketing", "Operations", "Legal", "Support"]


@dataclass(frozen=True)
class SeedUser:
    """One directory user as Azure provisions it, the same on every server under test."""

    index: int
    id: uuid.UUID
    user_name: str
    external_id: str
    given_name: str
    family_name: str
    email: str
    title: str
    department: str
    employee_number: str

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def scim_attributes(self) -> dict[str, Any]:
        """Return the user's SCIM attributes, without `schemas`, `id` and `meta`."""
        return {
            "userName": self.user_name,
            "externalId": self.external_id,
            "active": True,
            "displayName": self.display_name,
            "title": self.title,
            "name": {
                "formatted": self.display_name,
                "familyName": self.family_name,
                "givenName": self.given_name,
            },
            "emails": [{"value": self.email, "type": "work", "primary": True}],
            ENTERPRISE_USER_SCHEMA: {"employeeNumber": self.employee_number, "department": self.department},
        }


def seed_user(index: int, seed: int) -> SeedUser:
    """Return user number `index` of the seeded directory; the same index and seed give the same user."""
    rng = random.Random(f"{seed}:{index}")
    given = rng.choice(GIVEN_NAMES)
    family = rng.choice(FAMILY_NAMES)
    # Azure's default user mappings (Microsoft's "Tutorial: Develop and plan
    # provisioning for a SCIM endpoint"): userName from userPrincipalName,
    # externalId from mailNickname. The index keeps both unique.
    nickname = f"{given}.{family}{index}"
    return SeedUser(
        index=index,
        id=uuid.UUID(int=rng.getrandbits(128), version=4),
        user_name=f"{nickname}@{EMAIL_DOMAIN}",
        external_id=nickname,
        given_name=given,
        family_name=family,
        email=f"{nickname.lower()}@{EMAIL_DOMAIN}",
        title=rng.choice(TITLES),
        department=rng.choice(DEPARTMENTS),
        employee_number=str(100_000 + index),
    )


def seed_users(count: int, seed: int) -> Iterator[SeedUser]:
    for index in range(count):
        yield seed_user(index, seed)


def swap_case(text: str) -> str:
    """Return `text` with every letter in the other case, so that only a case-insensitive match finds it."""
    return text.swapcase()


def deep_page_start_index(users: int) -> int:
    """Return the startIndex of the deep-page request: 50,001, or the middle of a smaller directory."""
    return min(DEEP_PAGE_START_INDEX, users // 2 + 1)


# A check returns None when the response is right, or what is wrong with it.
ResponseCheck = Callable[[int, Any], "str | None"]


@dataclass(frozen=True)
class ScimRequest:
    """One request, with its path relative to the SCIM base URL (for example "Users/<id>")."""

    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    check: ResponseCheck | None = None


@dataclass(frozen=True)
class Shape:
    """A kind of request: its table label and the requests to send, warm-up requests first."""

    name: str
    label: str
    warmup: list[ScimRequest]
    timed: list[ScimRequest]
    # Sent once after the timed requests, to check that a write took effect.
    follow_up: ScimRequest | None = None


# Maps a seed user's index to the id that the server under test gave it.
ResourceIdOf = Callable[[int], str]
# Sends one request and returns the HTTP status and the parsed JSON body (None when empty).
Sender = Callable[[ScimRequest], "tuple[int, Any]"]


def expect_list(total: int, user_name: str | None = None) -> ResponseCheck:
    def check(status: int, body: Any) -> str | None:
        if status != 200:
            return f"status {status}, expected 200"
        found = body.get("totalResults") if isinstance(body, dict) else None
        if found != total:
            return f"totalResults {found}, expected {total}"
        if user_name is not None:
            names = [item.get("userName", "").lower() for item in body.get("Resources", [])]
            if names != [user_name.lower()]:
                return f"returned userName {names}, expected [{user_name!r}]"
        return None

    return check


def expect_page(start_index: int, minimum_total: int) -> ResponseCheck:
    def check(status: int, body: Any) -> str | None:
        if status != 200:
            return f"status {status}, expected 200"
        resources = body.get("Resources", [])
        if len(resources) != PAGE_SIZE or body.get("startIndex") != start_index:
            return f"{len(resources)} resources from startIndex {body.get('startIndex')}, expected {PAGE_SIZE}"
        if (body.get("totalResults") or 0) < minimum_total:
            return f"totalResults {body.get('totalResults')}, expected at least {minimum_total}"
        return None

    return check


def expect_user(status_code: int, resource_id: str | None = None) -> ResponseCheck:
    def check(status: int, body: Any) -> str | None:
        if status != status_code:
            return f"status {status}, expected {status_code}"
        if resource_id is not None and str(body.get("id")) != resource_id:
            return f"id {body.get('id')!r}, expected {resource_id!r}"
        return None

    return check


def expect_disabled(status: int, body: Any) -> str | None:
    """Accept 200 with "active": false, or 204 (RFC 7644 section 3.5.2 allows both)."""
    if status == 204:
        return None
    if status != 200:
        return f"status {status}, expected 200 or 204"
    if body.get("active") is not False:
        return f'"active" is {body.get("active")!r} after the PATCH, expected false'
    return None


def expect_inactive_user(status: int, body: Any) -> str | None:
    if status != 200:
        return f"follow-up GET: status {status}, expected 200"
    if body.get("active") is not False:
        return f'follow-up GET: "active" is {body.get("active")!r}, expected false'
    return None


def expect_status(status_code: int) -> ResponseCheck:
    def check(status: int, body: Any) -> str | None:
        return None if status == status_code else f"status {status}, expected {status_code}"

    return check


def create_body(run_id: str, number: int) -> dict[str, Any]:
    """Return an Azure "Create User" body for a user that no server has yet."""
    nickname = f"New.Hire{number}.{run_id}"
    return {
        "schemas": [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
        "externalId": nickname,
        "userName": f"{nickname}@{EMAIL_DOMAIN}",
        "active": True,
        "displayName": "New Hire",
        "emails": [{"primary": True, "type": "work", "value": f"{nickname.lower()}@{EMAIL_DOMAIN}"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "New Hire", "familyName": "Hire", "givenName": "New"},
        "roles": [],
        ENTERPRISE_USER_SCHEMA: {"employeeNumber": str(number), "department": "Engineering"},
    }


AZURE_DISABLE_PATCH = {
    "schemas": [PATCH_OP_SCHEMA],
    "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
}


def build_shapes(users: int, requests: int, warmup: int, seed: int, resource_id: ResourceIdOf) -> list[Shape]:
    """Return the request shapes in the order they run: reads first, then create, PATCH and DELETE.

    PATCH and DELETE each touch a different seeded user per request, and no
    user both, so no request meets a user that an earlier one changed.
    """
    per_shape = warmup + requests
    if users < 2 * per_shape:
        raise ValueError(
            f"{users} users are too few for {requests} timed and {warmup} warm-up requests per shape; "
            f"seed at least {2 * per_shape} users or send fewer requests."
        )

    rng = random.Random(seed)
    run_id = uuid.UUID(int=rng.getrandbits(128)).hex[:8]
    written = rng.sample(range(users), 2 * per_shape)
    patched, deleted = written[:per_shape], written[per_shape:]

    def random_user() -> SeedUser:
        return seed_user(rng.randrange(users), seed)

    def probe() -> ScimRequest:
        missing = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        return ScimRequest("GET", "Users", {"filter": f'userName eq "{missing}"'}, check=expect_list(0))

    def lookup_user_name() -> ScimRequest:
        user = random_user()
        text = f'userName eq "{swap_case(user.user_name)}"'
        return ScimRequest("GET", "Users", {"filter": text}, check=expect_list(1, user.user_name))

    def lookup_external_id() -> ScimRequest:
        user = random_user()
        text = f'externalId eq "{user.external_id}"'
        return ScimRequest("GET", "Users", {"filter": text}, check=expect_list(1, user.user_name))

    start_index = deep_page_start_index(users)

    def deep_page() -> ScimRequest:
        query = {"startIndex": str(start_index), "count": str(PAGE_SIZE)}
        return ScimRequest("GET", "Users", query, check=expect_page(start_index, users))

    def get_by_id() -> ScimRequest:
        key = resource_id(rng.randrange(users))
        return ScimRequest("GET", f"Users/{key}", check=expect_user(200, key))

    created = iter(range(per_shape))

    def create() -> ScimRequest:
        return ScimRequest("POST", "Users", body=create_body(run_id, next(created)), check=expect_user(201))

    patch_targets = iter(patched)

    def patch() -> ScimRequest:
        key = resource_id(next(patch_targets))
        return ScimRequest("PATCH", f"Users/{key}", body=AZURE_DISABLE_PATCH, check=expect_disabled)

    delete_targets = iter(deleted)

    def delete() -> ScimRequest:
        return ScimRequest("DELETE", f"Users/{resource_id(next(delete_targets))}", check=expect_status(204))

    builders: list[tuple[str, str, Callable[[], ScimRequest]]] = [
        ("probe_missing", 'GET /Users?filter=userName eq "<random GUID>"', probe),
        ("lookup_user_name", 'GET /Users?filter=userName eq "<existing, other case>"', lookup_user_name),
        ("lookup_external_id", 'GET /Users?filter=externalId eq "<existing>"', lookup_external_id),
        ("deep_page", f"GET /Users?startIndex={start_index}&count={PAGE_SIZE}", deep_page),
        ("get_by_id", "GET /Users/<id>", get_by_id),
        ("create", "POST /Users (Azure create body)", create),
        ("patch_disable", 'PATCH /Users/<id> Replace active "False"', patch),
        ("delete", "DELETE /Users/<id>", delete),
    ]
    shapes = [
        Shape(
            name=name,
            label=label,
            warmup=[build() for _ in range(warmup)],
            timed=[build() for _ in range(requests)],
        )
        for name, label, build in builders
    ]

    # The first patched user is always sent, as the first warm-up request or,
    # without warm-up, as the first timed one.
    follow_up = ScimRequest("GET", f"Users/{resource_id(patched[0])}", check=expect_inactive_user)
    return [replace(shape, follow_up=follow_up) if shape.name == "patch_disable" else shape for shape in shapes]


@dataclass
class ShapeResult:
    """Timings, statuses, wrong responses and SQL of one shape on one server.

    The benchmark fills it from several slices of timed requests, because it
    sends each shape to the servers in turns.
    """

    name: str
    label: str
    planned_requests: int = 0
    samples_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    problems: Counter = field(default_factory=Counter)
    queries: int | None = None
    statements: list[str] = field(default_factory=list)
    follow_up_problem: str | None = None

    def add_slice(self, measured: dict[str, Any]) -> None:
        """Add what `ShapeRunner.timed` returned for one slice of the timed requests."""
        self.samples_ms.extend(measured["samples_ms"])
        self.statuses.update({int(status): count for status, count in measured["statuses"].items()})
        self.problems.update(measured["problems"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "timed_requests": len(self.samples_ms),
            "median_ms": median_ms(self.samples_ms),
            "p95_ms": p95_ms(self.samples_ms),
            "statuses": {str(status): count for status, count in sorted(self.statuses.items())},
            "problems": dict(self.problems.most_common(5)),
            "problem_count": sum(self.problems.values()),
            "queries": self.queries,
            "transaction_statements": count_transaction_control(self.statements),
            "statements": self.statements,
            "stopped_by_budget": len(self.samples_ms) < self.planned_requests,
            "follow_up_problem": self.follow_up_problem,
            "samples_ms": [round(sample, 3) for sample in self.samples_ms],
        }

    def summary_line(self) -> str:
        summary = self.to_dict()
        line = (
            f"{self.name:<20} median {summary['median_ms']} ms, p95 {summary['p95_ms']} ms, "
            f"{summary['timed_requests']} timed, statuses {summary['statuses']}, queries {self.queries}"
        )
        if summary["problem_count"]:
            line += f", {summary['problem_count']} wrong responses"
        if self.follow_up_problem:
            line += f", {self.follow_up_problem}"
        return line


def median_ms(samples: list[float]) -> float | None:
    return round(statistics.median(samples), 3) if samples else None


def p95_ms(samples: list[float]) -> float | None:
    """Return the nearest-rank 95th percentile."""
    if not samples:
        return None
    ordered = sorted(samples)
    return round(ordered[math.ceil(0.95 * len(ordered)) - 1], 3)


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def count_transaction_control(statements: list[str]) -> int:
    """Return how many statements only open, close or mark a transaction (they are round trips, not data queries)."""
    return sum(1 for statement in statements if statement.lstrip().upper().startswith(TRANSACTION_CONTROL))


QueryCapture = Callable[[], AbstractContextManager[Any]]


class ShapeRunner:
    """Send the requests of one server's shapes, a phase at a time, and return plain JSON-ready results.

    `capture_queries` returns a context manager with a `captured_queries`
    list, such as `django.test.utils.CaptureQueriesContext(connection)`. It
    wraps the last warm-up request only, so that recording SQL does not slow
    the timed requests.
    """

    def __init__(self, shapes: list[Shape], send: Sender, capture_queries: QueryCapture | None = None) -> None:
        self.shapes = {shape.name: shape for shape in shapes}
        self.send = send
        self.capture_queries = capture_queries

    def warmup(self, shape: str) -> dict[str, Any]:
        """Send the shape's warm-up requests and return the SQL of the last one (None without capture)."""
        requests = self.shapes[shape].warmup
        queries: list[str] | None = None
        for position, request in enumerate(requests):
            if self.capture_queries is not None and position == len(requests) - 1:
                with self.capture_queries() as context:
                    self.send(request)
                queries = [query["sql"] for query in context.captured_queries]
            else:
                self.send(request)
        return {"statements": queries}

    def timed(self, shape: str, start: int, stop: int, budget_seconds: float, min_samples: int) -> dict[str, Any]:
        """Time the shape's timed requests start to stop-1.

        The slice ends early once its requests took `budget_seconds` and at
        least `min_samples` of them were sent.
        """
        samples: list[float] = []
        statuses: Counter = Counter()
        problems: Counter = Counter()
        spent = 0.0
        for request in self.shapes[shape].timed[start:stop]:
            if spent >= budget_seconds and len(samples) >= min_samples:
                break
            started = time.perf_counter()
            status, body = self.send(request)
            elapsed = time.perf_counter() - started
            spent += elapsed

            samples.append(elapsed * 1000)
            statuses[str(status)] += 1
            problem = request.check(status, body) if request.check else None
            if problem:
                problems[problem] += 1
        return {"samples_ms": samples, "statuses": dict(statuses), "problems": dict(problems)}

    def follow_up(self, shape: str) -> dict[str, Any]:
        """Send the shape's follow-up request, if it has one, and return what is wrong with its response."""
        request = self.shapes[shape].follow_up
        if request is None:
            return {"problem": None}
        status, body = self.send(request)
        return {"problem": request.check(status, body) if request.check else None}


def load_average() -> list[float]:
    """Return the 1, 5 and 15 minute load averages, to show whether other work shared the machine."""
    return [round(value, 2) for value in os.getloadavg()]


def parse_json(content: bytes) -> Any:
    """Return the parsed JSON body, or None for an empty or non-JSON body."""
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return None


def add_workload_arguments(parser: Any) -> None:
    """Add the options that the benchmark passes on to every peer runner."""
    parser.add_argument("--users", type=int, required=True, help="number of seed users")
    parser.add_argument("--requests", type=int, required=True, help="timed requests per request shape")
    parser.add_argument("--warmup", type=int, required=True, help="untimed requests per shape, sent first")
    parser.add_argument("--seed", type=int, required=True, help="random seed of the users and requests")
