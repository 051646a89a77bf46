"""Probe the web server's /healthz endpoint, for container health checks.

Usage: python -m p81.healthcheck [URL]

Exits 0 when URL (default http://127.0.0.1:8000/healthz) returns 200 within
TIMEOUT_SECONDS, and 1 otherwise. It does not import Django, so a probe
costs a fraction of a second. The request carries a Host header taken from
ALLOWED_HOSTS, because Django answers 400 to any other host.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.parse
import urllib.request

DEFAULT_URL = "http://127.0.0.1:8000/healthz"
TIMEOUT_SECONDS = 5


def probe_host(allowed_hosts: str) -> str:
    """Return a host name that Django's ALLOWED_HOSTS check accepts, from the comma-separated setting.

    A pattern ".example.com" matches "example.com". With no usable entry
    (unset, or only "*"), "localhost" is returned.
    """
    for entry in allowed_hosts.split(","):
        host = entry.strip().lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


def main(argv: list[str]) -> int:
    url = argv[1] if len(argv) > 1 else DEFAULT_URL
    if urllib.parse.urlsplit(url).scheme not in {"http", "https"}:
        print(f"health check failed: {url} is not an http or https URL", file=sys.stderr)
        return 1

    host = probe_host(os.environ.get("ALLOWED_HOSTS", ""))
    request = urllib.request.Request(url, headers={"Host": host})  # noqa: S310  (scheme checked above)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            status = response.status
    except (urllib.error.URLError, OSError) as error:
        print(f"health check failed: {url}: {error}", file=sys.stderr)
        return 1

    if status != 200:
        print(f"health check failed: {url} returned {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
