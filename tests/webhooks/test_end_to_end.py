"""Delivery through a real Celery worker process, real Redis and a real receiver
on 127.0.0.1: signatures, retries with one webhook-id, rollbacks, a broker
outage and a worker killed mid-request. Time moves by telling the sweep the
time, never by sleeping for minutes."""

import contextlib
import datetime as dt
import time

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook

from config.celery import app
from tests.conftest import client_for
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.services.broker import broker_breaker
from webhooks.services.delivery import deliveries_sweep
from webhooks.services.endpoints import endpoint_create
from webhooks.services.leases import LEASE
from webhooks.services.outbox import emit

from .processes import kill, publishing_to, redis_server, worker

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BOOKING = {
    "id": "appt-1", "appointmentId": "appt-1", "meetingTypeId": "mt-1",
    "start": "2024-01-15T09:00:00+01:00", "end": "2024-01-15T09:30:00+01:00",
    "attendee": {"attendeeId": "a1", "email": "jane@example.com"},
    "attendees": [{"attendeeId": "a1", "email": "jane@example.com"}], "hostIds": ["h1"],
}


@pytest.fixture(autouse=True)
def real_broker():
    """Tasks go through the broker to the worker process instead of running inline."""
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True
    broker_breaker.reset()


@pytest.fixture
def endpoint(company, receiver, allow_private):
    return endpoint_create(company=company, url=receiver.url)


def book(company, n: int = 0):
    with transaction.atomic():
        return emit(company, "booking_created", {**BOOKING, "id": f"appt-{n}"})


def wait_until(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.05)


def attempts_recorded(delivery: WebhookDelivery, count: int) -> bool:
    delivery.refresh_from_db()
    return delivery.attempt_count >= count and delivery.lock_token is None


def test_a_new_employee_and_a_booking_arrive_signed_through_the_worker(
    company, owner, endpoint, receiver
):
    with worker():
        created = client_for(owner).post("/v4/user", {"email": "new@example.com"}, format="json")
        assert created.status_code == 201
        booking = book(company)
        requests = receiver.wait_for(2)
    payloads = {r.webhook_id: Webhook(endpoint.secret).verify(r.body, r.headers)
                for r in requests}
    user_event = next(p for p in payloads.values() if p["event"] == "new_employee")
    assert user_event["data"]["email"] == user_event["email"] == "new@example.com"
    assert payloads[booking.webhook_id]["webhookType"] == "booking_created"
    assert payloads[booking.webhook_id]["id"] == payloads[booking.webhook_id]["data"]["id"]


def test_a_receiver_failing_three_times_gets_the_same_webhook_id_on_success(
    company, endpoint, receiver
):
    receiver.script = [500, 502, 503]
    with worker():
        event = book(company)
        delivery = WebhookDelivery.objects.get(event=event)
        for number in (1, 2, 3):
            wait_until(lambda n=number: attempts_recorded(delivery, n))
            assert delivery.status == DeliveryStatus.PENDING
            assert deliveries_sweep(now=delivery.next_attempt_at) == 1
        wait_until(lambda: attempts_recorded(delivery, 4))
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert [r.webhook_id for r in receiver.requests] == [event.webhook_id] * 4
    for request in receiver.requests:
        Webhook(endpoint.secret).verify(request.body, request.headers)
    assert [a.status_code for a in delivery.attempts.all()] == [500, 502, 503, 200]


def test_a_rolled_back_transaction_sends_nothing(company, endpoint, receiver):
    with worker():
        with pytest.raises(RuntimeError), transaction.atomic():
            emit(company, "booking_created", {**BOOKING, "id": "rolled-back"})
            raise RuntimeError("the booking failed")
        committed = book(company, 2)
        receiver.wait_for(1)
        wait_until(lambda: attempts_recorded(WebhookDelivery.objects.get(), 1))
    assert [r.webhook_id for r in receiver.requests] == [committed.webhook_id]
    assert WebhookDelivery.objects.count() == 1


def test_events_emitted_while_the_broker_is_down_arrive_once_it_is_back(
    company, endpoint, receiver, tmp_path
):
    beat = ["--beat", "--schedule", str(tmp_path / "beat-schedule")]
    with redis_server() as broker, publishing_to(broker.url), contextlib.ExitStack() as stack:
        env = {"REDIS_URL": broker.url, "WEBHOOK_SWEEP_SECONDS": "0.5"}
        proc = stack.enter_context(worker(*beat, **env))
        first = book(company, 0)
        receiver.wait_for(1)
        broker.stop()
        during = [book(company, n) for n in range(1, 6)]
        # Nothing could be queued, and the leases were handed back to the sweep.
        assert WebhookDelivery.objects.filter(
            event__in=during, lock_token__isnull=True, status=DeliveryStatus.PENDING
        ).count() == 5
        broker.start()
        expected = {e.webhook_id for e in [first, *during]}
        deadline = time.monotonic() + 90
        while not expected <= receiver.unique_ids():
            assert time.monotonic() < deadline, "events lost after the broker came back"
            if proc.poll() is not None:
                # Celery's worker can exit when its broker vanishes mid-connection
                # (kombu fails restoring unacked messages on a closed channel); in
                # production its supervisor restarts it, as here.
                proc = stack.enter_context(worker(*beat, **env))
            time.sleep(0.2)
    assert set(receiver.id_counts().values()) == {1}


def test_a_worker_killed_mid_delivery_loses_nothing(company, endpoint, receiver):
    receiver.delay = 1.0  # every request is still in flight for a second
    with worker() as doomed:
        events = [book(company, n) for n in range(6)]
        receiver.wait_for(1)
        kill(doomed)
    receiver.delay = 0
    assert WebhookDelivery.objects.exclude(status=DeliveryStatus.SUCCEEDED).exists()
    with worker():
        # The killed worker's leases run out: move the clock past them.
        deliveries_sweep(now=timezone.now() + LEASE + dt.timedelta(seconds=1))
        expected = {e.webhook_id for e in events}
        receiver.wait_for_ids(expected, timeout=60)
        wait_until(lambda: not WebhookDelivery.objects.exclude(
            status=DeliveryStatus.SUCCEEDED).exists())
    # A receiver de-duplicating by webhook-id sees each event exactly once ...
    assert receiver.unique_ids() == expected
    # ... although the request the worker died in was sent again.
    assert max(receiver.id_counts().values()) >= 2
