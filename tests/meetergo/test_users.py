"""Users as meetergo's pages create them: provisioned ready to be booked, with a
default schedule and a meeting type, answering ``{userId, availabilityId,
meetingTypeId, bookingUrl, companyId}`` beside Termin's user fields.

Pages: developer-docs/core-concepts/users, api-reference/users/create-user, and
the code examples' createUser (firstname/lastname)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from scheduling.models import AvailabilitySchedule, MeetingType, User
from tests.conftest import client_for
from tests.scheduling.conftest import monday_after
from webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db

JOHN = {"email": "john.smith@example.com", "givenName": "John", "familyName": "Smith",
        "timezone": "Europe/London"}
NINE_TO_FIVE = {"enabled": True, "hours": [{"start": "09:00", "end": "17:00"}]}
WORKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


def create(api, body):
    response = api.post("/v4/user", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_the_basic_request_provisions_a_bookable_user(api, company):
    """api-reference/users/create-user: Basic Request; developer-docs/core-concepts/users:
    Response and Automatic Provisioning."""
    body = create(api, JOHN)
    assert set(body) >= {"userId", "availabilityId", "meetingTypeId", "bookingUrl", "companyId"}
    assert body["companyId"] == str(company.uuid)
    assert body["bookingUrl"] == "http://127.0.0.1:8000/john-smith/30min-meeting"
    # Termin's user fields at once.
    assert (body["id"], body["email"], body["givenName"], body["timezone"], body["slug"]) == (
        body["userId"], "john.smith@example.com", "John", "Europe/London", "john-smith")

    schedule = AvailabilitySchedule.objects.get(uuid=body["availabilityId"])
    assert (schedule.user.uuid.hex, schedule.is_default, schedule.timezone) == (
        body["userId"].replace("-", ""), True, "Europe/London")
    availability = api.get(f"/v4/availability/{body['availabilityId']}").json()
    assert {day: availability["schedule"][day] for day in WORKDAYS} == {
        day: NINE_TO_FIVE for day in WORKDAYS}
    assert availability["schedule"]["saturday"] == {"enabled": False, "hours": []}

    meeting_type = api.get(f"/v4/meeting-type/{body['meetingTypeId']}").json()
    assert meeting_type["meetingInfo"]["name"] == "30min Meeting"
    assert meeting_type["meetingInfo"]["duration"] == 30
    assert meeting_type["hostIds"] == [body["userId"]] == [meeting_type["userId"]]
    assert meeting_type["bookingUrl"] == body["bookingUrl"]


def test_the_new_user_can_be_booked_at_once(api):
    """api-reference/users/create-user: "making them immediately ready for bookings", then
    the code examples' getAvailableSlots and createBooking acting for the new user."""
    body = create(api, {**JOHN, "timezone": "Europe/Berlin"})
    as_john = {"HTTP_X_MEETERGO_API_USER_ID": body["userId"]}
    monday = monday_after(7)
    slots = api.get("/v4/booking-availability", {
        "meetingTypeId": body["meetingTypeId"], "start": monday.isoformat(),
        "end": (monday + dt.timedelta(days=4)).isoformat()}, **as_john)
    assert slots.status_code == 200, slots.json()
    free = slots.json()["availableSlots"]
    assert len(free) == 5 * 16  # Monday to Friday, 09:00-17:00, 30 minutes each
    first = dt.datetime.fromisoformat(free[0]["start"]).astimezone(ZoneInfo("Europe/Berlin"))
    assert (first.date(), first.strftime("%H:%M")) == (monday, "09:00")
    booking = api.post("/v4/booking", {
        "meetingTypeId": body["meetingTypeId"], "start": free[0]["start"],
        "attendee": {"email": "client@example.com", "fullname": "Jane Client"},
    }, format="json", **as_john)
    assert booking.status_code == 201, booking.json()
    assert booking.json()["appointmentId"]


def test_custom_availability_and_meeting_type_in_the_object_shape(api):
    """api-reference/users/create-user: With Custom Availability & Meeting Type (the
    object-shaped schedule)."""
    week = {day: NINE_TO_FIVE for day in WORKDAYS}
    body = create(api, {
        **JOHN,
        "availability": {"name": "John's Business Hours", "timezone": "Europe/London",
                         "schedule": week},
        "meetingType": {"name": "Consultation", "duration": 60, "slug": "consultation",
                        "channel": "phone"},
    })
    assert body["bookingUrl"].endswith("/john-smith/consultation")
    availability = api.get(f"/v4/availability/{body['availabilityId']}").json()
    assert availability["name"] == "John's Business Hours"
    assert availability["schedule"]["monday"] == NINE_TO_FIVE
    meeting_type = api.get(f"/v4/meeting-type/{body['meetingTypeId']}").json()
    assert meeting_type["meetingInfo"] == {
        "name": "Consultation", "description": "", "duration": 60, "channel": "phone",
        "bufferBefore": 0, "bufferAfter": 0}


