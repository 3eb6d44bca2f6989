"""The body every receiver gets and its Standard Webhooks signature.

One body serves the three ways the reference documents read it:
``{"event", "webhookType", "timestamp", "data": D}`` plus every field of ``D``
copied at the top level (where a field of ``D`` has the name of one of the four
envelope keys, the envelope wins at the top level; ``data`` keeps it).
"""

import base64
import hashlib
import hmac
import json
import secrets

from scheduling.core.timeutils import iso

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    """``whsec_`` + base64 of 32 random bytes; the HMAC key is the decoded bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def event_body(event) -> bytes:
    """The JSON body of an ``OutboxEvent``; the same bytes on every attempt."""
    data = event.data
    body = {
        "event": event.event,
        "webhookType": event.event,
        "timestamp": iso(event.created_at),
        "data": data,
    }
    if isinstance(data, dict):
        for key, value in data.items():
            body.setdefault(key, value)
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "Termin-Webhooks/1.0",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, msg_id, timestamp, body),
    }
