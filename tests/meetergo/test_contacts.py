"""``/crm`` at the host root, replaying meetergo's contact pages: developer-docs/core-
concepts/contacts (the guide) and api-reference/contacts/{create-a-contact,
search-contacts, get-contact-details} (the reference). Each test names its page."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Contact
from crm.services import contact_create
from scheduling.choices import Role
from scheduling.core.errors import DomainError
from scheduling.services.appointments import appointment_cancel
from scheduling.services.bookings import AttendeeInput, booking_create
from scheduling.services.tenancy import user_create
from tests.conftest import client_for, make_member
from tests.contract import assert_matches_schema
from tests.scheduling.conftest import make_meeting_type, make_schedule, monday_after

pytestmark = pytest.mark.django_db

ITEM_FIELDS = {  # the guide's "Contact Fields" and the reference's item
    "id", "firstName", "lastName", "email", "phoneNumber", "language", "tags", "notes",
    "crmCompanyId", "accountOwnerId", "additionalData", "noShowCount", "createdAt", "updatedAt",
}


def create(api, **body):
    return api.post("/crm", body, format="json")


@pytest.fixture
def meeting_type(owner):
    make_schedule(owner, timezone="UTC", is_default=True)
    return make_meeting_type(owner, title="Intro call", durations=[30], default_duration=30)


def book(meeting_type, start, email="anna.mueller@example.com"):
    """A booking through the booking service, as a page or POST /v4/booking makes one;
    ``now`` a day before, so past appointments can be made too."""
    attendee = AttendeeInput(email=email, first_name="Anna", last_name="Müller", notes={})
    return booking_create(company=meeting_type.company, meeting_type=meeting_type,
                          start=start, attendee=attendee, now=start - dt.timedelta(days=1),
                          skip_notifications=True).appointment


def at_ten(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), dt.UTC)


# --- developer-docs/core-concepts/contacts, "Create a Contact" --------------------------


def test_post_crm_answers_the_guides_item_and_appointments(api):
    """developer-docs/core-concepts/contacts: the curl body, and the response example."""
    response = create(api, firstName="Anna", lastName="Müller",
                      email="anna.mueller@example.com", tags=["Lead"])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"item", "appointments", "nextAppointmentIso"}
    item = body["item"]
    assert set(item) >= ITEM_FIELDS
    assert (item["firstName"], item["lastName"], item["email"]) == (
        "Anna", "Müller", "anna.mueller@example.com")
    assert item["tags"] == ["Lead"]
    assert (item["phoneNumber"], item["notes"], item["crmCompanyId"], item["accountOwnerId"],
            item["language"]) == (None, None, None, None, None)
    assert (item["noShowCount"], item["additionalData"]) == (0, {})
    assert body["appointments"] == [] and body["nextAppointmentIso"] is None
    assert Contact.objects.get(uuid=item["id"]).first_name == "Anna"
    assert_matches_schema("/crm", "post", 201, body)


def test_post_crm_accepts_the_references_body(api, owner):
    """api-reference/contacts/create-a-contact: phoneNumber and two tags, with the
    guide's notes, crmCompanyId-less accountOwnerId and additionalData."""
    response = create(api, firstName="Anna", lastName="Müller", email="anna@example.com",
                      phoneNumber="+49 30 12345678", tags=["Lead", "Enterprise"],
                      notes="Met at a fair", accountOwnerId=str(owner.user.uuid),
                      additionalData={"company": "Acme"})
    assert response.status_code == 201, response.json()
    item = response.json()["item"]
    assert item["phoneNumber"] and item["phoneNumber"].replace(" ", "").endswith("3012345678")
    assert item["tags"] == ["Lead", "Enterprise"]
    assert (item["notes"], item["accountOwnerId"]) == ("Met at a fair", str(owner.user.uuid))
    assert item["additionalData"] == {"company": "Acme"}


def test_email_or_phone_number_is_required(api):
    """developer-docs/core-concepts/contacts: "Either email or phoneNumber must be provided"."""
    response = create(api, firstName="Anna")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "email"
    phone_only = create(api, phoneNumber="+49 30 12345678")
    assert phone_only.status_code == 201, phone_only.json()


