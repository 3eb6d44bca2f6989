"""A person who works for companies A and B stays whole: A changes only what is A's,
and removing a host settles their appointments first (SPEC section 7, "Who acts")."""

import datetime as dt

import pytest
from django.core import mail

from scheduling.choices import Role
from scheduling.models import (
    Appointment,
    AppointmentStatus,
    BusyTime,
    CalendarConnection,
    Membership,
    User,
)
from scheduling.services import calendars
from scheduling.services.api_keys import api_key_create
from tests.conftest import client_for, make_member
from tests.scheduling.conftest import make_meeting_type, make_schedule
from tests.scheduling.test_bookings import at, book, booking, utc_host
from webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def both(owner, other_company):
    """Someone who works for Acme (A) and Globex (B), hosting in each."""
    here = utc_host(make_member(owner, email="both@example.com"))
    there = Membership.objects.create(company=other_company[0], user=here.user)
    make_schedule(there, timezone="UTC", is_default=True)
    return here, there


def b_booking(other_company, there, day) -> Appointment:
    b_owner = other_company[1]
    meeting_type = make_meeting_type(b_owner, hosts=[there], title="Globex call")
    response = client_for(b_owner).post(
        "/v4/booking", booking(meeting_type, at(day, 10),
                               attendee={"email": "secret-client@globex.test",
                                         "firstname": "Grace"}), format="json")
    assert response.status_code == 201, response.json()
    return Appointment.objects.get(uuid=response.json()["appointmentId"])


def test_a_key_of_a_cannot_change_the_person_s_email_slug_or_names(api, owner, both):
    here, _ = both
    for change in ({"email": "taken@evil.test"}, {"slug": "evil"}, {"givenName": "Mallory"}):
        response = api.patch(f"/v4/user/{here.user.uuid}", change, format="json")
        assert response.status_code == 403, change
        assert "also belongs to another company" in response.json()["message"]
    acting = client_for(owner, act_as=here)
    assert acting.patch(f"/v4/user/{here.user.uuid}", {"email": "x@evil.test"},
                        format="json").status_code == 403
    here.user.refresh_from_db()
    assert (here.user.email, here.user.given_name) == ("both@example.com", "Member")


def test_a_company_still_changes_its_own_role_of_the_person(api, both):
    here, there = both
    response = api.patch(f"/v4/user/{here.user.uuid}", {"role": "admin"}, format="json")
    assert response.status_code == 200
    here.refresh_from_db()
    there.refresh_from_db()
    assert (here.role, there.role) == (Role.ADMIN, Role.MEMBER)


def test_the_person_changes_their_own_email_with_their_own_token(both):
    here, _ = both
    _, token = api_key_create(company=here.company, created_by=here.user, kind="personal")
    client = client_for(here)
    response = client.patch(f"/v4/user/{here.user.uuid}", {"email": "new@example.com"},
                            format="json")
    assert response.status_code == 200
    assert User.objects.get(pk=here.user_id).email == "new@example.com"


def test_a_single_company_user_is_still_managed_by_the_company(api, member):
    response = api.patch(f"/v4/user/{member.user.uuid}", {"givenName": "Renamed"},
                         format="json")
    assert response.status_code == 200


def test_a_s_feed_of_the_person_lists_only_a_s_appointments(owner, both, other_company, day):
    here, there = both
    b_booking(other_company, there, day)
    a_type = make_meeting_type(owner, hosts=[here], title="Acme call")
    assert book(client_for(owner), a_type, at(day, 14)).status_code == 201

    feed_url = client_for(owner, act_as=here).get("/v4/calendar-connections/feed").json()["url"]
    token = feed_url.rsplit("/", 1)[1].removesuffix(".ics")
    body = calendars.feed_ics(feed=calendars.feed_from_token(token)).decode()
    assert "Acme call" in body
    assert "Globex" not in body and "secret-client@globex.test" not in body


def test_rotating_a_s_feed_leaves_b_s_feed_working(owner, both, other_company):
    here, there = both
    b_url = client_for(other_company[1], act_as=there).get(
        "/v4/calendar-connections/feed").json()["url"]
    client_for(owner, act_as=here).post("/v4/calendar-connections/feed/regenerate")
    b_token = b_url.rsplit("/", 1)[1].removesuffix(".ics")
    assert calendars.feed_from_token(b_token) is not None


