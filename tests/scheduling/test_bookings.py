"""``POST /v4/booking``: the booking document's fields, rules, bodies and messages."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from crm.models import Contact
from scheduling.choices import QueueKind, Role
from scheduling.models import Appointment, AppointmentStatus, Attendee
from scheduling.services.queues import queue_create
from scheduling.services.rules import secret_digest
from tests.conftest import client_for, make_member
from tests.scheduling.conftest import make_meeting_type, make_schedule, monday_after
from webhooks.models import OutboxEvent

SLOT_TAKEN = "The selected time slot is no longer available"
HOST_REQUIRED = "hostIds or queueId is required"
BAD_DURATION = "Duration must match one of the allowed durations for this meeting type"


def at(day: dt.date, hour: int, minute: int = 0, offset: str = "+00:00") -> str:
    """An ISO start on ``day`` in UTC (schedules in these tests are in UTC)."""
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}:00{offset}"


def booking(meeting_type, start: str, **extra) -> dict:
    attendee = extra.pop("attendee", {})
    return {
        "meetingTypeId": str(meeting_type.uuid),
        "start": start,
        "attendee": {"email": "jane@client.test", "firstname": "Jane", "lastname": "Smith",
                     "receiveReminders": True, "notes": {}, **attendee},
        **extra,
    }


def utc_host(membership, **kwargs):
    """A host working 09:00-17:00 UTC on weekdays."""
    make_schedule(membership, timezone="UTC", is_default=True, **kwargs)
    return membership


@pytest.fixture
def host(owner):
    return utc_host(owner)


@pytest.fixture
def meeting_type(host):
    return make_meeting_type(host, durations=[30, 60], default_duration=30)


def book(api, meeting_type, start, **extra):
    return api.post("/v4/booking", booking(meeting_type, start, **extra), format="json")


# --- the documented bodies -------------------------------------------------------------


def test_a_booking_answers_the_appointment_id_and_a_secret(api, meeting_type, day):
    response = book(api, meeting_type, at(day, 9))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"appointmentId", "secret", "id", "meetingLink"}
    assert body["id"] == body["appointmentId"]
    assert len(body["secret"]) >= 43  # 32 random bytes, url-safe
    appointment = Appointment.objects.get(uuid=body["appointmentId"])
    assert appointment.status == AppointmentStatus.CONFIRMED
    assert appointment.start == dt.datetime.combine(day, dt.time(9), dt.UTC)
    assert appointment.end - appointment.start == dt.timedelta(minutes=30)
    assert appointment.secret_digest == secret_digest(body["secret"])
    assert body["secret"] not in str(Appointment.objects.filter(pk=appointment.pk).values())


def test_a_connect_booking_gets_its_own_stable_room_link(api, meeting_type, day, settings):
    body = book(api, meeting_type, at(day, 9)).json()
    other = book(api, meeting_type, at(day, 10)).json()
    assert body["meetingLink"].startswith(f"{settings.SITE_URL}/rooms/")
    assert body["meetingLink"] != other["meetingLink"]
    assert Appointment.objects.get(uuid=body["id"]).meeting_link == body["meetingLink"]


def test_double_opt_in_answers_a_provisional_booking(api, host, day):
    meeting_type = make_meeting_type(host, double_opt_in=True)
    response = book(api, meeting_type, at(day, 9))
    assert response.status_code == 201
    body = response.json()
    assert body["bookingType"] == "DoubleOptIn"
    appointment = Appointment.objects.get(uuid=body["provisionalBookingId"])
    assert appointment.status == AppointmentStatus.PENDING_OPTIN
    assert appointment.hold_expires_at is not None


def test_host_confirmation_answers_a_provisional_booking(api, host, day):
    meeting_type = make_meeting_type(host, require_host_confirmation=True)
    body = book(api, meeting_type, at(day, 9)).json()
    assert body["bookingType"] == "RequireHostConfirmation"
    assert Appointment.objects.get(uuid=body["provisionalBookingId"]).status == "pending_host"


def test_a_provisional_booking_holds_its_slot(api, host, day):
    meeting_type = make_meeting_type(host, double_opt_in=True)
    assert book(api, meeting_type, at(day, 9)).status_code == 201
    second = book(api, meeting_type, at(day, 9))
    assert second.status_code == 400
    assert second.json()["message"] == SLOT_TAKEN
    slots = api.get("/v4/booking-availability", {
        "meetingTypeId": str(meeting_type.uuid), "start": day.isoformat(),
        "end": day.isoformat(), "timezone": "UTC"}).json()["availableSlots"]
    assert at(day, 9) not in [slot["start"] for slot in slots]


# --- the documented errors ---------------------------------------------------------------


def test_a_taken_slot_is_the_documented_400(api, meeting_type, day):
    assert book(api, meeting_type, at(day, 9)).status_code == 201
    response = book(api, meeting_type, at(day, 9), attendee={"email": "other@client.test"})
    assert response.status_code == 400
    body = response.json()
    assert body["statusCode"] == 400
    assert body["message"] == SLOT_TAKEN
    assert body["error"] == "Bad Request"


def test_an_overlapping_start_is_taken_too(api, meeting_type, day):
    assert book(api, meeting_type, at(day, 9), duration=60).status_code == 201
    assert book(api, meeting_type, at(day, 9, 30)).json()["message"] == SLOT_TAKEN


def test_a_start_outside_the_schedule_is_not_available(api, meeting_type, day):
    for start in (at(day, 7), at(day, 16, 45), at(day, 9, 10), at(day + dt.timedelta(days=5), 9)):
        response = book(api, meeting_type, start)
        assert response.status_code == 400, start
        assert response.json()["message"] == SLOT_TAKEN


def test_a_start_in_the_past_or_within_the_notice_is_not_available(api, host):
    meeting_type = make_meeting_type(host, minimum_notice=24 * 60 * 30)
    day = monday_after(7)
    assert book(api, meeting_type, at(day, 9)).json()["message"] == SLOT_TAKEN
    past = monday_after(0) - dt.timedelta(days=7)
    assert book(api, meeting_type, at(past, 9)).json()["message"] == SLOT_TAKEN


def test_buffers_keep_bookings_apart(api, host, day):
    """A new booking's buffers may not reach into another appointment."""
    meeting_type = make_meeting_type(host, buffer_after=30, slot_interval=30)
    assert book(api, meeting_type, at(day, 10)).status_code == 201
    assert book(api, meeting_type, at(day, 9, 30)).json()["message"] == SLOT_TAKEN
    assert book(api, meeting_type, at(day, 9)).status_code == 201


