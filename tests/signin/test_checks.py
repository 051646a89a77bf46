"""The signin.W001 system check on P81_PUBLIC_URL."""

from __future__ import annotations

import pytest

from signin.checks import check_public_url_scheme


@pytest.mark.parametrize(
    ("public_url", "warned"),
    [
        ("https://p81.example.com", False),
        ("http://127.0.0.1:8000", False),
        ("http://localhost:8000", False),
        ("http://p81.example.com", True),
    ],
)
def test_public_url_check(settings, public_url: str, warned: bool) -> None:
    settings.P81_PUBLIC_URL = public_url

    messages = check_public_url_scheme()

    assert [message.id for message in messages] == (["signin.W001"] if warned else [])
