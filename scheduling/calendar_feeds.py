"""iCalendar in and out, on plain values (no ORM, no HTTP): the busy intervals of
an external calendar feed, and the feed of a user's own appointments.

Reading uses ``icalendar`` to parse and ``recurring-ical-events`` to expand
recurring events (RRULE, RDATE, EXDATE and moved or cancelled occurrences given
as RECURRENCE-ID components). Google's ``X-WR-TIMEZONE`` is applied first
(``x-wr-timezone``), as Google Calendar itself does.

A feed is anyone's input, so reading one has a bound on its work. dateutil walks
a rule period by period from DTSTART, also through periods that yield nothing
(a ``BYSETPOS`` or ``BYMONTHDAY`` that never matches walks on to the year 9999).
So, before expanding, each recurring event that starts long before the window is
moved forward by whole periods of its rules (``advance_series``), which leaves
its occurrences in the window as they were; and while expanding, every period
dateutil walks through spends from a work budget (``MAX_WORK``, with a
wall-clock deadline ``EXPANSION_SECONDS`` behind it), as does every occurrence
in the window (``MAX_OCCURRENCES``). Past either the read stops with
``TooMuchWork``.
"""

import datetime as dt
import logging
import math
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

import dateutil.rrule
import icalendar
import recurring_ical_events
import x_wr_timezone

from .core.timeutils import add_months, get_zone

logger = logging.getLogger(__name__)

UTC = dt.UTC
# Occurrences in the window, all events together; a feed with more is refused
# (dropping some would make busy time look free).
MAX_OCCURRENCES = 20_000
# Work units (each about a microsecond of dateutil's time) that expanding one feed
# may spend, and the wall-clock time it may take whatever the units say.
MAX_WORK = 1_500_000
EXPANSION_SECONDS = 20.0
TOO_MANY = "The calendar has a recurring event with too many occurrences to read"
PRODID = "-//Termin//Appointments feed//EN"
REFRESH = dt.timedelta(minutes=15)


class InvalidCalendar(ValueError):
    """The data is not an iCalendar file we can read."""


class TooMuchWork(InvalidCalendar):
    """Expanding the calendar's recurring events would cost more than its budget."""


Interval = tuple[dt.datetime, dt.datetime]


# --- reading: busy intervals ------------------------------------------------------


def busy_intervals(data: bytes, *, start: dt.datetime, end: dt.datetime,
                   zone: str) -> list[Interval]:
    """The merged UTC intervals during which the events of ``data`` make someone busy,
    clipped to ``[start, end)``.

    Events marked free (``TRANSP:TRANSPARENT``) or cancelled (``STATUS:CANCELLED``)
    count for nothing. All-day events and floating times (no zone) are read in
    ``zone``: an all-day event blocks its whole days there. Raises InvalidCalendar,
    and TooMuchWork (an InvalidCalendar) past the bounds on work.
    """
    return calendar_busy(parse(data), start=start, end=end, zone=zone)


def calendar_busy(calendar: icalendar.Calendar, *, start: dt.datetime, end: dt.datetime,
                  zone: str) -> list[Interval]:
    """``busy_intervals`` of a calendar already parsed (``parse``), with its bounds."""
    tz = get_zone(zone)
    found = []
    for event in occurrences(calendar, start, end):
        interval = event_interval(event, tz)
        if interval is not None and blocks_time(event):
            found.append((max(interval[0], start), min(interval[1], end)))
    return merge(interval for interval in found if interval[1] > interval[0])


def occurrences(calendar: icalendar.Calendar, start: dt.datetime,
                end: dt.datetime) -> list[icalendar.Event]:
    """Each occurrence (a VEVENT) of the calendar's events overlapping ``[start, end)``.

    Walks each series by itself (its generator), which is linear in the
    occurrences, where ``CalendarQuery.after`` searched in growing windows and took
    seconds for a feed of 500 events. A series that fails while being expanded is
    skipped, so it does not hide the rest of the calendar; a rule that cannot be
    read at all makes the calendar invalid (its last good busy times stay). Moves
    the calendar's long-running series forward (``advance_series``); raises
    TooMuchWork past ``MAX_WORK``, ``EXPANSION_SECONDS`` or ``MAX_OCCURRENCES``.
    """
    advance_series(calendar, start)
    try:
        query = recurring_ical_events.of(calendar, skip_bad_series=True)
        span_start, span_end = query.to_datetime(start), query.to_datetime(end)
    except Exception as exc:  # noqa: BLE001 - a rule dateutil cannot read, and the like
        raise InvalidCalendar(f"The calendar's events could not be read: {exc}") from exc
    found = []
    with work_budget(MAX_WORK, EXPANSION_SECONDS) as budget:
        for series in query.series:
            budget.spend(SERIES_COST)
            try:
                for occurrence in series.between(span_start, span_end):
                    found.append(occurrence.as_component(False))
                    if len(found) > MAX_OCCURRENCES:
                        raise TooMuchWork(
                            f"The calendar has too many occurrences to read: more than "
                            f"{MAX_OCCURRENCES:,} in {(end - start).days} days")
            except TooMuchWork:
                raise
            except Exception as exc:  # noqa: BLE001 - whatever a broken series raises
                logger.info("Skipped an event series that cannot be expanded: %s", exc)
    return found


