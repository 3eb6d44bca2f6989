"""The PostgreSQL fast path of webhook delivery, all of it.

Each statement here does in one round trip what the portable code beside its
caller does with the ORM in several (on SQLite, which ``make run`` gives a
newcomer, the portable code runs). Callers choose with ``used()``.
"""

import functools
from contextlib import contextmanager

from django.db import connection, transaction

from scheduling.core.sql import insert_returning, instance_from_row

from ..models import DeliveryStatus, OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint


def used() -> bool:
    return connection.vendor == "postgresql"


@contextmanager
def bookkeeping():
    """A transaction for delivery bookkeeping that need not wait for the disk.

    On PostgreSQL it commits with ``synchronous_commit off``: a crash of the
    database may forget the last fraction of a second of attempts, which only
    means those deliveries are sent again (receivers de-duplicate by webhook-id).
    The events and deliveries themselves are written in the caller's transaction.
    """
    with transaction.atomic():
        if used():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


def outbox_insert(outbox: OutboxEvent) -> list[tuple[int, list]]:
    """Write the outbox row and read its company's active endpoints as ``(id, events)``
    in one statement, as ``emit()`` runs in every change."""
    rows = insert_returning(
        outbox,
        then="SELECT inserted.id, endpoint.id, endpoint.events FROM inserted "
             "LEFT JOIN webhooks_webhookendpoint endpoint ON endpoint.company_id = %s "
             "AND endpoint.active ORDER BY endpoint.created_at, endpoint.id",
        then_params=[outbox.company_id],
    )
    events = WebhookEndpoint._meta.get_field("events")
    return [(pk, events.from_db_value(value, None, connection))
            for _, pk, value in rows if pk is not None]


# What a sender reads of a delivery, its endpoint and its event (attnames), in one
# statement compiled once: the ORM's select_related() with only() costs about as
# much again as the statement itself, compiled anew for every batch.
LOADED = (
    (WebhookDelivery, "d", ("id", "endpoint_id", "event_id", "status", "attempt_count",
                            "next_attempt_at", "lock_token")),
    (WebhookEndpoint, "e", ("id", "url", "active", "secret", "failing_since")),
    (OutboxEvent, "o", ("id", "uuid", "event", "data", "created_at")),
)
_LOAD_SQL = f"""
    SELECT {", ".join(f"{alias}.{name}" for _, alias, names in LOADED for name in names)}
    FROM webhooks_webhookdelivery d
    JOIN webhooks_webhookendpoint e ON e.id = d.endpoint_id
    JOIN webhooks_outboxevent o ON o.id = d.event_id
    WHERE (d.id = ANY(%s) AND d.lock_token = %s AND d.status = %s) OR d.lock_token = %s
    ORDER BY d.next_attempt_at, d.id
"""  # noqa: S608 - column names from LOADED, values are parameters


def deliveries_load(ids: list[int], token: str, drain_token: str | None) -> list:
    """The pending deliveries ``token`` holds among ``ids`` and those ``drain_token``
    holds, with endpoint and event, as ``select_related("endpoint", "event")`` with
    ``only()`` the fields in ``LOADED`` would give them."""
    with connection.cursor() as cursor:
        cursor.execute(_LOAD_SQL, [list(ids), token, DeliveryStatus.PENDING, drain_token])
        rows = cursor.fetchall()
    deliveries = []
    for row in rows:
        objects, start = [], 0
        for model, _, names in LOADED:
            objects.append(instance_from_row(model, names, row[start:start + len(names)]))
            start += len(names)
        delivery, delivery.endpoint, delivery.event = objects
        deliveries.append(delivery)
    return deliveries


def attempts_log_and_settle(attempts: list[dict], settled: list[tuple]) -> set[int]:
    """Insert ``attempts`` (WebhookAttempt field values) and apply the changes of
    each ``(delivery, changes)`` in ``settled`` where the delivery's token still holds
    its lease, in one statement. Both lists are non-empty and every dict of a list
    has the same keys. Returns the ids of the deliveries settled."""
    attempt_names, settle_names = tuple(attempts[0]), tuple(settled[0][1])
    keys = [{"id": delivery.pk, "lock_token": delivery.lock_token} for delivery, _ in settled]
    params = [
        *_arrays(attempt_names, attempts),
        *_arrays(_KEYS, keys),
        *_arrays(settle_names, [changes for _, changes in settled]),
        DeliveryStatus.PENDING,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_log_and_settle_sql(attempt_names, settle_names), params)
        return {pk for (pk,) in cursor.fetchall()}


_KEYS = ("id", "lock_token")  # which delivery, and the lease a settlement needs


@functools.cache
def _log_and_settle_sql(attempt_names: tuple, settle_names: tuple) -> str:
    # Names come from the models; every value is a parameter.
    return f"""
        WITH logged AS (
            INSERT INTO webhooks_webhookattempt ({", ".join(attempt_names)})
            SELECT * FROM unnest({_casts(WebhookAttempt, attempt_names)})
        )
        UPDATE webhooks_webhookdelivery d
        SET {", ".join(f"{name} = s.{name}" for name in settle_names)}
        FROM unnest({_casts(WebhookDelivery, _KEYS + settle_names)})
            AS s (held_id, held_token, {", ".join(settle_names)})
        WHERE d.id = s.held_id AND d.lock_token = s.held_token AND d.status = %s
        RETURNING d.id
    """  # noqa: S608


def _casts(model, names: tuple) -> str:
    return ", ".join(f"%s::{model._meta.get_field(name).db_type(connection)}[]" for name in names)


def _arrays(names: tuple, rows: list[dict]) -> list[list]:
    """One array per field in ``names``, of its value in every row. The values are
    plain (numbers, text, booleans, UUIDs, aware datetimes, None), which the driver
    sends as they are; the casts of ``_casts`` give the arrays their types."""
    return [[row[name] for row in rows] for name in names]
