"""The admin: endpoints with their delivery log, redelivery, the outbox."""

import re

import pytest

from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from webhooks.services.endpoints import endpoint_create
from webhooks.services.outbox import emit

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivery(company, allow_private):
    endpoint_create(company=company, url="http://127.0.0.1:9/hook")
    emit(company, "booking_created", {"id": "appt-1"})
    return WebhookDelivery.objects.get()


@pytest.mark.parametrize("model", ["webhookendpoint", "webhookdelivery", "outboxevent"])
def test_each_model_has_a_working_list(staff_client, delivery, model):
    assert staff_client.get(f"/admin/webhooks/{model}/").status_code == 200
    assert staff_client.get(f"/admin/webhooks/{model}/?q=hook").status_code == 200


def test_an_endpoint_page_shows_its_delivery_log(staff_client, delivery):
    page = staff_client.get(
        f"/admin/webhooks/webhookendpoint/{delivery.endpoint.pk}/change/").content.decode()
    assert str(delivery.uuid) in page
    assert delivery.endpoint.secret not in page
    page = staff_client.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/")
    assert delivery.event.webhook_id in page.content.decode()


def test_an_endpoint_added_in_the_admin_gets_a_secret_shown_once(staff_client, company,
                                                                 allow_private):
    response = staff_client.post(
        "/admin/webhooks/webhookendpoint/add/",
        {"company": company.pk, "url": "http://127.0.0.1:9/x", "events": ["booking_created"],
         "description": "", "active": "on", **inline_management()},
        follow=True,
    )
    secret = re.search(r"whsec_[A-Za-z0-9+/=]+", response.content.decode()).group(0)
    assert WebhookEndpoint.objects.get().secret == secret


def test_the_admin_refuses_a_private_url(staff_client, company, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    response = staff_client.post(
        "/admin/webhooks/webhookendpoint/add/",
        {"company": company.pk, "url": "http://0x7f.1/", "events": ["booking_created"],
         **inline_management()},
    )
    assert response.status_code == 200
    assert "private, loopback" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_redeliver_action_queues_a_delivery_again(staff_client, delivery):
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED, next_attempt_at=None, lock_token=None)
    staff_client.post("/admin/webhooks/webhookdelivery/",
                      {"action": "redeliver", "_selected_action": [delivery.pk]})
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.lock_token is not None


def inline_management() -> dict:
    prefix = "deliveries"
    return {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "0"}


def test_the_seventh_webhook_is_refused_in_the_admin_form(staff_client, owner, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    for n in range(6):
        WebhookEndpoint.objects.create(company=owner.company, url=f"http://127.0.0.1/{n}",
                                       events=["booking_created"], secret="whsec_x")
    response = staff_client.post("/admin/webhooks/webhookendpoint/add/", {
        "company": owner.company_id, "url": "http://127.0.0.1/7", "events": ["booking_created"],
        "description": "", "active": "on", **inline_management()})
    assert response.status_code == 200
    assert "at most 6 webhooks" in response.content.decode()
    assert WebhookEndpoint.objects.filter(company=owner.company).count() == 6