def test_a_feed_stops_when_its_user_leaves_the_company(api, owner, both):
    here, _ = both
    feed = calendars.feed_get(user=here.user, company=owner.company)
    token = calendars.feed_token(feed)
    assert api.delete(f"/v4/user/{here.user.uuid}").status_code == 200
    assert calendars.feed_from_token(token) is None


def test_busy_time_from_a_s_connection_does_not_block_the_person_in_b(owner, both,
                                                                        other_company, day):
    here, there = both
    connection = CalendarConnection.objects.create(company=owner.company, user=here.user,
                                                   url="https://cal.example/a.ics")
    start = dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)
    BusyTime.objects.create(user=here.user, company=owner.company, connection=connection,
                            start=start, end=start + dt.timedelta(hours=8), source="calendar")
    b_type = make_meeting_type(other_company[1], hosts=[there], title="Globex call")
    a_type = make_meeting_type(owner, hosts=[here], title="Acme call")
    query = {"start": day.isoformat(), "end": day.isoformat(), "timezone": "UTC"}

    b_slots = client_for(other_company[1]).get(
        "/v4/booking-availability", {**query, "meetingTypeId": str(b_type.uuid)}).json()
    a_slots = client_for(owner).get(
        "/v4/booking-availability", {**query, "meetingTypeId": str(a_type.uuid)}).json()

    assert b_slots["availableSlots"], "B still sees the person free"
    assert a_slots["availableSlots"] == []


def test_a_sync_stores_busy_time_in_the_connection_s_company(owner, both):
    here, _ = both
    connection = CalendarConnection.objects.create(company=owner.company, user=here.user,
                                                   url="https://cal.example/a.ics")
    fetched = calendars.Fetched(b"")
    now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    calendars._store(connection, [(now, now + dt.timedelta(hours=1))], fetched, now)
    assert list(BusyTime.objects.filter(connection=connection).values_list(
        "company_id", flat=True)) == [owner.company_id]


# --- removing a host -------------------------------------------------------------------


@pytest.fixture
def busy_host(owner, day):
    host = utc_host(make_member(owner, email="busy@acme.test"))
    meeting_type = make_meeting_type(owner, hosts=[host])
    api = client_for(owner)
    ids = [book(api, meeting_type, at(day, hour)).json()["appointmentId"] for hour in (10, 11)]
    return host, ids


def test_removing_a_busy_host_is_a_409_naming_how_many(api, busy_host):
    host, ids = busy_host
    response = api.delete(f"/v4/user/{host.user.uuid}")
    assert response.status_code == 409
    assert "hosts 2 pending or upcoming appointment(s)" in response.json()["message"]
    assert Membership.objects.filter(pk=host.pk).exists()


def test_removing_a_busy_host_with_cancel_cancels_with_emails_and_webhooks(
        api, busy_host, django_capture_on_commit_callbacks):
    host, ids = busy_host
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.delete(f"/v4/user/{host.user.uuid}", {"cancelAppointments": True},
                              format="json")
    assert response.status_code == 200
    assert set(Appointment.objects.filter(uuid__in=ids).values_list("status", flat=True)) == {
        AppointmentStatus.CANCELLED}
    assert OutboxEvent.objects.filter(event="booking_cancelled").count() == 2
    assert any("jane@client.test" in m.to for m in mail.outbox)
    assert not Membership.objects.filter(pk=host.pk).exists()


def test_removing_a_busy_host_with_reassign_hands_their_places_over(api, owner, busy_host):
    host, ids = busy_host
    successor = utc_host(make_member(owner, email="next@acme.test"))
    response = api.delete(f"/v4/user/{host.user.uuid}?reassignTo={successor.user.uuid}")
    assert response.status_code == 200, response.json()
    for appointment in Appointment.objects.filter(uuid__in=ids):
        assert appointment.status == AppointmentStatus.CONFIRMED
        assert list(appointment.hosts.all()) == [successor.user]
    assert OutboxEvent.objects.filter(event="booking_rescheduled").count() == 2


