"""The pages under abuse: limits per client address and per email, the provisional
holds one booker may keep of a host, the honeypot, and inputs that used to be 500s."""

import datetime as dt
import re

import pytest
from django.core import mail

from crm.models import Contact
from scheduling import links
from scheduling.models import Appointment, AppointmentStatus
from scheduling.services.rooms import room_create
from tests.pages.conftest import berlin, book, manage_path, next_weekday, path_of
from tests.scheduling.conftest import make_meeting_type


def book_path(meeting_type) -> str:
    return f"/{meeting_type.owner.slug}/{meeting_type.slug}/book"


def form(start: dt.datetime, email: str = "grace@example.com", **extra) -> dict:
    return {"start": start.isoformat(), "tz": "Europe/Berlin", "duration": "30",
            "name": "Grace Hopper", "email": email, "q_company": "Navy", "channel": "connect",
            **extra}


def post_booking(client, meeting_type, start, *, address="127.0.0.1", **kwargs):
    return client.post(book_path(meeting_type), form(start, **kwargs), REMOTE_ADDR=address)


def assert_friendly_429(response, text: str):
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    html = response.content.decode()
    assert text in html and 'class="site-footer"' in html  # the pages' own look


def room_path(host) -> str:
    room = room_create(company=host.company, name="lobby", display_name="Lobby")
    return f"/rooms/{host.company.slug}/{room.name}"


# --- per client address ------------------------------------------------------------------


def test_booking_posts_beyond_the_limit_get_a_friendly_429(client, meeting_type, settings):
    settings.PUBLIC_RATE_LIMIT = 3
    day = next_weekday()
    for hour in (9, 10, 11):
        assert post_booking(client, meeting_type, berlin(day, hour)).status_code == 302
    refused = post_booking(client, meeting_type, berlin(day, 12))
    assert_friendly_429(refused, "many requests from your network")
    assert Appointment.objects.count() == 3
    other = post_booking(client, meeting_type, berlin(day, 12), address="203.0.113.9")
    assert other.status_code == 302


def test_invalid_forms_count_too(client, meeting_type, settings):
    settings.PUBLIC_RATE_LIMIT = 2
    start = berlin(next_weekday(), 9)
    for _ in range(2):
        assert post_booking(client, meeting_type, start, email="nope").status_code == 200
    assert post_booking(client, meeting_type, start).status_code == 429
    assert not Appointment.objects.exists()


def test_looking_at_the_pages_is_not_limited(client, meeting_type, settings):
    settings.PUBLIC_RATE_LIMIT = 1
    for _ in range(3):
        assert client.get(f"/{meeting_type.owner.slug}/{meeting_type.slug}").status_code == 200
        assert client.get(book_path(meeting_type),
                          {"start": berlin(next_weekday(), 9).isoformat()}).status_code == 200


def test_cancel_and_reschedule_posts_are_limited(client, meeting_type, settings):
    settings.PUBLIC_RATE_LIMIT = 1
    day = next_weekday()
    appointment = book(meeting_type, berlin(day, 10))
    path = manage_path(appointment)
    moved = client.post(f"{path}/reschedule", {"start": berlin(day, 14).isoformat(),
                                               "tz": "Europe/Berlin"})
    assert moved.status_code == 302
    assert_friendly_429(client.post(f"{path}/cancel", {"reason": "x"}), "Please wait a moment")
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CONFIRMED
    assert appointment.start == berlin(day, 14)


def test_opt_in_and_host_decision_posts_are_limited(client, host, settings):
    settings.PUBLIC_RATE_LIMIT = 1
    optin_type = make_meeting_type(host, title="Demo", slug="demo", double_opt_in=True)
    asking_type = make_meeting_type(host, title="Audit", slug="audit",
                                    require_host_confirmation=True)
    day = next_weekday()
    waiting = book(optin_type, berlin(day, 9))
    asking = book(asking_type, berlin(day, 11), email="other@example.com")
    assert client.post(path_of(links.optin_url(waiting)), {"tz": "Europe/Berlin"}
                       ).status_code == 302
    assert client.get(path_of(links.host_url(asking))).status_code == 200  # looking is free
    refused = client.post(path_of(links.host_url(asking)), {"action": "confirm"})
    assert_friendly_429(refused, "Please wait a moment")
    asking.refresh_from_db()
    assert asking.status == AppointmentStatus.PENDING_HOST


