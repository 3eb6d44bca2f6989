"""``Idempotency-Key`` on POST (SPEC section 3 and 7, "Idempotency").

The first request claims the key by inserting a row that commits at once; its
response is stored on the row when it finishes. A replay with the same body gets
that response again, waiting (up to ``IDEMPOTENCY_WAIT_SECONDS``) while the first
is still running; a replay with another body is a 422. A 5xx is not kept, so the
client may retry. Records older than ``IDEMPOTENCY_TTL_HOURS`` are purged.

A record belongs to one credential acting for one user: its ``scope`` is a digest
of the credential (the API key's uuid, or the signed-in maker for a session) and
the acted-for user. The same key from anyone else is a new request, never a replay.

The stored answer may hold secrets (a booking answers the attendee's ``secret``),
so it is kept encrypted with AES-GCM under a key derived (HKDF-SHA256) from the
credential's own secret, which the database never holds; neither the table nor
the server's ``SECRET_KEY`` alone yields it. A session has no secret of its own,
so its key is derived from ``SECRET_KEY`` and the scope.
"""

import datetime as dt
import hashlib
import json
import os
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from rest_framework.response import Response

from ...models import IdempotencyRecord
from ..access import Access
from ..errors import Conflict, DomainError

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# Fixed HKDF salt and info: a key made for this purpose serves no other.
KDF_SALT = b"termin idempotency record v1"
KDF_INFO = b"termin: encrypts the stored answer of an Idempotency-Key"
NONCE_BYTES = 12


class Replay(Exception):
    """Carries the stored response of an earlier request with the same key."""

    def __init__(self, response: HttpResponse):
        super().__init__("idempotent replay")
        self.response = response


def request_digest(method: str, path: str, body: bytes) -> str:
    try:
        canonical = json.dumps(json.loads(body or b"null"), sort_keys=True).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


@dataclass(frozen=True)
class Claim:
    """A key claimed for one request: its record and the key its answer is sealed with."""

    record: IdempotencyRecord
    cipher_key: bytes


def scope_of(access: Access) -> str:
    """Hex SHA-256 of the credential's identity and the acted-for user."""
    credential = str(access.api_key.uuid) if access.api_key else f"session:{access.maker.uuid}"
    return hashlib.sha256(f"{credential}\n{access.user.uuid}".encode()).hexdigest()


def cipher_key_of(access: Access, scope: str) -> bytes:
    """The AES-256 key for ``scope``'s answers, from the credential's secret (a
    session has none, so ``SECRET_KEY``); the scope in the info keeps every
    scope's key apart."""
    material = access.secret or settings.SECRET_KEY
    kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=KDF_SALT,
               info=KDF_INFO + b"\n" + scope.encode())
    return kdf.derive(material.encode())


def claim(*, access: Access, key: str, digest: str) -> Claim:
    """Claim ``key`` for this request in ``access``'s scope, or raise ``Replay``
    with the first response of the same credential acting for the same user."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise DomainError(f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters", field=HEADER)
    scope = scope_of(access)
    cipher_key = cipher_key_of(access, scope)
    for _ in range(2):
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    company=access.company, scope=scope, key=key, request_digest=digest
                )
                return Claim(record=record, cipher_key=cipher_key)
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
            if existing is None or _expired(existing):
                IdempotencyRecord.objects.filter(pk=getattr(existing, "pk", None)).delete()
                continue
            raise Replay(_await_response(existing, digest, cipher_key)) from None
    raise Conflict(f"{HEADER} is being reused concurrently; retry the request")


def _expired(record: IdempotencyRecord) -> bool:
    return record.created_at < timezone.now() - dt.timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)


def _await_response(record: IdempotencyRecord, digest: str, cipher_key: bytes) -> HttpResponse:
    if record.request_digest != digest:
        raise DomainError(
            f"This {HEADER} was already used with a different request body", status=422
        )
    deadline = time.monotonic() + settings.IDEMPOTENCY_WAIT_SECONDS
    while record.status_code is None:
        if time.monotonic() > deadline:
            raise Conflict(f"A request with this {HEADER} is still being processed")
        time.sleep(0.05)
        record = IdempotencyRecord.objects.filter(pk=record.pk).first()
        if record is None:  # the first request failed with a 5xx: nothing to replay
            raise Conflict(f"The first request with this {HEADER} failed; retry the request")
    return HttpResponse(
        _open(record, cipher_key), status=record.status_code, content_type=record.content_type
    )


def _bound_to(record: IdempotencyRecord) -> bytes:
    """What a sealed answer is tied to, so it cannot be moved to another row."""
    return f"{record.scope}\n{record.key}\n{record.request_digest}".encode()


def _seal(record: IdempotencyRecord, content: bytes, cipher_key: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(cipher_key).encrypt(nonce, content, _bound_to(record))


def _open(record: IdempotencyRecord, cipher_key: bytes) -> bytes:
    sealed = bytes(record.response_content)
    try:
        return AESGCM(cipher_key).decrypt(
            sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], _bound_to(record)
        )
    except InvalidTag:
        # A changed SECRET_KEY (sessions) or an altered row: running the request
        # again could repeat what it did, so the key stays spent until it expires.
        raise Conflict(
            f"The first response with this {HEADER} can no longer be read; use a new key"
        ) from None


def settle(claimed: Claim, response: HttpResponse) -> None:
    """Store the first response's bytes, sealed, or release the key after a server error."""
    record = claimed.record
    if response.status_code >= 500:
        record.delete()
        return
    if isinstance(response, Response):
        response.render()
    record.status_code = response.status_code
    record.response_content = _seal(record, response.content, claimed.cipher_key)
    record.content_type = response.get("Content-Type", "application/json")
    record.save(update_fields=["status_code", "response_content", "content_type"])


def purge_expired() -> int:
    cutoff = timezone.now() - dt.timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
