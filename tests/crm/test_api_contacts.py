"""``/v4/crm``: create, read, update, delete, bulk, search and the timeline."""

import threading
import uuid

import pytest
from django.db import connection

from crm.models import AuditLogEntry, Contact, ContactEvent
from crm.services import contact_update
from scheduling.choices import Role
from tests.conftest import client_for, make_member
from tests.crm.conftest import make_contact, record_booking
from webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db


def post(api, path, body):
    return api.post(path, body, format="json")


def test_it_creates_a_contact_with_every_documented_field(api, company, owner):
    body = {
        "firstName": "Alice", "lastName": "Martin", "email": "Alice@Example.com",
        "phoneNumber": "+49 30 12345678", "tags": ["Lead", "Enterprise"], "notes": "Met at expo",
        "accountOwnerId": str(owner.user.uuid), "additionalData": {"jobTitle": "CTO"},
    }
    response = post(api, "/v4/crm", body)
    assert response.status_code == 201, response.json()
    contact = response.json()
    assert contact["email"] == "alice@example.com"
    assert contact["phoneNumber"] == "+493012345678"
    assert contact["tags"] == ["Lead", "Enterprise"]
    assert contact["accountOwnerId"] == str(owner.user.uuid)
    assert contact["noShowCount"] == 0
    assert contact["createdAt"].endswith("+00:00")
    assert api.get(f"/v4/crm/{contact['id']}").json() == contact


def test_it_accepts_a_phone_only_contact_with_the_examples_number(api):
    response = post(api, "/v4/crm", {"phoneNumber": "+1234567890"})
    assert response.status_code == 201
    assert response.json()["phoneNumber"] == "+1234567890"
    assert response.json()["email"] is None


@pytest.mark.parametrize(("body", "field"), [
    ({"firstName": "No contact data"}, "email"),
    ({"email": "not-an-email"}, "email"),
    ({"phoneNumber": "no digits"}, "phoneNumber"),
    ({"phoneNumber": "1" * 33}, "phoneNumber"),
    ({"email": "a@example.com", "additionalData": "text"}, "additionalData"),
    ({"email": "a@example.com", "accountOwnerId": str(uuid.uuid4())}, "accountOwnerId"),
])
def test_bad_input_is_a_400_naming_the_field(api, body, field):
    response = post(api, "/v4/crm", body)
    assert response.status_code == 400
    assert field in {error["field"] for error in response.json()["errors"]}


def test_a_duplicate_email_is_a_409(api, company):
    make_contact(company, email="bob@example.com")
    response = post(api, "/v4/crm", {"email": "BOB@example.com"})
    assert response.status_code == 409
    assert response.json()["message"] == "A contact with this email already exists"