def parse(data: bytes) -> icalendar.Calendar:
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError) as exc:
        raise InvalidCalendar(f"Not a valid iCalendar file: {exc}") from exc
    if not isinstance(calendar, icalendar.Calendar) or calendar.name != "VCALENDAR":
        raise InvalidCalendar("Not a valid iCalendar file: no VCALENDAR")
    return x_wr_timezone.to_standard(calendar)


def blocks_time(event) -> bool:
    transparency = str(event.get("TRANSP", "OPAQUE")).upper()
    status = str(event.get("STATUS", "CONFIRMED")).upper()
    return transparency != "TRANSPARENT" and status != "CANCELLED"


def event_interval(event, tz: dt.tzinfo) -> Interval | None:
    """The UTC ``[start, end)`` of one occurrence; None when it has no start."""
    if event.get("DTSTART") is None:
        return None
    begin = event.decoded("DTSTART")
    if event.get("DTEND") is not None:
        finish = event.decoded("DTEND")
    elif event.get("DURATION") is not None:
        finish = begin + event.decoded("DURATION")
    elif isinstance(begin, dt.datetime):
        finish = begin  # RFC 5545: a date-time without end or duration takes no time
    else:
        finish = begin + dt.timedelta(days=1)  # a date: the whole day
    return to_utc(begin, tz), to_utc(finish, tz)


