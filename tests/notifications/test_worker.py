"""The confirmation path end to end: a booking commits, a real Celery worker takes
the task from Redis and sends through the file-based mail backend."""

import re
import time

import pytest
from icalendar import Calendar

from config.celery import app as celery_app
from tests.notifications.conftest import book, parse_file_messages
from tests.support.processes import celery_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def queued_for_real():
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


def wait_for_messages(directory, count: int, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = parse_file_messages(directory)
        if len(messages) >= count:
            return messages
        time.sleep(0.2)
    raise AssertionError(f"{len(parse_file_messages(directory))} of {count} emails arrived")


def parts(message) -> dict:
    found = {}
    for part in message.walk():
        if not part.is_multipart():
            found.setdefault(part.get_content_type(), part.get_payload(decode=True))
    return found


def test_a_worker_sends_the_confirmation_with_the_ics_and_a_working_link(
        queued_for_real, tmp_path, meeting_type, start, client):
    outbox = tmp_path / "mail"
    outbox.mkdir()
    with celery_worker(EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
                       EMAIL_FILE_PATH=str(outbox)):
        appointment = book(meeting_type, start, language="de", timezone="Europe/Berlin")
        messages = wait_for_messages(outbox, 2)
    by_recipient = {message["To"]: message for message in messages}
    assert set(by_recipient) == {"jane@client.test", "owner@acme.test"}
    confirmation = parts(by_recipient["jane@client.test"])
    text = confirmation["text/plain"].decode()
    assert "Ihre Buchung ist bestätigt." in text
    assert "<html" in confirmation["text/html"].decode()
    (event,) = Calendar.from_ical(confirmation["text/calendar"]).walk("VEVENT")
    assert event.decoded("dtstart") == start
    assert event["uid"] == f"{appointment.uuid}@termin"
    (path,) = re.findall(r"http://127\.0\.0\.1:8000(/manage/\S+)", text)
    response = client.get(path)
    assert response.status_code == 200
    assert b"Intro call" in response.content
    assert appointment.sent_emails.count() == 2