@pytest.mark.django_db(transaction=True)
def test_two_requests_creating_the_same_email_at_once_make_one_contact(owner):
    clients = [client_for(owner), client_for(owner)]
    barrier, statuses = threading.Barrier(2), []

    def create(client):
        try:
            barrier.wait()
            statuses.append(post(client, "/v4/crm", {"email": "race@example.com"}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409]
    assert Contact.objects.filter(email="race@example.com").count() == 1


def test_patch_changes_only_the_given_fields(api, contact):
    response = api.patch(f"/v4/crm/{contact.uuid}", {"notes": "VIP", "tags": ["Customer"]},
                         format="json")
    assert response.status_code == 200
    assert (response.json()["notes"], response.json()["tags"]) == ("VIP", ["Customer"])
    assert response.json()["email"] == "alice@example.com"
    event = OutboxEvent.objects.filter(event="contact.updated").get()
    assert event.data == api.get(f"/v4/crm/{contact.uuid}").json()


def test_patch_to_a_taken_email_is_a_409(api, company, contact):
    other = make_contact(company, email="other@example.com")
    response = api.patch(f"/v4/crm/{other.uuid}", {"email": "Alice@example.com"}, format="json")
    assert response.status_code == 409


def test_patch_cannot_remove_both_email_and_phone(api, contact):
    response = api.patch(f"/v4/crm/{contact.uuid}", {"email": ""}, format="json")
    assert response.status_code == 400


def test_a_contact_is_found_by_an_attendee_id_of_its_bookings(api, contact):
    attendee = uuid.uuid4()
    record_booking(contact, attendee_id=attendee)
    response = api.get(f"/v4/crm/{attendee}")
    assert response.status_code == 200
    assert response.json()["id"] == str(contact.uuid)


def test_the_timeline_lists_events_newest_first(api, contact):
    record_booking(contact, title="First")
    record_booking(contact, title="Second")
    body = api.get(f"/v4/crm/{contact.uuid}/events").json()
    assert body["total"] == 2
    assert [e["meetingTypeTitle"] for e in body["data"]] == ["Second", "First"]
    assert body["data"][0]["type"] == "booking"


def test_members_may_not_delete_but_admins_may(company, owner, contact):
    member = client_for(make_member(owner, Role.MEMBER))
    response = member.delete(f"/v4/crm/{contact.uuid}")
    assert response.status_code == 403
    assert response.json()["message"] == "Only owners and admins can delete contacts"
    admin = client_for(make_member(owner, Role.ADMIN))
    assert admin.delete(f"/v4/crm/{contact.uuid}").status_code == 200
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_delete_cascades_the_timeline_audits_and_announces(api, company, owner, contact):
    record_booking(contact)
    assert api.delete(f"/v4/crm/{contact.uuid}").status_code == 200
    assert not ContactEvent.objects.exists()
    entry = AuditLogEntry.objects.get(action="contact.deleted")
    assert (entry.actor, entry.acting_for, entry.via) == (owner.user, owner.user, "api_key")
    assert entry.api_key_id is not None
    assert entry.snapshot["email"] == "alice@example.com"
    event = OutboxEvent.objects.get(event="contact.deleted")
    assert event.data == {"id": str(contact.uuid), "name": "Alice Martin",
                          "email": "alice@example.com"}


def test_members_may_create_and_edit_contacts(owner):
    member = client_for(make_member(owner, Role.MEMBER))
    created = post(member, "/v4/crm", {"email": "m@example.com"}).json()
    assert member.patch(f"/v4/crm/{created['id']}", {"firstName": "M"},
                        format="json").status_code == 200


def test_every_endpoint_refuses_another_companys_contact(api, other_company):
    theirs = make_contact(other_company[0], email="theirs@example.com")
    path = f"/v4/crm/{theirs.uuid}"
    assert api.get(path).status_code == 404
    assert api.get(f"{path}/events").status_code == 404
    assert api.patch(path, {"notes": "x"}, format="json").status_code == 404
    assert api.delete(path).status_code == 404
    assert api.get("/v4/crm").json()["total"] == 0
    response = post(api, "/v4/crm/bulk", {"contacts": [{"email": "theirs@example.com"}]})
    assert response.json()["created"] == 1  # a contact of this company, not theirs
    theirs.refresh_from_db()
    assert theirs.company == other_company[0]


def test_bulk_upserts_by_email_and_reports_each_row(api, company, contact):
    rows = [
        {"email": "ALICE@example.com", "notes": "updated"},
        {"email": "new@example.com", "firstName": "New", "tags": ["Import"]},
        {"email": "broken", "phoneNumber": "none"},
        {"firstName": "nothing to match"},
    ]
    response = post(api, "/v4/crm/bulk", {"contacts": rows})
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["updated"], body["failed"]) == (1, 1, 2)
    statuses = [row["status"] for row in body["results"]]
    assert statuses == ["updated", "created", "error", "error"]
    assert {e["field"] for e in body["results"][2]["errors"]} == {"email", "phoneNumber"}
    contact.refresh_from_db()
    assert contact.notes == "updated"
    assert Contact.objects.filter(company=company, email="new@example.com").exists()


def test_bulk_refuses_more_than_1000_contacts(api):
    response = post(api, "/v4/crm/bulk", {"contacts": [{"email": "a@b.co"}] * 1001})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "contacts"


