"""Delivery in one process: the body, the signature, the retry schedule, disabling,
the delivery-time SSRF check. A real HTTP receiver on 127.0.0.1 answers."""

import datetime as dt
import socket

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook

from scheduling.core import urlguard
from webhooks.models import DeliveryStatus, OutboxEvent, WebhookDelivery, WebhookEndpoint
from webhooks.services.delivery import deliveries_sweep, delivery_attempt, delivery_redeliver
from webhooks.services.endpoints import (
    endpoint_create,
    endpoint_send_test,
    endpoints_disable_failing,
)
from webhooks.services.outbox import emit
from webhooks.services.sending import EXCERPT_CHARS, MAX_READ_BYTES
from webhooks.services.settlement import RETRY_DELAYS

pytestmark = pytest.mark.django_db

BOOKING = {
    "id": "5f0c7d1e-1b7a-4c5e-9d7e-0a1b2c3d4e5f",
    "appointmentId": "5f0c7d1e-1b7a-4c5e-9d7e-0a1b2c3d4e5f",
    "meetingTypeId": "770e8400-e29b-41d4-a716-446655440002",
    "start": "2024-01-15T09:00:00+01:00",
    "end": "2024-01-15T09:30:00+01:00",
    "attendee": {"attendeeId": "a1", "email": "client@example.com", "firstname": "Jane",
                 "lastname": "Smith"},
    "attendees": [{"attendeeId": "a1", "email": "client@example.com", "firstname": "Jane",
                   "lastname": "Smith"}],
    "hostIds": ["550e8400-e29b-41d4-a716-446655440000"],
}


@pytest.fixture
def endpoint(company, receiver, allow_private):
    return endpoint_create(company=company, url=receiver.url)


def attempt(delivery: WebhookDelivery) -> WebhookDelivery:
    """What the ``deliver`` task does for the delivery's current lease holder."""
    delivery.refresh_from_db()
    delivery_attempt(delivery_id=delivery.pk, token=str(delivery.lock_token))
    delivery.refresh_from_db()
    return delivery


