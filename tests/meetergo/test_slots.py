"""Slots as meetergo's pages ask for and read them: every documented query
parameter, and every documented answer form at once (``availableSlots``,
``timeframes``, ``dates[].spots[].startTime`` with ``earliestAvailableDate``,
``slots[].times``), all agreeing with each other.

Pages (developer.meetergo.com): api-reference/booking-availability-v4/
get-booking-availability-for-a-meeting-type, api-reference/availability/
get-availability, developer-docs/core-concepts/rescheduling, and the code examples
(reference/meetergo-code-examples.txt)."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from scheduling.models import BusyTime
from scheduling.services.queues import queue_create
from tests.conftest import client_for, make_company, make_member
from tests.contract import assert_matches_schema
from tests.scheduling.conftest import make_meeting_type, make_schedule, monday_after

pytestmark = pytest.mark.django_db

BOOKING_AVAILABILITY = ("Page: api-reference/booking-availability-v4/"
                        "get-booking-availability-for-a-meeting-type")
UTC = dt.UTC


# --- helpers ---------------------------------------------------------------------------


def utc(day: dt.date, hhmm: str) -> dt.datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hours, minutes), UTC)


def hours(start: str, end: str) -> dict:
    return {day: [{"start": start, "end": end}]
            for day in ("monday", "tuesday", "wednesday", "thursday", "friday")}


def slots(client, meeting_type, day, last=None, path="/v4/booking-availability", **params):
    query = {"meetingTypeId": str(meeting_type.uuid), "start": str(day),
             "end": str(last or day), **params}
    return client.get(path, query)


def ok(response) -> dict:
    assert response.status_code == 200, response.json()
    return response.json()


def utc_starts(body: dict) -> list[str]:
    """The slots' starts as UTC ``HH:MM`` (every test host works in UTC)."""
    return [dt.datetime.fromisoformat(s["start"]).astimezone(UTC).strftime("%H:%M")
            for s in body["availableSlots"]]


def error_fields(response, status=400) -> list[str]:
    assert response.status_code == status, response.json()
    return [error["field"] for error in response.json().get("errors", [])]


