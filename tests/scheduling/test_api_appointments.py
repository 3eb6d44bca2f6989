"""``/v4/appointment``: list, read, reschedule, edit, cancel, confirm, decline, no-show."""

import datetime as dt

import pytest

from crm.models import Contact
from scheduling import selectors
from scheduling.choices import Role
from scheduling.models import Appointment, AppointmentHost, AppointmentStatus
from scheduling.services import appointments, bookings
from scheduling.tasks import expire_provisional_bookings
from tests.conftest import client_for, make_member
from tests.scheduling.conftest import make_meeting_type, monday_after
from tests.scheduling.test_bookings import SLOT_TAKEN, at, book, utc_host
from webhooks.models import OutboxEvent


@pytest.fixture
def host(owner):
    return utc_host(owner)


@pytest.fixture
def meeting_type(host):
    return make_meeting_type(host, durations=[30, 60], default_duration=30,
                             channels=["connect", "zoom"],
                             locations=[{"channel": "zoom", "link": "https://zoom.example/j"}])


def booked(api, meeting_type, start, **extra) -> str:
    response = book(api, meeting_type, start, **extra)
    assert response.status_code == 201, response.json()
    body = response.json()
    return body.get("id") or body["provisionalBookingId"]


def events(name):
    return list(OutboxEvent.objects.filter(event=name).order_by("pk"))


# --- reading ---


def test_an_appointment_reads_with_hosts_attendees_and_offsets(api, meeting_type, day, owner):
    appointment_id = booked(api, meeting_type, at(day, 9))
    body = api.get(f"/v4/appointment/{appointment_id}").json()
    assert body["id"] == body["appointmentId"] == appointment_id
    assert body["status"] == "confirmed"
    assert body["start"] == at(day, 9)
    assert body["duration"] == 30
    assert body["hostIds"] == [str(owner.user.uuid)]
    assert body["attendee"]["email"] == "jane@client.test"
    assert body["attendees"][0]["attendeeId"] == body["attendee"]["attendeeId"]
    assert body["meetingLink"].startswith("http")


def test_the_list_shows_every_status_unless_asked(api, meeting_type, day):
    first = booked(api, meeting_type, at(day, 9))
    booked(api, meeting_type, at(day, 10))
    api.delete(f"/v4/appointment/{first}")
    body = api.get("/v4/appointment").json()
    assert (body["total"], body["page"], body["limit"]) == (2, 1, 20)
    assert [a["status"] for a in body["data"]] == ["cancelled", "confirmed"]
    only = api.get("/v4/appointment", {"status": "confirmed"}).json()
    assert [a["status"] for a in only["data"]] == ["confirmed"]
    both = api.get("/v4/appointment", {"status": "confirmed,cancelled"}).json()
    assert both["total"] == 2
    bad = api.get("/v4/appointment", {"status": "maybe"})
    assert bad.status_code == 400


def test_the_list_filters_by_overlap_host_and_pages(api, owner, meeting_type, day):
    for hour in (9, 10, 11):
        booked(api, meeting_type, at(day, hour))
    rows = api.get("/v4/appointment", {"start": at(day, 10, 15), "end": at(day, 11, 15)})
    assert [a["start"] for a in rows.json()["data"]] == [at(day, 10), at(day, 11)]
    assert api.get("/v4/appointment", {"start": day.isoformat(),
                                       "end": day.isoformat()}).json()["total"] == 3
    assert api.get("/v4/appointment", {"hostId": str(owner.user.uuid)}).json()["total"] == 3
    other = make_member(owner)
    assert api.get("/v4/appointment", {"hostId": str(other.user.uuid)}).json()["total"] == 0
    page = api.get("/v4/appointment", {"limit": 2, "page": 2}).json()
    assert (page["total"], len(page["data"])) == (3, 1)


