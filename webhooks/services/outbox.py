"""The outbox: events written in the transaction of the change they announce.

``emit()`` is the one door in. It writes the event and one delivery row per
subscribed endpoint in the caller's transaction; the rows are born leased and,
after commit, a ``deliver`` task carrying the lease's token is queued for each.
Rolled back with the caller, a failed change never announces itself; once
committed, an event is never lost.
"""

import json
import uuid
from functools import partial

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from ..models import OutboxEvent, WebhookDelivery, WebhookEndpoint
from . import postgres
from .broker import enqueue
from .leases import LEASE


def emit(company, event: str, data: dict) -> OutboxEvent:
    """Record ``event`` for ``company`` in the caller's transaction.

    ``data`` must be JSON-serialisable (datetimes are accepted and written as ISO
    8601 strings). Every active endpoint of the company subscribed to ``event``
    gets a delivery, sent after commit.
    """
    payload = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    outbox = OutboxEvent(company=company, event=event, data=payload)
    # No savepoint inside the caller's transaction: a failure here fails the caller.
    with transaction.atomic(savepoint=False):
        if postgres.used():
            endpoints = postgres.outbox_insert(outbox)
        else:
            outbox.save(force_insert=True)
            endpoints = WebhookEndpoint.objects.filter(company=company, active=True).values_list(
                "pk", "events")
        # Filtered in Python: JSON containment is not portable to SQLite, and a
        # company has a handful of endpoints.
        subscribed = [pk for pk, events in endpoints if event in events]
        if subscribed:
            deliveries_queue(outbox, subscribed)
    return outbox


def deliveries_queue(outbox: OutboxEvent, endpoint_ids: list[int]) -> list[WebhookDelivery]:
    """A delivery of ``outbox`` to each endpoint, born leased; the tasks are queued
    after commit."""
    token, now = uuid.uuid4(), timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint_id=endpoint_id, event=outbox, next_attempt_at=now,
            locked_until=now + LEASE, lock_token=token,
        )
        for endpoint_id in endpoint_ids
    )
    transaction.on_commit(partial(enqueue, [d.pk for d in deliveries], token))
    return deliveries