def book(client, meeting_type, start: dt.datetime, **extra) -> str:
    response = client.post("/v4/booking", {
        "meetingTypeId": str(meeting_type.uuid), "start": start.isoformat(),
        "attendee": {"email": "jane@client.test", "firstname": "Jane", "lastname": "Smith"},
        **extra,
    }, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["appointmentId"]


@pytest.fixture
def monday():
    return monday_after(14)


@pytest.fixture
def solo(owner):
    """One host working 09:00-12:00 UTC on weekdays; 30 minutes (or 60) every 30."""
    make_schedule(owner, timezone="UTC", weekly=hours("09:00", "12:00"))
    return make_meeting_type(owner, durations=[30, 60], default_duration=30,
                             channels=["connect", "phone"])


@pytest.fixture
def team(owner):
    """A round robin of three: Ana 09:00-11:00, Ben 10:00-12:00, Cy 09:00-12:00 UTC."""
    ben, cy = make_member(owner), make_member(owner)
    for membership, (start, end) in ((owner, ("09:00", "11:00")), (ben, ("10:00", "12:00")),
                                     (cy, ("09:00", "12:00"))):
        make_schedule(membership, timezone="UTC", weekly=hours(start, end))
    queue = queue_create(company=owner.company, actor=owner, name="Sales", kind="round_robin",
                         member_ids=[str(m.user.uuid) for m in (owner, ben, cy)])
    meeting_type = make_meeting_type(owner, queue_id=str(queue.uuid), durations=[60],
                                     default_duration=60, slot_interval=30)
    meeting_type.members = (owner, ben, cy)
    return meeting_type


# --- the documented request -----------------------------------------------------------


def test_the_api_references_example_request_gets_slots(api, team, monday):
    """Page: api-reference/booking-availability-v4/get-booking-availability-for-a-meeting-type
    (its curl example: timezone, hostIds of every queue member, queueId)."""
    host_ids = ",".join(str(m.user.uuid) for m in team.members)
    body = ok(slots(api, team, monday, monday + dt.timedelta(days=5), timezone="Europe/Berlin",
                    hostIds=host_ids, queueId=str(team.queue.uuid)))
    assert body["timezone"] == "Europe/Berlin"
    first = body["dates"][0]["spots"][0]["startTime"]
    assert first == body["availableSlots"][0]["start"]
    assert dt.datetime.fromisoformat(first) == utc(monday, "09:00")
    assert first == utc(monday, "09:00").astimezone(ZoneInfo("Europe/Berlin")).isoformat()
    assert body["earliestAvailableDate"] == str(monday)


def test_the_answer_needs_no_acting_user_header(owner, solo, monday):
    """Page: api-reference/availability/get-availability ("does not require the
    x-meetergo-api-user-id header"); the rescheduling guide sends it, which works too."""
    assert ok(slots(client_for(owner), solo, monday))["availableSlots"]
    assert ok(slots(client_for(owner, act_as=owner), solo, monday))["availableSlots"]


# --- every answer form, agreeing with availableSlots ----------------------------------


def test_every_answer_form_agrees_with_available_slots(owner, monday):
    """Pages: api-reference/booking-availability-v4/get-booking-availability-for-a-meeting-type
    (timeframes, dates[].spots[].startTime, earliestAvailableDate), api-reference/
    availability/get-availability (slots[].date, slots[].times), the code examples
    (availableSlots)."""
    make_schedule(owner, timezone="UTC", weekly=hours("09:00", "12:00"))
    meeting_type = make_meeting_type(owner, durations=[30], slot_interval=15)
    BusyTime.objects.create(user=owner.user, start=utc(monday, "10:00"),
                            end=utc(monday, "10:30"))
    body = ok(slots(client_for(owner), meeting_type, monday, monday + dt.timedelta(days=1),
                    timezone="America/New_York"))
    assert_matches_schema("/v4/booking-availability", "get", 200, body)
    available = body["availableSlots"]
    starts = [slot["start"] for slot in available]

    by_date = {}
    for start in starts:
        by_date.setdefault(dt.datetime.fromisoformat(start)
                           .astimezone(ZoneInfo("America/New_York")).date().isoformat(), []
                           ).append(start)
    assert [d["date"] for d in body["dates"]] == list(by_date) == [
        str(monday), str(monday + dt.timedelta(days=1))]
    assert {d["date"]: [s["startTime"] for s in d["spots"]] for d in body["dates"]} == by_date
    assert {d["date"]: d["times"] for d in body["slots"]} == by_date
    assert body["earliestAvailableDate"] == str(monday)

    # timeframes: the slots merged, in UTC; a slot's start and end bound each one.
    frames = [(dt.datetime.fromisoformat(f["start"]), dt.datetime.fromisoformat(f["end"]))
              for f in body["timeframes"]]
    assert all(f["start"].endswith("+00:00") and f["end"].endswith("+00:00")
               for f in body["timeframes"])
    assert [(a.strftime("%H:%M"), b.strftime("%H:%M")) for a, b in frames] == [
        ("09:00", "10:00"), ("10:30", "12:00"), ("09:00", "12:00")]
    pairs = [(dt.datetime.fromisoformat(s["start"]), dt.datetime.fromisoformat(s["end"]))
             for s in available]
    assert all(any(a <= s and e <= b for a, b in frames) for s, e in pairs)
    assert {a for a, _ in frames} <= {s for s, _ in pairs}
    assert {b for _, b in frames} <= {e for _, e in pairs}
    covered = sum(((b - a) for a, b in frames), dt.timedelta())
    assert covered == dt.timedelta(hours=1 + 1.5 + 3)  # every free minute, no more


def test_dates_are_local_dates_in_the_answers_zone(owner, monday):
    """Page: api-reference/booking-availability-v4/get-booking-availability-for-a-meeting-type
    (dates[].date as YYYY-MM-DD, startTime with the zone's offset)."""
    make_schedule(owner, timezone="UTC", weekly={"monday": [{"start": "22:00", "end": "24:00"}]})
    meeting_type = make_meeting_type(owner, durations=[60])
    tuesday = monday + dt.timedelta(days=1)
    body = ok(slots(client_for(owner), meeting_type, tuesday, timezone="Asia/Tokyo"))
    # Monday 22:00 and 23:00 UTC are Tuesday 07:00 and 08:00 in Tokyo.
    assert body["dates"] == [{"date": str(tuesday), "spots": [
        {"startTime": f"{tuesday}T07:00:00+09:00"}, {"startTime": f"{tuesday}T08:00:00+09:00"}]}]
    assert body["slots"] == [{"date": str(tuesday), "times": [
        f"{tuesday}T07:00:00+09:00", f"{tuesday}T08:00:00+09:00"]}]
    assert body["earliestAvailableDate"] == str(tuesday)
    assert body["timeframes"] == [{"start": f"{monday}T22:00:00+00:00",
                                   "end": f"{tuesday}T00:00:00+00:00"}]


def test_no_free_time_answers_empty_forms_and_no_earliest_date(api, solo, monday):
    """Page: api-reference/booking-availability-v4/get-booking-availability-for-a-meeting-type."""
    saturday = monday + dt.timedelta(days=5)
    body = ok(slots(api, solo, saturday))
    assert body["availableSlots"] == body["timeframes"] == body["dates"] == body["slots"] == []
    assert body["earliestAvailableDate"] is None
    assert body["timezone"] == "UTC"
    assert_matches_schema("/v4/booking-availability", "get", 200, body)


def test_a_spot_from_dates_books(api, solo, monday):
    """Page: api-reference/booking-availability-v4/get-booking-availability-for-a-meeting-type
    (meetergo's MCP server books dates[].spots[].startTime)."""
    body = ok(slots(api, solo, monday, timezone="Europe/Berlin"))
    start = dt.datetime.fromisoformat(body["dates"][0]["spots"][1]["startTime"])
    book(api, solo, start)
    again = ok(slots(api, solo, monday, timezone="Europe/Berlin"))
    assert start.isoformat() not in again["slots"][0]["times"]


def test_the_availability_path_answers_the_same(api, team, monday):
    """Page: api-reference/availability/get-availability (GET /v4/availability with
    meetingTypeId answers slots[].date and slots[].times)."""
    params = {"hostIds": str(team.members[1].user.uuid), "meetingDuration": 60,
              "calculationMethod": "anyone"}
    assert ok(slots(api, team, monday, path="/v4/availability", **params)) == ok(
        slots(api, team, monday, **params))


# --- parameters ------------------------------------------------------------------------


def test_meeting_duration_is_the_slot_length(api, solo, monday):
    """Page: api-reference/booking-availability-v4/get-booking-availability-for-a-meeting-type
    (meetingDuration)."""
    body = ok(slots(api, solo, monday, meetingDuration=60))
    assert body["duration"] == 60
    assert utc_starts(body) == ["09:00", "10:00", "11:00"]
    assert ok(slots(api, solo, monday, meetingDuration=60, duration=60)) == body
    assert error_fields(slots(api, solo, monday, meetingDuration=45)) == ["meetingDuration"]
    assert error_fields(slots(api, solo, monday, meetingDuration=60, duration=30)) == [
        "meetingDuration"]
    assert error_fields(slots(api, solo, monday, meetingDuration="long")) == ["meetingDuration"]


def test_host_ids_narrow_the_hosts_comma_separated_or_repeated(api, team, monday):
    """Pages: api-reference/booking-availability-v4/get-booking-availability-for-a-meeting-type
    (hostIds comma-separated), api-reference/availability/get-availability (string[])."""
    ana, ben, _ = (str(m.user.uuid) for m in team.members)
    assert utc_starts(ok(slots(api, team, monday))) == ["09:00", "09:30", "10:00", "10:30",
                                                        "11:00"]
    assert utc_starts(ok(slots(api, team, monday, hostIds=ben))) == ["10:00", "10:30", "11:00"]
    assert utc_starts(ok(slots(api, team, monday, hostIds=f"{ana},{ben}"))) == [
        "09:00", "09:30", "10:00", "10:30", "11:00"]
    repeated = api.get("/v4/booking-availability", {
        "meetingTypeId": str(team.uuid), "start": str(monday), "end": str(monday),
        "hostIds": [ana, ben], "calculationMethod": "everyone"})
    assert utc_starts(ok(repeated)) == ["10:00"]
    # Termin's hostId and meetergo's hostIds name hosts together.
    assert utc_starts(ok(slots(api, team, monday, hostId=ben, hostIds=ana,
                               calculationMethod="everyone"))) == ["10:00"]


def test_host_ids_that_do_not_host_are_a_400(api, team, owner, monday):
    """Page: api-reference/booking-availability-v4/get-booking-availability-for-a-meeting-type."""
    outsider = str(make_member(owner).user.uuid)
    response = slots(api, team, monday, hostIds=f"{team.members[0].user.uuid},{outsider}")
    assert error_fields(response) == ["hostIds"]
    assert outsider in response.json()["message"]
    assert error_fields(slots(api, team, monday, hostIds="user1,user2")) == ["hostIds"]


def test_queue_id_must_be_the_meeting_types_queue(api, owner, team, solo, monday):
    """Page: api-reference/booking-availability-v4/get-booking-availability-for-a-meeting-type
    (queueId: "Queue ID of meeting type for hosts in round robin")."""
    assert ok(slots(api, team, monday, queueId=str(team.queue.uuid)))["availableSlots"]
    other = queue_create(company=owner.company, actor=owner, name="Other", kind="round_robin",
                         member_ids=[str(owner.user.uuid)])
    response = slots(api, team, monday, queueId=str(other.uuid))
    assert error_fields(response) == ["queueId"]
    assert response.json()["message"] == "queueId is not this meeting type's queue"
    assert error_fields(slots(api, solo, monday, queueId=str(other.uuid))) == ["queueId"]
    assert error_fields(slots(api, team, monday, queueId="queue123")) == ["queueId"]


def test_calculation_method_everyone_needs_every_chosen_host_free(api, team, monday):
    """Page: api-reference/booking-availability-v4/get-booking-availability-for-a-meeting-type
    (calculationMethod: anyone, the default, or everyone)."""
    ana, _, cy = team.members
    anyone = ok(slots(api, team, monday, calculationMethod="anyone"))
    assert anyone == ok(slots(api, team, monday))
    # Ana works 09-11, Ben 10-12, Cy 09-12: all three only 10:00-11:00.
    assert utc_starts(ok(slots(api, team, monday, calculationMethod="everyone"))) == ["10:00"]
    BusyTime.objects.create(user=cy.user, start=utc(monday, "10:00"), end=utc(monday, "10:15"))
    assert utc_starts(ok(slots(api, team, monday, calculationMethod="everyone"))) == []
    assert "10:00" in utc_starts(ok(slots(api, team, monday)))
    # Narrowed to Ana and Cy: both free 09:00-11:00, but Cy is busy at 10:00.
    pair = f"{ana.user.uuid},{cy.user.uuid}"
    assert utc_starts(ok(slots(api, team, monday, hostIds=pair,
                               calculationMethod="everyone"))) == ["09:00"]
    assert error_fields(slots(api, team, monday, calculationMethod="all")) == [
        "calculationMethod"]


def test_co_hosts_always_need_everyone(api, owner, monday):
    """Page: api-reference/booking-availability-v4/get-booking-availability-for-a-meeting-type
    (calculationMethod); co-hosts all attend, so anyone cannot loosen it."""
    partner = make_member(owner)
    make_schedule(owner, timezone="UTC", weekly=hours("09:00", "11:00"))
    make_schedule(partner, timezone="UTC", weekly=hours("10:00", "12:00"))
    queue = queue_create(company=owner.company, actor=owner, name="Pair", kind="co_host",
                         member_ids=[str(owner.user.uuid), str(partner.user.uuid)])
    meeting_type = make_meeting_type(owner, queue_id=str(queue.uuid), durations=[60])
    for method in ("anyone", "everyone"):
        assert utc_starts(ok(slots(api, meeting_type, monday,
                                   calculationMethod=method))) == ["10:00"]


def test_timezone_reads_the_dates_and_shows_the_slots(api, solo, monday):
    """Page: api-reference/booking-availability-v4/get-booking-availability-for-a-meeting-type
    (timezone: "Timezone for returned slots")."""
    body = ok(slots(api, solo, monday, timezone="Asia/Kolkata"))
    assert body["timezone"] == "Asia/Kolkata"
    assert body["availableSlots"][0] == {"start": f"{monday}T14:30:00+05:30",
                                         "end": f"{monday}T15:00:00+05:30"}
    assert error_fields(slots(api, solo, monday, timezone="Mars/Olympus")) == ["timezone"]


def test_channel_must_be_one_the_meeting_type_offers(api, solo, monday):
    """Page: api-reference/booking-availability-v4/get-booking-availability-for-a-meeting-type
    (channel)."""
    plain = ok(slots(api, solo, monday))
    assert ok(slots(api, solo, monday, channel="phone")) == plain
    assert ok(slots(api, solo, monday, channel="connect")) == plain
    response = slots(api, solo, monday, channel="zoom")
    assert error_fields(response) == ["channel"]
    assert response.json()["message"] == "This meeting type does not offer the channel zoom"
    assert error_fields(slots(api, solo, monday, channel="carrier-pigeon")) == ["channel"]


# --- existingAppointmentId -------------------------------------------------------------


def test_an_appointments_own_time_is_free_for_it_and_for_nobody_else(api, solo, monday):
    """Pages: developer-docs/core-concepts/rescheduling ("pass the existing appointment ID
    to exclude the current slot from conflict checking", then read availableSlots),
    api-reference/booking-availability-v4/get-booking-availability-for-a-meeting-type."""
    moving = book(api, solo, utc(monday, "10:00"))
    staying = book(api, solo, utc(monday, "11:00"))
    assert utc_starts(ok(slots(api, solo, monday))) == ["09:00", "09:30", "10:30", "11:30"]
    freed = ok(slots(api, solo, monday, existingAppointmentId=moving))
    assert utc_starts(freed) == ["09:00", "09:30", "10:00", "10:30", "11:30"]
    assert utc_starts(ok(slots(api, solo, monday, existingAppointmentId=staying))) == [
        "09:00", "09:30", "10:30", "11:00", "11:30"]
    # An hour from 10:00 is free only for the appointment itself, which may take it.
    longer = {"meetingDuration": 60}
    assert "10:00" not in utc_starts(ok(slots(api, solo, monday, **longer)))
    assert "10:00" in utc_starts(ok(slots(api, solo, monday, existingAppointmentId=moving,
                                          **longer)))
    moved = api.patch(f"/v4/appointment/{moving}",
                      {"start": utc(monday, "10:00").isoformat(), "duration": 60}, format="json")
    assert moved.status_code == 200, moved.json()


def test_existing_appointment_id_frees_its_place_under_the_daily_limit(owner, monday):
    """Page: developer-docs/core-concepts/rescheduling (the appointment being moved does
    not count against itself)."""
    make_schedule(owner, timezone="UTC", weekly=hours("09:00", "12:00"))
    meeting_type = make_meeting_type(owner, durations=[30], daily_limit=1)
    api = client_for(owner)
    appointment = book(api, meeting_type, utc(monday, "09:00"))
    assert ok(slots(api, meeting_type, monday))["availableSlots"] == []
    freed = ok(slots(api, meeting_type, monday, existingAppointmentId=appointment))
    assert utc_starts(freed)[:3] == ["09:00", "09:30", "10:00"]


def test_existing_appointment_id_must_be_an_appointment_of_the_company(api, solo, monday):
    """Page: api-reference/booking-availability-v4/get-booking-availability-for-a-meeting-type."""
    _, stranger = make_company(name="Globex", owner_email="owner@globex.test")
    make_schedule(stranger, timezone="UTC")
    foreign_type = make_meeting_type(stranger)
    foreign = book(client_for(stranger), foreign_type, utc(monday, "10:00"))
    response = slots(api, solo, monday, existingAppointmentId=foreign)
    assert response.status_code == 404
    assert response.json()["message"] == "Appointment not found"
    assert error_fields(slots(api, solo, monday, existingAppointmentId="abc")) == [
        "existingAppointmentId"]


# --- what Termin does not support, and what nobody documents ---------------------------


def test_troubleshoot_names_the_rule_that_refused_each_candidate_time(api, solo, monday):
    """Page: api-reference/booking-availability-v4/get-booking-availability-for-a-meeting-type
    (troubleshoot, default false: blocked timeslots with available slots for diagnostics)."""
    BusyTime.objects.create(user=solo.owner, start=utc(monday, "10:00"),
                            end=utc(monday, "10:30"))
    plain = ok(slots(api, solo, monday))
    body = ok(slots(api, solo, monday, troubleshoot="true"))
    blocked = body.pop("blockedSlots")
    assert body == plain  # the slots are the same
    assert ok(slots(api, solo, monday, troubleshoot="false")) == plain
    starts = [dt.datetime.fromisoformat(b["start"]).strftime("%H:%M") for b in blocked]
    # Every half hour of the day is a candidate: 5 slots, 43 refused.
    assert len(starts) + len(plain["availableSlots"]) == 48
    why = {start: b["reason"] for start, b in zip(starts, blocked, strict=True)}
    assert why["08:30"] == why["12:00"] == why["23:30"] == "outsideHours"
    assert why["10:00"] == "busyCalendar"
    assert blocked[0]["hosts"] == [{"hostId": str(solo.owner.uuid),
                                    "hostName": solo.owner.full_name, "reason": "outsideHours"}]


def test_resource_channels_are_a_400_and_harmless_flags_are_accepted(api, solo, monday):
    """Page: api-reference/booking-availability-v4/get-booking-availability-for-a-meeting-type
    (resourceChannelIds, refreshCache, hideGroupAppointments,
    skipEarliestBookingCalculation)."""
    response = slots(api, solo, monday, resourceChannelIds="room-1")
    assert error_fields(response) == ["resourceChannelIds"]
    assert "not supported" in response.json()["errors"][0]["message"]
    flags = {"refreshCache": "true", "hideGroupAppointments": "true",
             "skipEarliestBookingCalculation": "true"}
    assert ok(slots(api, solo, monday, **flags)) == ok(slots(api, solo, monday))


@pytest.mark.parametrize("name", ["foo", "page", "hostIds[]", "startDate"])
def test_an_unknown_query_parameter_is_a_400_naming_it(api, solo, monday, name):
    """Page: api-reference/booking-availability-v4/get-booking-availability-for-a-meeting-type
    (meetergo-api.md rule 3: a field nobody documents is a 400 naming it)."""
    response = slots(api, solo, monday, **{name: "x"})
    assert error_fields(response) == [name]
    assert name in response.json()["errors"][0]["message"]


# --- the OpenAPI schema ------------------------------------------------------------------


def test_the_schema_describes_every_parameter_and_answer_field(client):
    """Page: api-reference/booking-availability-v4/get-booking-availability-for-a-meeting-type
    (its parameters and answer), read by generated clients from /spec/v2."""
    schema = json.loads(client.get("/spec/v2/openapi.json").content)
    operation = schema["paths"]["/v4/booking-availability"]["get"]
    names = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
    assert names >= {"meetingTypeId", "start", "end", "hostIds", "queueId", "meetingDuration",
                     "timezone", "calculationMethod", "channel", "existingAppointmentId",
                     "troubleshoot", "resourceChannelIds", "duration", "hostId"}
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    answer = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(answer["properties"]) >= {"availableSlots", "timeframes", "dates",
                                         "earliestAvailableDate", "slots", "timezone"}
    listed = schema["paths"]["/v4/availability"]["get"]
    assert names <= {p["name"] for p in listed["parameters"]}
