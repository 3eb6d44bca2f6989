"""Appointments as meetergo's pages describe them, replayed against Termin.

Each test names the page it follows (paths on developer.meetergo.com):

- api-reference/appointments/get-paginated-appointments, get-todays-appointments,
  get-current-appointment
- api-reference/appointment-v4/cancel-an-appointment, reschedule-an-appointment
- developer-docs/core-concepts/bookings and rescheduling (the guide's client code)
- developer-docs/webhooks/events (what receivers read in booking bodies)
"""

import datetime as dt
import json
import secrets

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from scheduling.choices import Role
from scheduling.models import (
    Appointment,
    AppointmentHost,
    AppointmentStatus,
    Attendee,
)
from scheduling.services.appointments import UNKNOWN_ATTENDEE
from tests.conftest import client_for, make_member
from tests.contract import assert_matches_schema, openapi
from tests.scheduling.conftest import make_meeting_type, monday_after
from tests.scheduling.test_bookings import SLOT_TAKEN, at, book, utc_host
from webhooks.models import OutboxEvent
from webhooks.signing import event_body

pytestmark = pytest.mark.django_db

# What meetergo's appointment pages document on every appointment.
APPOINTMENT_FIELDS = {
    "id", "start", "end", "meetingTypeId", "hostIds", "hosts", "attendees", "attendeeIds",
    "isCancelled", "cancel", "meetingInfo", "hostingInfo", "companyId", "createdAt",
    "updatedAt",
}
HOST_FIELDS = {"id", "email", "givenName", "familyName", "fullName", "slug"}
ATTENDEE_FIELDS = {"id", "email", "firstname", "lastname", "fullname", "phone", "timezone",
                   "language"}
# Termin's own fields, kept beside meetergo's.
TERMIN_FIELDS = {"appointmentId", "status", "duration", "attendee", "meetingLink",
                 "bringalongEmails", "cancelReason", "internalNote"}
GUEST = "guest@client.test"


@pytest.fixture
def day():
    return monday_after(7)


@pytest.fixture
def host(owner):
    return utc_host(owner)


@pytest.fixture
def meeting_type(host):
    return make_meeting_type(host, durations=[30, 60], default_duration=30,
                             channels=["connect"])


def booked(api, meeting_type, start, **extra) -> str:
    response = book(api, meeting_type, start, **extra)
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def held(membership, start: dt.datetime, *, minutes: int = 30,
         status: str = AppointmentStatus.CONFIRMED) -> Appointment:
    """An appointment of ``membership`` at any time (today, now), written directly:
    the slot rules would refuse a start in the past."""
    appointment = Appointment.objects.create(
        company=membership.company, meeting_type_title="Walk-in", start=start,
        end=start + dt.timedelta(minutes=minutes), status=status,
        room_token=secrets.token_urlsafe(24), secret_digest="0" * 64)
    AppointmentHost.objects.create(
        appointment=appointment, host=membership.user, start=appointment.start,
        end=appointment.end, active=status == AppointmentStatus.CONFIRMED)
    Attendee.objects.create(appointment=appointment, email="walk-in@client.test",
                            first_name="Walk", last_name="In")
    return appointment


def assert_meetergo_shape(body: dict) -> None:
    assert set(body) >= APPOINTMENT_FIELDS, APPOINTMENT_FIELDS - set(body)
    assert set(body) >= TERMIN_FIELDS, TERMIN_FIELDS - set(body)
    assert body["hosts"] and all(set(h) == HOST_FIELDS for h in body["hosts"])
    assert [h["id"] for h in body["hosts"]] == body["hostIds"]
    assert body["attendees"] and all(set(a) >= ATTENDEE_FIELDS for a in body["attendees"])
    assert [a["id"] for a in body["attendees"]] == body["attendeeIds"]
    assert all(a["id"] == a["attendeeId"] for a in body["attendees"])
    assert set(body["meetingInfo"]) >= {"name", "duration", "channel"}
    assert set(body["hostingInfo"]) == {"mainHost", "meetingLink"}
    assert body["hostingInfo"]["mainHost"] == body["hostIds"][0]
    assert body["isCancelled"] is (body["cancel"] is not None)


# --- api-reference/appointments/get-paginated-appointments ---------------------------


