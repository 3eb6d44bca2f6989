"""Booking limits ({scope, period, max, unit}) through the API: the meeting type's
fields, the slots they hide, the bookings they refuse, reschedules, round robin,
the attendee's own links and weeks with a DST change."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from scheduling import selectors
from scheduling.choices import QueueKind
from scheduling.models import Appointment
from scheduling.services.queues import queue_create
from tests.conftest import make_member
from tests.scheduling.conftest import make_meeting_type, make_schedule
from tests.scheduling.test_bookings import at, book, utc_host

BERLIN = ZoneInfo("Europe/Berlin")
EVERY_DAY = {day: [{"start": "00:00", "end": "24:00"}] for day in (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}


def limit(scope="meetingType", period="day", most=1, unit="bookings") -> dict:
    return {"scope": scope, "period": period, "max": most, "unit": unit}


def slot_days(api, meeting_type, first: dt.date, last: dt.date, **params) -> set[str]:
    response = api.get("/v4/booking-availability", {
        "meetingTypeId": str(meeting_type.uuid), "start": str(first), "end": str(last),
        **params})
    assert response.status_code == 200, response.json()
    return {item["date"] for item in response.json()["dates"]}


def days(first: dt.date, *offsets: int) -> set[str]:
    return {str(first + dt.timedelta(days=n)) for n in offsets}


def refusal(response) -> tuple:
    return response.status_code, response.json()["errors"][0]


@pytest.fixture
def host(owner):
    return utc_host(owner)


# --- the meeting type's fields ---------------------------------------------------------


def test_limits_are_kept_as_sent_with_their_unit_and_the_daily_limit_mirrors_one(api, host):
    body = {"title": "Demo", "bookingLimits": [
        {"scope": "meetingType", "period": "day", "max": 3},
        limit("host", "week", 600, "minutes"), limit("attendeeEmail", "year", 1)]}
    created = api.post("/v4/meeting-type", body, format="json").json()
    assert created["bookingLimits"] == [limit(most=3), limit("host", "week", 600, "minutes"),
                                        limit("attendeeEmail", "year", 1)]
    assert created["dailyLimit"] == 3
    url = f"/v4/meeting-type/{created['id']}"
    changed = api.patch(url, {"dailyLimit": 5}, format="json").json()
    assert changed["bookingLimits"][0] == limit(most=5) and changed["dailyLimit"] == 5
    cleared = api.patch(url, {"dailyLimit": None}, format="json").json()
    assert cleared["dailyLimit"] is None and len(cleared["bookingLimits"]) == 2


def test_the_daily_limit_alone_is_one_limit(api, host):
    created = api.post("/v4/meeting-type", {"title": "Demo", "dailyLimit": 2},
                       format="json").json()
    assert created["bookingLimits"] == [limit(most=2)]


@pytest.mark.parametrize(("limits", "field", "message"), [
    ("weekly", "bookingLimits", "Expected a list of {scope, period, max, unit} objects"),
    ([limit(scope="team")], "bookingLimits.0.scope",
     "Use one of meetingType, host, attendeeEmail"),
    ([limit(period="fortnight")], "bookingLimits.0.period", "Use one of day, week, month, year"),
    ([limit(most=0)], "bookingLimits.0.max", "A whole number from 1 to 1000000"),
    ([limit(unit="hours")], "bookingLimits.0.unit", "Use one of bookings, minutes"),
    ([{**limit(), "every": 2}], "bookingLimits.0.every",
     "Unknown field 'every': a limit has scope, period, max, unit"),
    ([limit(), limit(most=2)], "bookingLimits.1",
     "Another limit has this scope, period and unit"),
])
def test_a_wrong_limit_is_a_400_naming_its_part(api, host, limits, field, message):
    response = api.post("/v4/meeting-type", {"title": "Demo", "bookingLimits": limits},
                        format="json")
    assert refusal(response) == (400, {"field": field, "message": message})


def test_a_daily_limit_that_disagrees_with_the_limits_is_a_400(api, host):
    response = api.post("/v4/meeting-type", {"title": "Demo", "dailyLimit": 2,
                                             "bookingLimits": [limit(most=3)]}, format="json")
    assert refusal(response) == (400, {"field": "dailyLimit",
                                       "message": "bookingLimits says otherwise: send one of them"})


# --- slots and bookings, by scope, period and unit ------------------------------------


def test_a_weekly_limit_hides_the_full_week_and_refuses_a_booking_in_it(api, host, day):
    meeting_type = make_meeting_type(host, booking_limits=[limit(period="week", most=2)])
    assert book(api, meeting_type, at(day, 9)).status_code == 201
    assert slot_days(api, meeting_type, day, day + dt.timedelta(days=11)) == days(
        day, 0, 1, 2, 3, 4, 7, 8, 9, 10, 11)
    assert book(api, meeting_type, at(day + dt.timedelta(days=3), 9)).status_code == 201
    assert slot_days(api, meeting_type, day, day + dt.timedelta(days=11)) == days(
        day, 7, 8, 9, 10, 11)
    refused = book(api, meeting_type, at(day + dt.timedelta(days=4), 9))
    assert refusal(refused) == (400, {
        "field": "start",
        "message": "Booking limit reached: 2 bookings per week of this meeting type for "
                   "this host"})
    assert book(api, meeting_type, at(day + dt.timedelta(days=7), 9)).status_code == 201


def test_a_monthly_limit_counts_the_calendar_month(api, host, day):
    meeting_type = make_meeting_type(host, booking_limits=[limit(period="month")])
    first = day.replace(day=1) + dt.timedelta(days=40)
    first = first.replace(day=1)  # a month that starts well ahead
    shown = slot_days(api, meeting_type, first, first + dt.timedelta(days=40))
    booked_on = min(shown)
    assert book(api, meeting_type, at(dt.date.fromisoformat(booked_on), 9)).status_code == 201
    after = slot_days(api, meeting_type, first, first + dt.timedelta(days=40))
    assert after and all(d[:7] != booked_on[:7] for d in after)


def test_a_host_limit_counts_the_hosts_other_meeting_types(api, host, day):
    capped = make_meeting_type(host, title="Capped", booking_limits=[limit("host", "day")])
    other = make_meeting_type(host, title="Other")
    assert book(api, other, at(day, 9)).status_code == 201
    assert str(day) not in slot_days(api, capped, day, day + dt.timedelta(days=1))
    refused = book(api, capped, at(day, 11))
    assert refusal(refused)[1]["message"] == (
        "Booking limit reached: 1 booking per day for this host")
    assert book(api, other, at(day, 11)).status_code == 201  # other has no limit


def test_a_limit_in_minutes_offers_what_still_fits(api, host, day):
    meeting_type = make_meeting_type(host, durations=[30, 60], default_duration=30,
                                     booking_limits=[limit(most=90, unit="minutes")])
    assert book(api, meeting_type, at(day, 9), duration=60).status_code == 201
    assert str(day) in slot_days(api, meeting_type, day, day, meetingDuration=30)
    assert str(day) not in slot_days(api, meeting_type, day, day, meetingDuration=60)
    assert book(api, meeting_type, at(day, 11), duration=60).status_code == 400
    assert book(api, meeting_type, at(day, 11), duration=30).status_code == 201
    assert book(api, meeting_type, at(day, 12), duration=30).status_code == 400


def test_an_email_limit_refuses_that_email_only_and_hides_its_periods(api, host, day):
    meeting_type = make_meeting_type(host, booking_limits=[limit("attendeeEmail", "week")])
    first = book(api, meeting_type, at(day, 9))
    assert first.status_code == 201
    again = book(api, meeting_type, at(day + dt.timedelta(days=2), 9))
    assert refusal(again) == (400, {
        "field": "attendee.email",
        "message": "Booking limit reached: 1 booking per week of this meeting type per email"})
    other = book(api, meeting_type, at(day + dt.timedelta(days=2), 9),
                 attendee={"email": "someone@else.test"})
    assert other.status_code == 201
    # Asked for the same email (or the appointment being rescheduled), the slots hide
    # the week; others still see it.
    week = slot_days(api, meeting_type, day, day + dt.timedelta(days=8),
                     attendeeEmail="JANE@client.test")
    assert week == days(day, 7, 8)
    assert slot_days(api, meeting_type, day, day + dt.timedelta(days=8)) == days(
        day, 0, 1, 2, 3, 4, 7, 8)
    moved = slot_days(api, meeting_type, day, day + dt.timedelta(days=8),
                      existingAppointmentId=first.json()["appointmentId"])
    assert moved == days(day, 0, 1, 2, 3, 4, 7, 8)  # its own booking does not count


def test_a_cancelled_booking_no_longer_counts(api, host, day):
    meeting_type = make_meeting_type(host, booking_limits=[limit()])
    booked = book(api, meeting_type, at(day, 9)).json()
    assert book(api, meeting_type, at(day, 11)).status_code == 400
    assert api.post(f"/v4/appointment/{booked['appointmentId']}/cancel", {},
                    format="json").status_code in (200, 201)
    assert book(api, meeting_type, at(day, 11)).status_code == 201


# --- reschedules ------------------------------------------------------------------------


def test_a_rescheduled_appointment_does_not_count_against_itself(api, host, day):
    meeting_type = make_meeting_type(host, booking_limits=[
        limit(period="week"), limit("attendeeEmail", "week")])
    booked = book(api, meeting_type, at(day, 9)).json()
    url = f"/v4/appointment/{booked['appointmentId']}"
    moved = api.patch(url, {"start": at(day + dt.timedelta(days=2), 10)}, format="json")
    assert moved.status_code == 200, moved.json()
    assert book(api, meeting_type, at(day + dt.timedelta(days=7), 9)).status_code == 201
    into_full = api.patch(url, {"start": at(day + dt.timedelta(days=8), 10)}, format="json")
    assert refusal(into_full)[1]["message"].startswith("Booking limit reached: 1 booking per")


def test_the_attendee_reschedules_within_the_limits_with_the_secret(api, host, day):
    meeting_type = make_meeting_type(host, booking_limits=[limit("attendeeEmail", "month")])
    booked = book(api, meeting_type, at(day, 9)).json()
    attendee = APIClient()
    attendee.credentials(HTTP_X_APPOINTMENT_SECRET=booked["secret"])
    url = f"/v4/public/appointment/{booked['appointmentId']}/reschedule"
    within = attendee.post(url, {"start": at(day + dt.timedelta(days=1), 10)}, format="json")
    assert within.status_code == 200, within.json()
    assert Appointment.objects.get(uuid=booked["appointmentId"]).start.day == (
        day + dt.timedelta(days=1)).day
    next_month = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    next_month += dt.timedelta(days=(7 - next_month.weekday()) % 7)  # a Monday
    assert book(api, meeting_type, at(next_month, 9)).status_code == 201
    into_full = attendee.post(url, {"start": at(next_month + dt.timedelta(days=1), 10)},
                              format="json")
    assert refusal(into_full) == (400, {
        "field": "attendee.email",
        "message": "Booking limit reached: 1 booking per month of this meeting type per email"})


# --- round robin ------------------------------------------------------------------------


def test_round_robin_skips_a_member_at_a_limit(api, owner, day):
    ada, bob = make_member(owner), make_member(owner)
    for member in (ada, bob):
        make_schedule(member, timezone="UTC", is_default=True)
    queue = queue_create(company=owner.company, actor=owner, name="Team",
                         kind=QueueKind.ROUND_ROBIN,
                         member_ids=[str(ada.user.uuid), str(bob.user.uuid)])
    capped = make_meeting_type(owner, queue_id=str(queue.uuid), booking_limits=[limit()])
    other = make_meeting_type(owner, title="Other", queue_id=str(queue.uuid))
    # Ada takes today's first booking of the capped type; Bob is busier overall, so
    # without the limit the next booking would go to Ada again.
    assert book(api, capped, at(day, 9), hostIds=[str(ada.user.uuid)]).status_code == 201
    for hour in (9, 10, 11):
        assert book(api, other, at(day + dt.timedelta(days=1), hour),
                    hostIds=[str(bob.user.uuid)]).status_code == 201
    taken = book(api, capped, at(day, 13)).json()
    assert Appointment.objects.get(uuid=taken["appointmentId"]).hosts.get() == bob.user
    assert str(day) not in slot_days(api, capped, day, day)  # both capped now
    refused = book(api, capped, at(day, 15))
    assert refusal(refused)[1]["message"] == (
        "Booking limit reached: 1 booking per day of this meeting type for this host")


# --- weeks with a DST change --------------------------------------------------------------


@pytest.mark.parametrize(("monday", "sunday"), [
    (dt.date(2031, 3, 24), dt.date(2031, 3, 30)),  # clocks go forward on the Sunday
    (dt.date(2031, 10, 20), dt.date(2031, 10, 26)),  # and back
])
def test_a_weekly_limit_holds_the_local_week_when_clocks_change(api, owner, monday, sunday):
    make_schedule(owner, timezone="Europe/Berlin", weekly=EVERY_DAY, is_default=True)
    meeting_type = make_meeting_type(owner, booking_limits=[limit(period="week")])
    next_monday = sunday + dt.timedelta(days=1)
    # 00:30 on Monday in Berlin is still Sunday in UTC: it fills the next week.
    start = dt.datetime.combine(next_monday, dt.time(0, 30), BERLIN).isoformat()
    assert book(api, meeting_type, start).status_code == 201
    params = {"timezone": "Europe/Berlin"}
    shown = slot_days(api, meeting_type, monday, next_monday + dt.timedelta(days=6), **params)
    assert shown == days(monday, 0, 1, 2, 3, 4, 5, 6)
    late = dt.datetime.combine(sunday, dt.time(23, 30), BERLIN).isoformat()
    assert book(api, meeting_type, late).status_code == 201
    assert slot_days(api, meeting_type, monday, next_monday + dt.timedelta(days=6),
                     **params) == set()


# --- why a time is not offered ---------------------------------------------------------


def test_troubleshoot_names_the_full_limit_of_each_host(api, owner, day):
    ada = make_member(owner)
    for member in (owner, ada):
        make_schedule(member, timezone="UTC", is_default=True)
    queue = queue_create(company=owner.company, actor=owner, name="Pair",
                         kind=QueueKind.ROUND_ROBIN,
                         member_ids=[str(owner.user.uuid), str(ada.user.uuid)])
    meeting_type = make_meeting_type(owner, queue_id=str(queue.uuid),
                                     booking_limits=[limit(period="week")])
    for member in (owner, ada):
        assert book(api, meeting_type, at(day, 9),
                    hostIds=[str(member.user.uuid)]).status_code == 201
    response = api.get("/v4/booking-availability", {
        "meetingTypeId": str(meeting_type.uuid), "start": str(day), "end": str(day),
        "timezone": "UTC", "troubleshoot": "true"})
    body = response.json()
    assert body["availableSlots"] == []
    blocked = {item["start"][11:16]: item for item in body["blockedSlots"]}
    assert len(blocked) == 48
    assert blocked["09:00"]["reason"] == "limit"  # the limit comes before the appointment
    assert blocked["13:00"]["hosts"] == [
        {"hostId": str(m.user.uuid), "hostName": m.user.full_name, "reason": "limit",
         "limit": limit(period="week")} for m in (owner, ada)]
    assert blocked["18:00"]["reason"] == "outsideHours"


def test_a_policy_that_refuses_every_time_is_the_reason_of_each(host, day):
    meeting_type = make_meeting_type(host)
    closed = selectors.explained_slots(meeting_type=meeting_type, start=day, end=day,
                                       policy="reschedulePolicy")
    assert closed.slots == [] and len(closed.refused) == 48
    assert {r.reasons[0].reason for r in closed.refused} == {"policy"}
    assert selectors.available_slots(meeting_type=meeting_type, start=day, end=day,
                                     policy="reschedulePolicy").slots == []
