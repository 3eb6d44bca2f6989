"""``/webhooks`` at the host root, replaying meetergo's webhook pages: developer-docs/
webhooks/managing-webhooks (create, list, update, delete) and developer-docs/webhooks/
overview (event types, at most 6 per company). Each test names its page."""

import threading

import pytest
from django.db import connection, transaction

from scheduling.core.errors import Conflict
from tests.conftest import client_for, make_company
from tests.contract import assert_matches_schema
from webhooks import events
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services.endpoints import MAX_ENDPOINTS_PER_COMPANY, endpoint_create
from webhooks.services.outbox import emit

# Receivers on 127.0.0.1 are allowed, so no test resolves a name on the network.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_private")]

HOOK = "http://127.0.0.1:9/webhooks/meetergo"
DOCUMENTED = {"id", "endpoint", "description", "eventTypes", "companyId", "createdAt"}


def create(api, **fields):
    body = {"endpoint": HOOK, "description": "Production webhook",
            "eventTypes": ["booking_created", "booking_cancelled", "booking_rescheduled"],
            **fields}
    return api.post("/webhooks", {k: v for k, v in body.items() if v is not None},
                    format="json")


def test_post_webhooks_answers_the_documented_fields_and_the_secret_once(api, company):
    """developer-docs/webhooks/managing-webhooks, "Create a Webhook": the curl body and
    the response example; the signing secret is Termin's own, shown only here."""
    response = create(api)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) >= DOCUMENTED
    assert body["endpoint"] == HOOK
    assert body["description"] == "Production webhook"
    assert body["eventTypes"] == ["booking_created", "booking_cancelled", "booking_rescheduled"]
    assert body["companyId"] == str(company.uuid)
    assert body["secret"].startswith("whsec_")
    assert_matches_schema("/webhooks", "post", 201, body)
    listed = api.get("/webhooks").json()
    assert "secret" not in listed[0]
    assert "secret" not in api.get(f"/webhooks/{body['id']}").json()


def test_get_webhooks_is_a_bare_array(api):
    """developer-docs/webhooks/managing-webhooks, "List Webhooks": an array, as the n8n
    node compares id, endpoint and eventTypes in it."""
    first = create(api, eventTypes=["booking_created", "booking_cancelled"]).json()
    second = create(api, endpoint="http://127.0.0.1:9/staging", description="Staging webhook",
                    eventTypes=["booking_created"]).json()
    response = api.get("/webhooks")
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body, list)
    assert [(h["id"], h["endpoint"], h["eventTypes"]) for h in body] == [
        (first["id"], HOOK, ["booking_created", "booking_cancelled"]),
        (second["id"], "http://127.0.0.1:9/staging", ["booking_created"]),
    ]
    assert all(set(h) >= DOCUMENTED for h in body)
    assert_matches_schema("/webhooks", "get", 200, body)


