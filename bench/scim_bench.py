"""Benchmark p81's SCIM Users service against stock django-scim2 and scim2-server.

Run from the repository root:

    .venv/bin/python bench/scim_bench.py [--users N] [--db sqlite|postgres] [--requests K]

p81 is measured in this process through django.test.Client. The peers run
in subprocesses of this script (`bench/stock_runner.py` and
`bench/scim2_server_runner.py`) that take commands over `bench.protocol`.
All three are seeded with the same users and sent the same requests, in
alternating turns. The script prints one table of medians, p95s, SQL query
counts and peer/p81 ratios, the query plans of the userName lookups, and
writes every number to bench/results/<UTC timestamp>.json.
docs/benchmarks.md describes what is measured and how to read it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import p81_target  # noqa: E402
from bench.databases import (  # noqa: E402
    DEFAULT_POSTGRES_URL,
    postgres_server_version,
    throwaway_postgres,
    throwaway_sqlite,
)
from bench.plans import explain_request, scan_lines  # noqa: E402
from bench.protocol import LocalServer, PeerFailed, PeerProcess  # noqa: E402
from bench.workload import (  # noqa: E402
    MIN_TIMED_SAMPLES,
    Shape,
    ShapeResult,
    ShapeRunner,
    build_shapes,
    load_average,
)

DEFAULT_USERS = {"postgres": 100_000, "sqlite": 20_000}
PEERS = {
    "django-scim2": ROOT / "bench" / "stock_runner.py",
    "scim2-server": ROOT / "bench" / "scim2_server_runner.py",
}
# A peer process that sends nothing for this long after a command is reported as failed.
PEER_TIMEOUT_SECONDS = 600
# p81 requests that run more SQL queries than this are listed after the table.
EXPECTED_MAX_QUERIES = 5
USER_NAME_INDEX = "dir_user_username_ci_unique"


def log(message: str) -> None:
    print(message, flush=True)


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db", choices=["postgres", "sqlite"], default="postgres", help="database of p81 and django-scim2"
    )
    parser.add_argument(
        "--users", type=int, help="seed users per server (default: 100000 with postgres, 20000 with sqlite)"
    )
    parser.add_argument("--requests", type=int, default=200, help="timed requests per request shape (default: 200)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per shape, sent first (default: 3)")
    parser.add_argument(
        "--time-budget",
        type=float,
        default=20.0,
        help="seconds of timed requests after which a shape stops, once it has 5 samples (default: 20)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="turns in which each shape's timed requests go to the servers, alternating (default: 5)",
    )
    parser.add_argument("--seed", type=int, default=81, help="random seed of the users and requests (default: 81)")
    parser.add_argument(
        "--peers",
        nargs="*",
        choices=sorted(PEERS),
        default=sorted(PEERS),
        help="peers to run (default: both; pass the option alone to run p81 only)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="maintenance database through which the throwaway databases are created and dropped "
        f"(default: $BENCH_POSTGRES_URL or {DEFAULT_POSTGRES_URL})",
    )
    parser.add_argument(
        "--results-dir", type=Path, default=ROOT / "bench" / "results", help="folder of the JSON results file"
    )
    args = parser.parse_args()

    if args.users is None:
        args.users = DEFAULT_USERS[args.db]
    if args.warmup < 1:
        parser.error("--warmup must be at least 1: the SQL queries are counted on the last warm-up request.")
    if args.requests < 1:
        parser.error("--requests must be at least 1.")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1.")
    needed = 2 * (args.warmup + args.requests)
    if args.users < needed:
        parser.error(f"--users must be at least {needed} for {args.requests} requests and {args.warmup} warm-ups.")
    return args


def machine_description() -> dict[str, Any]:
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu_model": model,
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def source_state() -> dict[str, Any]:
    """Return the git commit measured and the files outside bench/ that differ from it."""

    def git(*arguments: str) -> str:
        completed = subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, text=True, check=False)
        return completed.stdout.strip() if completed.returncode == 0 else ""

    changed = [line[3:] for line in git("status", "--porcelain").splitlines() if not line[3:].startswith("bench/")]
    return {"commit": git("rev-parse", "HEAD") or "unknown", "uncommitted_files_outside_bench": changed}


def package_versions() -> dict[str, str]:
    names = ["django", "django-scim2", "scim2-filter-parser", "scim2-server", "scim2-models", "psycopg"]
    return {name: version(name) for name in names}


def start_peer(name: str, args: argparse.Namespace, database_url: str | None) -> PeerProcess:
    """Start a peer runner; it seeds its server while p81 seeds, and waits for commands afterwards."""
    command = [
        sys.executable,
        str(PEERS[name]),
        "--users", str(args.users),
        "--requests", str(args.requests),
        "--warmup", str(args.warmup),
        "--seed", str(args.seed),
    ]  # fmt: skip
    if database_url is not None:
        command += ["--database-url", database_url]
    log(f"{name}: starting its runner in a subprocess")
    return PeerProcess(name, command, cwd=ROOT, timeout=PEER_TIMEOUT_SECONDS)


def prepare_p81(args: argparse.Namespace, database_url: str) -> tuple[LocalServer, dict[str, Any]]:
    """Seed p81 in this process and return it with its seeding time and query plans."""
    log(f"p81: seeding {args.users} users ({args.db})")
    p81_target.configure_django(database_url)

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    started = time.perf_counter()
    server = p81_target.prepare(args.users, args.seed, log)
    seed_seconds = time.perf_counter() - started

    shapes = build_shapes(args.users, args.requests, args.warmup, args.seed, server.resource_id)
    send = server.sender()

    # Plans come first, while every user that the lookups name still exists.
    by_name = {shape.name: shape for shape in shapes}
    plans = {
        name: explain_request(send, by_name[name].warmup[0], "directory_directoryuser")
        for name in ("lookup_user_name", "lookup_external_id", "deep_page")
    }
    runner = ShapeRunner(shapes, send, capture_queries=lambda: CaptureQueriesContext(connection))
    return LocalServer("p81", runner), {"server": "p81", "seed_seconds": round(seed_seconds, 1), "plans": plans}


def split_requests(requests: int, rounds: int) -> list[tuple[int, int]]:
    """Return the (start, stop) slices that cut `requests` timed requests into `rounds` nearly equal turns."""
    bounds = [round(requests * turn / rounds) for turn in range(rounds + 1)]
    return [(start, stop) for start, stop in zip(bounds, bounds[1:], strict=False) if stop > start]


def measure(
    servers: dict[str, LocalServer | PeerProcess], shapes: list[Shape], args: argparse.Namespace
) -> tuple[dict[str, dict[str, ShapeResult]], dict[str, str]]:
    """Send every shape to every server, the timed requests in turns, and return the results and failures.

    A shape's timed requests go out in `--rounds` slices. In each round every
    server gets the next slice, in an order that rotates from round to
    round, so that a burst of load from other processes on the machine
    falls on all servers alike. A server stops taking slices of a shape once
    its timed requests took `--time-budget` seconds, after at least
    MIN_TIMED_SAMPLES of them.
    """
    results: dict[str, dict[str, ShapeResult]] = {name: {} for name in servers}
    failures: dict[str, str] = {}

    def call(name: str, operation: str, **arguments: Any) -> dict[str, Any] | None:
        try:
            return servers[name].call(operation, **arguments)
        except PeerFailed as error:
            failures[name] = str(error)
            log(f"{name}: failed, left out from here on: {error}")
            return None

    slices = split_requests(args.requests, args.rounds)
    for shape in shapes:
        log(f"{shape.name}: {shape.label}")
        for name in servers:
            results[name][shape.name] = ShapeResult(shape.name, shape.label, planned_requests=args.requests)
            warmed = call(name, "warmup", shape=shape.name) if name not in failures else None
            if warmed is not None and warmed["statements"] is not None:
                results[name][shape.name].statements = warmed["statements"]
                results[name][shape.name].queries = len(warmed["statements"])

        names = list(servers)
        for turn, (start, stop) in enumerate(slices):
            for name in names[turn % len(names) :] + names[: turn % len(names)]:
                result = results[name][shape.name]
                spent = sum(result.samples_ms) / 1000
                missing = max(0, MIN_TIMED_SAMPLES - len(result.samples_ms))
                if name in failures or (spent >= args.time_budget and missing == 0):
                    continue
                measured = call(
                    name,
                    "timed",
                    shape=shape.name,
                    start=start,
                    stop=stop,
                    budget_seconds=args.time_budget - spent,
                    min_samples=missing,
                )
                if measured is not None:
                    result.add_slice(measured)

        for name in servers:
            checked = call(name, "follow_up", shape=shape.name) if name not in failures else None
            if checked is not None:
                results[name][shape.name].follow_up_problem = checked["problem"]
            log(f"  {name:<13} {results[name][shape.name].summary_line()}")
    return results, failures


def format_queries(shape: dict[str, Any] | None) -> str:
    """Return the query count, with how many of them are BEGIN, COMMIT or savepoint statements."""
    if shape is None or shape["queries"] is None:
        return "–"
    control = shape["transaction_statements"]
    return f"{shape['queries']} ({control} tx)" if control else str(shape["queries"])


def format_ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def peer_cell(shape: dict[str, Any] | None) -> tuple[str, float | None]:
    """Return the table text for a peer's shape and the median to compare, or None when it failed."""
    if shape is None:
        return "not run", None
    failures = {status: count for status, count in shape["statuses"].items() if int(status) >= 400}
    if failures:
        return "status " + ", ".join(sorted(failures)), None
    if shape["problem_count"] or shape["follow_up_problem"]:
        return f"{format_ms(shape['median_ms'])} (wrong)", None
    suffix = f" (n={shape['timed_requests']})" if shape["stopped_by_budget"] else ""
    return format_ms(shape["median_ms"]) + suffix, shape["median_ms"]