def test_a_field_termin_does_not_know_is_a_400_naming_it(api):
    """api-reference/contacts/create-a-contact lists the body; meetergo's read-only
    ``language`` and anything else are refused by name, and nothing is created."""
    response = create(api, email="anna@example.com", language="de", nickname="Annie")
    assert response.status_code == 400
    fields = {error["field"]: error["message"] for error in response.json()["errors"]}
    assert set(fields) == {"language", "nickname"}
    assert "does not support" in fields["language"]
    assert not Contact.objects.exists()


def test_a_duplicate_email_is_a_409(api):
    """developer-docs/core-concepts/contacts: email is unique per company."""
    create(api, email="anna@example.com")
    response = create(api, email="ANNA@example.com")
    assert response.status_code == 409


# --- api-reference/contacts/search-contacts ---------------------------------------------


@pytest.fixture
def people(company, owner):
    contact_create(company=company, first_name="Anna", last_name="Müller",
                   email="anna@example.com", tags=["Lead"])
    contact_create(company=company, first_name="Ben", last_name="Brown",
                   email="ben@example.com", tags=["Customer"], account_owner=owner.user.uuid)
    contact_create(company=company, first_name="Cleo", last_name="Clark",
                   phone_number="+49 30 555 0101", tags=["Lead", "Enterprise"])


