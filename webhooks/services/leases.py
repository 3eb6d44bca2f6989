"""Leases on deliveries: who may attempt one, and the drain that takes over waiting ones.

A delivery is attempted only by whoever holds its ``lock_token`` until
``locked_until``. A sender renews the lease of the deliveries its task names and
takes over, beside them, up to ``DRAIN_BATCH`` deliveries waiting in the queue for
the same endpoint (never one another sender has in hand: ``sending``). Their own
tasks then find the lease gone; a note in the cache lets most of them end without
a query.
"""

import datetime as dt
import logging
import uuid

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from ..models import DeliveryStatus, WebhookDelivery
from . import postgres

logger = logging.getLogger("termin.webhooks")

# Longer than one attempt can take (the timeout plus DNS and bookkeeping), so a
# live sender never loses its lease mid-request.
LEASE = dt.timedelta(seconds=60)
# A sender takes, beside the deliveries its task names, up to this many more that
# wait in the queue for the same endpoint (their own tasks then find nothing to do).
DRAIN_BATCH = 20
# How long the cache remembers a lease a drain took over (see ``_taken_over``).
TAKEN_OVER_TTL = 3600
# What a delivery that no sender holds has in its lease fields.
RELEASED = {"locked_until": None, "lock_token": None, "sending": False}


def deliveries_take(ids: list[int], token: str) -> list[WebhookDelivery]:
    """Renew ``token``'s lease on ``ids`` and take over what waits for their endpoints.

    Returns the deliveries taken (pending, ``sending``), oldest due first, with
    endpoint and event; one endpoint object per endpoint, so a batch keeps one
    failure streak. Empty when ``token`` holds none of ``ids`` any more.
    """
    # Most tasks of a drained endpoint end here, without a query.
    if _taken_over(ids, token):
        return []
    now = timezone.now()
    own = Q(pk__in=ids, lock_token=token, status=DeliveryStatus.PENDING)
    with postgres.bookkeeping():
        if not WebhookDelivery.objects.filter(own).update(locked_until=now + LEASE, sending=True):
            return []
        drain_token, superseded = _drain(own, ids, now)
        if postgres.used():
            deliveries = postgres.deliveries_load(ids, token, drain_token)
        else:
            taken = own | Q(lock_token=drain_token) if drain_token else own
            deliveries = list(WebhookDelivery.objects.select_related("endpoint", "event")
                              .filter(taken).order_by("next_attempt_at", "pk"))
    _mark_taken_over(superseded)
    endpoints = {}
    for delivery in deliveries:
        delivery.endpoint = endpoints.setdefault(delivery.endpoint_id, delivery.endpoint)
    return deliveries


def _drain(own: Q, ids: list[int], now: dt.datetime) -> tuple[str | None, list]:
    """Lease to a new token up to ``DRAIN_BATCH`` due deliveries waiting for the
    endpoints of ``own``. Returns the token (None when nothing waits) and the
    ``(id, token)`` leases it superseded."""
    if not DRAIN_BATCH:
        return None, []
    endpoint_ids = WebhookDelivery.objects.filter(own, endpoint__active=True).values("endpoint_id")
    waiting = list(
        WebhookDelivery.objects.select_for_update(skip_locked=True)
        .filter(endpoint_id__in=endpoint_ids, status=DeliveryStatus.PENDING,
                next_attempt_at__lte=now, sending=False)
        .exclude(pk__in=ids)
        .order_by("next_attempt_at")
        .values_list("pk", "lock_token")[:DRAIN_BATCH]
    )
    if not waiting:
        return None, []
    drain_token = str(uuid.uuid4())
    WebhookDelivery.objects.filter(pk__in=[pk for pk, _ in waiting]).update(
        lock_token=drain_token, locked_until=now + LEASE, sending=True
    )
    return drain_token, [(pk, queued) for pk, queued in waiting if queued is not None]


def deliveries_release(deliveries: list[WebhookDelivery]) -> None:
    """Give back the leases on ``deliveries`` (those their tokens still hold), so the
    next sweep takes them without waiting for the leases to run out."""
    groups: dict = {}
    for delivery in deliveries:
        groups.setdefault(delivery.lock_token, []).append(delivery.pk)
    for token, pks in groups.items():
        WebhookDelivery.objects.filter(pk__in=pks, lock_token=token).update(**RELEASED)


def _taken_key(delivery_id: int, token) -> str:
    return f"webhooks:taken-over:{delivery_id}:{token}"


def _mark_taken_over(superseded: list[tuple[int, uuid.UUID]]) -> None:
    """Note in the cache the leases a drain took over (after its commit), so their
    own tasks end without a query. Only a shortcut: without the note the task
    asks the database and finds the lease gone all the same."""
    if not superseded:
        return
    try:
        cache.set_many({_taken_key(pk, token): 1 for pk, token in superseded}, TAKEN_OVER_TTL)
    except Exception as exc:
        logger.warning("Could not note taken-over webhook leases: %s", exc)


def _taken_over(ids: list[int], token: str) -> bool:
    """True when a drain took over every one of these leases (so nothing to do)."""
    try:
        return len(cache.get_many([_taken_key(pk, token) for pk in ids])) == len(ids)
    except Exception:
        return False
