"""Webhooks: the one door in (``emit()``), endpoints, and delivery.

Delivery works from the database, never from broker state:

* ``emit()`` writes the event and one delivery row per subscribed endpoint in the
  caller's transaction. The rows are born leased (``lock_token``,
  ``locked_until``) and after commit a ``deliver`` task carrying the token is
  queued for each.
* ``delivery_attempt()`` (the task) renews the lease only if it still holds the
  token, sends, and records the attempt and the next attempt time. It also takes
  over up to ``DRAIN_BATCH`` deliveries waiting in the queue for the same
  endpoint (never one another sender has in hand: ``sending``) and sends them
  over the same connection; their own tasks then find the lease gone.
* ``deliveries_sweep()`` (Celery beat) leases every due delivery whose lease has
  expired or was never taken and queues it again. A lost message, a worker killed
  mid-request or a broker outage therefore only delays a delivery: once its lease
  runs out the sweep hands it to a live worker. Receivers de-duplicate by
  ``webhook-id``, which is the event's and the same on every attempt.
"""

import datetime as dt
import json
import logging
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from scheduling.choices import Role
from scheduling.core import http, urlguard
from scheduling.core.errors import Conflict, DomainError
from scheduling.models import Company, Membership

from . import events as event_types
from . import signing
from .models import DeliveryStatus, OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger("termin.webhooks")

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
TIMEOUT_SECONDS = 15
# Longer than one attempt can take (the timeout plus DNS and bookkeeping), so a
# live sender never loses its lease mid-request.
LEASE = dt.timedelta(seconds=60)
DISABLE_AFTER = dt.timedelta(days=5)
EXCERPT_CHARS = 1000
MAX_READ_BYTES = 64 * 1024
SWEEP_BATCH = 500
# A sender takes, beside the deliveries its task names, up to this many more that
# wait in the queue for the same endpoint (their own tasks then find nothing to do).
DRAIN_BATCH = 20
# A batch sends no more once this much of its lease is gone, so no attempt can
# outlast the lease; what it did not send goes back to the queue.
SEND_BUDGET = (LEASE - dt.timedelta(seconds=TIMEOUT_SECONDS + 15)).total_seconds()
# How long the cache remembers a lease a drain took over (see ``_taken_over``).
TAKEN_OVER_TTL = 3600
TEST_EVENT = "webhook_test"


# -- emitting ------------------------------------------------------------------


def emit(company, event: str, data: dict) -> OutboxEvent:
    """Record ``event`` for ``company`` in the caller's transaction.

    Rolled back with the caller, so a failed change never announces itself; once
    committed it is never lost. ``data`` must be JSON-serialisable (datetimes are
    accepted and written as ISO 8601 strings). Every active endpoint of the company
    subscribed to ``event`` gets a delivery, sent after commit.
    """
    payload = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    # No savepoint inside the caller's transaction: a failure here fails the caller.
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            outbox, endpoints = _outbox_insert(company, event, payload)
        else:
            outbox = OutboxEvent.objects.create(company=company, event=event, data=payload)
            endpoints = WebhookEndpoint.objects.filter(company=company, active=True).only("events")
        # Filtered in Python: JSON containment is not portable to SQLite, and a
        # company has a handful of endpoints.
        subscribed = [endpoint for endpoint in endpoints if event in endpoint.events]
        if subscribed:
            _deliveries_queue(outbox, subscribed)
    return outbox