def test_room_joins_are_limited_per_address(client, host, settings):
    settings.PUBLIC_RATE_LIMIT = 2
    path = room_path(host)
    for n in range(2):
        joined = client.post(path, {"name": "Alan", "email": f"alan{n}@example.com"})
        assert "Welcome, Alan" in joined.content.decode()
    assert_friendly_429(client.post(path, {"name": "Eve", "email": "eve@example.com"}),
                        "many requests from your network")
    assert not Contact.objects.filter(email="eve@example.com").exists()


def test_the_room_of_a_booking_is_limited_too(client, meeting_type, settings):
    settings.PUBLIC_RATE_LIMIT = 1
    appointment = book(meeting_type, berlin(next_weekday(), 11))
    path = f"/rooms/{appointment.room_token}"
    assert client.post(path, {"name": "Ada", "email": "ada@example.com"}).status_code == 200
    assert client.post(path, {"name": "Ada", "email": "ada@example.com"}).status_code == 429


def test_the_refusal_speaks_the_visitors_language(client, meeting_type, settings):
    settings.PUBLIC_RATE_LIMIT = 1
    start = berlin(next_weekday(), 9)
    post_booking(client, meeting_type, start, email="nope")
    refused = client.post(book_path(meeting_type), form(start), HTTP_ACCEPT_LANGUAGE="de")
    assert refused.status_code == 429
    assert "Bitte warten Sie einen Moment" in refused.content.decode()


# --- per email -------------------------------------------------------------------------


def test_bookings_per_email_are_limited_whatever_the_address(client, meeting_type, settings):
    settings.PUBLIC_EMAIL_LIMIT = 2
    day = next_weekday()
    for n, hour in enumerate((9, 10)):
        response = post_booking(client, meeting_type, berlin(day, hour), address=f"198.51.100.{n}")
        assert response.status_code == 302
    refused = post_booking(client, meeting_type, berlin(day, 11), address="198.51.100.7",
                           email="GRACE@example.com")
    assert_friendly_429(refused, "many requests for this email address")
    assert Appointment.objects.count() == 2
    assert post_booking(client, meeting_type, berlin(day, 11), email="ada@example.com",
                        address="198.51.100.7").status_code == 302


def test_room_joins_per_email_are_limited_apart_from_bookings(client, host, meeting_type,
                                                               settings):
    settings.PUBLIC_EMAIL_LIMIT = 1
    path = room_path(host)
    assert client.post(path, {"name": "Grace", "email": "grace@example.com"},
                       REMOTE_ADDR="198.51.100.1").status_code == 200
    refused = client.post(path, {"name": "Grace", "email": "grace@example.com"},
                          REMOTE_ADDR="198.51.100.2")
    assert_friendly_429(refused, "many requests for this email address")
    # Joining did not spend what booking needs.
    assert post_booking(client, meeting_type, berlin(next_weekday(), 9)).status_code == 302


# --- provisional holds per host --------------------------------------------------------


@pytest.fixture
def optin_type(host):
    return make_meeting_type(host, title="Demo", slug="demo", durations=[30],
                             default_duration=30, double_opt_in=True,
                             form_fields=[{"key": "company", "label": "Company", "type": "text"}])


def test_one_email_holds_at_most_two_times_of_a_host_awaiting_opt_in(client, optin_type):
    day = next_weekday()
    for n, hour in enumerate((9, 10)):
        response = post_booking(client, optin_type, berlin(day, hour), address=f"192.0.2.{n}")
        assert response.status_code == 302
    refused = post_booking(client, optin_type, berlin(day, 11), address="192.0.2.9")
    assert_friendly_429(refused, "You have bookings awaiting confirmation")
    assert 23 * 3600 < int(refused["Retry-After"]) <= 24 * 3600  # the first hold's end
    assert Appointment.objects.count() == 2
    # Confirming one lets the next one in.
    first = Appointment.objects.order_by("start").first()
    client.post(path_of(links.optin_url(first)), {"tz": "Europe/Berlin"})
    assert post_booking(client, optin_type, berlin(day, 11),
                        address="192.0.2.9").status_code == 302