def test_list_datetimes_without_an_offset_are_a_400(api):
    response = api.get("/v4/appointment", {"start": "2024-01-15T09:00:00"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "start"


# --- rescheduling and editing ---


def test_a_new_start_reschedules_in_place_and_writes_booking_rescheduled(api, meeting_type, day):
    appointment_id = booked(api, meeting_type, at(day, 9))
    response = api.patch(f"/v4/appointment/{appointment_id}", {"start": at(day, 14)},
                         format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["id"] == appointment_id
    assert response.json()["start"] == at(day, 14)
    data = events("booking_rescheduled")[0].data
    assert data["rescheduledAppointment"]["id"] == appointment_id
    assert data["rescheduledAppointment"]["start"] == at(day, 14)
    assert (data["previousStart"], data["previousEnd"]) == (at(day, 9), at(day, 9, 30))
    contact = Contact.objects.get()
    assert contact.events.filter(event_type="booking_rescheduled").exists()
    # The old time is free again, the new one taken.
    assert book(api, meeting_type, at(day, 9), attendee={"email": "b@x.test"}).status_code == 201
    assert book(api, meeting_type, at(day, 14)).json()["message"] == SLOT_TAKEN


def test_a_reschedule_ignores_its_own_time(api, host, day):
    meeting_type = make_meeting_type(host, durations=[30, 60], default_duration=30,
                                     slot_interval=30)
    appointment_id = booked(api, meeting_type, at(day, 9), duration=60)
    response = api.patch(f"/v4/appointment/{appointment_id}", {"start": at(day, 9, 30)},
                         format="json")
    assert response.status_code == 200
    assert response.json()["duration"] == 60


def test_a_reschedule_onto_a_taken_or_closed_time_is_refused(api, meeting_type, day):
    appointment_id = booked(api, meeting_type, at(day, 9))
    booked(api, meeting_type, at(day, 10), attendee={"email": "b@x.test"})
    for start in (at(day, 10), at(day, 20)):
        response = api.patch(f"/v4/appointment/{appointment_id}", {"start": start},
                             format="json")
        assert response.status_code == 400
        assert response.json()["message"] == SLOT_TAKEN
    assert Appointment.objects.get(uuid=appointment_id).start.hour == 9


def test_a_reschedule_checks_the_duration(api, meeting_type, day):
    appointment_id = booked(api, meeting_type, at(day, 9))
    response = api.patch(f"/v4/appointment/{appointment_id}", {"duration": 45}, format="json")
    assert response.json()["message"] == selectors.DURATION_NOT_ALLOWED
    longer = api.patch(f"/v4/appointment/{appointment_id}", {"duration": 60}, format="json")
    assert longer.json()["end"] == at(day, 10)


def test_a_start_without_offset_is_a_400(api, meeting_type, day):
    appointment_id = booked(api, meeting_type, at(day, 9))
    response = api.patch(f"/v4/appointment/{appointment_id}",
                         {"start": f"{day.isoformat()}T14:00:00"}, format="json")
    assert response.status_code == 400


def test_edits_follow_the_channel_rules(api, meeting_type, day):
    appointment_id = booked(api, meeting_type, at(day, 9))
    response = api.patch(f"/v4/appointment/{appointment_id}",
                         {"channel": "zoom", "icsTitle": "Demo"}, format="json")
    assert response.status_code == 200
    assert response.json()["meetingLink"] == "https://zoom.example/j"
    assert response.json()["icsTitle"] == "Demo"
    assert len(events("booking_rescheduled")) == 1
    refused = api.patch(f"/v4/appointment/{appointment_id}", {"channel": "phone"},
                        format="json")
    assert refused.status_code == 400


def test_an_internal_note_alone_writes_no_event(api, meeting_type, day):
    appointment_id = booked(api, meeting_type, at(day, 9))
    response = api.patch(f"/v4/appointment/{appointment_id}", {"internalNote": "VIP"},
                         format="json")
    assert response.json()["internalNote"] == "VIP"
    assert events("booking_rescheduled") == []


# --- cancelling ---


def test_delete_cancels_with_reason_and_frees_the_slot(api, meeting_type, day):
    appointment_id = booked(api, meeting_type, at(day, 9))
    response = api.delete(f"/v4/appointment/{appointment_id}",
                          {"reason": "Customer requested", "notifyAttendees": True},
                          format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["cancelReason"] == "Customer requested"
    data = events("booking_cancelled")[0].data
    assert data["id"] == appointment_id
    assert (data["reason"], data["notifyAttendees"]) == ("Customer requested", True)
    assert Contact.objects.get().events.filter(event_type="booking_cancelled").exists()
    assert book(api, meeting_type, at(day, 9)).status_code == 201


def test_delete_without_a_body_cancels_and_twice_is_a_409(api, meeting_type, day):
    appointment_id = booked(api, meeting_type, at(day, 9))
    assert api.delete(f"/v4/appointment/{appointment_id}").status_code == 200
    again = api.delete(f"/v4/appointment/{appointment_id}")
    assert again.status_code == 409
    assert again.json()["statusCode"] == 409


# --- provisional bookings ---


def test_host_confirmation_confirms_and_writes_booking_created(api, host, day):
    meeting_type = make_meeting_type(host, require_host_confirmation=True)
    appointment_id = booked(api, meeting_type, at(day, 9))
    response = api.post(f"/v4/appointment/{appointment_id}/confirm")
    assert response.status_code == 200
    assert response.json()["status"] == "confirmed"
    assert events("booking_created")[0].data["id"] == appointment_id
    assert api.post(f"/v4/appointment/{appointment_id}/confirm").status_code == 409


def test_confirming_a_double_opt_in_records_the_opt_in(api, host, day):
    meeting_type = make_meeting_type(host, double_opt_in=True)
    appointment_id = booked(api, meeting_type, at(day, 9))
    assert api.post(f"/v4/appointment/{appointment_id}/confirm").json()["status"] == "confirmed"
    assert Contact.objects.get().events.filter(event_type="optin").exists()
    assert len(events("booking_created")) == 1


def test_double_opt_in_and_host_confirmation_take_two_confirmations(api, host, day):
    meeting_type = make_meeting_type(host, double_opt_in=True, require_host_confirmation=True)
    appointment_id = booked(api, meeting_type, at(day, 9))
    first = api.post(f"/v4/appointment/{appointment_id}/confirm").json()
    assert first["status"] == "pending_host"
    assert events("booking_created") == []
    assert api.post(f"/v4/appointment/{appointment_id}/confirm").json()["status"] == "confirmed"


def test_declining_frees_the_slot_and_only_provisional_ones_decline(api, host, day):
    meeting_type = make_meeting_type(host, require_host_confirmation=True)
    appointment_id = booked(api, meeting_type, at(day, 9))
    response = api.post(f"/v4/appointment/{appointment_id}/decline", {"reason": "Busy"},
                        format="json")
    assert response.json()["status"] == "declined"
    assert not AppointmentHost.objects.filter(active=True).exists()
    again = booked(api, meeting_type, at(day, 9))
    api.post(f"/v4/appointment/{again}/confirm")
    assert api.post(f"/v4/appointment/{again}/decline").status_code == 409


def test_provisional_bookings_expire_after_their_hold(api, host, day):
    meeting_type = make_meeting_type(host, double_opt_in=True)
    appointment_id = booked(api, meeting_type, at(day, 9))
    assert expire_provisional_bookings.delay().get() == 0
    later = Appointment.objects.get(uuid=appointment_id).hold_expires_at
    assert appointments.appointments_expire(now=later) == 1
    assert Appointment.objects.get(uuid=appointment_id).status == AppointmentStatus.EXPIRED
    assert api.post(f"/v4/appointment/{appointment_id}/confirm").status_code == 409
    assert book(api, meeting_type, at(day, 9)).status_code == 201


# --- no-show ---


def test_a_no_show_raises_the_contacts_count(api, owner, meeting_type):
    past_monday = monday_after(0) - dt.timedelta(days=7)
    start = dt.datetime.combine(past_monday, dt.time(9), dt.UTC)
    result = bookings.booking_create(
        company=owner.company, meeting_type=meeting_type, start=start,
        attendee=bookings.AttendeeInput(email="late@x.test", first_name="Late"),
        now=start - dt.timedelta(days=1))
    url = f"/v4/appointment/{result.appointment.uuid}/no-show"
    assert api.post(url).json()["noShow"] is True
    assert Contact.objects.get(email="late@x.test").no_show_count == 1
    assert api.post(url).status_code == 409


def test_a_future_appointment_cannot_be_a_no_show(api, meeting_type, day):
    appointment_id = booked(api, meeting_type, at(day, 9))
    assert api.post(f"/v4/appointment/{appointment_id}/no-show").status_code == 400


# --- who may ---


def _writes(appointment_id):
    base = f"/v4/appointment/{appointment_id}"
    return [("patch", base, {"internalNote": "x"}), ("post", f"{base}/confirm", None),
            ("post", f"{base}/decline", None), ("post", f"{base}/no-show", None),
            ("delete", base, None)]


def test_members_change_only_appointments_they_host(api, owner, day):
    other_host = utc_host(make_member(owner, Role.MEMBER))
    meeting_type = make_meeting_type(owner, hosts=[other_host], require_host_confirmation=True)
    appointment_id = booked(api, meeting_type, at(day, 9))
    outsider = client_for(make_member(owner, Role.MEMBER))
    assert outsider.get(f"/v4/appointment/{appointment_id}").status_code == 200
    assert outsider.get("/v4/appointment").json()["total"] == 1
    for method, url, data in _writes(appointment_id):
        response = getattr(outsider, method)(url, data, format="json")
        assert response.status_code == 403, (method, url)
    hosting = client_for(other_host)
    assert hosting.patch(f"/v4/appointment/{appointment_id}", {"internalNote": "mine"},
                         format="json").status_code == 200
    assert hosting.post(f"/v4/appointment/{appointment_id}/confirm").status_code == 200


def test_admins_change_every_appointment(api, owner, meeting_type, day):
    appointment_id = booked(api, meeting_type, at(day, 9))
    admin = client_for(make_member(owner, Role.ADMIN))
    assert admin.delete(f"/v4/appointment/{appointment_id}").status_code == 200


def test_another_company_sees_none_of_it(api, meeting_type, day, other_company):
    appointment_id = booked(api, meeting_type, at(day, 9))
    stranger = client_for(other_company[1])
    assert stranger.get("/v4/appointment").json()["total"] == 0
    assert stranger.get(f"/v4/appointment/{appointment_id}").status_code == 404
    for method, url, data in _writes(appointment_id):
        response = getattr(stranger, method)(url, data, format="json")
        assert response.status_code == 404, (method, url)
        assert response.json()["message"] == "Appointment not found"


def test_every_endpoint_needs_a_key(client, meeting_type):
    for method, url in [("get", "/v4/appointment"), ("get", "/v4/usage"),
                        ("post", "/v4/booking")]:
        assert getattr(client, method)(url).status_code == 401