def _outbox_insert(company, event: str, payload) -> tuple[OutboxEvent, list[WebhookEndpoint]]:
    """PostgreSQL: the outbox row written and the company's active endpoints read
    (as ``only("events")`` would) in one statement, as emit() runs in every change."""
    outbox = OutboxEvent(company=company, event=event, data=payload)
    fields = [field for field in OutboxEvent._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    values = ", ".join(["%s"] * len(fields))
    # Column names come from the model; every value is a parameter.
    sql = (f"WITH outbox AS (INSERT INTO webhooks_outboxevent ({columns}) VALUES ({values}) "  # noqa: S608
           "RETURNING id) SELECT outbox.id, endpoint.id, endpoint.events FROM outbox "
           "LEFT JOIN webhooks_webhookendpoint endpoint ON endpoint.company_id = %s "
           "AND endpoint.active ORDER BY endpoint.created_at, endpoint.id")
    params = [field.get_db_prep_save(field.pre_save(outbox, add=True), connection)
              for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, company.pk])
        rows = cursor.fetchall()
    outbox.pk = rows[0][0]
    outbox._state.adding, outbox._state.db = False, connection.alias
    events_field = WebhookEndpoint._meta.get_field("events")
    endpoints = [
        WebhookEndpoint.from_db(connection.alias, ["id", "events"],
                                [pk, events_field.from_db_value(events, None, connection)])
        for _, pk, events in rows if pk is not None
    ]
    return outbox, endpoints


def _deliveries_queue(outbox: OutboxEvent, endpoints: list[WebhookEndpoint]) -> list:
    token, now = uuid.uuid4(), timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=endpoint, event=outbox, next_attempt_at=now,
            locked_until=now + LEASE, lock_token=token,
        )
        for endpoint in endpoints
    )
    transaction.on_commit(partial(_enqueue, [d.pk for d in deliveries], token))
    return deliveries


class BrokerBreaker:
    """Stops publishing for a while after the broker refused a message.

    Kombu keeps retrying a refused connection for its connect timeout (seconds),
    which would hold up every committing request during a broker outage. After one
    failure this process leaves its deliveries to the sweep for ``PAUSE`` seconds.
    """

    PAUSE = 10.0

    def __init__(self):
        self.closed_until = 0.0

    def allows(self) -> bool:
        return time.monotonic() >= self.closed_until

    def trip(self) -> None:
        self.closed_until = time.monotonic() + self.PAUSE

    def reset(self) -> None:
        self.closed_until = 0.0


broker_breaker = BrokerBreaker()


def _enqueue(delivery_ids: list[int], token: uuid.UUID) -> None:
    """Queue a ``deliver`` task per delivery; with the broker down, hand them to the sweep."""
    from .tasks import deliver

    for index, delivery_id in enumerate(delivery_ids):
        try:
            if not broker_breaker.allows():
                raise ConnectionError("the broker failed moments ago")
            deliver.apply_async((delivery_id, str(token)), retry=False)
        except Exception as exc:
            if broker_breaker.allows():
                broker_breaker.trip()
                logger.warning("Broker unavailable (%s); the sweep will deliver these webhooks "
                               "once it is back", exc)
            # Give the lease back so the next sweep takes them without waiting for it to run out.
            WebhookDelivery.objects.filter(
                pk__in=delivery_ids[index:], lock_token=token
            ).update(locked_until=None, lock_token=None)
            return


# -- endpoints -------------------------------------------------------------------


def check_events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(event_types.ALL))
    if unknown:
        raise DomainError(f"Unknown event type: {', '.join(unknown)}", field="events")
    if not events:
        raise DomainError("Choose at least one event type", field="events")
    return list(dict.fromkeys(events))


# meetergo's limit (developer-docs/webhooks/overview), for every way in: /webhooks,
# /v4/webhooks and the admin.
MAX_ENDPOINTS_PER_COMPANY = 6
TOO_MANY_ENDPOINTS = (
    f"A company can have at most {MAX_ENDPOINTS_PER_COMPANY} webhooks: delete one to add another"
)


def endpoint_create(
    *, company, url: str, events: list[str] | None = None, description: str = "",
    active: bool = True,
) -> WebhookEndpoint:
    """A new endpoint (all event types when ``events`` is None). Refuses unsafe URLs,
    and a company's 7th endpoint (409), disabled ones included. The company row is
    locked while counting, so two creates at once cannot both take the last place."""
    urlguard.check_url(url)
    events = check_events(list(event_types.ALL) if events is None else events)
    with transaction.atomic():
        list(Company.objects.select_for_update().filter(pk=company.pk).values_list("pk"))
        if WebhookEndpoint.objects.filter(company=company).count() >= MAX_ENDPOINTS_PER_COMPANY:
            raise Conflict(TOO_MANY_ENDPOINTS)
        return WebhookEndpoint.objects.create(
            company=company, url=url, events=events, description=description, active=active,
            secret=signing.new_secret(),
        )