def test_paginated_pages_from_zero_and_answers_appointments_and_total(api, meeting_type, day):
    """get-paginated-appointments: ``?page=0&pageSize=20`` -> ``{appointments, total}``."""
    ids = [booked(api, meeting_type, at(day, hour)) for hour in (9, 10, 11)]
    response = api.get("/v4/appointment/paginated", {"page": 0, "pageSize": 2})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["total"], body["page"], body["pageSize"]) == (3, 0, 2)
    assert [a["id"] for a in body["appointments"]] == ids[:2]
    for appointment in body["appointments"]:
        assert_meetergo_shape(appointment)
    assert_matches_schema("/v4/appointment/paginated", "get", 200, body)
    second = api.get("/v4/appointment/paginated", {"page": 1, "pageSize": 2}).json()
    assert [a["id"] for a in second["appointments"]] == ids[2:]
    assert api.get("/v4/appointment/paginated", {"page": 5}).json()["appointments"] == []


def test_paginated_takes_limit_as_the_bookings_page_sends_it(api, meeting_type, day):
    """developer-docs/core-concepts/bookings calls ``/paginated/?page=1&limit=20``."""
    for hour in (9, 10, 11):
        booked(api, meeting_type, at(day, hour))
    body = api.get("/v4/appointment/paginated", {"page": 0, "limit": 1}).json()
    assert (len(body["appointments"]), body["pageSize"], body["total"]) == (1, 1, 3)
    clash = api.get("/v4/appointment/paginated", {"pageSize": 2, "limit": 3})
    assert clash.status_code == 400
    assert clash.json()["errors"][0]["field"] == "limit"
    too_big = api.get("/v4/appointment/paginated", {"pageSize": 101})
    assert too_big.status_code == 400


def test_paginated_is_the_acting_users_and_filters_like_meetergo(api, owner, meeting_type,
                                                                   day):
    """get-paginated-appointments: filters ``start``, ``end``, ``status``,
    ``meetingTypeId``, ``userId`` (the list is the authenticated user's)."""
    colleague = utc_host(make_member(owner, Role.MEMBER))
    theirs = make_meeting_type(owner, hosts=[colleague], title="Their call")
    first = booked(api, meeting_type, at(day, 9))
    booked(api, meeting_type, at(day, 10), attendee={"email": "b@client.test"})
    other = booked(api, theirs, at(day, 9), attendee={"email": "c@client.test"})
    api.post(f"/v4/appointment/{first}/cancel", {"reason": "Moved"}, format="json")

    def ids(**query):
        response = api.get("/v4/appointment/paginated", query)
        assert response.status_code == 200, response.json()
        return [a["id"] for a in response.json()["appointments"]]

    assert other not in ids()
    assert ids(userId=str(colleague.user.uuid)) == [other]
    assert ids(status="cancelled") == [first]
    assert len(ids(status="confirmed")) == 1
    assert ids(start=at(day, 9, 45), end=at(day, 10, 15)) == ids(status="confirmed")
    assert ids(meetingTypeId=str(theirs.uuid)) == []
    assert ids(search="b@client") == ids(status="confirmed")
    as_colleague = client_for(colleague)
    assert [a["id"] for a in as_colleague.get("/v4/appointment/paginated").json()[
        "appointments"]] == [other]
    assert api.get("/v4/appointment/paginated", {"status": "maybe"}).status_code == 400


# --- api-reference/appointments/get-todays-appointments, get-current-appointment ------


def test_today_is_the_acting_users_appointments_of_today(api, owner):
    """get-todays-appointments: 'all appointments scheduled for today for the
    authenticated user', a bare array; cancelled ones and other days are left out."""
    now = timezone.now()
    mine = held(owner, now - dt.timedelta(minutes=10))
    held(owner, now + dt.timedelta(days=2))
    held(owner, now - dt.timedelta(minutes=5), status=AppointmentStatus.CANCELLED)
    held(make_member(owner), now - dt.timedelta(minutes=10))
    response = api.get("/v4/appointment/today")
    assert response.status_code == 200
    body = response.json()
    assert [a["id"] for a in body] == [str(mine.uuid)]
    assert_meetergo_shape(body[0])
    assert_matches_schema("/v4/appointment/today", "get", 200, body)


def test_current_is_the_appointment_in_progress_or_null(api, owner):
    """get-current-appointment: one appointment, or the JSON null when none is running."""
    empty = api.get("/v4/appointment/current")
    assert empty.status_code == 200
    assert empty["Content-Type"] == "application/json"
    assert json.loads(empty.content) is None
    schema = openapi()["paths"]["/v4/appointment/current"]["get"]["responses"]["200"]
    documented = schema["content"]["application/json"]["schema"]
    assert documented["nullable"] is True
    assert documented["allOf"] == [{"$ref": "#/components/schemas/Appointment"}]
    now = timezone.now()
    held(owner, now + dt.timedelta(hours=1))
    running = held(owner, now - dt.timedelta(minutes=10))
    body = api.get("/v4/appointment/current").json()
    assert body["id"] == str(running.uuid)
    assert body["isCancelled"] is False and body["cancel"] is None
    assert_meetergo_shape(body)
    # The same Appointment schema as the detail's (the helper reads no nullable root).
    assert_matches_schema("/v4/appointment/{id}", "get", 200, body)


