"""``/api/workspaces/:workspaceId/contacts``: the workspace contacts API."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from crm.models import AuditLogEntry, Contact, ContactEvent
from crm.services import contact_event_record
from scheduling.choices import Role
from tests.conftest import client_for, make_member
from tests.crm.conftest import make_contact, record_booking
from webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db

SEEN = dt.datetime(2024, 3, 27, 0, 40, tzinfo=dt.UTC)


def session_for(membership) -> APIClient:
    client = APIClient()
    client.force_login(membership.user)
    return client


def base(company) -> str:
    return f"/api/workspaces/{company.pk}/contacts"


@pytest.fixture
def alice(company):
    contact = make_contact(company, first_name="Alice", last_name="Martin",
                           email="alice@example.com")
    contact_event_record(contact=contact, event_type="room_join", room_id=5,
                         room_name="team-standup-1234", room_display_name="Team Standup",
                         occurred_at=SEEN)
    return contact


def test_the_list_shows_contacts_field_for_field(owner, company, alice):
    body = session_for(owner).get(base(company)).json()
    assert body["total"] == 1 and (body["page"], body["limit"]) == (1, 50)
    assert body["contacts"] == [{
        "id": alice.pk, "workspace_id": company.pk, "name": "Alice Martin",
        "email": "alice@example.com", "event_count": 1, "last_seen_at": int(SEEN.timestamp()),
        "created_at": int(alice.created_at.timestamp()),
        "updated_at": int(alice.updated_at.timestamp()),
    }]


def test_the_list_is_ordered_by_most_recently_seen(owner, company, alice):
    never = make_contact(company, first_name="Never", email="never@example.com")
    recent = make_contact(company, first_name="Recent", email="recent@example.com")
    record_booking(recent, occurred_at=SEEN + dt.timedelta(days=1))
    ids = [c["id"] for c in session_for(owner).get(base(company)).json()["contacts"]]
    assert ids == [recent.pk, alice.pk, never.pk]


def test_the_list_searches_name_and_email_case_insensitively(member, company, alice):
    make_contact(company, first_name="Bob", email="bob@other.example")
    client = session_for(member)
    assert [c["name"] for c in client.get(f"{base(company)}?search=MARTIN").json()["contacts"]] \
        == ["Alice Martin"]
    assert client.get(f"{base(company)}?search=other.EX").json()["total"] == 1


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "page=0", "page=x"])
def test_bad_paging_is_a_400_with_an_error_message(owner, company, query):
    response = session_for(owner).get(f"{base(company)}?{query}")
    assert response.status_code == 400
    assert list(response.json()) == ["error"]


def test_one_contact_comes_without_timeline_figures(owner, company, alice):
    body = session_for(owner).get(f"{base(company)}/{alice.pk}").json()
    assert body == {"contact": {
        "id": alice.pk, "workspace_id": company.pk, "name": "Alice Martin",
        "email": "alice@example.com", "created_at": int(alice.created_at.timestamp()),
        "updated_at": int(alice.updated_at.timestamp()),
    }}


def test_the_timeline_shows_rooms_and_booking_pages(owner, company, alice):
    record_booking(alice, title="30-min Intro Call", occurred_at=SEEN - dt.timedelta(days=6))
    body = session_for(owner).get(f"{base(company)}/{alice.pk}/events").json()
    assert (body["total"], body["page"], body["limit"]) == (2, 1, 50)
    room, booking = body["events"]
    assert room == {
        "id": room["id"], "contact_id": alice.pk, "workspace_id": company.pk,
        "event_type": "room_join", "room_id": 5, "room_name": "team-standup-1234",
        "room_display_name": "Team Standup", "booking_page_id": None,
        "booking_page_title": None, "booking_page_slug": None, "metadata": None,
        "created_at": int(SEEN.timestamp()),
    }
    assert (booking["event_type"], booking["booking_page_id"], booking["booking_page_title"],
            booking["booking_page_slug"], booking["room_id"]) == \
        ("booking", 3, "30-min Intro Call", "intro-call", None)


def test_event_metadata_is_a_json_string(owner, company, alice):
    contact_event_record(contact=alice, event_type="booking", metadata={"utm": "mail"})
    events = session_for(owner).get(f"{base(company)}/{alice.pk}/events").json()["events"]
    assert events[0]["metadata"] == '{"utm": "mail"}'


def test_members_may_not_delete(member, company, alice):
    response = session_for(member).delete(f"{base(company)}/{alice.pk}")
    assert response.status_code == 403
    assert response.json() == {"error": "Only owners and admins can delete contacts"}
    assert Contact.objects.filter(pk=alice.pk).exists()


@pytest.mark.parametrize("role", [Role.ADMIN, Role.OWNER])
def test_owners_and_admins_delete_with_cascade_audit_and_event(owner, company, alice, role):
    deleter = owner if role == Role.OWNER else make_member(owner, Role.ADMIN)
    response = session_for(deleter).delete(f"{base(company)}/{alice.pk}")
    assert (response.status_code, response.json()) == (200, {"ok": True})
    assert not ContactEvent.objects.filter(contact_id=alice.pk).exists()
    entry = AuditLogEntry.objects.get(action="contact.deleted", target_id=str(alice.uuid))
    assert (entry.actor, entry.acting_for, entry.via, entry.api_key_id) == \
        (deleter.user, deleter.user, "session", None)
    event = OutboxEvent.objects.get(event="contact.deleted")
    assert event.data == {"id": str(alice.uuid), "name": "Alice Martin",
                          "email": "alice@example.com"}


def test_a_missing_contact_is_404_contact_not_found(owner, company):
    client = session_for(owner)
    for response in (client.get(f"{base(company)}/999999"),
                     client.get(f"{base(company)}/999999/events"),
                     client.delete(f"{base(company)}/999999")):
        assert (response.status_code, response.json()) == (404, {"error": "Contact not found"})


def test_another_workspaces_contact_is_not_found(owner, company, other_company):
    theirs = make_contact(other_company[0], email="theirs@example.com")
    client = session_for(owner)
    for response in (client.get(f"{base(company)}/{theirs.pk}"),
                     client.get(f"{base(company)}/{theirs.pk}/events"),
                     client.delete(f"{base(company)}/{theirs.pk}")):
        assert (response.status_code, response.json()) == (404, {"error": "Contact not found"})
    assert Contact.objects.filter(pk=theirs.pk).exists()


def test_a_workspace_the_user_is_not_a_member_of_is_not_found(owner, other_company):
    response = session_for(owner).get(base(other_company[0]))
    assert (response.status_code, response.json()) == (404, {"error": "Workspace not found"})


def test_api_keys_work_for_their_own_workspace_only(owner, company, alice, other_company):
    client = client_for(owner)
    assert client.get(base(company)).json()["total"] == 1
    assert client.get(f"{base(company)}/{alice.pk}").status_code == 200
    response = client.get(base(other_company[0]))
    assert (response.status_code, response.json()) == (404, {"error": "Workspace not found"})


def test_an_api_key_delete_is_audited_with_the_key(owner, company, alice):
    client = client_for(owner)
    assert client.delete(f"{base(company)}/{alice.pk}").status_code == 200
    entry = AuditLogEntry.objects.get(action="contact.deleted")
    assert (entry.via, entry.actor) == ("api_key", owner.user)
    assert entry.api_key_id is not None


def test_without_credentials_it_is_401(company):
    response = APIClient().get(base(company))
    assert (response.status_code, response.json()) == (401, {"error": "Authentication required"})


def test_session_deletes_need_the_csrf_token(owner, company, alice):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(owner.user)
    response = client.delete(f"{base(company)}/{alice.pk}")
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]
