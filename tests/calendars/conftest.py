"""Fixtures of the calendar tests: a real .ics server on 127.0.0.1, and iCalendar
text built from a few lines."""

import datetime as dt

import pytest

from tests.calendars.radicale import radicale_server
from tests.calendars.server import ics_server


@pytest.fixture
def server():
    with ics_server() as running:
        yield running


@pytest.fixture(scope="session")
def radicale():
    """A real CalDAV server (Radicale) on 127.0.0.1 for the whole run; each test makes
    its own account on it."""
    with radicale_server() as running:
        yield running


@pytest.fixture
def own_radicale():
    """A CalDAV server of the test's own, which it may stop and start again."""
    with radicale_server() as running:
        yield running


@pytest.fixture
def allow_loopback(settings):
    """The feed server is on 127.0.0.1, which the SSRF guard refuses by default."""
    settings.WEBHOOK_ALLOW_PRIVATE = True


BERLIN_VTIMEZONE = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE"""


def calendar(*events: str, vtimezone: str = BERLIN_VTIMEZONE) -> str:
    """A VCALENDAR around ``events`` (each the lines of one VEVENT, without BEGIN/END)."""
    body = "\n".join(f"BEGIN:VEVENT\nDTSTAMP:20240101T000000Z\n{event.strip()}\nEND:VEVENT"
                     for event in events)
    head = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Tests//EN"
    text = f"{head}\n{vtimezone}\n{body}\nEND:VCALENDAR\n"
    return text.replace("\n", "\r\n")


def ics_date(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def ics_local(day: dt.date, hhmm: str) -> str:
    return f"{ics_date(day)}T{hhmm.replace(':', '')}00"


def ics_utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
