"""Pytest fixtures that start the Azure AD stand-in. Load with `pytest_plugins`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .server import AzureStandIn
from .tls import LoopbackCertificates, create_certificates


@pytest.fixture(scope="session")
def standin_certificates(tmp_path_factory: pytest.TempPathFactory) -> LoopbackCertificates:
    """A CA and a 127.0.0.1 server certificate, made once per test run."""
    directory: Path = tmp_path_factory.mktemp("azure-standin-tls")
    return create_certificates(directory)


@pytest.fixture
def azure_standin(
    standin_certificates: LoopbackCertificates, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AzureStandIn]:
    """A running stand-in with no tenants, apps or users yet.

    `requests` (used by msal and social-auth) ignores `verify=` when
    REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE is set, so both point at the
    stand-in's CA for the test.
    """
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(standin_certificates.ca_file))
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    standin = AzureStandIn(standin_certificates).start()
    try:
        yield standin
    finally:
        standin.stop()
