"""Each email about an appointment: who gets it, its subject, language, parts,
the .ics attached and the links in it, followed with the test client."""

import datetime as dt
import re

import pytest
from django.core import mail

from scheduling import notifications
from scheduling.models import Appointment, AppointmentStatus, EmailKind, SentEmail
from scheduling.services.appointments import (
    appointment_cancel,
    appointment_confirm,
    appointment_decline,
    appointment_reschedule,
)
from tests.notifications.conftest import book, event_of, html_of, ics_of, only, sent_to
from tests.scheduling.conftest import make_meeting_type

pytestmark = pytest.mark.django_db

JANE = "jane@client.test"
HOST = "owner@acme.test"


def link_in(text: str, path: str) -> str:
    found = re.findall(rf"http://127\.0\.0\.1:8000(/{path}/[^\s\"<]+)", text)
    assert found, text
    return found[0]


# --- confirmation ---------------------------------------------------------------------


def test_a_confirmed_booking_sends_the_attendee_a_confirmation_with_the_ics(
        run_on_commit, meeting_type, start):
    appointment = run_on_commit(book, meeting_type, start, timezone="Europe/Berlin")
    message = only(mail.outbox, JANE)
    assert message.to == [JANE]
    assert message.reply_to == [HOST]
    assert message.subject.startswith("Confirmed: Intro call on Monday, ")
    assert "11:00–11:30 (Europe/Berlin)" in message.subject or \
        "12:00–12:30 (Europe/Berlin)" in message.subject
    assert "Hello Jane Smith," in message.body
    assert "Your booking is confirmed." in html_of(message)
    event = event_of(message)
    assert event["uid"] == f"{appointment.uuid}@termin"
    assert event.decoded("dtstart") == start
    assert event.decoded("dtend") == start + dt.timedelta(minutes=30)
    assert str(event["status"]) == "CONFIRMED"
    assert str(ics_of(message)["method"]) == "REQUEST"


def test_the_manage_link_in_the_confirmation_opens_the_booking(
        run_on_commit, meeting_type, start, client):
    run_on_commit(book, meeting_type, start)
    message = only(mail.outbox, JANE)
    path = link_in(message.body, "manage")
    assert link_in(html_of(message), "manage") == path
    response = client.get(path)
    assert response.status_code == 200
    assert b"Intro call" in response.content


def test_the_host_gets_a_notice_of_the_booking_with_the_ics(run_on_commit, meeting_type, start):
    run_on_commit(book, meeting_type, start)
    message = only(mail.outbox, HOST)
    assert message.subject.startswith("New booking: Intro call with Jane Smith on Monday, ")
    assert "(Europe/Berlin)" in message.subject  # the host's time zone
    assert "Jane Smith booked an appointment with you." in message.body
    assert message.reply_to == [JANE]
    assert event_of(message).decoded("dtstart") == start
    assert "/manage/" not in message.body


def test_bring_along_guests_get_the_confirmation_with_the_ics_but_no_manage_link(
        run_on_commit, meeting_type, start):
    run_on_commit(book, meeting_type, start, language="de",
                  bringalong_emails=["guest@client.test"])
    message = only(mail.outbox, "guest@client.test")
    assert message.subject.startswith("Bestätigt: Intro call am Montag, ")  # the booker's language
    assert message.body.startswith("Hallo,")
    assert "Jane Smith hat Sie zu diesem Termin eingeladen." in message.body
    assert event_of(message).decoded("dtstart") == start
    assert "/manage/" not in message.body
    assert "/manage/" in only(mail.outbox, JANE).body


def test_a_german_attendee_gets_the_confirmation_in_german(run_on_commit, meeting_type, start):
    run_on_commit(book, meeting_type, start, language="de-AT", timezone="Europe/Berlin")
    message = only(mail.outbox, JANE)
    assert message.subject.startswith("Bestätigt: Intro call am Montag, ")
    assert "Hallo Jane Smith," in message.body
    assert "Ihre Buchung ist bestätigt." in message.body
    assert "Termin absagen oder verschieben" in html_of(message)
    assert 'lang="de"' in html_of(message)
    assert SentEmail.objects.get(recipient=JANE).language == "de"
    # The host's email stays in English.
    assert only(mail.outbox, HOST).subject.startswith("New booking: ")


def test_an_unknown_language_falls_back_to_english(run_on_commit, meeting_type, start):
    run_on_commit(book, meeting_type, start, language="fr")
    assert only(mail.outbox, JANE).subject.startswith("Confirmed: ")


def test_every_email_has_a_text_and_an_html_part(run_on_commit, meeting_type, start):
    run_on_commit(book, meeting_type, start)
    for message in mail.outbox:
        assert message.body.strip()
        assert "<html" in html_of(message)
        assert "<" not in message.body  # the text part is not escaped HTML


