"""Manage links can be revoked and expire: a reschedule or a cancellation makes the
links sent before stop working, and every link ends some days after the meeting."""

import datetime as dt

import pytest
from django.core import signing

from scheduling import links
from scheduling.models import Appointment
from scheduling.services.appointments import (
    appointment_cancel,
    appointment_confirm,
    appointment_reschedule,
)
from tests.pages.conftest import book, path_of
from tests.scheduling.conftest import make_meeting_type, make_schedule, monday_after

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting_type(owner):
    make_schedule(owner, timezone="UTC", is_default=True)
    return make_meeting_type(owner, durations=[30], default_duration=30)


@pytest.fixture
def start():
    return dt.datetime.combine(monday_after(7), dt.time(10), dt.UTC)


def opens(client, appointment) -> bool:
    """Whether the appointment's manage page opens with a link made now."""
    return opens_path(client, path_of(links.manage_url(appointment)))


def opens_path(client, path: str) -> bool:
    response = client.get(path)
    return response.status_code == 200 and b"This link does not work" not in response.content


def test_a_fresh_manage_link_opens_the_appointment(client, meeting_type, start):
    appointment = book(meeting_type, start)
    assert opens(client, appointment)


def test_a_rescheduled_appointments_old_manage_link_is_refused(client, meeting_type, start):
    appointment = book(meeting_type, start)
    old = path_of(links.manage_url(appointment))
    moved = appointment_reschedule(appointment=appointment, start=start.replace(hour=11))
    assert not opens_path(client, old)
    assert links.appointment_uuid_from_token(old.rsplit("/", 1)[1], links.MANAGE) is None
    assert opens(client, moved)  # the link the reschedule email brings


def test_a_cancelled_appointments_old_manage_link_is_refused(client, meeting_type, start):
    appointment = book(meeting_type, start)
    old = links.make_token(appointment, links.MANAGE)
    appointment_cancel(appointment=appointment, reason="No longer needed")
    assert links.appointment_uuid_from_token(old, links.MANAGE) is None
    assert not opens_path(client, f"/manage/{old}")


def test_each_change_gives_a_new_nonce_and_each_booking_its_own(meeting_type, start):
    first = book(meeting_type, start)
    second = book(meeting_type, start.replace(hour=12), email="other@client.test")
    assert first.manage_nonce and first.manage_nonce != second.manage_nonce
    moved = appointment_reschedule(appointment=first, start=start.replace(hour=11))
    assert moved.manage_nonce != first.manage_nonce
    assert Appointment.objects.get(pk=first.pk).manage_nonce == moved.manage_nonce


def test_a_manage_link_expires_some_days_after_the_meeting(meeting_type, start, settings):
    settings.LINK_DAYS_AFTER_MEETING = 7
    appointment = book(meeting_type, start)
    token = links.make_token(appointment, links.MANAGE)
    end = appointment.end
    key = str(appointment.uuid)
    assert links.appointment_uuid_from_token(token, links.MANAGE, now=end) == key
    assert links.appointment_uuid_from_token(
        token, links.MANAGE, now=end + dt.timedelta(days=6, hours=23)) == key
    assert links.appointment_uuid_from_token(
        token, links.MANAGE, now=end + dt.timedelta(days=7, minutes=1)) is None


def test_a_manage_link_of_a_meeting_far_ahead_works_until_it_is_over(meeting_type, start):
    appointment = book(meeting_type, start)
    token = links.make_token(appointment, links.MANAGE)
    # Made long before the meeting: no age limit of its own, only the meeting's end.
    made_long_ago = appointment.start - dt.timedelta(days=500)
    assert links.appointment_uuid_from_token(token, links.MANAGE, now=made_long_ago)


def test_a_manage_link_without_a_nonce_is_refused(meeting_type, start):
    """Links made before manage links carried a nonce (some went to guests)."""
    appointment = book(meeting_type, start)
    legacy = signing.dumps({"a": str(appointment.uuid), "p": links.MANAGE},
                           salt="termin.links", compress=True)
    assert links.appointment_uuid_from_token(legacy, links.MANAGE) is None


def test_another_purposes_token_does_not_manage(meeting_type, start):
    appointment = book(meeting_type, start)
    assert links.appointment_uuid_from_token(
        links.make_token(appointment, links.HOST), links.MANAGE) is None


def test_opt_in_and_host_links_keep_working_across_a_new_time(owner, start):
    make_schedule(owner, timezone="UTC", is_default=True)
    meeting_type = make_meeting_type(owner, slug="checked", durations=[30], default_duration=30,
                                     double_opt_in=True, require_host_confirmation=True)
    appointment = book(meeting_type, start)
    optin, host = (links.make_token(appointment, links.OPTIN),
                   links.make_token(appointment, links.HOST))
    appointment = appointment_reschedule(appointment=appointment, start=start.replace(hour=11))
    assert links.appointment_uuid_from_token(optin, links.OPTIN) == str(appointment.uuid)
    appointment = appointment_confirm(appointment=appointment)
    assert links.appointment_uuid_from_token(host, links.HOST) == str(appointment.uuid)
    after = appointment.end + dt.timedelta(days=8)
    assert links.appointment_uuid_from_token(host, links.HOST, now=after) is None


def test_appointment_from_token_loads_what_the_page_needs(meeting_type, start,
                                                         django_assert_num_queries):
    appointment = book(meeting_type, start)
    token = links.make_token(appointment, links.MANAGE)
    found = links.appointment_from_token(
        token, links.MANAGE,
        queryset=Appointment.objects.select_related("meeting_type", "company"))
    assert found == appointment
    with django_assert_num_queries(0):
        assert found.meeting_type.title and found.company.name


def test_the_migration_gives_each_existing_appointment_its_own_nonce(meeting_type, start):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("scheduling.migrations.0010_appointment_manage_nonce")
    for hour in (10, 11, 12):
        book(meeting_type, start.replace(hour=hour), email=f"a{hour}@client.test")
    Appointment.objects.update(manage_nonce="same-for-all")  # what adding the column does
    migration.give_each_its_own(apps, None)
    nonces = set(Appointment.objects.values_list("manage_nonce", flat=True))
    assert len(nonces) == 3 and "same-for-all" not in nonces
