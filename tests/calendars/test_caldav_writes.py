"""Bookings written into the host's CalDAV calendar (a real Radicale on 127.0.0.1):
a confirmed booking appears with the UID of its ``.ics``, a reschedule moves it, a
cancellation removes it, and a server that is down only delays it."""

import datetime as dt

import icalendar
import pytest
from django.core.cache import cache
from django.utils import timezone

from scheduling.models import Appointment, CalendarEventCopy
from scheduling.services import caldav, caldav_writes
from scheduling.services.appointments import appointment_confirm
from tests.calendars.caldav_helpers import connect_caldav
from tests.calendars.helpers import BERLIN, half_hours, local_slots
from tests.conftest import client_for
from tests.scheduling.conftest import make_meeting_type, make_schedule, monday_after

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_loopback")]


@pytest.fixture(autouse=True)
def _no_reads_remembered():
    cache.clear()


@pytest.fixture
def intro(owner):
    make_schedule(owner, timezone="Europe/Berlin", is_default=True)
    return make_meeting_type(owner, durations=[30], default_duration=30, channels=["connect"])


@pytest.fixture
def client(owner):
    return client_for(owner, act_as=owner)


def book(client, meeting_type, start: dt.datetime) -> Appointment:
    response = client.post("/v4/booking", {
        "meetingTypeId": str(meeting_type.uuid), "start": start.isoformat(),
        "attendee": {"email": "jane@client.test", "firstname": "Jane", "lastname": "Smith"},
    }, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    return Appointment.objects.get(uuid=body.get("appointmentId") or body["provisionalBookingId"])


def events_of(server, account, slug: str = "work") -> list[icalendar.Event]:
    return [event for text in server.events(account.username, account.urls[slug])
            for event in icalendar.Calendar.from_ical(text).walk("VEVENT")]


def test_a_confirmed_booking_appears_in_the_calendar_with_the_uid_of_its_ics(
        owner, intro, client, radicale, django_capture_on_commit_callbacks):
    account = connect_caldav(owner, radicale, "work", "home")
    start = dt.datetime.combine(monday_after(7), dt.time(10), BERLIN)
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(client, intro, start)

    [event] = events_of(radicale, account)
    assert str(event["UID"]) == f"{appointment.uuid}@termin"
    assert event.decoded("DTSTART") == start and event.decoded("DTEND") == appointment.end
    assert str(event["SUMMARY"]) == "Intro call with Jane Smith"
    assert f"Join: {appointment.meeting_link}" in str(event["DESCRIPTION"])
    attendees = event.get("ATTENDEE")
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert [str(a) for a in attendees] == ["mailto:jane@client.test"]
    assert attendees[0].params["SCHEDULE-AGENT"] == "CLIENT"
    assert str(event["ORGANIZER"]) == f"mailto:{owner.user.email}"
    assert events_of(radicale, account, "home") == []
    copy = CalendarEventCopy.objects.get(appointment=appointment)
    assert copy.due_at is None and copy.href.endswith(f"/work/{appointment.uuid}.ics")


def test_a_reschedule_moves_the_event_and_a_cancel_removes_it(
        owner, intro, client, radicale, django_capture_on_commit_callbacks):
    account = connect_caldav(owner, radicale, "work")
    start = dt.datetime.combine(monday_after(7), dt.time(10), BERLIN)
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(client, intro, start)
    later = start + dt.timedelta(days=1, hours=3)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.patch(f"/v4/appointment/{appointment.uuid}",
                                {"start": later.isoformat()}, format="json")
    assert response.status_code == 200, response.json()

    [event] = events_of(radicale, account)
    assert str(event["UID"]) == f"{appointment.uuid}@termin"
    assert event.decoded("DTSTART") == later

    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"/v4/appointment/{appointment.uuid}").status_code == 200
    assert events_of(radicale, account) == []
    assert CalendarEventCopy.objects.get(appointment=appointment).href == ""


def test_termins_own_event_is_not_read_back_as_busy_time(
        owner, intro, client, radicale, django_capture_on_commit_callbacks):
    account = connect_caldav(owner, radicale, "work")
    day = monday_after(7)
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(client, intro, dt.datetime.combine(day, dt.time(10), BERLIN))
    assert len(events_of(radicale, account)) == 1
    # Rescheduling it: its own time is free, whatever its event in the calendar says.
    response = client.get("/v4/booking-availability", {
        "meetingTypeId": str(intro.uuid), "start": str(day), "end": str(day),
        "timezone": "Europe/Berlin", "existingAppointmentId": str(appointment.uuid)})
    starts = [dt.datetime.fromisoformat(s["start"]).astimezone(BERLIN).strftime("%H:%M")
              for s in response.json()["availableSlots"]]
    assert starts == half_hours("09:00", "17:00")
    # Otherwise the appointment itself holds the time, once.
    assert "10:00" not in local_slots(client, intro, day)


def test_the_event_arrives_once_a_server_that_was_down_is_back(
        owner, intro, client, own_radicale, django_capture_on_commit_callbacks):
    account = connect_caldav(owner, own_radicale, "work")
    own_radicale.stop()
    start = dt.datetime.combine(monday_after(7), dt.time(15), BERLIN)
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(client, intro, start)  # the booking does not wait for the server
    copy = CalendarEventCopy.objects.get(appointment=appointment)
    assert copy.href == "" and copy.attempts == 1 and copy.due_at is not None
    assert copy.last_error.startswith("The CalDAV server could not be reached")
    shown = client.get(f"/v4/calendar-connections/{account.connection.uuid}").json()
    assert shown["writes"] == {"pending": 1, "lastError": copy.last_error,
                               "lastErrorAt": shown["writes"]["lastErrorAt"]}

    own_radicale.start()
    assert caldav_writes.copies_sweep() == 0  # backing off: not due yet
    CalendarEventCopy.objects.filter(pk=copy.pk).update(due_at=timezone.now())  # 30 s later
    assert caldav_writes.copies_sweep() == 1  # the (eager) task writes it
    [event] = events_of(own_radicale, account)
    assert str(event["UID"]) == f"{appointment.uuid}@termin"
    copy.refresh_from_db()
    assert copy.due_at is None and copy.last_error == "" and copy.attempts == 0


def test_a_provisional_booking_is_written_once_confirmed_into_the_chosen_calendar(
        owner, client, radicale, django_capture_on_commit_callbacks):
    make_schedule(owner, timezone="Europe/Berlin", is_default=True)
    meeting_type = make_meeting_type(owner, durations=[30], require_host_confirmation=True)
    account = connect_caldav(owner, radicale, "work", "home")
    caldav.connection_update(connection=account.connection,
                             booking_calendar_id=str(account.calendar("home").uuid))
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(client, meeting_type,
                           dt.datetime.combine(monday_after(7), dt.time(11), BERLIN))
    assert events_of(radicale, account, "home") == []
    with django_capture_on_commit_callbacks(execute=True):
        appointment_confirm(appointment=appointment)
    [event] = events_of(radicale, account, "home")
    assert str(event["UID"]) == f"{appointment.uuid}@termin"
    assert events_of(radicale, account, "work") == []


def test_without_a_booking_calendar_nothing_is_written(
        owner, intro, client, radicale, django_capture_on_commit_callbacks):
    account = connect_caldav(owner, radicale, "work")
    caldav.connection_update(connection=account.connection, booking_calendar_id=None)
    with django_capture_on_commit_callbacks(execute=True):
        book(client, intro, dt.datetime.combine(monday_after(7), dt.time(9), BERLIN))
    assert events_of(radicale, account) == []
    assert not CalendarEventCopy.objects.exists()