def ratio(peer_median: float | None, p81_median: float | None) -> str:
    if peer_median is None or not p81_median:
        return "–"
    return f"{peer_median / p81_median:.2f}"


def render_table(report: dict[str, Any]) -> str:
    """Return the results as a Markdown table, ratios being peer median / p81 median."""
    p81_shapes = report["p81"]["shapes"]
    peers = {
        name: {shape["name"]: shape for shape in report["peers"].get(name, {}).get("shapes", [])} for name in PEERS
    }

    header = (
        "| request | p81 median ms | p81 p95 ms | p81 queries | django-scim2 median ms (status) "
        "| django-scim2 queries | ratio | scim2-server median ms (status) | ratio |"
    )
    lines = [header, "|" + "---|" * 9]
    for shape in p81_shapes:
        stock = peers["django-scim2"].get(shape["name"])
        reference = peers["scim2-server"].get(shape["name"])
        stock_text, stock_median = peer_cell(stock)
        reference_text, reference_median = peer_cell(reference)
        p81_text = format_ms(shape["median_ms"])
        if shape["problem_count"] or shape["follow_up_problem"]:
            p81_text += " (wrong)"
        lines.append(
            f"| `{shape['label']}` | {p81_text} | {format_ms(shape['p95_ms'])} | {format_queries(shape)} "
            f"| {stock_text} | {format_queries(stock)} | {ratio(stock_median, shape['median_ms'])} "
            f"| {reference_text} | {ratio(reference_median, shape['median_ms'])} |"
        )
    return "\n".join(lines)