def test_reassigning_to_someone_busy_then_is_a_409_and_changes_nothing(api, owner, busy_host,
                                                                         day):
    host, ids = busy_host
    successor = utc_host(make_member(owner, email="next@acme.test"))
    own_type = make_meeting_type(owner, hosts=[successor], title="Their own")
    assert book(client_for(owner), own_type, at(day, 11)).status_code == 201
    response = api.delete(f"/v4/user/{host.user.uuid}",
                          {"reassignTo": str(successor.user.uuid)}, format="json")
    assert response.status_code == 409
    assert "is not free" in response.json()["message"]
    assert Membership.objects.filter(pk=host.pk).exists()
    for appointment in Appointment.objects.filter(uuid__in=ids):
        assert list(appointment.hosts.all()) == [host.user]


def test_reassigning_to_a_user_of_another_company_is_404(api, busy_host, other_company):
    host, _ = busy_host
    response = api.delete(f"/v4/user/{host.user.uuid}",
                          {"reassignTo": str(other_company[1].user.uuid)}, format="json")
    assert response.status_code == 404


def test_removal_options_reject_unknown_fields(api, busy_host):
    host, _ = busy_host
    response = api.delete(f"/v4/user/{host.user.uuid}", {"cancelAll": True}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "cancelAll"


def test_a_host_with_only_past_appointments_is_removed_at_once(api, owner, day):
    host = utc_host(make_member(owner, email="past@acme.test"))
    meeting_type = make_meeting_type(owner, hosts=[host])
    appointment_id = book(client_for(owner), meeting_type, at(day, 10)).json()["appointmentId"]
    Appointment.objects.filter(uuid=appointment_id).update(status=AppointmentStatus.CANCELLED)
    assert api.delete(f"/v4/user/{host.user.uuid}").status_code == 200


# --- the same rule in the admin --------------------------------------------------------


@pytest.fixture
def operator_client(client, other_company):
    operator = User.objects.create_superuser(email="ops@termin.test", password="x" * 12)
    client.force_login(operator)
    return client


def test_the_admin_refuses_to_delete_a_busy_host_s_membership(operator_client, busy_host):
    host, ids = busy_host
    response = operator_client.post(f"/admin/scheduling/membership/{host.pk}/delete/",
                                    {"post": "yes"}, follow=True)
    assert "hosts 2 pending or upcoming appointment(s)" in response.content.decode()
    assert Membership.objects.filter(pk=host.pk).exists()
    response = operator_client.post(f"/admin/scheduling/user/{host.user_id}/delete/",
                                    {"post": "yes"}, follow=True)
    assert User.objects.filter(pk=host.user_id).exists()


def test_the_admin_action_removes_and_cancels(operator_client, busy_host):
    host, ids = busy_host
    operator_client.post("/admin/scheduling/membership/", {
        "action": "remove_cancelling", "_selected_action": [host.pk]})
    assert not Membership.objects.filter(pk=host.pk).exists()
    assert set(Appointment.objects.filter(uuid__in=ids).values_list("status", flat=True)) == {
        AppointmentStatus.CANCELLED}


def test_the_admin_deletes_a_free_user(operator_client, owner):
    free = make_member(owner, email="free@acme.test")
    operator_client.post(f"/admin/scheduling/user/{free.user_id}/delete/", {"post": "yes"})
    assert not User.objects.filter(pk=free.user_id).exists()


def test_removal_options_must_be_an_object(api, busy_host):
    host, _ = busy_host
    response = api.delete(f"/v4/user/{host.user.uuid}", [1, 2], format="json")
    assert response.status_code == 400


def test_a_s_owner_cannot_set_the_person_s_password_in_the_admin(client, owner, both):
    here, _ = both
    client.force_login(owner.user)
    url = f"/admin/scheduling/user/{here.user_id}/password/"
    assert client.get(url).status_code == 403
    client.post(url, {"password1": "a new long password 42", "password2": "a new long password 42"})
    here.user.refresh_from_db()
    assert not here.user.has_usable_password()


def test_a_single_company_member_s_password_is_set_by_the_company_s_owner(client, owner):
    member = make_member(owner, email="solo@acme.test")
    client.force_login(owner.user)
    assert client.get(f"/admin/scheduling/user/{member.user_id}/password/").status_code == 200
