"""Busy time of a CalDAV account (a real Radicale on 127.0.0.1) read live when slots
are asked for and again when a time is booked, as GET /v4/booking-availability and
POST /v4/booking show; a failing, slow or refusing server never fails the slots."""

import datetime as dt
import time
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache

from scheduling.models import BusyTime, CalDAVCalendar, CalendarConnection
from tests.calendars.caldav_helpers import busy_event, connect_caldav
from tests.calendars.conftest import calendar, ics_local
from tests.calendars.drip import drip_server
from tests.calendars.helpers import BERLIN, half_hours, local_slots, next_dst_start
from tests.conftest import client_for
from tests.scheduling.conftest import make_meeting_type, make_schedule, monday_after

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_loopback")]

WORKDAY = half_hours("09:00", "17:00")
SLOT_TAKEN = "The selected time slot is no longer available"


@pytest.fixture(autouse=True)
def _no_reads_remembered():
    """Reads are remembered in the test Redis, which outlives a test."""
    cache.clear()


@pytest.fixture
def intro(owner):
    make_schedule(owner, timezone="Europe/Berlin", is_default=True)
    return make_meeting_type(owner, durations=[30], default_duration=30,
                             max_days_in_advance=365)


@pytest.fixture
def client(owner):
    return client_for(owner, act_as=owner)


def without(times: list[str], *taken: str) -> list[str]:
    return [t for t in times if t not in taken]


def book(client, meeting_type, start: dt.datetime):
    return client.post("/v4/booking", {
        "meetingTypeId": str(meeting_type.uuid), "start": start.isoformat(),
        "attendee": {"email": "jane@client.test", "firstname": "Jane", "lastname": "Smith"},
    }, format="json")


def test_busy_events_block_their_local_hours_across_a_dst_change(owner, intro, client, radicale):
    change = next_dst_start()  # a Sunday
    before, after = change - dt.timedelta(days=6), change + dt.timedelta(days=1)  # Mondays
    account = connect_caldav(owner, radicale, "work", "home")
    radicale.put_event(account.username, account.urls["work"], "weekly.ics", calendar(f"""
UID:weekly@tests
SUMMARY:Team meeting
DTSTART;TZID=Europe/Berlin:{ics_local(before, "10:00")}
DTEND;TZID=Europe/Berlin:{ics_local(before, "11:00")}
RRULE:FREQ=WEEKLY;COUNT=2"""))
    radicale.put_event(account.username, account.urls["home"], "dentist.ics", calendar(f"""
UID:dentist@tests
SUMMARY:Dentist
DTSTART;TZID=Europe/Berlin:{ics_local(after, "14:00")}
DTEND;TZID=Europe/Berlin:{ics_local(after, "15:00")}"""))

    assert local_slots(client, intro, before) == without(WORKDAY, "10:00", "10:30")
    assert local_slots(client, intro, after) == without(WORKDAY, "10:00", "10:30", "14:00",
                                                        "14:30")
    # The same local hour is a different UTC hour on each side of the change.
    work = account.calendar("work")
    assert sorted(b.start.hour for b in BusyTime.objects.filter(caldav_calendar=work)) == [8, 9]
    # The calendar that receives bookings is read by event query (Termin's own events
    # are left out of it); the other one by the server's free-busy query.
    assert work.free_busy is None and account.calendar("home").free_busy is True
    connection = CalendarConnection.objects.get(pk=account.connection.pk)
    assert connection.last_error == "" and connection.last_synced_at is not None


def test_a_calendar_not_chosen_as_busy_blocks_nothing(owner, intro, client, radicale):
    day = monday_after(7)
    account = connect_caldav(owner, radicale, "work", "birthdays")
    radicale.put_event(account.username, account.urls["birthdays"], "b.ics",
                       busy_event("b@tests", dt.datetime.combine(day, dt.time(9), BERLIN)))
    CalDAVCalendar.objects.filter(pk=account.calendar("birthdays").pk).update(busy=False)
    assert local_slots(client, intro, day) == WORKDAY


