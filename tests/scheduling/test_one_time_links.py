"""One-time booking links: made through ``POST /v4/one-time-booking-link/create/:id``
(meetergo's path) or the admin, by whoever may share the meeting type; a booking
through one claims it once."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.utils import timezone

from scheduling.choices import Role
from scheduling.models import Appointment, OneTimeBookingLink
from scheduling.services import one_time_links
from scheduling.services.bookings import AttendeeInput, booking_create
from tests.conftest import client_for, make_company, make_member
from tests.scheduling.conftest import make_meeting_type, make_schedule, monday_after

pytestmark = pytest.mark.django_db


def create_path(meeting_type) -> str:
    return f"/v4/one-time-booking-link/create/{meeting_type.uuid}"


def test_the_owner_makes_a_link_that_expires_in_thirty_days(api, owner):
    meeting_type = make_meeting_type(owner)
    response = api.post(create_path(meeting_type), {}, format="json")
    assert response.status_code == 201
    body = response.json()
    link = OneTimeBookingLink.objects.get()
    assert body["url"] == f"{settings.SITE_URL}/1t/{link.token}"
    assert body["id"] == str(link.uuid) and body["meetingTypeId"] == str(meeting_type.uuid)
    assert body["usedAt"] is None and body["appointmentId"] is None
    left = dt.datetime.fromisoformat(body["expiresAt"]) - timezone.now()
    assert dt.timedelta(days=29, hours=23) < left <= dt.timedelta(days=30)


def test_an_expiry_can_be_given_or_left_out(api, owner):
    meeting_type = make_meeting_type(owner)
    soon = (timezone.now() + dt.timedelta(hours=2)).replace(microsecond=0)
    given = api.post(create_path(meeting_type), {"expiresAt": soon.isoformat()}, format="json")
    assert dt.datetime.fromisoformat(given.json()["expiresAt"]) == soon
    never = api.post(create_path(meeting_type), {"expiresAt": None}, format="json")
    assert never.status_code == 201 and never.json()["expiresAt"] is None
    past = api.post(create_path(meeting_type),
                    {"expiresAt": "2001-01-01T00:00:00+00:00"}, format="json")
    assert past.status_code == 400 and past.json()["errors"][0]["field"] == "expiresAt"


def test_an_unknown_body_field_is_a_400_naming_it(api, owner):
    response = api.post(create_path(make_meeting_type(owner)), {"maxUses": 2}, format="json")
    assert response.status_code == 400
    assert "maxUses" in str(response.json())
    assert not OneTimeBookingLink.objects.exists()


def test_a_member_who_hosts_it_makes_one_and_a_member_who_does_not_is_refused(owner):
    host, bystander = make_member(owner), make_member(owner)
    meeting_type = make_meeting_type(owner, hosts=[host])
    made = client_for(host).post(create_path(meeting_type), {}, format="json")
    assert made.status_code == 201
    refused = client_for(bystander).post(create_path(meeting_type), {}, format="json")
    assert refused.status_code == 403
    assert OneTimeBookingLink.objects.count() == 1


def test_an_admin_makes_one_for_any_meeting_type_of_the_company(owner):
    admin = make_member(owner, Role.ADMIN)
    meeting_type = make_meeting_type(owner)
    assert client_for(admin).post(create_path(meeting_type), {}, format="json").status_code == 201


def test_another_companys_member_and_an_unknown_meeting_type_get_a_404(api, owner):
    meeting_type = make_meeting_type(owner)
    _, stranger = make_company(name="Globex", owner_email="owner@globex.test")
    foreign = client_for(stranger).post(create_path(meeting_type), {}, format="json")
    assert foreign.status_code == 404
    for missing in ("00000000-0000-4000-8000-000000000000", "not-a-uuid"):
        response = api.post(f"/v4/one-time-booking-link/create/{missing}", {}, format="json")
        assert response.status_code == 404
        assert response.json()["message"] == "Meeting type not found"
    assert not OneTimeBookingLink.objects.exists()



def test_an_anonymous_client_gets_a_401_and_no_link(client, owner):
    meeting_type = make_meeting_type(owner)
    response = client.post(create_path(meeting_type), {}, content_type="application/json")
    assert response.status_code == 401
    assert not OneTimeBookingLink.objects.exists()

def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), dt.UTC)


def _book(meeting_type, link, start, email):
    return booking_create(company=meeting_type.company, meeting_type=meeting_type, start=start,
                          attendee=AttendeeInput(email=email, first_name="Ada"),
                          one_time_link=link)


def test_the_booking_service_uses_a_link_once(owner):
    make_schedule(owner, timezone="UTC", is_default=True)
    meeting_type = make_meeting_type(owner)
    link = one_time_links.one_time_link_create(meeting_type=meeting_type, actor=owner)
    day = monday_after(7)
    first = _book(meeting_type, link, at(day, 10), "ada@client.test")
    link.refresh_from_db()
    assert link.used_at is not None and link.appointment == first.appointment
    with pytest.raises(one_time_links.LinkSpent) as refused:
        _book(meeting_type, link, at(day, 11), "bob@client.test")
    assert refused.value.state == one_time_links.USED
    assert Appointment.objects.count() == 1


def test_an_expired_link_books_nothing(owner):
    make_schedule(owner, timezone="UTC", is_default=True)
    meeting_type = make_meeting_type(owner)
    now = timezone.now()
    link = one_time_links.one_time_link_create(
        meeting_type=meeting_type, actor=owner, expires_at=now + dt.timedelta(minutes=5),
        now=now)
    OneTimeBookingLink.objects.filter(pk=link.pk).update(expires_at=now - dt.timedelta(seconds=1))
    link.refresh_from_db()
    with pytest.raises(one_time_links.LinkSpent) as refused:
        _book(meeting_type, link, at(monday_after(7), 10), "ada@client.test")
    assert refused.value.state == one_time_links.EXPIRED
    assert not Appointment.objects.exists() and link.used_at is None


def test_the_admin_action_makes_a_link_and_shows_it(staff_client, owner):
    meeting_type = make_meeting_type(owner)
    response = staff_client.post("/admin/scheduling/meetingtype/", {
        "action": "make_one_time_link", "_selected_action": [meeting_type.pk]}, follow=True)
    assert response.status_code == 200
    link = OneTimeBookingLink.objects.get()
    assert link.meeting_type == meeting_type and link.created_by == owner.user
    assert f"/1t/{link.token}" in response.content.decode()


def test_the_admin_action_refuses_a_member_who_neither_owns_nor_hosts_it(client, owner):
    host = make_member(owner)
    meeting_type = make_meeting_type(owner, hosts=[host])
    client.force_login(host.user)
    client.post("/admin/scheduling/meetingtype/", {
        "action": "make_one_time_link", "_selected_action": [meeting_type.pk]}, follow=True)
    assert OneTimeBookingLink.objects.count() == 1  # the host may
    bystander = make_member(owner)
    client.force_login(bystander.user)
    page = client.post("/admin/scheduling/meetingtype/", {
        "action": "make_one_time_link", "_selected_action": [meeting_type.pk]}, follow=True)
    assert OneTimeBookingLink.objects.count() == 1
    assert not re.search(r"/1t/[\w-]{10,}", page.content.decode())
