"""Limits for everything anonymous outside the pages' own tests: ``/v4/public``, the
provisional holds rule of the booking service, the store, and two web processes
sharing one Redis."""

import datetime as dt
import logging
import re

import pytest
import requests
from django.utils import timezone
from rest_framework.test import APIClient

from scheduling import publiclimits
from scheduling.models import Appointment, AppointmentStatus
from scheduling.services.appointments import appointment_cancel, appointment_confirm
from scheduling.services.bookings import (
    AttendeeInput,
    HoldLimitReached,
    booking_create,
)
from scheduling.services.rooms import room_create
from tests.scheduling.conftest import make_meeting_type
from tests.scheduling.test_bookings import at, book, utc_host
from tests.support.processes import free_port, web_server


@pytest.fixture
def meeting_type(owner):
    return make_meeting_type(utc_host(owner))


@pytest.fixture
def optin_type(owner):
    return make_meeting_type(utc_host(owner), title="Demo", double_opt_in=True)


def page_booking(meeting_type, start: str, *, email="jane@client.test",
                 address: str | None = "198.51.100.1", now=None):
    """A booking as the pages make it (``client_address``), or with a key (None)."""
    attendee = AttendeeInput(email=email, first_name="Jane")
    return booking_create(company=meeting_type.company, meeting_type=meeting_type,
                          start=dt.datetime.fromisoformat(start), attendee=attendee,
                          source="page", client_address=address, now=now).appointment


def attendee(secret: str, address: str = "127.0.0.1", **extra) -> APIClient:
    client = APIClient(REMOTE_ADDR=address, **extra)
    client.credentials(HTTP_X_APPOINTMENT_SECRET=secret)
    return client


# --- /v4/public -----------------------------------------------------------------------------


@pytest.fixture
def booked(api, meeting_type, day):
    return book(api, meeting_type, at(day, 9)).json()


def test_the_attendee_api_answers_the_documented_429_past_the_limit(booked, settings):
    settings.PUBLIC_RATE_LIMIT = 2
    path = f"/v4/public/appointment/{booked['id']}"
    client = attendee(booked["secret"])
    assert [client.get(path).status_code for _ in range(2)] == [200, 200]
    refused = client.get(path)
    assert refused.status_code == 429
    body = refused.json()
    assert set(body) == {"statusCode", "message", "error"}
    assert (body["statusCode"], body["error"]) == (429, "Too Many Requests")
    assert body["message"].startswith("Too many requests from this address.")
    assert int(refused["Retry-After"]) >= 1
    assert attendee(booked["secret"], "203.0.113.4").get(path).status_code == 200


def test_the_attendees_cancel_and_reschedule_are_limited(booked, day, settings):
    settings.PUBLIC_RATE_LIMIT = 1
    path = f"/v4/public/appointment/{booked['id']}"
    client = attendee(booked["secret"])
    moved = client.post(f"{path}/reschedule", {"start": at(day, 11)}, format="json")
    assert moved.status_code == 200
    refused = client.post(f"{path}/cancel", {"reason": "x"}, format="json")
    assert refused.status_code == 429
    assert Appointment.objects.get(uuid=booked["id"]).status == AppointmentStatus.CONFIRMED


def test_pages_and_the_attendee_api_spend_one_bucket_per_address(booked, client, settings):
    settings.PUBLIC_RATE_LIMIT = 2
    room = room_create(company=Appointment.objects.get().company, name="lobby",
                       display_name="Lobby")
    joined = client.post(f"/rooms/{room.company.slug}/lobby",
                         {"name": "Jane", "email": "jane@client.test"})
    assert joined.status_code == 200
    path = f"/v4/public/appointment/{booked['id']}"
    assert attendee(booked["secret"]).get(path).status_code == 200
    assert attendee(booked["secret"]).get(path).status_code == 429


def test_behind_a_trusted_proxy_each_client_has_its_own_bucket(booked, settings):
    settings.PUBLIC_RATE_LIMIT = 1
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    path = f"/v4/public/appointment/{booked['id']}"

    def through_proxy(address: str):
        return attendee(booked["secret"], "10.0.0.5", HTTP_X_FORWARDED_FOR=address).get(path)

    assert through_proxy("198.51.100.30").status_code == 200
    assert through_proxy("198.51.100.30").status_code == 429
    assert through_proxy("198.51.100.31").status_code == 200