def test_a_booking_arrives_signed_in_the_body_every_document_reads(
    company, endpoint, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        event = emit(company, "booking_created", BOOKING)
    [request] = receiver.wait_for(1)
    payload = Webhook(endpoint.secret).verify(request.body, request.headers)
    assert request.webhook_id == event.webhook_id
    # The overview's {event, timestamp, data}:
    assert payload["event"] == "booking_created"
    assert payload["timestamp"] == event.created_at.isoformat()
    assert payload["data"] == BOOKING
    # The booking page's flat body:
    assert payload["webhookType"] == "booking_created"
    assert payload["id"] == BOOKING["id"]
    assert payload["attendees"][0]["email"] == "client@example.com"
    assert payload["hostIds"] == BOOKING["hostIds"]
    # The code examples' data.id:
    assert payload["data"]["id"] == BOOKING["id"]
    assert WebhookDelivery.objects.get().status == DeliveryStatus.SUCCEEDED


def test_a_reschedule_carries_the_appointment_where_the_code_examples_read_it(
    company, endpoint, receiver, django_capture_on_commit_callbacks
):
    data = {**BOOKING, "rescheduledAppointment": {"id": BOOKING["id"]},
            "previousStart": "2024-01-14T09:00:00+01:00",
            "previousEnd": "2024-01-14T09:30:00+01:00"}
    with django_capture_on_commit_callbacks(execute=True):
        emit(company, "booking_rescheduled", data)
    payload = receiver.wait_for(1)[0].json
    assert payload["data"]["rescheduledAppointment"]["id"] == BOOKING["id"]
    assert payload["rescheduledAppointment"]["id"] == BOOKING["id"]


def test_a_forged_signature_does_not_verify(company, endpoint, receiver,
                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        emit(company, "booking_created", BOOKING)
    request = receiver.wait_for(1)[0]
    other_secret = endpoint_create(company=company, url=receiver.url).secret
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(other_secret).verify(request.body, request.headers)
    tampered = request.body.replace(b"Jane", b"Joan")
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(endpoint.secret).verify(tampered, request.headers)


def test_emit_queues_one_delivery_per_subscribed_active_endpoint(company, other_company,
                                                                 allow_private):
    url = "http://127.0.0.1:9/"
    subscribed = endpoint_create(company=company, url=url, events=["booking_created"])
    endpoint_create(company=company, url=url, events=["booking_cancelled"])
    endpoint_create(company=company, url=url, active=False)
    endpoint_create(company=other_company[0], url=url)
    event = emit(company, "booking_created", BOOKING)
    assert [(d.endpoint, d.event) for d in WebhookDelivery.objects.all()] == [(subscribed, event)]


def test_a_rolled_back_change_sends_nothing(company, endpoint, receiver,
                                            django_capture_on_commit_callbacks):
    with (django_capture_on_commit_callbacks(execute=True) as callbacks,
          pytest.raises(RuntimeError), transaction.atomic()):
        emit(company, "booking_created", BOOKING)
        raise RuntimeError("the booking failed")
    assert callbacks == []
    assert not OutboxEvent.objects.exists() and not WebhookDelivery.objects.exists()
    assert receiver.requests == []


def test_failed_attempts_follow_the_retry_schedule_then_give_up(company, endpoint, receiver):
    receiver.default_status = 500
    emit(company, "booking_created", BOOKING)
    delivery = WebhookDelivery.objects.get()
    for number, delay in enumerate(RETRY_DELAYS, start=1):
        before = timezone.now()
        delivery = attempt(delivery)
        assert delivery.attempt_count == number
        assert delivery.status == DeliveryStatus.PENDING
        assert before + delay <= delivery.next_attempt_at <= timezone.now() + delay
        # Move the clock to the due time: the sweep leases it again.
        assert deliveries_sweep(now=delivery.next_attempt_at) == 1
    delivery = attempt(delivery)
    assert (delivery.status, delivery.next_attempt_at) == (DeliveryStatus.FAILED, None)
    assert [a.status_code for a in delivery.attempts.all()] == [500] * 8
    assert len(receiver.unique_ids()) == 1  # one webhook-id on every attempt


def test_every_attempt_is_logged(company, endpoint, receiver):
    receiver.script = [503]
    emit(company, "booking_created", BOOKING)
    delivery = attempt(WebhookDelivery.objects.get())
    deliveries_sweep(now=delivery.next_attempt_at)
    delivery = attempt(delivery)
    failed, succeeded = delivery.attempts.all()
    assert (failed.status_code, failed.succeeded, failed.response_excerpt) == (
        503, False, '{"error": "nope"}')
    assert (succeeded.status_code, succeeded.succeeded) == (200, True)
    assert failed.duration_ms >= 0 and failed.error == ""
    assert delivery.status == DeliveryStatus.SUCCEEDED


def test_a_receiver_that_is_down_is_logged_as_an_error(company, allow_private):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/"
    endpoint_create(company=company, url=url)
    emit(company, "booking_created", BOOKING)
    delivery = attempt(WebhookDelivery.objects.get())
    [logged] = delivery.attempts.all()
    assert logged.status_code is None
    assert "ConnectionError" in logged.error
    assert delivery.next_attempt_at is not None


def test_redirects_are_not_followed(company, endpoint, receiver):
    receiver.script = [302]
    receiver.extra_headers = {"Location": receiver.url + "/elsewhere"}
    emit(company, "booking_created", BOOKING)
    delivery = attempt(WebhookDelivery.objects.get())
    assert len(receiver.requests) == 1
    assert delivery.attempts.get().status_code == 302
    assert delivery.status == DeliveryStatus.PENDING  # a redirect is a failure to retry


def test_http_410_disables_the_endpoint_and_tells_the_owners(
    company, owner, endpoint, receiver, django_capture_on_commit_callbacks
):
    receiver.script = [410]
    emit(company, "booking_created", BOOKING)
    emit(company, "booking_cancelled", BOOKING)
    first, second = WebhookDelivery.objects.order_by("pk")
    with django_capture_on_commit_callbacks(execute=True):
        first = attempt(first)
    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.disabled_reason) == (
        False, "The endpoint answered HTTP 410 Gone")
    assert first.status == DeliveryStatus.FAILED
    second.refresh_from_db()
    assert second.status == DeliveryStatus.CANCELLED
    [message] = mail.outbox
    assert message.to == [owner.user.email]
    assert endpoint.url in message.body and "410" in message.body
    emit(company, "booking_created", BOOKING)
    assert WebhookDelivery.objects.count() == 2  # a disabled endpoint gets nothing new


def test_an_endpoint_failing_for_five_days_is_disabled_and_the_owners_told(
    company, owner, endpoint, receiver, django_capture_on_commit_callbacks
):
    receiver.default_status = 500
    emit(company, "booking_created", BOOKING)
    delivery = attempt(WebhookDelivery.objects.get())
    endpoint.refresh_from_db()
    started = endpoint.failing_since
    assert started is not None and endpoint.active
    # Four days on, still failing: still enabled.
    assert endpoints_disable_failing(now=started + dt.timedelta(days=4)) == 0
    endpoint.refresh_from_db()
    assert endpoint.active
    with django_capture_on_commit_callbacks(execute=True):
        assert endpoints_disable_failing(now=started + dt.timedelta(days=5)) == 1
    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.disabled_reason) == (
        False, "Every delivery failed for 5 days")
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.CANCELLED
    assert [m.to for m in mail.outbox] == [[owner.user.email]]


