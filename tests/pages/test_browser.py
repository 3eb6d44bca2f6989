"""The booking pages in a real browser (Debian's chromium through Playwright)
against a real gunicorn: with JavaScript, and the same flow without it."""

import datetime as dt
import os
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from crm.models import Contact
from scheduling.models import Appointment, AppointmentStatus
from scheduling.services.rooms import room_create
from tests.pages.browser import chromium, page_server
from tests.pages.conftest import berlin, book, next_weekday

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), page_server() as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API keeps an event loop in this thread while the browser is
    # open; the ORM calls the tests make between browser steps are synchronous ones.
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with chromium() as browser:
            yield browser
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


def _context(browser, **options):
    options.setdefault("timezone_id", "Europe/Berlin")
    options.setdefault("locale", "en-GB")
    return browser.new_context(**options)


def _book_first_free_time(page, base: str, slug: str, email: str) -> None:
    page.goto(f"{base}/{slug}")
    page.get_by_role("link", name=re.compile("Intro call")).click()
    page.wait_for_url(re.compile(r"tz="))
    page.locator("a.slot").first.click()
    page.get_by_label("Your name").fill("Grace Hopper")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Company").fill("Navy")
    page.get_by_role("button", name="Schedule event").click()


def test_an_attendee_books_downloads_the_ics_cancels_books_again_and_reschedules(
        server, browser, meeting_type):
    context = _context(browser)
    page = context.new_page()
    foreign = []
    page.on("request", lambda r: None if r.url.startswith(server) else foreign.append(r.url))

    _book_first_free_time(page, server, meeting_type.owner.slug, "grace@example.com")
    page.get_by_role("heading", name="You are scheduled").wait_for()
    appointment = Appointment.objects.get()
    assert appointment.status == AppointmentStatus.CONFIRMED

    with page.expect_download() as download:
        page.get_by_role("link", name="Download .ics").click()
    event = icalendar.Calendar.from_ical(Path(download.value.path()).read_bytes()).walk(
        "VEVENT")[0]
    assert event.decoded("dtstart") == appointment.start
    assert str(event["url"]) == f"{server}/rooms/{appointment.room_token}"

    page.get_by_role("link", name="Cancel", exact=True).click()
    page.get_by_label("Reason for cancelling (optional)").fill("Double-booked myself")
    page.get_by_role("button", name="Cancel booking").click()
    page.get_by_text("Your booking has been cancelled.").wait_for()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED

    _book_first_free_time(page, server, meeting_type.owner.slug, "grace@example.com")
    page.get_by_role("heading", name="You are scheduled").wait_for()
    second = Appointment.objects.exclude(pk=appointment.pk).get()
    assert second.start == appointment.start  # the cancelled time was free again

    page.get_by_role("link", name="Reschedule").click()
    new_time = page.locator("a.slot").nth(3)
    new_start = dt.datetime.fromisoformat(new_time.get_attribute("data-time"))
    new_time.click()
    page.get_by_role("button", name="Reschedule to this time").click()
    page.get_by_text("Your booking has been moved to the new time.").wait_for()
    second.refresh_from_db()
    assert second.start == new_start and second.start > appointment.start
    assert foreign == []  # no external assets
    context.close()


def test_switching_the_time_zone_changes_the_shown_times(server, browser, meeting_type):
    day = next_weekday()
    context = _context(browser, timezone_id="America/New_York")
    page = context.new_page()
    page.goto(f"{server}/{meeting_type.owner.slug}")
    page.get_by_role("link", name=re.compile("Intro call")).click()
    page.wait_for_url(re.compile(r"tz=America%2FNew_York"))  # detected by the browser
    page.goto(page.url + f"&month={day:%Y-%m}&date={day}")
    new_york = berlin(day, 9).astimezone(ZoneInfo("America/New_York")).strftime("%H:%M")
    assert page.locator("a.slot").first.inner_text() == new_york

    page.get_by_label("Time zone").select_option("Asia/Tokyo")
    page.wait_for_url(re.compile(r"tz=Asia%2FTokyo"))
    tokyo = berlin(day, 9).astimezone(ZoneInfo("Asia/Tokyo"))
    page.goto(page.url.split("?")[0] + f"?tz=Asia/Tokyo&month={tokyo:%Y-%m}&date={tokyo:%Y-%m-%d}")
    times = page.locator("a.slot").all_inner_texts()
    assert tokyo.strftime("%H:%M") in times and new_york not in times
    context.close()


def test_a_time_taken_meanwhile_shows_the_friendly_message(server, browser, meeting_type):
    day = next_weekday()
    context = _context(browser)
    page = context.new_page()
    page.goto(f"{server}/{meeting_type.owner.slug}/intro?tz=Europe/Berlin"
              f"&month={day:%Y-%m}&date={day}")
    page.get_by_role("link", name="09:00").click()
    page.get_by_label("Your name").fill("Grace Hopper")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Company").fill("Navy")
    book(meeting_type, berlin(day, 9), email="quicker@example.com")
    page.get_by_role("button", name="Schedule event").click()

    page.get_by_role("heading", name="Sorry, someone just booked that time").wait_for()
    assert page.get_by_label("Your name").input_value() == "Grace Hopper"
    page.get_by_role("button", name="Schedule event").click()  # the next free time is chosen
    page.get_by_role("heading", name="You are scheduled").wait_for()
    mine = Appointment.objects.get(attendees__email="grace@example.com")
    assert mine.start == berlin(day, 9, 30)
    context.close()


def test_a_room_join_lands_on_the_contacts_timeline(server, browser, host):
    room_create(company=host.company, name="lobby", display_name="The Lobby")
    context = _context(browser)
    page = context.new_page()
    page.goto(f"{server}/rooms/{host.company.slug}/lobby")
    page.get_by_label("Your name").fill("Alan Turing")
    page.get_by_label("Email").fill("alan@example.com")
    page.get_by_role("button", name="Join room").click()
    page.get_by_role("heading", name="Welcome, Alan Turing").wait_for()
    event = Contact.objects.get(email="alan@example.com").events.get()
    assert (event.event_type, event.room_display_name) == ("room_join", "The Lobby")
    context.close()


def test_the_booking_flow_works_without_javascript(server, browser, meeting_type):
    context = _context(browser, java_script_enabled=False, timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.goto(f"{server}/{meeting_type.owner.slug}")
    page.get_by_role("link", name=re.compile("Intro call")).click()
    # Without JavaScript nothing detects the zone: the host's applies until changed.
    assert page.get_by_label("Time zone").input_value() == "Europe/Berlin"
    page.get_by_label("Time zone").select_option("Europe/London")
    page.get_by_role("button", name="Update").click()
    page.wait_for_url(re.compile(r"tz=Europe%2FLondon"))
    first = page.locator("a.slot").first
    assert first.inner_text() == "08:00"  # Berlin's 09:00
    first.click()
    page.get_by_label("Your name").fill("Grace Hopper")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Company").fill("Navy")
    page.get_by_role("button", name="Schedule event").click()
    page.get_by_role("heading", name="You are scheduled").wait_for()
    appointment = Appointment.objects.get()
    assert appointment.attendees.get().timezone == "Europe/London"

    page.get_by_role("link", name="Cancel", exact=True).click()
    page.get_by_role("button", name="Cancel booking").click()
    page.get_by_text("Your booking has been cancelled.").wait_for()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    context.close()
