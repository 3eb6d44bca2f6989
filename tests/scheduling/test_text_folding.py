"""Text stays text: newlines and other control characters are folded out of names,
titles and tags wherever they come in (API, CRM import), by one helper."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.models import Contact
from crm.services import contacts_bulk_upsert
from scheduling.core.text import single_line
from scheduling.models import MeetingType, User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("raw, folded", [
    ("Jane\nSmith", "Jane Smith"),
    ("Jane\r\n\r\nSmith", "Jane Smith"),
    ("  Jane \t Smith  ", "Jane Smith"),
    ("Jane\u2028Smith\u2029", "Jane Smith"),
    ("Jane\x00\x1b[31mSmith\x85", "Jane [31mSmith"),
    ("Zoë Ångström", "Zoë Ångström"),
    ("", ""),
    (None, None),
])
def test_single_line_folds_control_characters_into_one_space(raw, folded):
    assert single_line(raw) == folded


def test_user_names_sent_to_the_api_are_folded(api):
    response = api.post("/v4/user", {"email": "new@acme.test", "givenName": "New\nBcc: x",
                                     "familyName": "Person\r"}, format="json")
    assert response.status_code == 201, response.json()
    user = User.objects.get(email="new@acme.test")
    assert (user.given_name, user.family_name) == ("New Bcc: x", "Person")
    patched = api.patch(f"/v4/user/{user.uuid}", {"firstname": "A\nB"}, format="json")
    assert patched.status_code == 200, patched.json()
    user.refresh_from_db()
    assert user.given_name == "A B"


def test_a_name_of_control_characters_only_is_blank(api):
    response = api.post("/v4/meeting-type", {"title": "\n\r\t"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "title"


def test_meeting_type_titles_and_queue_names_are_folded(api, owner):
    from tests.scheduling.conftest import make_schedule

    make_schedule(owner, timezone="UTC", is_default=True)
    response = api.post("/v4/meeting-type", {
        "title": "Intro\ncall", "icsTitle": "Call\r\nwith us", "icsDescription": "Line 1\nLine 2",
        "hostIds": [str(owner.user.uuid)]}, format="json")
    assert response.status_code == 201, response.json()
    meeting_type = MeetingType.objects.get(uuid=response.json()["id"])
    assert (meeting_type.title, meeting_type.ics_title) == ("Intro call", "Call with us")
    assert meeting_type.ics_description == "Line 1\nLine 2"  # a description may have lines
    queue = api.post("/v4/queue", {"name": "Sales\nteam"}, format="json")
    assert queue.status_code == 201, queue.json()
    assert queue.json()["name"] == "Sales team"


def test_a_booking_title_sent_to_the_api_is_folded(api, owner):
    from tests.scheduling.conftest import make_meeting_type, make_schedule, monday_after
    from tests.scheduling.test_bookings import at, book

    make_schedule(owner, timezone="UTC", is_default=True)
    meeting_type = make_meeting_type(owner, durations=[30], default_duration=30)
    response = book(api, meeting_type, at(monday_after(7), 9), icsTitle="Our\ncall",
                    attendee={"fullname": "Jane\nSmith", "firstname": None, "lastname": None})
    assert response.status_code == 201, response.json()
    body = api.get(f"/v4/appointment/{response.json()['id']}").json()
    assert body["icsTitle"] == "Our call"
    assert (body["attendee"]["firstname"], body["attendee"]["lastname"]) == ("Jane", "Smith")


def test_contact_names_and_tags_sent_to_the_crm_api_are_folded(api):
    response = api.post("/v4/crm", {"email": "c@client.test", "firstName": "Carl\nX",
                                    "lastName": "\tY", "tags": ["Hot\nLead"]}, format="json")
    assert response.status_code == 201, response.json()
    contact = Contact.objects.get(email="c@client.test")
    assert (contact.first_name, contact.last_name, contact.tag_names) == ("Carl X", "Y",
                                                                          ["Hot Lead"])


def test_bulk_rows_are_folded(company):
    [result] = contacts_bulk_upsert(company=company, rows=[
        {"email": "d@client.test", "firstName": "Dora\r\nEvil", "lastName": "Z"}])
    assert result.status == "created" and result.contact.first_name == "Dora Evil"


def test_a_csv_import_folds_names(staff_client, company):
    text = 'firstName,lastName,email\n"Eve\nMallory",Doe,eve@client.test\n'
    upload = SimpleUploadedFile("contacts.csv", text.encode(), content_type="text/csv")
    staff_client.post("/admin/crm/contact/import/", {"company": company.pk, "file": upload})
    assert Contact.objects.get(email="eve@client.test").first_name == "Eve Mallory"
