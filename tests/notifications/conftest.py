"""Helpers for the email tests: bookings made through the booking service, and the
emails they send read back from Django's locmem outbox."""

import datetime as dt
import email

import pytest
from icalendar import Calendar

from scheduling.services.bookings import AttendeeInput, booking_create
from tests.scheduling.conftest import make_meeting_type, make_schedule, monday_after


@pytest.fixture
def host(owner):
    """The company's owner, hosting 09:00-17:00 UTC on weekdays."""
    make_schedule(owner, timezone="UTC", is_default=True)
    owner.user.timezone = "Europe/Berlin"
    owner.user.save(update_fields=["timezone"])
    return owner


@pytest.fixture
def meeting_type(host):
    return make_meeting_type(host, title="Intro call", durations=[30], default_duration=30)


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """``run_on_commit(action, *args)``: call it and run what it queued for after
    commit, as a committed request would (the tasks run eagerly in tests)."""
    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)
    return run


@pytest.fixture
def start():
    """Next week's Monday, 10:00 UTC (11:00 or 12:00 in Berlin)."""
    return dt.datetime.combine(monday_after(7), dt.time(10), dt.UTC)


def book(meeting_type, start, *, email="jane@client.test", language="", timezone="",
         receive_reminders=True, now=None, **options):
    attendee = AttendeeInput(email=email, first_name="Jane", last_name="Smith",
                             language=language, timezone=timezone,
                             receive_reminders=receive_reminders, notes={})
    return booking_create(company=meeting_type.company, meeting_type=meeting_type,
                          start=start, attendee=attendee, now=now, **options).appointment


def sent_to(outbox, address):
    return [message for message in outbox if address in message.to]


def only(outbox, address):
    found = sent_to(outbox, address)
    assert len(found) == 1, [(m.to, m.subject) for m in outbox]
    return found[0]


def html_of(message) -> str:
    (html, mimetype), = message.alternatives
    assert mimetype == "text/html"
    return html


def ics_of(message) -> Calendar:
    """The .ics attached to ``message``, parsed back with icalendar."""
    found = [a for a in message.attachments if a[0].endswith(".ics")]
    assert len(found) == 1, message.attachments
    _, content, mimetype = found[0]
    assert mimetype == "text/calendar"
    return Calendar.from_ical(content)


def event_of(message):
    (event,) = ics_of(message).walk("VEVENT")
    return event


def parse_file_messages(directory) -> list[email.message.Message]:
    """Messages the file-based mail backend wrote into ``directory``."""
    messages = []
    for path in sorted(directory.glob("*.log")):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk.lstrip(b"\n")))
    return messages
