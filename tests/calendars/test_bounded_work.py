"""Reading a hostile feed costs a bounded amount of work (scheduling/calendar_feeds.py):
long-running series are moved forward to the window without changing what falls
in it, every period a rule walks through is counted against a budget, and a feed
over a bound settles within seconds with an error on its connection."""

import copy
import datetime as dt
import time

import dateutil.rrule
import pytest
import recurring_ical_events
from django.utils import timezone

from scheduling import calendar_feeds
from scheduling.calendar_feeds import TooMuchWork, busy_intervals, work_budget
from scheduling.models import BusyTime
from scheduling.services.calendars import connection_sync
from tests.calendars.conftest import calendar, ics_utc
from tests.calendars.helpers import connect

UTC = dt.UTC
# Generous for a loaded test machine; these feeds settle in one to three seconds.
SETTLES_WITHIN = 10.0

MINUTELY_SINCE_2015 = "UID:m@tests\nDTSTART:20150101T000000Z\nDURATION:PT30S\nRRULE:FREQ=MINUTELY"
# Rules that make dateutil step many times without yielding anything.
NEVER_YIELDING = {
    "daily, a second position of a one-time day": "FREQ=DAILY;BYSETPOS=2",
    "secondly, the 30th of February": "FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30",
    "yearly, the 30th of February": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
}
# Rules dateutil cannot skip through: a COUNT keeps them where they start.
EXPENSIVE = {
    "minutely since 2015, with a count": "FREQ=MINUTELY;COUNT=100000000",
    "one second a day, found second by second":
        "FREQ=SECONDLY;BYHOUR=3;BYMINUTE=0;BYSECOND=0;COUNT=100000",
    "every second of twelve days a year": "FREQ=YEARLY;BYMONTH=1,2,3,4,5,6,7,8,9,10,11,12;"
        + ";".join(f"{part}={','.join(map(str, range(count)))}"
                   for part, count in (("BYHOUR", 24), ("BYMINUTE", 60), ("BYSECOND", 60))),
}


def window(now=None):
    now = now or timezone.now()
    return now - dt.timedelta(days=1), now + dt.timedelta(days=180)


def read(text: str):
    start, end = window()
    return busy_intervals(text.encode(), start=start, end=end, zone="Europe/Berlin")


def one_rule(rule: str, dtstart: str = "DTSTART:20150101T000000Z") -> str:
    return calendar(f"UID:r@tests\n{dtstart}\nDURATION:PT1S\nRRULE:{rule}")


def settles(function, *args):
    """``function(*args)`` raises TooMuchWork within SETTLES_WITHIN seconds; its message."""
    started = time.monotonic()
    with pytest.raises(TooMuchWork) as raised:
        function(*args)
    assert time.monotonic() - started < SETTLES_WITHIN
    return str(raised.value)


# --- the reader ------------------------------------------------------------------------


def test_a_minutely_rule_since_2015_is_refused_within_seconds():
    message = settles(read, calendar(MINUTELY_SINCE_2015))
    assert message.startswith("The calendar has too many occurrences to read")


@pytest.mark.parametrize("rule", NEVER_YIELDING.values(), ids=NEVER_YIELDING.keys())
def test_a_rule_that_steps_without_yielding_is_stopped_by_the_budget(rule):
    assert settles(read, one_rule(rule, "DTSTART:20250101T000000Z")) == calendar_feeds.TOO_MANY


@pytest.mark.parametrize("rule", EXPENSIVE.values(), ids=EXPENSIVE.keys())
def test_a_rule_that_cannot_be_moved_forward_is_stopped_by_the_budget(rule):
    assert settles(read, one_rule(rule)) == calendar_feeds.TOO_MANY


def test_every_period_dateutil_walks_through_is_counted():
    # The budget sees dateutil's own steps: this rule never yields a single date.
    rule = dateutil.rrule.rrulestr("FREQ=DAILY;BYSETPOS=2", dtstart=dt.datetime(2020, 1, 1))
    with pytest.raises(TooMuchWork), work_budget(10_000, 60):
        next(iter(rule))


def test_the_wall_clock_stops_an_expansion_the_units_allow(monkeypatch):
    monkeypatch.setattr(calendar_feeds, "EXPANSION_SECONDS", 0)
    with pytest.raises(TooMuchWork):
        read(one_rule("FREQ=WEEKLY", "DTSTART:20250101T000000Z"))