def test_skip_notifications_silences_the_attendees_but_not_the_host(
        run_on_commit, meeting_type, start):
    run_on_commit(book, meeting_type, start, skip_notifications=True,
                  bringalong_emails=["guest@client.test"])
    assert [m.to for m in mail.outbox] == [[HOST]]


def test_sent_emails_are_logged_with_kind_language_and_start(run_on_commit, meeting_type, start):
    appointment = run_on_commit(book, meeting_type, start, language="de")
    rows = {(row.recipient, row.kind, row.language) for row in appointment.sent_emails.all()}
    assert rows == {(JANE, EmailKind.CONFIRMATION, "de"), (HOST, EmailKind.HOST_BOOKED, "en")}
    assert {row.start for row in appointment.sent_emails.all()} == {start}


def test_a_retried_task_does_not_send_twice_what_it_sent_before(meeting_type, start):
    appointment = book(meeting_type, start)
    queued = {"event": "booked", "appointment_id": appointment.pk,
              "status": appointment.status, "queued_at": dt.datetime.now(dt.UTC).isoformat()}
    assert len(notifications.appointment_notify(**queued)) == 2
    assert notifications.appointment_notify(**queued) == []
    assert len(mail.outbox) == 2


def test_nothing_is_confirmed_by_email_once_the_booking_was_cancelled(
        django_capture_on_commit_callbacks, meeting_type, start):
    with django_capture_on_commit_callbacks() as queued:
        appointment = book(meeting_type, start)
        appointment_cancel(appointment=appointment)
    for callback in queued:
        callback()
    assert {m.subject.split(":")[0] for m in mail.outbox} == {"Cancelled"}


# --- double opt-in --------------------------------------------------------------------------


@pytest.fixture
def optin_type(host):
    return make_meeting_type(host, title="Consultation", slug="consultation", durations=[30],
                             default_duration=30, double_opt_in=True)


def test_double_opt_in_sends_only_the_opt_in_link_and_following_it_confirms(
        run_on_commit, optin_type, start, client, django_capture_on_commit_callbacks):
    appointment = run_on_commit(book, optin_type, start, language="de",
                                bringalong_emails=["guest@client.test"])
    message = only(mail.outbox, JANE)
    assert len(mail.outbox) == 1  # no host notice, nothing to the guest yet
    assert message.subject == "Bitte bestätigen Sie Ihre Buchung: Consultation"
    assert not message.attachments
    path = link_in(message.body, "optin")
    assert client.get(path).status_code == 200
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.PENDING_OPTIN
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path)
    assert response.status_code == 302
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.CONFIRMED
    assert {tuple(m.to) for m in mail.outbox} == {(JANE,), ("guest@client.test",), (HOST,)}
    assert only(mail.outbox, JANE).subject.startswith("Bestätigt: Consultation am ")


def test_skip_notifications_also_skips_the_opt_in_link(run_on_commit, optin_type, start):
    run_on_commit(book, optin_type, start, skip_notifications=True)
    assert mail.outbox == []


# --- host confirmation ---------------------------------------------------------------------


@pytest.fixture
def host_type(host):
    return make_meeting_type(host, title="Big project", slug="big-project", durations=[30],
                             default_duration=30, require_host_confirmation=True)


def test_a_booking_awaiting_the_host_asks_the_host_and_tells_the_attendee(
        run_on_commit, host_type, start, client):
    run_on_commit(book, host_type, start)
    request = only(mail.outbox, HOST)
    assert request.subject == "Please confirm or decline: Big project with Jane Smith"
    assert link_in(request.body, "host") == link_in(html_of(request), "host")
    assert client.get(link_in(request.body, "host")).status_code == 200
    received = only(mail.outbox, JANE)
    assert received.subject == "Booking request received: Big project"
    assert "Olivia Owner will confirm or decline it" in received.body


def test_the_host_confirming_through_the_link_sends_the_confirmation(
        run_on_commit, host_type, start, client, django_capture_on_commit_callbacks):
    appointment = run_on_commit(book, host_type, start)
    path = link_in(only(mail.outbox, HOST).body, "host")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(path, {"action": "confirm"})
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.CONFIRMED
    assert event_of(only(mail.outbox, JANE)).decoded("dtstart") == start
    assert only(mail.outbox, HOST).subject.startswith("New booking: ")


def test_the_host_declining_through_the_link_tells_the_attendee(
        run_on_commit, host_type, start, client, django_capture_on_commit_callbacks):
    run_on_commit(book, host_type, start, language="de")
    path = link_in(only(mail.outbox, HOST).body, "host")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(path, {"action": "decline", "reason": "Fully booked that week"})
    message = only(mail.outbox, JANE)
    assert message.subject.startswith("Abgelehnt: Big project am Montag, ")
    assert "Fully booked that week" in message.body
    assert len(mail.outbox) == 1


