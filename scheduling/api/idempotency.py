"""``Idempotency-Key`` on POST (SPEC section 3 and 7, "Idempotency").

The first request claims the key by inserting a row that commits at once; its
response is stored on the row when it finishes. A replay with the same body gets
that response again, waiting (up to ``IDEMPOTENCY_WAIT_SECONDS``) while the first
is still running; a replay with another body is a 422. A 5xx is not kept, so the
client may retry.
"""

import datetime as dt
import hashlib
import json
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from rest_framework.response import Response

from ..errors import Conflict, DomainError
from ..models import Company, IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


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


def claim(*, company: Company, key: str, digest: str) -> IdempotencyRecord:
    """Claim ``key`` for this request, or raise ``Replay`` with the first response."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise DomainError(f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters", field=HEADER)
    for _ in range(2):
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(
                    company=company, key=key, request_digest=digest
                )
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(company=company, key=key).first()
            if existing is None or _expired(existing):
                IdempotencyRecord.objects.filter(pk=getattr(existing, "pk", None)).delete()
                continue
            raise Replay(_await_response(existing, digest)) from None
    raise Conflict(f"{HEADER} is being reused concurrently; retry the request")


def _expired(record: IdempotencyRecord) -> bool:
    return record.created_at < timezone.now() - dt.timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)


def _await_response(record: IdempotencyRecord, digest: str) -> HttpResponse:
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
        bytes(record.response_content), status=record.status_code, content_type=record.content_type
    )


def settle(record: IdempotencyRecord, response: HttpResponse) -> None:
    """Store the first response's bytes, or release the key after a server error."""
    if response.status_code >= 500:
        record.delete()
        return
    if isinstance(response, Response):
        response.render()
    record.status_code = response.status_code
    record.response_content = response.content
    record.content_type = response.get("Content-Type", "application/json")
    record.save(update_fields=["status_code", "response_content", "content_type"])


def purge_expired() -> int:
    cutoff = timezone.now() - dt.timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