def render_notes(report: dict[str, Any]) -> list[str]:
    """Return the notes below the table: wrong responses, early stops, failed peers and p81 anomalies."""
    notes = []
    for name, result in [("p81", report["p81"]), *report["peers"].items()]:
        if "error" in result:
            notes.append(f"{name}: {result['error']}")
            continue
        for shape in result["shapes"]:
            for problem, count in shape["problems"].items():
                notes.append(f"{name} {shape['name']}: {problem} ({count} of {shape['timed_requests']} timed requests)")
            if shape["follow_up_problem"]:
                notes.append(f"{name} {shape['name']}: {shape['follow_up_problem']}")
            if shape["stopped_by_budget"]:
                notes.append(
                    f"{name} {shape['name']}: stopped after {shape['timed_requests']} timed requests "
                    f"(--time-budget {report['arguments']['time_budget']} s)"
                )
    for shape in report["p81"]["shapes"]:
        data_queries = (shape["queries"] or 0) - shape["transaction_statements"]
        if data_queries > EXPECTED_MAX_QUERIES:
            notes.append(
                f"p81 {shape['name']}: {data_queries} SQL queries besides transaction control, "
                f"more than {EXPECTED_MAX_QUERIES}"
            )
    return notes


def render_plans(plans: dict[str, list[dict[str, Any]]], *, full: str | None = None) -> list[str]:
    """Return the whole plan of shape `full` and the scan lines of the other shapes' plans."""
    lines = []
    for name, statements in plans.items():
        for statement in statements:
            kind = "SELECT COUNT" if "COUNT(" in statement["sql"].upper() else "SELECT"
            lines.append(f"{name} ({kind}):")
            shown = statement["plan"] if name == full else scan_lines(statement["plan"])
            lines.extend(f"    {line}" for line in shown)
    return lines