def test_the_daily_limit_refuses_one_booking_too_many(api, host, day):
    meeting_type = make_meeting_type(host, daily_limit=2)
    assert book(api, meeting_type, at(day, 9)).status_code == 201
    assert book(api, meeting_type, at(day, 10)).status_code == 201
    refused = book(api, meeting_type, at(day, 11))
    assert (refused.status_code, refused.json()["errors"]) == (400, [{
        "field": "start",
        "message": "Booking limit reached: 2 bookings per day of this meeting type for this host",
    }])
    assert book(api, meeting_type, at(day + dt.timedelta(days=1), 11)).status_code == 201


def test_a_duration_not_allowed_is_the_documented_400(api, meeting_type, day):
    response = book(api, meeting_type, at(day, 9), duration=45)
    assert response.status_code == 400
    assert response.json()["message"] == BAD_DURATION
    assert book(api, meeting_type, at(day, 9), duration=60).status_code == 201


def test_a_meeting_type_without_a_single_host_or_queue_needs_host_ids(api, owner, day):
    second = utc_host(make_member(owner))
    utc_host(owner)
    meeting_type = make_meeting_type(owner, hosts=[owner, second])
    response = book(api, meeting_type, at(day, 9))
    assert response.status_code == 400
    assert response.json()["message"] == HOST_REQUIRED
    chosen = book(api, meeting_type, at(day, 9), hostIds=[str(second.user.uuid)])
    assert chosen.status_code == 201
    appointment = Appointment.objects.get(uuid=chosen.json()["id"])
    assert list(appointment.hosts.all()) == [second.user]