def test_a_busy_calendar_of_long_running_series_needs_half_the_budget(monkeypatch):
    monkeypatch.setattr(calendar_feeds, "MAX_WORK", calendar_feeds.MAX_WORK // 2)
    events = [f"UID:w{n}@tests\nDTSTART:20200106T{8 + n % 9:02}0000Z\nDURATION:PT30M\n"
              f"RRULE:FREQ=WEEKLY;BYDAY=MO,WE" for n in range(300)]
    events += [f"UID:b{n}@tests\nDTSTART;VALUE=DATE:19{50 + n % 40}0{1 + n % 9}15\n"
               f"RRULE:FREQ=YEARLY\nTRANSP:TRANSPARENT" for n in range(100)]
    events += [f"UID:t{n}@tests\nDTSTART:19800101T0{n % 10}0000Z\nDURATION:PT1H\n"
               f"RRULE:FREQ=MONTHLY;BYDAY=2TU" for n in range(20)]
    assert read(calendar(*events))


# --- moving series forward --------------------------------------------------------------

# (DTSTART, RRULE): each is read with and without being moved forward.
SERIES = [
    ("DTSTART:19520229T083000Z", "FREQ=HOURLY;INTERVAL=7;BYDAY=MO,WE;BYMINUTE=0,30"),
    ("DTSTART;TZID=Europe/Berlin:19990331T023000", "FREQ=DAILY;INTERVAL=3"),
    ("DTSTART;TZID=Europe/Berlin:20210328T023000", "FREQ=HOURLY;INTERVAL=5;BYSETPOS=1,-1"),
    ("DTSTART:20150101T000000", "FREQ=DAILY;INTERVAL=2;BYHOUR=9,15;BYSETPOS=2"),
    ("DTSTART;VALUE=DATE:19700131", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR"),
    ("DTSTART:19900103T090000Z", "FREQ=WEEKLY;INTERVAL=3;BYDAY=TU,TH,SA;BYSETPOS=-1;WKST=SU"),
    ("DTSTART;TZID=America/New_York:18990315T120000", "FREQ=MONTHLY;BYDAY=2TU"),
    ("DTSTART:19520229T083000Z", "FREQ=MONTHLY;BYMONTHDAY=-1"),
    ("DTSTART:19800131T090000Z", "FREQ=MONTHLY;INTERVAL=7;BYMONTHDAY=29,31"),
    ("DTSTART;VALUE=DATE:19520229", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1"),
    ("DTSTART;VALUE=DATE:19520315", "FREQ=YEARLY;INTERVAL=3"),
    ("DTSTART:19600101T100000Z", "FREQ=YEARLY;BYWEEKNO=53;BYDAY=MO"),
    ("DTSTART:19600101T100000Z", "FREQ=YEARLY;BYYEARDAY=-1"),
    ("DTSTART;TZID=Europe/Berlin:19700329T020000", "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU"),
]


def starts_and_ends(occurrences) -> list[tuple]:
    return sorted((str(e.decoded("DTSTART")), str(e.decoded("DTEND"))) for e in occurrences)


@pytest.mark.parametrize(("dtstart", "rule"), SERIES)
@pytest.mark.parametrize("duration", ["PT1H", "P3D"])
def test_moving_a_series_forward_keeps_every_occurrence_in_the_window(dtstart, rule, duration):
    if "VALUE=DATE" in dtstart:
        duration = duration.replace("PT1H", "P1D")
    text = calendar(f"UID:s@tests\n{dtstart}\nDURATION:{duration}\nRRULE:{rule}").encode()
    start, end = window(dt.datetime(2026, 12, 1, 22, tzinfo=UTC))
    untouched = calendar_feeds.parse(text)
    expected = starts_and_ends(recurring_ical_events.of(copy.deepcopy(untouched))
                               .between(start, end))

    assert starts_and_ends(calendar_feeds.occurrences(untouched, start, end)) == expected
    assert expected


def test_a_long_running_series_starts_shortly_before_the_window_once_moved():
    parsed = calendar_feeds.parse(calendar(
        "UID:w@tests\nDTSTART:19900102T090000Z\nDTEND:19900102T100000Z\nRRULE:FREQ=WEEKLY"
    ).encode())
    start = dt.datetime(2026, 12, 1, tzinfo=UTC)

    calendar_feeds.advance_series(parsed, start)

    (event,) = parsed.walk("VEVENT")
    assert start - dt.timedelta(weeks=3) < event.decoded("DTSTART") < start
    assert event.decoded("DTSTART").weekday() == 1  # still a Tuesday
    assert event.decoded("DTEND") - event.decoded("DTSTART") == dt.timedelta(hours=1)


def test_a_series_with_a_count_stays_where_it_starts():
    parsed = calendar_feeds.parse(calendar(
        "UID:c@tests\nDTSTART:19900102T090000Z\nDURATION:PT1H\nRRULE:FREQ=WEEKLY;COUNT=5000"
    ).encode())

    calendar_feeds.advance_series(parsed, dt.datetime(2026, 12, 1, tzinfo=UTC))

    (event,) = parsed.walk("VEVENT")
    assert event.decoded("DTSTART") == dt.datetime(1990, 1, 2, 9, tzinfo=UTC)


# --- a connection's sync ------------------------------------------------------------------


@pytest.fixture
def synced(owner, server, allow_loopback):
    """A connection read once, with one busy hour stored."""
    begin = (timezone.now() + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    good = calendar(f"UID:g@tests\nDTSTART:{ics_utc(begin)}\n"
                    f"DTEND:{ics_utc(begin + dt.timedelta(hours=1))}")
    connection = connect(owner, server.serve("/cal.ics", good))
    assert connection.busy_count == 1 and connection.last_error == ""
    return connection


@pytest.mark.django_db
@pytest.mark.parametrize("event", [
    MINUTELY_SINCE_2015,
    "UID:s@tests\nDTSTART:20250101T000000Z\nDURATION:PT1S\nRRULE:FREQ=DAILY;BYSETPOS=2",
], ids=["minutely since 2015", "never yielding"])
def test_a_hostile_feed_settles_within_seconds_with_an_error_and_keeps_the_busy_times(
        synced, server, event):
    server.serve("/cal.ics", calendar(event))

    started = time.monotonic()
    connection = connection_sync(connection_id=synced.pk)

    assert time.monotonic() - started < SETTLES_WITHIN
    assert "too many occurrences" in connection.last_error
    assert connection.last_error_at is not None
    assert BusyTime.objects.filter(connection=connection).count() == 1
