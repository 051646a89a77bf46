"""Error pages and error emails never show secrets held in local variables, with DEBUG on or off."""

from __future__ import annotations

import sys

import pytest
from django.test import RequestFactory
from django.views.debug import ExceptionReporter

# Built at run time, so the source lines shown in the report do not contain it.
SECRET = "-".join(["client", "secret", "value", "7000215"])


def exchange_code(client_secret: str, code_verifier: str, options: dict) -> None:
    """Stand in for third-party code that keeps secrets in locals when it fails."""
    access_token = "token-" + client_secret
    raise RuntimeError(f"token exchange failed for {len(access_token)} characters")


def report_html() -> str:
    request = RequestFactory().get("/complete/azuread-v2-tenant-oauth2/")
    try:
        exchange_code(SECRET, "verifier-" + SECRET, {"client_secret": SECRET, "tenant": "contoso"})
    except RuntimeError:
        reporter = ExceptionReporter(request, *sys.exc_info())
        return reporter.get_traceback_html()
    raise AssertionError("exchange_code did not raise")


@pytest.mark.parametrize("debug", [True, False])
def test_error_report_masks_secret_locals(settings, debug):
    settings.DEBUG = debug

    html = report_html()

    assert "exchange_code" in html
    assert SECRET not in html
    assert "contoso" in html
