"""Encryption at rest of IdentityProvider.client_secret, including key rotation."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.test import override_settings

from identity_providers.models import IdentityProvider
from p81.encryption import DecryptionError, decrypt, encrypt

PLAINTEXT_SECRET = "azure-client-secret~Zq8Q~not-a-real-one"
OLD_KEY = Fernet.generate_key().decode("ascii")
NEW_KEY = Fernet.generate_key().decode("ascii")
UNKNOWN_KEY = Fernet.generate_key().decode("ascii")


def read_raw_client_secret(provider: IdentityProvider) -> str:
    """Return the client_secret column as stored, bypassing the field's decryption."""
    table = connection.ops.quote_name(IdentityProvider._meta.db_table)
    column = connection.ops.quote_name(IdentityProvider._meta.get_field("client_secret").column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [provider.pk])  # noqa: S608
        return cursor.fetchone()[0]


def store_secret(provider: IdentityProvider) -> None:
    provider.set_client_secret(PLAINTEXT_SECRET, expires_on=None)
    provider.save()


def reload(provider: IdentityProvider) -> IdentityProvider:
    return IdentityProvider.objects.get(pk=provider.pk)


def test_client_secret_stored_encrypted(provider: IdentityProvider) -> None:
    store_secret(provider)

    raw = read_raw_client_secret(provider)

    assert raw
    assert PLAINTEXT_SECRET not in raw
    assert reload(provider).client_secret == PLAINTEXT_SECRET


def test_empty_client_secret_stored_empty(provider: IdentityProvider) -> None:
    assert read_raw_client_secret(provider) == ""
    assert reload(provider).client_secret == ""
    assert not reload(provider).has_client_secret


def test_client_secret_encryption_randomised(provider: IdentityProvider, other_provider: IdentityProvider) -> None:
    store_secret(provider)
    store_secret(other_provider)

    assert read_raw_client_secret(provider) != read_raw_client_secret(other_provider)


def test_client_secret_decrypts_after_rotation(provider: IdentityProvider) -> None:
    with override_settings(P81_ENCRYPTION_KEYS=[OLD_KEY]):
        store_secret(provider)

    with override_settings(P81_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        assert reload(provider).client_secret == PLAINTEXT_SECRET


def test_rotation_reencrypts_with_new_key_on_save(provider: IdentityProvider) -> None:
    with override_settings(P81_ENCRYPTION_KEYS=[OLD_KEY]):
        store_secret(provider)
    with override_settings(P81_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        reload(provider).save()

    with override_settings(P81_ENCRYPTION_KEYS=[NEW_KEY]):
        assert reload(provider).client_secret == PLAINTEXT_SECRET


def test_unknown_key_fails_clearly(provider: IdentityProvider) -> None:
    with override_settings(P81_ENCRYPTION_KEYS=[OLD_KEY]):
        store_secret(provider)

    with override_settings(P81_ENCRYPTION_KEYS=[UNKNOWN_KEY]):
        with pytest.raises(DecryptionError, match="cannot be decrypted with the configured keys"):
            reload(provider)


def test_decryption_error_hides_plaintext_and_key() -> None:
    with override_settings(P81_ENCRYPTION_KEYS=[OLD_KEY]):
        ciphertext = encrypt(PLAINTEXT_SECRET)

    with override_settings(P81_ENCRYPTION_KEYS=[UNKNOWN_KEY]):
        with pytest.raises(DecryptionError) as raised:
            decrypt(ciphertext)

    assert PLAINTEXT_SECRET not in str(raised.value)
    assert UNKNOWN_KEY not in str(raised.value)


def test_garbage_ciphertext_raises_decryption_error() -> None:
    with pytest.raises(DecryptionError):
        decrypt("not-a-fernet-token")
