"""Checks on strings that arrive in SCIM requests, before they reach the database."""

from __future__ import annotations

import unicodedata
from typing import Any

from .errors import InvalidValue


def check_text(value: Any) -> None:
    """Raise InvalidValue for a string the database cannot store: a NUL character or a lone surrogate.

    JSON escapes such as "\u0000" and "\ud800" parse into Python strings
    that PostgreSQL rejects and UTF-8 cannot encode.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            check_string(item)


def check_string(text: str) -> None:
    """Raise InvalidValue unless `text` can be stored: no NUL character and no unpaired surrogate."""
    if "\x00" in text:
        raise InvalidValue("Strings must not contain the NUL character (\\u0000).")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidValue(
            "Strings must be valid Unicode; the request contains an unpaired surrogate such as \\ud800."
        ) from None




def check_identifier(label: str, text: str, max_length: int) -> None:
    """Raise InvalidValue unless `text` is a usable name: not blank, no control characters, not too long."""
    if not text.strip():
        raise InvalidValue(f'"{label}" must not be empty or only spaces.')
    if len(text) > max_length:
        raise InvalidValue(f'"{label}" is {len(text)} characters long; the maximum is {max_length}.')
    if any(unicodedata.category(character) == "Cc" for character in text):
        raise InvalidValue(f'"{label}" must not contain control characters such as line breaks.')