def test_a_failure_past_five_days_of_failures_disables_at_once(company, endpoint, receiver):
    receiver.default_status = 500
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=timezone.now() - dt.timedelta(days=5, minutes=1))
    emit(company, "booking_created", BOOKING)
    attempt(WebhookDelivery.objects.get())
    endpoint.refresh_from_db()
    assert not endpoint.active


def test_a_success_ends_the_failure_streak(company, endpoint, receiver):
    receiver.script = [500]
    emit(company, "booking_created", BOOKING)
    delivery = attempt(WebhookDelivery.objects.get())
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None
    deliveries_sweep(now=delivery.next_attempt_at)
    attempt(delivery)
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


def test_the_sweep_takes_only_due_deliveries_nobody_holds(company, endpoint):
    emit(company, "booking_created", BOOKING)
    delivery = WebhookDelivery.objects.get()
    now = timezone.now()
    assert deliveries_sweep(now=now) == 0  # the after-commit task holds it
    assert deliveries_sweep(now=delivery.locked_until) == 1  # its lease ran out
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=now + dt.timedelta(minutes=5), locked_until=None, lock_token=None)
    assert deliveries_sweep(now=now) == 0  # not due yet
    assert deliveries_sweep(now=now + dt.timedelta(minutes=5)) == 1


def test_a_task_whose_lease_was_taken_over_sends_nothing(company, endpoint, receiver):
    emit(company, "booking_created", BOOKING)
    delivery = WebhookDelivery.objects.get()
    stale_token = str(delivery.lock_token)
    deliveries_sweep(now=delivery.locked_until)
    assert delivery_attempt(delivery_id=delivery.pk, token=stale_token) is None
    assert receiver.requests == []
    assert attempt(delivery).status == DeliveryStatus.SUCCEEDED
    assert delivery_attempt(delivery_id=delivery.pk, token=stale_token) is None
    assert len(receiver.requests) == 1


def test_a_redelivery_sends_the_same_webhook_id_again(company, endpoint, receiver):
    event = emit(company, "booking_created", BOOKING)
    delivery = attempt(WebhookDelivery.objects.get())
    delivery_redeliver(delivery=delivery)
    delivery = attempt(delivery)
    assert [r.webhook_id for r in receiver.requests] == [event.webhook_id] * 2
    assert delivery.attempts.count() == 2


