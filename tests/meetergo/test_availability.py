"""Availability schedules as meetergo's pages write and read them: ``schedule`` in
both documented shapes, date ``exceptions``, and the answer ``{id, name, timezone,
schedule}`` beside Termin's ``weekly`` and ``overrides``.

Pages: developer-docs/core-concepts/availability, api-reference/availability/
post-availability, api-reference/availability/update-availability,
api-reference/users/create-user (its schedule shapes)."""

import datetime as dt

import pytest

from scheduling.models import AvailabilitySchedule
from tests.conftest import client_for
from tests.scheduling.conftest import make_meeting_type, monday_after

pytestmark = pytest.mark.django_db

HOURS = [{"start": "09:00", "end": "17:00"}]
DAY_OFF = {"enabled": False, "hours": []}
OBJECT_WEEK = {
    "monday": {"enabled": True, "hours": [{"start": "09:00", "end": "12:00"},
                                          {"start": "13:00", "end": "17:00"}]},
    "tuesday": {"enabled": True, "hours": HOURS},
    "wednesday": {"enabled": True, "hours": HOURS},
    "thursday": {"enabled": True, "hours": HOURS},
    "friday": {"enabled": True, "hours": [{"start": "09:00", "end": "15:00"}]},
    "saturday": DAY_OFF,
    "sunday": DAY_OFF,
}
ARRAY_WEEK = [
    {"dayOfWeek": "monday", "intervals": [{"from": "08:00", "to": "12:00"},
                                          {"from": "13:00", "to": "18:00"}]},
    {"dayOfWeek": "tuesday", "intervals": [{"from": "09:00", "to": "17:00"}]},
    {"dayOfWeek": "wednesday", "intervals": [{"from": "09:00", "to": "17:00"}]},
    {"dayOfWeek": "thursday", "intervals": [{"from": "09:00", "to": "17:00"}]},
    {"dayOfWeek": "friday", "intervals": [{"from": "09:00", "to": "15:00"}]},
]