def test_an_unreachable_store_lets_attendees_through(booked, settings, caplog):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    settings.PUBLIC_RATE_LIMIT = 1
    path = f"/v4/public/appointment/{booked['id']}"
    with caplog.at_level(logging.WARNING, logger="termin.publiclimits"):
        assert [attendee(booked["secret"]).get(path).status_code for _ in range(3)] == [200] * 3
    assert "Public limit store unreachable" in caplog.text


def test_zero_turns_a_limit_off(booked, settings):
    settings.PUBLIC_RATE_LIMIT = 0
    path = f"/v4/public/appointment/{booked['id']}"
    assert {attendee(booked["secret"]).get(path).status_code for _ in range(5)} == {200}


def test_without_redis_each_process_keeps_its_own_buckets(settings):
    settings.REDIS_URL = ""
    settings.PUBLIC_EMAIL_LIMIT = 2
    publiclimits.limits_forget()
    waits = [publiclimits.email_wait("a@b.test", publiclimits.BOOKING, now=1000.0)
             for _ in range(3)]
    assert waits[:2] == [0, 0] and waits[2] == 1800  # one token every 3600/2 seconds
    assert publiclimits.email_wait("a@b.test", publiclimits.JOIN, now=1000.0) == 0
    assert publiclimits.email_wait("a@b.test", publiclimits.BOOKING, now=2800.0) == 0


@pytest.mark.parametrize("step", [4000.0, 1.0], ids=["spread out", "a flood"])
def test_the_in_process_buckets_stay_bounded(settings, monkeypatch, step):
    settings.REDIS_URL = ""
    settings.PUBLIC_EMAIL_LIMIT = 1
    monkeypatch.setattr(publiclimits.LocalBuckets, "MAX_ENTRIES", 10)
    publiclimits.limits_forget()
    for n in range(30):
        publiclimits.email_wait(f"p{n}@x.test", publiclimits.BOOKING, now=1000.0 + step * n)
        assert len(publiclimits._buckets().state) <= 10
    # The most recent bucket is kept: its email is still limited.
    assert publiclimits.email_wait("p29@x.test", publiclimits.BOOKING,
                                   now=1000.0 + step * 29) > 0


# --- provisional holds per host (the booking service) --------------------------------------


def test_an_email_holds_at_most_two_provisional_bookings_of_a_host(optin_type, day):
    page_booking(optin_type, at(day, 9), address="198.51.100.1")
    page_booking(optin_type, at(day, 10), address="198.51.100.2")
    with pytest.raises(HoldLimitReached) as refused:
        page_booking(optin_type, at(day, 11), address="198.51.100.3", email="JANE@client.test")
    assert refused.value.status == 429 and refused.value.field == "attendee.email"
    assert 86_000 < refused.value.retry_after <= 86_400
    assert Appointment.objects.count() == 2


def test_an_address_holds_at_most_three_provisional_bookings_of_a_host(optin_type, day):
    for hour in (9, 10, 11):
        page_booking(optin_type, at(day, hour), email=f"p{hour}@client.test")
    with pytest.raises(HoldLimitReached) as refused:
        page_booking(optin_type, at(day, 12), email="p12@client.test")
    assert refused.value.field is None
    page_booking(optin_type, at(day, 12), email="p12@client.test", address="198.51.100.99")


def test_an_ipv6_address_counts_with_its_whole_64(optin_type, day):
    for hour, suffix in ((9, "1"), (10, "2"), (11, "3")):
        page_booking(optin_type, at(day, hour), email=f"p{hour}@client.test",
                     address=f"2001:db8:1:2::{suffix}")
    with pytest.raises(HoldLimitReached):
        page_booking(optin_type, at(day, 12), email="p12@client.test",
                     address="2001:db8:1:2:ffff::9")


