"""Busy time read from a connected calendar feed (served by a real HTTP server on
127.0.0.1) takes slots away and refuses bookings, as GET /v4/booking-availability
and POST /v4/booking show."""

import datetime as dt

import pytest

from scheduling.choices import QueueKind
from scheduling.models import Appointment, BusyTime
from scheduling.services.queues import queue_create
from tests.calendars.conftest import calendar, ics_date, ics_local, ics_utc
from tests.calendars.helpers import BERLIN, connect, half_hours, local_slots, next_dst_start
from tests.conftest import client_for
from tests.scheduling.conftest import make_meeting_type, make_schedule, monday_after

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_loopback")]

WORKDAY = half_hours("09:00", "17:00")
SLOT_TAKEN = "The selected time slot is no longer available"


@pytest.fixture
def intro(owner):
    make_schedule(owner, timezone="Europe/Berlin", is_default=True)
    return make_meeting_type(owner, durations=[30], default_duration=30)


@pytest.fixture
def client(owner):
    return client_for(owner, act_as=owner)


def without(times: list[str], *taken: str) -> list[str]:
    return [t for t in times if t not in taken]


def test_a_weekly_meeting_with_exceptions_blocks_its_local_hour_across_a_dst_change(
        owner, intro, client, server):
    change = next_dst_start()  # a Sunday: the Mondays around it differ in UTC offset
    first = change - dt.timedelta(days=13)  # the Monday two weeks before
    moved = change + dt.timedelta(days=1)  # the Monday right after: moved to 14:00
    skipped = change + dt.timedelta(days=8)  # the Monday after that: cancelled (EXDATE)
    feed = calendar(
        f"""UID:weekly@tests
SUMMARY:Team meeting
DTSTART;TZID=Europe/Berlin:{ics_local(first, "10:00")}
DTEND;TZID=Europe/Berlin:{ics_local(first, "11:00")}
RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=5
EXDATE;TZID=Europe/Berlin:{ics_local(skipped, "10:00")}""",
        f"""UID:weekly@tests
RECURRENCE-ID;TZID=Europe/Berlin:{ics_local(moved, "10:00")}
SUMMARY:Team meeting (moved)
DTSTART;TZID=Europe/Berlin:{ics_local(moved, "14:00")}
DTEND;TZID=Europe/Berlin:{ics_local(moved, "15:00")}""",
    )
    connection = connect(owner, server.serve("/team.ics", feed))
    assert connection.last_error == "" and connection.busy_count == 4

    for monday in (first, first + dt.timedelta(days=7), skipped + dt.timedelta(days=7)):
        assert local_slots(client, intro, monday) == without(WORKDAY, "10:00", "10:30"), monday
    assert local_slots(client, intro, moved) == without(WORKDAY, "14:00", "14:30")
    assert local_slots(client, intro, skipped) == WORKDAY
    # The same local hour is a different UTC hour on each side of the change.
    hours = sorted({b.start.hour for b in BusyTime.objects.filter(connection=connection)
                    if b.start.date() != moved})
    assert hours == [8, 9]


def test_an_all_day_event_blocks_the_whole_day_in_the_hosts_zone(owner, intro, client, server):
    day = monday_after(7)
    # The host's schedule is in Berlin while the user's own zone says New York: the
    # schedule's zone is the one the day is read in.
    owner.user.timezone = "America/New_York"
    owner.user.save(update_fields=["timezone"])
    feed = calendar(f"""UID:holiday@tests
SUMMARY:Holiday
DTSTART;VALUE=DATE:{ics_date(day)}
DTEND;VALUE=DATE:{ics_date(day + dt.timedelta(days=1))}""")
    connection = connect(owner, server.serve("/holiday.ics", feed))

    assert local_slots(client, intro, day) == []
    assert local_slots(client, intro, day + dt.timedelta(days=1)) == WORKDAY
    busy = BusyTime.objects.get(connection=connection)
    assert busy.start == dt.datetime.combine(day, dt.time(0), BERLIN)
    assert busy.end == dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), BERLIN)


