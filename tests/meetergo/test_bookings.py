"""Bookings as meetergo's create-booking page sends and reads them.

Page: api-reference/booking-v4/create-booking (its extract is
reference/meetergo-create-booking.txt): each example body of the page, the
documented answers and error messages word for word, and the booking_created
webhook's fields.
"""

import pytest

from scheduling.models import Appointment, AppointmentStatus, Attendee
from tests.conftest import make_member
from tests.scheduling.conftest import make_meeting_type, monday_after
from tests.scheduling.test_bookings import at, book, utc_host
from webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db

JANE = {"email": "client@example.com", "firstname": "Jane", "lastname": "Smith",
        "receiveReminders": True, "notes": {}}


@pytest.fixture
def day():
    return monday_after(7)


@pytest.fixture
def host(owner):
    return utc_host(owner)


@pytest.fixture
def meeting_type(host):
    return make_meeting_type(host, durations=[30, 60], default_duration=30)


def test_the_basic_booking_answers_appointment_id_and_secret(api, host, meeting_type, day):
    """create-booking: "Basic Booking" and "Success (201 Created) - Standard Booking"."""
    response = book(api, meeting_type, at(day, 9), hostIds=[str(host.user.uuid)], attendee=JANE)
    assert response.status_code == 201
    body = response.json()
    assert {"appointmentId", "secret"} <= set(body)
    assert Appointment.objects.get(uuid=body["appointmentId"]).status == (
        AppointmentStatus.CONFIRMED)


def test_form_fields_and_video_conferencing(api, host, day):
    """create-booking: "With Form Fields and Video Conferencing"."""
    meeting_type = make_meeting_type(host, title="Demo", channels=["zoom"], locations=[
        {"channel": "zoom", "link": "https://zoom.us/j/123"}])
    notes = {"company": "Acme Inc", "referral_source": "Website", "company_size": "50-200"}
    response = book(api, meeting_type, at(day, 9), hostIds=[str(host.user.uuid)],
                    channel="zoom", attendee={**JANE, "phone": "+1-555-123-4567",
                                              "notes": notes})
    assert response.status_code == 201, response.json()
    attendee = Attendee.objects.get()
    assert attendee.notes == notes and attendee.phone


def test_a_custom_calendar_invite(api, host, meeting_type, day):
    """create-booking: "Custom Calendar Invite" (icsTitle <= 200, icsDescription <= 2000)."""
    response = book(api, meeting_type, at(day, 9), hostIds=[str(host.user.uuid)],
                    icsTitle="Product Demo — Jane Smith",
                    icsDescription="Chat summary: enterprise pricing and SSO.", attendee=JANE)
    assert response.status_code == 201
    appointment = Appointment.objects.get()
    assert appointment.ics_title == "Product Demo — Jane Smith"
    too_long = book(api, meeting_type, at(day, 11), icsTitle="x" * 201, attendee=JANE)
    assert too_long.status_code == 400


def test_utm_tracking_is_kept_on_the_attendee(api, host, meeting_type, day):
    """create-booking: "UTM Tracking"."""
    utm = {"utm_source": "qualimero", "utm_medium": "chatbot", "utm_content": "enterprise_q1"}
    response = book(api, meeting_type, at(day, 9), hostIds=[str(host.user.uuid)],
                    attendee={**JANE, "notes": utm})
    assert response.status_code == 201
    assert Attendee.objects.get().notes == utm


def test_double_opt_in_answers_a_provisional_booking(api, host, day):
    """create-booking: "Success (201 Created) - Double Opt-In"."""
    meeting_type = make_meeting_type(host, title="Opt in", double_opt_in=True)
    body = book(api, meeting_type, at(day, 9), attendee=JANE).json()
    assert body["bookingType"] == "DoubleOptIn"
    assert Appointment.objects.get(uuid=body["provisionalBookingId"]).status == (
        AppointmentStatus.PENDING_OPTIN)


@pytest.mark.parametrize(("setup", "message"), [
    ("taken", "The selected time slot is no longer available"),
    ("no host", "hostIds or queueId is required"),
    ("duration", "Duration must match one of the allowed durations for this meeting type"),
])
def test_the_documented_errors_word_for_word(api, owner, host, meeting_type, day, setup,
                                             message):
    """create-booking: "Error Responses"."""
    extra = {}
    if setup == "taken":
        book(api, meeting_type, at(day, 9), attendee=JANE)
    if setup == "no host":
        make_member(owner, email="second@acme.test")
        meeting_type.hosts.clear()
    if setup == "duration":
        extra["duration"] = 45
    response = book(api, meeting_type, at(day, 9), attendee=JANE, **extra)
    assert response.status_code == 400
    assert (response.json()["message"], response.json()["error"]) == (message, "Bad Request")


def test_the_booking_created_webhook_carries_the_documented_fields(api, host, meeting_type,
                                                                    day):
    """create-booking: "Webhooks" (booking_created body)."""
    body = book(api, meeting_type, at(day, 9), attendee=JANE).json()
    data = OutboxEvent.objects.get(event="booking_created").data
    assert data["id"] == body["appointmentId"]
    assert data["hostIds"] == [str(host.user.uuid)]
    assert data["meetingTypeId"] == str(meeting_type.uuid)
    assert data["attendees"][0]["email"] == "client@example.com"
    assert {"start", "end"} <= set(data)