def test_one_address_holds_at_most_three_times_of_a_host_awaiting_opt_in(client, optin_type):
    day = next_weekday()
    for hour in (9, 10, 11):
        response = post_booking(client, optin_type, berlin(day, hour), email=f"p{hour}@x.test")
        assert response.status_code == 302
    refused = post_booking(client, optin_type, berlin(day, 12), email="p12@x.test")
    assert_friendly_429(refused, "You have bookings awaiting confirmation")
    assert post_booking(client, optin_type, berlin(day, 12), email="p12@x.test",
                        address="192.0.2.50").status_code == 302
    # A cancelled hold no longer counts.
    appointment = Appointment.objects.get(start=berlin(day, 9))
    client.post(f"{manage_path(appointment)}/cancel", {"reason": ""})
    assert post_booking(client, optin_type, berlin(day, 13),
                        email="p13@x.test").status_code == 302


def test_holds_count_per_host(client, host, optin_type):
    from tests.conftest import make_member
    from tests.scheduling.conftest import make_schedule

    colleague = make_member(host)
    make_schedule(colleague, timezone="Europe/Berlin", is_default=True)
    other_type = make_meeting_type(host, hosts=[colleague], title="Other", slug="other",
                                   double_opt_in=True)
    day = next_weekday()
    for hour in (9, 10):
        assert post_booking(client, optin_type, berlin(day, hour)).status_code == 302
    assert post_booking(client, other_type, berlin(day, 9)).status_code == 302


def test_confirmed_bookings_are_no_holds(client, meeting_type):
    day = next_weekday()
    for hour in (9, 10, 11, 12):
        assert post_booking(client, meeting_type, berlin(day, hour)).status_code == 302
    assert Appointment.objects.filter(status=AppointmentStatus.CONFIRMED).count() == 4


# --- a normal attendee ----------------------------------------------------------------------


@pytest.mark.parametrize("limits", [{}, {"PUBLIC_RATE_LIMIT": 20, "PUBLIC_EMAIL_LIMIT": 5}],
                         ids=["defaults", "stricter"])
def test_a_normal_attendee_is_never_stopped(client, optin_type, settings, limits):
    for name, value in limits.items():
        setattr(settings, name, value)
    owner_slug, day = optin_type.owner.slug, next_weekday()
    calendar = client.get(f"/{owner_slug}/demo", {"month": f"{day:%Y-%m}",
                                                   "date": day.isoformat()})
    assert calendar.status_code == 200
    assert post_booking(client, optin_type, berlin(day, 9), email="typo").status_code == 200
    booked = post_booking(client, optin_type, berlin(day, 9))
    assert booked.status_code == 302
    appointment = Appointment.objects.get()
    assert client.get(booked["Location"]).status_code == 200
    optin = path_of(links.optin_url(appointment))
    assert client.get(optin).status_code == 200
    assert client.post(optin, {"tz": "Europe/Berlin"}).status_code == 302
    manage = manage_path(appointment)
    assert client.get(manage).status_code == 200
    new_start = berlin(day, 14).isoformat()
    assert client.get(f"{manage}/reschedule", {"start": new_start}).status_code == 200
    moved = client.post(f"{manage}/reschedule", {"start": new_start, "tz": "Europe/Berlin"})
    assert moved.status_code == 302
    manage = manage_path(Appointment.objects.get())  # a move may renew the link
    cancelled = client.post(f"{manage}/cancel", {"reason": "Plans changed"})
    assert cancelled.status_code == 302
    again = post_booking(client, optin_type, berlin(day, 10))
    assert again.status_code == 302
    joined = client.post(f"/rooms/{Appointment.objects.get(status='pending_optin').room_token}",
                         {"name": "Grace", "email": "grace@example.com"})
    assert joined.status_code == 200


# --- the honeypot -----------------------------------------------------------------------


def test_the_forms_carry_an_empty_honeypot_hidden_from_people(client, host, meeting_type):
    for path in (f"{book_path(meeting_type)}?start={berlin(next_weekday(), 9).isoformat()}",
                 room_path(host)):
        html = client.get(path.replace("+", "%2B")).content.decode()
        trap = re.search(r'<div class="hp" aria-hidden="true">.*?</div>', html, re.S).group(0)
        assert 'name="website" value=""' in trap and 'tabindex="-1"' in trap


