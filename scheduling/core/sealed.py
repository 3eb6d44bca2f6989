"""Secrets the server must read back (a CalDAV account's password), sealed at rest.

AES-256-GCM under a key derived (HKDF-SHA256) from ``SECRET_KEY`` for one purpose;
the row's own identity is the associated data, so a sealed value copied onto
another row does not open. ``SECRET_KEY_FALLBACKS`` open what older keys sealed,
so rotating the key (Django's way) keeps connections working; what no key opens
raises ``Unreadable``.
"""

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

NONCE_BYTES = 12
KDF_SALT = b"termin sealed secrets v1"


class Unreadable(Exception):
    """No key the server has opens the sealed value (the secret key changed)."""


def _key(secret_key: str, purpose: str) -> bytes:
    kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=KDF_SALT,
               info=b"termin: " + purpose.encode())
    return kdf.derive(secret_key.encode())


def seal(plain: bytes, *, purpose: str, bound_to: str) -> bytes:
    """``plain`` encrypted for ``purpose`` and tied to ``bound_to`` (a row's uuid)."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(_key(settings.SECRET_KEY, purpose)).encrypt(
        nonce, plain, bound_to.encode())


def unseal(sealed: bytes, *, purpose: str, bound_to: str) -> bytes:
    """What ``seal`` sealed with the same ``purpose`` and ``bound_to``; Unreadable
    when neither ``SECRET_KEY`` nor a fallback opens it."""
    sealed = bytes(sealed or b"")
    nonce, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
    for secret_key in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        try:
            return AESGCM(_key(secret_key, purpose)).decrypt(nonce, body, bound_to.encode())
        except (InvalidTag, ValueError):
            continue
    raise Unreadable("The stored secret can no longer be read: the server's secret key "
                     "changed")