def test_a_multi_day_event_blocks_every_day_it_spans(owner, intro, client, server):
    day = monday_after(7)
    feed = calendar(f"""UID:trip@tests
SUMMARY:Conference
DTSTART;TZID=Europe/Berlin:{ics_local(day, "15:00")}
DTEND;TZID=Europe/Berlin:{ics_local(day + dt.timedelta(days=2), "11:00")}""")
    connect(owner, server.serve("/trip.ics", feed))

    assert local_slots(client, intro, day) == half_hours("09:00", "15:00")
    assert local_slots(client, intro, day + dt.timedelta(days=1)) == []
    assert local_slots(client, intro, day + dt.timedelta(days=2)) == half_hours("11:00", "17:00")


def test_transparent_and_cancelled_events_block_nothing(owner, intro, client, server):
    day = monday_after(7)
    start = dt.datetime.combine(day, dt.time(10), BERLIN)
    feed = calendar(
        f"""UID:free@tests
SUMMARY:Focus time (free)
TRANSP:TRANSPARENT
DTSTART:{ics_utc(start)}
DTEND:{ics_utc(start + dt.timedelta(hours=2))}""",
        f"""UID:off@tests
SUMMARY:Called off
STATUS:CANCELLED
DTSTART:{ics_utc(start + dt.timedelta(hours=4))}
DTEND:{ics_utc(start + dt.timedelta(hours=5))}""",
    )
    connection = connect(owner, server.serve("/free.ics", feed))

    assert connection.last_error == "" and connection.busy_count == 0
    assert local_slots(client, intro, day) == WORKDAY


def test_booking_into_time_a_feed_makes_busy_is_refused(owner, intro, api, server):
    day = monday_after(7)
    start = dt.datetime.combine(day, dt.time(11), BERLIN)
    feed = calendar(f"""UID:dentist@tests
SUMMARY:Dentist
DTSTART:{ics_utc(start)}
DTEND:{ics_utc(start + dt.timedelta(hours=1))}""")
    connect(owner, server.serve("/dentist.ics", feed))
    body = {"meetingTypeId": str(intro.uuid), "attendee": {"email": "jane@client.test",
            "firstname": "Jane", "lastname": "Smith", "receiveReminders": True, "notes": {}}}

    refused = api.post("/v4/booking", {**body, "start": start.isoformat()}, format="json")
    assert refused.status_code == 400
    assert refused.json()["message"] == SLOT_TAKEN
    booked = api.post("/v4/booking", {**body, "start": (start + dt.timedelta(hours=1))
                                      .isoformat()}, format="json")
    assert booked.status_code == 201, booked.json()


def test_a_feed_busy_for_one_round_robin_member_sends_the_booking_to_another(
        owner, admin_member, server):
    for membership in (owner, admin_member):
        make_schedule(membership, timezone="Europe/Berlin", is_default=True)
    queue = queue_create(company=owner.company, actor=owner, name="Sales",
                         kind=QueueKind.ROUND_ROBIN,
                         member_ids=[str(owner.user.uuid), str(admin_member.user.uuid)])
    meeting_type = make_meeting_type(owner, queue_id=str(queue.uuid), durations=[30])
    day = monday_after(7)
    feed = calendar(f"""UID:allday@tests
DTSTART;VALUE=DATE:{ics_date(day)}""")  # no DTEND: the one day
    connect(owner, server.serve("/owner.ics", feed))
    client = client_for(owner)

    response = client.post("/v4/booking", {
        "meetingTypeId": str(meeting_type.uuid),
        "start": dt.datetime.combine(day, dt.time(10), BERLIN).isoformat(),
        "attendee": {"email": "jo@client.test", "firstname": "Jo", "lastname": "Doe",
                     "receiveReminders": True, "notes": {}},
    }, format="json")
    assert response.status_code == 201, response.json()
    appointment = Appointment.objects.get(uuid=response.json()["appointmentId"])
    assert list(appointment.hosts.all()) == [admin_member.user]