def to_utc(value: dt.date | dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """A DATE is local midnight in ``tz``; a floating DATE-TIME is local time in ``tz``."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(0))
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def merge(intervals) -> list[Interval]:
    """Sorted, with overlapping and touching intervals joined."""
    merged: list[list[dt.datetime]] = []
    for begin, finish in sorted(intervals):
        if merged and begin <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], finish)
        else:
            merged.append([begin, finish])
    return [(begin, finish) for begin, finish in merged]


# --- bounded expansion ---------------------------------------------------------------

# What one series costs beside the periods of its rules (the library's bookkeeping).
SERIES_COST = 20
_FIXED_PERIODS = {"SECONDLY": 1, "MINUTELY": 60, "HOURLY": 3600, "DAILY": 86400,
                  "WEEKLY": 7 * 86400}
# The Gregorian calendar repeats every 400 years (146,097 days, a whole number of
# weeks), and from 1901 to 2099 every 28 years: dates, weekdays, leap days and
# week numbers fall alike in every cycle.
_CYCLE_MONTHS, _SHORT_CYCLE_MONTHS = 4800, 336
_SHORT_CYCLE_YEARS = (dt.datetime(1901, 3, 1), dt.datetime(2100, 2, 28))
# Rule parts that tie a monthly or yearly rule to weekdays or leap years: such a
# series moves by whole cycles only.
_CYCLE_BOUND = ("BYDAY", "BYWEEKNO", "BYYEARDAY", "BYSETPOS")
_running = threading.local()


def advance_series(calendar: icalendar.Calendar, start: dt.datetime) -> None:
    """Move each recurring event that starts long before ``start`` forward by a
    whole number of its rules' periods (DTEND along with DTSTART), to at least a
    period, its duration and a day before ``start``.

    Occurrences from ``start`` on stay exactly as they were; only those before it,
    which nobody reads, go. A rule with COUNT stays put (moving it would change
    which occurrences it counts), as does any event this cannot judge: the work
    budget bounds those.
    """
    for event in calendar.walk("VEVENT"):
        if "RRULE" in event and "RECURRENCE-ID" not in event:
            try:
                _advance(event, start)
            except (ArithmeticError, LookupError, TypeError, ValueError, AttributeError):
                continue


def _advance(event: icalendar.Event, start: dt.datetime) -> None:
    first = event["DTSTART"].dt
    latest = _wall(start, first) - _duration(event, first) - dt.timedelta(days=1)
    short = _SHORT_CYCLE_YEARS[0] <= _naive(first) and latest <= _SHORT_CYCLE_YEARS[1]
    rules = event["RRULE"] if isinstance(event["RRULE"], list) else [event["RRULE"]]
    step = _common_step([_step(rule, first, short_cycle=short) for rule in rules])
    if step is None:
        return
    if isinstance(step, int):  # whole months, to at least a year (the longest period) before
        months = (latest.year - first.year) * 12 + latest.month - first.month - 13
        periods = months // step
        moved = add_months(first, periods * step)
    else:
        periods = (latest - _naive(first)) // step - 1
        moved = first + periods * step
    if periods <= 0:
        return
    delta = _naive(moved) - _naive(first)
    event["DTSTART"].dt = moved
    if event.get("DTEND") is not None:
        event["DTEND"].dt = event["DTEND"].dt + delta


def _step(rule, first: dt.date, *, short_cycle: bool) -> int | dt.timedelta | None:
    """How far the rule's DTSTART may move and leave its occurrences as they were:
    whole months (an int) or a fixed time; None when it may not move. A yearly or
    monthly rule tied to weekdays or leap years moves by whole 28-year cycles when
    it stays within 1901 to 2099 (``short_cycle``), else by 400-year ones."""
    if "COUNT" in rule:
        return None
    freq = str(rule["FREQ"][0]).upper()
    interval = int(rule.get("INTERVAL", [1])[0])
    if interval < 1:
        return None
    if freq in _FIXED_PERIODS:
        seconds = _FIXED_PERIODS[freq] * interval
        if not isinstance(first, dt.datetime):  # a date moves by whole days
            seconds = math.lcm(seconds, 86400)
        return dt.timedelta(seconds=seconds)
    if freq not in ("MONTHLY", "YEARLY") or "BYEASTER" in rule:  # Easter has no cycle
        return None
    months = interval * (12 if freq == "YEARLY" else 1)
    if _month_and_day_only(rule, first, freq):
        return months
    return math.lcm(months, _SHORT_CYCLE_MONTHS if short_cycle else _CYCLE_MONTHS)


def _month_and_day_only(rule, first: dt.date, freq: str) -> bool:
    """Whether a monthly or yearly rule picks its days by month and day of month
    alone, never a 29 February, so it repeats every INTERVAL months or years."""
    if first.day > 28 or any(part in rule for part in _CYCLE_BOUND):
        return False
    days = {int(day) for day in rule.get("BYMONTHDAY", [first.day])}
    if "BYMONTH" in rule:
        months = {int(month) for month in rule["BYMONTH"]}
    elif freq == "YEARLY" and "BYMONTHDAY" not in rule:
        months = {first.month}
    else:
        months = set(range(1, 13))
    return min(days) >= 1 and not (29 in days and 2 in months)


def _common_step(steps: list) -> int | dt.timedelta | None:
    """A step that is a whole number of every rule's steps (rules of months and
    rules of fixed times together do not move)."""
    if all(isinstance(step, int) for step in steps):
        return math.lcm(*steps)
    if all(isinstance(step, dt.timedelta) for step in steps):
        return dt.timedelta(seconds=math.lcm(*(int(step.total_seconds()) for step in steps)))
    return None


def _naive(value: dt.date) -> dt.datetime:
    """The wall-clock time of a DATE, DATE-TIME or zoned DATE-TIME."""
    if not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time(0))
    return value.replace(tzinfo=None)


def _wall(moment: dt.datetime, first: dt.date) -> dt.datetime:
    """``moment`` on the wall clock ``first`` is read on (floating times and dates
    are read in the user's zone: a day of margin covers the difference)."""
    if isinstance(first, dt.datetime) and first.tzinfo is not None:
        return moment.astimezone(first.tzinfo).replace(tzinfo=None)
    return moment.astimezone(UTC).replace(tzinfo=None)


def _duration(event: icalendar.Event, first: dt.date) -> dt.timedelta:
    if event.get("DTEND") is not None:
        length = _naive(event["DTEND"].dt) - _naive(first)
    elif event.get("DURATION") is not None:
        length = event["DURATION"].dt
    else:
        length = dt.timedelta(days=1)
    return max(length, dt.timedelta(0))


class WorkBudget:
    """Work units and a wall-clock deadline; ``spend`` raises TooMuchWork past either."""

    def __init__(self, units: int, seconds: float):
        self.left, self.ends = units, time.monotonic() + seconds

    def spend(self, units: int) -> None:
        self.left -= units
        if self.left < 0 or time.monotonic() > self.ends:
            raise TooMuchWork(TOO_MANY)


@contextmanager
def work_budget(units: int, seconds: float):
    """Meter the recurrence rules this thread walks inside the block."""
    budget, previous = WorkBudget(units, seconds), getattr(_running, "budget", None)
    _running.budget = budget
    try:
        yield budget
    finally:
        _running.budget = previous


class _MeteredIterinfo(dateutil.rrule._iterinfo):
    """dateutil's state while it walks one rule, spending from this thread's budget
    on every period: the period's day set is the one thing dateutil asks for once a
    period, whether or not the period yields an occurrence, so the periods that
    yield nothing (a BYSETPOS that never matches) are counted too."""

    def __init__(self, rule):
        super().__init__(rule)
        self.cost = None

    def _spend(self) -> None:
        budget = getattr(_running, "budget", None)
        if budget is not None:
            if self.cost is None:
                self.cost = _period_cost(self.rrule)
            budget.spend(self.cost)

    def ydayset(self, *args):
        self._spend()
        return super().ydayset(*args)

    def mdayset(self, *args):
        self._spend()
        return super().mdayset(*args)

    def wdayset(self, *args):
        self._spend()
        return super().wdayset(*args)

    def ddayset(self, *args):
        self._spend()
        return super().ddayset(*args)


# dateutil makes its per-rule state from this module attribute in ``rrule._iter``;
# metering there is the only way to count what a rule costs before it yields.
dateutil.rrule._iterinfo = _MeteredIterinfo


def _period_cost(rule: dateutil.rrule.rrule) -> int:
    """About the microseconds dateutil spends on one period of ``rule``: a fixed
    part, the days it filters, the times it builds, its BYSETPOS look-ups and, for
    a SECONDLY or MINUTELY rule whose BYHOUR or BYMINUTE leave gaps, the seconds or
    minutes it steps through to the next time that passes them (measured)."""
    freq = rule._freq
    days = {dateutil.rrule.YEARLY: 366, dateutil.rrule.MONTHLY: 31,
            dateutil.rrule.WEEKLY: 7}.get(freq, 1)
    byhour, byminute, bysecond = rule._byhour, rule._byminute, rule._bysecond
    if freq < dateutil.rrule.HOURLY:
        times = len(rule._timeset)
    elif freq == dateutil.rrule.HOURLY:
        times = len(byminute) * len(bysecond)
    elif freq == dateutil.rrule.MINUTELY:
        times = len(bysecond)
    else:
        times = 1
    cost = 4 + days // 4 + days * times // 2 + days * len(rule._bysetpos or ()) // 16
    valid = len(byhour or range(24)) * len(byminute or range(60))
    if freq == dateutil.rrule.SECONDLY and (byhour or byminute):
        cost += 86400 // (valid * len(bysecond or range(60))) // 8
    elif freq == dateutil.rrule.MINUTELY and byhour:
        cost += 1440 // valid // 8
    return cost


# --- writing: a user's appointments -------------------------------------------------


@dataclass(frozen=True)
class FeedEvent:
    """One appointment as the feed shows it (UTC times)."""

    uid: str
    start: dt.datetime
    end: dt.datetime
    summary: str
    stamp: dt.datetime
    tentative: bool = False
    description: str = ""
    location: str = ""
    url: str = ""


def feed_calendar(*, name: str, events: list[FeedEvent]) -> bytes:
    """A ``METHOD:PUBLISH`` calendar of ``events`` that Google, Outlook and Apple
    calendars subscribe to: times in UTC, so no VTIMEZONE is needed."""
    calendar = icalendar.Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    calendar.add("X-WR-CALNAME", name)
    # How often subscribers should refresh (Apple and Outlook read these).
    calendar.add("REFRESH-INTERVAL", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", REFRESH)
    for item in events:
        calendar.add_component(_vevent(item))
    return calendar.to_ical()


def _vevent(item: FeedEvent) -> icalendar.Event:
    event = icalendar.Event()
    event.add("UID", item.uid)
    event.add("DTSTAMP", item.stamp.astimezone(UTC))
    event.add("LAST-MODIFIED", item.stamp.astimezone(UTC))
    event.add("DTSTART", item.start.astimezone(UTC))
    event.add("DTEND", item.end.astimezone(UTC))
    event.add("SUMMARY", item.summary)
    event.add("STATUS", "TENTATIVE" if item.tentative else "CONFIRMED")
    event.add("TRANSP", "OPAQUE")
    if item.description:
        event.add("DESCRIPTION", item.description)
    if item.location:
        event.add("LOCATION", item.location)
    if item.url:
        event.add("URL", item.url)
    return event