def test_a_filled_honeypot_books_nothing_and_sends_nothing(client, meeting_type):
    response = post_booking(client, meeting_type, berlin(next_weekday(), 9),
                            website="http://spam.example")
    assert response.status_code == 400
    assert "This form could not be sent" in response.content.decode()
    assert not Appointment.objects.exists()
    assert not Contact.objects.exists()
    assert mail.outbox == []


def test_a_filled_honeypot_joins_no_room(client, host):
    response = client.post(room_path(host), {"name": "Bot", "email": "bot@example.com",
                                             "website": "x"})
    assert response.status_code == 400
    assert not Contact.objects.exists()


# --- inputs that used to be 500s -------------------------------------------------------------


@pytest.mark.parametrize("month", ["9999-12", "9999-01", "10000-01", "0001-01", "2024-13",
                                   "-1-01", "99999999999-01"])
def test_a_month_out_of_range_shows_this_month(client, meeting_type, month):
    response = client.get(f"/{meeting_type.owner.slug}/{meeting_type.slug}", {"month": month})
    assert response.status_code == 200
    today = dt.date.today()
    assert f"{today:%B} {today.year}" in response.content.decode()


def test_the_calendar_ends_ten_years_ahead(client, meeting_type):
    last = dt.date.today().replace(day=1)
    last = last.replace(year=last.year + 10)
    response = client.get(f"/{meeting_type.owner.slug}/{meeting_type.slug}",
                          {"month": f"{last:%Y-%m}"})
    assert response.status_code == 200
    html = response.content.decode()
    assert f"{last:%B} {last.year}" in html
    assert 'aria-label="Next month"' not in html and 'href="None"' not in html


def test_the_reschedule_calendar_survives_a_far_month(client, meeting_type):
    appointment = book(meeting_type, berlin(next_weekday(), 10))
    response = client.get(f"{manage_path(appointment)}/reschedule", {"month": "9999-12"})
    assert response.status_code == 200


@pytest.mark.parametrize("start", ["9999-12-31T23:30:00+00:00", "9999-12-31T23:30:00-05:00",
                                   "0001-01-01T00:00:00+05:00", "2999-01-01T09:00:00+00:00"])
def test_a_start_out_of_range_leads_back_to_the_calendar(client, meeting_type, start):
    path = book_path(meeting_type)
    assert client.get(path, {"start": start}).status_code == 302
    response = client.post(path, {**form(berlin(next_weekday(), 9)), "start": start})
    assert response.status_code == 302 and "/book" not in response["Location"]
    assert not Appointment.objects.exists()


def test_rescheduling_to_year_9999_moves_nothing(client, meeting_type):
    appointment = book(meeting_type, berlin(next_weekday(), 10))
    path = f"{manage_path(appointment)}/reschedule"
    for start in ("9999-12-31T23:30:00+00:00", "0001-01-01T00:00:00+05:00"):
        assert client.get(path, {"start": start}).status_code == 200
        assert client.post(path, {"start": start, "tz": "UTC"}).status_code == 200
    appointment.refresh_from_db()
    assert appointment.start == berlin(next_weekday(), 10)


@pytest.fixture
def number_type(host):
    return make_meeting_type(host, title="Seats", slug="seats", durations=[30],
                             default_duration=30, form_fields=[
                                 {"key": "seats", "label": "Seats", "type": "number",
                                  "required": True},
                                 {"key": "budget", "label": "Budget", "type": "number"}])


@pytest.mark.parametrize("answers, notes", [
    ({"q_seats": "3"}, {"seats": 3}),
    ({"q_seats": "0", "q_budget": "2.5"}, {"seats": 0, "budget": 2.5}),
    ({"q_seats": "1e3"}, {"seats": 1000}),
])
def test_a_meeting_type_with_number_questions_can_be_booked(client, number_type, answers,
                                                            notes):
    response = post_booking(client, number_type, berlin(next_weekday(), 9), **answers)
    assert response.status_code == 302
    assert Appointment.objects.get().attendees.get().notes == notes


@pytest.mark.parametrize("seats", ["many", "NaN", "Infinity", "1e400", "9" * 30])
def test_a_number_that_is_no_finite_number_is_asked_again(client, number_type, seats):
    response = post_booking(client, number_type, berlin(next_weekday(), 9), q_seats=seats)
    assert response.status_code == 200
    assert 'id="id_q_seats-error"' in response.content.decode()
    assert not Appointment.objects.exists()