def test_holds_that_were_confirmed_cancelled_or_expired_no_longer_count(optin_type, day):
    first = page_booking(optin_type, at(day, 9))
    second = page_booking(optin_type, at(day, 10))
    appointment_confirm(appointment=first)
    third = page_booking(optin_type, at(day, 11))
    appointment_cancel(appointment=second, reason="", by_attendee=True)
    appointment_cancel(appointment=third, reason="", by_attendee=True)
    long_ago = timezone.now() - dt.timedelta(hours=25)
    for hour in (12, 13):
        page_booking(optin_type, at(day, hour), email=f"old{hour}@client.test", now=long_ago)
    page_booking(optin_type, at(day, 14))
    page_booking(optin_type, at(day, 15))
    assert Appointment.objects.filter(status=AppointmentStatus.PENDING_OPTIN).count() == 4


def test_host_confirmation_holds_count_as_well(owner, day):
    asking = make_meeting_type(utc_host(owner), title="Audit", require_host_confirmation=True)
    page_booking(asking, at(day, 9))
    page_booking(asking, at(day, 10))
    with pytest.raises(HoldLimitReached):
        page_booking(asking, at(day, 11))


def test_bookings_with_a_key_are_not_held_to_the_anonymous_limits(api, optin_type, day):
    for hour in (9, 10, 11, 12):
        assert book(api, optin_type, at(day, hour)).status_code == 201
    for hour in (13, 14):
        page_booking(optin_type, at(day, hour), address=None)
    assert Appointment.objects.filter(status=AppointmentStatus.PENDING_OPTIN).count() == 6


def test_an_unreachable_store_still_counts_holds_per_email(optin_type, day, settings, caplog):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    with caplog.at_level(logging.WARNING, logger="termin.publiclimits"):
        for hour in (9, 10, 11):
            page_booking(optin_type, at(day, hour), email=f"p{hour}@client.test")
        page_booking(optin_type, at(day, 12), email="p9@client.test")
        with pytest.raises(HoldLimitReached):
            page_booking(optin_type, at(day, 13), email="p9@client.test")
    assert "not counting holds" in caplog.text


# --- across processes -------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_server_processes_share_the_limits_of_an_address(owner, settings):
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: without it each process counts for itself")
    meeting_type = make_meeting_type(utc_host(owner))
    start = dt.datetime.combine(dt.date.today() + dt.timedelta(days=7), dt.time(9), dt.UTC)
    while start.weekday() >= 5:
        start += dt.timedelta(days=1)
    result = booking_create(company=owner.company, meeting_type=meeting_type, start=start,
                            attendee=AttendeeInput(email="jane@client.test", first_name="Jane"))
    api_path = f"/v4/public/appointment/{result.appointment.uuid}"
    secret = {"x-appointment-secret": result.secret}
    room_create(company=owner.company, name="lobby", display_name="Lobby")
    room_path = f"/rooms/{owner.company.slug}/lobby"
    with (
        web_server(PUBLIC_RATE_LIMIT="6", API_RATE_LIMIT="0") as one,
        web_server(PUBLIC_RATE_LIMIT="6", API_RATE_LIMIT="0") as two,
        requests.Session() as session,
    ):
        page = session.get(f"{one}{room_path}").text  # looking spends nothing
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

        def join(base: str, n: int):
            return session.post(f"{base}{room_path}", data={
                "csrfmiddlewaretoken": token, "name": "Jane", "email": f"p{n}@client.test"})

        # Three page POSTs and three API requests, alternating between the processes:
        # neither process alone reaches six.
        statuses = [join((one, two)[n % 2], n).status_code for n in range(3)]
        statuses += [session.get(f"{(one, two)[n % 2]}{api_path}", headers=secret).status_code
                     for n in range(3)]
        assert statuses == [200] * 6
        for base in (one, two):
            refused_page = join(base, 9)
            assert refused_page.status_code == 429
            assert int(refused_page.headers["Retry-After"]) >= 1
            assert "Please wait a moment" in refused_page.text
            refused_api = session.get(f"{base}{api_path}", headers=secret)
            assert refused_api.status_code == 429
            assert refused_api.json()["error"] == "Too Many Requests"
            assert int(refused_api.headers["Retry-After"]) >= 1
