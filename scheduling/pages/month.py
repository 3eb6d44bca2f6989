"""The month grid of the booking and rescheduling pages: the days of a month in
the attendee's zone, linked where they have free times, and the chosen day's
times; and the next free times after one that was just taken."""

import calendar
import datetime as dt
from dataclasses import dataclass

from django.utils import timezone as djtz

from .. import selectors
from ..core.timeutils import add_months, get_zone
from ..models import MeetingType
from .common import query

# How many free times the "that time was just taken" message offers.
NEXT_FREE_COUNT = 6
# How far ahead those are looked for, and how many empty months the page skips.
NEXT_FREE_DAYS = 21
MONTHS_TO_SKIP = 2
# How far from today the pages go: later months show this month.
MONTHS_AHEAD = 120


@dataclass
class Day:
    date: dt.date
    free: int
    url: str
    selected: bool
    today: bool


@dataclass
class Calendar:
    month: dt.date
    weeks: list  # of 7-lists of Day or None
    prev_url: str | None
    next_url: str | None
    selected: dt.date | None
    times: list  # (slot start, url)
    has_free: bool

    @property
    def weekday_dates(self) -> list[dt.date]:
        """A Monday-to-Sunday week, for the localized weekday headings."""
        return [dt.date(2024, 1, 1) + dt.timedelta(days=n) for n in range(7)]


def _parse_month(value: str | None) -> dt.date | None:
    try:
        return dt.datetime.strptime(value or "", "%Y-%m").date()
    except ValueError:
        return None


def _parse_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return None


def _free_slots(meeting_type: MeetingType, first: dt.date, last: dt.date, zone: str,
                duration: int, moving: int | None = None) -> list:
    """The free slots from ``first`` to ``last``; ``moving``: the appointment being
    rescheduled, whose own time and booking do not count."""
    if last < first:
        return []
    result = selectors.available_slots(meeting_type=meeting_type, start=first, end=last,
                                       timezone=zone, duration=duration,
                                       exclude_appointment_id=moving)
    return result.slots


def _month_slots(meeting_type, month: dt.date, zone: str, duration: int,
                 moving: int | None = None) -> dict:
    """Free slots of ``month`` by local date (days already past left out)."""
    today = djtz.now().astimezone(get_zone(zone)).date()
    last = add_months(month, 1) - dt.timedelta(days=1)
    by_day: dict[dt.date, list] = {}
    for slot in _free_slots(meeting_type, max(month, today), last, zone, duration, moving):
        by_day.setdefault(slot.start.astimezone(get_zone(zone)).date(), []).append(slot)
    return by_day


def _shown_month(request, meeting_type, *, this_month: dt.date, zone: str,
                 duration: int, moving: int | None = None) -> tuple[dt.date, dict]:
    """The month the request asks for, else the first with free times from this one
    (at most MONTHS_TO_SKIP on), with its free slots by day."""
    month = _parse_month(request.GET.get("month"))
    if month is not None and this_month <= month <= add_months(this_month, MONTHS_AHEAD):
        return month, _month_slots(meeting_type, month, zone, duration, moving)
    month = this_month
    by_day = _month_slots(meeting_type, month, zone, duration, moving)
    for _step in range(MONTHS_TO_SKIP):
        if by_day or "month" in request.GET:
            break
        month = add_months(month, 1)
        by_day = _month_slots(meeting_type, month, zone, duration, moving)
    return month, by_day


def build_calendar(request, meeting_type: MeetingType, *, zone: str, duration: int,
                   base_url: str, time_url, moving: int | None = None) -> Calendar:
    """The month the request asks for (else the first with free times, from this one),
    its days linked when they have free times, and the chosen day's times.
    ``time_url(slot)`` makes the link of one time; ``moving``: the appointment being
    rescheduled (its own time is free and its booking counts toward no limit)."""
    local_today = djtz.now().astimezone(get_zone(zone)).date()
    this_month = local_today.replace(day=1)
    last_month = add_months(this_month, MONTHS_AHEAD)
    month, by_day = _shown_month(request, meeting_type, this_month=this_month, zone=zone,
                                 duration=duration, moving=moving)
    selected = _parse_date(request.GET.get("date"))
    if selected not in by_day:
        selected = min(by_day) if by_day else None

    def link(**params):
        return base_url + query(tz=zone, duration=duration, **params)

    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month):
        weeks.append([
            Day(day, len(by_day.get(day, ())), link(month=f"{month:%Y-%m}", date=day.isoformat()),
                day == selected, day == local_today) if day.month == month.month else None
            for day in week
        ])
    times = [(slot.start, time_url(slot)) for slot in by_day.get(selected, ())]
    return Calendar(
        month=month, weeks=weeks,
        prev_url=link(month=f"{add_months(month, -1):%Y-%m}") if month > this_month else None,
        next_url=link(month=f"{add_months(month, 1):%Y-%m}") if month < last_month else None,
        selected=selected, times=times, has_free=bool(by_day),
    )


def next_free_slots(meeting_type: MeetingType, *, after: dt.datetime, zone: str,
                    duration: int, moving: int | None = None) -> list:
    """The first free times from ``after`` on (for a time someone else just took)."""
    first = max(after, djtz.now()).astimezone(get_zone(zone)).date()
    slots = _free_slots(meeting_type, first, first + dt.timedelta(days=NEXT_FREE_DAYS), zone,
                        duration, moving)
    return [slot for slot in slots if slot.start >= after][:NEXT_FREE_COUNT] or \
        slots[:NEXT_FREE_COUNT]