def test_after_an_opt_in_a_meeting_type_needing_the_host_asks_the_host(
        run_on_commit, host, start):
    both = make_meeting_type(host, title="Audit", slug="audit", durations=[30],
                             default_duration=30, double_opt_in=True,
                             require_host_confirmation=True)
    appointment = run_on_commit(book, both, start)
    mail.outbox.clear()
    run_on_commit(appointment_confirm, appointment=appointment)
    assert [m.subject for m in mail.outbox] == ["Please confirm or decline: Audit with Jane Smith"]


# --- cancellation and reschedule ----------------------------------------------------------


def test_a_cancellation_tells_attendees_and_hosts_with_a_cancelling_ics(
        run_on_commit, meeting_type, start):
    appointment = run_on_commit(book, meeting_type, start,
                                bringalong_emails=["guest@client.test"])
    mail.outbox.clear()
    run_on_commit(appointment_cancel, appointment=appointment, reason="Ill", by_attendee=True)
    assert {tuple(m.to) for m in mail.outbox} == {(JANE,), ("guest@client.test",), (HOST,)}
    message = only(mail.outbox, JANE)
    assert message.subject.startswith("Cancelled: Intro call on Monday, ")
    assert "Reason: Ill" in message.body
    assert str(ics_of(message)["method"]) == "CANCEL"
    assert str(event_of(message)["status"]) == "CANCELLED"
    assert only(mail.outbox, HOST).subject.startswith("Cancelled: Intro call with Jane Smith")


def test_a_cancellation_with_notify_attendees_off_tells_only_the_hosts(
        run_on_commit, meeting_type, start):
    appointment = run_on_commit(book, meeting_type, start)
    mail.outbox.clear()
    run_on_commit(appointment_cancel, appointment=appointment, notify_attendees=False)
    assert [m.to for m in mail.outbox] == [[HOST]]


def test_cancelling_through_the_manage_link_sends_the_cancellation(
        run_on_commit, meeting_type, start, client, django_capture_on_commit_callbacks):
    run_on_commit(book, meeting_type, start, language="de")
    path = link_in(only(mail.outbox, JANE).body, "manage")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{path}/cancel", {"reason": "Krank"})
    assert response.status_code == 302
    message = only(mail.outbox, JANE)
    assert message.subject.startswith("Abgesagt: Intro call am Montag, ")
    assert "Grund: Krank" in message.body


def test_a_reschedule_sends_the_new_time_with_an_updated_ics(run_on_commit, meeting_type, start):
    appointment = run_on_commit(book, meeting_type, start, timezone="UTC",
                                bringalong_emails=["guest@client.test"])
    mail.outbox.clear()
    later = start + dt.timedelta(days=1, hours=2)  # Tuesday 12:00 UTC
    run_on_commit(appointment_reschedule, appointment=appointment, start=later)
    assert {tuple(m.to) for m in mail.outbox} == {(JANE,), ("guest@client.test",), (HOST,)}
    message = only(mail.outbox, JANE)
    assert message.subject.startswith("Rescheduled: Intro call, now on Tuesday, ")
    assert "12:00–12:30 (UTC)" in message.subject
    assert "Previously: Monday, " in message.body and "10:00–10:30 (UTC)" in message.body
    assert event_of(message).decoded("dtstart") == later
    assert "/manage/" in message.body
    assert "/manage/" not in only(mail.outbox, "guest@client.test").body
    assert event_of(only(mail.outbox, HOST)).decoded("dtstart") == later


def test_a_provisional_booking_moved_sends_no_reschedule(run_on_commit, optin_type, start):
    appointment = run_on_commit(book, optin_type, start)
    mail.outbox.clear()
    run_on_commit(appointment_reschedule, appointment=appointment,
                  start=start + dt.timedelta(hours=1))
    assert mail.outbox == []


def test_declining_through_the_service_is_a_declined_email_not_a_cancellation(
        run_on_commit, host_type, start):
    appointment = run_on_commit(book, host_type, start)
    mail.outbox.clear()
    run_on_commit(appointment_decline, appointment=appointment)
    assert [m.subject.split(":")[0] for m in sent_to(mail.outbox, JANE)] == ["Declined"]


def test_rescheduling_through_the_manage_link_sends_the_new_time(
        run_on_commit, meeting_type, start, client, django_capture_on_commit_callbacks):
    run_on_commit(book, meeting_type, start, timezone="UTC")
    path = link_in(only(mail.outbox, JANE).body, "manage")
    mail.outbox.clear()
    later = start + dt.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{path}/reschedule", {"start": later.isoformat()})
    assert response.status_code == 302
    message = only(mail.outbox, JANE)
    assert message.subject.startswith("Rescheduled: Intro call, now on Tuesday, ")
    assert event_of(message).decoded("dtstart") == later
