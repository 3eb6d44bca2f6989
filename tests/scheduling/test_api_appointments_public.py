"""``/v4/public/appointment/:id``: attendees holding the secret, without a key; and
the reference code examples' booking flow, written as the examples write it."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from scheduling.models import Appointment
from tests.scheduling.conftest import make_meeting_type
from tests.scheduling.test_bookings import SLOT_TAKEN, at, book, utc_host
from webhooks.models import OutboxEvent


@pytest.fixture
def meeting_type(owner):
    return make_meeting_type(utc_host(owner))


@pytest.fixture
def booking(api, meeting_type, day):
    return book(api, meeting_type, at(day, 9)).json()


def attendee(secret: str | None) -> APIClient:
    client = APIClient()
    if secret is not None:
        client.credentials(HTTP_X_APPOINTMENT_SECRET=secret)
    return client


def test_the_secret_shows_the_appointment_without_internal_fields(booking, day):
    response = attendee(booking["secret"]).get(f"/v4/public/appointment/{booking['id']}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == booking["id"]
    assert body["start"] == at(day, 9)
    assert "internalNote" not in body and "source" not in body


@pytest.mark.parametrize("secret", [None, "", "wrong-secret"])
def test_a_missing_or_wrong_secret_is_refused(booking, secret):
    for method, suffix in [("get", ""), ("post", "/cancel"), ("post", "/reschedule")]:
        response = getattr(attendee(secret), method)(
            f"/v4/public/appointment/{booking['id']}{suffix}", {}, format="json")
        assert response.status_code == 403
        assert response.json()["statusCode"] == 403
    assert Appointment.objects.get(uuid=booking["id"]).status == "confirmed"


def test_an_unknown_appointment_is_a_404(booking):
    response = attendee(booking["secret"]).get(
        "/v4/public/appointment/770e8400-e29b-41d4-a716-446655440002")
    assert response.status_code == 404
    assert attendee("x").get("/v4/public/appointment/nope").status_code == 404


def test_another_appointments_secret_does_not_open_this_one(api, meeting_type, booking, day):
    other = book(api, meeting_type, at(day, 10)).json()
    response = attendee(other["secret"]).get(f"/v4/public/appointment/{booking['id']}")
    assert response.status_code == 403


def test_the_attendee_cancels_with_the_secret(booking, meeting_type, api, day):
    response = attendee(booking["secret"]).post(
        f"/v4/public/appointment/{booking['id']}/cancel", {"reason": "Sick"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    data = OutboxEvent.objects.get(event="booking_cancelled").data
    assert (data["id"], data["cancelledBy"], data["reason"]) == (booking["id"], "attendee", "Sick")
    assert book(api, meeting_type, at(day, 9)).status_code == 201


def test_the_attendee_reschedules_to_a_free_slot_only(booking, api, meeting_type, day):
    book(api, meeting_type, at(day, 10), attendee={"email": "b@x.test"})
    client = attendee(booking["secret"])
    url = f"/v4/public/appointment/{booking['id']}/reschedule"
    taken = client.post(url, {"start": at(day, 10)}, format="json")
    assert taken.status_code == 400
    assert taken.json()["message"] == SLOT_TAKEN
    naive = client.post(url, {"start": f"{day.isoformat()}T11:00:00"}, format="json")
    assert naive.status_code == 400
    moved = client.post(url, {"start": at(day, 11)}, format="json")
    assert moved.status_code == 200
    assert moved.json()["start"] == at(day, 11)
    data = OutboxEvent.objects.get(event="booking_rescheduled").data
    assert data["rescheduledAppointment"]["id"] == booking["id"]


def test_the_secret_is_stored_only_as_a_digest(booking):
    appointment = Appointment.objects.get(uuid=booking["id"])
    assert booking["secret"] not in appointment.secret_digest
    assert len(appointment.secret_digest) == 64


# --- the reference code examples' flow -----------------------------------------------------


def test_the_code_examples_flow_creates_a_user_books_the_first_slot_and_cancels(api):
    """createUser, getAvailableSlots (withUser), createBooking, cancelBooking."""
    headers = {"content_type": "application/json"}
    user = api.post("/v4/user", {"email": "john@example.com", "givenName": "John",
                                 "familyName": "Doe", "timezone": "Europe/Berlin"},
                    format="json").json()
    assert user["userId"] and user["bookingUrl"]
    with_user = {"HTTP_X_MEETERGO_API_USER_ID": user["userId"]}
    meeting_type = api.post("/v4/meeting-type", {"title": "Intro", "hostIds": [user["userId"]]},
                            format="json").json()
    today = dt.date.today()
    slots = api.get("/v4/booking-availability", {
        "meetingTypeId": meeting_type["id"], "start": today.isoformat(),
        "end": (today + dt.timedelta(days=7)).isoformat()}, **with_user).json()
    slot = slots["availableSlots"][0]

    response = api.post("/v4/booking", data={
        "meetingTypeId": meeting_type["id"], "start": slot["start"],
        "attendee": {"email": "client@example.com", "fullname": "Client Name",
                     "phone": "+1234567890"},
    }, format="json", **with_user)
    assert response.status_code == 201, response.json()
    booking = response.json()
    assert booking["id"] and booking["meetingLink"]

    cancelled = api.delete(f"/v4/appointment/{booking['id']}",
                           data='{"reason": "Customer requested", "notifyAttendees": true}',
                           **headers, **with_user)
    assert cancelled.status_code == 200
    assert Appointment.objects.get(uuid=booking["id"]).status == "cancelled"
    without_reason = api.post("/v4/booking", data={
        "meetingTypeId": meeting_type["id"], "start": slot["start"],
        "attendee": {"email": "client@example.com", "fullname": "Client Name"},
    }, format="json", **with_user).json()
    assert api.delete(f"/v4/appointment/{without_reason['id']}", **headers,
                      **with_user).status_code == 200


def test_the_overview_example_books_without_host_ids_and_with_a_z_time(api, meeting_type, day):
    response = api.post("/v4/booking", {
        "meetingTypeId": str(meeting_type.uuid), "start": f"{day.isoformat()}T10:00:00Z",
        "attendee": {"email": "attendee@example.com", "firstname": "Jane",
                     "lastname": "Smith"}}, format="json")
    assert response.status_code == 201