def names(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [entry["item"]["firstName"] for entry in response.json()["result"]]


def test_get_crm_answers_result_page_limit_total_and_total_pages(api, people):
    """api-reference/contacts/search-contacts: ``{result: [{item, appointments,
    nextAppointmentIso}], page, limit, total, totalPages}``, page from 1."""
    response = api.get("/crm", {"limit": 2, "page": 2, "sortBy": "firstName",
                                "sortOrder": "ASC"})
    body = response.json()
    assert {k: body[k] for k in ("page", "limit", "total", "totalPages")} == {
        "page": 2, "limit": 2, "total": 3, "totalPages": 2}
    [entry] = body["result"]
    assert set(entry) == {"item", "appointments", "nextAppointmentIso"}
    assert entry["item"]["firstName"] == "Cleo"
    assert_matches_schema("/crm", "get", 200, body)
    first = api.get("/crm").json()
    assert (first["page"], first["limit"], first["totalPages"]) == (1, 20, 1)


def test_search_term_tags_owner_and_sorting(api, owner, people):
    """developer-docs/core-concepts/contacts, "Search Contacts": searchTerm (name, email
    or phone), tags (string[]), ownerId, sortBy and sortOrder."""
    assert names(api.get("/crm", {"searchTerm": "müll"})) == ["Anna"]
    assert names(api.get("/crm", {"searchTerm": "ben@"})) == ["Ben"]
    assert names(api.get("/crm", {"searchTerm": "5550101"})) == ["Cleo"]
    by_name = {"sortBy": "firstName", "sortOrder": "ASC"}
    assert names(api.get("/crm", {"tags": "Lead", **by_name})) == ["Anna", "Cleo"]
    assert names(api.get("/crm?tags=Customer&tags=Enterprise&sortBy=firstName")) == [
        "Cleo", "Ben"]
    assert names(api.get("/crm?tags[]=Customer&tags[]=Enterprise&sortBy=firstName")) == [
        "Cleo", "Ben"]
    assert names(api.get("/crm?tags[0]=Customer&sortBy=firstName")) == ["Ben"]
    assert names(api.get("/crm", {"ownerId": str(owner.user.uuid)})) == ["Ben"]
    assert names(api.get("/crm", {"sortBy": "lastName", "sortOrder": "DESC"})) == [
        "Anna", "Cleo", "Ben"]


@pytest.mark.parametrize("query, field", [
    ({"limit": 101}, "limit"), ({"limit": 0}, "limit"), ({"page": 0}, "page"),
    ({"sortBy": "phoneNumber"}, "sortBy"), ({"sortOrder": "UP"}, "sortOrder"),
    ({"ownerId": "nobody"}, "ownerId"), ({"pageSize": 10}, "pageSize"),
])
def test_bad_or_unknown_search_parameters_are_400s_naming_them(api, query, field):
    """api-reference/contacts/search-contacts: limit 1-100, page from 1, the enums."""
    response = api.get("/crm", query)
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == [field]


# --- api-reference/contacts/get-contact-details, and appointments -----------------------


def test_details_by_contact_id_or_by_the_attendee_id_of_a_booking(api, meeting_type):
    """developer-docs/core-concepts/contacts, "Contacts and Webhooks": look the contact
    up with the attendeeId of a booking; api-reference/contacts/get-contact-details."""
    appointment = book(meeting_type, at_ten(monday_after(7)))
    attendee_id = str(appointment.attendees.all()[0].uuid)
    by_attendee = api.get("/crm/details", {"attendeeId": attendee_id})
    assert by_attendee.status_code == 200, by_attendee.json()
    body = by_attendee.json()
    assert body["item"]["email"] == "anna.mueller@example.com"
    assert [a["id"] for a in body["appointments"]] == [str(appointment.uuid)]
    assert body["appointments"][0]["start"] is not None
    assert_matches_schema("/crm/details", "get", 200, body)
    by_id = api.get("/crm/details", {"contactId": body["item"]["id"]}).json()
    assert by_id == body
    both = api.get("/crm/details", {"contactId": body["item"]["id"], "attendeeId": attendee_id})
    assert both.json() == body
    assert api.get(f"/crm/{body['item']['id']}").json() == body


def test_details_needs_an_id_and_an_unknown_one_is_a_404(api, company):
    """api-reference/contacts/get-contact-details: contactId or attendeeId."""
    missing = api.get("/crm/details")
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["field"] == "contactId"
    unknown = api.get("/crm/details", {"contactId": "3c90c3cc-0d44-4b50-8888-8dd25736052a"})
    assert unknown.status_code == 404
    assert unknown.json()["message"] == "Contact not found"
    other = contact_create(company=company, email="other@example.com")
    mine = contact_create(company=company, email="mine@example.com")
    assert api.get("/crm/details", {"contactId": str(mine.uuid),
                                    "attendeeId": str(other.uuid)}).status_code == 404
    assert api.get("/crm/details", {"contactId": str(mine.uuid), "id": "x"}).status_code == 400


def test_appointments_newest_first_and_the_next_upcoming_start(api, meeting_type):
    """api-reference/contacts/get-contact-details: appointments are the contact's past
    and upcoming ones; nextAppointmentIso the next upcoming start, null without one."""
    past = book(meeting_type, at_ten(monday_after(7) - dt.timedelta(days=28)))
    soon = book(meeting_type, at_ten(monday_after(7)))
    later = book(meeting_type, at_ten(monday_after(14)))
    cancelled = book(meeting_type, at_ten(monday_after(7) - dt.timedelta(days=6)))
    appointment_cancel(appointment=cancelled, notify_attendees=False,
                       now=cancelled.start - dt.timedelta(days=2))
    [entry] = api.get("/crm").json()["result"]
    assert [a["id"] for a in entry["appointments"]] == [
        str(later.uuid), str(soon.uuid), str(cancelled.uuid), str(past.uuid)]
    assert dt.datetime.fromisoformat(entry["nextAppointmentIso"]) == soon.start
    appointment_cancel(appointment=soon, notify_attendees=False)
    appointment_cancel(appointment=later, notify_attendees=False)
    [entry] = api.get("/crm").json()["result"]
    assert entry["nextAppointmentIso"] is None
    assert len(entry["appointments"]) == 4


def test_a_page_of_contacts_costs_the_same_queries_however_many(api, meeting_type):
    """api-reference/contacts/search-contacts answers appointments for every contact:
    read together, not per contact."""
    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as queries:
            result = api.get("/crm").json()["result"]
        assert all(len(entry["appointments"]) == 1 for entry in result)
        return len(queries)

    start = at_ten(monday_after(7))
    for n in range(2):
        book(meeting_type, start + dt.timedelta(minutes=30 * n), email=f"person{n}@example.com")
    api.get("/crm")  # the key's first use of the minute records it (one more query)
    few = queries_for_page()
    for n in range(2, 12):
        book(meeting_type, start + dt.timedelta(minutes=30 * n), email=f"person{n}@example.com")
    assert queries_for_page() == few <= 16


# --- update, delete, bulk, bulk-delete ---------------------------------------------------


def test_patch_changes_the_given_fields_and_refuses_unknown_ones(api, company):
    """developer-docs/core-concepts/contacts, "Update a Contact": PATCH /crm/:id."""
    contact = contact_create(company=company, first_name="Anna", email="anna@example.com",
                             tags=["Lead"])
    response = api.patch(f"/crm/{contact.uuid}", {"lastName": "Müller", "tags": ["Customer"]},
                         format="json")
    assert response.status_code == 200, response.json()
    item = response.json()["item"]
    assert (item["firstName"], item["lastName"], item["tags"]) == ("Anna", "Müller",
                                                                    ["Customer"])
    refused = api.patch(f"/crm/{contact.uuid}", {"noShowCount": 3}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "noShowCount"


def test_delete_is_for_owners_and_admins(company, owner, admin_member, member):
    """developer-docs/core-concepts/contacts, "Delete a Contact": DELETE /crm/:id, with
    /v4/crm's rights (members create, read and edit; owners and admins delete)."""
    contact = contact_create(company=company, email="anna@example.com")
    as_member = client_for(member)
    refused = as_member.delete(f"/crm/{contact.uuid}")
    assert refused.status_code == 403
    assert refused.json()["message"] == "Only owners and admins can delete contacts"
    response = client_for(admin_member).delete(f"/crm/{contact.uuid}")
    assert response.status_code == 200
    assert response.json()["item"]["email"] == "anna@example.com"
    assert not Contact.objects.exists()


def test_members_create_read_and_edit_contacts_with_a_personal_token(member):
    """developer-docs/personal-access-tokens: an rgo- token acts as its maker, a member."""
    as_member = client_for(member)
    created = create(as_member, email="anna@example.com")
    assert created.status_code == 201
    contact_id = created.json()["item"]["id"]
    assert as_member.get("/crm").json()["total"] == 1
    assert as_member.get("/crm/details", {"contactId": contact_id}).status_code == 200
    assert as_member.patch(f"/crm/{contact_id}", {"firstName": "Anna"},
                           format="json").status_code == 200
    assert as_member.post("/crm/bulk", {"contacts": [{"email": "ben@example.com"}]},
                          format="json").status_code == 200


def test_bulk_creates_or_updates_by_email_from_an_envelope_or_a_bare_array(api, company):
    """developer-docs/core-concepts/contacts, "How Contacts Are Created": POST /crm/bulk
    (e.g. from a CSV import)."""
    contact_create(company=company, email="anna@example.com")
    response = api.post("/crm/bulk", {"contacts": [
        {"email": "anna@example.com", "firstName": "Anna"},
        {"email": "ben@example.com", "tags": ["Lead"]},
        {"firstName": "Nobody"},
    ]}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["created"], body["updated"], body["failed"]) == (1, 1, 1)
    assert body["results"][2]["errors"][0]["field"] == "email"
    bare = api.post("/crm/bulk", [{"email": "cleo@example.com"}], format="json")
    assert bare.status_code == 200 and bare.json()["created"] == 1
    assert Contact.objects.filter(company=company).count() == 3


def test_bulk_refuses_a_row_with_an_unknown_field_and_keeps_nothing(api, company):
    """Nothing is dropped silently (meetergo-api.md rule 3), in bulk too."""
    response = api.post("/crm/bulk", {"contacts": [
        {"email": "anna@example.com"}, {"email": "ben@example.com", "nickname": "B"},
    ]}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "contacts.1.nickname"
    assert not Contact.objects.exists()
    assert api.post("/crm/bulk", {"rows": []}, format="json").status_code == 400


def test_bulk_delete_removes_all_given_or_none(company, owner, member, other_company):
    """POST /crm/bulk-delete (meetergo-api.md), owners and admins only, by ``ids`` or
    ``contactIds``; one id that is not the company's contact deletes nothing."""
    anna = contact_create(company=company, email="anna@example.com")
    ben = contact_create(company=company, email="ben@example.com")
    cleo = contact_create(company=company, email="cleo@example.com")
    theirs = contact_create(company=other_company[0], email="anna@example.com")
    api = client_for(owner)
    assert client_for(member).post("/crm/bulk-delete", {"ids": [str(anna.uuid)]},
                                   format="json").status_code == 403
    refused = api.post("/crm/bulk-delete", {"ids": [str(anna.uuid), str(theirs.uuid)]},
                       format="json")
    assert refused.status_code == 404
    assert Contact.objects.count() == 4
    response = api.post("/crm/bulk-delete", {"ids": [str(anna.uuid), str(ben.uuid)]},
                        format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {"deleted": 2, "ids": [str(anna.uuid), str(ben.uuid)]}
    by_contact_ids = api.post("/crm/bulk-delete", {"contactIds": [str(cleo.uuid)]},
                              format="json")
    assert by_contact_ids.json()["deleted"] == 1
    assert list(Contact.objects.all()) == [theirs]
    empty = api.post("/crm/bulk-delete", {}, format="json")
    assert empty.status_code == 400 and empty.json()["errors"][0]["field"] == "ids"
    unknown = api.post("/crm/bulk-delete", {"ids": [str(theirs.uuid)], "all": True},
                       format="json")
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["field"] == "all"


def test_another_companys_contact_is_not_found_anywhere(api, other_company):
    """Every /crm path scopes to the key's company."""
    theirs = contact_create(company=other_company[0], email="anna@example.com")
    path = f"/crm/{theirs.uuid}"
    assert api.get(path).status_code == 404
    assert api.patch(path, {"firstName": "X"}, format="json").status_code == 404
    assert api.delete(path).status_code == 404
    assert api.get("/crm/details", {"contactId": str(theirs.uuid)}).status_code == 404
    assert api.get("/crm").json()["total"] == 0
    assert Contact.objects.get(pk=theirs.pk).first_name == ""


def test_v4_crm_keeps_termins_own_shapes(api, company):
    """meetergo-api.md rule 4: /v4/crm is Termin's and unchanged."""
    contact_create(company=company, email="anna@example.com")
    body = api.get("/v4/crm").json()
    assert set(body) == {"data", "total", "page", "limit"}
    assert "item" not in api.post("/v4/crm", {"email": "ben@example.com"},
                                  format="json").json()


# --- reserved paths --------------------------------------------------------------------


@pytest.mark.parametrize("path", [
    "/crm/", "/crm/x/y", "/crm/details/more", "/webhooks/", "/webhooks/a/b", "/v4/nothing",
])
def test_every_unknown_path_under_the_api_is_a_json_404(api, path):
    """meetergo-api.md: an unknown path under /crm, /webhooks or /v4 is the documented
    error body, never the booking pages' HTML."""
    response = api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"statusCode": 404, "message": "Not found", "error": "Not Found"}


def test_an_unknown_path_under_api_is_json_too(api):
    """/api is the workspace API's, whose errors have that API's own shape."""
    response = api.get("/api/nothing")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_a_users_page_named_like_an_api_root_is_still_html(client):
    """/crmteam is a booking page's address, not the API's."""
    response = client.get("/crmteam/nothing")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("slug", ["crm", "webhooks"])
def test_crm_and_webhooks_cannot_be_a_users_slug(company, owner, slug):
    """``/crm`` and ``/webhooks`` are meetergo's paths, so no booking page may take them."""
    with pytest.raises(DomainError) as refused:
        user_create(company=company, actor=owner, email=f"{slug}@acme.test", slug=slug)
    assert refused.value.field == "slug"
    named = user_create(company=company, actor=owner, email=f"{slug}2@acme.test",
                        given_name=slug.title())
    assert named.user.slug != slug
    member = make_member(owner, Role.MEMBER)
    response = client_for(owner).patch(f"/v4/user/{member.user.uuid}", {"slug": slug},
                                       format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "slug"
