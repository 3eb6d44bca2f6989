"""A receiver that answers one byte at a time is read until the delivery's deadline
(``TIMEOUT_SECONDS``) and no longer: the attempt is logged as failed and the
delivery is retried later."""

import time

import pytest

from tests.calendars.drip import drip_server
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.services import sending
from webhooks.services.delivery import delivery_attempt
from webhooks.services.endpoints import endpoint_create
from webhooks.services.outbox import emit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_private")]

DEADLINE = 2
BOOKING = {"id": "5f0c7d1e-1b7a-4c5e-9d7e-0a1b2c3d4e5f", "start": "2024-01-15T09:00:00+01:00"}


@pytest.fixture
def short_deadline(monkeypatch):
    monkeypatch.setattr(sending, "TIMEOUT_SECONDS", DEADLINE)


@pytest.mark.parametrize("slow_headers", [False, True], ids=["body", "status line and headers"])
def test_a_receiver_dripping_its_answer_fails_at_the_deadline(company, short_deadline,
                                                              slow_headers):
    with drip_server(slow_headers=slow_headers) as drip:
        endpoint_create(company=company, url=drip.url)
        emit(company, "booking_created", BOOKING)
        delivery = WebhookDelivery.objects.get()

        started = time.monotonic()
        delivery_attempt(delivery_id=delivery.pk, token=str(delivery.lock_token))
        elapsed = time.monotonic() - started

        assert drip.requests == 1
    assert DEADLINE <= elapsed < DEADLINE + 2
    delivery.refresh_from_db()
    [logged] = delivery.attempts.all()
    assert not logged.succeeded and logged.status_code is None
    assert logged.error.startswith(f"The receiver did not answer within {DEADLINE} seconds")
    assert delivery.status == DeliveryStatus.PENDING and delivery.next_attempt_at is not None
