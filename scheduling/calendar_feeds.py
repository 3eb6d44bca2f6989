"""iCalendar in and out, on plain values (no ORM, no HTTP): the busy intervals of
an external calendar feed, and the feed of a user's own appointments.

Reading uses ``icalendar`` to parse and ``recurring-ical-events`` to expand
recurring events (RRULE, RDATE, EXDATE and moved or cancelled occurrences given
as RECURRENCE-ID components). Google's ``X-WR-TIMEZONE`` is applied first
(``x-wr-timezone``), as Google Calendar itself does.
"""

import datetime as dt
import itertools
import logging
from dataclasses import dataclass

import icalendar
import recurring_ical_events
import x_wr_timezone

from .timeutils import get_zone

logger = logging.getLogger(__name__)

UTC = dt.UTC
# Guard against feeds that expand to absurd numbers of occurrences
# (``FREQ=MINUTELY`` for a year): occurrences past this many are dropped.
MAX_OCCURRENCES = 20_000
PRODID = "-//Termin//Appointments feed//EN"
REFRESH = dt.timedelta(minutes=15)


class InvalidCalendar(ValueError):
    """The data is not an iCalendar file we can read."""


Interval = tuple[dt.datetime, dt.datetime]


# --- reading: busy intervals ------------------------------------------------------


def busy_intervals(data: bytes, *, start: dt.datetime, end: dt.datetime,
                   zone: str) -> list[Interval]:
    """The merged UTC intervals during which the events of ``data`` make someone busy,
    clipped to ``[start, end)``.

    Events marked free (``TRANSP:TRANSPARENT``) or cancelled (``STATUS:CANCELLED``)
    count for nothing. All-day events and floating times (no zone) are read in
    ``zone``: an all-day event blocks its whole days there. Raises InvalidCalendar.
    """
    calendar = parse(data)
    tz = get_zone(zone)
    found = []
    for event in occurrences(calendar, start, end):
        interval = event_interval(event, tz)
        if interval is not None and blocks_time(event):
            found.append((max(interval[0], start), min(interval[1], end)))
    return merge(interval for interval in found if interval[1] > interval[0])


def occurrences(calendar: icalendar.Calendar, start: dt.datetime, end: dt.datetime):
    """Each occurrence (a VEVENT) of the calendar's events overlapping ``[start, end)``.

    Walks each series by itself (its generator), which is linear in the
    occurrences, where ``CalendarQuery.after`` searched in growing windows and took
    seconds for a feed of 500 events. A series that fails while being expanded is
    skipped, so it does not hide the rest of the calendar; a rule that cannot be
    read at all makes the calendar invalid (its last good busy times stay).
    """
    try:
        query = recurring_ical_events.of(calendar, skip_bad_series=True)
        span_start, span_end = query.to_datetime(start), query.to_datetime(end)
    except Exception as exc:  # noqa: BLE001 - a rule dateutil cannot read, and the like
        raise InvalidCalendar(f"The calendar's events could not be read: {exc}") from exc
    budget = MAX_OCCURRENCES
    for series in query.series:
        try:
            for occurrence in itertools.islice(series.between(span_start, span_end), budget):
                budget -= 1
                yield occurrence.as_component(False)
        except Exception as exc:  # noqa: BLE001 - whatever a broken series raises
            logger.info("Skipped an event series that cannot be expanded: %s", exc)
        if budget <= 0:
            return


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
