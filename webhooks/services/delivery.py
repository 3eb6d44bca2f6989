"""Delivery: a sender's batch (send, settle, give back the rest), the sweep, redelivery.

Delivery works from the database, never from broker state. The ``deliver`` task
runs ``delivery_attempt()``: it renews the lease only if its token still holds
it, drains what waits for the same endpoint (``leases``), sends (``sending``) and
records each attempt and the next attempt time (``settlement``). The sweep
(Celery beat) leases every due delivery whose lease has expired or was never taken
and queues it again. A lost message, a worker killed mid-request or a broker
outage therefore only delays a delivery: once its lease runs out the sweep hands
it to a live worker. Receivers de-duplicate by ``webhook-id``, which is the
event's and the same on every attempt.
"""

import datetime as dt
import time
import uuid
from functools import partial

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from scheduling.core.errors import Conflict

from ..models import DeliveryStatus, WebhookDelivery
from . import postgres
from .broker import enqueue
from .endpoints import endpoints_note
from .leases import LEASE, deliveries_release, deliveries_take
from .sending import TIMEOUT_SECONDS, send
from .settlement import deliveries_cancel, deliveries_settle

SWEEP_BATCH = 500
# A batch sends no more once this much of its lease is gone, so no attempt can
# outlast the lease; what it did not send goes back to the queue.
SEND_BUDGET = (LEASE - dt.timedelta(seconds=TIMEOUT_SECONDS + 15)).total_seconds()


def delivery_attempt(*, delivery_id: int, token: str) -> WebhookDelivery | None:
    """Send one delivery if ``token`` still holds its lease; record the outcome.

    Idempotent per lease: a second task with the same token after the attempt was
    recorded finds the lease gone and does nothing. The sender also drains what
    waits in the queue for the same endpoint (see ``deliveries_send``).
    """
    sent = deliveries_send(ids=[delivery_id], token=token)
    return next((delivery for delivery in sent if delivery.pk == delivery_id), None)


def deliveries_send(*, ids: list[int], token: str) -> list[WebhookDelivery]:
    """Send the deliveries ``token`` holds among ``ids``, and up to ``DRAIN_BATCH`` more
    that wait in the queue for the same endpoints, one after another over one
    kept-alive connection; record every attempt. Returns the deliveries taken.

    A batch stops sending to an endpoint after its first failure and stops
    altogether once ``SEND_BUDGET`` of its lease is gone; what it did not send
    goes back to the queue, for the sweep.
    """
    deliveries = deliveries_take(ids, token)
    started, results, unsent, failed = time.monotonic(), [], [], set()
    for delivery in deliveries:
        if not delivery.endpoint.active:
            deliveries_cancel(WebhookDelivery.objects.filter(
                pk=delivery.pk, lock_token=delivery.lock_token), now=timezone.now())
        elif delivery.endpoint_id in failed or time.monotonic() - started > SEND_BUDGET:
            unsent.append(delivery)
        else:
            result = send(delivery)
            results.append((delivery, result))
            if not result.succeeded:
                failed.add(delivery.endpoint_id)
    _batch_record(results, unsent)
    return deliveries


def _batch_record(results: list[tuple], unsent: list[WebhookDelivery]) -> None:
    """Settle the batch's attempts, keep the endpoints' failure streaks and give back
    what was not sent, in one transaction."""
    if not results and not unsent:
        return
    now = timezone.now()
    with postgres.bookkeeping():
        settled = deliveries_settle(results, now)
        endpoints_note(results, settled, now)
        deliveries_release(unsent)


def deliveries_sweep(*, now=None, limit: int = SWEEP_BATCH) -> int:
    """Lease every due delivery that no live sender holds and queue it. Returns the count.

    ``now`` is the sweep's idea of the time (tests move it forward instead of waiting).
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        ids = list(due)
        if ids:
            token = uuid.uuid4()
            WebhookDelivery.objects.filter(pk__in=ids).update(
                lock_token=token, locked_until=now + LEASE, sending=False
            )
            transaction.on_commit(partial(enqueue, ids, token))
    return len(ids)


@transaction.atomic
def delivery_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Queue the delivery again now, with the same ``webhook-id`` and a fresh retry schedule."""
    delivery = WebhookDelivery.objects.select_for_update().select_related("endpoint").get(
        pk=delivery.pk
    )
    if not delivery.endpoint.active:
        raise Conflict("This webhook is disabled; enable it before redelivering")
    now, token = timezone.now(), uuid.uuid4()
    delivery.status, delivery.attempt_count, delivery.settled_at = DeliveryStatus.PENDING, 0, None
    delivery.next_attempt_at, delivery.locked_until, delivery.lock_token = now, now + LEASE, token
    delivery.sending = False
    delivery.save(update_fields=[
        "status", "attempt_count", "settled_at", "next_attempt_at", "locked_until", "lock_token",
        "sending",
    ])
    transaction.on_commit(partial(enqueue, [delivery.pk], token))
    return delivery
