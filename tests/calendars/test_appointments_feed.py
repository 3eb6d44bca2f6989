"""Every user's secret iCalendar feed of their appointments (``/feeds/<token>.ics``),
parsed back with ``icalendar``."""

import datetime as dt

import icalendar
import pytest

from scheduling.models import Appointment
from tests.conftest import client_for, make_member
from tests.scheduling.conftest import make_meeting_type, make_schedule, monday_after
from tests.scheduling.test_bookings import at, book

pytestmark = pytest.mark.django_db


@pytest.fixture
def day():
    return monday_after(7)


@pytest.fixture
def host(owner):
    make_schedule(owner, timezone="UTC", is_default=True)
    return owner


def booked(api, meeting_type, start: str, **attendee) -> Appointment:
    response = book(api, meeting_type, start, attendee=attendee)
    assert response.status_code == 201, response.json()
    body = response.json()
    return Appointment.objects.get(uuid=body.get("appointmentId") or body["provisionalBookingId"])


def feed_path(client) -> str:
    url = client.get("/v4/calendar-connections/feed").json()["url"]
    return "/" + url.split("/", 3)[3]


def read_feed(client, path: str) -> icalendar.Calendar:
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


def test_the_feed_matches_the_users_appointments(api, host, day, client):
    intro = make_meeting_type(host, title="Intro call", durations=[30, 60])
    review = make_meeting_type(host, title="Review", require_host_confirmation=True)
    first = booked(api, intro, at(day, 9), firstname="Jane", lastname="Smith")
    pending = booked(api, review, at(day, 11), firstname="Jo", lastname="Doe")
    cancelled = booked(api, intro, at(day, 13))
    assert api.delete(f"/v4/appointment/{cancelled.uuid}").status_code == 200

    feed = read_feed(client, feed_path(client_for(host, act_as=host)))

    assert str(feed["VERSION"]) == "2.0" and str(feed["METHOD"]) == "PUBLISH"
    assert "Termin" in str(feed["PRODID"])
    assert str(feed["X-WR-CALNAME"]) == f"Termin: {host.user.full_name}"
    events = {str(e["UID"]): e for e in feed.walk("VEVENT")}
    assert set(events) == {f"{first.uuid}@termin", f"{pending.uuid}@termin"}
    for appointment in (first, pending):
        event = events[f"{appointment.uuid}@termin"]
        assert event.decoded("DTSTART") == appointment.start
        assert event.decoded("DTEND") == appointment.end
        # Written in UTC ("...Z"): no VTIMEZONE needed by any calendar app.
        assert event["DTSTART"].to_ical().endswith(b"Z")
        assert event["DTEND"].to_ical().endswith(b"Z")
        assert event.get("DTSTAMP") is not None
    first_event = events[f"{first.uuid}@termin"]
    assert str(first_event["SUMMARY"]) == "Intro call with Jane Smith"
    assert str(first_event["STATUS"]) == "CONFIRMED"
    assert str(events[f"{pending.uuid}@termin"]["STATUS"]) == "TENTATIVE"


def test_a_rescheduled_appointment_keeps_its_uid(api, host, day, client):
    intro = make_meeting_type(host, durations=[30])
    appointment = booked(api, intro, at(day, 9))
    path = feed_path(client_for(host, act_as=host))
    response = api.patch(f"/v4/appointment/{appointment.uuid}", {"start": at(day, 10)},
                         format="json")
    assert response.status_code == 200, response.json()

    [event] = read_feed(client, path).walk("VEVENT")
    assert str(event["UID"]) == f"{appointment.uuid}@termin"
    assert event.decoded("DTSTART") == dt.datetime.combine(day, dt.time(10), dt.UTC)


def test_the_feed_shows_only_the_users_own_appointments(api, owner, host, day, client):
    colleague = make_member(owner)
    make_schedule(colleague, timezone="UTC", is_default=True)
    theirs = make_meeting_type(owner, hosts=[colleague])
    booked(api, theirs, at(day, 9))

    assert read_feed(client, feed_path(client_for(host, act_as=host))).walk("VEVENT") == []
    [event] = read_feed(client, feed_path(client_for(owner, act_as=colleague))).walk("VEVENT")
    assert event.decoded("DTSTART") == dt.datetime.combine(day, dt.time(9), dt.UTC)


def test_the_address_is_stable_until_regenerated_and_then_the_old_one_is_gone(host, client):
    api = client_for(host, act_as=host)
    path = feed_path(api)
    assert feed_path(api) == path

    response = api.post("/v4/calendar-connections/feed/regenerate")
    assert response.status_code == 200
    new_path = "/" + response.json()["url"].split("/", 3)[3]
    assert new_path != path
    assert client.get(path).status_code == 404
    assert client.get(new_path).status_code == 200


@pytest.mark.parametrize("token", ["nothing", "abc.def", ""])
def test_a_made_up_token_is_not_found(host, client, token):
    assert client.get(f"/feeds/{token}.ics").status_code == 404


def test_a_forged_signature_is_not_found(host, client):
    path = feed_path(client_for(host, act_as=host))
    nonce = path.removeprefix("/feeds/").split(".")[0]
    assert client.get(f"/feeds/{nonce}.{'A' * 43}.ics").status_code == 404


def test_an_unchanged_feed_answers_304_to_its_etag(api, host, day, client):
    booked(api, make_meeting_type(host), at(day, 9))
    path = feed_path(client_for(host, act_as=host))
    etag = client.get(path)["ETag"]
    assert client.get(path, HTTP_IF_NONE_MATCH=etag).status_code == 304
    booked(api, make_meeting_type(host, title="Other"), at(day, 12))
    assert client.get(path, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_the_feed_answers_head_and_refuses_writes(host, client):
    path = feed_path(client_for(host, act_as=host))
    assert client.head(path).status_code == 200
    assert client.post(path).status_code == 405
