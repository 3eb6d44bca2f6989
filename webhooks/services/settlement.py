"""What an attempt's outcome writes: the attempt's log row, and the delivery settled
(succeeded, failed for good, cancelled) or scheduled for its next attempt."""

import datetime as dt

from django.db.models import QuerySet

from ..models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from . import postgres
from .leases import RELEASED
from .sending import AttemptResult

# Waits after the 1st, 2nd, ... failed attempt; after the last one the delivery fails.
RETRY_DELAYS = (
    dt.timedelta(seconds=5),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=5),
    dt.timedelta(hours=10),
    dt.timedelta(hours=10),
)


def settlement(delivery: WebhookDelivery, result: AttemptResult, now: dt.datetime) -> dict:
    """The fields an attempt's outcome sets on its delivery, the same fields for
    every outcome: a success settles it, so does an HTTP 410 or the last retry
    failing; another failure schedules the next attempt. Either way the lease ends."""
    attempt_count = delivery.attempt_count + 1
    if result.succeeded:
        status, next_attempt_at = DeliveryStatus.SUCCEEDED, None
    elif result.status_code == 410 or attempt_count > len(RETRY_DELAYS):
        status, next_attempt_at = DeliveryStatus.FAILED, None
    else:
        status, next_attempt_at = DeliveryStatus.PENDING, now + RETRY_DELAYS[attempt_count - 1]
    return {
        "attempt_count": attempt_count, "last_status_code": result.status_code,
        "status": status, "next_attempt_at": next_attempt_at,
        "settled_at": None if status == DeliveryStatus.PENDING else now, **RELEASED,
    }


def attempt_log(delivery: WebhookDelivery, result: AttemptResult) -> dict:
    """The ``WebhookAttempt`` row of one attempt, as field values."""
    return {
        "delivery_id": delivery.pk, "attempted_at": result.attempted_at,
        "duration_ms": result.duration_ms, "status_code": result.status_code,
        "response_excerpt": result.response_excerpt, "error": result.error,
        "succeeded": result.succeeded,
    }


def deliveries_settle(results: list[tuple], now: dt.datetime) -> set[int]:
    """Log every ``(delivery, result)`` attempt and apply its settlement where the
    delivery's token still holds the lease (a redelivery or a sweep may have taken
    it). Returns the ids settled; their objects carry the new values."""
    if not results:
        return set()
    attempts = [attempt_log(delivery, result) for delivery, result in results]
    settled = [(delivery, settlement(delivery, result, now)) for delivery, result in results]
    if postgres.used():
        held = postgres.attempts_log_and_settle(attempts, settled)
    else:
        WebhookAttempt.objects.bulk_create(WebhookAttempt(**attempt) for attempt in attempts)
        held = {delivery.pk for delivery, changes in settled if WebhookDelivery.objects.filter(
            pk=delivery.pk, lock_token=delivery.lock_token, status=DeliveryStatus.PENDING,
        ).update(**changes)}
    for delivery, changes in settled:
        if delivery.pk in held:
            for name, value in changes.items():
                setattr(delivery, name, value)
    return held


def deliveries_cancel(deliveries: QuerySet, *, now: dt.datetime) -> int:
    """Settle the pending ``deliveries`` as cancelled (their endpoint was disabled)."""
    return deliveries.filter(status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.CANCELLED, next_attempt_at=None, settled_at=now, **RELEASED,
    )