def test_patch_and_delete_a_webhook(api):
    """developer-docs/webhooks/managing-webhooks, "Update a Webhook" and "Delete a Webhook"."""
    hook = create(api).json()
    response = api.patch(f"/webhooks/{hook['id']}",
                         {"eventTypes": ["booking_cancelled"], "description": "Cancellations",
                          "endpoint": "http://127.0.0.1:9/other"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["eventTypes"], body["description"], body["endpoint"]) == (
        ["booking_cancelled"], "Cancellations", "http://127.0.0.1:9/other")
    assert_matches_schema("/webhooks/{id}", "patch", 200, body)
    deleted = api.delete(f"/webhooks/{hook['id']}")
    assert deleted.status_code == 200
    assert deleted.json()["id"] == hook["id"]
    assert api.get("/webhooks").json() == []
    assert api.delete(f"/webhooks/{hook['id']}").status_code == 404


def test_a_webhook_receives_only_the_event_types_it_names(api, company):
    """developer-docs/webhooks/overview, "Available Events": what eventTypes names is
    what is delivered."""
    cancelled = create(api, eventTypes=["booking_cancelled"]).json()
    emit(company, events.BOOKING_CREATED, {"id": "a"})
    emit(company, events.BOOKING_CANCELLED, {"id": "b"})
    deliveries = WebhookDelivery.objects.filter(endpoint__uuid=cancelled["id"])
    assert [d.event.event for d in deliveries] == [events.BOOKING_CANCELLED]


def test_meetergos_event_types_are_accepted(api):
    """developer-docs/webhooks/managing-webhooks, "Event Types"."""
    names = ["booking_created", "booking_cancelled", "booking_rescheduled", "new_employee"]
    response = create(api, eventTypes=names)
    assert response.status_code == 201, response.json()
    assert response.json()["eventTypes"] == names


def test_form_submission_is_refused_as_not_supported(api):
    """developer-docs/webhooks/overview lists form_submission; Termin has no routing forms,
    so subscribing to it is a 400 saying so rather than a webhook that never fires."""
    response = create(api, eventTypes=["booking_created", "form_submission"])
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "eventTypes"
    assert "form_submission is not supported" in error["message"]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("fields, field", [
    ({"eventTypes": ["invoice_paid"]}, "eventTypes"),
    ({"eventTypes": []}, "eventTypes"),
    ({"eventTypes": None}, "eventTypes"),
    ({"endpoint": None}, "endpoint"),
    ({"endpoint": "ftp://127.0.0.1/x"}, "endpoint"),
    ({"url": HOOK}, "url"),
    ({"events": ["booking_created"]}, "events"),
    ({"secret": "whsec_mine"}, "secret"),
])
def test_bad_missing_or_unknown_fields_are_400s_naming_them(api, fields, field):
    """developer-docs/webhooks/managing-webhooks, "Request Body": endpoint and eventTypes
    are required; /v4's names (url, events) and anything else are unknown here."""
    response = create(api, **fields)
    assert response.status_code == 400, response.json()
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert not WebhookEndpoint.objects.exists()


def test_a_private_address_is_refused_naming_endpoint(api, settings):
    """The SSRF guard judges ``endpoint`` as it judges /v4's ``url``."""
    settings.WEBHOOK_ALLOW_PRIVATE = False
    response = create(api, endpoint="http://10.0.0.1/hook")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "endpoint"
    assert "private, loopback" in error["message"]


def test_at_most_six_webhooks_per_company_on_both_paths(api, company, other_company):
    """developer-docs/webhooks/overview, "Limits": 6 webhooks per company, counted for
    /webhooks and /v4/webhooks alike, disabled ones included."""
    assert MAX_ENDPOINTS_PER_COMPANY == 6
    for n in range(5):
        assert create(api, endpoint=f"http://127.0.0.1:9/{n}").status_code == 201
    assert api.post("/v4/webhooks", {"url": HOOK}, format="json").status_code == 201
    WebhookEndpoint.objects.filter(company=company).update(active=False)
    refused = create(api)
    assert refused.status_code == 409
    assert refused.json()["message"] == (
        "A company can have at most 6 webhooks: delete one to add another")
    assert api.post("/v4/webhooks", {"url": HOOK}, format="json").status_code == 409
    assert WebhookEndpoint.objects.filter(company=company).count() == 6
    assert create(client_for(other_company[1])).status_code == 201
    api.delete(f"/webhooks/{api.get('/webhooks').json()[0]['id']}")
    assert create(api).status_code == 201


@pytest.mark.django_db(transaction=True)
def test_two_creates_at_once_cannot_both_take_the_last_place(settings):
    """developer-docs/webhooks/overview, "Limits", under concurrency: the company row is
    locked while counting (on SQLite the database is: writers take turns), so a second
    create waits for the first and then counts 6."""
    settings.WEBHOOK_ALLOW_PRIVATE = True
    company, _ = make_company()
    for n in range(MAX_ENDPOINTS_PER_COMPANY - 1):
        endpoint_create(company=company, url=f"http://127.0.0.1:9/{n}")
    outcome = {}

    def second():
        try:
            endpoint_create(company=company, url=HOOK)
            outcome["second"] = "created"
        except Conflict:
            outcome["second"] = "refused"
        finally:
            connection.close()

    with transaction.atomic():
        endpoint_create(company=company, url=HOOK)  # holds the lock until commit
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive() and not outcome  # waiting for the lock
    thread.join(10)
    assert outcome == {"second": "refused"}
    assert WebhookEndpoint.objects.filter(company=company).count() == MAX_ENDPOINTS_PER_COMPANY


def test_only_owners_and_admins_manage_webhooks(owner, admin_member, member):
    """developer-docs/webhooks/managing-webhooks, with /v4/webhooks' rights: a member's
    personal token (developer-docs/personal-access-tokens) is refused everywhere."""
    hook = create(client_for(admin_member)).json()
    as_member = client_for(member)
    assert create(as_member).status_code == 403
    assert as_member.get("/webhooks").status_code == 403
    assert as_member.get(f"/webhooks/{hook['id']}").status_code == 403
    assert as_member.patch(f"/webhooks/{hook['id']}", {"description": "x"},
                           format="json").status_code == 403
    assert as_member.delete(f"/webhooks/{hook['id']}").status_code == 403
    assert client_for(owner).get("/webhooks").status_code == 200


def test_another_companys_webhook_is_not_found(api, other_company):
    """developer-docs/webhooks/managing-webhooks: "all webhooks for your company"."""
    theirs = create(client_for(other_company[1])).json()
    path = f"/webhooks/{theirs['id']}"
    assert api.get(path).status_code == 404
    assert api.patch(path, {"description": "mine"}, format="json").status_code == 404
    assert api.delete(path).status_code == 404
    assert api.get("/webhooks").json() == []
    assert WebhookEndpoint.objects.get(uuid=theirs["id"]).description == "Production webhook"


def test_v4_webhooks_keeps_termins_own_shapes(api):
    """meetergo-api.md rule 4: /v4/webhooks is Termin's and unchanged."""
    create(api)
    body = api.get("/v4/webhooks").json()
    assert set(body) == {"data", "total", "page", "limit"}
    assert body["data"][0]["url"] == HOOK


def test_unknown_paths_under_webhooks_are_json_404s(api):
    """meetergo-api.md: every unknown path under /webhooks is the documented JSON 404."""
    for path in ("/webhooks/", "/webhooks/a/b", "/webhooks/a/deliveries"):
        response = api.get(path)
        assert response.status_code == 404
        assert response.json()["statusCode"] == 404