def test_host_ids_of_someone_not_hosting_are_refused(api, meeting_type, owner, day):
    outsider = make_member(owner)
    response = book(api, meeting_type, at(day, 9), hostIds=[str(outsider.user.uuid)])
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "hostIds"


def test_a_datetime_without_an_offset_is_a_400(api, meeting_type, day):
    response = book(api, meeting_type, f"{day.isoformat()}T09:00:00")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "start"


def test_a_start_with_an_offset_books_that_instant(api, meeting_type, day):
    response = book(api, meeting_type, at(day, 11, offset="+02:00"))
    assert response.status_code == 201
    start = Appointment.objects.get(uuid=response.json()["id"]).start
    assert start == dt.datetime.combine(day, dt.time(9), dt.UTC)


def test_an_unknown_meeting_type_is_a_404(api, day):
    response = api.post("/v4/booking", {
        "meetingTypeId": "770e8400-e29b-41d4-a716-446655440002", "start": at(day, 9),
        "attendee": {"email": "a@b.test", "fullname": "A B"}}, format="json")
    assert response.status_code == 404
    assert response.json()["message"] == "Meeting type not found"


@pytest.mark.parametrize("attendee, field", [
    ({"email": None}, "attendee.email"),
    ({"email": "not-an-email"}, "attendee.email"),
    ({"firstname": "", "lastname": ""}, "attendee.firstname"),
    ({"phone": "call me"}, "attendee.phone"),
    ({"phone": "+49 " + "1" * 40}, "attendee.phone"),
    ({"notes": "utm_source=x"}, "attendee.notes"),
    ({"timezone": "Mars/Olympus"}, "attendee.timezone"),
    ({"bringalongEmails": [f"g{i}@x.test" for i in range(6)]}, "attendee.bringalongEmails"),
])
def test_attendee_errors_name_the_field(api, meeting_type, day, attendee, field):
    response = book(api, meeting_type, at(day, 9), attendee=attendee)
    assert response.status_code == 400, response.json()
    assert field in [e["field"] for e in response.json()["errors"]]


@pytest.mark.parametrize("extra, field", [
    ({"icsTitle": "x" * 201}, "icsTitle"),
    ({"icsDescription": "x" * 2001}, "icsDescription"),
    ({"bringalongEmails": [f"g{i}@x.test" for i in range(6)]}, "bringalongEmails"),
    ({"channel": "carrier-pigeon"}, "channel"),
    ({"meetingTypeId": "nope"}, "meetingTypeId"),
])
def test_booking_errors_name_the_field(api, meeting_type, day, extra, field):
    response = book(api, meeting_type, at(day, 9), **extra)
    assert response.status_code == 400
    assert field in [e["field"] for e in response.json()["errors"]]


def test_ics_overrides_at_their_limits_are_kept(api, meeting_type, day):
    response = book(api, meeting_type, at(day, 9), icsTitle="t" * 200,
                    icsDescription="d" * 2000)
    appointment = Appointment.objects.get(uuid=response.json()["id"])
    assert (len(appointment.ics_title), len(appointment.ics_description)) == (200, 2000)


def test_five_bringalong_guests_become_attendees(api, meeting_type, day):
    guests = [f"guest{i}@client.test" for i in range(5)]
    response = book(api, meeting_type, at(day, 9), attendee={"bringalongEmails": guests})
    assert response.status_code == 201
    appointment = Appointment.objects.get(uuid=response.json()["id"])
    assert appointment.bringalong_emails == guests
    assert appointment.attendees.filter(is_primary=False).count() == 5


def test_the_code_examples_minimal_attendee_is_accepted(api, meeting_type, day):
    """fullname, no hostIds, receiveReminders or notes (reference code examples)."""
    response = api.post("/v4/booking", {
        "meetingTypeId": str(meeting_type.uuid), "start": at(day, 9),
        "attendee": {"email": "client@example.com", "fullname": "Client Name",
                     "phone": "+1234567890"},
    }, format="json")
    assert response.status_code == 201, response.json()
    attendee = Attendee.objects.get(appointment__uuid=response.json()["id"])
    assert (attendee.first_name, attendee.last_name) == ("Client", "Name")
    assert attendee.phone == "+1234567890"
    assert attendee.receive_reminders is True
    assert attendee.notes == {}