def test_custom_availability_in_the_array_shape(api):
    """api-reference/users/create-user (its other version): the schedule as
    [{dayOfWeek, intervals: [{from, to}]}], and a meeting type without a channel."""
    body = create(api, {
        **JOHN,
        "availability": {"name": "John's Business Hours", "timezone": "America/New_York",
                         "schedule": [{"dayOfWeek": day, "intervals": [
                             {"from": "08:00", "to": "16:00"}]} for day in WORKDAYS]},
        "meetingType": {"name": "Intro", "duration": 20},
    })
    availability = api.get(f"/v4/availability/{body['availabilityId']}").json()
    assert availability["timezone"] == "America/New_York"
    assert availability["weekly"]["friday"] == [{"start": "08:00", "end": "16:00"}]
    meeting_type = MeetingType.objects.get(uuid=body["meetingTypeId"])
    assert (meeting_type.title, meeting_type.durations, meeting_type.channels) == (
        "Intro", [20], ["connect"])


def test_a_meeting_type_in_meetergos_other_shapes(api):
    body = create(api, {**JOHN, "meetingType": {
        "meetingInfo": {"name": "Discovery", "duration": 45, "channel": "connect"},
        "meetingOptions": {"allowedDurations": [15, 45]}}})
    meeting_type = MeetingType.objects.get(uuid=body["meetingTypeId"])
    assert (meeting_type.title, meeting_type.durations, meeting_type.default_duration) == (
        "Discovery", [15, 45], 45)
    named_by_duration = create(api, {"email": "x@example.com", "meetingType": {"duration": 15}})
    assert named_by_duration["bookingUrl"].endswith("/15min-meeting")


def test_the_code_examples_spelling_works_too(api):
    """The code examples' createUser sends firstname and lastname."""
    body = create(api, {"email": "jane@example.com", "firstname": "Jane", "lastname": "Doe"})
    assert (body["givenName"], body["familyName"]) == ("Jane", "Doe")
    assert body["availabilityId"] and body["meetingTypeId"]


def test_new_employee_fires_once_with_the_user(api, company):
    body = create(api, JOHN)
    events = OutboxEvent.objects.filter(company=company, event="new_employee")
    assert [event.data["userId"] for event in events] == [body["userId"]]


def test_provisioning_is_all_or_nothing(api):
    create(api, {**JOHN, "meetingType": {"name": "Consultation", "slug": "consultation"}})
    response = api.post("/v4/user", {"email": "anna@example.com", "meetingType": {
        "name": "Consultation", "slug": "consultation"}}, format="json")
    assert response.status_code == 409
    assert response.json()["message"] == "A meeting type with this slug already exists"
    assert not User.objects.filter(email="anna@example.com").exists()
    response = api.post("/v4/user", {"email": "anna@example.com", "meetingType": {
        "name": "Call", "channel": "zoom"}}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "meetingType.channel"
    assert not User.objects.filter(email="anna@example.com").exists()


@pytest.mark.parametrize(("body", "field"), [
    ({"company": "acme"}, "company"),
    ({"phone": "+49301234567"}, "phone"),
    ({"availability": {"schedule": {}, "holidays": "DE"}}, "availability.holidays"),
    ({"availability": {"isDefault": False}}, "availability.isDefault"),
    ({"availability": {"schedule": {"monday": {"enabled": True, "hours": "9-5"}}}},
     "availability.schedule.monday.hours"),
    ({"meetingType": {"name": "X", "venue": "office"}}, "meetingType.venue"),
    ({"meetingType": {"name": "X", "hostIds": []}}, "meetingType.hostIds"),
    ({"meetingType": {"meetingInfo": {"color": "rgb(0, 0, 0)"}}},
     "meetingType.meetingInfo.color"),
    ({"givenName": "John", "firstname": "Jack"}, "firstname"),
])
def test_a_field_termin_cannot_honour_is_a_400_naming_it(api, body, field):
    """meetergo-api.md rule 3: nothing a client sends is dropped silently."""
    response = api.post("/v4/user", {"email": "n@example.com", **body}, format="json")
    assert response.status_code == 400, response.json()
    assert field in [error["field"] for error in response.json()["errors"]]
    assert not User.objects.filter(email="n@example.com").exists()


def test_a_patch_does_not_take_availability_or_a_meeting_type(api, member):
    response = api.patch(f"/v4/user/{member.user.uuid}",
                         {"availability": {"schedule": {}}}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "availability"


def test_a_member_still_cannot_create_users(member):
    response = client_for(member).post("/v4/user", JOHN, format="json")
    assert response.status_code == 403
    assert not User.objects.filter(email=JOHN["email"]).exists()
