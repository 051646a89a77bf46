"""Symmetric encryption of secrets stored in the database.

Values are encrypted with Fernet (AES-128-CBC with HMAC-SHA256) from the
`cryptography` package. `P81_ENCRYPTION_KEYS` lists the keys: the first
encrypts, and every key decrypts, so keys can be rotated without a data
migration.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


class DecryptionError(Exception):
    """Raised when a stored value cannot be decrypted with any configured key."""


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode("ascii")) for key in keys])


def get_fernet() -> MultiFernet:
    """Return the MultiFernet built from the configured keys."""
    return _fernet(tuple(settings.P81_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    """Return `plaintext` encrypted with the first configured key."""
    return get_fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(ciphertext: str) -> str:
    """Return the plaintext of `ciphertext`, or raise DecryptionError."""
    try:
        return get_fernet().decrypt(ciphertext.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError) as error:
        raise DecryptionError("stored value cannot be decrypted with the configured keys") from error


class EncryptedTextField(models.TextField):
    """A text column whose value is stored encrypted and read back in plain text.

    An empty string is stored as an empty string, so "no secret" needs no
    key. Lookups on the column compare ciphertext and are therefore useless;
    the field is meant for write-and-read-back values only.
    """

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)