def test_required_form_fields_must_be_answered(api, host, day):
    meeting_type = make_meeting_type(host, form_fields=[
        {"key": "company", "label": "Company", "type": "text", "required": True}])
    response = book(api, meeting_type, at(day, 9))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "attendee.notes.company"
    assert book(api, meeting_type, at(day, 9),
                attendee={"notes": {"company": "Acme"}}).status_code == 201


# --- phone-only bookings ---------------------------------------------------------------------


def test_phone_only_booking_needs_the_meeting_type_to_allow_it(api, meeting_type, day):
    response = book(api, meeting_type, at(day, 9), phoneOnlyBooking=True,
                    attendee={"email": None, "phone": "+49 30 1234567"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "phoneOnlyBooking"


def test_phone_only_booking_needs_a_phone_instead_of_an_email(api, host, day):
    meeting_type = make_meeting_type(host, allow_phone_only_booking=True)
    missing = book(api, meeting_type, at(day, 9), phoneOnlyBooking=True,
                   attendee={"email": None})
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["field"] == "attendee.phone"
    response = book(api, meeting_type, at(day, 9), phoneOnlyBooking=True,
                    attendee={"email": None, "phone": "030 1234567"})
    assert response.status_code == 201
    contact = Contact.objects.get(phone_number="030 1234567")
    assert contact.email in ("", None)


def test_phone_numbers_are_stored_in_e164_when_they_parse(api, meeting_type, day):
    response = book(api, meeting_type, at(day, 9), attendee={"phone": "+49 (30) 123 4567"})
    assert Attendee.objects.get(appointment__uuid=response.json()["id"]).phone == "+49301234567"


# --- channels ----------------------------------------------------------------------------------


@pytest.fixture
def every_channel(host):
    return make_meeting_type(host, channels=[
        "connect", "zoom", "google", "local", "local-attendee", "phone", "phone-incoming",
        "whatsapp", "teamsForBusiness2", "webex",
    ], locations=[
        {"channel": "zoom", "link": "https://zoom.example/j/1"},
        {"channel": "google", "link": "https://meet.example/abc"},
        {"channel": "teamsForBusiness2", "link": "https://teams.example/t"},
        {"channel": "webex", "link": "https://webex.example/w"},
        {"channel": "local", "name": "Berlin", "address": "Unter den Linden 1, Berlin"},
        {"channel": "local", "name": "Hamburg", "address": "Jungfernstieg 2, Hamburg"},
        {"channel": "phone-incoming", "phone": "+49 30 999999"},
    ])


@pytest.mark.parametrize("channel, link", [
    ("zoom", "https://zoom.example/j/1"), ("google", "https://meet.example/abc"),
    ("teamsForBusiness2", "https://teams.example/t"), ("webex", "https://webex.example/w"),
])
def test_video_channels_use_the_link_of_the_meeting_types_location(api, every_channel, day,
                                                                    channel, link):
    response = book(api, every_channel, at(day, 9), channel=channel)
    assert response.status_code == 201
    assert response.json()["meetingLink"] == link


def test_local_chooses_among_the_meeting_types_locations(api, every_channel, day):
    first = book(api, every_channel, at(day, 9), channel="local")
    assert Appointment.objects.get(uuid=first.json()["id"]).location.startswith("Unter den")
    assert "meetingLink" not in first.json()
    chosen = book(api, every_channel, at(day, 10), channel="local", location="Hamburg")
    assert Appointment.objects.get(uuid=chosen.json()["id"]).location.startswith("Jungfern")
    unknown = book(api, every_channel, at(day, 11), channel="local", location="Paris")
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["field"] == "location"


def test_local_attendee_takes_the_address_from_the_notes_or_location(api, every_channel, day):
    missing = book(api, every_channel, at(day, 9), channel="local-attendee")
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["field"] == "location"
    notes = book(api, every_channel, at(day, 9), channel="local-attendee",
                 attendee={"notes": {"address": "Hauptstr. 5, Köln"}})
    assert Appointment.objects.get(uuid=notes.json()["id"]).location == "Hauptstr. 5, Köln"
    given = book(api, every_channel, at(day, 10), channel="local-attendee",
                 location="Marktplatz 1")
    assert Appointment.objects.get(uuid=given.json()["id"]).location == "Marktplatz 1"


@pytest.mark.parametrize("channel", ["phone", "whatsapp"])
def test_phone_channels_need_the_attendees_phone(api, every_channel, day, channel):
    missing = book(api, every_channel, at(day, 9), channel=channel)
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["field"] == "attendee.phone"
    response = book(api, every_channel, at(day, 9), channel=channel,
                    attendee={"phone": "+49 30 1234567"})
    assert Appointment.objects.get(uuid=response.json()["id"]).location == "+49301234567"


def test_phone_incoming_gives_the_number_to_call(api, every_channel, day):
    response = book(api, every_channel, at(day, 9), channel="phone-incoming")
    assert Appointment.objects.get(uuid=response.json()["id"]).location == "+49 30 999999"


def test_a_channel_the_meeting_type_does_not_offer_is_refused(api, meeting_type, day):
    response = book(api, meeting_type, at(day, 9), channel="zoom")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "channel"


# --- contacts, timeline, outbox ---------------------------------------------------------------


def test_a_booking_creates_the_contact_with_utm_keys_and_answers(api, meeting_type, day):
    notes = {"utm_source": "qualimero", "utm_medium": "chatbot", "company_size": "50-200"}
    response = book(api, meeting_type, at(day, 9), attendee={"notes": notes})
    contact = Contact.objects.get(email="jane@client.test")
    assert contact.first_name == "Jane"
    assert contact.additional_data == notes
    event = contact.events.get()
    assert event.event_type == "booking"
    attendee = Attendee.objects.get(appointment__uuid=response.json()["id"])
    assert event.attendee_id == attendee.uuid
    for url in (f"/v4/crm/{attendee.uuid}", f"/v4/crm/attendee/{attendee.uuid}"):
        found = api.get(url)
        assert found.status_code == 200, url
        assert found.json()["id"] == str(contact.uuid)
    assert api.get("/v4/crm/attendee/770e8400-e29b-41d4-a716-446655440002").status_code == 404


def test_a_second_booking_enriches_the_same_contact(api, meeting_type, day):
    book(api, meeting_type, at(day, 9), attendee={"notes": {"utm_source": "a"}})
    book(api, meeting_type, at(day, 10), attendee={"email": "JANE@client.test",
                                                     "notes": {"utm_term": "b"}})
    contact = Contact.objects.get()
    assert contact.additional_data == {"utm_source": "a", "utm_term": "b"}
    assert contact.events.count() == 2


def test_a_confirmed_booking_writes_booking_created(api, meeting_type, day):
    response = book(api, meeting_type, at(day, 9), attendee={"timezone": "Europe/Berlin"})
    event = OutboxEvent.objects.get(event="booking_created")
    data = event.data
    appointment_id = response.json()["id"]
    assert data["id"] == data["appointmentId"] == appointment_id
    assert data["meetingTypeId"] == str(meeting_type.uuid)
    berlin = dt.datetime.combine(day, dt.time(9), dt.UTC).astimezone(ZoneInfo("Europe/Berlin"))
    assert data["start"] == berlin.isoformat()  # in the attendee's zone, with its offset
    assert data["attendee"]["email"] == "jane@client.test"
    assert data["attendees"][0]["attendeeId"] == data["attendee"]["attendeeId"]
    assert data["hostIds"] == [str(meeting_type.owner.uuid)]


def test_a_provisional_booking_writes_no_booking_created_yet(api, host, day):
    meeting_type = make_meeting_type(host, double_opt_in=True)
    book(api, meeting_type, at(day, 9))
    assert not OutboxEvent.objects.filter(event="booking_created").exists()
    assert Contact.objects.filter(email="jane@client.test").exists()


def test_a_refused_booking_leaves_nothing_behind(api, meeting_type, day):
    book(api, meeting_type, at(day, 9))
    book(api, meeting_type, at(day, 9), attendee={"email": "late@client.test"})
    assert Appointment.objects.count() == 1
    assert not Contact.objects.filter(email="late@client.test").exists()
    assert OutboxEvent.objects.filter(event="booking_created").count() == 1


# --- round robin and co-host -------------------------------------------------------------------


def _team(owner, size, kind):
    members = [utc_host(make_member(owner)) for _ in range(size)]
    queue = queue_create(company=owner.company, actor=owner, name="Team", kind=kind,
                         member_ids=[str(m.user.uuid) for m in members])
    return members, make_meeting_type(owner, queue_id=str(queue.uuid))


def test_round_robin_picks_the_free_member_with_fewest_upcoming_bookings(api, owner, day):
    members, meeting_type = _team(owner, 3, QueueKind.ROUND_ROBIN)
    hosts = []
    for hour in (9, 10, 11):
        response = book(api, meeting_type, at(day, hour))
        hosts += [h.pk for h in Appointment.objects.get(uuid=response.json()["id"]).hosts.all()]
    assert sorted(hosts) == sorted(m.user.pk for m in members)
    # At 09:00 the first member is busy: the 4th booking goes to someone free then.
    response = book(api, meeting_type, at(day, 9))
    assert response.status_code == 201
    busy_at_nine = Appointment.objects.filter(start=dt.datetime.combine(
        day, dt.time(9), dt.UTC)).values_list("hosts", flat=True)
    assert len(set(busy_at_nine)) == 2


def test_round_robin_books_the_queue_without_host_ids_or_with_its_queue_id(api, owner, day):
    _, meeting_type = _team(owner, 2, QueueKind.ROUND_ROBIN)
    assert book(api, meeting_type, at(day, 9)).status_code == 201
    response = book(api, meeting_type, at(day, 9), queueId=str(meeting_type.queue.uuid))
    assert response.status_code == 201
    assert book(api, meeting_type, at(day, 9)).json()["message"] == SLOT_TAKEN


def test_a_queue_id_of_another_queue_is_refused(api, owner, day):
    _, meeting_type = _team(owner, 2, QueueKind.ROUND_ROBIN)
    other = queue_create(company=owner.company, actor=owner, name="Other",
                         kind=QueueKind.ROUND_ROBIN, member_ids=[])
    response = book(api, meeting_type, at(day, 9), queueId=str(other.uuid))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "queueId"


def test_co_host_books_every_member(api, owner, day):
    members, meeting_type = _team(owner, 3, QueueKind.CO_HOST)
    response = book(api, meeting_type, at(day, 9))
    assert response.status_code == 201
    appointment = Appointment.objects.get(uuid=response.json()["id"])
    assert {h.pk for h in appointment.hosts.all()} == {m.user.pk for m in members}
    assert book(api, meeting_type, at(day, 9)).json()["message"] == SLOT_TAKEN


# --- keys ---------------------------------------------------------------------------------------


def test_booking_needs_a_key(client, meeting_type, day):
    response = client.post("/v4/booking", booking(meeting_type, at(day, 9)),
                           content_type="application/json")
    assert response.status_code == 401
    assert response.json()["statusCode"] == 401


def test_a_member_may_book(owner, meeting_type, day):
    member = make_member(owner, Role.MEMBER)
    assert book(client_for(member), meeting_type, at(day, 9)).status_code == 201


def test_another_companys_meeting_type_is_not_found(other_company, meeting_type, day):
    _, other_owner = other_company
    response = book(client_for(other_owner), meeting_type, at(day, 9))
    assert response.status_code == 404


def test_an_unknown_booking_field_is_a_400_naming_it(api, meeting_type, day):
    top = book(api, meeting_type, at(day, 10), rescheduledFromId="x")
    nested = book(api, meeting_type, at(day, 10), attendee={"nickname": "J"})
    for response, field in ((top, "rescheduledFromId"), (nested, "attendee.nickname")):
        assert response.status_code == 400
        assert [error["field"] for error in response.json()["errors"]] == [field]
    assert not Appointment.objects.exists()