def endpoint_update(*, endpoint: WebhookEndpoint, **changes) -> WebhookEndpoint:
    """Change ``url``, ``events``, ``description`` or ``active``.

    Re-enabling a disabled endpoint clears the reason and the failure streak.
    """
    if "url" in changes:
        urlguard.check_url(changes["url"])
    if "events" in changes:
        changes["events"] = check_events(changes["events"])
    if changes.get("active") and not endpoint.active:
        changes.update(disabled_reason="", disabled_at=None, failing_since=None)
    for name, value in changes.items():
        setattr(endpoint, name, value)
    endpoint.updated_at = timezone.now()
    endpoint.save(update_fields=[*changes, "updated_at"])
    return endpoint


def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()


@transaction.atomic
def endpoint_send_test(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Send a ``webhook_test`` event to this endpoint only, through the normal delivery."""
    if not endpoint.active:
        raise Conflict("This webhook is disabled; enable it before sending a test event")
    outbox = OutboxEvent.objects.create(
        company=endpoint.company, event=TEST_EVENT,
        data={"webhookId": str(endpoint.uuid), "message": "A test event from Termin"},
    )
    return _deliveries_queue(outbox, [endpoint])[0]


def endpoint_disable(*, endpoint: WebhookEndpoint, reason: str, now=None) -> bool:
    """Disable the endpoint, cancel what is still queued for it and tell the owners.

    Returns False when it was already disabled (nothing done, no second email).
    """
    now = now or timezone.now()
    with transaction.atomic():
        changed = WebhookEndpoint.objects.filter(pk=endpoint.pk, active=True).update(
            active=False, disabled_reason=reason[:200], disabled_at=now, updated_at=now
        )
        if not changed:
            return False
        WebhookDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.CANCELLED, next_attempt_at=None, settled_at=now,
            locked_until=None, lock_token=None,
        )
        transaction.on_commit(partial(_owners_notify_disabled, endpoint.pk))
    endpoint.active, endpoint.disabled_reason, endpoint.disabled_at = False, reason, now
    return True


def _owners_notify_disabled(endpoint_id: int) -> None:
    endpoint = WebhookEndpoint.objects.select_related("company").get(pk=endpoint_id)
    owners = Membership.objects.filter(company=endpoint.company, role=Role.OWNER)
    recipients = [m.user.email for m in owners.select_related("user")]
    if not recipients:
        return
    context = {"endpoint": endpoint, "company": endpoint.company, "site_url": settings.SITE_URL}
    subject = render_to_string("emails/webhook_disabled_subject.txt", context).strip()
    body = render_to_string("emails/webhook_disabled.txt", context)
    send_mail(subject, body, None, recipients)


def endpoints_disable_failing(*, now=None) -> int:
    """Disable every active endpoint all of whose deliveries failed for DISABLE_AFTER."""
    now = now or timezone.now()
    failing = WebhookEndpoint.objects.filter(active=True, failing_since__lte=now - DISABLE_AFTER)
    return sum(endpoint_disable(endpoint=e, reason=_failing_reason(), now=now) for e in failing)


def _failing_reason() -> str:
    return f"Every delivery failed for {DISABLE_AFTER.days} days"


# -- delivering ------------------------------------------------------------------


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
    deliveries = _deliveries_take(ids, token)
    started, results, unsent, failed = time.monotonic(), [], [], set()
    for delivery in deliveries:
        if not delivery.endpoint.active:
            _delivery_cancel(delivery, delivery.lock_token)
        elif delivery.endpoint_id in failed or time.monotonic() - started > SEND_BUDGET:
            unsent.append(delivery)
        else:
            result = send(delivery)
            results.append((delivery, result))
            if not result.succeeded:
                failed.add(delivery.endpoint_id)
    _deliveries_record(results, unsent)
    return deliveries


def _deliveries_take(ids: list[int], token: str) -> list[WebhookDelivery]:
    """Renew ``token``'s lease on ``ids`` and take over what waits for their endpoints."""
    # Most tasks of a drained endpoint end here, without a query.
    if _taken_over(ids, token):
        return []
    now = timezone.now()
    held = WebhookDelivery.objects.filter(
        pk__in=ids, lock_token=token, status=DeliveryStatus.PENDING
    )
    superseded, drain_token = [], None
    with _bookkeeping():
        if not held.update(locked_until=now + LEASE, sending=True):
            return []
        own = Q(pk__in=ids, lock_token=token, status=DeliveryStatus.PENDING)
        taken = own
        if DRAIN_BATCH:
            endpoint_ids = WebhookDelivery.objects.filter(own, endpoint__active=True).values(
                "endpoint_id"
            )
            waiting = list(
                WebhookDelivery.objects.select_for_update(skip_locked=True)
                .filter(endpoint_id__in=endpoint_ids, status=DeliveryStatus.PENDING,
                        next_attempt_at__lte=now, sending=False)
                .exclude(pk__in=ids)
                .order_by("next_attempt_at")
                .values_list("pk", "lock_token")[:DRAIN_BATCH]
            )
            if waiting:
                drain_token = str(uuid.uuid4())
                superseded = [(pk, queued) for pk, queued in waiting if queued is not None]
                waiting = [pk for pk, _ in waiting]
                WebhookDelivery.objects.filter(pk__in=waiting).update(
                    lock_token=drain_token, locked_until=now + LEASE, sending=True
                )
                taken = own | Q(lock_token=drain_token)
        if connection.vendor == "postgresql":
            deliveries = _deliveries_load(ids, token, drain_token)
        else:
            deliveries = list(
                WebhookDelivery.objects.select_related("endpoint", "event")
                .filter(taken).order_by("next_attempt_at", "pk")
            )
    _mark_taken_over(superseded)
    # One endpoint object per endpoint, so the batch keeps one failure streak.
    endpoints = {}
    for delivery in deliveries:
        delivery.endpoint = endpoints.setdefault(delivery.endpoint_id, delivery.endpoint)
    return deliveries


def send(delivery: WebhookDelivery) -> AttemptResult:
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


def delivery_record(
    *, delivery: WebhookDelivery, token: str, result: AttemptResult
) -> WebhookDelivery:
    """Log the attempt and settle the delivery or schedule its next attempt.

    ``delivery`` is as the lease holder read it; the update applies only while
    ``token`` still holds the lease (a redelivery or a sweep may have taken it).
    """
    delivery.lock_token = token
    _deliveries_record([(delivery, result)], [])
    return delivery


# What a sender needs of a delivery, its endpoint and its event, in one statement
# that is not compiled again for every batch (PostgreSQL).
_LOAD_FIELDS = (
    (WebhookDelivery, "d", ("id", "endpoint_id", "event_id", "attempt_count", "lock_token",
                            "next_attempt_at", "status")),
    (WebhookEndpoint, "e", ("id", "url", "secret", "active", "failing_since")),
    (OutboxEvent, "o", ("id", "uuid", "event", "data", "created_at")),
)
# The columns of _LOAD_FIELDS, in their order.
_LOAD_SQL = """
    SELECT d.id, d.endpoint_id, d.event_id, d.attempt_count, d.lock_token, d.next_attempt_at,
           d.status, e.id, e.url, e.secret, e.active, e.failing_since,
           o.id, o.uuid, o.event, o.data, o.created_at
    FROM webhooks_webhookdelivery d
    JOIN webhooks_webhookendpoint e ON e.id = d.endpoint_id
    JOIN webhooks_outboxevent o ON o.id = d.event_id
    WHERE (d.id = ANY(%s) AND d.lock_token = %s AND d.status = %s) OR d.lock_token = %s
    ORDER BY d.next_attempt_at, d.id
"""


def _deliveries_load(ids: list[int], token: str, drain_token: str | None) -> list:
    """The deliveries this sender holds, with endpoint and event (only the fields sending
    and recording read), as ``select_related("endpoint", "event")`` would give them."""
    with connection.cursor() as cursor:
        cursor.execute(_LOAD_SQL, [list(ids), token, DeliveryStatus.PENDING, drain_token])
        rows = cursor.fetchall()
    json_fields = {OutboxEvent: OutboxEvent._meta.get_field("data")}
    deliveries = []
    for row in rows:
        objects, start = [], 0
        for model, _, names in _LOAD_FIELDS:
            values = list(row[start:start + len(names)])
            start += len(names)
            if model in json_fields:
                index = names.index("data")
                values[index] = json_fields[model].from_db_value(values[index], None, connection)
            # from_db takes the values in the model's field order.
            by_name = dict(zip(names, values, strict=True))
            order = [f.attname for f in model._meta.concrete_fields if f.attname in by_name]
            objects.append(model.from_db(
                connection.alias, order, [by_name[name] for name in order]))
        delivery, endpoint, event = objects
        delivery.endpoint, delivery.event = endpoint, event
        deliveries.append(delivery)
    return deliveries


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


def _deliveries_record(results: list, unsent: list[WebhookDelivery]) -> None:
    """Log every attempt of a batch and settle each delivery, in one transaction.

    Each update applies only while the delivery's token still holds its lease.
    Successes with the same status code settle in one statement; failures, rare,
    one by one. ``unsent`` deliveries go back to the queue as they were.
    """
    if not results and not unsent:
        return
    now = timezone.now()
    succeeded = [(delivery, result) for delivery, result in results if result.succeeded]
    with _bookkeeping():
        if connection.vendor == "postgresql":
            _attempts_log_and_settle(results, succeeded, now)
        else:
            _attempts_log(results)
            _successes_settle(succeeded, now)
        for delivery, result in succeeded:
            delivery.attempt_count += 1
            delivery.last_status_code = result.status_code
            delivery.locked_until = delivery.lock_token = None
            delivery.sending = False
            for name, value in _settled(DeliveryStatus.SUCCEEDED, now).items():
                setattr(delivery, name, value)
        noted = set()
        for delivery, result in results:
            if result.succeeded and delivery.endpoint_id not in noted:
                noted.add(delivery.endpoint_id)
                _endpoint_note(delivery.endpoint, result, now)
        for delivery, result in results:
            if not result.succeeded:
                _delivery_fail(delivery, result, now)
        for token, group in _by_token(unsent).items():
            WebhookDelivery.objects.filter(pk__in=[d.pk for d in group], lock_token=token).update(
                locked_until=None, lock_token=None, sending=False
            )


def _attempts_log(results: list) -> None:
    WebhookAttempt.objects.bulk_create(
        WebhookAttempt(
            delivery=delivery, attempted_at=result.attempted_at,
            duration_ms=result.duration_ms, status_code=result.status_code,
            response_excerpt=result.response_excerpt, error=result.error,
            succeeded=result.succeeded,
        )
        for delivery, result in results
    )


def _successes_settle(succeeded: list, now: dt.datetime) -> None:
    groups: dict[tuple, list[int]] = {}
    for delivery, result in succeeded:
        groups.setdefault((delivery.lock_token, result.status_code), []).append(delivery.pk)
    for (token, status_code), pks in groups.items():
        WebhookDelivery.objects.filter(
            pk__in=pks, lock_token=token, status=DeliveryStatus.PENDING
        ).update(
            attempt_count=F("attempt_count") + 1, last_status_code=status_code,
            locked_until=None, lock_token=None, sending=False,
            **_settled(DeliveryStatus.SUCCEEDED, now),
        )


# PostgreSQL: every attempt of a batch logged and its successes settled in one
# statement (what _attempts_log and _successes_settle do in several).
_LOG_AND_SETTLE_SQL = """
    WITH logged AS (
        INSERT INTO webhooks_webhookattempt
            (delivery_id, attempted_at, duration_ms, status_code, response_excerpt, error,
             succeeded)
        SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], %s::integer[], %s::integer[],
                             %s::text[], %s::text[], %s::boolean[])
    )
    UPDATE webhooks_webhookdelivery d
    SET attempt_count = d.attempt_count + 1, last_status_code = settled.status_code,
        locked_until = NULL, lock_token = NULL, sending = false, status = %s,
        next_attempt_at = NULL, settled_at = %s
    FROM unnest(%s::bigint[], %s::uuid[], %s::integer[]) AS settled (id, token, status_code)
    WHERE d.id = settled.id AND d.lock_token = settled.token AND d.status = %s
"""


def _attempts_log_and_settle(results: list, succeeded: list, now: dt.datetime) -> None:
    attempts = [
        (d.pk, r.attempted_at, r.duration_ms, r.status_code, r.response_excerpt, r.error,
         r.succeeded)
        for d, r in results
    ]
    settled = [(d.pk, d.lock_token, r.status_code) for d, r in succeeded]
    columns = [list(column) for column in zip(*attempts, strict=True)] or [[]] * 7
    settled_columns = [list(column) for column in zip(*settled, strict=True)] or [[]] * 3
    with connection.cursor() as cursor:
        cursor.execute(_LOG_AND_SETTLE_SQL, [
            *columns, DeliveryStatus.SUCCEEDED, now, *settled_columns, DeliveryStatus.PENDING,
        ])


def _delivery_fail(delivery: WebhookDelivery, result: AttemptResult, now: dt.datetime) -> None:
    changes = _settlement(delivery, result, now)
    held = WebhookDelivery.objects.filter(
        pk=delivery.pk, lock_token=delivery.lock_token, status=DeliveryStatus.PENDING
    ).update(**changes)
    if held:
        for name, value in changes.items():
            setattr(delivery, name, value)
        _endpoint_note(delivery.endpoint, result, delivery.settled_at or now)


def _by_token(deliveries: list[WebhookDelivery]) -> dict:
    groups: dict = {}
    for delivery in deliveries:
        groups.setdefault(delivery.lock_token, []).append(delivery)
    return groups


@contextmanager
def _bookkeeping():
    """A transaction for delivery bookkeeping that need not wait for the disk.

    On PostgreSQL it commits with ``synchronous_commit off``: a crash of the
    database may forget the last fraction of a second of attempts, which only
    means those deliveries are sent again (receivers de-duplicate by webhook-id).
    The events and deliveries themselves are written in the caller's transaction.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


def _settlement(delivery: WebhookDelivery, result: AttemptResult, now: dt.datetime) -> dict:
    attempt_count = delivery.attempt_count + 1
    changes = {
        "attempt_count": attempt_count, "last_status_code": result.status_code,
        "locked_until": None, "lock_token": None, "sending": False,
    }
    if result.succeeded:
        return {**changes, **_settled(DeliveryStatus.SUCCEEDED, now)}
    if result.status_code == 410 or attempt_count > len(RETRY_DELAYS):
        return {**changes, **_settled(DeliveryStatus.FAILED, now)}
    return {**changes, "next_attempt_at": now + RETRY_DELAYS[attempt_count - 1]}


def _settled(status: str, now: dt.datetime) -> dict:
    return {"status": status, "next_attempt_at": None, "settled_at": now}


def _endpoint_note(endpoint: WebhookEndpoint, result: AttemptResult, now: dt.datetime) -> None:
    """Keep the endpoint's failure streak; disable it on 410 or after DISABLE_AFTER."""
    if result.succeeded:
        if endpoint.failing_since is not None:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
            endpoint.failing_since = None
    elif result.status_code == 410:
        endpoint_disable(endpoint=endpoint, reason="The endpoint answered HTTP 410 Gone", now=now)
    elif endpoint.failing_since is None:
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
            failing_since=now
        )
        endpoint.failing_since = now
    elif endpoint.failing_since <= now - DISABLE_AFTER:
        endpoint_disable(endpoint=endpoint, reason=_failing_reason(), now=now)


def _delivery_cancel(delivery: WebhookDelivery, token: str) -> None:
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk, lock_token=token).update(
        status=DeliveryStatus.CANCELLED, next_attempt_at=None, settled_at=now,
        locked_until=None, lock_token=None, sending=False,
    )


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
            transaction.on_commit(partial(_enqueue, ids, token))
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
    transaction.on_commit(partial(_enqueue, [delivery.pk], token))
    return delivery