# --- the documented fields on every answer ---------------------------------------------


def test_every_appointment_answer_carries_meetergos_fields(api, owner, meeting_type, day):
    """api-reference/appointments/*: id, start, end, meetingTypeId, hostIds, hosts,
    attendees, attendeeIds, isCancelled, cancel, meetingInfo, hostingInfo, companyId,
    createdAt, updatedAt; Termin's own fields stay."""
    appointment_id = booked(api, meeting_type, at(day, 9), bringalongEmails=[GUEST])
    detail = api.get(f"/v4/appointment/{appointment_id}").json()
    assert_meetergo_shape(detail)
    assert detail["hosts"][0] == {
        "id": str(owner.user.uuid), "email": owner.user.email, "givenName": "Olivia",
        "familyName": "Owner", "fullName": "Olivia Owner", "slug": owner.user.slug}
    assert [a["email"] for a in detail["attendees"]] == ["jane@client.test", GUEST]
    assert detail["meetingInfo"] == {
        "name": "Intro call", "description": "", "duration": 30, "channel": "connect",
        "meetingLink": detail["meetingLink"]}
    assert detail["hostingInfo"]["meetingLink"] == detail["meetingLink"]
    assert detail["companyId"] == str(owner.company.uuid)
    assert detail["meetingType"]["id"] == detail["meetingTypeId"]
    assert "secret" not in detail  # shown once, in the booking's answer
    assert_matches_schema("/v4/appointment/{id}", "get", 200, detail)
    listed = api.get("/v4/appointment").json()["data"][0]
    assert listed == detail
    # The attendee's view has meetergo's fields too, without the host's email.
    secret = book(api, meeting_type, at(day, 11), attendee={"email": "p@client.test"}).json()
    public = APIClient()
    public.credentials(HTTP_X_APPOINTMENT_SECRET=secret["secret"])
    mine = public.get(f"/v4/public/appointment/{secret['id']}").json()
    assert set(mine) >= APPOINTMENT_FIELDS
    assert mine["hosts"][0]["email"] is None
    assert mine["hosts"][0]["id"] == str(owner.user.uuid)


def test_a_page_of_appointments_costs_the_same_queries_however_long(api, meeting_type, day):
    """The payload reads only what the list query prefetches: no query per row."""
    for hour in (9, 10):
        booked(api, meeting_type, at(day, hour), attendee={"email": f"{hour}@client.test"})
    def queries_of_a_page() -> int:
        statements = []
        with connection.execute_wrapper(
                lambda execute, sql, *args: statements.append(sql) or execute(sql, *args)):
            assert api.get("/v4/appointment/paginated", {"pageSize": 100}).status_code == 200
        return len(statements)

    two = queries_of_a_page()
    for hour in range(11, 17):
        booked(api, meeting_type, at(day, hour), bringalongEmails=[GUEST],
               attendee={"email": f"{hour}@client.test"})
    assert queries_of_a_page() == two > 0
    assert api.get("/v4/appointment/paginated").json()["total"] == 8


# --- developer-docs/core-concepts/rescheduling ----------------------------------------


def test_the_rescheduling_guides_client_code_works(api, meeting_type, day):
    """The guide: read the old booking, book ``oldBooking.hosts.map(h => h.id)`` and
    ``oldBooking.attendees[0]`` at the new time, cancel the old one (DELETE), and the
    old one then reads as cancelled."""
    old_id = booked(api, meeting_type, at(day, 9))
    old_booking = api.get(f"/v4/appointment/{old_id}").json()
    new_booking = api.post("/v4/booking", {
        "meetingTypeId": old_booking["meetingTypeId"],
        "start": at(day, 14),
        "hostIds": [h["id"] for h in old_booking["hosts"]],
        "attendee": {"email": old_booking["attendees"][0]["email"],
                     "fullname": old_booking["attendees"][0]["fullname"],
                     "phone": old_booking["attendees"][0]["phone"]},
    }, format="json")
    assert new_booking.status_code == 201, new_booking.json()
    cancelled = api.delete(f"/v4/appointment/{old_id}", {"reason": "Rescheduled to new time"},
                           format="json")
    assert cancelled.status_code == 200
    old = api.get(f"/v4/appointment/{old_id}").json()
    assert old["isCancelled"] is True
    assert old["cancel"]["reason"] == "Rescheduled to new time"
    new = api.get(f"/v4/appointment/{new_booking.json()['id']}").json()
    assert new["hostIds"] == old["hostIds"] and new["start"] == at(day, 14)