def test_the_test_event_reaches_the_endpoint(company, endpoint, receiver,
                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        endpoint_send_test(endpoint=endpoint)
    payload = Webhook(endpoint.secret).verify(receiver.requests[0].body,
                                              receiver.requests[0].headers)
    assert payload["event"] == "webhook_test"
    assert payload["webhookId"] == str(endpoint.uuid)


def test_private_addresses_are_refused_again_at_delivery(company, endpoint, receiver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    emit(company, "booking_created", BOOKING)
    delivery = attempt(WebhookDelivery.objects.get())
    [logged] = delivery.attempts.all()
    assert "private, loopback" in logged.error and logged.status_code is None
    assert receiver.requests == []


def fake_dns(monkeypatch, answers: dict[str, list[str]]):
    """Answer for the given names (each call pops the next address); others as usual."""
    real = socket.getaddrinfo

    def resolver(host, port, *args, **kwargs):
        if host in answers:
            address = answers[host].pop(0) if len(answers[host]) > 1 else answers[host][0]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(urlguard.socket, "getaddrinfo", resolver)


def test_a_name_rebound_to_a_private_address_after_registration_is_refused(
    company, receiver, settings, monkeypatch
):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    port = receiver.url.split(":")[2].split("/")[0]
    # Public when registered, loopback (where the receiver listens) when delivered to.
    fake_dns(monkeypatch, {"rebind.example.test": ["93.184.216.34", "127.0.0.1"]})
    endpoint_create(company=company, url=f"http://rebind.example.test:{port}/hook")
    emit(company, "booking_created", BOOKING)
    delivery = attempt(WebhookDelivery.objects.get())
    assert "127.0.0.1" in delivery.attempts.get().error
    assert receiver.requests == []


def test_the_connection_goes_to_the_address_that_was_checked(
    company, receiver, allow_private, monkeypatch
):
    port = receiver.url.split(":")[2].split("/")[0]
    fake_dns(monkeypatch, {"receiver.example.test": ["127.0.0.1"]})
    endpoint = endpoint_create(company=company,
                                        url=f"http://receiver.example.test:{port}/hook")
    emit(company, "booking_created", BOOKING)
    assert attempt(WebhookDelivery.objects.get()).status == DeliveryStatus.SUCCEEDED
    request = receiver.requests[0]
    assert request.headers["host"] == f"receiver.example.test:{port}"
    Webhook(endpoint.secret).verify(request.body, request.headers)


def test_a_sender_also_sends_what_waits_in_the_queue_for_the_same_endpoint(
    company, other_company, endpoint, receiver
):
    other, _ = other_company
    endpoint_create(company=other, url=receiver.url)
    first, *waiting = [emit(company, "booking_created", {**BOOKING, "id": f"a{n}"})
                       for n in range(3)]
    elsewhere = emit(other, "booking_created", BOOKING).deliveries.get()
    tokens = {d.pk: str(d.lock_token) for d in WebhookDelivery.objects.all()}
    delivery = attempt(first.deliveries.get())
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert sorted(r.webhook_id for r in receiver.requests) == sorted(
        e.webhook_id for e in [first, *waiting])
    for event in waiting:
        drained = event.deliveries.get()
        assert drained.status == DeliveryStatus.SUCCEEDED
        assert drained.attempts.count() == 1 and drained.attempt_count == 1
        # Its own task comes later and finds its lease gone.
        assert delivery_attempt(delivery_id=drained.pk, token=tokens[drained.pk]) is None
    assert len(receiver.requests) == 3
    elsewhere.refresh_from_db()
    assert elsewhere.status == DeliveryStatus.PENDING and elsewhere.attempts.count() == 0


def test_a_delivery_another_sender_has_in_hand_is_not_taken(company, endpoint, receiver):
    first, second = [emit(company, "booking_created", {**BOOKING, "id": f"a{n}"})
                     for n in range(2)]
    WebhookDelivery.objects.filter(event=second).update(sending=True)
    attempt(first.deliveries.get())
    assert [r.webhook_id for r in receiver.requests] == [first.webhook_id]
    in_hand = second.deliveries.get()
    assert in_hand.status == DeliveryStatus.PENDING and in_hand.lock_token is not None
    assert attempt(in_hand).status == DeliveryStatus.SUCCEEDED
    assert [r.webhook_id for r in receiver.requests] == [first.webhook_id, second.webhook_id]


def test_after_a_failure_a_sender_gives_back_the_rest_of_its_batch(company, endpoint, receiver):
    receiver.script = [500]
    first, *waiting = [emit(company, "booking_created", {**BOOKING, "id": f"a{n}"})
                       for n in range(3)]
    failed = attempt(first.deliveries.get())
    assert failed.status == DeliveryStatus.PENDING and failed.attempt_count == 1
    assert len(receiver.requests) == 1
    for event in waiting:
        given_back = event.deliveries.get()
        assert given_back.attempts.count() == 0
        assert (given_back.lock_token, given_back.locked_until, given_back.sending) == (
            None, None, False)
    assert deliveries_sweep(now=timezone.now()) == 2


def test_the_task_of_a_delivery_a_drain_took_over_ends_without_a_query(
    company, endpoint, receiver, django_assert_num_queries
):
    first, second = [emit(company, "booking_created", {**BOOKING, "id": f"a{n}"})
                     for n in range(2)]
    queued = second.deliveries.get()
    attempt(first.deliveries.get())
    with django_assert_num_queries(0):
        assert delivery_attempt(
            delivery_id=queued.pk, token=str(queued.lock_token)) is None
    assert len(receiver.requests) == 2


def test_deliveries_to_one_endpoint_reuse_the_kept_alive_connection(company, endpoint, receiver):
    for n in range(3):
        attempt(emit(company, "booking_created", {**BOOKING, "id": f"a{n}"}).deliveries.get())
    assert len(receiver.requests) == 3
    assert len({r.client_port for r in receiver.requests}) == 1


def test_a_reply_longer_than_the_read_limit_does_not_garble_the_next_delivery(
    company, endpoint, receiver
):
    receiver.reply_body = b"x" * (MAX_READ_BYTES * 2)
    first = attempt(emit(company, "booking_created", BOOKING).deliveries.get())
    assert first.status == DeliveryStatus.SUCCEEDED
    assert first.attempts.get().response_excerpt == "x" * EXCERPT_CHARS
    receiver.reply_body = None
    second = attempt(emit(company, "booking_created", {**BOOKING, "id": "a2"}).deliveries.get())
    assert second.status == DeliveryStatus.SUCCEEDED
    [_, received] = receiver.requests
    secret = endpoint.secret
    Webhook(secret).verify(received.body, received.headers)
    assert received.client_port != receiver.requests[0].client_port