@pytest.mark.django_db(transaction=True)  # a read counts once it has committed
def test_a_read_is_reused_for_a_minute_and_a_booking_reads_again(owner, intro, client, radicale):
    day = monday_after(7)
    account = connect_caldav(owner, radicale, "work")
    assert local_slots(client, intro, day) == WORKDAY
    # Added on the server after the slots were read: the cached read still says free.
    eleven = dt.datetime.combine(day, dt.time(11), BERLIN)
    radicale.put_event(account.username, account.urls["work"], "new.ics",
                       busy_event("new@tests", eleven))
    assert local_slots(client, intro, day) == WORKDAY

    refused = book(client, intro, eleven)
    assert refused.status_code == 400 and refused.json()["message"] == SLOT_TAKEN
    assert local_slots(client, intro, day) == without(WORKDAY, "11:00", "11:30")
    assert book(client, intro, eleven + dt.timedelta(hours=1)).status_code == 201


def test_wrong_credentials_show_on_the_connection_and_leave_the_slots(owner, intro, client,
                                                                      radicale):
    day = monday_after(7)
    account = connect_caldav(owner, radicale, "work")
    radicale.put_event(account.username, account.urls["work"], "e.ics",
                       busy_event("e@tests", dt.datetime.combine(day, dt.time(9), BERLIN)))
    assert local_slots(client, intro, day) == without(WORKDAY, "09:00", "09:30")
    radicale.set_password(account.username, "changed-on-the-server")
    cache.clear()  # as a minute later

    assert local_slots(client, intro, day) == without(WORKDAY, "09:00", "09:30")
    connection = CalendarConnection.objects.get(pk=account.connection.pk)
    assert connection.last_error == "The CalDAV server refused the username or password"
    assert connection.last_error_at is not None
    shown = client.get(f"/v4/calendar-connections/{connection.uuid}").json()
    assert shown["status"] == "error" and shown["lastError"] == connection.last_error
    assert account.calendar("work").last_error == connection.last_error


def test_a_server_that_does_not_answer_costs_the_slots_its_budget_once(
        owner, intro, client, radicale, settings):
    settings.CALDAV_READ_SECONDS = 1.0
    day = monday_after(7)
    account = connect_caldav(owner, radicale, "work")
    radicale.put_event(account.username, account.urls["work"], "e.ics",
                       busy_event("e@tests", dt.datetime.combine(day, dt.time(16), BERLIN)))
    assert local_slots(client, intro, day) == without(WORKDAY, "16:00", "16:30")
    cache.clear()
    with drip_server(slow_headers=True) as drip:
        slow = urlsplit(drip.url).netloc
        CalendarConnection.objects.filter(pk=account.connection.pk).update(
            url=f"http://{slow}/")
        calendar_row = account.calendar("work")
        CalDAVCalendar.objects.filter(pk=calendar_row.pk).update(
            url=f"http://{slow}/{account.username}/work/")

        began = time.monotonic()
        assert local_slots(client, intro, day) == without(WORKDAY, "16:00", "16:30")
        first = time.monotonic() - began
        began = time.monotonic()
        assert local_slots(client, intro, day) == without(WORKDAY, "16:00", "16:30")
        second = time.monotonic() - began
    assert 1.0 <= first < 3.0, first
    assert second < 0.5, second  # not asked again while it is failing
    connection = CalendarConnection.objects.get(pk=account.connection.pk)
    assert connection.last_error == "The CalDAV server did not answer within 1 seconds"


def test_a_server_that_is_down_leaves_its_last_known_busy_time(owner, intro, client,
                                                                own_radicale):
    day = monday_after(7)
    account = connect_caldav(owner, own_radicale, "work")
    own_radicale.put_event(account.username, account.urls["work"], "e.ics",
                           busy_event("e@tests", dt.datetime.combine(day, dt.time(13), BERLIN)))
    assert local_slots(client, intro, day) == without(WORKDAY, "13:00", "13:30")
    own_radicale.stop()
    cache.clear()

    assert local_slots(client, intro, day) == without(WORKDAY, "13:00", "13:30")
    connection = CalendarConnection.objects.get(pk=account.connection.pk)
    assert connection.last_error.startswith("The CalDAV server could not be reached")
    thirteen = dt.datetime.combine(day, dt.time(13), BERLIN)
    assert book(client, intro, thirteen).json()["message"] == SLOT_TAKEN
    assert book(client, intro, thirteen + dt.timedelta(hours=1)).status_code == 201