# --- api-reference/appointment-v4/cancel-an-appointment -------------------------------


def test_a_cancelled_appointment_reads_is_cancelled_and_its_cancel(api, owner, meeting_type,
                                                                    day):
    """cancel-an-appointment: ``POST .../cancel {reason}`` answers the cancelled
    appointment; ``cancel`` says who, when and why."""
    appointment_id = booked(api, meeting_type, at(day, 9))
    response = api.post(f"/v4/appointment/{appointment_id}/cancel",
                        {"reason": "Customer requested", "cancelAll": True}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["isCancelled"] is True and body["status"] == "cancelled"
    assert body["cancel"]["reason"] == "Customer requested"
    assert body["cancel"]["actionSource"] == "host"
    assert body["cancel"]["actionBy"] == str(owner.user.uuid)
    assert body["cancel"]["actionAt"] == body["cancelledAt"]
    assert_matches_schema("/v4/appointment/{id}/cancel", "post", 200, body)
    assert api.post(f"/v4/appointment/{appointment_id}/cancel").status_code == 409


def test_cancel_by_an_admin_who_does_not_host_and_by_the_attendee(api, owner, meeting_type,
                                                                  day):
    """cancel-an-appointment: ``cancel.actionSource`` tells an admin from the attendee."""
    first = booked(api, meeting_type, at(day, 9))
    admin = make_member(owner, Role.ADMIN)
    body = client_for(admin).delete(f"/v4/appointment/{first}").json()
    assert (body["cancel"]["actionSource"], body["cancel"]["actionBy"]) == (
        "admin", str(admin.user.uuid))
    answer = book(api, meeting_type, at(day, 10), attendee={"email": "b@client.test"}).json()
    attendee = APIClient()
    attendee.credentials(HTTP_X_APPOINTMENT_SECRET=answer["secret"])
    attendee.post(f"/v4/public/appointment/{answer['id']}/cancel", {}, format="json")
    body = api.get(f"/v4/appointment/{answer['id']}").json()
    assert body["cancel"]["actionSource"] == "attendee"
    assert body["cancel"]["actionBy"] == body["attendees"][0]["id"]


def test_attendee_id_removes_one_guest_and_fires_booking_cancelled(api, meeting_type, day):
    """cancel-an-appointment: ``attendeeId`` removes a single attendee and the
    appointment continues; developer-docs/webhooks/events: booking_cancelled fires
    when an attendee is removed."""
    appointment_id = booked(api, meeting_type, at(day, 9),
                            bringalongEmails=[GUEST, "other@client.test"])
    before = api.get(f"/v4/appointment/{appointment_id}").json()
    guest_id = before["attendees"][1]["id"]
    response = api.post(f"/v4/appointment/{appointment_id}/cancel",
                        {"attendeeId": guest_id, "reason": "Cannot come"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["isCancelled"] is False and body["status"] == "confirmed"
    assert guest_id not in body["attendeeIds"]
    assert body["bringalongEmails"] == ["other@client.test"]
    event = OutboxEvent.objects.get(event="booking_cancelled")
    assert event.data["attendeeId"] == guest_id
    assert event.data["removedAttendee"]["email"] == GUEST
    assert event.data["isCancelled"] is False and event.data["reason"] == "Cannot come"
    again = api.post(f"/v4/appointment/{appointment_id}/cancel", {"attendeeId": guest_id},
                     format="json")
    assert again.status_code == 400
    assert again.json()["errors"][0] == {"field": "attendeeId", "message": UNKNOWN_ATTENDEE}
    # The booker's own id cancels the whole booking.
    booker = api.post(f"/v4/appointment/{appointment_id}/cancel",
                      {"attendeeId": body["attendeeIds"][0]}, format="json").json()
    assert booker["isCancelled"] is True


def test_attendee_id_with_cancel_all_and_a_series_are_400s(api, meeting_type, day):
    """cancel-an-appointment: ``cancelEntireSeries`` (Termin has no series) and both
    ``attendeeId`` and ``cancelAll`` are refused naming the field; nothing changes."""
    appointment_id = booked(api, meeting_type, at(day, 9), bringalongEmails=[GUEST])
    attendee_id = api.get(f"/v4/appointment/{appointment_id}").json()["attendeeIds"][1]
    url = f"/v4/appointment/{appointment_id}/cancel"
    series = api.post(url, {"cancelEntireSeries": True}, format="json")
    assert series.status_code == 400
    assert series.json()["errors"][0]["field"] == "cancelEntireSeries"
    assert "not supported" in series.json()["errors"][0]["message"]
    both = api.post(url, {"attendeeId": attendee_id, "cancelAll": True}, format="json")
    assert both.json()["errors"][0]["field"] == "cancelAll"
    assert api.get(f"/v4/appointment/{appointment_id}").json()["status"] == "confirmed"
    fine = api.post(url, {"cancelEntireSeries": False, "cancelAll": True}, format="json")
    assert fine.json()["isCancelled"] is True


# --- api-reference/appointment-v4/reschedule-an-appointment ----------------------------


def test_reschedule_answers_the_appointment_in_an_envelope(api, meeting_type, day):
    """reschedule-an-appointment: ``{start, ignoreAvailability: false}`` ->
    ``{appointment}``, same duration, booking_rescheduled fired."""
    appointment_id = booked(api, meeting_type, at(day, 9), duration=60)
    response = api.post(f"/v4/appointment/{appointment_id}/reschedule",
                        {"start": at(day, 14), "ignoreAvailability": False}, format="json")
    assert response.status_code == 200, response.json()
    moved = response.json()["appointment"]
    assert (moved["id"], moved["start"], moved["end"]) == (appointment_id, at(day, 14),
                                                           at(day, 15))
    assert_meetergo_shape(moved)
    assert_matches_schema("/v4/appointment/{id}/reschedule", "post", 200, response.json())
    event = OutboxEvent.objects.get(event="booking_rescheduled")
    assert event.data["previousStart"] == at(day, 9)
    closed = api.post(f"/v4/appointment/{appointment_id}/reschedule",
                      {"start": at(day, 20)}, format="json")
    assert closed.status_code == 400 and closed.json()["message"] == SLOT_TAKEN


def test_ignore_availability_is_for_owners_and_admins_and_never_double_books(owner, day):
    """reschedule-an-appointment: ``ignoreAvailability: true`` schedules outside the
    available hours; Termin allows it to owners and admins only and still refuses a
    time the host has another appointment."""
    hosting = utc_host(make_member(owner, Role.MEMBER))
    meeting_type = make_meeting_type(owner, hosts=[hosting])
    member = client_for(hosting)
    admin = client_for(make_member(owner, Role.ADMIN))
    appointment_id = booked(member, meeting_type, at(day, 9))
    booked(member, meeting_type, at(day, 10), attendee={"email": "b@client.test"})
    url = f"/v4/appointment/{appointment_id}/reschedule"
    refused = member.post(url, {"start": at(day, 20), "ignoreAvailability": True},
                          format="json")
    assert refused.status_code == 403
    assert refused.json()["message"] == "ignoreAvailability is allowed to owners and admins only"
    assert member.post(url, {"start": at(day, 11)}, format="json").status_code == 200
    outside = admin.post(url, {"start": at(day, 20), "ignoreAvailability": True}, format="json")
    assert outside.status_code == 200, outside.json()
    assert outside.json()["appointment"]["start"] == at(day, 20)
    onto = admin.post(url, {"start": at(day, 10, 15), "ignoreAvailability": True},
                      format="json")
    assert onto.status_code == 400 and onto.json()["message"] == SLOT_TAKEN
    assert Appointment.objects.get(uuid=appointment_id).start.hour == 20


# --- guest emails ----------------------------------------------------------------------


def test_guest_emails_adds_guests_who_get_the_invitation_without_the_manage_link(
        api, meeting_type, day, django_capture_on_commit_callbacks):
    """``PATCH /v4/appointment/:id/guest-emails {emails}`` adds bring-along guests (at
    most 5 in all, as at booking); each new guest gets the invitation, without the
    link that cancels or moves the meeting."""
    appointment_id = booked(api, meeting_type, at(day, 9), bringalongEmails=[GUEST])
    url = f"/v4/appointment/{appointment_id}/guest-emails"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.patch(url, {"emails": ["New@Client.test", GUEST]}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [a["email"] for a in body["attendees"]] == ["jane@client.test", GUEST,
                                                       "new@client.test"]
    assert body["bringalongEmails"] == [GUEST, "new@client.test"]
    assert [m.to for m in mail.outbox] == [["new@client.test"]]
    assert "/manage/" not in mail.outbox[0].body
    assert mail.outbox[0].attachments  # the .ics
    too_many = api.patch(url, {"emails": [f"g{i}@client.test" for i in range(4)]},
                         format="json")
    assert too_many.status_code == 400
    assert too_many.json()["errors"][0]["field"] == "emails"
    bad = api.patch(url, {"emails": ["not-an-address"]}, format="json")
    assert bad.json()["errors"][0]["field"] == "emails.0"


# --- nothing dropped silently ------------------------------------------------------------


@pytest.mark.parametrize(("method", "suffix", "body"), [
    ("post", "/cancel", {"reason": "x", "refund": True}),
    ("delete", "", {"reason": "x", "refund": True}),
    ("post", "/reschedule", {"start": "2030-01-07T09:00:00+00:00", "refund": True}),
    ("patch", "/guest-emails", {"emails": [GUEST], "refund": True}),
    ("patch", "", {"internalNote": "x", "refund": True}),
    ("post", "/decline", {"reason": "x", "refund": True}),
])
def test_an_unknown_field_is_a_400_naming_it(api, meeting_type, day, method, suffix, body):
    """meetergo-api.md rule 3: a field neither meetergo nor Termin knows is a 400."""
    appointment_id = booked(api, meeting_type, at(day, 9))
    response = getattr(api, method)(f"/v4/appointment/{appointment_id}{suffix}", body,
                                    format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "refund"
    appointment = api.get(f"/v4/appointment/{appointment_id}").json()
    assert (appointment["status"], appointment["internalNote"]) == ("confirmed", "")


# --- developer-docs/webhooks/events --------------------------------------------------------


def test_booking_bodies_carry_what_meetergos_receivers_read(api, owner, meeting_type, day):
    """webhooks/events: receivers read id, start, end, hostIds, hosts, attendees[].id and
    .email, meetingTypeId, meetingType {id, slug, meetingInfo}, isCancelled, companyId
    at the top level of the body."""
    appointment_id = booked(api, meeting_type, at(day, 9))
    api.post(f"/v4/appointment/{appointment_id}/cancel", {"reason": "No budget"},
             format="json")
    created, cancelled = (json.loads(event_body(OutboxEvent.objects.get(event=name)))
                          for name in ("booking_created", "booking_cancelled"))
    for body in (created, cancelled):
        assert body["id"] == appointment_id and body["webhookType"] in (
            "booking_created", "booking_cancelled")
        assert (body["start"], body["end"]) == (at(day, 9), at(day, 9, 30))
        assert body["hostIds"] == [h["id"] for h in body["hosts"]] == [str(owner.user.uuid)]
        assert body["attendees"][0]["id"] and body["attendees"][0]["email"] == "jane@client.test"
        assert body["meetingTypeId"] == body["meetingType"]["id"] == str(meeting_type.uuid)
        assert body["meetingType"]["slug"] == meeting_type.slug
        assert body["meetingType"]["meetingInfo"] == {"name": "Intro call", "duration": 30}
        assert body["companyId"] == str(owner.company.uuid)
        assert body["data"]["id"] == appointment_id
    assert created["isCancelled"] is False and created["cancel"] is None
    assert cancelled["isCancelled"] is True
    assert cancelled["cancel"]["reason"] == "No budget"


def test_the_schema_describes_meetergos_appointment_paths(client):
    """The OpenAPI schema at /spec/v2 lists every path of this page set."""
    paths = json.loads(client.get("/spec/v2/openapi.json").content)["paths"]
    for path, method in [("/v4/appointment/paginated", "get"),
                         ("/v4/appointment/today", "get"),
                         ("/v4/appointment/current", "get"),
                         ("/v4/appointment/{id}/cancel", "post"),
                         ("/v4/appointment/{id}", "delete"),
                         ("/v4/appointment/{id}/reschedule", "post"),
                         ("/v4/appointment/{id}/guest-emails", "patch")]:
        assert method in paths[path], (path, method)
    cancel = paths["/v4/appointment/{id}/cancel"]["post"]["requestBody"]
    schema = cancel["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    fields = json.loads(client.get("/spec/v2/openapi.json").content)[
        "components"]["schemas"][schema]["properties"]
    assert {"reason", "attendeeId", "cancelAll", "cancelEntireSeries"} <= set(fields)
