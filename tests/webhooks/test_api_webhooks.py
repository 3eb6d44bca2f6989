"""``/v4/webhooks``: endpoints, the secret shown once, roles, isolation, the delivery log."""

import base64

import pytest

from tests.conftest import client_for
from webhooks import events
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from webhooks.services.outbox import emit

pytestmark = pytest.mark.django_db

HOOK = "http://127.0.0.1:9/hooks"


def create(api, **fields):
    return api.post("/v4/webhooks", {"url": HOOK, **fields}, format="json")


def test_it_creates_a_webhook_and_shows_the_secret_once(api, allow_private):
    response = create(api, events=["booking_created", "booking_cancelled"], description="CRM")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["url"] == HOOK
    assert body["events"] == ["booking_created", "booking_cancelled"]
    assert (body["description"], body["active"]) == ("CRM", True)
    assert body["secret"].startswith("whsec_")
    assert len(base64.b64decode(body["secret"].removeprefix("whsec_"))) >= 24
    again = api.get(f"/v4/webhooks/{body['id']}").json()
    assert "secret" not in again
    assert "secret" not in api.get("/v4/webhooks").json()["data"][0]


def test_without_events_it_subscribes_to_all(api, allow_private):
    assert create(api).json()["events"] == list(events.ALL)


def test_unknown_or_no_event_types_are_refused(api, allow_private):
    response = create(api, events=["booking_created", "invoice_paid"])
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "events", "message": "Unknown event type: invoice_paid"}
    ]
    assert create(api, events=[]).status_code == 400


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1/", "http://2130706433/", "http://0x7f.1/",
            "http://[::ffff:127.0.0.1]/", "http://169.254.169.254/", "http://10.0.0.1/"],
)
def test_a_private_url_is_refused_with_a_field_error(api, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    response = create(api, url=url)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "url"
    assert "private, loopback" in error["message"]
    assert not WebhookEndpoint.objects.exists()


def test_a_url_that_is_not_http_is_refused(api, allow_private):
    response = create(api, url="ftp://127.0.0.1/x")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "url"


def test_changing_the_url_is_checked_again(api, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    hook = create(api).json()
    settings.WEBHOOK_ALLOW_PRIVATE = False
    response = api.patch(f"/v4/webhooks/{hook['id']}", {"url": "http://0177.0.0.1/"},
                         format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "url"


def test_it_updates_and_deletes_a_webhook(api, allow_private):
    hook = create(api).json()
    response = api.patch(f"/v4/webhooks/{hook['id']}",
                         {"events": ["new_employee"], "active": False}, format="json")
    assert response.status_code == 200
    assert (response.json()["events"], response.json()["active"]) == (["new_employee"], False)
    assert api.delete(f"/v4/webhooks/{hook['id']}").json()["id"] == hook["id"]
    assert api.get(f"/v4/webhooks/{hook['id']}").status_code == 404


def test_re_enabling_a_disabled_webhook_clears_the_reason(api, allow_private):
    hook = create(api).json()
    WebhookEndpoint.objects.filter(uuid=hook["id"]).update(
        active=False, disabled_reason="The endpoint answered HTTP 410 Gone"
    )
    assert api.get(f"/v4/webhooks/{hook['id']}").json()["disabledReason"]
    body = api.patch(f"/v4/webhooks/{hook['id']}", {"active": True}, format="json").json()
    assert (body["active"], body["disabledReason"]) == (True, None)


def test_admins_manage_webhooks_and_members_may_not(owner, admin_member, member, allow_private):
    admin = client_for(admin_member)
    hook = create(admin).json()
    assert admin.get("/v4/webhooks").json()["total"] == 1
    as_member = client_for(member)
    assert create(as_member).status_code == 403
    assert as_member.get("/v4/webhooks").status_code == 403
    assert as_member.get(f"/v4/webhooks/{hook['id']}").status_code == 403
    assert as_member.delete(f"/v4/webhooks/{hook['id']}").status_code == 403
    assert as_member.post(f"/v4/webhooks/{hook['id']}/test").status_code == 403


def test_another_companys_webhooks_are_not_found(api, other_company, allow_private):
    theirs = create(client_for(other_company[1])).json()
    assert api.get("/v4/webhooks").json()["total"] == 0
    assert api.delete(f"/v4/webhooks/{theirs['id']}").status_code == 404
    assert api.get(f"/v4/webhooks/{theirs['id']}").status_code == 404
    assert api.patch(f"/v4/webhooks/{theirs['id']}", {"active": False},
                     format="json").status_code == 404
    assert api.get(f"/v4/webhooks/{theirs['id']}/deliveries").status_code == 404
    assert api.post(f"/v4/webhooks/{theirs['id']}/test").status_code == 404
    assert api.get("/v4/webhooks/not-a-uuid").status_code == 404


def test_the_delivery_log_is_paginated_newest_first(api, company, allow_private):
    hook = create(api, events=["new_employee"]).json()
    for n in range(3):
        emit(company, "new_employee", {"id": f"user-{n}"})
    body = api.get(f"/v4/webhooks/{hook['id']}/deliveries?limit=2").json()
    assert (body["total"], body["page"], body["limit"]) == (3, 1, 2)
    assert [d["data"]["id"] for d in body["data"]] == ["user-2", "user-1"]
    first = body["data"][0]
    assert first["status"] == "pending"
    assert first["event"] == "new_employee"
    assert first["eventId"].startswith("msg_")
    assert first["attempts"] == []
    assert api.get(f"/v4/webhooks/{hook['id']}/deliveries?status=succeeded").json()["total"] == 0
    assert api.get(f"/v4/webhooks/{hook['id']}/deliveries?status=nope").status_code == 400


def test_the_test_event_is_queued_for_that_webhook_only(api, allow_private):
    hook = create(api).json()
    other = create(api).json()
    response = api.post(f"/v4/webhooks/{hook['id']}/test")
    assert response.status_code == 202
    assert response.json()["event"] == "webhook_test"
    assert WebhookDelivery.objects.get().endpoint.uuid.hex == hook["id"].replace("-", "")
    assert api.get(f"/v4/webhooks/{other['id']}/deliveries").json()["total"] == 0


def test_redelivery_queues_the_same_delivery_again(api, company, allow_private):
    hook = create(api, events=["new_employee"]).json()
    emit(company, "new_employee", {"id": "u1"})
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED, next_attempt_at=None, attempt_count=8, lock_token=None
    )
    url = f"/v4/webhooks/{hook['id']}/deliveries/{delivery.uuid}/redeliver"
    response = api.post(url)
    assert response.status_code == 202
    body = response.json()
    assert (body["id"], body["status"], body["attemptCount"]) == (str(delivery.uuid), "pending", 0)
    assert body["nextAttemptAt"] is not None
    assert api.post(f"/v4/webhooks/{hook['id']}/deliveries/{hook['id']}/redeliver"
                    ).status_code == 404


def test_a_disabled_webhook_cannot_be_redelivered_to(api, company, allow_private):
    hook = create(api, events=["new_employee"]).json()
    emit(company, "new_employee", {"id": "u1"})
    delivery = WebhookDelivery.objects.get()
    api.patch(f"/v4/webhooks/{hook['id']}", {"active": False}, format="json")
    response = api.post(f"/v4/webhooks/{hook['id']}/deliveries/{delivery.uuid}/redeliver")
    assert response.status_code == 409
