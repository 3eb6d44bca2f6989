"""The pure iCalendar reader (scheduling/calendar_feeds.py): which events make
someone busy, and when, in UTC."""

import datetime as dt

import pytest

from scheduling import calendar_feeds
from scheduling.calendar_feeds import InvalidCalendar, busy_intervals
from tests.calendars.conftest import calendar

UTC = dt.UTC
START = dt.datetime(2024, 3, 1, tzinfo=UTC)
END = dt.datetime(2024, 6, 1, tzinfo=UTC)


def busy(text: str, zone: str = "Europe/Berlin", start=START, end=END):
    return busy_intervals(text.encode(), start=start, end=end, zone=zone)


def utc(*parts) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)


def test_a_cancelled_occurrence_of_a_series_blocks_nothing():
    text = calendar(
        """UID:s@tests
DTSTART;TZID=Europe/Berlin:20240304T100000
DTEND;TZID=Europe/Berlin:20240304T110000
RRULE:FREQ=DAILY;COUNT=3""",
        """UID:s@tests
RECURRENCE-ID;TZID=Europe/Berlin:20240305T100000
STATUS:CANCELLED
DTSTART;TZID=Europe/Berlin:20240305T100000
DTEND;TZID=Europe/Berlin:20240305T110000""",
    )
    assert busy(text) == [(utc(2024, 3, 4, 9), utc(2024, 3, 4, 10)),
                          (utc(2024, 3, 6, 9), utc(2024, 3, 6, 10))]


def test_floating_times_are_read_in_the_given_zone():
    text = calendar("UID:f@tests\nDTSTART:20240304T100000\nDTEND:20240304T110000")
    assert busy(text, zone="America/New_York") == [(utc(2024, 3, 4, 15), utc(2024, 3, 4, 16))]


def test_a_duration_gives_the_end():
    text = calendar("UID:d@tests\nDTSTART:20240304T100000Z\nDURATION:PT90M")
    assert busy(text) == [(utc(2024, 3, 4, 10), utc(2024, 3, 4, 11, 30))]


def test_an_event_without_end_or_duration_takes_no_time():
    assert busy(calendar("UID:z@tests\nDTSTART:20240304T100000Z")) == []


def test_overlapping_events_are_merged_and_the_window_clips():
    text = calendar(
        "UID:a@tests\nDTSTART:20240304T100000Z\nDTEND:20240304T120000Z",
        "UID:b@tests\nDTSTART:20240304T110000Z\nDTEND:20240304T130000Z",
        "UID:c@tests\nDTSTART:20240229T000000Z\nDTEND:20240302T000000Z",
    )
    assert busy(text) == [(START, utc(2024, 3, 2)), (utc(2024, 3, 4, 10), utc(2024, 3, 4, 13))]


def test_googles_calendar_zone_applies_to_utc_times_of_a_series():
    # Google writes X-WR-TIMEZONE and may give a series in UTC: the series follows
    # the calendar's zone, so after the DST change it stays at 10:00 local.
    text = calendar("""UID:g@tests
DTSTART:20240325T090000Z
DTEND:20240325T100000Z
RRULE:FREQ=WEEKLY;COUNT=2""", vtimezone="X-WR-TIMEZONE:Europe/Berlin")
    assert busy(text) == [(utc(2024, 3, 25, 9), utc(2024, 3, 25, 10)),
                          (utc(2024, 4, 1, 8), utc(2024, 4, 1, 9))]


def test_an_outlook_windows_zone_name_is_understood():
    text = calendar("""UID:o@tests
DTSTART;TZID=W. Europe Standard Time:20240304T100000
DTEND;TZID=W. Europe Standard Time:20240304T110000""", vtimezone="")
    assert busy(text) == [(utc(2024, 3, 4, 9), utc(2024, 3, 4, 10))]


@pytest.mark.parametrize("data", ["", "hello", "<html><body>Login</body></html>",
                                  "BEGIN:VEVENT\r\nEND:VEVENT\r\n"])
def test_garbage_is_an_invalid_calendar(data):
    with pytest.raises(InvalidCalendar):
        busy(data)


def test_a_rule_that_cannot_be_read_makes_the_calendar_invalid():
    text = calendar(
        "UID:bad@tests\nDTSTART:20240304T100000Z\nDTEND:20240304T110000Z\n"
        "RRULE:FREQ=WEEKLY;UNTIL=notadate",
        "UID:good@tests\nDTSTART:20240305T100000Z\nDTEND:20240305T110000Z",
    )
    with pytest.raises(InvalidCalendar):
        busy(text)


def test_a_series_of_absurd_length_is_refused_rather_than_cut_off(monkeypatch):
    # Dropping occurrences would make busy time look free.
    monkeypatch.setattr(calendar_feeds, "MAX_OCCURRENCES", 50)
    text = calendar("UID:m@tests\nDTSTART:20240304T100000Z\nDURATION:PT30S\n"
                    "RRULE:FREQ=MINUTELY")
    with pytest.raises(calendar_feeds.TooMuchWork, match="too many occurrences"):
        busy(text)
