"""One HTTP attempt: the signed POST of an event to an endpoint, and its outcome."""

import datetime as dt
import time
from dataclasses import dataclass

from django.utils import timezone

from scheduling.core import http, urlguard

from .. import signing

TIMEOUT_SECONDS = 15
EXCERPT_CHARS = 1000
MAX_READ_BYTES = 64 * 1024


@dataclass
class AttemptResult:
    attempted_at: dt.datetime
    duration_ms: int
    status_code: int | None = None
    response_excerpt: str = ""
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def send(delivery) -> AttemptResult:
    """POST the signed event to the endpoint (no redirects, SSRF guard). The whole
    answer must arrive within ``TIMEOUT_SECONDS``, however slowly its bytes come
    (``http.post`` holds every read to that deadline); an answer that does not is a
    failed attempt, whatever its status."""
    endpoint, event = delivery.endpoint, delivery.event
    body = signing.event_body(event)
    headers = signing.signed_headers(endpoint.secret, event.webhook_id, int(time.time()), body)
    result = AttemptResult(attempted_at=timezone.now(), duration_ms=0)
    started = time.monotonic()
    try:
        response = http.post(endpoint.url, body, headers, TIMEOUT_SECONDS)
        complete = False
        try:
            result.status_code = response.status
            result.response_excerpt, complete = _excerpt(response)
        finally:
            if not complete:  # unread bytes would garble the next request on it
                response.close()
            response.release_conn()
    except urlguard.UnsafeUrl as exc:
        result.error = exc.message
    except Exception as exc:  # every failure is an attempt to log, never a crash
        _failed(result, exc, elapsed=time.monotonic() - started)
    result.duration_ms = int((time.monotonic() - started) * 1000)
    return result


def _failed(result: AttemptResult, exc: Exception, *, elapsed: float) -> None:
    if elapsed < TIMEOUT_SECONDS:
        result.error = f"{type(exc).__name__}: {exc}"[:EXCERPT_CHARS]
        return
    # The deadline ended it: an answer that did not arrive in full is no answer.
    answered = f" (it answered HTTP {result.status_code})" if result.status_code else ""
    result.status_code = None
    result.error = f"The receiver did not answer within {TIMEOUT_SECONDS} seconds{answered}"


def _excerpt(response) -> tuple[str, bool]:
    """The start of the response body, and whether it was read to its end (reads on,
    to keep the connection, up to a limit)."""
    kept, size = b"", 0
    for chunk in response.stream(8192):
        if len(kept) < EXCERPT_CHARS:
            kept += chunk[: EXCERPT_CHARS - len(kept)]
        size += len(chunk)
        if size > MAX_READ_BYTES:
            return kept.decode("utf-8", "replace"), False
    return kept.decode("utf-8", "replace"), True