def user_name_index_used(plans: dict[str, list[dict[str, Any]]]) -> bool:
    statements = plans.get("lookup_user_name", [])
    return bool(statements) and all(
        any(USER_NAME_INDEX in line for line in statement["plan"]) for statement in statements
    )


def run_servers(args: argparse.Namespace, urls: dict[str, str], report: dict[str, Any]) -> None:
    """Seed p81 and the peers, measure them in turns, and store the results in `report`."""
    peers: dict[str, PeerProcess] = {}
    try:
        for name in args.peers:
            peers[name] = start_peer(name, args, urls["stock"] if name == "django-scim2" else None)
        p81, p81_info = prepare_p81(args, urls["p81"])

        servers: dict[str, LocalServer | PeerProcess] = {"p81": p81}
        for name, peer in peers.items():
            try:
                ready = peer.receive()
            except PeerFailed as error:
                report["peers"][name] = {"server": name, "error": str(error)}
                continue
            report["peers"][name] = {key: value for key, value in ready.items() if key != "ready"}
            servers[name] = peer
            log(f"{name}: seeded in {ready['seed_seconds']} s")

        # Every process builds the same shapes from the same seed; these only
        # name them and their order here.
        shapes = build_shapes(args.users, args.requests, args.warmup, args.seed, str)
        load_before = load_average()
        results, failures = measure(servers, shapes, args)
        report["load_average"] = {"before": load_before, "after": load_average()}

        report["p81"] = {**p81_info, "shapes": [result.to_dict() for result in results["p81"].values()]}
        for name in peers:
            if name in failures:
                report["peers"][name]["error"] = failures[name]
            elif name in servers:
                report["peers"][name]["shapes"] = [result.to_dict() for result in results[name].values()]
    finally:
        for peer in peers.values():
            peer.close()
        from django.conf import settings

        if settings.configured:
            from django.db import connections

            connections.close_all()


def main() -> None:
    args = parse_arguments()
    started = time.perf_counter()
    timestamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    report: dict[str, Any] = {
        "timestamp": timestamp,
        "arguments": {
            "db": args.db,
            "users": args.users,
            "requests": args.requests,
            "warmup": args.warmup,
            "time_budget": args.time_budget,
            "rounds": args.rounds,
            "seed": args.seed,
        },
        "machine": machine_description(),
        "source": source_state(),
        "versions": package_versions(),
        "peers": {},
    }

    database_names = ["p81", "stock"]
    if args.db == "postgres":
        report["versions"]["postgresql"] = postgres_server_version(args.postgres_url)
        databases = throwaway_postgres(args.postgres_url, database_names)
    else:
        databases = throwaway_sqlite(database_names)

    with databases as urls:
        run_servers(args, urls, report)

    report["elapsed_seconds"] = round(time.perf_counter() - started, 1)

    log("")
    log(
        f"{args.users} users, {args.db}, up to {args.requests} timed requests per shape after {args.warmup} "
        f"warm-ups, in {args.rounds} rounds; ratio = peer median / p81 median (above 1: p81 is faster)"
    )
    source = report["source"]
    log(f"p81 at commit {source['commit'][:12]}, {len(source['uncommitted_files_outside_bench'])} uncommitted files")
    log(render_table(report))
    for note in render_notes(report):
        log(f"- {note}")
    load = report["load_average"]
    log(f"1-minute load average before and after the requests: {load['before'][0]} -> {load['after'][0]}")

    log("")
    log("Query plans of p81's lookups and list:")
    for line in render_plans(report["p81"]["plans"], full="lookup_user_name"):
        log(line)
    stock = report["peers"].get("django-scim2", {})
    if "plans" in stock:
        log("Query plan of django-scim2's userName filter:")
        for line in render_plans(stock["plans"]):
            log(line)
    used = user_name_index_used(report["p81"]["plans"])
    report["p81"]["user_name_index_used"] = used
    log(f"userName eq uses {USER_NAME_INDEX}: {'yes' if used else 'NO'}")

    args.results_dir.mkdir(parents=True, exist_ok=True)
    path = args.results_dir / f"{timestamp}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    log(f"\nResults written to {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    log(f"Total time {report['elapsed_seconds']} s")


if __name__ == "__main__":
    main()
