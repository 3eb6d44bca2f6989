"""The admin's appointments: list with metered usage, actions through the services."""

import pytest

from crm.models import Contact
from scheduling.models import Appointment, AppointmentHost
from tests.scheduling.conftest import make_meeting_type, monday_after
from tests.scheduling.test_bookings import at, book, utc_host
from webhooks.models import OutboxEvent


@pytest.fixture
def appointment(api, owner):
    meeting_type = make_meeting_type(utc_host(owner), require_host_confirmation=True)
    body = book(api, meeting_type, at(monday_after(7), 9)).json()
    return Appointment.objects.get(uuid=body["provisionalBookingId"])


def act(staff_client, action, appointment):
    return staff_client.post("/admin/scheduling/appointment/", {
        "action": action, "_selected_action": [appointment.pk]}, follow=True)


def test_the_list_shows_appointments_and_api_usage_per_month(staff_client, appointment, company):
    response = staff_client.get("/admin/scheduling/appointment/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "jane@client.test" in page
    assert "api-usage" in page and company.name in page
    filtered = staff_client.get("/admin/scheduling/appointment/", {
        "company__id__exact": company.pk, "status__exact": "pending_host"})
    assert filtered.status_code == 200
    detail = staff_client.get(f"/admin/scheduling/appointment/{appointment.pk}/change/")
    assert detail.status_code == 200


def test_confirm_then_cancel_go_through_the_services(staff_client, appointment):
    act(staff_client, "confirm", appointment)
    assert Appointment.objects.get(pk=appointment.pk).status == "confirmed"
    assert OutboxEvent.objects.filter(event="booking_created").count() == 1
    act(staff_client, "cancel", appointment)
    assert Appointment.objects.get(pk=appointment.pk).status == "cancelled"
    assert OutboxEvent.objects.filter(event="booking_cancelled").count() == 1
    assert not AppointmentHost.objects.filter(active=True).exists()


def test_a_refused_action_is_reported_not_applied(staff_client, appointment):
    response = act(staff_client, "mark_no_show", appointment)
    assert "Only a confirmed appointment" in response.content.decode()
    assert Contact.objects.get().no_show_count == 0


def test_decline_frees_the_slot(staff_client, appointment):
    act(staff_client, "decline", appointment)
    assert Appointment.objects.get(pk=appointment.pk).status == "declined"


def test_the_internal_note_is_saved_through_the_service(staff_client, appointment):
    response = staff_client.post(f"/admin/scheduling/appointment/{appointment.pk}/change/", {
        "internal_note": "Call before", "host_rows-TOTAL_FORMS": "0",
        "host_rows-INITIAL_FORMS": "0", "attendees-TOTAL_FORMS": "0",
        "attendees-INITIAL_FORMS": "0", "sent_emails-TOTAL_FORMS": "0",
        "sent_emails-INITIAL_FORMS": "0"})
    assert response.status_code in (200, 302)
    assert Appointment.objects.get(pk=appointment.pk).internal_note == "Call before"
