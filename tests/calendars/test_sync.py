"""Reading a connected feed over HTTP: conditional requests, and failures that keep
the last good busy times and show the error (scheduling/services/calendars.py)."""

import datetime as dt

import pytest
from django.utils import timezone

from scheduling.models import BusyTime
from scheduling.services import calendars
from scheduling.services.calendars import connection_create, connection_sync
from tests.calendars.conftest import calendar, ics_utc
from tests.calendars.helpers import connect

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_loopback")]


def one_event(hours_from_now: int = 48, summary: str = "Busy") -> str:
    start = (timezone.now() + dt.timedelta(hours=hours_from_now)).replace(minute=0, second=0,
                                                                          microsecond=0)
    return calendar(f"""UID:{summary}@tests
SUMMARY:{summary}
DTSTART:{ics_utc(start)}
DTEND:{ics_utc(start + dt.timedelta(hours=1))}""")


def stored(connection) -> list[tuple]:
    return list(BusyTime.objects.filter(connection=connection).values_list("start", "end"))


@pytest.fixture
def synced(owner, server):
    """A connection read once, with one busy hour stored."""
    connection = connect(owner, server.serve("/cal.ics", one_event()))
    assert connection.busy_count == 1 and connection.last_error == ""
    return connection


def test_the_next_fetch_is_conditional_and_a_304_keeps_the_busy_times(synced, server):
    before = stored(synced)
    later = synced.last_synced_at + dt.timedelta(minutes=15)

    connection = connection_sync(connection_id=synced.pk, now=later)

    sent = server.requests_to("/cal.ics")[-1]
    assert sent["If-None-Match"] == synced.etag
    assert sent["If-Modified-Since"] == synced.last_modified
    assert stored(connection) == before
    assert connection.last_synced_at == later and connection.busy_count == 1


def test_a_changed_feed_replaces_the_busy_times(synced, server):
    server.serve("/cal.ics", one_event(72, "Other") + "")
    connection = connection_sync(connection_id=synced.pk)
    [(start, _)] = stored(connection)
    assert start > timezone.now() + dt.timedelta(hours=70)
    assert connection.busy_count == 1


def test_a_server_error_keeps_the_busy_times_and_records_the_error(synced, server):
    before = stored(synced)
    server.serve("/cal.ics", status=500)

    connection = connection_sync(connection_id=synced.pk)

    assert stored(connection) == before
    assert connection.last_error == "The calendar answered HTTP 500"
    assert connection.last_error_at is not None
    assert connection.busy_count == 1


def test_an_invalid_file_keeps_the_busy_times_and_records_the_error(synced, server):
    before = stored(synced)
    server.serve("/cal.ics", b"<html>Sign in to see this calendar</html>")

    connection = connection_sync(connection_id=synced.pk)

    assert stored(connection) == before
    assert connection.last_error.startswith("Not a valid iCalendar file")


def test_a_good_fetch_after_an_error_clears_it(synced, server):
    server.serve("/cal.ics", status=503)
    assert connection_sync(connection_id=synced.pk).last_error
    server.serve("/cal.ics", one_event(24))
    connection = connection_sync(connection_id=synced.pk)
    assert connection.last_error == "" and connection.last_error_at is None


def test_a_feed_that_answers_too_slowly_times_out_and_keeps_the_busy_times(
        synced, server, monkeypatch):
    monkeypatch.setattr(calendars, "READ_TIMEOUT", 0.5)
    server.serve("/cal.ics", one_event(), delay=2)

    connection = connection_sync(connection_id=synced.pk)

    assert connection.last_error == "The calendar did not answer within 0.5 seconds"
    assert connection.busy_count == 1 and len(stored(connection)) == 1


def test_a_feed_over_the_size_limit_is_refused(synced, server, monkeypatch):
    monkeypatch.setattr(calendars, "MAX_BYTES", 1024)
    server.serve("/cal.ics", one_event() + " " * 4096)

    connection = connection_sync(connection_id=synced.pk)

    assert connection.last_error.startswith("The calendar is larger than")
    assert len(stored(connection)) == 1


def test_an_unreachable_feed_records_the_error(owner, server):
    connection = connect(owner, server.url.rsplit(":", 1)[0] + ":9/cal.ics")
    assert connection.last_error.startswith("The calendar could not be fetched")
    assert connection.last_synced_at is None


def test_a_redirect_is_followed_through_the_guard(owner, server):
    server.serve("/new.ics", one_event())
    server.serve("/old.ics", status=301, location=server.url + "/new.ics")
    connection = connect(owner, server.url + "/old.ics")
    assert connection.last_error == "" and connection.busy_count == 1


def test_a_private_address_allowed_at_registration_is_refused_at_fetch(
        owner, server, settings):
    connection = connection_create(company=owner.company, user=owner.user,
                                   url=server.serve("/cal.ics", one_event()))
    settings.WEBHOOK_ALLOW_PRIVATE = False

    connection = connection_sync(connection_id=connection.pk)

    assert "private, loopback" in connection.last_error
    assert server.requests_to("/cal.ics") == []  # the guard refused before connecting


def test_a_feed_unchanged_for_a_day_is_read_whole_again(synced, server):
    connection_sync(connection_id=synced.pk,
                    now=synced.fetched_at + dt.timedelta(hours=25))
    assert "If-None-Match" not in server.requests_to("/cal.ics")[-1]


def test_busy_time_outside_the_window_is_not_stored(owner, server):
    connection = connect(owner, server.serve("/far.ics", one_event(24 * 400)))
    assert connection.busy_count == 0


def test_disconnecting_removes_the_busy_times(synced):
    calendars.connection_delete(connection=synced)
    assert not BusyTime.objects.filter(user=synced.user).exists()


def test_a_sync_of_a_deleted_connection_does_nothing(synced):
    pk = synced.pk
    synced.delete()
    assert connection_sync(connection_id=pk) is None