def create(client, body):
    response = client.post("/v4/availability", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_the_object_shape_is_stored_and_answered_as_sent(as_owner):
    """developer-docs/core-concepts/availability: Get User Availability (object shape);
    api-reference/availability/post-availability."""
    body = create(as_owner, {"name": "Business Hours", "timezone": "Europe/Berlin",
                             "schedule": OBJECT_WEEK})
    read = as_owner.get(f"/v4/availability/{body['id']}").json()
    assert {key: read[key] for key in ("id", "name", "timezone", "schedule")} == {
        "id": body["id"], "name": "Business Hours", "timezone": "Europe/Berlin",
        "schedule": OBJECT_WEEK}
    assert read["weekly"]["monday"] == OBJECT_WEEK["monday"]["hours"]
    assert read["weekly"]["saturday"] == []


def test_the_array_shape_becomes_the_same_week(as_owner):
    """api-reference/availability/update-availability: Update Weekly Schedule (array
    shape); developer-docs/core-concepts/availability (its array version)."""
    body = create(as_owner, {"name": "Business Hours", "schedule": ARRAY_WEEK})
    assert body["weekly"]["monday"] == [{"start": "08:00", "end": "12:00"},
                                        {"start": "13:00", "end": "18:00"}]
    assert body["schedule"]["friday"] == {"enabled": True,
                                          "hours": [{"start": "09:00", "end": "15:00"}]}
    assert body["schedule"]["sunday"] == DAY_OFF


def test_a_patch_in_the_array_shape_replaces_the_week(as_owner):
    """api-reference/availability/update-availability: Extended Hours with Lunch Break."""
    body = create(as_owner, {"schedule": OBJECT_WEEK})
    lunch = [{"from": "07:00", "to": "12:00"}, {"from": "13:00", "to": "19:00"}]
    response = as_owner.patch(f"/v4/availability/{body['id']}", {
        "name": "Extended Business Hours",
        "schedule": [{"dayOfWeek": day, "intervals": lunch}
                     for day in ("monday", "tuesday", "wednesday", "thursday", "friday")],
    }, format="json")
    assert response.status_code == 200, response.json()
    patched = response.json()
    assert patched["name"] == "Extended Business Hours"
    assert patched["schedule"]["tuesday"]["hours"] == [{"start": "07:00", "end": "12:00"},
                                                       {"start": "13:00", "end": "19:00"}]
    assert patched["schedule"]["saturday"] == DAY_OFF


def test_a_patch_in_the_object_shape_replaces_the_week(as_owner):
    """developer-docs/core-concepts/availability: Update Availability (object shape)."""
    body = create(as_owner, {"schedule": ARRAY_WEEK})
    ten_to_six = {"enabled": True, "hours": [{"start": "10:00", "end": "18:00"}]}
    week = {day: ten_to_six for day in ("monday", "tuesday", "wednesday", "thursday")}
    patched = as_owner.patch(f"/v4/availability/{body['id']}", {"schedule": week},
                             format="json").json()
    assert patched["schedule"]["monday"] == ten_to_six
    assert patched["schedule"]["friday"] == DAY_OFF


def test_a_day_switched_off_offers_nothing_whatever_its_hours(as_owner):
    """developer-docs/core-concepts/availability: "enabled": false."""
    body = create(as_owner, {"schedule": {"monday": {"enabled": False, "hours": HOURS},
                                          "tuesday": {"hours": HOURS}}})
    assert body["weekly"]["monday"] == []
    assert body["weekly"]["tuesday"] == HOURS


def test_a_schedule_is_never_silently_empty(as_owner):
    """The issue's failure: a meetergo schedule used to be ignored and became an empty
    default week. Now it is read, and a shape Termin cannot read is a 400."""
    body = create(as_owner, {"name": "Mine", "schedule": ARRAY_WEEK})
    assert any(body["weekly"].values())
    response = as_owner.post("/v4/availability", {"schedule": "weekdays 9-5"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "schedule"
    assert AvailabilitySchedule.objects.count() == 1


@pytest.mark.parametrize(("schedule", "field"), [
    ({"monday": {"enabled": True, "hours": [{"start": "9am", "end": "17:00"}]}},
     "schedule.monday.hours.0.start"),
    ({"monday": {"enabled": "yes", "hours": []}}, "schedule.monday.enabled"),
    ({"monday": {"enabled": True, "hours": [], "colour": "red"}}, "schedule.monday.colour"),
    ({"funday": {"enabled": True, "hours": []}}, "schedule.funday"),
    ({"monday": [{"start": "09:00", "end": "17:00"}]}, "schedule.monday"),
    ([{"dayOfWeek": "moonday", "intervals": []}], "schedule.0.dayOfWeek"),
    ([{"dayOfWeek": "monday", "intervals": [{"from": "17:00", "to": "09:00"}]}],
     "schedule.0.intervals.0"),
    ([{"dayOfWeek": "monday", "intervals": [{"from": "09:00", "to": "25:00"}]}],
     "schedule.0.intervals.0.to"),
    ([{"dayOfWeek": "monday", "intervals": [{"from": "09:00", "to": "12:00", "tz": "X"}]}],
     "schedule.0.intervals.0.tz"),
    ([{"dayOfWeek": "monday", "intervals": []}, {"dayOfWeek": "Monday", "intervals": []}],
     "schedule.1.dayOfWeek"),
])
def test_a_bad_schedule_names_the_field_as_it_was_sent(as_owner, schedule, field):
    response = as_owner.post("/v4/availability", {"schedule": schedule}, format="json")
    assert response.status_code == 400, response.json()
    assert field in [error["field"] for error in response.json()["errors"]]
    assert not AvailabilitySchedule.objects.exists()


def test_schedule_and_weekly_together_are_refused(as_owner):
    response = as_owner.post("/v4/availability", {"schedule": OBJECT_WEEK,
                                                  "weekly": {"monday": HOURS}}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "schedule"


def test_exceptions_block_and_open_dates(as_owner):
    """developer-docs/core-concepts/availability: Exceptions (holidays, special hours),
    with meetergo's precedence: an opening beats a block."""
    body = create(as_owner, {"timezone": "Europe/Berlin", "schedule": OBJECT_WEEK, "exceptions": [
        {"start": "2025-12-24", "end": "2025-12-26", "available": False},  # Wed-Fri off
        {"start": "2025-12-22T10:00:00+01:00", "end": "2025-12-22T14:00:00+01:00"},  # a block
        {"start": "2025-12-27T10:00:00+01:00", "end": "2025-12-27T12:00:00+01:00",
         "available": True},  # a Saturday opened
        {"start": "2025-12-26T09:00:00+01:00", "end": "2025-12-26T10:00:00+01:00",
         "available": True},  # an hour back inside the holiday
    ]})
    assert body["overrides"] == [
        {"date": "2025-12-22", "intervals": [{"start": "09:00", "end": "10:00"},
                                             {"start": "14:00", "end": "17:00"}]},
        {"date": "2025-12-24", "intervals": []},
        {"date": "2025-12-25", "intervals": []},
        {"date": "2025-12-26", "intervals": [{"start": "09:00", "end": "10:00"}]},
        {"date": "2025-12-27", "intervals": [{"start": "10:00", "end": "12:00"}]},
    ]


def test_exceptions_are_answered_so_that_sending_them_back_changes_nothing(as_owner):
    body = create(as_owner, {"timezone": "America/New_York", "schedule": OBJECT_WEEK,
                             "exceptions": [{"start": "2025-07-04", "end": "2025-07-04"}]})
    assert body["exceptions"] == body["availabilityExceptions"] == [
        {"start": "2025-07-04T00:00:00-04:00", "end": "2025-07-05T00:00:00-04:00",
         "available": False}]
    again = as_owner.patch(f"/v4/availability/{body['id']}",
                           {"exceptions": body["exceptions"]}, format="json").json()
    assert again["overrides"] == body["overrides"] == [{"date": "2025-07-04", "intervals": []}]
    opened = as_owner.patch(f"/v4/availability/{body['id']}", {"overrides": [
        {"date": "2025-07-05", "intervals": [{"start": "10:00", "end": "11:00"}]}]},
        format="json").json()
    back = as_owner.patch(f"/v4/availability/{body['id']}",
                          {"exceptions": opened["exceptions"]}, format="json").json()
    assert back["overrides"] == opened["overrides"]


def test_exceptions_in_a_patch_use_the_stored_week_and_zone(as_owner):
    body = create(as_owner, {"timezone": "Asia/Tokyo", "schedule": OBJECT_WEEK})
    patched = as_owner.patch(f"/v4/availability/{body['id']}", {"exceptions": [
        {"start": "2025-03-03T01:00:00Z", "end": "2025-03-03T03:00:00Z"}]},  # 10:00-12:00 JST
        format="json").json()
    assert patched["overrides"] == [{"date": "2025-03-03", "intervals": [
        {"start": "09:00", "end": "10:00"}, {"start": "13:00", "end": "17:00"}]}]


def test_an_exception_blocks_booking_times(as_owner, owner):
    """The exception reaches the slots: a blocked Monday offers nothing."""
    monday = monday_after(14)
    create(as_owner, {"schedule": OBJECT_WEEK, "isDefault": True, "exceptions": [
        {"start": monday.isoformat(), "end": monday.isoformat()}]})
    meeting_type = make_meeting_type(owner)
    slots = as_owner.get("/v4/booking-availability", {
        "meetingTypeId": str(meeting_type.uuid), "start": monday.isoformat(),
        "end": (monday + dt.timedelta(days=1)).isoformat()}).json()["availableSlots"]
    days = {dt.datetime.fromisoformat(slot["start"]).date() for slot in slots}
    assert days == {monday + dt.timedelta(days=1)}


@pytest.mark.parametrize(("exception", "field"), [
    ({"start": "2025-12-24T10:00:00", "end": "2025-12-24T12:00:00+01:00"}, "exceptions.0.start"),
    ({"start": "24.12.2025", "end": "2025-12-24"}, "exceptions.0.start"),
    ({"start": "2025-12-24"}, "exceptions.0.end"),
    ({"start": "2025-12-26", "end": "2025-12-24"}, "exceptions.0.end"),
    ({"start": "2025-12-24", "end": "2025-12-24", "available": "no"}, "exceptions.0.available"),
    ({"start": "2025-12-24", "end": "2025-12-24", "title": "Christmas"}, "exceptions.0.title"),
    ({"start": "2025-01-01", "end": "2027-01-01"}, "exceptions"),
])
def test_a_bad_exception_is_a_400_naming_it(as_owner, exception, field):
    response = as_owner.post("/v4/availability", {"schedule": OBJECT_WEEK,
                                                  "exceptions": [exception]}, format="json")
    assert response.status_code == 400, response.json()
    assert field in [error["field"] for error in response.json()["errors"]]
    assert not AvailabilitySchedule.objects.exists()


def test_an_unknown_field_is_a_400_naming_it(as_owner):
    """meetergo-api.md rule 3: nothing a client sends is dropped silently."""
    response = as_owner.post("/v4/availability", {"name": "X", "schedule": OBJECT_WEEK,
                                                  "holidays": ["DE"]}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "holidays",
         "message": "Unknown field 'holidays': this endpoint does not support it"}]
    response = as_owner.post("/v4/availability", {"useExplicitAvailability": True},
                             format="json")
    assert response.status_code == 400
    assert "does not support" in response.json()["errors"][0]["message"]
    assert not AvailabilitySchedule.objects.exists()


def test_a_member_with_a_personal_token_reads_their_schedule_in_both_shapes(member):
    client = client_for(member)
    body = create(client, {"schedule": ARRAY_WEEK})
    read = client.get(f"/v4/availability/{body['id']}").json()
    assert read["schedule"]["monday"]["enabled"] is True
    assert read["weekly"]["monday"] == body["weekly"]["monday"]