@pytest.fixture
def people(company, owner, admin_member):
    return {
        "ann": make_contact(company, first_name="Ann", last_name="Smithson",
                            email="ann@alpha.example", tags=["Lead"]),
        "bob": make_contact(company, first_name="Bob", last_name="Jones",
                            email="bob@beta.example", phone_number="+4915112345678",
                            tags=["Customer"], account_owner=owner.user.uuid),
        "cy": make_contact(company, first_name="Cy", last_name="Smith",
                           email="cy@gamma.example", tags=["Lead", "Enterprise"],
                           account_owner=admin_member.user.uuid),
    }


def names(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [c["firstName"] for c in response.json()["data"]]


def test_search_matches_names_emails_and_phone_digits(api, people):
    assert sorted(names(api.get("/v4/crm?searchTerm=SMITH"))) == ["Ann", "Cy"]
    assert names(api.get("/v4/crm?searchTerm=beta.exa")) == ["Bob"]
    assert names(api.get("/v4/crm?searchTerm=5678")) == ["Bob"]
    assert names(api.get("/v4/crm?searchTerm=%2B49 151 1234")) == ["Bob"]
    assert names(api.get("/v4/crm?searchTerm=ann smith")) == ["Ann"]
    assert names(api.get("/v4/crm?searchTerm=100%25")) == []


def test_tags_match_contacts_having_any_of_them(api, people):
    assert sorted(names(api.get("/v4/crm?tags=Enterprise&tags=Customer"))) == ["Bob", "Cy"]
    assert sorted(names(api.get("/v4/crm?tags=Lead,Customer"))) == ["Ann", "Bob", "Cy"]
    assert names(api.get("/v4/crm?tags=Lead&searchTerm=ann")) == ["Ann"]


@pytest.mark.parametrize("path", ["/v4/crm", "/crm"])
def test_a_tag_with_a_nul_character_is_a_400_naming_tags_on_every_database(api, path):
    """PostgreSQL cannot store a NUL and SQLite would search for it: it never gets there."""
    response = api.get(path, {"tags": "Lead,vip\x00"})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "tags", "message": "Null characters are not allowed."}]


def test_owner_filter(api, people, admin_member):
    assert names(api.get(f"/v4/crm?ownerId={admin_member.user.uuid}")) == ["Cy"]
    assert names(api.get(f"/v4/crm?ownerId={uuid.uuid4()}")) == []


def test_sorting(api, people):
    assert names(api.get("/v4/crm")) == ["Cy", "Bob", "Ann"]  # newest first by default
    assert names(api.get("/v4/crm?sortBy=lastName&sortOrder=ASC")) == ["Bob", "Cy", "Ann"]
    assert names(api.get("/v4/crm?sortBy=email&sortOrder=DESC")) == ["Cy", "Bob", "Ann"]
    assert names(api.get("/v4/crm?sortBy=firstName")) == ["Cy", "Bob", "Ann"]


def test_pagination(api, people):
    body = api.get("/v4/crm?limit=2&page=2&sortBy=firstName&sortOrder=ASC").json()
    assert (body["total"], body["page"], body["limit"]) == (3, 2, 2)
    assert [c["firstName"] for c in body["data"]] == ["Cy"]


@pytest.mark.parametrize(("query", "field"), [
    ("limit=101", "limit"), ("sortBy=phone", "sortBy"), ("sortOrder=UP", "sortOrder"),
    ("ownerId=nope", "ownerId"), ("page=0", "page"),
])
def test_bad_list_parameters_are_400_with_field_errors(api, query, field):
    response = api.get(f"/v4/crm?{query}")
    assert response.status_code == 400
    assert field in {error["field"] for error in response.json()["errors"]}


def test_lists_read_timeline_figures_without_counting(api, contact, django_assert_max_num_queries):
    record_booking(contact)
    contact_update(contact=contact, tags=["Lead"])
    with django_assert_max_num_queries(8):
        body = api.get("/v4/crm").json()
    assert body["data"][0]["eventCount"] == 1
    assert body["data"][0]["lastSeenAt"] is not None
