"""Fixtures of the page tests: a host with weekday hours and a meeting type."""

import datetime as dt

import pytest
from django.conf import settings

from scheduling import links
from scheduling.models import Appointment, AppointmentSource
from scheduling.services.bookings import AttendeeInput, booking_create
from tests.conftest import make_company
from tests.scheduling.conftest import make_meeting_type, make_schedule

FORM_FIELDS = [
    {"key": "company", "label": "Company", "type": "text", "required": True},
    {"key": "topic", "label": "Topic", "type": "select", "required": False,
     "options": ["Sales", "Support"]},
]


@pytest.fixture
def host(db):
    """The owner of Acme with Monday-Friday 09:00-17:00 in Berlin."""
    _company, owner = make_company()
    make_schedule(owner, timezone="Europe/Berlin", name="Work hours", is_default=True)
    return owner


@pytest.fixture
def meeting_type(host):
    return make_meeting_type(host, title="Intro call", slug="intro", durations=[30],
                             default_duration=30, form_fields=FORM_FIELDS,
                             description="A first talk about your plans.")


def next_weekday(days: int = 3) -> dt.date:
    """A weekday at least ``days`` days from today."""
    day = dt.date.today() + dt.timedelta(days=days)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def berlin(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime.combine(day, dt.time(hour, minute), ZoneInfo("Europe/Berlin"))


def book(meeting_type, start: dt.datetime, email: str = "ada@example.com", **kwargs
         ) -> Appointment:
    """A booking made through the same service the pages and the API use."""
    attendee = AttendeeInput(email=email, first_name="Ada", last_name="Lovelace",
                             notes={"company": "Analytical"}, timezone="Europe/Berlin")
    return booking_create(company=meeting_type.company, meeting_type=meeting_type, start=start,
                          attendee=attendee, source=AppointmentSource.PAGE, **kwargs).appointment


def path_of(url: str) -> str:
    """A link made with ``SITE_URL`` as a path, for the test client."""
    return url.removeprefix(settings.SITE_URL)


def manage_path(appointment) -> str:
    return path_of(links.manage_url(appointment))
