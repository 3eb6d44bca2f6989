"""Each recipient gets their own invitation: the manage link (which cancels or
moves the meeting) reaches the booker alone, and what attendees type stays text."""

import pytest
from django.core import mail

from scheduling.models import EmailKind, SentEmail
from scheduling.services.appointments import appointment_reschedule
from scheduling.services.bookings import AttendeeInput, booking_create
from tests.notifications.conftest import book, event_of, html_of, only
from tests.scheduling.conftest import make_meeting_type

pytestmark = pytest.mark.django_db

JANE, GUEST, HOST = "jane@client.test", "guest@client.test", "owner@acme.test"


def description(message) -> str:
    return str(event_of(message)["description"])


def test_only_the_bookers_email_and_ics_carry_the_manage_link(run_on_commit, meeting_type,
                                                               start):
    run_on_commit(book, meeting_type, start, bringalong_emails=[GUEST])
    booker, guest, host = only(mail.outbox, JANE), only(mail.outbox, GUEST), only(mail.outbox, HOST)
    assert "/manage/" in booker.body and "/manage/" in html_of(booker)
    assert "/manage/" in description(booker)
    for message in (guest, host):
        assert "/manage/" not in message.body
        assert "/manage/" not in html_of(message)
        assert "/manage/" not in description(message)


def test_a_reschedule_gives_the_booker_a_new_link_and_the_guest_none(
        run_on_commit, meeting_type, start):
    appointment = run_on_commit(book, meeting_type, start, bringalong_emails=[GUEST])
    mail.outbox.clear()
    run_on_commit(appointment_reschedule, appointment=appointment,
                  start=start.replace(hour=13))
    assert "/manage/" in description(only(mail.outbox, JANE))
    assert "/manage/" not in description(only(mail.outbox, GUEST))
    assert "/manage/" not in description(only(mail.outbox, HOST))


def _book_named(meeting_type, start, first_name: str, last_name: str = ""):
    attendee = AttendeeInput(email=JANE, first_name=first_name, last_name=last_name, notes={})
    return booking_create(company=meeting_type.company, meeting_type=meeting_type,
                          start=start, attendee=attendee).appointment


def test_a_newline_stored_in_a_name_still_delivers_the_hosts_request(
        run_on_commit, host, start):
    """A name stored before folding existed: the host must still be asked, else the
    booking waiting for them would expire unseen."""
    meeting_type = make_meeting_type(host, title="Intro\ncall", slug="needs-ok",
                                     durations=[30], default_duration=30,
                                     require_host_confirmation=True)
    run_on_commit(_book_named, meeting_type, start, "Jane\r\nBcc: victim@evil.test", "Smith")
    message = only(mail.outbox, HOST)
    assert "\n" not in message.subject and "\r" not in message.subject
    assert message.subject.startswith("Please confirm or decline: Intro call with Jane")
    assert message.message()["Bcc"] is None
    assert SentEmail.objects.filter(kind=EmailKind.HOST_REQUEST, recipient=HOST).exists()


def test_a_newline_in_a_name_sent_to_the_api_is_folded(api, meeting_type, start):
    body = {"meetingTypeId": str(meeting_type.uuid), "start": start.isoformat(),
            "attendee": {"email": JANE, "firstname": "Jane\nX-Header: 1",
                         "lastname": "Smith\t\u2028"}}
    response = api.post("/v4/booking", body, format="json")
    assert response.status_code == 201, response.json()
    appointment_id = response.json()["appointmentId"]
    attendee = api.get(f"/v4/appointment/{appointment_id}").json()["attendee"]
    assert (attendee["firstname"], attendee["lastname"]) == ("Jane X-Header: 1", "Smith")


def test_a_name_that_looks_like_an_address_is_not_a_link_in_the_hosts_email(
        run_on_commit, meeting_type, start):
    run_on_commit(_book_named, meeting_type, start, "http://evil.test/login")
    html = html_of(only(mail.outbox, HOST))
    assert "http://evil.test/login" in html  # shown, as text
    assert 'href="http://evil.test' not in html


def test_the_join_link_the_system_built_is_still_a_link(run_on_commit, meeting_type, start):
    appointment = run_on_commit(book, meeting_type, start)
    assert appointment.meeting_link
    assert f'href="{appointment.meeting_link}"' in html_of(only(mail.outbox, JANE))
