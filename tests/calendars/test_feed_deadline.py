"""A feed that sends one byte at a time is read until its deadline and no longer
(``TOTAL_SECONDS``, however slowly the bytes arrive): the sync ends with an error
on the connection and keeps the last good busy times."""

import datetime as dt
import time

import pytest
from django.utils import timezone

from scheduling.models import BusyTime, CalendarConnection
from scheduling.services import calendars
from scheduling.services.calendars import connection_sync
from tests.calendars.conftest import calendar, ics_utc
from tests.calendars.drip import drip_server
from tests.calendars.helpers import connect

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_loopback")]

DEADLINE = 2


@pytest.fixture
def synced(owner, server):
    """A connection read once, with one busy hour stored."""
    begin = (timezone.now() + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    good = calendar(f"UID:g@tests\nDTSTART:{ics_utc(begin)}\n"
                    f"DTEND:{ics_utc(begin + dt.timedelta(hours=1))}")
    connection = connect(owner, server.serve("/cal.ics", good))
    assert connection.busy_count == 1
    return connection


@pytest.fixture
def short_deadline(monkeypatch):
    monkeypatch.setattr(calendars, "TOTAL_SECONDS", DEADLINE)


@pytest.mark.parametrize("slow_headers", [False, True], ids=["body", "status line and headers"])
def test_a_feed_dripping_a_byte_every_half_second_ends_at_its_deadline(
        synced, short_deadline, slow_headers):
    with drip_server(slow_headers=slow_headers) as drip:
        CalendarConnection.objects.filter(pk=synced.pk).update(url=drip.url)

        started = time.monotonic()
        connection = connection_sync(connection_id=synced.pk)
        elapsed = time.monotonic() - started

        assert drip.requests == 1
    assert DEADLINE <= elapsed < DEADLINE + 2
    assert connection.last_error == f"The calendar took longer than {DEADLINE} seconds to download"
    assert BusyTime.objects.filter(connection=connection).count() == 1


def test_each_read_still_has_its_own_timeout_within_the_deadline(synced, server, monkeypatch):
    # An answer that does not start in time is the read timeout's, not the deadline's.
    monkeypatch.setattr(calendars, "READ_TIMEOUT", 0.5)
    server.serve("/cal.ics", "", delay=2)

    connection = connection_sync(connection_id=synced.pk)

    assert connection.last_error == "The calendar did not answer within 0.5 seconds"
